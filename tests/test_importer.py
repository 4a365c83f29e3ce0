"""The campaigners' import: hostile and broken files, the report, the atomic apply, the CLI and the gate.

Every file here is generated in ``tmp_path``. Bodies that are not councils are
plainly fictional; councils must be real to be matched (that is the point), so
rows about them carry text that says it is a fictional test. Postcodes are real.
Imports that write go to a scratch copy of ``data/``; nothing here is published.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo.evidence.datapackage import check_package, load_package
from geo.importing import (
    MAX_BYTES,
    MAX_ROWS,
    TEMPLATE_COLUMNS,
    ApplyError,
    apply_import,
    map_columns,
    prepare_import,
    slugify,
)
from geo.places.postcodes import Location, PostcodeError, get_directory

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"

HEADER = [
    "organisation",
    "kind",
    "site_name",
    "postcode",
    "foi_sent",
    "foi_status",
    "foi_finding",
    "foi_outcome",
    "vendor",
    "claim",
    "grade",
    "reported",
    "status",
    "source_title",
    "source_publisher",
    "source_url",
    "source_published",
    "source_quote",
    "source_checked",
]
# A fictional body that is not a council, at a real postcode.
CLAIM_ROW = {
    "organisation": "Example Test Trust",
    "kind": "nhs",
    "site_name": "Example Test Hospital",
    "postcode": "SW1A 2AA",
    "foi_sent": "2026-10-01",
    "foi_status": "answered",
    "foi_finding": "equipment",
    "foi_outcome": "Hikvision cameras in use at the hospital",
    "vendor": "hikvision",
    "claim": "Example Test Trust said in an FOI answer that it uses Hikvision cameras.",
    "grade": "official",
    "reported": "2026-10-20",
    "status": "confirmed",
    "source_title": "FOI answer on CCTV",
    "source_publisher": "Example Test Trust",
    "source_url": "https://www.example.org/foi/example_cctv",
    "source_published": "2026-10-20",
    "source_quote": "Example Test Trust uses Hikvision cameras at Example Test Hospital.",
    "source_checked": "21/10/2026",
}
# A real council (matched by name), with an answer that says it is a fictional test.
NO_HIKVISION_ROW = {
    "organisation": "Thurrock Council",
    "foi_sent": "2026-10-02",
    "foi_status": "answered",
    "foi_finding": "none",
    "foi_outcome": "Fictional test answer",
}


def csv_bytes(rows: list[dict], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue().encode(encoding)


@pytest.fixture(scope="module")
def geocode():
    return get_directory().lookup_many


@pytest.fixture
def scratch(tmp_path) -> Path:
    """A scratch copy of the data package (never the committed one)."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target, ignore=shutil.ignore_patterns("backups"))
    return target


def prepare(data: bytes, geocode, name="upload.csv", package=DATA):
    return prepare_import(data, name, package, geocode=geocode)


def rejected(report) -> list[tuple[int, str, str]]:
    return [(i.row, i.field, i.message) for i in report.issues]


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


# --- Clean files -------------------------------------------------------------------
def test_clean_file_is_accepted_with_what_each_row_adds(geocode):
    report = prepare(csv_bytes([CLAIM_ROW, NO_HIKVISION_ROW]), geocode)
    assert report.fatal == [] and report.package_problems == []
    assert [(r.row, r.accepted, r.records) for r in report.rows] == [
        (
            2,
            True,
            [
                "new site example-test-trust-example-test-hospital",
                "new source example-test-trust-2026-foi-answer-on-cctv",
                "new claim example-test-trust-example-test-hospital-hikvision-2026",
                "new FOI request foi-example-test-trust-2026-10-01",
            ],
        ),
        (3, True, ["new FOI request foi-thurrock-council-2026-10-02"]),
    ]
    assert report.diff.counts() == {
        "new sites": 1,
        "changed sites": 0,
        "new claims": 1,
        "new FOI requests": 2,
        "new sources": 1,
    }
    assert report.ok
    # The FOI answer is the claim's source, of kind foi-response, linked in claim_sources.
    source = report.diff.new_sources[0]
    assert source["kind"] == "foi-response"
    # The link carries the source's own words and the day they were read (typed the UK way, stored as ISO).
    assert report.diff.new_claim_sources == [
        {
            "claim": report.diff.new_claims[0]["id"],
            "source": source["id"],
            "quote": CLAIM_ROW["source_quote"],
            "checked": "2026-10-21",
            "quote_note": "",
        }
    ]
    trust_request, council_request = report.diff.new_foi_requests
    assert trust_request["site"] == "example-test-trust-example-test-hospital"
    assert trust_request["authority"] == ""  # not a council
    # "No Hikvision" is a request with its finding, tied to the council found by its name; no site, no claim.
    assert council_request == {
        "id": "foi-thurrock-council-2026-10-02",
        "organisation": "Thurrock Council",
        "authority": "E06000034",
        "site": "",
        "law": "",
        "sent": "2026-10-02",
        "answered": "",
        "url": "",
        "status": "answered",
        "finding": "none",
        "outcome": "Fictional test answer",
        "note": "",
    }
    assert report.locations["example-test-trust-example-test-hospital"][2] == "Westminster"


@pytest.mark.parametrize(
    "name, code",
    [
        ("Perth & Kinross", "S12000048"),
        ("Cyngor Caerdydd", "W06000015"),
        ("LB Hammersmith and Fulham", "E09000013"),
        ("Tonbridge & Malling BC", "E07000115"),
        ("THE CITY OF EDINBURGH COUNCIL", "S12000036"),
        ("Kent CC", "E10000016"),
    ],
)
def test_council_names_in_any_common_spelling_find_their_code(geocode, name, code):
    row = {**NO_HIKVISION_ROW, "organisation": name}
    report = prepare(csv_bytes([row]), geocode)
    assert rejected(report) == []
    assert report.diff.new_foi_requests[0]["authority"] == code


