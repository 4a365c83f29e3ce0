"""Filters: URL round trip, and what each filter selects, on a tiny fictional table."""

import pandas as pd
import pytest

from geo.filters import Filters, apply_filters, distance_km, partial_date_range

SITES = pd.DataFrame(
    [
        # Fictional sites; coordinates are real places so distances mean something.
        {
            "id": "a",
            "name": "Example Borough Council offices",
            "organisation": "Example Borough Council",
            "address": "1 Test Street",
            "postcode": "SW1H 9NA",
            "lad_code": "E09000033",
            "lad_name": "Westminster",
            "region": "London",
            "nation": "England",
            "kind": "council",
            "authority_name": "",
            "area_codes": ("E09000033",),
            "lat": 51.5002,
            "lon": -0.1313,
        },
        {
            "id": "b",
            "name": "Testshire Jobcentre",
            "organisation": "Testshire Agency",
            "address": "",
            "postcode": "CF10 3NQ",
            "lad_code": "W06000015",
            "lad_name": "Cardiff",
            "region": "Wales",
            "nation": "Wales",
            "kind": "jobcentre",
            "authority_name": "",
            "area_codes": ("W06000015",),
            "lat": 51.4884,
            "lon": -3.1826,
        },
        {
            "id": "c",
            "name": "Sampletown Hall",
            "organisation": "Sampletown Council",
            "address": "",
            "postcode": "BT1 1AA",
            "lad_code": "N09000003",
            "lad_name": "Belfast",
            "region": "Northern Ireland",
            "nation": "Northern Ireland",
            "kind": "council",
            "authority_name": "",
            "area_codes": ("N09000003",),
            "lat": 54.6024,
            "lon": -5.9223,
        },
        # Standing for a county council's area (the county and none of its districts' own codes).
        {
            "id": "d",
            "name": "Fictional county estate",
            "organisation": "Fictional Test County",
            "address": "",
            "postcode": "",
            "lad_code": "",
            "lad_name": "",
            "region": "South East",
            "nation": "England",
            "kind": "council",
            "authority_name": "Kent County Council",
            "area_codes": ("E10000016",),
            "lat": 51.2,
            "lon": 0.7,
        },
    ]
)
CLAIMS = pd.DataFrame(
    [
        {
            "id": "a1",
            "site": "a",
            "vendor": "hikvision",
            "claim": "Cameras seen in the foyer",
            "grade": "documented",
            "reported": "2022-03",
            "status": "reported",
            "response": "",
            "sources": ("s",),
        },
        {
            "id": "a2",
            "site": "a",
            "vendor": "dahua",
            "claim": "Dahua recorder",
            "grade": "official",
            "reported": "2023-01-15",
            "status": "confirmed",
            "response": "Will replace",
            "sources": ("s",),
        },
        {
            "id": "b1",
            "site": "b",
            "vendor": "hikvision",
            "claim": "Cameras at the entrance",
            "grade": "reported",
            "reported": "2021",
            "status": "removed",
            "response": "",
            "sources": ("s",),
        },
        # A claim whose source gives no date: never matches a date filter.
        {
            "id": "d1",
            "site": "d",
            "vendor": "hikvision",
            "claim": "Cameras on the estate",
            "grade": "reported",
            "reported": "",
            "status": "reported",
            "response": "",
            "sources": ("s",),
        },
    ]
)


def ids(selection):
    return sorted(selection.sites["id"]), sorted(selection.claims["id"])


@pytest.mark.parametrize(
    "filters, expected",
    [
        (Filters(), (["a", "b", "c", "d"], ["a1", "a2", "b1", "d1"])),
        (Filters(nations=("Wales",)), (["b"], ["b1"])),
        (Filters(regions=("London", "Northern Ireland")), (["a", "c"], ["a1", "a2"])),
        (Filters(councils=("N09000003",)), (["c"], [])),
        (Filters(councils=("E10000016",)), (["d"], ["d1"])),
        (Filters(councils=("E09000033", "E10000016")), (["a", "d"], ["a1", "a2", "d1"])),
        (Filters(kinds=("council",)), (["a", "c", "d"], ["a1", "a2", "d1"])),
        (Filters(vendors=("dahua",)), (["a"], ["a2"])),
        (Filters(grades=("reported",)), (["b", "d"], ["b1", "d1"])),
        (Filters(statuses=("removed", "confirmed")), (["a", "b"], ["a2", "b1"])),
        (Filters(date_from="2022-01-01"), (["a"], ["a1", "a2"])),
        (Filters(date_to="2021-06-30"), (["b"], ["b1"])),
        # A claim dated only by month overlaps a range that starts inside that month.
        (Filters(date_from="2022-03-20", date_to="2022-04-01"), (["a"], ["a1"])),
        (Filters(text="FOYER"), (["a"], ["a1"])),
        (Filters(text="sampletown"), (["c"], [])),
        (Filters(text="kent county"), (["d"], ["d1"])),
        (Filters(text="replace"), (["a"], ["a2"])),
        (Filters(text="nothing like this"), ([], [])),
    ],
)
def test_each_filter_selects_what_it_says(filters, expected):
    assert ids(apply_filters(SITES, CLAIMS, filters)) == expected


