"""Requests from WhatDoTheyKnow as rows of ``foi_requests.csv``, the answers queue, and recording an answer.

:func:`merge_requests` keeps one row per request, keyed by its address
(``<site>/request/<url_title>``): the body (a council by its code, any other
body as an organisation with its kind and nation), the law, the dates, our
status and finding (from the site's state, through the vocabulary's one table,
``foi_requests.wdtk_state``) and the site's own state beside them. Once the
campaign has read an answer (``read``), the status, finding and exemption are
the campaign's and only the site's state is updated.

:func:`waiting_answers` is the answers queue: requests with an answer that
nobody has read yet, newest first. :func:`record_answer` writes what a
campaigner read in an answer: the request's finding and, where the answer
says the body has the equipment or has none of it, a claim per maker whose
source is the answer itself (kind ``foi-response``, published by the body,
dated the day of the answer, graded ``official``: the body's own words). The
claim-source link carries the answer's words (``quote``, verbatim, at most 300
characters), the day they were read (``checked``) and, when the quotation does
not name the body (``quote_names``), a ``quote_note`` saying it is the body's
own answer. "Has none" is the only finding that gives a claim with the
``absence`` status role; "not held" and refusals give no claim. All is
written through the importer's atomic apply and the check. Each saving is
logged (logger ``hikmap.answers``) and gets a change-log entry.

No requester is named anywhere: rows carry the request's address, never the
account that sent it, except the campaign's own configured account.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from geo.evidence.datapackage import fingerprint, quote_names
from geo.evidence.vocabulary import Vocabulary
from geo.foi.wdtk.matching import Matcher
from geo.foi.wdtk.state import SiteRequest
from geo.importing.apply import ApplyResult, apply_tables
from geo.importing.rows import similarity, slugify, unique_id
from geo.places.authorities import load_authorities

log = logging.getLogger("hikmap.answers")

GONE_NOTE = "No longer public on WhatDoTheyKnow."
EIR_NOTE = "Made under the Environmental Information Regulations."


@dataclass
class Merged:
    rows: list[dict[str, str]]
    new: int = 0
    changed_state: int = 0
    unmatched: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)


def request_address(base: str, url_title: str) -> str:
    return f"{base.rstrip('/')}/request/{url_title}"


def _add_note(note: str, text: str) -> str:
    if not text or text in note:
        return note
    return f"{note} {text}".strip()


def merge_requests(
    rows: list[dict[str, str]],
    records: list[SiteRequest],
    matcher: Matcher,
    vocabulary: Vocabulary,
    base: str,
    today: dt.date,
) -> Merged:
    """``rows`` with each request read from the site added or brought up to date (see the module docstring)."""
    merged = Merged(rows=[dict(r) for r in rows])
    by_url = {r["url"]: r for r in merged.rows if r.get("url")}
    taken = {r["id"] for r in merged.rows}
    unmatched: dict[str, None] = {}
    for record in sorted(records, key=lambda r: (r.sent, r.url_title)):
        url = request_address(base, record.url_title)
        row = by_url.get(url)
        if record.gone:
            if row is not None:
                note = _add_note(row.get("note", ""), GONE_NOTE)
                if note != row.get("note", ""):
                    row["note"] = note
                    merged.gone.append(url)
            continue
        site_state = vocabulary.site_state(record.state)
        if site_state is None:
            continue  # a state this project does not know: left for a person to look at (the check would refuse it)
        body = matcher.match(record.body or {})
        if body.unmatched:
            unmatched[body.organisation] = None
        if row is None:
            row = {
                "id": unique_id(slugify(f"wdtk-{record.url_title}"), taken, "wdtk-request"),
                "organisation": body.organisation,
                "authority": body.authority.gss_code if body.authority is not None else "",
                "site": "",
                "law": "foisa" if body.nation == "Scotland" else "foia",
                "sent": record.sent,
                "answered": "",
                "url": url,
                "status": "",
                "finding": "",
                "outcome": "",
                "note": "",
                "kind": body.kind,
                "nation": body.nation,
                "wdtk_state": "",
                "exemption": "",
                "read": "",
            }
            note = body.note
            if record.law_used == "eir":
                note = _add_note(note, EIR_NOTE)
            if record.by_campaign:
                note = _add_note(note, "Sent from the campaign's own WhatDoTheyKnow account.")
            row["note"] = note
            merged.rows.append(row)
            by_url[url] = row
            merged.new += 1
        elif row.get("wdtk_state") and row["wdtk_state"] != record.state:
            merged.changed_state += 1
        row["wdtk_state"] = record.state
        if row.get("note", "").endswith(GONE_NOTE):
            row["note"] = row["note"][: -len(GONE_NOTE)].strip()  # public again
        if not row.get("read"):
            # Until the campaign reads the answer, the site's state says where the request stands.
            row["status"] = site_state.status
            row["finding"] = site_state.finding
            row["answered"] = record.responded if site_state.status in ("answered", "refused") else ""
            if record.sent and not row.get("sent"):
                row["sent"] = record.sent
    merged.unmatched = list(unmatched)
    return merged


def apply_requests(package_dir: Path, merged: Merged, expected_fingerprint: str, today: dt.date) -> ApplyResult:
    """Write the merged rows through the importer's atomic apply (checked, rebuilt, swapped in whole)."""
    counts = {"new FOI requests": merged.new, "changed states": merged.changed_state}
    change = (
        f"WhatDoTheyKnow pull: {merged.new} new request(s), {merged.changed_state} changed state(s)"
        + (f", {len(merged.gone)} no longer public" if merged.gone else "")
        + "."
    )
    return apply_tables(package_dir, {"foi_requests": merged.rows}, expected_fingerprint, change, counts, today=today)