@pytest.mark.parametrize(
    "name, closest",
    [
        ("Thurock Council", "Thurrock Council"),
        ("Newcastle", "Newcastle City Council"),
    ],
)
def test_a_council_name_that_matches_none_is_rejected_with_the_closest_names(geocode, name, closest):
    report = prepare(csv_bytes([{**NO_HIKVISION_ROW, "organisation": name}]), geocode)
    [(row, column, message)] = rejected(report)
    assert (row, column) == (2, "organisation")
    assert closest in message
    assert report.diff.new_foi_requests[0]["authority"] == ""  # never guessed


def test_a_body_that_is_not_a_council_says_its_kind(geocode):
    request = {**NO_HIKVISION_ROW, "organisation": "Example Test Constabulary"}
    report = prepare(csv_bytes([request, {**request, "kind": "police"}]), geocode)
    assert [(r, c) for r, c, _ in rejected(report)] == [(2, "organisation")]
    assert "give its kind if it is not a council" in rejected(report)[0][2]


def test_a_claim_about_a_councils_estate_is_about_its_area(geocode, scratch):
    row = {
        **CLAIM_ROW,
        "organisation": "Essex County Council",
        "kind": "council",
        "site_name": "",
        "postcode": "",
        "foi_sent": "",
        "foi_status": "",
        "foi_finding": "",
        "foi_outcome": "",
        "source_kind": "press",
        "claim": "Fictional test claim about the county council's estate.",
        "source_quote": "Essex County Council's estate has the cameras (a fictional test).",
    }
    report = prepare_import(csv_bytes([row], header=HEADER + ["source_kind"]), "a.csv", scratch, geocode=geocode)
    assert rejected(report) == []
    [site] = report.diff.new_sites
    assert (site["precision"], site["authority"], site["postcode"]) == ("area", "E10000012", "")
    assert site["name"] == "Essex County Council: its estate and CCTV"
    lat, _lon, where = report.locations[site["id"]]
    assert where == "Essex County Council" and 51.4 < lat < 52.1
    apply_import(report, scratch, today=dt.date(2026, 11, 27))
    assert check_package(scratch) == []


def test_a_merged_council_is_matched_as_it_was(geocode):
    row = {**NO_HIKVISION_ROW, "organisation": "Harrogate Borough Council"}
    report = prepare(csv_bytes([row]), geocode)
    assert rejected(report) == []
    assert report.diff.new_foi_requests[0]["authority"] == "E07000165"


def test_an_authority_code_is_checked(geocode):
    header = HEADER + ["authority_code"]
    rows = [
        {**NO_HIKVISION_ROW, "organisation": "Some name the council uses", "authority_code": "e06000034"},
        {**NO_HIKVISION_ROW, "authority_code": "E06999999"},
    ]
    report = prepare(csv_bytes(rows, header=header), geocode)
    assert rejected(report) == [(3, "authority_code", "'E06999999' is not the GSS code of any UK local authority")]
    assert report.diff.new_foi_requests[0]["authority"] == "E06000034"


def test_overdue_is_worked_out_not_stored(geocode):
    report = prepare(csv_bytes([{**NO_HIKVISION_ROW, "foi_status": "Overdue", "foi_finding": ""}]), geocode)
    assert rejected(report) == []
    assert report.diff.new_foi_requests[0]["status"] == "sent"
    assert "overdue is worked out from foi_sent" in report.rows[0].records[0]


def test_column_name_variants_are_read_and_extra_columns_named(geocode):
    header = [
        "Organization",
        "Kind",
        "Site",
        "Post code",
        "Date sent",
        "FOI Status",
        "Outcome",
        "Manufacturer",
        "Claim",
        "Evidence grade",
        "Date reported",
        "Status",
        "Source title",
        "Publisher",
        "Source URL",
        "Source date",
        "Quote",
        "Date checked",
        "Colour",
        "Body",
        "",
    ]
    keys = [
        "organisation",
        "kind",
        "site_name",
        "postcode",
        "foi_sent",
        "foi_status",
        "foi_outcome",
        "vendor",
        "claim",
        "grade",
        "reported",
        "status",
        "source_title",
        "source_publisher",
        "source_url",
        "source_published",
        "source_quote",
        "source_checked",
    ]
    row = [CLAIM_ROW[k] for k in keys] + ["blue", "ignored body", ""]
    out = io.StringIO(newline="")
    csv.writer(out).writerows([header, row])
    report = prepare(out.getvalue().encode(), geocode)
    assert report.extra_columns == ["Colour", "Body (a second organisation column)", "(unnamed column 21)"]
    assert report.columns["Post code"] == "postcode" and report.columns["Organization"] == "organisation"
    assert report.columns["Quote"] == "source_quote" and report.columns["Date checked"] == "source_checked"
    assert [r.accepted for r in report.rows] == [True]
    assert report.diff.new_sites[0]["organisation"] == "Example Test Trust"


def test_coded_values_in_other_cases_and_uk_dates_are_understood(geocode):
    row = {
        **CLAIM_ROW,
        "kind": "NHS",
        "foi_status": "Answered",
        "vendor": "HIKVISION",
        "grade": "Official",
        "status": "Removal in progress",
        "foi_sent": "01/10/2026",
        "postcode": "sw1a2aa",
        "foi_finding": "Not held",
    }
    report = prepare(csv_bytes([row]), geocode)
    assert rejected(report) == []
    assert report.diff.new_claims[0]["status"] == "removal-in-progress"
    assert report.diff.new_sites[0]["kind"] == "nhs"
    assert report.diff.new_foi_requests[0]["sent"] == "2026-10-01"
    assert report.diff.new_foi_requests[0]["finding"] == "not-held"
    assert report.diff.new_sites[0]["postcode"] == "SW1A 2AA"


