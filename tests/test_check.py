"""The data package check (geo/evidence/datapackage.py, ``python -m geo check``).

One small broken fixture per rule: a tiny valid package (plainly fictional
names, real postcodes, example.org addresses) is written to a temporary
folder with the project's own ``datapackage.json``, one cell, row or file is
broken, and the check must report exactly the expected problems: the file,
the line where the row starts (the header is line 1) and the field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from geo.evidence.datapackage import Problem, check_package, quote_names
from geo.places.postcodes import get_directory

PROJECT = Path(__file__).resolve().parent.parent
DATA = PROJECT / "data"

# The tiny valid package. Lines: the header is line 1, row i is line i + 2.
TINY = {
    "sources.csv": [
        ["id", "title", "publisher", "published", "kind", "url", "archive_url", "note"],
        [
            "example-report",
            "Cameras at Example Borough Council",
            "Example Gazette",
            "2021-11-17",
            "press",
            "https://example.org/report",
            "",
            "Fictional news report for the tests.",
        ],
        [
            "example-letter",
            "Letter from Testshire Jobcentre",
            "Testshire Jobcentre",
            "2022-03",
            "foi-response",
            "https://example.org/letter",
            "https://web.archive.org/web/20220301120000/https://example.org/letter",
            "",
        ],
        [
            "example-memo",
            "Example internal memo",
            "Example Campaign",
            "",
            "campaign-research",
            "",
            "",
            "Unpublished: held by the campaign; its date is not known.",
        ],
    ],
    "sites.csv": [
        [
            "id",
            "name",
            "organisation",
            "kind",
            "authority",
            "address",
            "postcode",
            "precision",
            "lat",
            "lon",
            "location_source",
            "note",
        ],
        [
            "example-town-hall",
            "Example Borough Council town hall",
            "Example Borough Council",
            "council",
            "E08000003",
            "1 Example Street, Exampleton",
            "M1 1AE",
            "building",
            "",
            "",
            "example-report",
            "",
        ],
        [
            "testshire-jobcentre",
            "Testshire Jobcentre",
            "Testshire Jobcentre",
            "jobcentre",
            "",
            "",
            "EH99 1SP",
            "headquarters",
            "",
            "",
            "",
            "Stands in for the fictional Testshire offices.",
        ],
        [
            "example-depot",
            "Example Borough Council depot",
            "Example Borough Council",
            "other-public-body",
            "",
            "",
            "",
            "building",
            "53.4794",
            "-2.2449",
            "",
            "Given by coordinates only.",
        ],
        [
            "example-estate",
            "Example Borough Council estate",
            "Example Borough Council",
            "council",
            "E08000003",
            "",
            "",
            "area",
            "",
            "",
            "",
            "Stands for the council's area.",
        ],
    ],
    "claims.csv": [
        ["id", "site", "vendor", "claim", "grade", "reported", "status", "equipment_count", "response"],
        [
            "example-claim-one",
            "example-town-hall",
            "hikvision",
            "The Example Gazette reported cameras at the town hall.",
            "reported",
            "2021-11-17",
            "reported",
            "",
            "",
        ],
        [
            "example-claim-two",
            "testshire-jobcentre",
            "dahua",
            "Testshire Jobcentre confirmed cameras in a letter.",
            "official",
            "2022-03",
            "removal-in-progress",
            "29",
            "It said it would remove them.",
        ],
        [
            "example-claim-three",
            "example-depot",
            "other",
            "The campaign's memo says cameras are at the depot.",
            "reported",
            "",
            "reported",
            "",
            "",
        ],
    ],
    "claim_sources.csv": [
        ["claim", "source", "quote", "checked", "quote_note"],
        [
            "example-claim-one",
            "example-report",
            "Hikvision cameras watch the doors of Example Borough Council's town hall.",
            "2026-11-30",
            "",
        ],
        [
            "example-claim-two",
            "example-report",
            "The Gazette also saw Dahua cameras at Testshire Jobcentre.",
            "2026-11-30",
            "",
        ],
        [
            "example-claim-two",
            "example-letter",
            "Testshire Jobcentre has 29 Dahua cameras left and will remove them.",
            "2022-03-15",
            "",
        ],
        [
            "example-claim-three",
            "example-memo",
            "Cameras stand at the depot behind the council's offices.",
            "2026-11-30",
            "The memo is about the council throughout and names it only in its heading.",
        ],
    ],
    "figures.csv": [
        ["id", "statement", "value", "unit", "scope", "date"],
        [
            "example-share",
            "The Example Gazette found cameras at 42 per cent of example bodies.",
            "42",
            "% of example bodies",
            "Example bodies",
            "2021-11-17",
        ],
    ],
    "figure_sources.csv": [
        ["figure", "source"],
        ["example-share", "example-report"],
    ],
    "foi_requests.csv": [
        [
            "id",
            "organisation",
            "authority",
            "site",
            "law",
            "sent",
            "answered",
            "url",
            "status",
            "finding",
            "outcome",
            "note",
            "kind",
            "nation",
            "wdtk_state",
            "exemption",
            "read",
        ],
        [
            "example-foi-one",
            "Example Borough Council",
            "E08000003",
            "example-town-hall",
            "",
            "2023-01-05",
            "2023-01-20",
            "https://example.org/foi/1",
            "answered",
            "equipment",
            "Fictional answer.",
            "",
            "council",
            "England",
            "successful",
            "",
            "2023-01-21",
        ],
    ],
    "corrections.csv": [
        ["id", "date", "subject", "was", "now", "why"],
        [
            "example-correction",
            "2026-11-30",
            "example-claim-one",
            "The map placed the cameras at the depot.",
            "It places them at the town hall.",
            "The Example Gazette's report names the town hall.",
        ],
    ],
}
REFERENCE_TABLES = ("districts.csv", "authorities.csv", "authority_names.csv")
TODAY = dt.date.today()
TOMORROW = (TODAY + dt.timedelta(days=1)).isoformat()


@pytest.fixture(scope="module")
def geocode():
    return get_directory().lookup_many


def write_csv(path: Path, rows: list[list[str]], line_ending: str = "\n", encoding: str = "utf-8") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=line_ending).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def package(tmp_path) -> Path:
    """A tiny valid package in its own folder, with the project's datapackage.json."""
    folder = tmp_path / "package"
    folder.mkdir()
    shutil.copy(DATA / "datapackage.json", folder / "datapackage.json")
    for name in REFERENCE_TABLES:  # sites.authority and foi_requests.authority refer to them
        shutil.copy(DATA / name, folder / name)
    for name, rows in TINY.items():
        write_csv(folder / name, rows)
    return folder


