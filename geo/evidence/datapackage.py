"""Read and check the evidence data package (``data/``).

The package is a standard Frictionless Data Package: ``datapackage.json``
describes each CSV table with a Table Schema (types, required values, allowed
values, patterns, lengths, unique, primary and foreign keys), and
``frictionless validate data/datapackage.json`` accepts it.
:func:`check_package` lets the ``frictionless`` library apply all of that,
then adds only the project's own rules, which a schema cannot say:

* each file is UTF-8 with the schema's columns, and each row has one cell per column;
* numbers are plain ASCII numbers any reader takes (no ``5_3``, no ``nan``),
  dates are real dates (``2021-02-30`` is not), written ``YYYY-MM-DD``;
* addresses are http(s) with a host; an archived copy is a Wayback Machine capture
  (``https://web.archive.org/web/<14-digit timestamp>/<the page's address>``);
* each claim and each figure rests on at least one source; a published source
  has an address, and a missing date is explained;
* a site can be placed: a postcode that geocodes, coordinates, or (for an area)
  its authority; or it says it is not placed;
* a request's answer comes after it was sent;
* a claim-source link's quote names the body the claim is about (the
  organisation of the claim's site, matched leniently: see
  :func:`quote_names`), unless its ``quote_note`` says why it cannot; the date
  it was checked, like a correction's date, is not in the future;
* a claim that a body does not use the equipment (``not-used``) rests on the
  body's own words: graded ``official`` or ``documented``, never ``reported``.

Each problem names the file, the line where the row starts (the header is
line 1, and a cell spanning lines counts them all) and the field.

A package need not be on disk to be checked: :func:`package_from_rows` makes
one in memory from rows (the importer's candidate), with the lines its files
would have once written by :func:`write_csv`, and :func:`check_package` takes
either a folder or such a package. ``geocode`` can remember what it already
looked up (:func:`geo.places.postcodes.remembering`), so that checking and
building a package geocode each postcode once.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import hashlib
import io
import json
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from geo.evidence.vocabulary import Vocabulary, from_descriptor

DESCRIPTOR = "datapackage.json"
PARTIAL_DATE_RE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
ISO_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# What a CSV reader anywhere takes for a number: ASCII digits, optional sign, point and exponent
# (Python's float() and the decimal module also accept "5_3", "nan" and non-ASCII digits).
NUMBER_RE = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
INTEGER_RE = re.compile(r"^[+-]?[0-9]+$")
# These patterns are used with fullmatch(): "$" alone would also accept a trailing line break.
# Fields whose pattern is a date written at the precision the source gives.
PARTIAL_DATE_PATTERN = "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
# sources.archive_url: a Wayback Machine capture, its 14-digit timestamp, then the page's own address.
ARCHIVE_URL_PATTERN = "^https://web\\.archive\\.org/web/[0-9]{14}/https?://\\S+$"
WAYBACK_COPY_RE = re.compile(r"https://web\.archive\.org/web/([0-9]{14})/(https?://\S+)")
ARCHIVE_URL_WORDS = "https://web.archive.org/web/<14-digit timestamp>/<the page's http(s) address>"
# Dates of things done by the project, which cannot lie ahead: (table, field).
NOT_IN_FUTURE = (("claim_sources", "checked"), ("corrections", "date"))
# Words of an organisation's name that do not tell one body from another. The rest of its words
# are distinctive: a quote names the body if it has any of them.
GENERIC_WORDS = frozenset(
    {
        "council",
        "borough",
        "district",
        "county",
        "city",
        "police",
        "constabulary",
        "service",
        "department",
        "ministry",
        "of",
        "the",
        "and",
        "for",
        "on",
        "upon",
        "in",
        "at",
        "a",
        "an",
        "to",
        "uk",
        "london",
    }
)
CONNECTIVES = frozenset({"of", "the", "and", "for"})


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the package, printed as ``FILE:LINE: FIELD: message``."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


@dataclass
class Table:
    """One resource: its schema and rows (all values as stripped text)."""

    name: str
    path: str
    fields: list[dict]
    rows: list[dict[str, str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # line where each row starts
    header: list[str] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[dict] = field(default_factory=list)

    def field_schema(self, name: str) -> dict:
        return next(f for f in self.fields if f["name"] == name)

    def values(self, column: str) -> Iterable[str]:
        return (row.get(column, "") for row in self.rows)

    def line_of(self, row_number: int) -> int:
        """The file line of frictionless' ``row_number`` (the header is row 1)."""
        index = row_number - 2
        return self.lines[index] if 0 <= index < len(self.lines) else row_number


