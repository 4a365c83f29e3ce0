"""The command line (geo/__main__.py): ``python -m geo geocode`` and ``python -m geo build``.

Each command runs as a real subprocess, the way scripts use it.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from geo.places.postcodes import get_directory

PROJECT = Path(__file__).resolve().parent.parent
DATA = PROJECT / "data"

LOCATION_KEYS = {"postcode", "lat", "lon", "lad_code", "lad_name", "region", "nation"}
ERROR_KEYS = {"postcode", "error"}
UK_LAT = (49.8, 60.9)
UK_LON = (-8.7, 1.8)


def geo(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "geo", *args],
        cwd=PROJECT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.fixture(scope="module")
def directory():
    return get_directory()


# --- geocode ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, expected, status",
    [
        (["SW1A 0AA"], ["SW1A 0AA"], 0),
        (["sw1a0aa", "EH99 1SP", "cf991sn", "BT1 5GS"], ["SW1A 0AA", "EH99 1SP", "CF99 1SN", "BT1 5GS"], 0),
        (["hello"], [None], 1),
        (["SW1A 0AA", "ZZ9 9ZZ", "EH99 1SP"], ["SW1A 0AA", None, "EH99 1SP"], 1),
        (["PA23 9AA", "JE1 0BD", "IM1 1AA"], [None, None, None], 1),
        (["BT1 5GS", "BT1 5GS"], ["BT1 5GS", "BT1 5GS"], 0),
    ],
)
def test_geocode_prints_one_json_object_per_postcode(args, expected, status):
    result = geo("geocode", *args)
    assert result.returncode == status, result.stderr
    records = json_lines(result.stdout)
    assert len(records) == len(args)
    for raw, want, record in zip(args, expected, records):
        if want is None:
            assert set(record) == ERROR_KEYS
            assert record["postcode"] == raw  # the input as given, so callers can match it up
            assert isinstance(record["error"], str) and record["error"]
        else:
            assert set(record) == LOCATION_KEYS
            assert record["postcode"] == want
            assert isinstance(record["lat"], float) and isinstance(record["lon"], float)
            assert UK_LAT[0] < record["lat"] < UK_LAT[1] and UK_LON[0] < record["lon"] < UK_LON[1]
            assert all(isinstance(record[k], str) and record[k] for k in LOCATION_KEYS - {"lat", "lon"})


def test_geocode_output_matches_the_library(directory):
    postcodes = ["SW1A 0AA", "EH99 1SP", "CF99 1SN", "BT4 3XX"]
    records = json_lines(geo("geocode", *postcodes).stdout)
    assert records == [directory.lookup(p).to_dict() for p in postcodes]


@pytest.mark.parametrize(
    "raw, words",
    [
        ("hello", "not a valid UK postcode"),
        ("ZZ9 9ZZ", "unknown postcode"),
        ("PA23 9AA", "terminated or unlocated"),
        ("JE1 0BD", "outside the UK"),
    ],
)
def test_geocode_errors_say_why(raw, words):
    result = geo("geocode", raw)
    assert result.returncode == 1
    (record,) = json_lines(result.stdout)
    assert record == {"postcode": raw, "error": record["error"]}
    assert words in record["error"]


def test_geocode_reads_standard_input_in_order(directory):
    postcodes = directory.sample_postcodes(1000, seed=5)
    raws = [p.lower().replace(" ", "") if i % 3 == 0 else p for i, p in enumerate(postcodes)]
    middle = len(raws) // 2
    raws.insert(middle, "NOT A POSTCODE")
    result = geo("geocode", "-", stdin="\n".join(raws) + "\n")
    assert result.returncode == 1, result.stderr
    records = json_lines(result.stdout)
    assert len(records) == len(raws) > 990
    assert records[middle] == {"postcode": "NOT A POSTCODE", "error": records[middle]["error"]}
    located = records[:middle] + records[middle + 1 :]
    assert all(set(r) == LOCATION_KEYS for r in located)
    assert [r["postcode"] for r in located] == postcodes


def test_geocode_standard_input_all_found_exits_0(directory):
    postcodes = directory.sample_postcodes(50, seed=6)
    result = geo("geocode", "-", stdin="\r\n".join(postcodes) + "\r\n")
    assert result.returncode == 0, result.stderr
    assert [r["postcode"] for r in json_lines(result.stdout)] == postcodes


def test_geocode_mixes_arguments_and_standard_input_in_order():
    result = geo("geocode", "SW1A 0AA", "-", "BT1 5GS", stdin="EH99 1SP\nCF99 1SN\n")
    assert result.returncode == 0, result.stderr
    assert [r["postcode"] for r in json_lines(result.stdout)] == ["SW1A 0AA", "EH99 1SP", "CF99 1SN", "BT1 5GS"]


def test_geocode_needs_a_postcode():
    result = geo("geocode")
    assert result.returncode == 2  # argparse usage error
    assert result.stdout == ""


# --- build ---------------------------------------------------------------------------------
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
            "",
        ],
        [
            "example-letter",
            "Letter from Testshire Jobcentre",
            "Testshire Jobcentre",
            "2022-03",
            "foi-response",
            "https://example.org/letter",
            "",
            "",
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
            "",
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
            "BT1 5GS",
            "headquarters",
            "",
            "",
            "",
            "",
        ],
        # Given by coordinates (Albert Square, Manchester): its district comes from the boundaries.
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
        # Standing for a county council's area: placed inside the county, about the county and its districts.
        [
            "example-county-estate",
            "Fictional test: a county's estate",
            "Fictional Test County",
            "council",
            "E10000012",
            "",
            "",
            "area",
            "",
            "",
            "",
            "",
        ],
        # Standing for a council merged since: about its successor too.
        [
            "example-merged-estate",
            "Fictional test: a merged council's estate",
            "Fictional Test Borough",
            "council",
            "E07000165",
            "",
            "",
            "area",
            "",
            "",
            "",
            "",
        ],
    ],
    "claims.csv": [
        ["id", "site", "vendor", "claim", "grade", "reported", "status", "equipment_count", "response"],
        [
            "example-claim-one",
            "example-town-hall",
            "hikvision",
            "The Example Gazette reported cameras.",
            "reported",
            "2021-11-17",
            "reported",
            "",
            "",
        ],
        [
            "example-claim-two",
            "example-town-hall",
            "hikvision",
            "Example Borough Council confirmed them.",
            "official",
            "2022-03",
            "confirmed",
            "12",
            "It said they are staying.",
        ],
        [
            "example-claim-three",
            "testshire-jobcentre",
            "dahua",
            "The Example Gazette reported cameras.",
            "documented",
            "2022",
            "reported",
            "",
            "",
        ],
    ],
    "claim_sources.csv": [
        ["claim", "source", "quote", "checked", "quote_note"],
        ["example-claim-one", "example-report", "Hikvision cameras at Example Borough Council.", "2026-11-30", ""],
        ["example-claim-two", "example-report", "Example Borough Council confirmed the cameras.", "2026-11-30", ""],
        [
            "example-claim-two",
            "example-letter",
            "The council confirms 12 cameras.",
            "2026-11-30",
            "The letter is the council's own and names it in its heading only.",
        ],
        ["example-claim-three", "example-report", "Dahua cameras at Testshire Jobcentre.", "2026-11-30", ""],
    ],
    "figures.csv": [["id", "statement", "value", "unit", "scope", "date"]],
    "figure_sources.csv": [["figure", "source"]],
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
        ]
    ],
    "corrections.csv": [["id", "date", "subject", "was", "now", "why"]],
}
REFERENCE_TABLES = ("districts.csv", "authorities.csv", "authority_names.csv")


@pytest.fixture
def package(tmp_path) -> Path:
    folder = tmp_path / "package"
    folder.mkdir()
    shutil.copy(DATA / "datapackage.json", folder / "datapackage.json")
    for name in REFERENCE_TABLES:
        shutil.copy(DATA / name, folder / name)
    for name, rows in TINY.items():
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        (folder / name).write_text(buffer.getvalue(), encoding="utf-8")
    return folder


@pytest.mark.boundaries
def test_build_writes_a_feature_collection(package, tmp_path, directory):
    output = tmp_path / "out" / "sites.geojson"
    result = geo("build", str(package), "--output", str(output))
    assert result.returncode == 0, result.stdout + result.stderr
    collection = json.loads(output.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    assert set(features) == {
        "example-town-hall",
        "testshire-jobcentre",
        "example-depot",
        "example-county-estate",
        "example-merged-estate",
    }
    for feature in features.values():
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert UK_LAT[0] < lat < UK_LAT[1] and UK_LON[0] < lon < UK_LON[1]
        assert {"claims", "lad_code", "region", "nation"} <= set(feature["properties"])

    # Coordinates are [lon, lat]: compare with the directory's answer.
    town_hall = directory.lookup("M1 1AE")
    assert features["example-town-hall"]["geometry"]["coordinates"] == [town_hall.lon, town_hall.lat]
    belfast = directory.lookup("BT1 5GS")
    assert features["testshire-jobcentre"]["geometry"]["coordinates"] == [belfast.lon, belfast.lat]
    assert features["example-depot"]["geometry"]["coordinates"] == [-2.2449, 53.4794]

    props = {site: f["properties"] for site, f in features.items()}
    assert (
        props["example-town-hall"]["lad_code"],
        props["example-town-hall"]["region"],
        props["example-town-hall"]["nation"],
    ) == ("E08000003", "North West", "England")
    assert (props["testshire-jobcentre"]["lad_name"], props["testshire-jobcentre"]["nation"]) == (
        "Belfast",
        "Northern Ireland",
    )
    # The site given by coordinates gets its district from the boundary polygons.
    assert (props["example-depot"]["lad_code"], props["example-depot"]["region"], props["example-depot"]["nation"]) == (
        "E08000003",
        "North West",
        "England",
    )

    # Claims are joined to their site, newest first, with their sources as a list.
    assert [c["id"] for c in props["example-town-hall"]["claims"]] == ["example-claim-two", "example-claim-one"]
    assert props["example-town-hall"]["claims"][0]["sources"] == ["example-report", "example-letter"]
    assert props["example-town-hall"]["grade"] == "official"
    assert props["example-town-hall"]["claims"][0]["equipment_count"] == 12
    assert [c["id"] for c in props["testshire-jobcentre"]["claims"]] == ["example-claim-three"]
    assert props["example-depot"]["claims"] == [] and props["example-depot"]["grade"] == ""
    # What a council filter matches: a place's district (and county above it); an area's authority.
    assert props["example-town-hall"]["area_codes"] == ["E08000003"]
    county = props["example-county-estate"]
    assert (county["area_codes"], county["region"], county["lad_code"]) == (["E10000012"], "East of England", "")
    assert county["authority_name"] == "Essex County Council"
    lon, lat = features["example-county-estate"]["geometry"]["coordinates"]
    assert 51.4 < lat < 52.1 and 0.0 < lon < 1.3  # inside Essex
    assert props["example-merged-estate"]["area_codes"] == ["E07000165", "E06000065"]  # Harrogate, now North Yorkshire


def test_build_of_the_default_dataset(tmp_path):
    output = tmp_path / "sites.geojson"
    result = geo("build", str(DATA), "--output", str(output))
    assert result.returncode == 0, result.stdout + result.stderr
    collection = json.loads(output.read_text(encoding="utf-8"))
    with (DATA / "sites.csv").open(encoding="utf-8", newline="") as handle:
        site_ids = [row["id"] for row in csv.DictReader(handle)]
    assert [f["id"] for f in collection["features"]] == site_ids
    for feature in collection["features"]:
        if feature["properties"]["precision"] == "not-placed":
            assert feature["geometry"] is None  # listed and counted, not on the map
            continue
        lon, lat = feature["geometry"]["coordinates"]
        assert UK_LAT[0] < lat < UK_LAT[1] and UK_LON[0] < lon < UK_LON[1]
        assert feature["properties"]["nation"] in {"England", "Scotland", "Wales", "Northern Ireland"}


@pytest.mark.parametrize(
    "file, row, column, value",
    [
        ("sites.csv", 1, "kind", "castle"),
        ("sites.csv", 1, "postcode", "ZZ9 9ZZ"),
        ("claims.csv", 1, "site", "no-such-site"),
    ],
)
def test_failed_build_leaves_the_old_output_untouched(package, tmp_path, file, row, column, value):
    path = package / file
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[row][rows[0].index(column)] = value
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    output = out_dir / "sites.geojson"
    old = b'{"type": "FeatureCollection", "features": []}\n\x00 not even JSON \xff'
    output.write_bytes(old)
    before = output.stat()

    result = geo("build", str(package), "--output", str(output))
    assert result.returncode == 1
    assert output.read_bytes() == old
    assert output.stat().st_mtime_ns == before.st_mtime_ns
    assert sorted(p.name for p in out_dir.iterdir()) == ["sites.geojson"]  # no temporary file left behind
    assert f"{file}:2: {column}:" in result.stdout
    assert "not built" in result.stderr


def test_failed_build_creates_no_output(package, tmp_path):
    (package / "claims.csv").write_bytes(b"id,site\n")
    output = tmp_path / "never" / "sites.geojson"
    result = geo("build", str(package), "--output", str(output))
    assert result.returncode == 1
    assert not output.exists()


def test_built_file_is_readable_like_any_other_new_file(package, tmp_path):
    # The output is written to a temporary file and renamed into place; it must
    # still get the usual permissions (0644 under umask 022), so that a web
    # server or app running as another user can read it.
    output = tmp_path / "sites.geojson"
    reference = tmp_path / "reference.txt"
    reference.write_text("x")
    result = geo("build", str(package), "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert oct(output.stat().st_mode & 0o777) == oct(reference.stat().st_mode & 0o777)
