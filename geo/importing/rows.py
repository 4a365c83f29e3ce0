"""Checking each row of an import and building the candidate package (nothing is written here).

One row of the template describes one body and what the campaign learnt:

* a freedom-of-information request (``foi_status`` and friends), recorded in
  ``foi_requests.csv``. An answer saying "no Hikvision" is a request with its
  finding (``none``) and no claim.
* a claim (``vendor``, ``claim``, ``grade``, ``reported``, ``status``): it
  needs a site (an existing ``site_id``, or a new one) and a source (a new one
  from ``source_*``, or one already in ``sources.csv`` with the same address;
  with an FOI request on the row the source kind defaults to ``foi-response``),
  with the source's own words that support it (``source_quote``), the date
  they were read (``source_checked``) and, where the quote does not name the
  body, why (``source_quote_note``).
  A claim about a council with no postcode is about its area (its estate or
  its CCTV network): the new site stands for the area, never for an invented
  building.

A council is found from its name with mySociety's table of the spellings
people use (:meth:`geo.places.authorities.Authorities.match_name`), or from its GSS
code in ``authority_code``. A name that matches no council is rejected with the
closest names, never guessed. A row about a body that is not a council says
its ``kind``.

Text is stored exactly as typed (cells starting with ``=``, ``+``, ``-`` or
``@`` included; the CSV export neutralises them); only postcodes are respelled
in the standard form, and coded values ("Answered", "Hikvision") are matched
to the schema's values case-insensitively.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from geo.evidence.datapackage import Package, check_package, fingerprint, load_package, package_from_rows
from geo.evidence.vocabulary import Vocabulary, from_descriptor
from geo.importing.report import Duplicate, ImportReport, Issue, RowResult
from geo.importing.sheets import (
    TEMPLATE_CLAIM_COLUMNS,
    TEMPLATE_COLUMNS,
    TEMPLATE_FOI_COLUMNS,
    TEMPLATE_SOURCE_COLUMNS,
    ImportFileError,
    map_columns,
    read_table,
)
from geo.places.authorities import Authorities, Authority, load_authorities
from geo.places.postcodes import Location, remembering

GEOCODE_BATCH = 500
NEW_TABLES = ("sites", "claims", "claim_sources", "sources", "foi_requests")

Geocoder = Callable[[list[str]], list]
Progress = Callable[[int, int], None]

# Template column -> (resource, field) whose schema checks it.
_TARGET_FIELD = {
    "organisation": ("foi_requests", "organisation"),
    "authority_code": ("foi_requests", "authority"),
    "foi_sent": ("foi_requests", "sent"),
    "foi_answered": ("foi_requests", "answered"),
    "foi_url": ("foi_requests", "url"),
    "foi_status": ("foi_requests", "status"),
    "foi_finding": ("foi_requests", "finding"),
    "foi_outcome": ("foi_requests", "outcome"),
    "foi_note": ("foi_requests", "note"),
    "site_id": ("sites", "id"),
    "site_name": ("sites", "name"),
    "kind": ("sites", "kind"),
    "address": ("sites", "address"),
    "postcode": ("sites", "postcode"),
    "precision": ("sites", "precision"),
    "site_note": ("sites", "note"),
    "vendor": ("claims", "vendor"),
    "claim": ("claims", "claim"),
    "grade": ("claims", "grade"),
    "reported": ("claims", "reported"),
    "status": ("claims", "status"),
    "equipment_count": ("claims", "equipment_count"),
    "response": ("claims", "response"),
    "source_title": ("sources", "title"),
    "source_publisher": ("sources", "publisher"),
    "source_published": ("sources", "published"),
    "source_kind": ("sources", "kind"),
    "source_url": ("sources", "url"),
    "source_note": ("sources", "note"),
    "source_quote": ("claim_sources", "quote"),
    "source_checked": ("claim_sources", "checked"),
    "source_quote_note": ("claim_sources", "quote_note"),
}
# Package field -> template column, per resource (to pin check problems on the sheet's columns).
_FIELD_TO_COLUMN: dict[str, dict[str, str]] = {
    "sites": {
        "id": "site_id",
        "name": "site_name",
        "organisation": "organisation",
        "kind": "kind",
        "authority": "authority_code",
        "address": "address",
        "postcode": "postcode",
        "precision": "precision",
        "note": "site_note",
        "lat": "postcode",
        "lon": "postcode",
        "location_source": "source_url",
    },
    "claims": {
        "id": "claim",
        "site": "site_id",
        "vendor": "vendor",
        "claim": "claim",
        "grade": "grade",
        "reported": "reported",
        "status": "status",
        "equipment_count": "equipment_count",
        "response": "response",
    },
    "claim_sources": {
        "claim": "claim",
        "source": "source_title",
        "quote": "source_quote",
        "checked": "source_checked",
        "quote_note": "source_quote_note",
    },
    "foi_requests": {
        "id": "organisation",
        "organisation": "organisation",
        "authority": "authority_code",
        "site": "site_id",
        "law": "organisation",
        "sent": "foi_sent",
        "answered": "foi_answered",
        "url": "foi_url",
        "status": "foi_status",
        "finding": "foi_finding",
        "outcome": "foi_outcome",
        "note": "foi_note",
    },
    "sources": {
        "id": "source_title",
        "title": "source_title",
        "publisher": "source_publisher",
        "published": "source_published",
        "kind": "source_kind",
        "url": "source_url",
        "archive_url": "source_url",
        "note": "source_note",
    },
}
_UK_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATETIME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]00:00(:00)?$")
_DATE_COLUMNS = ("foi_sent", "foi_answered", "reported", "source_published", "source_checked")


# --- Small helpers ----------------------------------------------------------------------
def slugify(text: str, limit: int = 60) -> str:
    """Lower-case ASCII slug (``a-z``, ``0-9``, ``-``) of ``text``; may be empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:limit].rstrip("-")