# --- Encodings ---------------------------------------------------------------------
def test_utf8_with_byte_order_mark(geocode):
    report = prepare(b"\xef\xbb\xbf" + csv_bytes([NO_HIKVISION_ROW]), geocode)
    assert report.encoding == "UTF-8 with byte-order mark"
    assert report.columns == {h: h for h in HEADER}
    assert [r.accepted for r in report.rows] == [True]


def test_windows_1252_pound_sign_and_accents(geocode):
    row = {
        **NO_HIKVISION_ROW,
        "organisation": "Café Testshire Council",
        "foi_outcome": "Cameras cost £5,000; none by Hikvision",
    }
    data = csv_bytes([row], encoding="cp1252")
    assert b"\xa3" in data and b"\xe9" in data  # really Windows-1252, not UTF-8
    report = prepare(data, geocode)
    assert report.encoding == "Windows-1252"
    request = report.diff.new_foi_requests[0]
    assert request["organisation"] == "Café Testshire Council"
    assert request["outcome"] == "Cameras cost £5,000; none by Hikvision"


def test_bytes_that_are_no_text_encoding_are_a_file_error(geocode):
    report = prepare(b"organisation,foi_status\n\x81\x8d\x8f,sent\n", geocode)
    assert report.fatal == [
        "the file is neither UTF-8 nor Windows-1252 text (byte 24 cannot be read); save it as 'CSV UTF-8' and try again"
    ]
    assert report.rows == []


# --- Columns -------------------------------------------------------------------------
def test_missing_required_column_rejects_the_file(geocode):
    report = prepare(csv_bytes([NO_HIKVISION_ROW], header=["foi_status", "foi_outcome"]), geocode)
    assert report.fatal == [
        "required column(s) missing: organisation. Use the template's header row "
        "(data/templates/foi-import-template.csv)."
    ]
    assert report.rows == [] and not report.ok


def test_a_file_that_can_record_nothing_is_rejected(geocode):
    report = prepare(csv_bytes([NO_HIKVISION_ROW], header=["organisation", "postcode"]), geocode)
    assert report.fatal == ["the file has neither a foi_status nor a claim column, so no row can record anything"]


def test_every_template_column_maps_to_itself():
    mapping = map_columns(list(TEMPLATE_COLUMNS))
    assert mapping.columns == {c: c for c in TEMPLATE_COLUMNS}
    assert mapping.extra == [] and mapping.missing_required == [] and mapping.absent == []
    assert (DATA / "templates" / "foi-import-template.csv").read_text(encoding="utf-8") == ",".join(
        TEMPLATE_COLUMNS
    ) + "\n"


# --- Hostile text ----------------------------------------------------------------------
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_html_and_script_in_every_field_are_kept_as_plain_text(geocode):
    row = {**CLAIM_ROW}
    for column in (
        "organisation",
        "site_name",
        "foi_outcome",
        "claim",
        "source_title",
        "source_publisher",
        "source_quote",
    ):
        row[column] = f"{SCRIPT} {column}"
    report = prepare(csv_bytes([row]), geocode)
    assert rejected(report) == []
    site = report.diff.new_sites[0]
    assert site["name"] == f"{SCRIPT} site_name" and site["organisation"] == f"{SCRIPT} organisation"
    assert report.diff.new_claims[0]["claim"] == f"{SCRIPT} claim"
    assert report.diff.new_sources[0]["title"] == f"{SCRIPT} source_title"
    assert report.diff.new_claim_sources[0]["quote"] == f"{SCRIPT} source_quote"
    assert report.diff.new_foi_requests[0]["outcome"] == f"{SCRIPT} foi_outcome"
    # Ids are slugs, whatever the text.
    assert site["id"] == "script-alert-x-script-img-src-x-onerror-alert-1-organisation"
    assert slugify(site["id"]) == site["id"]


def test_javascript_and_data_links_are_rejected(geocode):
    rows = [
        {**CLAIM_ROW, "source_url": "javascript:alert(1)"},
        {**NO_HIKVISION_ROW, "foi_status": "sent", "foi_finding": ""},
    ]
    header = HEADER + ["foi_url"]
    rows[1]["foi_url"] = "data:text/html,<script>alert(1)</script>"
    report = prepare(csv_bytes(rows, header=header), geocode)
    assert rejected(report) == [
        (2, "source_url", "'javascript:alert(1)' is not an http(s) address"),
        (3, "foi_url", "'data:text/html,<script>alert(1)</script>' is not an http(s) address"),
    ]


def test_formula_cells_are_stored_as_typed(geocode, scratch):
    row = {
        **CLAIM_ROW,
        "organisation": '=HYPERLINK("http://evil.example","x")',
        "claim": "+cmd|' /C calc'!A0",
        "foi_outcome": "-2+3",
        "site_name": "@SUM(1,1)",
    }
    report = prepare_import(csv_bytes([row]), "f.csv", scratch, geocode=geocode)
    assert rejected(report) == []
    assert report.diff.new_sites[0]["organisation"] == row["organisation"]
    assert report.diff.new_sites[0]["name"] == "@SUM(1,1)"
    assert report.diff.new_claims[0]["claim"] == "+cmd|' /C calc'!A0"
    assert report.diff.new_foi_requests[0]["outcome"] == "-2+3"
    apply_import(report, scratch, today=dt.date(2026, 11, 27))
    package, problems = load_package(scratch)
    assert problems == []
    assert package.table("claims").rows[-1]["claim"] == "+cmd|' /C calc'!A0"
    assert package.table("foi_requests").rows[-1]["outcome"] == "-2+3"
    assert package.table("sites").rows[-1]["name"] == "@SUM(1,1)"


def test_overlong_fields_are_rejected_naming_row_and_field(geocode):
    rows = [{**CLAIM_ROW, "claim": "x" * 1001}, {**NO_HIKVISION_ROW, "foi_outcome": "y" * 1001}]
    report = prepare(csv_bytes(rows), geocode)
    assert rejected(report) == [
        (2, "claim", "1001 characters, more than the 1000 allowed"),
        (3, "foi_outcome", "1001 characters, more than the 1000 allowed"),
    ]


