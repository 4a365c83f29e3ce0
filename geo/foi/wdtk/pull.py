"""``python -m geo wdtk pull``: every public request about Hikvision or Dahua, found, read and recorded.

1. Find: the site's search feed for the words (:data:`QUERY`), every page until
   one is empty, and the feed of the campaign's own account
   (``HIKMAP_WDTK_USER``), if one is set. A feed is newest-described first, so
   once a pass has reached its end, later runs stop at the first page whose
   every event they have seen before, unchanged.
2. Read: each request found new or changed in a feed, and each request of
   ``foi_requests.csv`` on the site that the pull has never read, from
   ``/request/<url_title>.json``.
3. Record: :func:`geo.foi.wdtk.recording.merge_requests` turns them into rows
   of ``foi_requests.csv`` (one per request, keyed by its address), written
   through the importer's atomic apply, and only if a row changed: a run with
   nothing new changes no file.

What has been read is kept in the cache folder (:mod:`geo.foi.wdtk.state`)
after every page and every request, so a run killed at any moment carries on
when run again; ``data/`` is written whole at the end or not at all.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from geo.foi.wdtk.client import Client, WdtkError
from geo.foi.wdtk.state import SiteRequest, State

QUERY = "hikvision OR dahua"
ANSWER_EVENTS = ("response",)


@dataclass
class PullReport:
    """What one run did, for the campaigner (``text()``) and for tests."""

    found: int = 0  # requests the pull knows on the site (found in a feed or among the known rows, and read)
    new: int = 0  # rows added to foi_requests.csv
    changed_state: int = 0  # rows whose state on the site changed
    waiting: int = 0  # answers waiting to be read in the queue
    unmatched: list[str] = field(default_factory=list)  # bodies like councils, not in mySociety's table
    gone: list[str] = field(default_factory=list)  # requests no longer public on the site
    errors: list[str] = field(default_factory=list)
    resumed: bool = False
    written: list[str] = field(default_factory=list)  # files the apply wrote (empty: nothing changed)
    version: str = ""
    network_calls: int = 0
    cached_calls: int = 0

    def text(self) -> str:
        lines = [
            f"requests found: {self.found}" + (" (an interrupted run resumed)" if self.resumed else ""),
            f"new: {self.new}",
            f"changed state: {self.changed_state}",
            f"answers waiting to be read: {self.waiting}",
            f"bodies not matched: {len(self.unmatched)}" + "".join(f"\n  {name}" for name in self.unmatched),
        ]
        if self.gone:
            lines.append(f"no longer public on the site: {len(self.gone)}" + "".join(f"\n  {u}" for u in self.gone))
        lines.append(f"errors: {len(self.errors)}" + "".join(f"\n  {e}" for e in self.errors))
        lines.append(
            f"data: version {self.version}, wrote {', '.join(self.written)}"
            if self.written
            else "data: nothing changed, no file written"
        )
        lines.append(f"HTTP: {self.network_calls} answers from the site, {self.cached_calls} from the cache")
        return "\n".join(lines)


def snippet_text(snippet: str) -> str:
    """A feed's snippet as plain text: its markup (the highlight spans) dropped, its escapes decoded."""
    text = html.unescape(re.sub(r"<[^>]*>", "", snippet or ""))
    return " ".join(text.split())[:1000]


def _date(value) -> str:
    """The local date of one of the site's ISO timestamps (``2024-03-04T09:15:27.000+00:00``), else ""."""
    text = str(value or "")
    return text[:10] if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text[:10]) else ""


def _body(document: dict) -> dict:
    body = document.get("public_body")
    if not isinstance(body, dict):
        return {}
    return {k: body.get(k) for k in ("id", "url_name", "name", "tags")}


def _state(request: dict) -> str:
    if request.get("awaiting_description") is True:
        return "waiting_classification"
    return str(request.get("described_state") or "")


def from_event(event: dict) -> SiteRequest | None:
    """What one feed event says of its request (None if it has no request address)."""
    request = event.get("info_request")
    if not isinstance(request, dict) or not isinstance(request.get("url_title"), str) or not request["url_title"]:
        return None
    record = SiteRequest(
        url_title=request["url_title"],
        title=str(request.get("title") or ""),
        state=_state(request),
        law_used=str(request.get("law_used") or ""),
        body=_body(event),
    )
    if event.get("event_type") in ANSWER_EVENTS:
        record.snippet = snippet_text(str(event.get("snippet") or ""))
        record.responded = _date(event.get("created_at"))
    return record