def test_near_point_keeps_sites_within_the_radius():
    westminster = (51.4995, -0.1248)
    near = apply_filters(SITES, CLAIMS, Filters(near="SW1A 0AA", radius_km=5), near_point=westminster)
    assert ids(near) == (["a"], ["a1", "a2"])
    wide = apply_filters(SITES, CLAIMS, Filters(near="SW1A 0AA", radius_km=250), near_point=westminster)
    assert ids(wide)[0] == ["a", "b", "d"]  # Cardiff is about 210 km away, Kent about 60 km; Belfast over 500 km


def test_distance_is_right_for_a_known_pair():
    # London to Cardiff, about 211 km as the crow flies.
    assert distance_km(pd.Series([51.4884]).to_numpy(), pd.Series([-3.1826]).to_numpy(), (51.5002, -0.1313))[
        0
    ] == pytest.approx(211, abs=3)


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(nations=("England", "Wales"), kinds=("council",), text="foyer & co"),
        Filters(
            regions=("North East",),
            councils=("E06000001",),
            vendors=("hikvision",),
            grades=("official",),
            statuses=("removal-promised",),
            date_from="2020-01-01",
            date_to="2024-12-31",
            near="sw1h 9na",
            radius_km=25.0,
        ),
    ],
)
def test_filters_round_trip_through_url_parameters(filters):
    restored, messages = Filters.from_params(filters.to_params())
    assert restored == filters
    assert messages == []


def test_unknown_and_malformed_url_values_are_dropped_with_a_message():
    filters, messages = Filters.from_params(
        {"kind": "council,<script>", "from": "2021-02-30", "km": "-4"},
        allowed={"kinds": ["council", "jobcentre"]},
    )
    assert filters == Filters(kinds=("council",))
    assert len(messages) == 3
    assert any("<script>" in m for m in messages)


@pytest.mark.parametrize(
    "value, start, end",
    [
        ("2021", "2021-01-01", "2021-12-31"),
        ("2024-02", "2024-02-01", "2024-02-29"),
        ("2023-06-15", "2023-06-15", "2023-06-15"),
    ],
)
def test_partial_dates_cover_their_whole_period(value, start, end):
    low, high = partial_date_range(value)
    assert (low.isoformat(), high.isoformat()) == (start, end)


def test_the_distance_alone_filters_nothing():
    assert not Filters(radius_km=25.0).active
    assert Filters(near="SW1A 2AA").active and Filters(near="SW1A 2AA", radius_km=25.0).to_params()["km"] == "25"
    assert Filters(radius_km=25.0).to_params() == {}


# --- The decisions of issue 20 (the published copy follows the same rules: tests/test_filter_parity.py) ---
@pytest.mark.parametrize(
    "raw, read",
    [
        ("2023-01-01", "2023-01-01"),
        ("2024-02-29", "2024-02-29"),
        (" 2023-01-01\n", "2023-01-01"),
        ("0001-01-01", "0001-01-01"),
        ("20230101", ""),  # date.fromisoformat takes it; the one form is YYYY-MM-DD
        ("2023-W52-7", ""),
        ("2023-02-29", ""),
        ("0000-01-01", ""),
        ("2023-1-5", ""),
        ("２０２３-01-01", ""),  # full-width digits
        ("2023-01-01T00:00", ""),
    ],
)
def test_a_date_is_only_a_real_calendar_day_written_yyyy_mm_dd(raw, read):
    filters, messages = Filters.from_params({"from": raw})
    assert filters.date_from == read
    assert messages == ([] if read else [f"ignored from={raw.strip()}: not a date (YYYY-MM-DD)"])


def test_repeated_parameters_and_comma_lists_mean_the_same():
    allowed = {"kinds": ["council", "police", "jobcentre"]}
    repeated, _ = Filters.from_params({"kind": ["council", " police ", "council"]}, allowed)
    joined, _ = Filters.from_params({"kind": "council, police,,council"}, allowed)
    mixed, _ = Filters.from_params({"kind": ["council,police", ""]}, allowed)
    assert repeated == joined == mixed == Filters(kinds=("council", "police"))