def test_bad_codes_and_dates_are_rejected(geocode):
    rows = [
        {**CLAIM_ROW, "vendor": "acme", "grade": "rumour", "reported": "2026-02-30"},
        {**NO_HIKVISION_ROW, "foi_status": "lost"},
    ]
    report = prepare(csv_bytes(rows), geocode)
    assert rejected(report) == [
        (2, "vendor", "'acme' is not one of: hikvision, dahua, other"),
        (2, "grade", "'rumour' is not one of: official, documented, reported"),
        (2, "reported", "'2026-02-30' is not a real date"),
        (3, "foi_status", "'lost' is not one of: sent, answered, refused, withdrawn"),
    ]


def test_rows_that_are_incomplete_say_what_is_missing(geocode):
    rows = [
        {"organisation": "Example Test Trust"},  # records nothing
        {**CLAIM_ROW, "postcode": "", "kind": ""},  # a new site with no place and no kind
        {**CLAIM_ROW, "source_title": "", "source_publisher": "", "source_url": "", "source_published": ""},
        {**NO_HIKVISION_ROW, "foi_status": "", "organisation": ""},
        {**NO_HIKVISION_ROW, "site_name": "Testshire Hall"},  # site details with no claim
    ]
    report = prepare(csv_bytes(rows), geocode)
    assert rejected(report) == [
        (2, "foi_status", "the row records nothing: give an FOI request (foi_status) or a claim (vendor, claim, ...)"),
        (3, "kind", "a new site needs its kind (council, police, nhs, university, government-department, ...)"),
        (
            3,
            "postcode",
            "a new site needs its postcode (the map places it from the postcode), or, for a council's "
            "estate or network, the council (name or authority_code)",
        ),
        (4, "source_title", "a claim needs its source: give source_title, source_publisher and source_url"),
        (5, "organisation", "required value is missing: name the public body"),
        (5, "foi_status", "required for an FOI request: sent, answered, refused or withdrawn"),
        (6, "site_name", "site and source details are used only with a claim; a request with no claim adds no site"),
    ]


def test_a_claim_needs_the_words_of_its_source_and_when_they_were_read(geocode):
    rows = [{**CLAIM_ROW, "source_quote": "", "source_checked": ""}, {**CLAIM_ROW, "source_checked": "31/02/2026"}]
    report = prepare(csv_bytes(rows), geocode)
    assert rejected(report) == [
        (2, "source_quote", "required value is missing"),
        (2, "source_checked", "required value is missing"),
        (3, "source_checked", "'31/02/2026' is not a date (YYYY-MM-DD)"),
    ]


# --- Ids and duplicates ----------------------------------------------------------------
def test_generated_ids_never_collide_with_existing_or_each_other(geocode):
    existing = {r["id"] for r in load_package(DATA)[0].table("foi_requests").rows}
    rows = [dict(NO_HIKVISION_ROW) for _ in range(3)]
    report = prepare(csv_bytes(rows), geocode)
    ids = [r["id"] for r in report.diff.new_foi_requests]
    assert ids == [
        "foi-thurrock-council-2026-10-02",
        "foi-thurrock-council-2026-10-02-2",
        "foi-thurrock-council-2026-10-02-3",
    ]
    assert not existing & set(ids)


def test_site_id_repeated_with_different_details_is_a_duplicate_id(geocode):
    header = HEADER + ["site_id"]
    rows = [
        {**CLAIM_ROW, "site_id": "example-hall"},
        {**CLAIM_ROW, "site_id": "example-hall", "vendor": "dahua"},  # same site, second claim: fine
        {**CLAIM_ROW, "site_id": "example-hall", "site_name": "Another Hall"},
    ]
    report = prepare(csv_bytes(rows, header=header), geocode)
    assert rejected(report) == [(4, "site_name", "site_id 'example-hall' is used on row 2 with a different site_name")]
    assert [s["id"] for s in report.diff.new_sites] == ["example-hall"]
    assert [c["site"] for c in report.diff.new_claims] == ["example-hall"] * 3


def test_existing_site_id_attaches_to_that_site_and_shows_the_change(geocode):
    header = HEADER + ["site_id"]
    row = {
        **CLAIM_ROW,
        "site_id": "moj-102-petty-france",
        "organisation": "Ministry of Justice",
        "kind": "",
        "site_name": "",
        "postcode": "",
        "source_url": "https://www.example.org/moj-foi",
    }
    row2 = {**row, "postcode": "SW1H 9AA"}
    report = prepare(csv_bytes([row, row2], header=header), geocode)
    assert report.diff.new_sites == []
    assert report.diff.changed_sites == [
        {"id": "moj-102-petty-france", "field": "postcode", "old": "SW1H 9AJ", "new": "SW1H 9AA"}
    ]
    assert [c["site"] for c in report.diff.new_claims] == ["moj-102-petty-france"] * 2


def test_likely_duplicates_of_existing_sites_are_shown_not_merged(geocode):
    row = {
        **CLAIM_ROW,
        "organisation": "Department for Work & Pensions",
        "kind": "government-department",
        "site_name": "",
        "postcode": "sw1h 9na",
        "source_quote": "The Department for Work & Pensions has the cameras (a fictional test).",
    }
    report = prepare(csv_bytes([row]), geocode)
    assert rejected(report) == []
    assert [(d.row, d.site_id, d.existing_id) for d in report.duplicates] == [
        (2, "department-for-work-pensions", "dwp-caxton-house"),
        (2, "department-for-work-pensions", "dwp-jobcentre-plus-offices"),
    ]
    assert [s["id"] for s in report.diff.new_sites] == ["department-for-work-pensions"]  # a new site all the same