# --- The answers queue ------------------------------------------------------------------------
@dataclass(frozen=True)
class Waiting:
    """One answer waiting to be read: the request's row, and what the site says of it (untrusted text)."""

    row: dict[str, str]
    title: str
    snippet: str
    responded: str
    site_status: str  # the site's own words for its state
    answer_url: str  # the request's page at its latest response, or the page itself


def waiting_answers(
    rows: list[dict[str, str]], records: dict[str, SiteRequest], vocabulary: Vocabulary, base: str
) -> list[Waiting]:
    """Requests on the site with an answer the campaign has not read, newest answer first.

    A request waits when the site says a response has arrived (a state with the role ``responded``)
    and either nobody has read it, or a newer response arrived after it was read.
    """
    prefix = request_address(base, "")
    waiting = []
    for row in rows:
        url = row.get("url", "")
        if not url.startswith(prefix) or not vocabulary.site_responded(row.get("wdtk_state", "")):
            continue
        record = records.get(url[len(prefix) :])
        responded = (record.responded if record else "") or row.get("answered", "")
        if row.get("read") and not (responded and responded > row["read"]):
            continue
        state = vocabulary.site_state(row["wdtk_state"])
        waiting.append(
            Waiting(
                row=row,
                title=record.title if record else "",
                snippet=record.snippet if record else "",
                responded=responded,
                site_status=state.label if state else row["wdtk_state"],
                answer_url=f"{url}#incoming-{record.incoming_id}" if record and record.incoming_id else url,
            )
        )
    return sorted(waiting, key=lambda w: (w.responded, w.row.get("sent", "")), reverse=True)


# --- Recording an answer ----------------------------------------------------------------------
FINDINGS = ("equipment", "none", "not-held", "refused")
SITE_KINDS = (
    "council offices",
    "libraries",
    "leisure centres",
    "car parks",
    "depots",
    "schools",
    "housing",
    "public-space CCTV",
    "police stations",
    "hospitals",
    "vehicles (body-worn or in-car)",
    "other sites",
)
QUOTE_LIMIT = 300


@dataclass(frozen=True)
class Answer:
    """What a campaigner read in one answer (the queue's form)."""

    finding: str  # one of FINDINGS
    quote: str  # a short passage of the answer, verbatim, that supports the finding
    vendors: dict[str, int | None] = field(default_factory=dict)  # maker -> number of devices (None: not given)
    exemption: str = ""  # for a refusal
    site_kinds: tuple[str, ...] = ()  # of SITE_KINDS
    removal_planned: bool = False
    answered: str = ""  # the answer's date, YYYY-MM-DD (default: the latest response the site shows)


class AnswerError(ValueError):
    """The answer cannot be recorded as given; the message says which field and why."""


def _problems(answer: Answer, vocabulary: Vocabulary) -> list[str]:
    problems = []
    if answer.finding not in FINDINGS:
        problems.append(f"finding: {answer.finding!r} is not one of {', '.join(FINDINGS)}")
    quote = answer.quote.strip()
    if not quote:
        problems.append("quote: give a short passage of the answer, as written, that supports the finding")
    elif len(quote) > QUOTE_LIMIT:
        problems.append(f"quote: {len(quote)} characters, more than the {QUOTE_LIMIT} allowed")
    if answer.finding in ("equipment", "none"):
        makers = set(vocabulary.keys("vendors"))
        if not answer.vendors and answer.finding == "equipment":
            problems.append("vendors: equipment found needs its maker (Hikvision, Dahua ...)")
        if not answer.vendors and answer.finding == "none":
            problems.append("vendors: tick each maker the answer says the body has none of (Hikvision, Dahua ...)")
        for vendor, count in answer.vendors.items():
            if vendor not in makers:
                problems.append(f"vendors: {vendor!r} is not one of {', '.join(sorted(makers))}")
            if count is not None and count < 0:
                problems.append(f"vendors: the number of {vendor} devices cannot be negative")
    if answer.finding == "refused" and answer.exemption not in vocabulary.keys("exemptions"):
        problems.append("exemption: a refusal needs the exemption the body gave")
    unknown_kinds = [k for k in answer.site_kinds if k not in SITE_KINDS]
    if unknown_kinds:
        problems.append(f"site_kinds: {', '.join(unknown_kinds)} not among the kinds of site offered")
    if answer.answered and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", answer.answered):
        problems.append(f"answered: {answer.answered!r} is not a date (YYYY-MM-DD)")
    return problems