def from_request(document: dict, campaign_user: str, known: SiteRequest | None) -> SiteRequest:
    """What the project keeps of ``/request/<url_title>.json``: never the ``user`` or ``user_name``."""
    events = [e for e in document.get("info_request_events") or [] if isinstance(e, dict)]
    sent = [_date(e.get("created_at")) for e in events if e.get("event_type") == "sent"]
    responses = [e for e in events if e.get("event_type") in ANSWER_EVENTS]
    latest = max(responses, key=lambda e: str(e.get("created_at") or ""), default=None)
    user = document.get("user")
    record = SiteRequest(
        url_title=str(document.get("url_title") or (known.url_title if known else "")),
        title=str(document.get("title") or ""),
        state=_state(document),
        law_used=str(document.get("law_used") or ""),
        sent=next((d for d in sent if d), "") or _date(document.get("created_at")),
        responded=_date(latest.get("created_at")) if latest else "",
        incoming_id=latest.get("incoming_message_id")
        if latest and isinstance(latest.get("incoming_message_id"), int)
        else None,
        body=_body(document),
        by_campaign=bool(campaign_user) and isinstance(user, dict) and user.get("url_name") == campaign_user,
        read=True,
    )
    if known is not None and known.snippet and known.responded >= record.responded:
        record.snippet = known.snippet  # the feed's quote of that answer (the JSON carries no text)
    return record


@dataclass
class Feed:
    key: str  # stable name of the feed (its query without today's date)
    read: Callable[[int], list[dict]]  # page -> events


def feeds(client: Client, campaign_user: str, since: dt.date | None, today: dt.date) -> list[Feed]:
    """The search feed for the words (from ``since`` if given) and the campaign account's feed."""
    query = QUERY
    if since is not None:
        # Both ends, always (the site's own forms never send an open range).
        query = f"({QUERY}) {since:%d/%m/%Y}..{today:%d/%m/%Y}"
    found = [Feed(f"search:{QUERY}|since={since or ''}", lambda page: client.search_feed(query, page))]
    if campaign_user:
        found.append(Feed(f"user:{campaign_user}", lambda page: client.user_feed(campaign_user, page)))
    return found


def pull(
    package_dir: Path,
    client: Client,
    state: State,
    *,
    campaign_user: str = "",
    since: dt.date | None = None,
    today: dt.date | None = None,
    authorities=None,
    stop_after: int | None = None,
) -> PullReport:
    """One run (see the module docstring). ``stop_after`` stops after that many calls (tests of resuming)."""
    from geo.evidence.datapackage import fingerprint, load_package
    from geo.evidence.vocabulary import from_descriptor
    from geo.foi.wdtk.matching import Matcher
    from geo.foi.wdtk.recording import apply_requests, merge_requests, waiting_answers
    from geo.places.authorities import load_authorities

    today = today or dt.date.today()
    report = PullReport()
    run, report.resumed = state.open_run()
    budget = [stop_after]

    def spend() -> None:
        if budget[0] is not None:
            if budget[0] <= 0:
                raise Interrupted("stopped on purpose")
            budget[0] -= 1

    finished: list[str] = []
    for feed in feeds(client, campaign_user, since, today):
        page, complete = state.feed_position(feed.key, run)
        while True:
            spend()
            try:
                events = feed.read(page)
            except WdtkError as error:
                report.errors.append(str(error))
                break
            if not events:
                finished.append(feed.key)
                break
            seen, ids, all_known = [], [], True
            for event in events:
                record = from_event(event)
                event_id = event.get("id")
                described = str(event.get("last_described_at") or event.get("created_at") or "")
                if record is None or not isinstance(event_id, int):
                    continue
                if not state.event_known(event_id, described) or not state.has(record.url_title):
                    all_known = False
                    seen.append(record)
                ids.append((event_id, described))
            state.save_page(feed.key, run, page + 1, ids, seen)
            if all_known and complete:
                finished.append(feed.key)  # everything below this page was seen in an earlier pass
                break
            page += 1

    fingerprint_before = fingerprint(package_dir)
    package, problems = load_package(package_dir)
    if problems:
        raise WdtkError("the data package cannot be read: " + "; ".join(map(str, problems[:5])))
    rows = package.table("foi_requests").rows
    prefix = client.base + "/request/"
    state.mark_stale(
        [
            r["url"][len(prefix) :]
            for r in rows
            if r.get("url", "").startswith(prefix) and "/" not in r["url"][len(prefix) :]
        ],
        run,
    )
    for url_title in state.stale():
        spend()
        known = state.get(url_title)
        try:
            document = client.info_request(url_title)
        except WdtkError as error:
            report.errors.append(str(error))
            continue
        if document is None:
            record = known or SiteRequest(url_title)
            record.gone, record.read = True, True
        else:
            record = from_request(document, campaign_user, known)
            record.url_title = url_title
        state.save_request(record, run)

    vocabulary = from_descriptor(package.descriptor)
    matcher = Matcher(authorities or load_authorities())
    records = state.all()
    merged = merge_requests(rows, [r for r in records if r.read], matcher, vocabulary, client.base, today)
    report.found = sum(1 for r in records if r.read and not r.gone)
    report.new, report.changed_state = merged.new, merged.changed_state
    report.unmatched = merged.unmatched
    report.gone = merged.gone
    report.waiting = len(waiting_answers(merged.rows, {r.url_title: r for r in records}, vocabulary, client.base))
    if merged.rows != rows:
        result = apply_requests(package_dir, merged, fingerprint_before, today)
        report.written, report.version = result.files, result.version
    state.close_run(run, finished)
    report.network_calls, report.cached_calls = client.network_calls, client.cached_calls
    return report


class Interrupted(RuntimeError):
    """The run stopped before its end (on purpose, in tests; a kill does the same in real life)."""