def keys(problems: list[Problem]) -> set[tuple[str, int, str]]:
    return {(p.file, p.line, p.field) for p in problems}


def test_tiny_package_is_valid(package, geocode):
    assert check_package(package, geocode=geocode) == []


def test_tiny_package_covers_every_resource(package):
    # So that the cases below really run against every table of the schema.
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    paths = {r["path"] for r in descriptor["resources"]}
    assert paths == set(TINY) | set(REFERENCE_TABLES)
    for resource in descriptor["resources"]:
        if resource["path"] in TINY:
            assert TINY[resource["path"]][0] == [f["name"] for f in resource["schema"]["fields"]]


# --- Mutations: each takes the package folder and breaks one thing ------------------
def set_cell(file: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    """Set one cell; ``row`` counts data rows from 0 (row 0 is on line 2)."""

    def mutate(folder: Path) -> None:
        rows = read_rows(folder / file)
        rows[row + 1][rows[0].index(column)] = value
        write_csv(folder / file, rows)

    return mutate


def several(*mutations: Callable[[Path], None]) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        for mutation in mutations:
            mutation(folder)

    return mutate


def copy_row(file: str, source_row: int) -> Callable[[Path], None]:
    """Append a copy of a row (a duplicate of every unique field)."""

    def mutate(folder: Path) -> None:
        rows = read_rows(folder / file)
        rows.append(list(rows[source_row + 1]))
        write_csv(folder / file, rows)

    return mutate


def drop_row(file: str, row: int) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        rows = read_rows(folder / file)
        del rows[row + 1]
        write_csv(folder / file, rows)

    return mutate


def drop_column(file: str, column: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        rows = read_rows(folder / file)
        index = rows[0].index(column)
        write_csv(folder / file, [r[:index] + r[index + 1 :] for r in rows])

    return mutate


def add_column(file: str, column: str, value: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        rows = read_rows(folder / file)
        write_csv(folder / file, [rows[0] + [column]] + [r + [value] for r in rows[1:]])

    return mutate


def add_row(file: str, cells: list[str]) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        rows = read_rows(folder / file)
        write_csv(folder / file, rows + [cells])

    return mutate


def resize_row(file: str, row: int, extra: int) -> Callable[[Path], None]:
    """Give one row ``extra`` more cells (or fewer, if negative) than the header."""

    def mutate(folder: Path) -> None:
        rows = read_rows(folder / file)
        target = rows[row + 1]
        rows[row + 1] = target + ["surplus"] * extra if extra > 0 else target[:extra]
        write_csv(folder / file, rows)

    return mutate


def reencode(file: str, text_column: str, encoding: str) -> Callable[[Path], None]:
    """Rewrite the file in another encoding, with a non-ASCII character in it."""

    def mutate(folder: Path) -> None:
        rows = read_rows(folder / file)
        column = rows[0].index(text_column)
        rows[1][column] = rows[1][column] + " Café in Ynys Môn."
        write_csv(folder / file, rows, encoding=encoding)

    return mutate


CASES = [
    # Schema: enums, types, ranges, patterns, lengths, required values.
    pytest.param(
        set_cell("sites.csv", 0, "kind", "castle"),
        {("sites.csv", 2, "kind")},
        "'castle' is not one of",
        id="enum-site-kind",
    ),
    pytest.param(
        set_cell("claims.csv", 1, "grade", "Official"),
        {("claims.csv", 3, "grade")},
        "is not one of",
        id="enum-is-case-sensitive",
    ),
    pytest.param(
        set_cell("sources.csv", 0, "kind", "blog"),
        {("sources.csv", 2, "kind")},
        "'blog' is not one of",
        id="enum-source-kind",
    ),
    pytest.param(
        set_cell("foi_requests.csv", 0, "status", "lost"),
        {("foi_requests.csv", 2, "status")},
        "is not one of",
        id="enum-foi-status",
    ),
    pytest.param(
        set_cell("foi_requests.csv", 0, "kind", "ministry"),
        {("foi_requests.csv", 2, "kind")},
        "'ministry' is not one of: council, police",
        id="request-kind-is-a-site-kind",
    ),
    pytest.param(
        set_cell("foi_requests.csv", 0, "wdtk_state", "waiting_response_overdue"),
        {("foi_requests.csv", 2, "wdtk_state")},
        "is not one of",
        id="site-state-is-a-stored-state",
    ),
    pytest.param(
        set_cell("foi_requests.csv", 0, "exemption", "s.99"),
        {("foi_requests.csv", 2, "exemption")},
        "is not one of",
        id="enum-exemption",
    ),
    pytest.param(
        set_cell("foi_requests.csv", 0, "status", "overdue"),
        {("foi_requests.csv", 2, "status")},
        "is not one of",
        id="overdue-is-not-stored",
    ),
    pytest.param(
        set_cell("sites.csv", 2, "lat", "north"),
        {("sites.csv", 4, "lat")},
        "'north' is not a number",
        id="type-lat-not-number",
    ),
    pytest.param(
        set_cell("sites.csv", 2, "lon", "nan"), {("sites.csv", 4, "lon")}, "is not a number", id="type-lon-nan"
    ),
    pytest.param(
        set_cell("figures.csv", 0, "value", "42%"),
        {("figures.csv", 2, "value")},
        "is not a number",
        id="type-figure-value",
    ),
    pytest.param(
        set_cell("claims.csv", 1, "equipment_count", "29.5"),
        {("claims.csv", 3, "equipment_count")},
        "is not a whole number",
        id="type-count-not-whole",
    ),
    pytest.param(
        set_cell("claims.csv", 1, "equipment_count", "-1"),
        {("claims.csv", 3, "equipment_count")},
        "below the minimum 0",
        id="range-count-negative",
    ),
    # Python's float() (and the decimal module) also read "5_3.48" (PEP 515 underscores) and
    # non-ASCII digits; neither is a number in a CSV file for any other reader.
    pytest.param(
        set_cell("sites.csv", 2, "lat", "5_3.48"),
        {("sites.csv", 4, "lat")},
        "is not a number",
        id="type-number-with-underscore",
    ),
    pytest.param(
        set_cell("figures.csv", 0, "value", "\u0664\u0662"),
        {("figures.csv", 2, "value")},
        "is not a number",
        id="type-number-arabic-indic-digits",
    ),
    # WhatDoTheyKnow's body number becomes part of a link: ASCII digits only, and nothing after them.
    pytest.param(
        set_cell("authorities.csv", 0, "wdtk_id", "\u0663\u0664"),
        {("authorities.csv", 2, "wdtk_id")},
        "is not a whole number",
        id="type-wdtk-id-arabic-indic-digits",
    ),
    # A schema pattern's \d would match any script's digits in Python: every pattern spells [0-9].
    pytest.param(
        set_cell("districts.csv", 0, "lad_code", "E0600000\u0661"),
        {("districts.csv", 2, "lad_code")},
        "does not match the pattern",
        id="pattern-code-arabic-indic-digit",
    ),
    pytest.param(
        set_cell("sites.csv", 2, "lat", "48.5"), {("sites.csv", 4, "lat")}, "below the minimum 49", id="range-lat-low"
    ),
    pytest.param(
        set_cell("sites.csv", 2, "lat", "61.01"), {("sites.csv", 4, "lat")}, "above the maximum 61", id="range-lat-high"
    ),
    pytest.param(
        set_cell("sites.csv", 2, "lon", "2.6"), {("sites.csv", 4, "lon")}, "above the maximum 2.5", id="range-lon-high"
    ),
    pytest.param(
        set_cell("claims.csv", 0, "id", "example claim one"),
        {("claims.csv", 2, "id"), ("claim_sources.csv", 2, "claim")},
        "does not match the pattern",
        id="pattern-id-with-spaces",
    ),
    pytest.param(
        set_cell("sources.csv", 1, "id", "Example-Letter"),
        {("sources.csv", 3, "id"), ("claim_sources.csv", 4, "source")},
        "does not match the pattern",
        id="pattern-id-capitals",
    ),
    pytest.param(
        set_cell("foi_requests.csv", 0, "authority", "E0800003"),
        {("foi_requests.csv", 2, "authority")},
        "does not match the pattern",
        id="pattern-authority",
    ),
    pytest.param(
        set_cell("sites.csv", 0, "name", "x" * 301),
        {("sites.csv", 2, "name")},
        "301 characters, more than the 300 allowed",
        id="max-length-name",
    ),
    pytest.param(
        set_cell("claims.csv", 0, "claim", "y" * 1001),
        {("claims.csv", 2, "claim")},
        "more than the 1000 allowed",
        id="max-length-claim",
    ),
    pytest.param(
        set_cell("sites.csv", 1, "name", ""),
        {("sites.csv", 3, "name")},
        "required value is missing",
        id="required-site-name",
    ),
    pytest.param(
        set_cell("claims.csv", 2, "status", "  "),
        {("claims.csv", 4, "status")},
        "required value is missing",
        id="required-blank-is-missing",
    ),
    pytest.param(drop_row("claim_sources.csv", 0), {("claims.csv", 2, "id")}, "no source", id="claim-with-no-source"),
    pytest.param(
        drop_row("figure_sources.csv", 0), {("figures.csv", 2, "id")}, "no source", id="figure-with-no-source"
    ),
    # Uniqueness: the second use is reported and names the first line.
    pytest.param(
        copy_row("claims.csv", 0), {("claims.csv", 5, "id")}, "already used on line 2", id="duplicate-claim-id"
    ),
    pytest.param(
        copy_row("sources.csv", 1),
        {("sources.csv", 5, "id")},
        "'example-letter' is already used on line 3",
        id="duplicate-source-row",
    ),
    pytest.param(
        copy_row("claim_sources.csv", 1),
        {("claim_sources.csv", 6, "claim")},
        "already used on line 3",
        id="duplicate-link",
    ),
    # References between tables.
    pytest.param(
        set_cell("claims.csv", 0, "site", "no-such-site"),
        {("claims.csv", 2, "site")},
        "'no-such-site' is not an id in sites.csv",
        id="ref-claim-site",
    ),
    pytest.param(
        set_cell("claim_sources.csv", 2, "source", "no-such-source"),
        {("claim_sources.csv", 4, "source")},
        "'no-such-source' is not an id in sources.csv",
        id="ref-claim-source",
    ),
    pytest.param(
        set_cell("claim_sources.csv", 0, "claim", "no-such-claim"),
        {("claim_sources.csv", 2, "claim"), ("claims.csv", 2, "id")},
        "'no-such-claim' is not an id in claims.csv",
        id="ref-link-claim",
    ),
    pytest.param(
        set_cell("sites.csv", 0, "location_source", "no-such-source"),
        {("sites.csv", 2, "location_source")},
        "not an id in sources.csv",
        id="ref-site-location-source",
    ),
    pytest.param(
        set_cell("figure_sources.csv", 0, "source", "no-such-source"),
        {("figure_sources.csv", 2, "source")},
        "not an id in sources.csv",
        id="ref-figure-sources",
    ),
    pytest.param(
        set_cell("foi_requests.csv", 0, "site", "no-such-site"),
        {("foi_requests.csv", 2, "site")},
        "not an id in sites.csv",
        id="ref-foi-site",
    ),
    pytest.param(
        set_cell("foi_requests.csv", 0, "authority", "E09999999"),
        {("foi_requests.csv", 2, "authority")},
        "not an id in authorities.csv",
        id="ref-foi-authority",
    ),
    pytest.param(
        set_cell("sites.csv", 0, "authority", "E09999999"),
        {("sites.csv", 2, "authority")},
        "not an id in authorities.csv",
        id="ref-site-authority",
    ),
    # Postcodes: shape, and the directory's answer.
    pytest.param(
        set_cell("sites.csv", 0, "postcode", "M11AE"),
        {("sites.csv", 2, "postcode")},
        "does not match the pattern",
        id="postcode-not-standard-spelling",
    ),
    pytest.param(
        set_cell("sites.csv", 0, "postcode", "M1-1AE"),
        {("sites.csv", 2, "postcode")},
        "does not match the pattern",
        id="postcode-malformed",
    ),
    pytest.param(
        set_cell("sites.csv", 0, "postcode", "ZZ9 9ZZ"),
        {("sites.csv", 2, "postcode")},
        "unknown postcode",
        id="postcode-unknown",
    ),
    pytest.param(
        set_cell("sites.csv", 1, "postcode", "PA23 9AA"),
        {("sites.csv", 3, "postcode")},
        "terminated or unlocated",
        id="postcode-terminated",
    ),
    pytest.param(
        set_cell("sites.csv", 1, "postcode", "JE1 0BD"),
        {("sites.csv", 3, "postcode")},
        "outside the UK",
        id="postcode-jersey",
    ),
    # Links and dates.
    pytest.param(
        set_cell("sources.csv", 0, "url", "javascript:alert(1)"),
        {("sources.csv", 2, "url")},
        "is not an http(s) address",
        id="link-javascript",
    ),
    pytest.param(
        set_cell("sources.csv", 0, "url", "ftp://x"),
        {("sources.csv", 2, "url")},
        "is not an http(s) address",
        id="link-ftp",
    ),
    pytest.param(
        set_cell("sources.csv", 0, "url", "https://example.org/a report"),
        {("sources.csv", 2, "url")},
        "is not an http(s) address",
        id="link-with-space",
    ),
    pytest.param(
        set_cell("sources.csv", 0, "url", "https:///no-host"),
        {("sources.csv", 2, "url")},
        "is not an http(s) address",
        id="link-without-host",
    ),
    pytest.param(
        set_cell("sources.csv", 1, "archive_url", "web.archive.org/web/2022"),
        {("sources.csv", 3, "archive_url")},
        "is not an http(s) address",
        id="link-archive-no-scheme",
    ),
    pytest.param(
        set_cell("sources.csv", 1, "archive_url", "https://web.archive.org/web/2022/https://example.org/letter"),
        {("sources.csv", 3, "archive_url")},
        "is not a Wayback Machine copy",
        id="link-archive-short-timestamp",
    ),
    pytest.param(
        set_cell("sources.csv", 1, "archive_url", "https://web.archive.org/web/20221331000000/https://example.org/a"),
        {("sources.csv", 3, "archive_url")},
        "is not a Wayback Machine copy",
        id="link-archive-not-a-moment",
    ),
    pytest.param(
        set_cell("sources.csv", 1, "archive_url", "https://archive.example.org/copy/https://example.org/letter"),
        {("sources.csv", 3, "archive_url")},
        "is not a Wayback Machine copy",
        id="link-archive-elsewhere",
    ),
    pytest.param(
        set_cell("sources.csv", 1, "archive_url", "http://web.archive.org/web/20220301120000/https://example.org/a"),
        {("sources.csv", 3, "archive_url")},
        "is not a Wayback Machine copy",
        id="link-archive-plain-http",
    ),
    pytest.param(
        set_cell("foi_requests.csv", 0, "url", "ftp://example.org/foi"),
        {("foi_requests.csv", 2, "url")},
        "is not an http(s) address",
        id="link-foi",
    ),
    pytest.param(
        set_cell("sources.csv", 0, "published", "2021-02-30"),
        {("sources.csv", 2, "published")},
        "not a real date",
        id="date-feb-30",
    ),
    pytest.param(
        set_cell("claims.csv", 0, "reported", "2021-13"),
        {("claims.csv", 2, "reported")},
        "not a real date",
        id="date-month-13",
    ),
    pytest.param(
        set_cell("claims.csv", 0, "reported", "2023-02-29"),
        {("claims.csv", 2, "reported")},
        "not a real date",
        id="date-not-leap-year",
    ),
    pytest.param(
        set_cell("figures.csv", 0, "date", "17/11/2021"),
        {("figures.csv", 2, "date")},
        "is not a date",
        id="date-british-order",
    ),
    pytest.param(
        set_cell("foi_requests.csv", 0, "sent", "2023-1-5"),
        {("foi_requests.csv", 2, "sent")},
        "is not a date",
        id="date-unpadded",
    ),
    pytest.param(
        set_cell("foi_requests.csv", 0, "sent", "2023"),
        {("foi_requests.csv", 2, "sent")},
        "is not a date",
        id="date-sent-needs-a-day",
    ),
    # Rules beyond the schema.
    pytest.param(
        set_cell("sources.csv", 0, "url", ""),
        {("sources.csv", 2, "url")},
        "published source needs",
        id="published-source-without-url",
    ),
    pytest.param(
        set_cell("sources.csv", 2, "note", "Held by the campaign."),
        {("sources.csv", 4, "url")},
        "published source needs",
        id="unpublished-source-not-said",
    ),
    pytest.param(
        set_cell("sources.csv", 1, "published", ""),
        {("sources.csv", 3, "published")},
        "date missing",
        id="source-date-missing-no-note",
    ),
    pytest.param(
        several(set_cell("sites.csv", 0, "lat", "53.48"), set_cell("sites.csv", 0, "lon", "-2.24")),
        {("sites.csv", 2, "lat")},
        "only where there is no postcode",
        id="site-postcode-and-coordinates",
    ),
    pytest.param(
        several(set_cell("sites.csv", 2, "lat", ""), set_cell("sites.csv", 2, "lon", "")),
        {("sites.csv", 4, "postcode")},
        "needs a postcode, or both lat and lon",
        id="site-neither",
    ),
    pytest.param(
        set_cell("sites.csv", 2, "lon", ""),
        {("sites.csv", 4, "postcode")},
        "needs a postcode, or both lat and lon",
        id="site-lat-without-lon",
    ),
    pytest.param(
        set_cell("sites.csv", 3, "authority", ""),
        {("sites.csv", 5, "authority")},
        "stands for an area needs its authority",
        id="area-without-authority",
    ),
    pytest.param(
        set_cell("sites.csv", 3, "postcode", "M1 1AE"),
        {("sites.csv", 5, "precision")},
        "an area is placed from its authority",
        id="area-with-postcode",
    ),
    pytest.param(
        several(set_cell("sites.csv", 3, "precision", "not-placed")),
        {("sites.csv", 5, "precision")},
        "is placed: give its precision",
        id="not-placed-with-an-area",
    ),
    pytest.param(
        set_cell("foi_requests.csv", 0, "answered", "2022-12-31"),
        {("foi_requests.csv", 2, "answered")},
        "before the request was sent",
        id="answer-before-request",
    ),
    pytest.param(
        set_cell("foi_requests.csv", 0, "status", "sent"),
        {("foi_requests.csv", 2, "status")},
        "answered or refused, not sent",
        id="sent-with-an-answer",
    ),
    # A claim that the body does not use the equipment rests on the body's own words.
    pytest.param(
        set_cell("claims.csv", 0, "status", "not-used"),
        {("claims.csv", 2, "grade")},
        "must rest on the body's own words",
        id="not-used-graded-reported",
    ),
    # Each link carries the source's words, when they were read, and names the body.
    pytest.param(
        set_cell("claim_sources.csv", 0, "quote", ""),
        {("claim_sources.csv", 2, "quote")},
        "required value is missing",
        id="link-without-quote",
    ),
    pytest.param(
        set_cell("claim_sources.csv", 0, "quote", "Example " + "x" * 293),
        {("claim_sources.csv", 2, "quote")},
        "301 characters, more than the 300 allowed",
        id="quote-too-long",
    ),
    pytest.param(
        set_cell("claim_sources.csv", 1, "checked", ""),
        {("claim_sources.csv", 3, "checked")},
        "required value is missing",
        id="link-without-checked-date",
    ),
    pytest.param(
        set_cell("claim_sources.csv", 1, "checked", "2026-02-30"),
        {("claim_sources.csv", 3, "checked")},
        "not a real date",
        id="checked-not-a-real-date",
    ),
    pytest.param(
        set_cell("claim_sources.csv", 1, "checked", "3 December 2026"),
        {("claim_sources.csv", 3, "checked")},
        "is not a date",
        id="checked-not-iso",
    ),
    pytest.param(
        set_cell("claim_sources.csv", 1, "checked", TOMORROW),
        {("claim_sources.csv", 3, "checked")},
        "is in the future",
        id="checked-in-the-future",
    ),
    pytest.param(
        set_cell("claim_sources.csv", 0, "quote", "Hikvision cameras watch the doors of the town hall."),
        {("claim_sources.csv", 2, "quote")},
        "does not name 'Example Borough Council'",
        id="quote-does-not-name-the-body",
    ),
    pytest.param(
        set_cell(
            "claim_sources.csv", 0, "quote", "Hikvision cameras watch the doors of the Borough Council's town hall."
        ),
        {("claim_sources.csv", 2, "quote")},
        "does not name",
        id="quote-names-only-generic-words",
    ),
    pytest.param(
        set_cell("claim_sources.csv", 2, "quote", "TJ has 29 Dahua cameras left and will remove them."),
        {("claim_sources.csv", 4, "quote")},
        "say in quote_note why it cannot",
        id="quote-uses-initials",
    ),
    pytest.param(
        set_cell("claim_sources.csv", 3, "quote_note", ""),
        {("claim_sources.csv", 5, "quote")},
        "does not name",
        id="quote-note-removed",
    ),
    # Corrections: dated, and each says what it is about, what was said, what is said now and why.
    pytest.param(
        set_cell("corrections.csv", 0, "date", TOMORROW),
        {("corrections.csv", 2, "date")},
        "is in the future",
        id="correction-in-the-future",
    ),
    pytest.param(
        set_cell("corrections.csv", 0, "why", ""),
        {("corrections.csv", 2, "why")},
        "required value is missing",
        id="correction-without-why",
    ),
    pytest.param(
        set_cell("corrections.csv", 0, "subject", "Example claim one"),
        {("corrections.csv", 2, "subject")},
        "does not match the pattern",
        id="correction-subject-not-an-id",
    ),
    pytest.param(
        copy_row("corrections.csv", 0),
        {("corrections.csv", 3, "id")},
        "already used on line 2",
        id="duplicate-correction",
    ),
    # Shape of the files.
    pytest.param(
        drop_column("sites.csv", "note"),
        {("sites.csv", 1, "note")},
        "column missing from the header",
        id="missing-column",
    ),
    pytest.param(
        add_column("sites.csv", "colour", "red"),
        {("sites.csv", 1, "colour")},
        "column not in the schema",
        id="extra-column",
    ),
    pytest.param(
        resize_row("claims.csv", 1, +1),
        {("claims.csv", 3, "*")},
        "row has 10 cells but the header has 9",
        id="row-too-many-cells",
    ),
    pytest.param(
        resize_row("claims.csv", 1, -1),
        {("claims.csv", 3, "*")},
        "row has 8 cells but the header has 9",
        id="row-too-few-cells",
    ),
    pytest.param(reencode("claims.csv", "claim", "cp1252"), {("claims.csv", 1, "*")}, "not UTF-8", id="not-utf-8"),
]


@pytest.mark.parametrize("mutate, expected, words", CASES)
def test_each_broken_fixture_is_caught(package, geocode, mutate, expected, words):
    mutate(package)
    problems = check_package(package, geocode=geocode)
    assert keys(problems) == expected, "\n".join(map(str, problems))
    assert any(words in p.message for p in problems), "\n".join(map(str, problems))


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(set_cell("sites.csv", 0, "name", "x" * 300), id="name-exactly-300"),
        pytest.param(
            several(set_cell("sites.csv", 2, "lat", "49"), set_cell("sites.csv", 2, "lon", "-9")),
            id="south-west-corner",
        ),
        pytest.param(
            several(set_cell("sites.csv", 2, "lat", "61"), set_cell("sites.csv", 2, "lon", "2.5")),
            id="north-east-corner",
        ),
        pytest.param(set_cell("claims.csv", 0, "reported", "2024-02-29"), id="leap-day"),
        pytest.param(set_cell("claims.csv", 0, "reported", "2021"), id="year-only"),
        pytest.param(set_cell("sources.csv", 0, "url", "http://example.org/?q=1#a"), id="http-with-query"),
        pytest.param(
            several(
                set_cell("sources.csv", 0, "url", ""),
                set_cell("sources.csv", 0, "note", "UNPUBLISHED draft seen by the campaign."),
            ),
            id="unpublished-note-any-case",
        ),
        pytest.param(set_cell("sites.csv", 1, "postcode", "BT1 5GS"), id="northern-ireland-postcode"),
        pytest.param(set_cell("sites.csv", 1, "postcode", "  EH99 1SP  "), id="postcode-surrounding-spaces-trimmed"),
        pytest.param(
            add_row(
                "claim_sources.csv",
                ["example-claim-two", "example-memo", "Testshire Jobcentre still has its cameras.", "2026-11-30", ""],
            ),
            id="three-sources",
        ),
        pytest.param(set_cell("claims.csv", 1, "equipment_count", "0"), id="count-zero"),
        pytest.param(set_cell("figures.csv", 0, "value", ""), id="figure-without-value"),
        pytest.param(set_cell("sites.csv", 0, "note", "Line one.\nLine two.\nLine three."), id="multi-line-note"),
        pytest.param(set_cell("claims.csv", 1, "status", "not-used"), id="not-used-graded-official"),
        pytest.param(
            several(set_cell("claims.csv", 1, "status", "not-used"), set_cell("claims.csv", 1, "grade", "documented")),
            id="not-used-graded-documented",
        ),
        pytest.param(set_cell("claim_sources.csv", 0, "quote", "Example " + "x" * 292), id="quote-exactly-300"),
        pytest.param(
            set_cell("claim_sources.csv", 0, "quote", "HIKVISION AT THE EXAMPLE TOWN HALL"),
            id="quote-names-body-in-capitals",
        ),
        pytest.param(
            set_cell("claim_sources.csv", 2, "quote", "Cameras remain at the Jobcentres, the letter says."),
            id="quote-names-body-in-a-longer-word",
        ),
        pytest.param(
            set_cell("claim_sources.csv", 0, "quote", "Line one names Example.\nLine two does not."),
            id="quote-over-two-lines",
        ),
        pytest.param(set_cell("claim_sources.csv", 1, "checked", TODAY.isoformat()), id="checked-today"),
        # A correction may be about a record it removed: the subject is kept as text, not as a link.
        pytest.param(
            set_cell("corrections.csv", 0, "subject", "a-claim-removed-since"), id="correction-about-a-removed-record"
        ),
    ],
)
def test_edge_values_that_are_valid(package, geocode, mutate):
    mutate(package)
    assert check_package(package, geocode=geocode) == []


@pytest.mark.parametrize(
    "quote, organisation, named",
    [
        ("Hikvision cameras are used in the following councils: Angus, Moray", "The Moray Council", True),
        ("at Thursday's meeting in Edinburgh", "City of Edinburgh Council", True),
        ("the boroughs of Hammersmith & Fulham and Salford", "London Borough of Hammersmith & Fulham", True),
        ("for use on the British parliamentary estate", "UK Parliament", True),
        ("CCTV in Ynys Mon", "Cyngor Sir Ynys Môn", True),
        ("the Government's decision to install 38 Hikvision cameras", "UK Government", True),
        ("the Department for Work and Pensions (DWP)", "Department for Work and Pensions", True),
        ("The DWP said it would not use them", "Department for Work and Pensions", False),  # initials are not derived
        ("he said HDC still relied on Hikvision", "Harborough District Council", False),
        (
            "used in airports, stadiums and the London Tube",
            "Transport for London",
            False,
        ),  # 'London' alone names no body
        ("the County Council and the Police", "Essex County Council", False),  # generic words name no body
        (
            "cameras in Huntingdon and St Ives",
            "Huntingdonshire District Council",
            False,
        ),  # the town is not the district
    ],
)
def test_what_counts_as_naming_the_body(quote, organisation, named):
    assert quote_names(quote, organisation) is named


# --- Line numbers ----------------------------------------------------------------------
@pytest.mark.parametrize("line_ending", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_line_numbers_count_multi_line_cells(package, geocode, line_ending):
    rows = read_rows(package / "sites.csv")
    rows[1][rows[0].index("note")] = f"First line.{line_ending}Second line.{line_ending}Third line."  # lines 2-4
    rows[2][rows[0].index("kind")] = "castle"  # testshire-jobcentre now starts on line 5
    rows[3][rows[0].index("lat")] = "north"  # example-depot on line 6
    write_csv(package / "sites.csv", rows, line_ending=line_ending)
    problems = check_package(package, geocode=geocode)
    assert keys(problems) == {("sites.csv", 5, "kind"), ("sites.csv", 6, "lat")}, "\n".join(map(str, problems))


def test_line_numbers_skip_blank_lines(package, geocode):
    lines = (package / "claims.csv").read_text(encoding="utf-8").splitlines()
    header, row0, row1, row2 = lines
    row2 = row2.replace(",reported,,reported,", ",rumour,,reported,")  # grade of the last claim
    # Lines: 1 header, 2 row 0, 3 blank, 4 row 1, 5-6 blank, 7 row 2.
    (package / "claims.csv").write_text("\n".join([header, row0, "", row1, "", "", row2]) + "\n", encoding="utf-8")
    problems = check_package(package, geocode=geocode)
    assert keys(problems) == {("claims.csv", 7, "grade")}, "\n".join(map(str, problems))


def test_byte_order_mark_is_not_part_of_the_first_column(package, geocode):
    data = (package / "sources.csv").read_bytes()
    (package / "sources.csv").write_bytes(b"\xef\xbb\xbf" + data)
    assert check_package(package, geocode=geocode) == []


def test_duplicate_after_a_multi_line_cell_names_the_right_first_line(package, geocode):
    rows = read_rows(package / "claims.csv")
    rows[1][rows[0].index("response")] = 'Said:\n"We will look into it."'  # row 0 on lines 2-3
    rows.append(list(rows[2]))  # a fourth row (line 6) repeats row 1 (line 4)
    write_csv(package / "claims.csv", rows)
    problems = check_package(package, geocode=geocode)
    assert [(p.file, p.line, p.field) for p in problems] == [("claims.csv", 6, "id")]
    assert "already used on line 4" in problems[0].message


# --- Whole-package behaviour ----------------------------------------------------------------
def test_without_geocoding_postcodes_are_not_looked_up(package):
    set_cell("sites.csv", 0, "postcode", "ZZ9 9ZZ")(package)
    assert check_package(package) == []


def test_missing_file_is_reported(package, geocode):
    (package / "figures.csv").unlink()
    problems = check_package(package, geocode=geocode)
    assert keys(problems) == {("figures.csv", 1, "*")}
    assert "missing" in problems[0].message


def test_problems_are_sorted_and_printable(package, geocode):
    several(
        set_cell("sites.csv", 2, "lat", "north"),
        set_cell("claims.csv", 0, "grade", "rumour"),
        set_cell("sources.csv", 0, "url", "ftp://x"),
        set_cell("claims.csv", 2, "vendor", "acme"),
    )(package)
    problems = check_package(package, geocode=geocode)
    assert problems == sorted(problems)
    assert [str(p).split(": ")[0] for p in problems] == ["claims.csv:2", "claims.csv:4", "sites.csv:4", "sources.csv:2"]
    assert str(problems[0]) == f"claims.csv:2: grade: {problems[0].message}"


def test_default_dataset_has_no_problems(geocode):
    problems = check_package(DATA, geocode=geocode)
    assert problems == [], "\n".join(map(str, problems))


# --- The command -------------------------------------------------------------------------
# FIELD is a column name, or "*" for a whole row or file (wrong cell count, not UTF-8).
PROBLEM_LINE = re.compile(r"^([\w.]+):(\d+): (\w+|\*): .+$")


def run_check(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "geo", "check", str(directory)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_command_reports_a_broken_package(package, geocode):
    breakages = [
        case.values[0]
        for case in CASES
        if case.id
        in {
            "enum-site-kind",
            "type-lat-not-number",
            "ref-claim-site",
            "postcode-unknown",
            "link-javascript",
            "date-feb-30",
        }
    ]
    several(*breakages)(package)
    expected = keys(check_package(package, geocode=geocode))
    assert len(expected) == 6
    result = run_check(package)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines and all(PROBLEM_LINE.match(line) for line in lines), result.stdout
    printed = {(m[1], int(m[2]), m[3]) for m in map(PROBLEM_LINE.match, lines)}
    assert printed == expected
    assert "6 problem(s)" in result.stderr


def test_check_command_passes_the_default_dataset():
    result = run_check(DATA)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