# --- Postcodes -------------------------------------------------------------------------
def test_malformed_unknown_terminated_and_foreign_postcodes(geocode):
    rows = [{**CLAIM_ROW, "postcode": p} for p in ("NOT A CODE", "ZZ9 9ZZ", "PA23 9AA", "JE1 0BD")]
    report = prepare(csv_bytes(rows), geocode)
    assert rejected(report) == [
        (2, "postcode", "not a valid UK postcode (expected something like SW1H 9NA)"),
        (3, "postcode", "unknown postcode: not in the ONS Postcode Directory"),
        (4, "postcode", "terminated or unlocated postcode: the directory gives no location"),
        (5, "postcode", "outside the UK: in the Channel Islands"),
    ]


def test_northern_ireland_postcode_is_accepted_with_its_district(geocode):
    row = {
        **CLAIM_ROW,
        "organisation": "Belfast City Council",
        "kind": "council",
        "postcode": "BT1 5GS",
        "site_name": "Fictional Test Hall",
        "claim": "Fictional test claim.",
        "source_quote": "Belfast City Council's Fictional Test Hall has them.",
    }
    report = prepare(csv_bytes([row]), geocode)
    assert rejected(report) == []
    lat, lon, district = report.locations[report.diff.new_sites[0]["id"]]
    assert district == "Belfast" and 54.5 < lat < 54.7 and -6.1 < lon < -5.8
    assert report.diff.new_sites[0]["authority"] == "N09000003"
    assert report.diff.new_foi_requests[0]["authority"] == "N09000003"