def _site_for(row: dict[str, str], tables: dict[str, list[dict[str, str]]], authorities) -> tuple[str, dict | None]:
    """The site a claim about the request's body stands on: an existing one, or a new one (not yet written)."""
    sites = tables["sites"]
    code = row.get("authority", "")
    if code:
        for site in sites:
            if site.get("authority") == code and site.get("kind") == "council" and site.get("precision") == "area":
                return site["id"], None
        authority = authorities.get(code)
        name = authority.name if authority is not None else row["organisation"]
        site_id = unique_id(slugify(f"{name}-area"), {s["id"] for s in sites}, "council-area")
        return site_id, {
            "id": site_id,
            "name": f"{name}: its estate and CCTV",
            "organisation": name,
            "kind": "council",
            "authority": code,
            "precision": "area",
        }
    for site in sites:
        if (
            similarity(site.get("organisation", ""), row["organisation"]) == 1.0
        ):  # the same name, as the importer reads it
            return site["id"], None
    site_id = unique_id(slugify(row["organisation"]), {s["id"] for s in sites}, "body")
    return site_id, {
        "id": site_id,
        "name": row["organisation"],
        "organisation": row["organisation"],
        "kind": row.get("kind") or "other-public-body",
        "precision": "not-placed",
        "note": "No address for the body has been read in a published page yet: it is counted but not drawn.",
    }


def _claim_text(organisation: str, date: str, vendor_label: str, count: int | None, answer: Answer) -> str:
    if answer.finding == "none":
        return (
            f"In its answer of {date} to a freedom of information request published on WhatDoTheyKnow, "
            f"{organisation} said it has no {vendor_label} equipment."
        )
    devices = (
        f"{count:,} {vendor_label} device{'s' if count != 1 else ''}"
        if count is not None
        else f"{vendor_label} equipment"
    )
    text = (
        f"In its answer of {date} to a freedom of information request published on WhatDoTheyKnow, "
        f"{organisation} said it has {devices}"
    )
    if answer.site_kinds:
        text += f" at these kinds of site: {', '.join(answer.site_kinds)}"
    text += "."
    if answer.removal_planned:
        text += " It said it plans to remove or replace the equipment."
    return text


# A "none found" answer is the body's own words that it has none: a claim with the status whose role is
# ``absence`` ("says it does not use it"), graded as a body's own words. "Not held" (the body does not know or
# does not hold the information) says nothing of the kind: it is recorded on the request only, as a refusal is.
CLAIMING_FINDINGS = ("equipment", "none")
ANSWER_GRADE = "official"  # the body itself answered (the grade's definition names freedom of information answers)
QUOTE_NOTE = "The quotation is from the body's own answer to the request, which speaks of the body without naming it."


