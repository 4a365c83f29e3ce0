"""Postcode spelling, look-up errors and where known postcodes land (geo/postcodes.py).

The directory is the real ONS Postcode Directory from the installed package,
loaded once for the whole module.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.postcodes import Location, PostcodeError, get_directory, normalise_postcode


@pytest.fixture(scope="module")
def directory():
    return get_directory()


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


def test_the_terminated_example_really_has_no_coordinates(directory):
    # Guard for the case above: PA23 9AA is in the directory with an empty grid reference.
    key = b"PA239AA"
    slot = int(np.searchsorted(directory._keys, key))
    assert directory._keys[slot] == key
    assert np.isnan(directory._eastings[slot])


def test_every_unlocated_postcode_in_the_directory_is_an_error(directory):
    # Every key without a grid reference (terminated, unlocated, Channel Islands,
    # Isle of Man) must come back as an error, never as a point at NaN or 0,0.
    keys = directory._keys[np.isnan(directory._eastings)]
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
        "Location", "PostcodeError", "PostcodeError", "Location", "PostcodeError",
        "PostcodeError", "PostcodeError", "PostcodeError", "Location", "Location",
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


@pytest.mark.parametrize("postcode, lat, lon, lad_code, lad_name, region, nation", LANDMARKS, ids=[l[0] for l in LANDMARKS])
def test_landmark_postcodes_land_within_200_m(directory, postcode, lat, lon, lad_code, lad_name, region, nation):
    location = directory.lookup(postcode)
    distance = haversine_m(location.lat, location.lon, lat, lon)
    assert distance < 200, f"{postcode} lands {distance:.0f} m from where it is"
    assert (location.lad_code, location.lad_name, location.region, location.nation) == (lad_code, lad_name, region, nation)


def test_stormont_is_in_belfast(directory):
    # Parliament Buildings, Stormont (BT4 3XX), is in Belfast. The directory's
    # point for this postcode is about 350 m south-east of the building itself,
    # elsewhere on the Stormont Estate (postcode points are where the mail is
    # delivered), so it is not among the 200 m landmarks above; it must still be
    # well within 1 km, in Belfast, and in Northern Ireland.
    location = directory.lookup("BT4 3XX")
    assert haversine_m(location.lat, location.lon, 54.6053, -5.8318) < 1000
    assert (location.lad_code, location.lad_name, location.region, location.nation) == (
        "N09000003", "Belfast", "Northern Ireland", "Northern Ireland",
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


def test_every_located_bt_postcode_lands_in_northern_ireland(directory):
    keys = keys_starting_with(directory, b"BT")
    locations = [r for r in directory.lookup_many(keys) if isinstance(r, Location)]
    assert len(locations) > 50_000
    lats = np.array([l.lat for l in locations])
    lons = np.array([l.lon for l in locations])
    assert NI_LAT[0] < lats.min() and lats.max() < NI_LAT[1]
    assert NI_LON[0] < lons.min() and lons.max() < NI_LON[1]
    assert {l.nation for l in locations} == {"Northern Ireland"}


@pytest.mark.parametrize(
    "sector, landmark, nation",
    [
        ("SW1A 2", "SW1A 0AA", "England"),  # Whitehall
        ("EH1 1", "EH99 1SP", "Scotland"),  # Edinburgh Old Town
        ("CF10 1", "CF99 1SN", "Wales"),  # Cardiff city centre
        ("BT1 5", "BT1 5GS", "Northern Ireland"),  # Belfast city centre
    ],
)
def test_whole_city_centre_sector_lands_near_its_landmark(directory, sector, landmark, nation):
    # Every postcode of a city-centre sector lands within 10 km of the landmark
    # (a few large-user postcodes sit away from the centre; a mixed-up grid
    # would put points hundreds of km away)
    # and in the same nation: no grid is mixed up anywhere in the sector.
    anchor = directory.lookup(landmark)
    outward, inward = sector.split(" ")
    keys = keys_starting_with(directory, f"{outward:<4}{inward}".encode("ascii"))
    located = [r for r in directory.lookup_many(keys) if isinstance(r, Location)]
    assert len(located) > 20
    for location in located:
        assert location.nation == nation
        assert haversine_m(location.lat, location.lon, anchor.lat, anchor.lon) < 10_000, location


def keys_starting_with(directory, prefix: bytes) -> list[str]:
    """Every directory key (7-character form) that starts with ``prefix``."""
    low = np.searchsorted(directory._keys, prefix)
    high = np.searchsorted(directory._keys, prefix + b"\xff")
    return [k.decode("ascii") for k in directory._keys[low:high]]