def unique_id(base: str, taken: set[str], fallback: str) -> str:
    """``base`` (or ``fallback``), with ``-2``, ``-3``… added until it is not in ``taken``; adds it."""
    base = base or fallback
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    taken.add(candidate)
    return candidate


def _normalise_name(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", text).casefold())
    return " ".join(w for w in words if w not in {"the", "of", "and"})


def similarity(a: str, b: str) -> float:
    """How alike two organisation or site names are, 0..1, ignoring case, punctuation and little words."""
    a, b = _normalise_name(a), _normalise_name(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b).ratio()


def _date_value(value: str) -> str:
    """Dates typed the UK way (``26/11/2026``) or with a midnight time, as ISO; others unchanged."""
    match = _UK_DATE_RE.match(value)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            return value
    match = _ISO_DATETIME_RE.match(value)
    return match.group(1) if match else value


def _enum_value(value: str, allowed: Iterable[str]) -> str:
    """The schema's spelling of a coded value typed in another case or with spaces."""
    key = re.sub(r"[\s_]+", "-", value.strip().casefold())
    for option in allowed:
        if option.casefold() == key:
            return option
    return value


def _default_geocoder() -> Geocoder:
    from geo.places.postcodes import get_directory

    return get_directory().lookup_many


def geocode_in_batches(
    postcodes: list[str], geocode: Geocoder, progress: Progress | None = None, batch: int | None = None
) -> list:
    """``geocode`` over ``postcodes`` in batches, calling ``progress(done, total)`` after each."""
    batch = batch or GEOCODE_BATCH
    results: list = []
    total = len(postcodes)
    if progress:
        progress(0, total)
    for start in range(0, total, batch):
        results.extend(geocode(postcodes[start : start + batch]))
        if progress:
            progress(min(start + batch, total), total)
    return results


# --- The rows and what they add ------------------------------------------------------------
@dataclass
class Row:
    """One filled row of the sheet: its number, its values by template column, its result."""

    number: int
    values: dict[str, str]
    result: RowResult
    location: Location | None = None  # of its postcode, if any
    authority: Authority | None = None  # the council it is about, if it is one

    @property
    def has_foi(self) -> bool:
        return any(self.values.get(c) for c in TEMPLATE_FOI_COLUMNS)

    @property
    def has_claim(self) -> bool:
        return any(self.values.get(c) for c in TEMPLATE_CLAIM_COLUMNS)

    def issue(self, column: str, message: str) -> None:
        self.result.issues.append(Issue(self.number, column, message))


@dataclass
class _Candidate:
    """The package as read, and everything the rows add to it or change in it."""

    package: Package
    authorities: Authorities
    vocabulary: Vocabulary
    existing_sites: dict[str, dict[str, str]]
    taken: dict[str, set[str]]
    source_by_url: dict[str, str]
    new_rows: dict[str, list[tuple[dict[str, str], list[int]]]] = field(default_factory=dict)
    new_sites: dict[str, dict[str, str]] = field(default_factory=dict)
    site_origin: dict[str, list[int]] = field(default_factory=dict)
    changed: dict[str, dict[str, str]] = field(default_factory=dict)
    new_sources: dict[str, tuple[dict[str, str], list[int]]] = field(default_factory=dict)

    @classmethod
    def of(cls, package: Package, authorities: Authorities) -> _Candidate:
        return cls(
            package=package,
            authorities=authorities,
            vocabulary=from_descriptor(package.descriptor),
            existing_sites={s["id"]: s for s in package.table("sites").rows},
            taken={
                name: {r["id"] for r in package.table(name).rows}
                for name in ("sites", "claims", "sources", "foi_requests")
            },
            source_by_url={s["url"]: s["id"] for s in package.table("sources").rows if s["url"]},
            new_rows={name: [] for name in NEW_TABLES},
        )


def prepare_import(
    data: bytes,
    filename: str,
    package_dir: Path,
    geocode: Geocoder | None = None,
    progress: Progress | None = None,
    authorities: Authorities | None = None,
) -> ImportReport:
    """Read, check and geocode the file against the package at ``package_dir``; change nothing."""
    report = ImportReport(filename=Path(filename).name or "upload")
    try:
        header, body, report.encoding = read_table(data, filename)
    except ImportFileError as error:
        report.fatal.append(str(error))
        return report
    mapping = map_columns(header)
    report.columns, report.extra_columns, report.absent_columns = mapping.columns, mapping.extra, mapping.absent
    if mapping.missing_required:
        report.fatal.append(
            "required column(s) missing: "
            + ", ".join(mapping.missing_required)
            + ". Use the template's header row (data/templates/foi-import-template.csv)."
        )
        return report
    if "foi_status" not in mapping.index and "claim" not in mapping.index:
        report.fatal.append("the file has neither a foi_status nor a claim column, so no row can record anything")
        return report

    report.package_fingerprint = fingerprint(package_dir)
    package, problems = load_package(package_dir)
    if problems or not package.tables:
        report.package_problems = [str(p) for p in problems] or ["the data package has no tables"]
        return report
    report.package_problems = [str(p) for p in check_package(package)]

    rows = _read_rows(report, header, body, mapping.index)
    candidate = _Candidate.of(package, authorities or load_authorities())
    _normalise_values(rows, package, candidate.vocabulary)
    lookup = remembering(geocode or _default_geocoder())
    _locate_postcodes(rows, lookup, progress)
    _find_councils(rows, candidate)
    for row in rows:
        _add_records(row, candidate)
    tables, origins = _candidate_tables(candidate)
    report.tables = tables
    report.changed_tables = [name for name, table in package.tables.items() if tables[name] != table.rows]
    _check_candidate(report, package, tables, origins, rows)
    order = {column: k for k, column in enumerate(("*",) + TEMPLATE_COLUMNS)}
    for row in rows:
        row.result.issues.sort(key=lambda issue: order.get(issue.field, len(order)))
    _find_duplicates(report, candidate)
    _fill_diff(report, candidate)
    report.preview = _preview(candidate, tables, lookup)
    report.geocoded = dict(lookup.known)
    return report


def _read_rows(report: ImportReport, header: list[str], body, index: dict[str, int]) -> list[Row]:
    """The filled rows (blank ones are counted, not read)."""
    rows: list[Row] = []
    for number, cells in body:
        if not any(c.strip() for c in cells):
            report.blank_rows.append(number)
            continue
        # A line break in a cell is stored as "\n" (a lone "\r" would end the row in the package's CSV).
        values = {
            column: (cells[i].replace("\r\n", "\n").replace("\r", "\n").strip() if i < len(cells) else "")
            for column, i in index.items()
        }
        row = Row(number, values, RowResult(row=number, organisation=values.get("organisation", "")))
        extra_cells = [c for i, c in enumerate(cells) if i >= len(header) and c.strip()]
        if extra_cells:
            row.issue("*", f"row has {len(extra_cells)} filled cell(s) beyond the last column of the header")
        rows.append(row)
        report.rows.append(row.result)
    return rows


def _normalise_values(rows: list[Row], package: Package, vocabulary: Vocabulary) -> None:
    """Coded values in the schema's spelling, dates as ISO, codes in capitals; text untouched.

    A request typed as late (``overdue``: a state worked out from the date sent,
    never stored) is recorded with the status that waits for an answer (``sent``).
    """
    late = vocabulary.key_with("request_states", "late")
    waiting = vocabulary.key_with("request_states", "waiting")
    waits = next(s for s in vocabulary.keys("request_statuses") if vocabulary.request_state_of(s) == waiting)
    enums = {
        column: package.table(resource).field_schema(name).get("constraints", {}).get("enum")
        for column, (resource, name) in _TARGET_FIELD.items()
    }
    for row in rows:
        for column, value in list(row.values.items()):
            if not value:
                continue
            if enums.get(column):
                row.values[column] = _enum_value(value, enums[column])
            elif column in _DATE_COLUMNS:
                row.values[column] = _date_value(value)
            elif column == "authority_code":
                row.values[column] = value.upper()
        if row.values.get("foi_status", "").casefold() == late:
            row.values["foi_status"] = waits
            row.result.records.append(f"foi_status {late} recorded as {waits} ({late} is worked out from foi_sent)")


def _locate_postcodes(rows: list[Row], geocode: Geocoder, progress: Progress | None) -> None:
    """Geocode every postcode in one pass, in batches; respell the ones found."""
    wanted = [row for row in rows if row.values.get("postcode")]
    results = geocode_in_batches([row.values["postcode"] for row in wanted], geocode, progress)
    for row, result in zip(wanted, results):
        if isinstance(result, Exception):
            row.issue("postcode", getattr(result, "reason", str(result)))
        else:
            row.location = result
            row.values["postcode"] = result.postcode
            remembering(geocode, {result.postcode: result})  # as the package writes it: never looked up again


def _is_about_a_council(row: Row, vocabulary: Vocabulary) -> bool:
    kind = row.values.get("kind", "")
    return vocabulary.is_council(kind) or (
        not kind and (bool(row.values.get("authority_code")) or (row.has_foi and not row.has_claim))
    )


def _find_councils(rows: list[Row], candidate: _Candidate) -> None:
    """The council each council row is about: from authority_code, or its name (never guessed)."""
    authorities = candidate.authorities
    for row in rows:
        if not _is_about_a_council(row, candidate.vocabulary):
            continue
        code = row.values.get("authority_code", "")
        if code:
            row.authority = authorities.get(code)
            if row.authority is None:
                row.issue("authority_code", f"{code!r} is not the GSS code of any UK local authority")
            continue
        name = row.values.get("organisation", "")
        if not name:
            continue
        match = authorities.match_name(name)
        if match.authority is not None:
            row.authority = match.authority
            continue
        offered = "; ".join(
            f"{a.name} ({a.gss_code or a.code}{'' if a.current else ', until ' + a.end_date})" for a in match.candidates
        )
        if len(match.candidates) > 1 and _names_alike(name, match.candidates):
            row.issue("organisation", f"{name!r} could be more than one council: {offered}. Give its authority_code.")
        else:
            row.issue(
                "organisation",
                f"no UK council is called {name!r}"
                + (f"; the closest names are: {offered}" if offered else "")
                + ". Correct the name, give its authority_code, or give its kind if it is not a council.",
            )


def _names_alike(name: str, candidates: Iterable[Authority]) -> bool:
    from geo.places.authorities import normalise_name

    key = normalise_name(name)
    return all(key in normalise_name(a.name) or key in normalise_name(a.nice_name) for a in candidates)


def _add_records(row: Row, candidate: _Candidate) -> None:
    """What one row adds: a site and a source for a claim, the claim, and a request."""
    values = row.values
    if not values.get("organisation"):
        row.issue("organisation", "required value is missing: name the public body")
    if not row.has_foi and not row.has_claim:
        row.issue(
            "foi_status", "the row records nothing: give an FOI request (foi_status) or a claim (vendor, claim, ...)"
        )
        return
    if row.has_foi and not values.get("foi_status"):
        row.issue("foi_status", "required for an FOI request: sent, answered, refused or withdrawn")
    if not row.has_claim:
        stray = [
            c
            for c in ("site_name", "address", "precision", "site_note")
            + TEMPLATE_SOURCE_COLUMNS
            + ("source_quote", "source_checked", "source_quote_note")
            if values.get(c)
        ]
        if stray:
            row.issue(
                stray[0], "site and source details are used only with a claim; a request with no claim adds no site"
            )
    site_id = _row_site(row, candidate) if row.has_claim else values.get("site_id", "")
    if row.has_claim:
        source_id = _row_source(row, candidate)
        _add_claim(row, candidate, site_id, source_id)
    if row.has_foi:
        _add_request(row, candidate, site_id)


def _add_claim(row: Row, candidate: _Candidate, site_id: str, source_id: str) -> None:
    values = row.values
    base = slugify(f"{site_id}-{values.get('vendor', '')}-{values.get('reported', '')[:4]}")
    claim = {
        "id": unique_id(base, candidate.taken["claims"], f"claim-row-{row.number}"),
        "site": site_id,
        "vendor": values.get("vendor", ""),
        "claim": values.get("claim", ""),
        "grade": values.get("grade", ""),
        "reported": values.get("reported", ""),
        "status": values.get("status", ""),
        "equipment_count": values.get("equipment_count", ""),
        "response": values.get("response", ""),
    }
    candidate.new_rows["claims"].append((claim, [row.number]))
    if source_id:
        link = {
            "claim": claim["id"],
            "source": source_id,
            "quote": values.get("source_quote", ""),
            "checked": values.get("source_checked", ""),
            "quote_note": values.get("source_quote_note", ""),
        }
        candidate.new_rows["claim_sources"].append((link, [row.number]))
    row.result.records.append(f"new claim {claim['id']}")


def _add_request(row: Row, candidate: _Candidate, site_id: str) -> None:
    values = row.values
    base = slugify(f"foi-{values.get('organisation', '')}-{values.get('foi_sent', '')}")
    request = {
        "id": unique_id(base, candidate.taken["foi_requests"], f"foi-row-{row.number}"),
        "organisation": values.get("organisation", ""),
        "authority": row.authority.gss_code if row.authority else "",
        "site": site_id,
        "law": "",
        "sent": values.get("foi_sent", ""),
        "answered": values.get("foi_answered", ""),
        "url": values.get("foi_url", ""),
        "status": values.get("foi_status", ""),
        "finding": values.get("foi_finding", ""),
        "outcome": values.get("foi_outcome", ""),
        "note": values.get("foi_note", ""),
    }
    candidate.new_rows["foi_requests"].append((request, [row.number]))
    row.result.records.append(f"new FOI request {request['id']}")


def _row_site(row: Row, candidate: _Candidate) -> str:
    """Id of the claim's site: an existing one (possibly changed), or a new one."""
    values, number = row.values, row.number
    vocabulary = candidate.vocabulary
    area_precision = vocabulary.key_with("precisions", "area")
    given = values.get("site_id", "")
    site_fields = {
        "name": values.get("site_name", ""),
        "organisation": values.get("organisation", ""),
        "kind": values.get("kind", "") or (vocabulary.keys_with("kinds", "council")[0] if row.authority else ""),
        "address": values.get("address", ""),
        "postcode": values.get("postcode", ""),
        "precision": values.get("precision", ""),
        "note": values.get("site_note", ""),
    }
    if given and given in candidate.existing_sites:
        current = candidate.existing_sites[given]
        updates = {k: v for k, v in site_fields.items() if v and v != current.get(k, "")}
        if updates.get("postcode") and (current.get("lat") or current.get("lon")):
            updates.update(lat="", lon="")
        if updates:
            previous = candidate.changed.get(given)
            if previous is not None and previous != {**previous, **updates}:
                row.issue("site_id", f"site {given!r} is changed differently on row {candidate.site_origin[given][0]}")
            candidate.changed[given] = {**(previous or {}), **updates}
            candidate.site_origin.setdefault(given, []).append(number)
            row.result.records.append(f"changed site {given}")
        return given
    if given and given in candidate.new_sites:
        first = candidate.new_sites[given]
        differing = [k for k, v in site_fields.items() if v and v != first.get(k, "")]
        if differing:
            column = {"name": "site_name", "note": "site_note"}.get(differing[0], differing[0])
            row.issue(
                column, f"site_id {given!r} is used on row {candidate.site_origin[given][0]} with a different {column}"
            )
        candidate.site_origin[given].append(number)
        return given
    area = row.authority is not None and not site_fields["postcode"]
    if area and site_fields["precision"] not in ("", area_precision):
        row.issue(
            "postcode",
            "a council's building needs its postcode; without one the claim is about the council's area "
            f"(leave precision empty or {area_precision!r})",
        )
    elif not area and not site_fields["postcode"] and not any(i.field == "postcode" for i in row.result.issues):
        row.issue(
            "postcode",
            "a new site needs its postcode (the map places it from the postcode), "
            "or, for a council's estate or network, the council (name or authority_code)",
        )
    if not site_fields["kind"]:
        row.issue("kind", "a new site needs its kind (council, police, nhs, university, government-department, ...)")
    if area and row.authority is not None:
        name = site_fields["name"] or f"{row.authority.name}: its estate and CCTV"
    else:
        name = site_fields["name"] or site_fields["organisation"]
    if given:
        site_id = given
        candidate.taken["sites"].add(given)
    else:
        base = slugify(
            f"{site_fields['organisation']}-{site_fields['name']}"
            if site_fields["name"]
            and _normalise_name(site_fields["name"]) != _normalise_name(site_fields["organisation"])
            else site_fields["organisation"]
        )
        site_id = unique_id(base, candidate.taken["sites"], f"site-row-{number}")
    site = {
        "id": site_id,
        "name": name,
        "organisation": site_fields["organisation"],
        "kind": site_fields["kind"],
        "authority": row.authority.gss_code if row.authority else "",
        "address": site_fields["address"],
        "postcode": site_fields["postcode"],
        # Not said: a site given by its postcode stands in for the body (the vocabulary's import default).
        "precision": area_precision
        if area
        else (site_fields["precision"] or vocabulary.key_with("precisions", "import-default")),
        "lat": "",
        "lon": "",
        "location_source": "",
        "note": site_fields["note"],
    }
    candidate.new_sites[site_id] = site
    candidate.site_origin[site_id] = [number]
    row.result.records.append(f"new site {site_id}")
    return site_id


def _row_source(row: Row, candidate: _Candidate) -> str:
    values, number = row.values, row.number
    url = values.get("source_url", "")
    if url and url in candidate.source_by_url:
        source_id = candidate.source_by_url[url]
        if source_id in candidate.new_sources:
            candidate.new_sources[source_id][1].append(number)
        return source_id
    if not any(values.get(c) for c in TEMPLATE_SOURCE_COLUMNS):
        row.issue("source_title", "a claim needs its source: give source_title, source_publisher and source_url")
        return ""
    kind = values.get("source_kind", "") or ("foi-response" if row.has_foi else "")
    if not kind:
        row.issue("source_kind", "required value is missing (foi-response for an FOI answer, press, ngo, ...)")
    base = slugify(
        f"{values.get('source_publisher', '')}-{values.get('source_published', '')[:4]}-{values.get('source_title', '')}",
        50,
    )
    source = {
        "id": unique_id(base, candidate.taken["sources"], f"source-row-{number}"),
        "title": values.get("source_title", ""),
        "publisher": values.get("source_publisher", ""),
        "published": values.get("source_published", ""),
        "kind": kind,
        "url": url,
        "archive_url": "",
        "note": values.get("source_note", ""),
    }
    candidate.new_sources[source["id"]] = (source, [number])
    if url:
        candidate.source_by_url[url] = source["id"]
    row.result.records.append(f"new source {source['id']}")
    return source["id"]


def _candidate_tables(candidate: _Candidate) -> tuple[dict[str, list[dict[str, str]]], dict[str, dict[int, list[int]]]]:
    """The candidate tables (the package's rows, changed sites updated, new rows appended) and,
    for each table, which sheet rows each package row comes from."""
    for site_id, site in candidate.new_sites.items():
        candidate.new_rows["sites"].append((site, candidate.site_origin[site_id]))
    for source, origin in candidate.new_sources.values():
        candidate.new_rows["sources"].append((source, origin))
    tables: dict[str, list[dict[str, str]]] = {}
    origins: dict[str, dict[int, list[int]]] = {}
    for name, table in candidate.package.tables.items():
        current = [dict(r) for r in table.rows]
        if name == "sites":
            for row in current:
                row.update(candidate.changed.get(row["id"], {}))
        first_new = len(current)
        added = candidate.new_rows.get(name, [])
        current += [r for r, _ in added]
        tables[name] = current
        origins[name] = {first_new + k: origin for k, (_, origin) in enumerate(added)}
        for k, row in enumerate(table.rows):
            if name == "sites" and row["id"] in candidate.changed:
                origins[name][k] = candidate.site_origin.get(row["id"], [])
    return tables, origins


def _check_candidate(report: ImportReport, package: Package, tables, origins, rows: list[Row]) -> None:
    """Run the package check on the candidate tables, in memory, and pin each problem on its sheet rows."""
    by_number = {row.number: row.result for row in rows}
    candidate = package_from_rows(package.descriptor, tables, package.directory)
    lines = {table.path: table.lines for table in candidate.tables.values()}
    problems = check_package(candidate)
    path_to_name = {t.path: n for n, t in package.tables.items()}
    known = set(report.package_problems)
    for problem in problems:
        table_name = path_to_name.get(problem.file, "")
        table_lines = lines.get(problem.file, [])
        position = table_lines.index(problem.line) if problem.line in table_lines else -1
        origin = origins.get(table_name, {}).get(position)
        if origin is None:
            if str(problem) not in known:
                report.package_problems.append(str(problem))
            continue
        column = _FIELD_TO_COLUMN.get(table_name, {}).get(problem.field, problem.field)
        if table_name == "claims" and problem.field == "id" and problem.message.startswith("no source"):
            column = "source_title"  # a claim with no source: said in the sheet's terms already
        message = problem.message
        if table_name == "sources" and problem.field == "url" and "unpublished" in message:
            message = (
                "a claim's source needs its http(s) address (source_url); if it is unpublished, say so in source_note"
            )
        if table_name == "sources" and problem.field == "published" and "note" in message:
            message = "date missing: give source_published, or say in source_note why it is unknown"
        for number in origin:
            issue = Issue(number, column, message)
            if any(i.field == column for i in by_number[number].issues):
                continue  # the row already says what is wrong with this field, in the campaigner's terms
            if issue not in by_number[number].issues:
                by_number[number].issues.append(issue)


def _find_duplicates(report: ImportReport, candidate: _Candidate) -> None:
    """New sites at the postcode of an existing (or earlier new) site with a similar name."""
    seen = list(candidate.existing_sites.values())
    for site_id, site in candidate.new_sites.items():
        for other in seen:
            if not site["postcode"] or other.get("postcode") != site["postcode"]:
                continue
            score = max(
                similarity(site["organisation"], other["organisation"]), similarity(site["name"], other["name"])
            )
            if score >= 0.8:
                report.duplicates.append(
                    Duplicate(
                        row=candidate.site_origin[site_id][0],
                        site_id=site_id,
                        name=site["name"],
                        organisation=site["organisation"],
                        postcode=site["postcode"],
                        existing_id=other["id"],
                        existing_name=other["name"],
                        existing_organisation=other["organisation"],
                        similarity=round(score, 2),
                    )
                )
        seen.append(site)


def _fill_diff(report: ImportReport, candidate: _Candidate) -> None:
    diff, new_rows = report.diff, candidate.new_rows
    diff.new_sites = [r for r, _ in new_rows["sites"]]
    diff.new_claims = [r for r, _ in new_rows["claims"]]
    diff.new_claim_sources = [r for r, _ in new_rows["claim_sources"]]
    diff.new_foi_requests = [r for r, _ in new_rows["foi_requests"]]
    diff.new_sources = [r for r, _ in new_rows["sources"]]
    for site_id, updates in candidate.changed.items():
        for name, value in updates.items():
            diff.changed_sites.append(
                {"id": site_id, "field": name, "old": candidate.existing_sites[site_id].get(name, ""), "new": value}
            )


def _preview(candidate: _Candidate, tables: dict[str, list[dict[str, str]]], geocode: Geocoder) -> list[dict]:
    """The new and changed sites as the build will place them: its own features, from the candidate's rows.

    Only sites that can be placed are drawn: a postcode found (never looked up
    twice), coordinates, or an area whose authority has a point; a site whose
    row was rejected for its postcode, or one not placed, has no marker.
    """
    from geo.evidence.build import site_features

    wanted = set(candidate.new_sites) | set(candidate.changed)
    areas = set(candidate.vocabulary.keys_with("precisions", "area"))
    unplaced = set(candidate.vocabulary.keys_with("precisions", "unplaced"))
    sites = [s for s in tables["sites"] if s["id"] in wanted and s.get("precision") not in unplaced]
    found = dict(
        zip((s["postcode"] for s in sites if s["postcode"]), geocode([s["postcode"] for s in sites if s["postcode"]]))
    )

    def placeable(site: dict[str, str]) -> bool:
        if site["postcode"]:
            return isinstance(found.get(site["postcode"]), Location)
        if site.get("precision") in areas:
            authority = candidate.authorities.get(site.get("authority", "")) if site.get("authority") else None
            return authority is not None and any(
                a.lat is not None and a.lon is not None
                for a in [authority, *candidate.authorities.successors(authority)]
            )
        return bool(site.get("lat") and site.get("lon"))

    sites = [s for s in sites if placeable(s)]
    if not sites:
        return []
    ids = {s["id"] for s in sites}
    claims = [c for c in tables["claims"] if c["site"] in ids]
    claim_ids = {c["id"] for c in claims}
    links = [link for link in tables["claim_sources"] if link["claim"] in claim_ids]
    preview = package_from_rows(
        candidate.package.descriptor,
        {"sites": sites, "claims": claims, "claim_sources": links},
        candidate.package.directory,
    )
    return site_features(preview, geocode, authorities=candidate.authorities)