def test_geocoding_reports_progress_in_batches(geocode, monkeypatch):
    import geo.importing.rows as rows_module

    monkeypatch.setattr(rows_module, "GEOCODE_BATCH", 2)
    calls = []
    seen = []
    postcodes = ["SW1A 2AA", "SW1H 9NA", "M1 1AE", "BT1 5GS", "EH1 1YZ"]
    rows = [{**NO_HIKVISION_ROW, "postcode": postcode} for postcode in postcodes]

    def counting_geocode(batch):
        seen.append(len(batch))
        return geocode(batch)

    prepare_import(
        csv_bytes(rows, header=HEADER),
        "p.csv",
        DATA,
        geocode=counting_geocode,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert seen == [2, 2, 1]
    assert calls == [(0, 5), (2, 5), (4, 5), (5, 5)]


def test_each_postcode_is_looked_up_once_from_the_report_to_the_built_file(geocode, scratch):
    """The rows geocode their postcodes; the check and the build at apply reuse them (and each other's)."""
    asked: list[str] = []

    def counting_geocode(batch):
        asked.extend(batch)
        return geocode(batch)

    rows = [CLAIM_ROW, {**CLAIM_ROW, "site_name": "Example Test Clinic", "claim": "A second fictional claim."}]
    report = prepare_import(csv_bytes(rows), "twice.csv", scratch, geocode=counting_geocode)
    assert rejected(report) == [] and report.ok
    assert asked == ["SW1A 2AA"]  # two rows, one postcode: looked up once, preview included
    package, _ = load_package(scratch)
    existing = [s["postcode"] for s in package.table("sites").rows if s["postcode"]]
    asked.clear()
    apply_import(report, scratch, geocode=counting_geocode)
    # The check and the build of the new package looked up each existing site's postcode once, the rows' none.
    assert sorted(asked) == sorted(set(existing) - {"SW1A 2AA"})
    from geo.evidence.build import build

    # What apply built is what a build of the written package makes.
    written = (scratch / "build" / "sites.geojson").read_text(encoding="utf-8")
    fresh = build(scratch, scratch.parent / "fresh.geojson", geocode=geocode)
    assert json.loads(written) == fresh


def test_the_import_runs_one_way():
    """rows (making the report) never imports apply (writing it); both use the package's own module."""
    import ast

    tree = ast.parse((ROOT / "geo" / "importing" / "rows.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert "geo.importing.apply" not in imported and "geo.importing" not in imported


def test_the_candidate_checked_in_memory_is_the_package_apply_writes(geocode, scratch, tmp_path):
    """package_from_rows gives the rows and lines load_package reads once write_csv has written them."""
    from geo.evidence.datapackage import package_from_rows, write_csv

    multiline = {**CLAIM_ROW, "claim": "A fictional claim\nover two lines,\r\nthen three.", "site_name": " Padded "}
    after = {**CLAIM_ROW, "site_name": "Example Test Clinic", "claim": "A fictional claim on the next line."}
    report = prepare_import(csv_bytes([multiline, after, NO_HIKVISION_ROW]), "m.csv", scratch, geocode=geocode)
    assert report.ok, report.text()
    package, _ = load_package(scratch)
    in_memory = package_from_rows(package.descriptor, report.tables, tmp_path)
    for name, table in package.tables.items():
        write_csv(tmp_path / table.path, [f["name"] for f in table.fields], report.tables[name])
    (tmp_path / "datapackage.json").write_text(json.dumps(package.descriptor), encoding="utf-8")
    on_disk, problems = load_package(tmp_path)
    assert problems == []
    for name, table in on_disk.tables.items():
        assert (in_memory.table(name).rows, in_memory.table(name).lines) == (table.rows, table.lines), name
    assert any(line != k + 2 for k, line in enumerate(on_disk.table("claims").lines))  # a row spanned lines


# --- Whole-file limits -------------------------------------------------------------------
def test_empty_file(geocode):
    assert prepare(b"", geocode).fatal == ["the file is empty: it has no header row"]
    assert prepare(b"\n\n \n", geocode).fatal == ["the file is empty: it has no header row"]


def test_header_only_is_read_but_has_nothing_to_apply(geocode):
    report = prepare(csv_bytes([]), geocode)
    assert report.fatal == [] and report.rows == [] and not report.ok


def test_too_many_rows(geocode):
    report = prepare(csv_bytes([NO_HIKVISION_ROW] * (MAX_ROWS + 1)), geocode)
    assert report.fatal == [f"the file has {MAX_ROWS + 1} rows; the limit is {MAX_ROWS}. Split it into smaller files."]
    assert report.rows == []


def test_exactly_the_row_limit_is_read(geocode):
    report = prepare(csv_bytes([NO_HIKVISION_ROW] * MAX_ROWS), geocode)
    assert report.fatal == [] and len(report.accepted) == MAX_ROWS


def test_too_big(geocode):
    data = csv_bytes([NO_HIKVISION_ROW]) + b"#" * MAX_BYTES
    report = prepare(data, geocode)
    assert report.fatal == ["the file is 5.0 MB; the limit is 5 MB. Split it into smaller files."]


def test_blank_and_ragged_rows_are_accounted_for(geocode):
    text = (
        "organisation,foi_status,foi_outcome\r\n"
        "Thurrock Council,answered,Fictional test answer\r\n"
        "\r\n"
        ",,\r\n"
        "Essex County Council,sent\r\n"  # a short row: missing cells are empty
        "Kent County Council,sent,,surprise\r\n"
    )
    report = prepare(text.encode(), geocode)
    assert report.blank_rows == [3, 4]
    assert [(r.row, r.accepted) for r in report.rows] == [(2, True), (5, True), (6, False)]
    assert rejected(report) == [(6, "*", "row has 1 filled cell(s) beyond the last column of the header")]


def test_multiline_cells_keep_spreadsheet_row_numbers(geocode):
    rows = [{**NO_HIKVISION_ROW, "foi_outcome": "line one\nline two"}, {**NO_HIKVISION_ROW, "foi_status": "lost"}]
    report = prepare(csv_bytes(rows), geocode)
    assert rejected(report) == [(3, "foi_status", "'lost' is not one of: sent, answered, refused, withdrawn")]


def test_semicolon_separated_file(geocode):
    report = prepare(b"Organisation;FOI status\nThurrock Council;sent\n", geocode)
    assert [(r.row, r.accepted) for r in report.rows] == [(2, True)]


def test_old_excel_and_broken_xlsx_are_file_errors(geocode):
    assert prepare(b"\xd0\xcf\x11\xe0rest", geocode, name="a.xls").fatal == [
        "old Excel .xls files are not read: save it as .xlsx or as CSV UTF-8"
    ]
    fatal = prepare(b"PK\x03\x04 not really a zip", geocode, name="a.xlsx").fatal
    assert len(fatal) == 1 and fatal[0].startswith("the file cannot be read as an Excel .xlsx workbook")


def test_xlsx_with_dates_numbers_and_formula_text(geocode):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "Organisation",
            "Post code",
            "Kind",
            "Date sent",
            "FOI status",
            "Vendor",
            "Claim",
            "Grade",
            "Reported",
            "Status",
            "Source title",
            "Source publisher",
            "Source URL",
            "Source published",
            "Source quote",
            "Source checked",
        ]
    )
    sheet.append(
        [
            "Example Test Trust",
            "SW1A 2AA",
            "nhs",
            dt.datetime(2026, 10, 1),
            "answered",
            "hikvision",
            "=1+2",
            "documented",
            2026,
            "reported",
            "FOI answer",
            "Example Test Trust",
            "https://www.example.org/foi",
            dt.date(2026, 10, 20),
            "Example Test Trust has Hikvision cameras.",
            dt.date(2026, 10, 21),
        ]
    )
    sheet.append([None] * 5)
    sheet.append(["Thurrock Council", None, None, None, "overdue"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = prepare(buffer.getvalue(), geocode, name="results.xlsx")
    assert report.encoding == "Excel workbook (first sheet)"
    assert rejected(report) == []
    assert report.blank_rows == [3]
    assert [r.row for r in report.rows] == [2, 4]
    assert report.diff.new_claims[0]["claim"] == "=1+2"  # the formula as typed, never evaluated
    assert report.diff.new_claims[0]["reported"] == "2026"
    assert report.diff.new_foi_requests[0]["sent"] == "2026-10-01"
    assert report.diff.new_sources[0]["published"] == "2026-10-20"


# --- Property: the reader never crashes and accounts for every row -------------------------
_cells = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12) | st.sampled_from(
    [
        "",
        "answered",
        "sent",
        "hikvision",
        "council",
        "SW1A 2AA",
        "BT1 5GS",
        "2026-10-01",
        "=cmd",
        "<b>x</b>",
        "https://example.org/x",
        "official",
        "reported",
    ]
)
_headers = st.lists(
    st.sampled_from(list(TEMPLATE_COLUMNS) + ["Post code", "Body", "junk", "", "Organisation"]), min_size=1, max_size=10
)


def _fake_geocode(postcodes):
    out = []
    for raw in postcodes:
        if str(raw).replace(" ", "").upper() == "SW1A2AA":
            out.append(Location("SW1A 2AA", 51.5, -0.13, "E09000033", "Westminster", "London", "England"))
        else:
            out.append(PostcodeError(str(raw), "unknown postcode: not in the ONS Postcode Directory"))
    return out


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=_headers,
    body=st.lists(st.lists(_cells, max_size=12), max_size=8),
    encoding=st.sampled_from(["utf-8", "utf-8-sig"]),
)
def test_random_tables_never_crash_and_every_row_is_accounted_for(header, body, encoding):
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(body)
    report = prepare_import(out.getvalue().encode(encoding), "random.csv", DATA, geocode=_fake_geocode)
    assert report.package_problems == []
    if report.fatal:
        assert report.rows == [] and not report.ok
        return
    # The header was the first non-blank record: the data rows follow it.
    non_blank = [cells for cells in body if any(c.strip() for c in cells)]
    assert len(report.rows) == len(non_blank)
    assert len(report.accepted) + len(report.rejected) == len(report.rows)
    numbers = [r.row for r in report.rows] + report.blank_rows
    assert len(numbers) == len(set(numbers))
    for result in report.rejected:
        assert result.issues and all(i.row == result.row and i.field and i.message for i in result.issues)


# --- Apply ------------------------------------------------------------------------------
def test_apply_writes_package_backup_changelog_and_build(geocode, scratch):
    before = snapshot(scratch)
    report = prepare_import(csv_bytes([CLAIM_ROW, NO_HIKVISION_ROW]), "results <b>.csv", scratch, geocode=geocode)
    result = apply_import(report, scratch, today=dt.date(2026, 12, 4))
    from geo.evidence.dataset import load_dataset, read_changelog

    last_date, last_version, _ = read_changelog(DATA / "CHANGELOG.md")[0]  # the committed data's latest entry
    major, minor = (int(p) for p in last_version.split(".")[:2])
    version = f"{major}.{minor + 1}.0"
    assert result.version == version and result.date == "2026-12-04"
    assert result.files == [
        "sources.csv",
        "sites.csv",
        "claims.csv",
        "claim_sources.csv",
        "foi_requests.csv",
        "CHANGELOG.md",
        "datapackage.json",
        "build/sites.geojson",
    ]
    assert check_package(scratch, geocode=geocode) == []
    # The backup holds the old package, byte for byte.
    for name in (
        "sites.csv",
        "claims.csv",
        "claim_sources.csv",
        "sources.csv",
        "foi_requests.csv",
        "datapackage.json",
        "CHANGELOG.md",
    ):
        assert (result.backup / name).read_bytes() == before[name]
    changelog = (scratch / "CHANGELOG.md").read_text(encoding="utf-8")
    assert (
        f"## 2026-12-04 — {version}\n\n- Imported from `results _b_.csv`: 1 new sites, 0 changed sites, 1 new claims, "
        f"2 new FOI requests, 1 new sources.\n\n## {last_date} — {last_version}" in changelog
    )

    data = load_dataset(scratch, scratch / "build" / "sites.geojson")
    entries = read_changelog(scratch / "CHANGELOG.md")
    assert ("2026-12-04", version) in [(d, v) for d, v, _ in entries]
    assert (data.last_changed, data.version) == entries[0][:2]  # the newest dated entry
    assert "example-test-trust-example-test-hospital" in set(data.sites["id"])
    shipped = load_package(DATA)[0]
    sites_before, requests_before = len(shipped.table("sites").rows), len(shipped.table("foi_requests").rows)
    assert len(data.sites) == sites_before + 1 and len(data.foi_requests) == requests_before + 2
    assert f'"version": "{version}"' in (scratch / "datapackage.json").read_text(encoding="utf-8")
    # Unchanged tables are untouched; nothing is left next to the package.
    assert (scratch / "figures.csv").read_bytes() == before["figures.csv"]
    assert sorted(p.name for p in scratch.parent.iterdir()) == ["data"]


def test_apply_refuses_rejected_rows_and_stale_reports(geocode, scratch):
    before = snapshot(scratch)
    bad = prepare_import(csv_bytes([{**NO_HIKVISION_ROW, "foi_status": "lost"}]), "b.csv", scratch, geocode=geocode)
    with pytest.raises(ApplyError, match="rejected rows"):
        apply_import(bad, scratch)
    good = prepare_import(csv_bytes([NO_HIKVISION_ROW]), "g.csv", scratch, geocode=geocode)
    (scratch / "foi_requests.csv").write_text((scratch / "foi_requests.csv").read_text() + "")  # same bytes: fine
    stale = prepare_import(csv_bytes([NO_HIKVISION_ROW]), "s.csv", scratch, geocode=geocode)
    with open(scratch / "CHANGELOG.md", "a", encoding="utf-8") as handle:
        handle.write("\n")  # someone else changed the package after the report was made
    changed = snapshot(scratch)
    with pytest.raises(ApplyError, match="the data changed since this report was made"):
        apply_import(stale, scratch)
    with pytest.raises(ApplyError):
        apply_import(good, scratch)
    assert snapshot(scratch) == changed and changed["sites.csv"] == before["sites.csv"]


KILLER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import geo.evidence.build
    import geo.importing as importing
    import geo.importing.apply as importer

    data_dir, upload, point, marker = sys.argv[1:5]

    def pause():
        Path(marker).write_text("ready")
        time.sleep(120)

    report = importing.prepare_import(Path(upload).read_bytes(), "kill.csv", Path(data_dir))
    assert report.ok, report.text()
    if point == "backup":  # mid-way through copying the backup into the new package
        real_copy = importer.shutil.copy2
        count = [0]
        def slow_copy(src, dst, **kwargs):
            count[0] += 1
            if count[0] == 4:
                Path(dst).write_bytes(Path(src).read_bytes()[:10])
                pause()
            return real_copy(src, dst, **kwargs)
        importer.shutil.copy2 = slow_copy
    elif point == "write":
        def slow_write(path, header, rows):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(",".join(header) + "\\n")
                handle.flush()
            pause()
        importer.write_csv = slow_write
    elif point == "build":
        def slow_atomic(path, text):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text[: len(text) // 2], encoding="utf-8")
            pause()
        geo.evidence.build.write_text_atomically = slow_atomic
    elif point == "after-swap":
        real_exchange = importer.exchange_directories
        def exchange_then_pause(a, b):
            real_exchange(a, b)
            pause()
        importer.exchange_directories = exchange_then_pause
    importer.apply_import(report, Path(data_dir))
    print("finished without being killed")
""")


@pytest.mark.parametrize("point", ["backup", "write", "build", "after-swap"])
def test_a_kill_mid_apply_leaves_the_old_or_the_new_package_never_a_mix(geocode, scratch, tmp_path, point):
    upload = tmp_path / "upload.csv"
    upload.write_bytes(csv_bytes([CLAIM_ROW, NO_HIKVISION_ROW]))
    marker = tmp_path / "marker"
    script = tmp_path / "killer.py"
    script.write_text(KILLER, encoding="utf-8")
    before = snapshot(scratch)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HIKMAP_TILES": "none"}
    process = subprocess.Popen(
        [sys.executable, str(script), str(scratch), str(upload), point, str(marker)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        if process.poll() is not None:
            pytest.fail("the apply ended before the kill point: " + process.stdout.read().decode(errors="replace"))
        assert time.monotonic() < deadline, "the apply never reached the kill point"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    after = snapshot(scratch)
    assert check_package(scratch, geocode=geocode) == []
    if point == "after-swap":
        # Killed after the swap: the whole new package is in place, with its backup and build.
        package, _ = load_package(scratch)
        assert "example-test-trust-example-test-hospital" in {s["id"] for s in package.table("sites").rows}
        assert b"example-test-trust-example-test-hospital" in after["build/sites.geojson"]
        backups = [k for k in after if k.startswith("backups/") and k.endswith("sites.csv")]
        assert len(backups) == 1 and after[backups[0]] == before["sites.csv"]
    else:
        assert after == before  # byte-identical, nothing added, nothing missing
    # The next apply clears what the killed one left beside the package, and works.
    report = prepare_import(
        csv_bytes([{**NO_HIKVISION_ROW, "organisation": "Essex County Council"}]), "next.csv", scratch, geocode=geocode
    )
    apply_import(report, scratch)
    assert sorted(p.name for p in scratch.parent.iterdir()) == sorted(["data", "upload.csv", "marker", "killer.py"])
    assert check_package(scratch, geocode=geocode) == []


# --- Command line -------------------------------------------------------------------------
def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HIKMAP_TILES": "none"}
    return subprocess.run(
        [sys.executable, "-m", "geo", "import", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


def test_cli_exit_codes_and_apply_refusal(tmp_path, scratch):
    clean, broken = tmp_path / "clean.csv", tmp_path / "broken.csv"
    clean.write_bytes(csv_bytes([NO_HIKVISION_ROW]))
    broken.write_bytes(csv_bytes([NO_HIKVISION_ROW, {**NO_HIKVISION_ROW, "foi_status": "lost"}]))
    before = snapshot(scratch)

    result = run_cli(str(clean), "--data", str(scratch))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "row 2: accepted: new FOI request foi-thurrock-council-2026-10-02" in result.stdout
    assert snapshot(scratch) == before  # without --apply nothing is written

    result = run_cli(str(broken), "--data", str(scratch), "--apply")
    assert result.returncode == 1
    assert "row 3: REJECTED: foi_status: 'lost' is not one of: sent, answered, refused, withdrawn" in result.stdout
    assert "not applied" in result.stderr
    assert snapshot(scratch) == before

    result = run_cli(str(tmp_path / "missing.csv"), "--data", str(scratch))
    assert result.returncode == 1 and "cannot read" in result.stderr

    result = run_cli(str(clean), "--data", str(scratch), "--apply")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"applied: version [0-9]+\.[0-9]+\.0 ", result.stdout)
    assert "foi-thurrock-council-2026-10-02" in (scratch / "foi_requests.csv").read_text(encoding="utf-8")


# --- The credential gate (Streamlit AppTest) -----------------------------------------------
PAGE = str(ROOT / "pages" / "import.py")
TEST_TOKEN = "fictional-test-token-0123456789"


@pytest.fixture
def app_env(monkeypatch, scratch):
    import streamlit as st

    monkeypatch.delenv("HIKMAP_IMPORT_TOKEN", raising=False)
    st.cache_resource.clear()  # the sign-in throttle is shared by sessions of one process: start afresh
    yield monkeypatch
    st.cache_resource.clear()


def _texts(at) -> str:
    return " ".join(str(e.value) for e in list(at.info) + list(at.error) + list(at.markdown) + list(at.title))


def test_gate_without_credential_switches_the_page_off(app_env):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert [i.value for i in at.info] == ["Import is switched off: no import credential is configured for this site."]
    assert len(at.text_input) == 0 and len(at.button) == 0
    assert at.get("file_uploader") == []


def test_gate_refuses_a_wrong_token_and_the_wait_never_locks_out_the_right_one(app_env):
    from streamlit.testing.v1 import AppTest

    app_env.setenv("HIKMAP_IMPORT_TOKEN", TEST_TOKEN)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert at.get("file_uploader") == []
    at.text_input(key="import_token_input").input("wrong-token")
    at.button(key="import_sign_in").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["That token is not right. Please wait 1 s before the next try."]
    assert at.get("file_uploader") == []
    # A new browser session from the same address does not reset the wait for wrong tries...
    guesser = AppTest.from_file(PAGE, default_timeout=60).run()
    guesser.text_input(key="import_token_input").input("another-wrong-token")
    guesser.button(key="import_sign_in").click().run()
    assert guesser.error[0].value == "That token is not right. Please wait 2 s before the next try."
    # ... but the right token, during that wait, from the same address, still lets its owner in.
    owner = AppTest.from_file(PAGE, default_timeout=60).run()
    owner.text_input(key="import_token_input").input(TEST_TOKEN)
    owner.button(key="import_sign_in").click().run()
    assert not owner.exception
    assert owner.session_state["import_authenticated"] is True
    assert len(owner.get("file_uploader")) == 1


def test_gate_switches_import_off_with_a_short_credential(app_env):
    from streamlit.testing.v1 import AppTest

    app_env.setenv("HIKMAP_IMPORT_TOKEN", "short-token")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert at.info[0].value.startswith("Import is switched off: the import credential is shorter than 20 characters")
    assert len(at.text_input) == 0 and at.get("file_uploader") == []


def test_gate_with_the_right_token_shows_the_upload(app_env):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(PAGE, default_timeout=60)
    at.secrets["import_token"] = "secret-from-streamlit-0123456789"
    at.run()
    at.text_input(key="import_token_input").input("secret-from-streamlit-0123456789")
    at.button(key="import_sign_in").click().run()
    assert not at.exception
    assert at.session_state["import_authenticated"] is True
    assert len(at.get("file_uploader")) == 1
    assert len(at.get("download_button")) == 1
    assert [e.value for e in at.error] == []
