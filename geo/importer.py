"""Import freedom-of-information results and claims from a campaigner's spreadsheet.

Two steps, so that nothing changes until a person has read the report:

1. :func:`prepare_import` reads a CSV (UTF-8 with or without a byte-order
   mark, or Windows-1252) or an ``.xlsx`` file, maps its column names onto the
   template (:data:`TEMPLATE_COLUMNS`), checks every row, geocodes postcodes
   offline and returns an :class:`ImportReport`: every row accepted or
   rejected (row numbers as a spreadsheet shows them, the header is row 1),
   likely duplicates of existing sites, and a diff against the package.
2. :func:`apply_import` writes the new package as one unit: a complete copy
   is made next to the data directory, changed, checked with
   :func:`geo.datapackage.check_package`, rebuilt (``build/sites.geojson``),
   and then exchanged with the live directory in one atomic ``renameat2``
   call. A kill at any moment leaves the old package or the new one, never a
   mix. A backup of the old package goes to ``backups/`` (git-ignored), and
   ``CHANGELOG.md`` gets an entry.

One row of the template describes one body and what the campaign learnt:

* an FOI request (``foi_status`` and friends): recorded in ``foi_requests.csv``.
  An answer saying "no Hikvision" is a request with its outcome and no claim.
* a claim (``vendor``, ``claim``, ``grade``, ``reported``, ``status``): needs a
  site (a new one from ``site_name``/``kind``/``postcode``, or an existing
  ``site_id``) and a source (``source_*``; with an FOI request on the row the
  source kind defaults to ``foi-response``; a source whose address is already
  in ``sources.csv`` is reused).

Text is stored exactly as typed (cells starting with ``=``, ``+``, ``-`` or
``@`` included; the CSV export neutralises them); only postcodes are
respelled in the standard form, and coded values ("Answered", "Hikvision")
are matched to the schema's values case-insensitively.
"""

from __future__ import annotations

import csv
import ctypes
import datetime as dt
import difflib
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from geo.datapackage import Package, check_package, load_package

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 200
GEOCODE_BATCH = 500

# The template, in the order of its columns.
TEMPLATE_COLUMNS: tuple[str, ...] = (
    "organisation", "lad_code",
    "foi_sent", "foi_url", "foi_status", "foi_outcome", "foi_note",
    "site_id", "site_name", "kind", "address", "postcode", "precision", "site_note",
    "vendor", "claim", "grade", "reported", "status", "response",
    "source_title", "source_publisher", "source_published", "source_kind", "source_url", "source_note",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("organisation",)
FOI_COLUMNS = ("foi_sent", "foi_url", "foi_status", "foi_outcome", "foi_note")
CLAIM_COLUMNS = ("vendor", "claim", "grade", "reported", "status", "response")
SITE_COLUMNS = ("site_id", "site_name", "kind", "address", "precision", "site_note")
SOURCE_COLUMNS = ("source_title", "source_publisher", "source_published", "source_kind", "source_url", "source_note")
DEFAULT_PRECISION = "headquarters"

# Other spellings of the template's columns. Keys are compared after
# :func:`_header_key` (lower case, letters and digits only).
_ALIASES: dict[str, tuple[str, ...]] = {
    "organisation": ("organisation", "organization", "org", "body", "publicbody", "council", "authority",
                     "organisationname", "organizationname", "nameofbody", "councilname"),
    "lad_code": ("ladcode", "lad", "ladcd", "councilcode", "districtcode", "gsscode", "lacode"),
    "foi_sent": ("foisent", "datesent", "sent", "requestsent", "foidate", "datefoisent", "foirequestsent"),
    "foi_url": ("foiurl", "requesturl", "requestlink", "foilink", "whatdotheyknow", "wdtk", "wdtkurl"),
    "foi_status": ("foistatus", "requeststatus", "foirequeststatus"),
    "foi_outcome": ("foioutcome", "outcome", "answer", "result", "foiresult", "foianswer"),
    "foi_note": ("foinote", "requestnote", "foinotes"),
    "site_id": ("siteid",),
    "site_name": ("sitename", "site", "building", "buildingname", "placename"),
    "kind": ("kind", "sitekind", "kindofsite", "type", "bodytype", "sitetype"),
    "address": ("address", "streetaddress", "siteaddress"),
    "postcode": ("postcode", "postalcode", "sitepostcode"),
    "precision": ("precision", "locationprecision"),
    "site_note": ("sitenote", "locationnote", "sitenotes"),
    "vendor": ("vendor", "manufacturer", "maker", "brand", "make"),
    "claim": ("claim", "finding", "whatwasfound"),
    "grade": ("grade", "evidencegrade"),
    "reported": ("reported", "datereported", "reporteddate", "claimdate"),
    "status": ("status", "claimstatus", "equipmentstatus"),
    "response": ("response", "bodyresponse", "organisationresponse", "organizationresponse"),
    "source_title": ("sourcetitle", "source", "sourcename"),
    "source_publisher": ("sourcepublisher", "publisher"),
    "source_published": ("sourcepublished", "sourcedate", "published", "datepublished", "publisheddate"),
    "source_kind": ("sourcekind", "sourcetype"),
    "source_url": ("sourceurl", "sourcelink", "evidenceurl", "evidencelink", "url", "link"),
    "source_note": ("sourcenote", "sourcenotes"),
}
_ALIAS_TO_COLUMN = {alias: column for column, aliases in _ALIASES.items() for alias in aliases}

# Template column -> (resource, field) whose schema checks it.
_TARGET_FIELD = {
    "organisation": ("foi_requests", "organisation"),
    "lad_code": ("foi_requests", "lad_code"),
    "foi_sent": ("foi_requests", "sent"),
    "foi_url": ("foi_requests", "url"),
    "foi_status": ("foi_requests", "status"),
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
    "response": ("claims", "response"),
    "source_title": ("sources", "title"),
    "source_publisher": ("sources", "publisher"),
    "source_published": ("sources", "published"),
    "source_kind": ("sources", "kind"),
    "source_url": ("sources", "url"),
    "source_note": ("sources", "note"),
}
# Package field -> template column, per resource (to map check problems back to the sheet).
_FIELD_TO_COLUMN: dict[str, dict[str, str]] = {
    "sites": {"id": "site_id", "name": "site_name", "organisation": "organisation", "kind": "kind",
              "address": "address", "postcode": "postcode", "precision": "precision", "note": "site_note",
              "lat": "postcode", "lon": "postcode", "location_source": "source_url"},
    "claims": {"id": "claim", "site": "site_id", "vendor": "vendor", "claim": "claim", "grade": "grade",
               "reported": "reported", "status": "status", "sources": "source_title", "response": "response"},
    "foi_requests": {"id": "organisation", "organisation": "organisation", "lad_code": "lad_code",
                     "site": "site_id", "sent": "foi_sent", "url": "foi_url", "status": "foi_status",
                     "outcome": "foi_outcome", "note": "foi_note"},
    "sources": {"id": "source_title", "title": "source_title", "publisher": "source_publisher",
                "published": "source_published", "kind": "source_kind", "url": "source_url",
                "archive_url": "source_url", "note": "source_note"},
}
_UK_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATETIME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]00:00(:00)?$")

