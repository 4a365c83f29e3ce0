"""Read and check the evidence data package (``data/``).

The package follows the Frictionless Data Package layout: ``datapackage.json``
describes each CSV table with a schema (field types, allowed values, patterns,
keys). :func:`check_package` applies that schema to every row, then the rules
the schema cannot express (a published source needs an address, a site needs
a postcode or coordinates, postcodes must geocode). Each problem names the
file, the line where the row starts (the header is line 1) and the field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import urlsplit

DESCRIPTOR = "datapackage.json"
PARTIAL_DATE_RE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
# What a CSV reader anywhere takes for a number: ASCII digits, optional sign, point and exponent
# (Python's float() would also accept "5_3" and non-ASCII digits).
NUMBER_RE = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


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
    primary_key: str | None = None
    foreign_keys: list[dict] = field(default_factory=list)

    def field_schema(self, name: str) -> dict:
        return next(f for f in self.fields if f["name"] == name)

    def values(self, column: str) -> Iterable[str]:
        return (row.get(column, "") for row in self.rows)


@dataclass
class Package:
    directory: Path
    descriptor: dict
    tables: dict[str, Table]

    def table(self, name: str) -> Table:
        return self.tables[name]


def split_multi(value: str, separator: str) -> list[str]:
    """Values of a multi-valued cell (``"a;b"`` -> ``["a", "b"]``), blanks kept out."""
    return [part.strip() for part in value.split(separator) if part.strip()]


def parse_partial_date(value: str) -> dt.date:
    """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as the first day it could mean.

    Raises ValueError for anything that is not a real date (``2021-02-30``).
    """
    match = PARTIAL_DATE_RE.match(value)
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
            problems.append(Problem(
                path.name, start, "*",
                f"row has {len(cells)} cells but the header has {len(table.header)}",
            ))
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
        schema = resource.get("schema", {})
        table = Table(
            name=resource["name"],
            path=resource["path"],
            fields=schema.get("fields", []),
            primary_key=schema.get("primaryKey"),
            foreign_keys=schema.get("foreignKeys", []),
        )
        path = directory / resource["path"]
        if not path.is_file():
            problems.append(Problem(resource["path"], 1, "*", "file listed in datapackage.json is missing"))
        else:
            _read_csv(path, table, problems)
        tables[table.name] = table
    return Package(directory, descriptor, tables), problems


# --- Checks ---------------------------------------------------------------------
def _check_header(table: Table) -> list[Problem]:
    expected = [f["name"] for f in table.fields]
    problems = [Problem(table.path, 1, name, "column missing from the header") for name in expected if name not in table.header]
    problems += [Problem(table.path, 1, name, "column not in the schema") for name in table.header if name not in expected]
    return problems


def _check_cell(value: str, spec: dict) -> str | None:
    """Why this cell breaks its field's schema, or None."""
    constraints = spec.get("constraints", {})
    if not value:
        return "required value is missing" if constraints.get("required") else None
    separator = spec.get("x-separator")
    parts = split_multi(value, separator) if separator else [value]
    if separator and len(parts) != len(value.split(separator)):
        return f"empty item in a {separator!r}-separated list"
    for part in parts:
        if spec.get("type") == "number":
            if not NUMBER_RE.match(part):
                return f"{part!r} is not a number"
            number = float(part)
            if not math.isfinite(number):
                return f"{part!r} is not a finite number"
            if "minimum" in constraints and number < constraints["minimum"]:
                return f"{part} is below the minimum {constraints['minimum']}"
            if "maximum" in constraints and number > constraints["maximum"]:
                return f"{part} is above the maximum {constraints['maximum']}"
        if "enum" in constraints and part not in constraints["enum"]:
            return f"{part!r} is not one of: {', '.join(constraints['enum'])}"
        if "maxLength" in constraints and len(part) > constraints["maxLength"]:
            return f"{len(part)} characters, more than the {constraints['maxLength']} allowed"
        if spec.get("format") == "partial-date":
            try:
                parse_partial_date(part)
            except ValueError as error:
                return str(error)
        elif "pattern" in constraints and not re.fullmatch(constraints["pattern"], part):
            if constraints["pattern"].startswith("^https?"):
                return f"{part!r} is not an http(s) address"
            return f"{part!r} does not match the pattern {constraints['pattern']}"
        if spec.get("format") == "uri" and not is_http_url(part):
            return f"{part!r} is not an http(s) address"
    return None


