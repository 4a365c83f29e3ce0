"""An Atom feed of the changes in the data package (issue 17), made with feedgen.

One entry for each of:

* **correction** (``corrections.csv``), dated by its ``date``: the title says
  what was corrected, the content what the map said, what it says now and why;
* **release** (``CHANGELOG.md``), dated by its heading: the version, and its
  text as content;
* **answer** to a freedom of information request (``foi_requests.csv`` rows
  with an ``answered`` date), dated by that date: the body, the finding, the
  outcome;
* **claim** (``claims.csv``). A claim has no date on which it was added, and
  none is invented: a claim's entry is dated by the latest ``checked`` date of
  its links to its sources, and says it was "read against its sources on"
  that day. When a claim is read again, its entry (same id) is updated.

Every entry's id is a ``tag:`` URI made of the package's ``name``, the date
of its ``created`` and the row's own id (``tag:NAME,DATE:claim/ID``), so a
feed written again never holds the same change twice under two ids; the
feed's ``updated`` is its newest entry's date (never "now"), so an unchanged
package writes a byte-identical feed.

Links: ``site_url`` is where the published copy is: an absolute http(s)
address (``HIKMAP_PUBLISH_URL``), a relative prefix (``""`` beside the
pages, ``"../"`` one folder down), or ``None`` to leave links out (every
entry has content, so Atom needs none). A link that leaves the site (an
answer's own address) is written only when it is http(s).

All text is data and untrusted: it goes into the XML as text (escaped by
lxml through feedgen), as ``type="text"``, never as markup; characters XML
cannot hold are replaced by U+FFFD.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

import pandas as pd

from geo import settings
from geo.evidence.datapackage import Package, parse_partial_date
from geo.evidence.dataset import Dataset, read_changelog
from geo.outputs.text import safe_url

FEED_FILE = "feed.xml"
COUNCIL_FEEDS_DIR = "feeds"
ATOM_TYPE = "application/atom+xml"
ATOM_NS = "http://www.w3.org/2005/Atom"
AUTHOR = "Hikvision in UK public buildings evidence map"
FOLLOW_TEXT = "Follow changes (Atom feed)"
# Characters XML 1.0 cannot hold at all (C0 controls but tab, line feed and carriage return;
# U+FFFE and U+FFFF; lone surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# On the same date: corrections first, then answers, releases and claims (then by id).
KIND_ORDER = {"correction": 0, "answer": 1, "release": 2, "claim": 3}


@dataclass(frozen=True)
class Entry:
    """One change. ``link`` is a page of the published copy relative to its root, an absolute
    http(s) address elsewhere, or empty; ``councils`` are the GSS codes of the councils whose feed
    carries it (their areas' sites, as the council filter picks them)."""

    kind: str
    key: str
    date: dt.date
    title: str
    content: str
    link: str = ""
    councils: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Changes:
    """Everything a feed is made of: the entries, and what the feed's ids and dates rest on."""

    name: str  # the package's name
    created: dt.date  # the date of the package's ``created``: part of every tag URI
    entries: tuple[Entry, ...]
    last_changed: dt.date | None  # the newest change-log date: the ``updated`` of a feed with no entries


def xml_text(text: object) -> str:
    """``text`` as XML can hold it: characters XML 1.0 forbids become U+FFFD."""
    return _NOT_XML.sub("\ufffd", str(text))


def _day(value: str) -> dt.date | None:
    try:
        return parse_partial_date(value.strip()) if value and value.strip() else None
    except ValueError:
        return None


def _table_link(**params: str) -> str:
    return "table.html?" + urlencode(params)


def _paragraphs(*parts: str) -> str:
    return "\n\n".join(p for p in parts if p)


def _changelog_text(text: str) -> str:
    """A change-log entry as plain text: each bullet on one line (continuation lines joined)."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            if lines and lines[-1] != "":
                lines.append("")
        elif line.startswith("- ") or not lines or lines[-1] == "":
            lines.append(line)
        else:
            lines[-1] += " " + line
    return "\n".join(lines).strip()


def package_changes(
    data: Dataset,
    package: Package,
    request_councils: Callable[[str], Iterable[str]] = lambda code: (code,) if code else (),
) -> Changes:
    """The changes of a package (pure: from the dataset and the package already read).

    ``request_councils`` gives the current councils a request's ``authority``
    code tells about (the council itself, or those that replaced it).
    """
    vocabulary = data.vocabulary
    sites = {row.id: row for row in data.sites.itertuples(index=False)}
    claims = {row.id: row for row in data.claims.itertuples(index=False)}
    sources = {row.id: row for row in data.sources.itertuples(index=False)}

    def site_councils(site_id: str) -> frozenset[str]:
        site = sites.get(site_id)
        return frozenset(site.area_codes) if site is not None else frozenset()

    def site_link(site_id: str) -> str:
        site = sites.get(site_id)
        return _table_link(q=site.name[:200]) if site is not None and site.name.strip() else ""

    entries: list[Entry] = []
    for number, row in enumerate(package.table("corrections").rows):
        day = _day(row.get("date", ""))
        if day is None:
            continue
        subject = row.get("subject", "")
        claim = claims.get(subject)
        if claim is not None:
            site = sites.get(claim.site)
            what = f"the claim about {site.organisation or site.name}" if site is not None else "a claim"
            where, link = site_councils(claim.site), site_link(claim.site)
        elif subject in sites:
            what = f"the site {sites[subject].name}"
            where, link = site_councils(subject), site_link(subject)
        elif subject in sources:
            what = f"the source {sources[subject].title}"
            where, link = frozenset(), "sources.html#source-" + subject
        else:
            what, where, link = "a record no longer in the data", frozenset(), ""
        entries.append(
            Entry(
                "correction",
                row.get("id") or f"row-{number + 2}",
                day,
                f"Correction: {what} ({subject})" if subject else f"Correction: {what}",
                _paragraphs(
                    f"What the map said: {row.get('was', '')}",
                    f"What it says now: {row.get('now', '')}",
                    f"Why: {row.get('why', '')}",
                ),
                link,
                where,
            )
        )

    for date, version, text in read_changelog(data.directory / "CHANGELOG.md"):
        day = _day(date)
        if day is not None:
            entries.append(
                Entry(
                    "release",
                    version,
                    day,
                    f"Data version {version} released",
                    _changelog_text(text) or f"Version {version} of the data.",
                )
            )

    requests = data.foi_requests
    for row in requests.itertuples(index=False) if len(requests) else ():
        day = _day(row.answered)
        if day is None:
            continue
        finding = vocabulary.label("findings", row.finding) if row.finding else ""
        status = vocabulary.label("request_statuses", row.status) if row.status else ""
        councils = frozenset(request_councils(row.authority)) | site_councils(row.site)
        url = safe_url(row.url)
        entries.append(
            Entry(
                "answer",
                row.id,
                day,
                f"{row.organisation} answered a freedom of information request"
                + (f": {finding.lower()}" if finding else ""),
                _paragraphs(
                    f"Body: {row.organisation}.",
                    f"Sent {row.sent or 'on a date not given'}, answered {row.answered}"
                    + (f" ({status.lower()})" if status else "")
                    + ".",
                    f"Finding: {finding}." if finding else "",
                    f"Outcome: {row.outcome}" if row.outcome else "",
                    f"Note: {row.note}" if row.note else "",
                    f"The request and its answer: {url}" if url else "",
                ),
                url,
                councils,
            )
        )

    links: dict[str, list[dict[str, str]]] = {}
    for cited in package.table("claim_sources").rows:
        links.setdefault(cited.get("claim", ""), []).append(cited)
    for claim_id, claim in claims.items():
        read = [(day, cited) for cited in links.get(claim_id, []) if (day := _day(cited.get("checked", "")))]
        if not read:
            continue  # never read against a source: no date to give it, and none is invented
        latest = max(day for day, _ in read)
        site = sites.get(claim.site)
        body = (site.organisation or site.name) if site is not None else claim.site
        count = claim.equipment_count
        facts = [
            f"Evidence grade: {vocabulary.label('grades', claim.grade)}.",
            f"Status: {vocabulary.label('statuses', claim.status)}.",
            f"Reported: {claim.reported}." if claim.reported else "Reported: date not given.",
        ]
        if count is not None and not pd.isna(count):
            facts.append(f"Devices: {int(count)}.")
        quoted = []
        for day, cited in sorted(read, key=lambda pair: pair[1].get("source", "")):
            source = sources.get(cited.get("source", ""))
            named = f"{source.title} ({source.publisher}, {source.published or 'date not given'})" if source else ""
            quote = cited.get("quote", "")
            quoted.append(
                f"- {named or cited.get('source', '')}, read on {day.isoformat()}" + (f": “{quote}”" if quote else "")
            )
        entries.append(
            Entry(
                "claim",
                claim_id,
                latest,
                f"{body}: {vocabulary.label('vendors', claim.vendor)}, "
                f"{vocabulary.label('statuses', claim.status).lower()}",
                _paragraphs(
                    claim.claim,
                    " ".join(facts),
                    f"Response: {claim.response}" if claim.response else "",
                    f"Read against its sources on {latest.isoformat()}:\n" + "\n".join(quoted),
                ),
                site_link(claim.site),
                site_councils(claim.site),
            )
        )

    entries.sort(key=lambda e: (-e.date.toordinal(), KIND_ORDER.get(e.kind, 9), e.key))
    created = _day(str(package.descriptor.get("created", ""))[:10])
    changelog = read_changelog(data.directory / "CHANGELOG.md")
    if created is None:
        # No creation date: the first release's date, which never changes either.
        created = min((d for d in (_day(c[0]) for c in changelog) if d), default=dt.date(2026, 11, 26))
    return Changes(
        name=str(package.descriptor.get("name") or "hikmap"),
        created=created,
        entries=tuple(entries),
        last_changed=max((d for d in (_day(c[0]) for c in changelog) if d), default=None),
    )


def load_changes(data: Dataset, authorities=None) -> Changes:
    """:func:`package_changes` of ``data``'s package, read from its folder.

    With ``authorities`` (:class:`geo.places.authorities.Authorities`), an
    answer from a council merged since also goes to the councils that replaced it.
    """
    from geo.evidence.datapackage import load_package

    package, problems = load_package(data.directory)
    if problems:
        raise ValueError("data package cannot be read: " + "; ".join(map(str, problems[:5])))
    if authorities is None:
        return package_changes(data, package)

    def request_councils(code: str) -> list[str]:
        authority = authorities.get(code) if code else None
        if authority is None:
            return [code] if code else []
        return [code] + [s.gss_code for s in authorities.successors(authority) if s.gss_code]

    return package_changes(data, package, request_councils)


def council_codes(changes: Changes) -> set[str]:
    """The councils that have a feed of their own: any claim or answer about them (or their area)."""
    return {code for e in changes.entries if e.kind in ("claim", "answer") for code in e.councils}


def tag(changes: Changes, specific: str) -> str:
    """A ``tag:`` URI (RFC 4151) from the package's name, its creation date and ``specific``."""
    name = re.sub(r"[^a-z0-9.-]+", "-", changes.name.lower()).strip("-.") or "hikmap"
    return f"tag:{name},{changes.created.isoformat()}:{specific}"


def _href(link: str, site_url: str | None) -> str:
    """An entry's or the feed's link as written: absolute http(s) kept, a site page put under ``site_url``."""
    if not link:
        return ""
    if _SCHEME.match(link) or link.startswith("//"):
        return safe_url(link)
    if site_url is None:
        return ""
    if _SCHEME.match(site_url):
        return f"{site_url.rstrip('/')}/{link}"
    return site_url + link


def _time(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def atom(
    changes: Changes,
    council: str = "",
    council_name: str = "",
    site_url: str | None = None,
) -> bytes:
    """The Atom feed (UTF-8 XML) of ``changes``, or of one council's (``council``: its GSS code).

    ``site_url`` (see the module docstring) is where the published copy's pages are, seen from where
    the feed is served; ``None`` leaves links out.
    """
    from feedgen.feed import FeedGenerator

    if site_url and _SCHEME.match(site_url) and not safe_url(site_url):
        raise ValueError(f"the published copy's address must be http(s), not {site_url!r}")

    entries = [e for e in changes.entries if not council or council in e.councils]
    newest = max((e.date for e in entries), default=changes.last_changed or changes.created)
    generator = FeedGenerator()
    if council:
        generator.id(tag(changes, f"feed/council/{council}"))
        generator.title(xml_text(f"{council_name or council}: changes to the evidence ({settings.SITE_TITLE})"))
        generator.subtitle(
            xml_text(
                f"New and re-read claims about {council_name or council} and the sites in its area, "
                "corrections to them, and its answers to freedom of information requests."
            )
        )
        own, alternate = f"{COUNCIL_FEEDS_DIR}/{council}.xml", _table_link(council=council)
    else:
        generator.id(tag(changes, "feed"))
        generator.title(xml_text(f"Changes: {settings.SITE_TITLE}"))
        generator.subtitle(
            "Corrections, new versions of the data, answers to freedom of information requests, "
            "and claims as they are read against their sources."
        )
        own, alternate = FEED_FILE, "index.html"
    generator.author({"name": AUTHOR})
    generator.language("en-GB")
    generator.rights("The data: CC BY 4.0. The publications it cites keep their own copyright.")
    generator.updated(_time(newest))
    if site_url is not None:
        # Seen from the feed itself: "feeds/CODE.xml" one folder down is "../feeds/CODE.xml".
        generator.link(href=_href(own, site_url), rel="self", type=ATOM_TYPE)
        generator.link(href=_href(alternate, site_url), rel="alternate", type="text/html")
    for entry in entries:
        item = generator.add_entry(order="append")
        item.id(tag(changes, f"{entry.kind}/{entry.key}"))
        item.title(xml_text(entry.title))
        item.updated(_time(entry.date))
        item.content(xml_text(entry.content), type="text")
        href = _href(entry.link, site_url)
        if href:
            item.link(href=href, rel="alternate")
    return generator.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