Geocoder = Callable[[list[str]], list]
Progress = Callable[[int, int], None]


class ImportFileError(ValueError):
    """The file as a whole cannot be read (too big, too many rows, not a table)."""


# --- Report ------------------------------------------------------------------------
@dataclass(frozen=True)
class Issue:
    """Why a row was rejected: the spreadsheet row, the template column, the reason."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.message}"


@dataclass
class RowResult:
    row: int
    organisation: str
    issues: list[Issue] = field(default_factory=list)
    records: list[str] = field(default_factory=list)  # what the row adds, e.g. "new claim x"

    @property
    def accepted(self) -> bool:
        return not self.issues


@dataclass(frozen=True)
class Duplicate:
    """A new site that looks like one already in the package (shown, never merged)."""

    row: int
    site_id: str
    name: str
    organisation: str
    postcode: str
    existing_id: str
    existing_name: str
    existing_organisation: str
    similarity: float


@dataclass
class Diff:
    new_sites: list[dict] = field(default_factory=list)
    changed_sites: list[dict] = field(default_factory=list)  # {"id", "field", "old", "new"}
    new_claims: list[dict] = field(default_factory=list)
    new_foi_requests: list[dict] = field(default_factory=list)
    new_sources: list[dict] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "new sites": len(self.new_sites),
            "changed sites": len({c["id"] for c in self.changed_sites}),
            "new claims": len(self.new_claims),
            "new FOI requests": len(self.new_foi_requests),
            "new sources": len(self.new_sources),
        }

    @property
    def empty(self) -> bool:
        return not any(self.counts().values())


@dataclass
class ImportReport:
    filename: str
    encoding: str = ""
    fatal: list[str] = field(default_factory=list)  # the file as a whole was rejected
    columns: dict[str, str] = field(default_factory=dict)  # header as written -> template column
    extra_columns: list[str] = field(default_factory=list)  # ignored, named in the report
    absent_columns: list[str] = field(default_factory=list)  # optional template columns not in the file
    rows: list[RowResult] = field(default_factory=list)
    blank_rows: list[int] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    diff: Diff = field(default_factory=Diff)
    package_problems: list[str] = field(default_factory=list)  # problems already in the package
    locations: dict[str, tuple[float, float, str]] = field(default_factory=dict)  # site id -> lat, lon, lad name
    # What apply writes: resource name -> complete rows, and the package's fingerprint when read.
    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    package_fingerprint: str = ""

    @property
    def accepted(self) -> list[RowResult]:
        return [r for r in self.rows if r.accepted]

    @property
    def rejected(self) -> list[RowResult]:
        return [r for r in self.rows if not r.accepted]

    @property
    def issues(self) -> list[Issue]:
        return [issue for row in self.rows for issue in row.issues]

    @property
    def ok(self) -> bool:
        """True when the file can be applied: read, every row accepted, something to write."""
        return (not self.fatal and not self.package_problems and bool(self.rows)
                and not self.rejected and not self.diff.empty)

    def summary(self) -> str:
        if self.fatal:
            return "File rejected: " + " ".join(self.fatal)
        counts = ", ".join(f"{n} {what}" for what, n in self.diff.counts().items())
        return (f"{len(self.rows)} row(s): {len(self.accepted)} accepted, {len(self.rejected)} rejected"
                f"{f', {len(self.blank_rows)} blank row(s) skipped' if self.blank_rows else ''}. "
                f"{'Would write' if not self.rejected else 'Once every row is accepted, would write'}: {counts}.")

    def text(self) -> str:
        """The whole report as plain text (for the command line)."""
        lines = [f"Import of {self.filename}" + (f" (read as {self.encoding})" if self.encoding else "")]
        lines += [f"FILE: {message}" for message in self.fatal]
        lines += [f"PACKAGE: {problem}" for problem in self.package_problems]
        for header, column in self.columns.items():
            if header != column:
                lines.append(f"column {header!r} read as {column}")
        lines += [f"column {name!r} is not in the template: ignored" for name in self.extra_columns]
        for result in self.rows:
            if result.accepted:
                lines.append(f"row {result.row}: accepted: {'; '.join(result.records)}")
            for issue in result.issues:
                lines.append(f"row {issue.row}: REJECTED: {issue.field}: {issue.message}")
        lines += [f"row {r}: blank, skipped" for r in self.blank_rows]
        for dup in self.duplicates:
            lines.append(
                f"row {dup.row}: possible duplicate: new site {dup.site_id} ({dup.name}, {dup.postcode}) "
                f"looks like existing site {dup.existing_id} ({dup.existing_name}); not merged"
            )
        for change in self.diff.changed_sites:
            lines.append(f"site {change['id']}: {change['field']}: {change['old']!r} -> {change['new']!r}")
        lines.append(self.summary())
        return "\n".join(lines)


# --- Reading -----------------------------------------------------------------------
def _header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKC", name).casefold())


def _decode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), ("UTF-8 with byte-order mark" if data.startswith(b"\xef\xbb\xbf") else "UTF-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"the file is neither UTF-8 nor Windows-1252 text (byte {error.start} cannot be read); "
            "save it as 'CSV UTF-8' and try again"
        ) from None


def _cell_text(value: object) -> str:
    """A spreadsheet cell as text, the way the campaigner typed it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_csv(data: bytes) -> tuple[list[tuple[int, list[str]]], str]:
    text, encoding = _decode(data)
    if "\x00" in text:
        raise ImportFileError("the file contains NUL bytes: it is not a CSV text file")
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        delimiter = ";" if ";" in first_line else ("\t" if "\t" in first_line else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            records.append((number, cells))
            if len(records) > MAX_ROWS + 1 + 1000:  # header, limit, and room for blank lines
                break
    except csv.Error as error:
        raise ImportFileError(f"row {len(records) + 1} cannot be read as CSV: {error}") from None
    return records, encoding


def _read_xlsx(data: bytes) -> tuple[list[tuple[int, list[str]]], str]:
    import zipfile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportFileError(f"the file cannot be read as an Excel .xlsx workbook ({error})") from None
    try:
        sheet = workbook.worksheets[0]
        records: list[tuple[int, list[str]]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values[:MAX_COLUMNS + 1]]
            while cells and cells[-1] == "":
                cells.pop()
            records.append((number, cells))
            if len(records) > MAX_ROWS + 1 + 1000:
                break
    finally:
        workbook.close()
    return records, "Excel workbook (first sheet)"


def read_table(data: bytes, filename: str) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    """Header, data records (spreadsheet row number, cells) and the encoding read.

    Raises :class:`ImportFileError` with a message for the campaigner when the
    file as a whole cannot be used.
    """
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            f"the file is {len(data) / 1024 / 1024:.1f} MB; the limit is {MAX_BYTES // 1024 // 1024} MB. "
            "Split it into smaller files."
        )
    name = filename.lower()
    if name.endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("old Excel .xls files are not read: save it as .xlsx or as CSV UTF-8")
    if name.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        records, encoding = _read_xlsx(data)
    else:
        records, encoding = _read_csv(data)
    while records and not any(c.strip() for c in records[0][1]):
        records.pop(0)
    if not records:
        raise ImportFileError("the file is empty: it has no header row")
    header_row, header = records[0]
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(f"the header has {len(header)} columns; the limit is {MAX_COLUMNS}")
    body = records[1:]
    data_rows = sum(1 for _, cells in body if any(c.strip() for c in cells))
    if data_rows > MAX_ROWS or len(body) > MAX_ROWS + 1000:
        shown = f"{data_rows}" if len(records) <= MAX_ROWS + 1000 else f"more than {MAX_ROWS}"
        raise ImportFileError(f"the file has {shown} rows; the limit is {MAX_ROWS}. Split it into smaller files.")
    return [h.strip() for h in header], body, encoding