def _write_claims(
    row: dict[str, str],
    answer: Answer,
    tables: dict[str, list[dict[str, str]]],
    vocabulary: Vocabulary,
    record: SiteRequest | None,
    date: str,
    quote: str,
    today: dt.date,
    authorities,
) -> list[str]:
    """Add to ``tables`` the answer as a source and a claim per maker resting on it; return the claims' ids."""
    if answer.finding == "none":
        if ANSWER_GRADE not in vocabulary.keys_with("grades", "own-words"):
            raise AnswerError(f"grade {ANSWER_GRADE!r} is not a body's own words in the vocabulary: nothing written")
        status = vocabulary.key_with("statuses", "absence")
    else:
        status = "removal-promised" if answer.removal_planned else "confirmed"
    site_id, new_site = _site_for(row, tables, authorities or load_authorities())
    if new_site is not None:
        tables["sites"].append(new_site)
    row["site"] = site_id
    organisation = row["organisation"]
    # The check asks the quotation to name the organisation of the claim's site (which may spell it otherwise).
    site_organisation = next(s.get("organisation", "") for s in tables["sites"] if s["id"] == site_id)
    source_id = unique_id(
        slugify(f"wdtk-answer-{row['id'].removeprefix('wdtk-')}"),
        {s["id"] for s in tables["sources"]},
        "wdtk-answer",
    )
    answer_url = f"{row['url']}#incoming-{record.incoming_id}" if record and record.incoming_id else row["url"]
    tables["sources"].append(
        {
            "id": source_id,
            "title": f"{organisation}: answer to a freedom of information request (title describes the page)",
            "publisher": organisation,
            "published": date,
            "kind": "foi-response",
            "url": answer_url,
            "note": f"The body's own answer, published on WhatDoTheyKnow; read by the campaign on {today.isoformat()}.",
        }
    )
    labels = vocabulary.labels("vendors")
    taken = {c["id"] for c in tables["claims"]}
    written = []
    for vendor, count in answer.vendors.items():
        label = labels.get(vendor, vendor)
        claim_id = unique_id(slugify(f"{site_id}-{vendor}-foi-{date[:4]}"), taken, "foi-claim")
        taken.add(claim_id)
        tables["claims"].append(
            {
                "id": claim_id,
                "site": site_id,
                "vendor": vendor,
                "claim": _claim_text(organisation, date, label, count, answer),
                "grade": ANSWER_GRADE,
                "reported": date,
                "status": status,
                "equipment_count": "" if count is None or answer.finding == "none" else str(count),
                "response": "",
            }
        )
        # The link carries the answer's own words, the day they were read, and why they may not name the body.
        tables["claim_sources"].append(
            {
                "claim": claim_id,
                "source": source_id,
                "quote": quote,
                "checked": today.isoformat(),
                "quote_note": "" if quote_names(quote, site_organisation or organisation) else QUOTE_NOTE,
            }
        )
        written.append(claim_id)
    return written


def record_answer(
    package_dir: Path,
    request_id: str,
    answer: Answer,
    records: dict[str, SiteRequest],
    base: str,
    today: dt.date | None = None,
    authorities=None,
) -> ApplyResult:
    """Write what ``answer`` says of request ``request_id`` (see the module docstring); :class:`AnswerError` if it cannot."""
    from geo.evidence.datapackage import load_package
    from geo.evidence.vocabulary import from_descriptor

    today = today or dt.date.today()
    expected = fingerprint(package_dir)
    package, problems = load_package(package_dir)
    if problems:
        raise AnswerError("the data cannot be read: " + "; ".join(map(str, problems[:3])))
    vocabulary = from_descriptor(package.descriptor)
    found = _problems(answer, vocabulary)
    if found:
        raise AnswerError("; ".join(found))
    tables = {name: [dict(r) for r in table.rows] for name, table in package.tables.items()}
    row = next((r for r in tables["foi_requests"] if r["id"] == request_id), None)
    if row is None:
        raise AnswerError(f"request {request_id!r} is not in foi_requests.csv (the data changed: reload the queue)")
    prefix = request_address(base, "")
    record = records.get(row["url"][len(prefix) :]) if row.get("url", "").startswith(prefix) else None
    date = answer.answered or (record.responded if record else "") or row.get("answered") or today.isoformat()
    quote = " ".join(answer.quote.split())
    row.update(
        status="refused" if answer.finding == "refused" else "answered",
        finding="" if answer.finding == "refused" else answer.finding,
        exemption=answer.exemption if answer.finding == "refused" else "",
        answered=date,
        read=today.isoformat(),
    )
    labels = vocabulary.labels("vendors")
    if answer.finding == "equipment":
        makers = " and ".join(labels.get(v, v) for v in answer.vendors)
        row["outcome"] = f"Equipment found: {makers}" + ("; removal planned." if answer.removal_planned else ".")
    elif answer.finding == "refused":
        row["outcome"] = f"Refused: {vocabulary.label('exemptions', answer.exemption)}."
    elif answer.finding == "none":
        makers = " or ".join(labels.get(v, v) for v in answer.vendors)
        row["outcome"] = f"{vocabulary.label('findings', 'none')}: no {makers}."
    else:
        row["outcome"] = vocabulary.label("findings", answer.finding) + "."
    claims_written: list[str] = []
    if answer.finding in CLAIMING_FINDINGS:
        claims_written = _write_claims(row, answer, tables, vocabulary, record, date, quote, today, authorities)
    row["outcome"] = f"{row['outcome']} The answer says: “{quote}”"
    change = f"Answer read ({row['url']}): {row['outcome']}" + (
        f" New claim(s): {', '.join(claims_written)}." if claims_written else ""
    )
    counts = {"answers read": 1, "new claims": len(claims_written)}
    result = apply_tables(package_dir, tables, expected, change, counts, today=today)
    log.info("answer recorded: request %s (%s): %s; version %s", row["id"], row["url"], row["outcome"], result.version)
    return result