def _check_rows(table: Table) -> list[Problem]:
    problems = []
    known = {f["name"]: f for f in table.fields}
    for row, line in zip(table.rows, table.lines):
        for name, spec in known.items():
            reason = _check_cell(row.get(name, ""), spec)
            if reason:
                problems.append(Problem(table.path, line, name, reason))
    return problems


def _check_unique(table: Table) -> list[Problem]:
    problems = []
    unique_fields = {f["name"] for f in table.fields if f.get("constraints", {}).get("unique")}
    if table.primary_key:
        unique_fields.add(table.primary_key)
    for name in sorted(unique_fields):
        first_seen: dict[str, int] = {}
        for row, line in zip(table.rows, table.lines):
            value = row.get(name, "")
            if not value:
                continue
            if value in first_seen:
                problems.append(Problem(table.path, line, name, f"{value!r} is already used on line {first_seen[value]}"))
            else:
                first_seen[value] = line
    return problems


def _check_foreign_keys(package: Package, table: Table) -> list[Problem]:
    problems = []
    for key in table.foreign_keys:
        name = key["fields"]
        target = package.tables.get(key["reference"]["resource"])
        if target is None:
            continue
        target_values = set(target.values(key["reference"]["fields"]))
        separator = table.field_schema(name).get("x-separator")
        for row, line in zip(table.rows, table.lines):
            value = row.get(name, "")
            for part in split_multi(value, separator) if separator else ([value] if value else []):
                if part not in target_values:
                    problems.append(Problem(
                        table.path, line, name,
                        f"{part!r} is not an id in {target.path}",
                    ))
    return problems


def _check_sources(table: Table) -> list[Problem]:
    problems = []
    for row, line in zip(table.rows, table.lines):
        if not row.get("url") and "unpublished" not in row.get("note", "").lower():
            problems.append(Problem(
                table.path, line, "url",
                "a published source needs its http(s) address; leave it empty only for an "
                "unpublished source and say so in the note",
            ))
        if not row.get("published") and not row.get("note"):
            problems.append(Problem(table.path, line, "published", "date missing: give it, or say in the note why it is unknown"))
    return problems


def _check_sites(table: Table, geocode: Callable[[list[str]], list] | None) -> list[Problem]:
    problems = []
    postcodes: list[tuple[int, str]] = []
    for row, line in zip(table.rows, table.lines):
        has_coordinates = bool(row.get("lat") or row.get("lon"))
        if row.get("postcode"):
            postcodes.append((line, row["postcode"]))
            if has_coordinates:
                problems.append(Problem(table.path, line, "lat", "coordinates are given only where there is no postcode"))
        elif not (row.get("lat") and row.get("lon")):
            problems.append(Problem(table.path, line, "postcode", "a site needs a postcode, or both lat and lon"))
    if geocode and postcodes:
        for (line, raw), result in zip(postcodes, geocode([p for _, p in postcodes])):
            if isinstance(result, Exception):
                problems.append(Problem(table.path, line, "postcode", getattr(result, "reason", str(result))))
    return problems


def check_package(directory: Path, geocode: Callable[[list[str]], list] | None = None) -> list[Problem]:
    """Every problem in the data package at ``directory``, sorted by file and line.

    ``geocode`` maps a list of postcodes to locations or exceptions (normally
    :meth:`geo.postcodes.PostcodeDirectory.lookup_many`); without it postcodes
    are not looked up.
    """
    package, problems = load_package(directory)
    for table in package.tables.values():
        if not table.header:
            continue
        problems += _check_header(table)
        problems += _check_rows(table)
        problems += _check_unique(table)
        problems += _check_foreign_keys(package, table)
    if "sources" in package.tables:
        problems += _check_sources(package.tables["sources"])
    if "sites" in package.tables:
        problems += _check_sites(package.tables["sites"], geocode)
    return sorted(set(problems))