@dataclass
class ColumnMap:
    index: dict[str, int]  # template column -> position in the file
    columns: dict[str, str]  # header as written -> template column
    extra: list[str]
    missing_required: list[str]
    absent: list[str]


def map_columns(header: Sequence[str]) -> ColumnMap:
    """Match the file's column names to the template's, ignoring case, spaces and punctuation."""
    index: dict[str, int] = {}
    columns: dict[str, str] = {}
    extra: list[str] = []
    for position, name in enumerate(header):
        column = _ALIAS_TO_COLUMN.get(_header_key(name))
        if column is None or column in index:
            extra.append(name if column is None else f"{name} (a second {column} column)")
            continue
        index[column] = position
        columns[name] = column
    extra = [e if e else f"(unnamed column {header.index(e) + 1})" for e in extra]
    missing = [c for c in REQUIRED_COLUMNS if c not in index]
    absent = [c for c in TEMPLATE_COLUMNS if c not in index and c not in REQUIRED_COLUMNS]
    return ColumnMap(index, columns, extra, missing, absent)


# --- Helpers -----------------------------------------------------------------------
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


def fingerprint(directory: Path) -> str:
    """Hash of the package's descriptor and tables (to notice a change between report and apply)."""
    digest = hashlib.sha256()
    directory = Path(directory)
    try:
        descriptor = json.loads((directory / "datapackage.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    for name in ["datapackage.json", "CHANGELOG.md"] + [r["path"] for r in descriptor.get("resources", [])]:
        path = directory / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def _default_geocoder() -> Geocoder:
    from geo.postcodes import get_directory

    return get_directory().lookup_many


def geocode_in_batches(postcodes: list[str], geocode: Geocoder, progress: Progress | None = None,
                       batch: int | None = None) -> list:
    """``geocode`` over ``postcodes`` in batches, calling ``progress(done, total)`` after each."""
    batch = batch or GEOCODE_BATCH
    results: list = []
    total = len(postcodes)
    if progress:
        progress(0, total)
    for start in range(0, total, batch):
        results.extend(geocode(postcodes[start:start + batch]))
        if progress:
            progress(min(start + batch, total), total)
    return results


# --- Preparing ---------------------------------------------------------------------
@dataclass
class _Origin:
    """Which spreadsheet rows a package row comes from."""

    rows: list[int]


def prepare_import(
    data: bytes,
    filename: str,
    package_dir: Path,
    geocode: Geocoder | None = None,
    progress: Progress | None = None,
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
            "required column(s) missing: " + ", ".join(mapping.missing_required)
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
    report.package_problems = [str(p) for p in check_package(package_dir)]

    rows: list[tuple[int, dict[str, str], RowResult]] = []
    for number, cells in body:
        if not any(c.strip() for c in cells):
            report.blank_rows.append(number)
            continue
        values = {column: (cells[i].strip() if i < len(cells) else "") for column, i in mapping.index.items()}
        result = RowResult(row=number, organisation=values.get("organisation", ""))
        extra_cells = [c for i, c in enumerate(cells) if i >= len(header) and c.strip()]
        if extra_cells:
            result.issues.append(Issue(number, "*", f"row has {len(extra_cells)} filled cell(s) beyond the last column of the header"))
        rows.append((number, values, result))
        report.rows.append(result)

    _build_candidate(report, package, rows, geocode or _default_geocoder(), progress)
    return report


def _schema(package: Package, resource: str, name: str) -> dict:
    return package.table(resource).field_schema(name)


def _build_candidate(report: ImportReport, package: Package, rows: list[tuple[int, dict[str, str], RowResult]],
                     geocode: Geocoder, progress: Progress | None) -> None:
    sites_table, sources_table = package.table("sites"), package.table("sources")
    existing_sites = {s["id"]: s for s in sites_table.rows}
    taken = {name: {r["id"] for r in package.table(name).rows} for name in ("sites", "claims", "sources", "foi_requests")}
    source_by_url = {s["url"]: s["id"] for s in sources_table.rows if s["url"]}
    enums = {column: _schema(package, *_TARGET_FIELD[column]).get("constraints", {}).get("enum")
             for column in _TARGET_FIELD}

    # Normalise coded values and dates as typed; respell postcodes.
    for _, values, _ in rows:
        for column, value in list(values.items()):
            if not value:
                continue
            if enums.get(column):
                values[column] = _enum_value(value, enums[column])
            elif column in ("foi_sent", "reported", "source_published"):
                values[column] = _date_value(value)
            elif column == "lad_code":
                values[column] = value.upper()

    # Geocode every postcode in one pass, in batches.
    postcodes = [values.get("postcode", "") for _, values, _ in rows]
    wanted = [i for i, p in enumerate(postcodes) if p]
    results = geocode_in_batches([postcodes[i] for i in wanted], geocode, progress)
    located: dict[int, object] = {}
    for i, result in zip(wanted, results):
        number, values, row_result = rows[i]
        if isinstance(result, Exception):
            row_result.issues.append(Issue(number, "postcode", getattr(result, "reason", str(result))))
        else:
            located[i] = result
            values["postcode"] = result.postcode

    new_rows: dict[str, list[tuple[dict[str, str], list[int]]]] = {n: [] for n in taken}
    new_sites_by_id: dict[str, dict[str, str]] = {}
    site_origin: dict[str, list[int]] = {}
    changed: dict[str, dict[str, str]] = {}
    new_source_rows: dict[str, tuple[dict[str, str], list[int]]] = {}

    for i, (number, values, result) in enumerate(rows):
        if not values.get("organisation"):
            result.issues.append(Issue(number, "organisation", "required value is missing: name the public body"))
        has_foi = any(values.get(c) for c in FOI_COLUMNS)
        has_claim = any(values.get(c) for c in CLAIM_COLUMNS)
        if not has_foi and not has_claim:
            result.issues.append(Issue(
                number, "foi_status",
                "the row records nothing: give an FOI request (foi_status) or a claim (vendor, claim, ...)",
            ))
            continue
        if has_foi and not values.get("foi_status"):
            result.issues.append(Issue(number, "foi_status", "required for an FOI request: sent, answered, refused or overdue"))
        if not has_claim:
            stray = [c for c in ("site_name", "address", "precision", "site_note") + SOURCE_COLUMNS if values.get(c)]
            if stray:
                result.issues.append(Issue(
                    number, stray[0],
                    "site and source details are used only with a claim; a request with no claim adds no site",
                ))

        # The site the row is about.
        site_id = ""
        if has_claim:
            site_id = _row_site(number, values, result, existing_sites, new_sites_by_id, site_origin, changed,
                                taken["sites"], located.get(i))
        elif values.get("site_id"):
            site_id = values["site_id"]

        # The district of an FOI request: given, or the council's own postcode's district.
        lad_code = values.get("lad_code", "")
        location = located.get(i)
        if has_foi and not lad_code and location is not None and (values.get("kind") == "council"
                                                                 or (site_id in existing_sites and existing_sites[site_id]["kind"] == "council")):
            lad_code = location.lad_code

        # The source behind the claim.
        source_id = ""
        if has_claim:
            source_id = _row_source(number, values, result, has_foi, source_by_url, new_source_rows, taken["sources"])

        if has_claim:
            base = slugify(f"{site_id}-{values.get('vendor', '')}-{values.get('reported', '')[:4]}")
            claim = {
                "id": unique_id(base, taken["claims"], f"claim-row-{number}"),
                "site": site_id,
                "vendor": values.get("vendor", ""),
                "claim": values.get("claim", ""),
                "grade": values.get("grade", ""),
                "reported": values.get("reported", ""),
                "status": values.get("status", ""),
                "sources": source_id,
                "response": values.get("response", ""),
            }
            new_rows["claims"].append((claim, [number]))
            result.records.append(f"new claim {claim['id']}")
        if has_foi:
            base = slugify(f"foi-{values.get('organisation', '')}-{values.get('foi_sent', '')}")
            request = {
                "id": unique_id(base, taken["foi_requests"], f"foi-row-{number}"),
                "organisation": values.get("organisation", ""),
                "lad_code": lad_code,
                "site": site_id,
                "sent": values.get("foi_sent", ""),
                "url": values.get("foi_url", ""),
                "status": values.get("foi_status", ""),
                "outcome": values.get("foi_outcome", ""),
                "note": values.get("foi_note", ""),
            }
            new_rows["foi_requests"].append((request, [number]))
            result.records.append(f"new FOI request {request['id']}")

    for site_id, site in new_sites_by_id.items():
        new_rows["sites"].append((site, site_origin[site_id]))
    for source, origin in new_source_rows.values():
        new_rows["sources"].append((source, origin))

    # The candidate tables: the package's rows, changed sites updated, new rows appended.
    tables: dict[str, list[dict[str, str]]] = {}
    origins: dict[str, dict[int, list[int]]] = {}
    for name, table in package.tables.items():
        current = [dict(r) for r in table.rows]
        if name == "sites":
            for row in current:
                row.update(changed.get(row["id"], {}))
        first_new = len(current)
        current += [r for r, _ in new_rows.get(name, [])]
        tables[name] = current
        origins[name] = {first_new + k: origin for k, (_, origin) in enumerate(new_rows.get(name, []))}
        for k, row in enumerate(table.rows):
            if name == "sites" and row["id"] in changed:
                origins[name][k] = site_origin.get(row["id"], [])
    report.tables = tables

    _check_candidate(report, package, tables, origins, rows)
    order = {column: k for k, column in enumerate(("*",) + TEMPLATE_COLUMNS)}
    for _, _, result in rows:
        result.issues.sort(key=lambda issue: order.get(issue.field, len(order)))
    _find_duplicates(report, sites_table.rows, new_sites_by_id, site_origin)
    _fill_diff(report, existing_sites, changed, new_rows, located, rows, new_sites_by_id)


def _row_site(number, values, result, existing_sites, new_sites_by_id, site_origin, changed, taken, location) -> str:
    """Id of the row's site: an existing one (possibly changed), or a new one."""
    given = values.get("site_id", "")
    site_fields = {
        "name": values.get("site_name", ""),
        "organisation": values.get("organisation", ""),
        "kind": values.get("kind", ""),
        "address": values.get("address", ""),
        "postcode": values.get("postcode", ""),
        "precision": values.get("precision", ""),
        "note": values.get("site_note", ""),
    }
    if given and given in existing_sites:
        current = existing_sites[given]
        updates = {k: v for k, v in site_fields.items() if v and v != current.get(k, "")}
        if updates.get("postcode") and (current.get("lat") or current.get("lon")):
            updates.update(lat="", lon="")
        if updates:
            previous = changed.get(given)
            if previous is not None and previous != {**previous, **updates}:
                result.issues.append(Issue(number, "site_id", f"site {given!r} is changed differently on row {site_origin[given][0]}"))
            changed[given] = {**(previous or {}), **updates}
            site_origin.setdefault(given, []).append(number)
            result.records.append(f"changed site {given}")
        return given
    if given and given in new_sites_by_id:
        first = new_sites_by_id[given]
        differing = [k for k, v in site_fields.items() if v and v != first.get(k, "")]
        if differing:
            column = {"name": "site_name", "note": "site_note"}.get(differing[0], differing[0])
            result.issues.append(Issue(
                number, column,
                f"site_id {given!r} is used on row {site_origin[given][0]} with a different {column}",
            ))
        site_origin[given].append(number)
        return given
    if not values.get("postcode") and not any(i.field == "postcode" for i in result.issues):
        result.issues.append(Issue(number, "postcode", "a new site needs its postcode (the map places it from the postcode)"))
    if not values.get("kind"):
        result.issues.append(Issue(number, "kind", "a new site needs its kind (council, jobcentre, government-department, parliament or other-public-body)"))
    name = site_fields["name"] or site_fields["organisation"]
    if given:
        site_id = given
        taken.add(given)
    else:
        base = slugify(f"{site_fields['organisation']}-{site_fields['name']}" if site_fields["name"]
                       and _normalise_name(site_fields["name"]) != _normalise_name(site_fields["organisation"])
                       else site_fields["organisation"])
        site_id = unique_id(base, taken, f"site-row-{number}")
    site = {
        "id": site_id,
        "name": name,
        "organisation": site_fields["organisation"],
        "kind": site_fields["kind"],
        "address": site_fields["address"],
        "postcode": site_fields["postcode"],
        "precision": site_fields["precision"] or DEFAULT_PRECISION,
        "lat": "",
        "lon": "",
        "location_source": "",
        "note": site_fields["note"],
    }
    new_sites_by_id[site_id] = site
    site_origin[site_id] = [number]
    result.records.append(f"new site {site_id}")
    return site_id


def _row_source(number, values, result, has_foi, source_by_url, new_source_rows, taken) -> str:
    url = values.get("source_url", "")
    if url and url in source_by_url:
        source_id = source_by_url[url]
        if source_id in new_source_rows:
            new_source_rows[source_id][1].append(number)
        return source_id
    if not any(values.get(c) for c in SOURCE_COLUMNS):
        result.issues.append(Issue(number, "source_title", "a claim needs its source: give source_title, source_publisher and source_url"))
        return ""
    kind = values.get("source_kind", "") or ("foi-response" if has_foi else "")
    if not kind:
        result.issues.append(Issue(number, "source_kind", "required value is missing (foi-response for an FOI answer, press, ngo, ...)"))
    base = slugify(f"{values.get('source_publisher', '')}-{values.get('source_published', '')[:4]}-{values.get('source_title', '')}", 50)
    source = {
        "id": unique_id(base, taken, f"source-row-{number}"),
        "title": values.get("source_title", ""),
        "publisher": values.get("source_publisher", ""),
        "published": values.get("source_published", ""),
        "kind": kind,
        "url": url,
        "archive_url": "",
        "note": values.get("source_note", ""),
    }
    new_source_rows[source["id"]] = (source, [number])
    if url:
        source_by_url[url] = source["id"]
    result.records.append(f"new source {source['id']}")
    return source["id"]


def _write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    """One table as the package writes it: UTF-8, LF, minimal quoting."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(h, "") for h in header])
        handle.flush()
        os.fsync(handle.fileno())


def _check_candidate(report: ImportReport, package: Package, tables, origins, rows) -> None:
    """Run the package checker on the candidate tables and pin each problem on its spreadsheet rows."""
    by_number = {number: result for number, _, result in rows}
    with tempfile.TemporaryDirectory(prefix="hikmap-import-check-") as scratch:
        scratch_dir = Path(scratch)
        (scratch_dir / "datapackage.json").write_text(json.dumps(package.descriptor), encoding="utf-8")
        lines: dict[str, list[int]] = {}
        for name, table in package.tables.items():
            _write_csv(scratch_dir / table.path, [f["name"] for f in table.fields], tables[name])
        candidate, _ = load_package(scratch_dir)
        for name, table in candidate.tables.items():
            lines[table.path] = table.lines
        problems = check_package(scratch_dir)
    path_to_name = {t.path: n for n, t in package.tables.items()}
    known = set(report.package_problems)
    for problem in problems:
        name = path_to_name.get(problem.file)
        table_lines = lines.get(problem.file, [])
        position = table_lines.index(problem.line) if problem.line in table_lines else -1
        origin = origins.get(name, {}).get(position)
        if origin is None:
            if str(problem) not in known:
                report.package_problems.append(str(problem))
            continue
        column = _FIELD_TO_COLUMN.get(name, {}).get(problem.field, problem.field)
        message = problem.message
        if name == "sources" and problem.field == "url" and "unpublished" in message:
            message = "a claim's source needs its http(s) address (source_url); if it is unpublished, say so in source_note"
        if name == "sources" and problem.field == "published" and "note" in message:
            message = "date missing: give source_published, or say in source_note why it is unknown"
        for number in origin:
            issue = Issue(number, column, message)
            if any(i.field == column for i in by_number[number].issues):
                continue  # the row already says what is wrong with this field, in the campaigner's terms
            if issue not in by_number[number].issues:
                by_number[number].issues.append(issue)


def _find_duplicates(report: ImportReport, existing: list[dict[str, str]], new_sites: dict[str, dict[str, str]],
                     site_origin: dict[str, list[int]]) -> None:
    """New sites at the postcode of an existing (or earlier new) site with a similar name."""
    seen = list(existing)
    for site_id, site in new_sites.items():
        for other in seen:
            if not site["postcode"] or other.get("postcode") != site["postcode"]:
                continue
            score = max(similarity(site["organisation"], other["organisation"]), similarity(site["name"], other["name"]))
            if score >= 0.8:
                report.duplicates.append(Duplicate(
                    row=site_origin[site_id][0], site_id=site_id, name=site["name"], organisation=site["organisation"],
                    postcode=site["postcode"], existing_id=other["id"], existing_name=other["name"],
                    existing_organisation=other["organisation"], similarity=round(score, 2),
                ))
        seen.append(site)


def _fill_diff(report, existing_sites, changed, new_rows, located, rows, new_sites_by_id) -> None:
    diff = report.diff
    diff.new_sites = [r for r, _ in new_rows["sites"]]
    diff.new_claims = [r for r, _ in new_rows["claims"]]
    diff.new_foi_requests = [r for r, _ in new_rows["foi_requests"]]
    diff.new_sources = [r for r, _ in new_rows["sources"]]
    for site_id, updates in changed.items():
        for name, value in updates.items():
            diff.changed_sites.append({"id": site_id, "field": name, "old": existing_sites[site_id].get(name, ""), "new": value})
    # Where the preview map draws new and changed sites.
    by_postcode = {loc.postcode: loc for loc in located.values()}
    for site_id in list(new_sites_by_id) + list(changed):
        site = new_sites_by_id.get(site_id) or {**existing_sites[site_id], **changed[site_id]}
        location = by_postcode.get(site.get("postcode", ""))
        if location is not None:
            report.locations[site_id] = (location.lat, location.lon, location.lad_name)


# --- Applying ----------------------------------------------------------------------
class ApplyError(RuntimeError):
    pass


@dataclass
class ApplyResult:
    version: str
    date: str
    backup: Path
    files: list[str]
    counts: dict[str, int]
    sites_built: int


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange_directories(a: Path, b: Path) -> None:
    """Swap two directories in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``)."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        raise ApplyError("this system cannot swap directories atomically (no renameat2)")
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        errno = ctypes.get_errno()
        raise ApplyError(f"could not swap {a} and {b}: {os.strerror(errno)}")


def _next_version(directory: Path) -> str:
    from geo.dataset import read_changelog

    entries = read_changelog(directory / "CHANGELOG.md")
    current = entries[0][1] if entries else "1.0.0"
    parts = (current.split(".") + ["0", "0"])[:3]
    try:
        major, minor = int(parts[0]), int(parts[1])
    except ValueError:
        return current + "-import"
    return f"{major}.{minor + 1}.0"


def _safe_filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._ -]", "_", Path(name).name)[:100] or "upload"


def changelog_entry(report: ImportReport, version: str, date: str) -> str:
    counts = report.diff.counts()
    listed = ", ".join(f"{n} {what}" for what, n in counts.items())
    return (f"## {date} — {version}\n\n"
            f"- Imported from `{_safe_filename(report.filename)}`: {listed}.\n\n")


def _insert_changelog(text: str, entry: str) -> str:
    match = re.search(r"^## ", text, re.MULTILINE)
    if match is None:
        return text.rstrip("\n") + "\n\n" + entry
    return text[:match.start()] + entry + text[match.start():]


def _copy_package(source: Path, target: Path) -> None:
    """A complete copy of the data directory; existing backups are hard-linked, not copied."""
    def ignore(directory: str, names: list[str]) -> list[str]:
        return ["backups"] if Path(directory) == source else []

    shutil.copytree(source, target, ignore=ignore, symlinks=True)
    backups = source / "backups"
    if backups.is_dir():
        for path in backups.rglob("*"):
            destination = target / "backups" / path.relative_to(backups)
            if path.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
            else:
                destination.parent.mkdir(parents=True, exist_ok=True)
                os.link(path, destination)


def apply_import(report: ImportReport, package_dir: Path, today: dt.date | None = None,
                 progress: Progress | None = None) -> ApplyResult:
    """Write the report's changes as one atomic unit; see the module docstring.

    Refuses (:class:`ApplyError`) unless every row was accepted and the package
    is unchanged since :func:`prepare_import` read it.
    """
    from geo.build import BuildError, build

    if not report.ok:
        raise ApplyError("nothing is written: the report has rejected rows or problems, or nothing to add")
    package_dir = Path(package_dir).resolve()
    parent = package_dir.parent
    # The lock lives outside the package (which is swapped) and outside the repository.
    lock_path = Path(tempfile.gettempdir()) / f"hikmap-import-{hashlib.sha256(os.fsencode(package_dir)).hexdigest()[:16]}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if fingerprint(package_dir) != report.package_fingerprint:
            raise ApplyError("the data changed since this report was made: upload the file again")
        for stale in parent.glob(f".{package_dir.name}.import-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by an apply that was killed
        date = (today or dt.date.today()).isoformat()
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
        work = parent / f".{package_dir.name}.import-{stamp}"
        try:
            _copy_package(package_dir, work)
            package, _ = load_package(work)
            backup = work / "backups" / stamp
            backup.mkdir(parents=True)
            for name in ["datapackage.json", "CHANGELOG.md"] + [t.path for t in package.tables.values()]:
                if (package_dir / name).is_file():
                    shutil.copy2(package_dir / name, backup / name)
            written = []
            for name, table in package.tables.items():
                rows = report.tables[name]
                if rows != table.rows:
                    _write_csv(work / table.path, [f["name"] for f in table.fields], rows)
                    written.append(table.path)
            version = _next_version(package_dir)
            changelog = work / "CHANGELOG.md"
            old_text = changelog.read_text(encoding="utf-8") if changelog.exists() else "# Change log\n\n"
            changelog.write_text(_insert_changelog(old_text, changelog_entry(report, version, date)), encoding="utf-8")
            descriptor_path = work / "datapackage.json"
            descriptor_text = descriptor_path.read_text(encoding="utf-8")
            descriptor_path.write_text(
                re.sub(r'("version":\s*")[^"]*(")', lambda m: m.group(1) + version + m.group(2), descriptor_text, count=1),
                encoding="utf-8",
            )
            written += ["CHANGELOG.md", "datapackage.json"]
            try:
                collection = build(work, work / "build" / "sites.geojson")
            except BuildError as error:
                raise ApplyError("the new package does not pass the check: "
                                 + "; ".join(str(p) for p in error.problems[:10])) from None
            written.append("build/sites.geojson")
            if fingerprint(package_dir) != report.package_fingerprint:
                raise ApplyError("the data changed while the import was being written: nothing was changed")
            exchange_directories(work, package_dir)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        shutil.rmtree(work, ignore_errors=True)  # now the old package (its backup is kept)
    return ApplyResult(
        version=version, date=date, backup=package_dir / "backups" / stamp, files=written,
        counts=report.diff.counts(), sites_built=len(collection["features"]),
    )


def template_header() -> str:
    return ",".join(TEMPLATE_COLUMNS) + "\n"
