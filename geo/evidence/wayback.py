"""Archived copies of the sources: find one in the Wayback Machine, or ask for one.

``python -m geo sources archive`` takes every source of ``sources.csv`` with an http(s)
``url`` and no ``archive_url``; it asks the Wayback Machine's availability API for an
existing copy (``/wayback/available?url=``) and, when there is none, asks Save Page Now for one
(``/save/<url>``); the copy's address goes into ``archive_url`` as
``https://web.archive.org/web/<14-digit timestamp>/<the page's address>`` (nothing else is
accepted: :func:`geo.evidence.datapackage.is_wayback_copy`).

The two APIs are called with :mod:`requests` at documented addresses whose base is a setting
(``HIKMAP_WAYBACK_URL``, see :func:`geo.settings.wayback_urls`), so the tests use a local stand-in.
(waybackpy, the usual client, fixes both addresses in its code, so it cannot be pointed at one.)
At most one request a second to the Wayback Machine (the delay is ``HIKMAP_SOURCES_DELAY``), and a
429 or 5xx answer, or no answer, is retried with a growing pause, as long as ``Retry-After`` says.

Writing: found copies are recorded in batches, each an atomic rewrite of ``sources.csv``
(:mod:`geo.atomic`) under the package's write lock, on the file as it is then: only rows whose
``url`` is unchanged and whose ``archive_url`` is still empty gain a copy. An interrupted run
leaves the old file or a whole new one, and what it had found is kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import io
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

from geo import settings
from geo.atomic import write_text_atomically
from geo.evidence.datapackage import is_http_url, is_wayback_copy, load_package, package_lock
from geo.evidence.linkcheck import Clock, HostRateLimiter, Sleep

WAYBACK_HOST = "web.archive.org"
RATE_KEY = "wayback"  # the availability API and Save Page Now are one service: one limit for both
RETRIED = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
FIRST_PAUSE = 5.0  # seconds before the first retry when the answer says nothing; doubled each time
LONGEST_PAUSE = 300.0  # a Retry-After longer than this ends the run's attempts at that address

FOUND, SAVED, PENDING, WOULD_SAVE, FAILED, SKIPPED = "found", "saved", "pending", "would-save", "failed", "skipped"


class WaybackUnavailable(RuntimeError):
    """The Wayback Machine did not answer usefully, even after retries."""


_PATH_RE = re.compile(r"/web/([0-9]{14})/(https?://\S+)")


def copy_address(value: str) -> str:
    """A Wayback Machine copy's address in the one form ``archive_url`` takes, or "" if it is not one.

    Takes what the APIs give: ``http://web.archive.org/web/TS/URL``, ``https://…`` or a path
    ``/web/TS/URL`` (Save Page Now's ``Content-Location``); anything else (another host, a
    timestamp that is not 14 digits, a page address that is not http(s)) gives "".
    """
    value = (value or "").strip()
    parts = urlsplit(value)
    if parts.scheme and (parts.scheme not in ("http", "https") or (parts.hostname or "").lower() != WAYBACK_HOST):
        return ""
    if not parts.scheme and not value.startswith("/web/"):
        return ""
    start = value.find("/web/")
    match = _PATH_RE.fullmatch(value[start:]) if start >= 0 else None
    if match is None:
        return ""
    address = f"https://{WAYBACK_HOST}/web/{match.group(1)}/{match.group(2)}"
    return address if is_wayback_copy(address) else ""


def retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (a number, or an HTTP date); None if it says nothing usable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def pause_before_retry(attempt: int, header: str | None) -> float:
    """The pause before retry number ``attempt`` (1, 2, …): ``Retry-After`` if given, else 5, 10, 20… s."""
    asked = retry_after(header)
    return asked if asked is not None else FIRST_PAUSE * 2 ** (attempt - 1)


@dataclass
class Wayback:
    """The Wayback Machine's availability API and Save Page Now, politely."""

    limiter: HostRateLimiter
    timeout: float
    availability_base: str
    save_base: str
    session: requests.Session = field(default_factory=requests.Session)
    sleep: Sleep = time.sleep
    retries: int = 4
    user_agent: str = field(default_factory=settings.user_agent)  # one User-Agent for every outside request
    save_timeout: float = 120.0  # Save Page Now answers once the page is captured: often tens of seconds

    def _get(
        self, url: str, params: Mapping[str, str] | None = None, timeout: float | None = None
    ) -> requests.Response:
        """GET with the rate limit, retried on 429/5xx and on no answer; raises :class:`WaybackUnavailable`."""
        last = ""
        response: requests.Response | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                header = response.headers.get("Retry-After") if response is not None else None
                pause = pause_before_retry(attempt, header)
                if pause > LONGEST_PAUSE:
                    raise WaybackUnavailable(f"{last}; it asks to wait {pause:.0f} seconds: run again later")
                self.sleep(pause)
                response = None
            self.limiter.wait(RATE_KEY)
            try:
                response = self.session.get(
                    url,
                    params=params,
                    allow_redirects=False,
                    timeout=timeout or self.timeout,
                    headers={"User-Agent": self.user_agent},
                )
            except requests.Timeout:
                last = f"no answer within {timeout or self.timeout:g} seconds"
                continue
            except requests.RequestException as error:
                last = f"no connection ({type(error).__name__})"
                continue
            if response.status_code not in RETRIED:
                return response
            last = f"answer {response.status_code}"
        raise WaybackUnavailable(f"{last}, {self.retries + 1} times")

    def available(self, url: str) -> str:
        """The newest copy the availability API knows of that was a working page (2xx); "" if none."""
        response = self._get(f"{self.availability_base}/wayback/available", params={"url": url})
        if response.status_code != 200:
            raise WaybackUnavailable(f"the availability API answered {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise WaybackUnavailable("the availability API's answer is not JSON") from None
        snapshots = data.get("archived_snapshots") if isinstance(data, dict) else None
        closest = snapshots.get("closest") if isinstance(snapshots, dict) else None
        if not isinstance(closest, dict) or closest.get("available") is False:
            return ""
        if not str(closest.get("status", "200")).startswith("2"):
            return ""  # a copy of an error page or of a redirect is no copy of the publication
        return copy_address(str(closest.get("url", "")))

    def save(self, url: str) -> tuple[str, str]:
        """Ask Save Page Now for a copy: (SAVED, its address), (PENDING, why) or (FAILED, why)."""
        try:
            response = self._get(f"{self.save_base}/save/{url}", timeout=max(self.timeout, self.save_timeout))
        except WaybackUnavailable as error:
            return FAILED, f"Save Page Now: {error}"
        if response.status_code >= 400:
            return FAILED, f"Save Page Now refused: answer {response.status_code}"
        for candidate in _copy_candidates(response):
            address = copy_address(candidate)
            if address:
                return SAVED, address
        try:
            address = self.available(url)  # the copy may be listed already
        except WaybackUnavailable:
            address = ""
        if address:
            return SAVED, address
        return PENDING, "asked for a copy; its address is not known yet: run again later"


def _copy_candidates(response: requests.Response) -> Iterator[str]:
    """Where Save Page Now gives the new copy's address: Content-Location, Location, a memento link."""
    yield response.headers.get("Content-Location", "")
    yield response.headers.get("Location", "")
    for link in re.finditer(r'<([^>]+)>\s*;\s*rel="([^"]*)"', response.headers.get("Link", "")):
        if "memento" in link.group(2).split():
            yield link.group(1)


def wayback(
    session: requests.Session | None = None, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
) -> Wayback:
    """A :class:`Wayback` with the settings' addresses, delay and timeout."""
    availability, save = settings.wayback_urls()
    return Wayback(
        HostRateLimiter(settings.sources_delay(), clock, sleep),
        settings.sources_timeout(),
        availability.rstrip("/"),
        save.rstrip("/"),
        session or requests.Session(),
        sleep,
    )


# --- The run ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    source: str
    url: str
    result: str  # FOUND, SAVED, PENDING, WOULD_SAVE, FAILED or SKIPPED
    detail: str = ""  # the copy's address, or why not


@dataclass
class ArchiveReport:
    outcomes: list[Outcome] = field(default_factory=list)
    recorded: int = 0  # copies written into sources.csv

    def of(self, result: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.result == result]

    def text(self, dry_run: bool = False) -> str:
        """What was found, saved and not, in words."""
        found, saved = self.of(FOUND), self.of(SAVED)
        lines = [
            f"{len(self.outcomes)} sources without an archived copy: {len(found)} already in the Wayback Machine, "
            f"{len(saved)} saved now, {len(self.of(PENDING))} asked for but not ready, "
            f"{len(self.of(FAILED))} failed, {len(self.of(SKIPPED))} skipped"
            + (f", {len(self.of(WOULD_SAVE))} would be asked for." if dry_run else ".")
        ]
        if dry_run:
            lines.append("Dry run: nothing was saved and sources.csv is unchanged.")
        else:
            lines.append(f"{self.recorded} archived copies recorded in sources.csv.")
        for title, result in (
            ("Found", FOUND),
            ("Saved", SAVED),
            ("Would ask Save Page Now for", WOULD_SAVE),
            ("Asked for, not ready yet (run again later)", PENDING),
            ("Failed", FAILED),
            ("Skipped", SKIPPED),
        ):
            items = self.of(result)
            if items:
                lines += ["", f"{title} ({len(items)}):"]
                lines += [f"- {o.source}: {o.url}" + (f"\n    {o.detail}" if o.detail else "") for o in items]
        return "\n".join(lines) + "\n"


def sources_without_copy(data_dir: Path) -> list[tuple[str, str]]:
    """(id, url) of every source with an address and no ``archive_url``, in file order."""
    package, _problems = load_package(Path(data_dir))
    table = package.tables.get("sources")
    if table is None or not table.header:
        raise FileNotFoundError(f"no sources.csv in {data_dir}")
    return [(row["id"], row.get("url", "")) for row in table.rows if row.get("url") and not row.get("archive_url")]


def record_copies(data_dir: Path, copies: Mapping[str, tuple[str, str]]) -> int:
    """Write ``copies`` (source id -> (its url, the copy's address)) into ``sources.csv``; how many were written.

    Only a row whose ``url`` is still that url and whose ``archive_url`` is still empty gains its
    copy; a copy not in the one accepted form is refused (ValueError) before anything is written.
    The file is rewritten whole and atomically under the package's lock, its other cells as they were.
    """
    for source, (_url, copy) in copies.items():
        if not is_wayback_copy(copy):
            raise ValueError(f"{source}: {copy!r} is not a Wayback Machine copy")
    path = Path(data_dir) / "sources.csv"
    with package_lock(Path(data_dir)):
        text = path.read_bytes().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        if not rows:
            return 0
        header = [h.strip() for h in rows[0]]
        try:
            at_id, at_url, at_copy = (header.index(name) for name in ("id", "url", "archive_url"))
        except ValueError:
            raise ValueError(f"{path} has no id, url or archive_url column") from None
        written = 0
        for cells in rows[1:]:
            if len(cells) != len(header):
                continue
            wanted = copies.get(cells[at_id].strip())
            if wanted and cells[at_url].strip() == wanted[0] and not cells[at_copy].strip():
                cells[at_copy] = wanted[1]
                written += 1
        if written:
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(rows)
            write_text_atomically(path, out.getvalue())
    return written


def archive_sources(
    data_dir: Path,
    client: Wayback,
    dry_run: bool = False,
    batch: int = 10,
    progress: Callable[[int, int, Outcome], None] | None = None,
) -> ArchiveReport:
    """Find or ask for a copy of every source without one; record them (in batches of ``batch``).

    ``dry_run``: only the availability API is asked (nothing is saved, nothing written).
    If the run stops early (an error, Ctrl-C), what was found so far is still written.
    """
    report = ArchiveReport()
    waiting: dict[str, tuple[str, str]] = {}

    def flush() -> None:
        if waiting and not dry_run:
            report.recorded += record_copies(data_dir, waiting)
        waiting.clear()

    todo = sources_without_copy(data_dir)
    try:
        for done, (source, url) in enumerate(todo, 1):
            outcome = _archive_one(client, source, url, dry_run)
            report.outcomes.append(outcome)
            if outcome.result in (FOUND, SAVED):
                waiting[source] = (url, outcome.detail)
                if len(waiting) >= batch:
                    flush()
            if progress:
                progress(done, len(todo), outcome)
    finally:
        flush()
    return report


def _archive_one(client: Wayback, source: str, url: str, dry_run: bool) -> Outcome:
    if not is_http_url(url):
        return Outcome(source, url, SKIPPED, "not an http(s) address")
    if is_wayback_copy(url):
        return Outcome(source, url, SKIPPED, "the address is itself a Wayback Machine copy")
    try:
        found = client.available(url)
    except WaybackUnavailable as error:
        return Outcome(source, url, FAILED, f"availability API: {error}")
    if found:
        return Outcome(source, url, FOUND, found)
    if dry_run:
        return Outcome(source, url, WOULD_SAVE, "no copy yet")
    result, detail = client.save(url)
    return Outcome(source, url, result, detail)