def test_a_single_value_parameter_given_twice_takes_the_last():
    filters, messages = Filters.from_params({"q": ["first", " second "], "from": ["bad", "2022-05-01"]})
    assert (filters.text, filters.date_from, messages) == ("second", "2022-05-01", [])


def test_a_list_reads_at_most_its_limit_of_values():
    from geo.filters import MAX_VALUES

    many = [f"fictional-{i}" for i in range(MAX_VALUES + 7)]
    filters, messages = Filters.from_params({"kind": ",".join(many)}, {"kinds": many})
    assert filters.kinds == tuple(many[:MAX_VALUES])
    assert messages == [f"ignored 7 more kind values: at most {MAX_VALUES} are read"]


@pytest.mark.parametrize("raw", ["1e3", "1_000", "inf", "nan", "0", "-4", "５", "0x10", "1000.5", "2,5"])
def test_a_distance_is_plain_decimal_digits_within_range(raw):
    filters, messages = Filters.from_params({"near": "SW1A 2AA", "km": raw})
    assert filters.radius_km == 10.0 and len(messages) == 1


def test_text_is_trimmed_of_pythons_whitespace_and_cut_in_characters():
    from geo.filters import MAX_TEXT, WHITESPACE

    assert set(WHITESPACE) == {chr(i) for i in range(0x110000) if chr(i).isspace()}
    filters, _ = Filters.from_params({"q": "\u3000\x85 " + "😀" * (MAX_TEXT + 5) + " \ufeff"})
    assert filters.text == "😀" * MAX_TEXT


def test_free_text_folds_case_fully():
    sites = SITES.assign(address=["1 Teststraße", "", "", ""])
    assert ids(apply_filters(sites, CLAIMS, Filters(text="TESTSTRASSE")))[0] == ["a"]
    assert ids(apply_filters(sites, CLAIMS, Filters(text="teststraße")))[0] == ["a"]


def test_a_view_frames_its_sites_and_named_places_and_near_alone_frames_nothing():
    from geo.filters import FRAME_PAD, view_frame

    frames = {"Wales": (51.4, -5.3, 53.4, -2.7)}
    assert view_frame(Filters(), SITES, frames) is None
    assert view_frame(Filters(near="SW1A 2AA"), SITES, frames) is None  # the app frames the circle instead
    chosen = apply_filters(SITES, CLAIMS, Filters(regions=("Wales",)))
    assert view_frame(Filters(regions=("Wales",)), chosen.sites, frames) == [
        [51.4 - FRAME_PAD, -5.3 - FRAME_PAD],
        [53.4 + FRAME_PAD, -2.7 + FRAME_PAD],
    ]
    nothing = apply_filters(SITES, CLAIMS, Filters(text="nothing like this"))
    assert view_frame(Filters(text="nothing like this"), nothing.sites, frames) is None


def test_without_boundaries_a_place_is_framed_by_its_councils_points():
    from geo.places.authorities import load_authorities
    from geo.places.frames import place_frames

    authorities = load_authorities()
    frames = place_frames(authorities, extents={})
    councils = [a for a in authorities.current() if a.is_council and a.gss_code]
    welsh = [a for a in councils if a.nation == "Wales"]
    assert frames["Wales"] == (
        round(min(a.lat for a in welsh), 5),
        round(min(a.lon for a in welsh), 5),
        round(max(a.lat for a in welsh), 5),
        round(max(a.lon for a in welsh), 5),
    )
    # A county council's frame takes in its districts' points, not just its own.
    kent = authorities.get("E10000016")
    districts = [a for a in councils if a.county == kent.code]
    assert districts and frames["E10000016"][0] == round(min(a.lat for a in [kent, *districts]), 5)
    # Every place a filter can name has a frame.
    assert {a.gss_code for a in councils} | {a.region for a in councils} | {a.nation for a in councils} <= set(frames)
    # With the boundary file's boxes, a place takes its boundary's box.
    boxed = place_frames(authorities, extents={"Wales": (51.0, -6.0, 54.0, -2.0)})
    assert boxed["Wales"] == (51.0, -6.0, 54.0, -2.0) and boxed["Scotland"] == frames["Scotland"]


def test_free_text_reads_missing_and_non_text_cells_as_text():
    # An object column with a missing value and a number: read cell by cell (missing is "").
    sites = SITES.assign(address=pd.Series([None, 12, "Ünit 3", float("nan")], dtype=object))
    assert ids(apply_filters(sites, CLAIMS, Filters(text="12")))[0] == ["b"]
    assert ids(apply_filters(sites, CLAIMS, Filters(text="ünit")))[0] == ["c"]
    assert ids(apply_filters(sites, CLAIMS, Filters(text="none")))[0] == []