@dataclass
class Package:
    """A package's descriptor and tables; ``problems`` are those found while reading it (its files)."""

    directory: Path
    descriptor: dict
    tables: dict[str, Table]
    problems: list[Problem] = field(default_factory=list)

    def table(self, name: str) -> Table:
        return self.tables[name]


def parse_partial_date(value: str) -> dt.date:
    """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as the first day it could mean.

    Raises ValueError for anything that is not a real date (``2021-02-30``).
    """
    match = PARTIAL_DATE_RE.fullmatch(value)
    if match is None:
        raise ValueError(f"{value!r} is not a date (expected YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = match.groups()
    try:
        return dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise ValueError(f"{value!r} is not a real date") from None


def is_http_url(value: str) -> bool:
    """True for an absolute http(s) address with a host and no spaces."""
    if not value or any(ch.isspace() for ch in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def is_wayback_copy(value: str) -> bool:
    """True for a Wayback Machine capture as ``archive_url`` records it: :data:`ARCHIVE_URL_WORDS`,
    the timestamp a real moment (``YYYYMMDDhhmmss``) and the page's address http(s) with a host."""
    match = WAYBACK_COPY_RE.fullmatch(value)
    if match is None:
        return False
    try:
        dt.datetime.strptime(match.group(1), "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return is_http_url(match.group(2))


@contextlib.contextmanager
def package_lock(directory: Path) -> Iterator[None]:
    """Hold the package's write lock: one writer at a time (an import, an archive run).

    The lock file lives outside the package (which an import swaps whole) and outside the repository.
    """
    name = f"hikmap-import-{hashlib.sha256(os.fsencode(Path(directory).resolve())).hexdigest()[:16]}.lock"
    with open(Path(tempfile.gettempdir()) / name, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _words(text: str) -> list[str]:
    """Lower-case words of ``text``, accents removed ("Ynys Môn" -> ["ynys", "mon"])."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return re.findall(r"[a-z0-9]+", "".join(ch for ch in folded if not unicodedata.combining(ch)))


def distinctive_words(organisation: str) -> list[str]:
    """The words of an organisation's name that tell it apart (not "Council", "Police", "of" ...).

    A name made only of such words ("UK Government") keeps all but the connectives.
    """
    words = _words(organisation)
    return [w for w in words if w not in GENERIC_WORDS] or [w for w in words if w not in CONNECTIVES]


def quote_names(quote: str, organisation: str) -> bool:
    """True if ``quote`` names ``organisation``, leniently.

    Any distinctive word of the name will do, in any case and with or without
    accents ("Moray" names The Moray Council, "Edinburgh" the City of
    Edinburgh Council, "Hammersmith" the London Borough of Hammersmith &
    Fulham); so will a longer word it starts ("parliamentary" names the UK
    Parliament). Short forms that cannot be derived from the name's words
    (initials such as "DWP" or "HDC") do not count: the link's ``quote_note``
    says what they stand for.
    """
    quoted = set(_words(quote))
    for word in distinctive_words(organisation):
        if word in quoted or (len(word) >= 4 and any(q.startswith(word) for q in quoted)):
            return True
    return False


def links(package: Package, table: str, key: str, value: str) -> dict[str, list[str]]:
    """A link table as ``key`` -> its ``value`` ids, in file order (e.g. claim -> sources)."""
    found: dict[str, list[str]] = {}
    if table in package.tables:
        for row in package.tables[table].rows:
            found.setdefault(row[key], []).append(row[value])
    return found


# --- Reading ----------------------------------------------------------------------------
def _read_csv(path: Path, table: Table, problems: list[Problem]) -> None:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problems.append(Problem(path.name, 1, "*", f"not UTF-8 text ({error.reason} at byte {error.start})"))
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        problems.append(Problem(path.name, 1, "*", "empty file: the header row is missing"))
        return
    except csv.Error as error:
        problems.append(Problem(path.name, 1, "*", f"unreadable header: {error}"))
        return
    table.header = [h.strip() for h in header]
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(Problem(path.name, start, "*", f"unreadable row: {error}"))
            break
        if not any(c.strip() for c in cells):
            start = reader.line_num + 1
            continue  # a blank line is not a row
        if len(cells) != len(table.header):
            problems.append(
                Problem(
                    path.name,
                    start,
                    "*",
                    f"row has {len(cells)} cells but the header has {len(table.header)}",
                )
            )
        table.rows.append({h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(table.header)})
        table.lines.append(start)
        start = reader.line_num + 1


def load_package(directory: Path) -> tuple[Package, list[Problem]]:
    """Read the descriptor and every table it lists; problems found while reading."""
    directory = Path(directory)
    problems: list[Problem] = []
    descriptor_path = directory / DESCRIPTOR
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Package(directory, {}, {}), [Problem(DESCRIPTOR, 1, "*", f"no {DESCRIPTOR} in {directory}")]
    except json.JSONDecodeError as error:
        return Package(directory, {}, {}), [Problem(DESCRIPTOR, error.lineno, "*", f"invalid JSON: {error.msg}")]
    tables: dict[str, Table] = {}
    for resource in descriptor.get("resources", []):
        table = _empty_table(resource)
        path = directory / resource["path"]
        if not path.is_file():
            problems.append(Problem(resource["path"], 1, "*", "file listed in datapackage.json is missing"))
        else:
            _read_csv(path, table, problems)
        tables[table.name] = table
    return Package(directory, descriptor, tables, list(problems)), problems


def _empty_table(resource: dict) -> Table:
    schema = resource.get("schema", {})
    primary_key = schema.get("primaryKey", [])
    return Table(
        name=resource["name"],
        path=resource["path"],
        fields=schema.get("fields", []),
        primary_key=[primary_key] if isinstance(primary_key, str) else list(primary_key),
        foreign_keys=schema.get("foreignKeys", []),
    )


def _csv_line(cells: list[str]) -> str:
    """One row as :func:`write_csv` writes it (UTF-8 text, LF, minimal quoting)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def package_from_rows(descriptor: dict, rows: dict[str, list[dict[str, str]]], directory: Path) -> Package:
    """A package in memory: ``descriptor`` with each resource's ``rows`` (by resource name; none: empty).

    The same package :func:`load_package` would read once :func:`write_csv` had
    written every table under ``directory``: values stripped, a row starting on
    the line it would start on (a value with line breaks spans lines), and
    blank rows skipped. Nothing is written or read.
    """
    tables: dict[str, Table] = {}
    for resource in descriptor.get("resources", []):
        table = _empty_table(resource)
        table.header = [f["name"] for f in table.fields]
        line = 2
        for row in rows.get(table.name, []):
            cells = [str(row.get(name, "") or "") for name in table.header]
            spans = len(io.StringIO(_csv_line(cells), newline="").readlines())
            if any(c.strip() for c in cells):
                table.rows.append({name: cell.strip() for name, cell in zip(table.header, cells)})
                table.lines.append(line)
            line += spans
        tables[table.name] = table
    return Package(Path(directory), descriptor, tables)


# --- Writing ------------------------------------------------------------------------------
def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    """One table as the package writes it: UTF-8, LF, minimal quoting, flushed to disk."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for cells in [header] + [[row.get(h, "") for h in header] for row in rows]:
            handle.write(_csv_line([str(c) for c in cells]))
        handle.flush()
        os.fsync(handle.fileno())


def fingerprint(directory: Path) -> str:
    """Hash of the package's descriptor, change log and tables (to notice a change between two moments)."""
    digest = hashlib.sha256()
    directory = Path(directory)
    try:
        descriptor = json.loads((directory / DESCRIPTOR).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    for name in [DESCRIPTOR, "CHANGELOG.md"] + [r["path"] for r in descriptor.get("resources", [])]:
        path = directory / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


# --- The standard's checks, by frictionless ------------------------------------------------
_TYPE_WORDS = {
    "number": "a number",
    "integer": "a whole number",
    "date": "a date (YYYY-MM-DD)",
    "boolean": "true or false",
}
_CONSTRAINT_RE = re.compile(r'constraint "(\w+)"')


def _constraint_message(cell: str, spec: dict, constraint: str) -> str:
    limits = spec.get("constraints", {})
    if constraint == "required":
        return "required value is missing"
    if constraint == "enum":
        return f"{cell!r} is not one of: {', '.join(limits['enum'])}"
    if constraint == "maxLength":
        return f"{len(cell)} characters, more than the {limits['maxLength']} allowed"
    if constraint == "minimum":
        return f"{cell} is below the minimum {limits['minimum']}"
    if constraint == "maximum":
        return f"{cell} is above the maximum {limits['maximum']}"
    if constraint == "unique":
        return f"{cell!r} is used more than once"
    if constraint == "pattern":
        pattern = limits["pattern"]
        if pattern == ARCHIVE_URL_PATTERN:
            return _archive_words(cell)
        if pattern.startswith("^https?"):
            return f"{cell!r} is not an http(s) address"
        if pattern == PARTIAL_DATE_PATTERN:
            return f"{cell!r} is not a date (expected YYYY, YYYY-MM or YYYY-MM-DD)"
        return f"{cell!r} does not match the pattern {pattern}"
    return f"{cell!r} breaks the {constraint} constraint"


def _archive_words(value: str) -> str:
    if not is_http_url(value):
        return f"{value!r} is not an http(s) address"
    return f"{value!r} is not a Wayback Machine copy: give its address as {ARCHIVE_URL_WORDS}"


def _standard_problems(package: Package) -> list[Problem]:
    """What frictionless finds, with each error put on its file, line and field.

    The rows go to frictionless as read here (stripped, blank lines skipped,
    columns in the schema's order), so its row numbers map back to lines.
    """
    from frictionless import Package as FrictionlessPackage

    resources = []
    present = {name for name, table in package.tables.items() if table.header}
    for resource in package.descriptor.get("resources", []):
        table = package.tables.get(resource["name"])
        if table is None or not table.header:
            continue
        names = [f["name"] for f in table.fields]
        described = {k: v for k, v in resource.items() if k not in ("path", "format", "mediatype", "encoding")}
        # A link to a table whose file is missing (already reported) is not checked.
        schema = dict(described["schema"])
        schema["foreignKeys"] = [
            key
            for key in schema.get("foreignKeys", [])
            if key["reference"]["resource"] in ("", resource["name"]) or key["reference"]["resource"] in present
        ]
        described["schema"] = schema
        described["data"] = [names] + [[row.get(n, "") for n in names] for row in table.rows]
        resources.append(described)
    report = FrictionlessPackage({"resources": resources}).validate(limit_errors=100_000)
    problems: list[Problem] = []
    for task in report.tasks:
        table = package.tables[task.name]
        for error in task.errors:
            line = table.line_of(error.row_number) if getattr(error, "row_number", None) else 1
            cell = str(getattr(error, "cell", "") or "")
            name = getattr(error, "field_name", None) or "*"
            if error.type == "type-error":
                spec = table.field_schema(name)
                problems.append(
                    Problem(table.path, line, name, f"{cell!r} is not {_TYPE_WORDS.get(spec['type'], spec['type'])}")
                )
            elif error.type == "constraint-error":
                match = _CONSTRAINT_RE.search(error.note)
                problems.append(
                    Problem(
                        table.path,
                        line,
                        name,
                        _constraint_message(cell, table.field_schema(name), match.group(1) if match else "?"),
                    )
                )
            elif error.type in ("unique-error", "primary-key"):
                first = re.search(r"position (\d+)", error.note)
                key_fields = [name] if name != "*" else table.primary_key
                names = [f["name"] for f in table.fields]  # the order the rows were given in
                value = (
                    ", ".join(repr(error.cells[names.index(k)]) for k in key_fields if k in names)
                    if name == "*"
                    else repr(cell)
                )
                where = f" on line {table.line_of(int(first.group(1)))}" if first else ""
                problems.append(
                    Problem(table.path, line, key_fields[0] if key_fields else "*", f"{value} is already used{where}")
                )
            elif error.type == "foreign-key":
                problems.extend(_foreign_key_problem(package, table, line, error.note))
            else:
                problems.append(Problem(table.path, line, name, f"{error.title}: {error.note}".strip(": ")))
    return problems


_FOREIGN_KEY_NOTE = re.compile(r'for "([^"]+)": values "([^"]*)" not found in the lookup table "([^"]*)"')


def _foreign_key_problem(package: Package, table: Table, line: int, note: str) -> list[Problem]:
    match = _FOREIGN_KEY_NOTE.search(note)
    if match is None:
        return [Problem(table.path, line, "*", f"broken link to another table: {note}")]
    fields, values, target = match.groups()
    target_path = package.tables[target].path if target in package.tables else table.path
    return [Problem(table.path, line, fields.split(",")[0], f"{values!r} is not an id in {target_path}")]


# --- The project's own rules --------------------------------------------------------------
def _check_header(table: Table) -> list[Problem]:
    expected = [f["name"] for f in table.fields]
    problems = [
        Problem(table.path, 1, name, "column missing from the header") for name in expected if name not in table.header
    ]
    problems += [
        Problem(table.path, 1, name, "column not in the schema") for name in table.header if name not in expected
    ]
    return problems


def _check_values(table: Table) -> list[Problem]:
    """Plain ASCII numbers, real dates and http(s) addresses with a host."""
    problems = []
    for spec in table.fields:
        name, kind = spec["name"], spec.get("type", "string")
        pattern = spec.get("constraints", {}).get("pattern", "")
        for row, line in zip(table.rows, table.lines):
            value = row.get(name, "")
            if not value:
                continue
            reason = None
            if kind == "number" and (not NUMBER_RE.fullmatch(value) or not math.isfinite(float(value))):
                reason = f"{value!r} is not a number"
            elif kind == "integer" and not INTEGER_RE.fullmatch(value):
                reason = f"{value!r} is not a whole number"
            elif kind == "date" and not ISO_DATE_RE.fullmatch(value):
                reason = f"{value!r} is not a date (YYYY-MM-DD)"
            elif kind == "date":
                try:
                    dt.date.fromisoformat(value)
                except ValueError:
                    reason = f"{value!r} is not a real date"
            elif pattern == PARTIAL_DATE_PATTERN and PARTIAL_DATE_RE.fullmatch(value):
                try:
                    parse_partial_date(value)
                except ValueError as error:
                    reason = str(error)
            elif pattern.startswith("^https?") and re.fullmatch(pattern, value) and not is_http_url(value):
                reason = f"{value!r} is not an http(s) address"
            elif pattern == ARCHIVE_URL_PATTERN and not is_wayback_copy(value):
                reason = _archive_words(value)
            if reason:
                problems.append(Problem(table.path, line, name, reason))
    return problems


def _check_sources(table: Table) -> list[Problem]:
    problems = []
    for row, line in zip(table.rows, table.lines):
        if not row.get("url") and "unpublished" not in row.get("note", "").lower():
            problems.append(
                Problem(
                    table.path,
                    line,
                    "url",
                    "a published source needs its http(s) address; leave it empty only for an "
                    "unpublished source and say so in the note",
                )
            )
        if not row.get("published") and not row.get("note"):
            problems.append(
                Problem(table.path, line, "published", "date missing: give it, or say in the note why it is unknown")
            )
    return problems


def _check_each_has_a_source(package: Package, table: str, link_table: str, key: str) -> list[Problem]:
    if table not in package.tables or link_table not in package.tables:
        return []
    cited = set(package.tables[link_table].values(key))
    target = package.tables[table]
    return [
        Problem(target.path, line, "id", f"no source: add a row for it to {package.tables[link_table].path}")
        for row, line in zip(target.rows, target.lines)
        if row.get("id") and row["id"] not in cited
    ]


def _check_sites(
    table: Table, geocode: Callable[[list[str]], list] | None, vocabulary: Vocabulary | None
) -> list[Problem]:
    problems = []
    postcodes: list[tuple[int, str]] = []
    # Which precisions stand for an area and which for a body not placed: the vocabulary's roles.
    areas = set(vocabulary.keys_with("precisions", "area")) if vocabulary else set()
    unplaced = set(vocabulary.keys_with("precisions", "unplaced")) if vocabulary else set()
    for row, line in zip(table.rows, table.lines):
        has_coordinates = bool(row.get("lat") or row.get("lon"))
        if vocabulary is None and not (row.get("postcode") or has_coordinates):
            continue  # which precisions need no postcode is unknown: the vocabulary's problem says why
        if row.get("precision") in unplaced:
            if row.get("postcode") or has_coordinates or row.get("authority"):
                problems.append(
                    Problem(
                        table.path,
                        line,
                        "precision",
                        "a site with a postcode, coordinates or an area is placed: give its precision",
                    )
                )
            continue
        if row.get("precision") in areas:
            if not row.get("authority"):
                problems.append(
                    Problem(table.path, line, "authority", "a site that stands for an area needs its authority")
                )
            if row.get("postcode") or has_coordinates:
                problems.append(
                    Problem(
                        table.path,
                        line,
                        "precision",
                        "an area is placed from its authority: leave postcode, lat and lon empty",
                    )
                )
            continue
        if row.get("postcode"):
            postcodes.append((line, row["postcode"]))
            if has_coordinates:
                problems.append(
                    Problem(table.path, line, "lat", "coordinates are given only where there is no postcode")
                )
        elif not (row.get("lat") and row.get("lon")):
            problems.append(Problem(table.path, line, "postcode", "a site needs a postcode, or both lat and lon"))
    if geocode and postcodes:
        for (line, _raw), result in zip(postcodes, geocode([p for _, p in postcodes])):
            if isinstance(result, Exception):
                problems.append(Problem(table.path, line, "postcode", getattr(result, "reason", str(result))))
    return problems


def _check_requests(table: Table, vocabulary: Vocabulary | None) -> list[Problem]:
    """Dates in order, and a status that fits the answer: which statuses wait for an answer (their
    state has the role ``waiting``) and which say nothing (their state gives no area status) is the
    vocabulary's to say."""
    waiting: list[str] = []
    silent: list[str] = []
    answering: list[str] = []
    for term in vocabulary.request_statuses if vocabulary else ():
        state = vocabulary.term("request_states", vocabulary.request_state_of(term.key)) if vocabulary else None
        if state is not None and state.has("waiting"):
            waiting.append(term.key)
        elif state is not None and not state.area_status:
            silent.append(term.key)
        else:
            answering.append(term.key)
    answers = " or ".join(answering)
    problems = []
    for row, line in zip(table.rows, table.lines):
        sent, answered = row.get("sent", ""), row.get("answered", "")
        if answered and sent and ISO_DATE_RE.fullmatch(sent) and ISO_DATE_RE.fullmatch(answered) and answered < sent:
            problems.append(Problem(table.path, line, "answered", "the answer is dated before the request was sent"))
        status = row.get("status", "")
        if status in waiting and (answered or row.get("finding")):
            problems.append(Problem(table.path, line, "status", f"a request with an answer is {answers}, not {status}"))
        if row.get("finding") and status in silent:
            problems.append(Problem(table.path, line, "finding", f"a finding needs an answer: status {answers}"))
    return problems


def _check_request_kinds(package: Package) -> list[Problem]:
    """A request's kind of body is one of the site kinds (one list, in sites.kind)."""
    if "sites" not in package.tables:
        return []
    table = package.tables["foi_requests"]
    kinds = package.tables["sites"].field_schema("kind").get("constraints", {}).get("enum", [])
    return [
        Problem(table.path, line, "kind", f"{row['kind']!r} is not one of: {', '.join(kinds)}")
        for row, line in zip(table.rows, table.lines)
        if row.get("kind") and row["kind"] not in kinds
    ]


def _check_not_in_future(package: Package, today: dt.date) -> list[Problem]:
    problems = []
    for name, column in NOT_IN_FUTURE:
        table = package.tables.get(name)
        if table is None:
            continue
        for row, line in zip(table.rows, table.lines):
            value = row.get(column, "")
            if ISO_DATE_RE.fullmatch(value):
                try:
                    day = dt.date.fromisoformat(value)
                except ValueError:
                    continue  # reported as not a real date
                if day > today:
                    problems.append(Problem(table.path, line, column, f"{value} is in the future (today is {today})"))
    return problems


def _check_not_used_grades(table: Table, vocabulary: Vocabulary) -> list[Problem]:
    """A claim that a body does not use the equipment rests on the body's own words.

    Which statuses say so (role ``absence``) and which grades are a body's own
    words (role ``own-words``) come from the vocabulary, not from this code.
    """
    absent = set(vocabulary.keys_with("statuses", "absence"))
    own_words = vocabulary.keys_with("grades", "own-words")
    return [
        Problem(
            table.path,
            line,
            "grade",
            f"a '{row.get('status')}' claim must rest on the body's own words: grade it "
            f"{' or '.join(own_words)}, not {row.get('grade')!r}",
        )
        for row, line in zip(table.rows, table.lines)
        if row.get("status") in absent and row.get("grade") and row.get("grade") not in own_words
    ]


def _check_quotes_name_the_body(package: Package) -> list[Problem]:
    """Each link's quote names the organisation of its claim's site, unless quote_note says why not."""
    if not all(name in package.tables for name in ("claim_sources", "claims", "sites")):
        return []
    site_of = {c.get("id"): c.get("site") for c in package.tables["claims"].rows}
    organisation_of = {s.get("id"): s.get("organisation", "") for s in package.tables["sites"].rows}
    table = package.tables["claim_sources"]
    problems = []
    for row, line in zip(table.rows, table.lines):
        organisation = organisation_of.get(site_of.get(row.get("claim")))
        quote = row.get("quote", "")
        if not organisation or not quote or row.get("quote_note"):
            continue  # a broken link or a missing quote is reported already
        if not quote_names(quote, organisation):
            problems.append(
                Problem(
                    table.path,
                    line,
                    "quote",
                    f"the quote does not name {organisation!r}, the body the claim is about: quote a passage "
                    "that does, or say in quote_note why it cannot",
                )
            )
    return problems


def check_package(
    source: Path | Package,
    geocode: Callable[[list[str]], list] | None = None,
    today: dt.date | None = None,
) -> list[Problem]:
    """Every problem in the data package ``source``, sorted by file and line.

    ``source`` is the package's folder, or a package already read or made in
    memory (:func:`load_package`, :func:`package_from_rows`; the problems found
    reading it come too). ``geocode`` maps a list of postcodes to locations or
    exceptions (normally :meth:`geo.places.postcodes.PostcodeDirectory.lookup_many`,
    or one that remembers what it looked up); without it postcodes are not looked up. ``today`` (default: the real date)
    is the last day a checked date may be.
    """
    if isinstance(source, Package):
        package, problems = source, list(source.problems)
    else:
        package, problems = load_package(source)
    vocabulary = None
    if package.descriptor.get("resources"):
        try:
            vocabulary = from_descriptor(package.descriptor)
        except (ValueError, KeyError) as error:
            problems.append(Problem(DESCRIPTOR, 1, "*", f"the vocabulary cannot be read: {error}"))
    for table in package.tables.values():
        if table.header:
            problems += _check_header(table)
            problems += _check_values(table)
    if package.tables:
        problems += _standard_problems(package)
    if "sources" in package.tables:
        problems += _check_sources(package.tables["sources"])
    problems += _check_each_has_a_source(package, "claims", "claim_sources", "claim")
    problems += _check_each_has_a_source(package, "figures", "figure_sources", "figure")
    if "sites" in package.tables:
        problems += _check_sites(package.tables["sites"], geocode, vocabulary)
    if "foi_requests" in package.tables:
        problems += _check_requests(package.tables["foi_requests"], vocabulary)
        problems += _check_request_kinds(package)
    if "claims" in package.tables and vocabulary is not None:
        problems += _check_not_used_grades(package.tables["claims"], vocabulary)
    problems += _check_quotes_name_the_body(package)
    problems += _check_not_in_future(package, today or dt.date.today())
    # One problem per cell: the first found (the project's plainer words come first above).
    seen: set[tuple[str, int, str]] = set()
    unique = []
    for problem in problems:
        key = (problem.file, problem.line, problem.field)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return sorted(unique)
