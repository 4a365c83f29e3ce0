"""Freedom of information: deadlines on real calendars, the request letter and link, progress.

Deadlines are pinned by hand-counted dates around Christmas, Easter, St
Patrick's Day and 12 July, for an English, a Scottish and a Northern Irish
council. Bank holidays come from the ``holidays`` library, as in the app.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from geo.evidence.dataset import load_dataset
from geo.foi import asking, deadlines, known
from geo.places.authorities import load_authorities
from geo.places.postcodes import PostcodeError

AUTHORITIES = load_authorities()
ENGLISH = AUTHORITIES.get("E08000003")  # Manchester City Council
SCOTTISH = AUTHORITIES.get("S12000048")  # Perth and Kinross Council
NORTHERN_IRISH = AUTHORITIES.get("N09000003")  # Belfast City Council
D = dt.date.fromisoformat


@pytest.mark.parametrize(
    "council, sent, due",
    [
        # Christmas: 25 and 26 December and 1 January stop every clock; 2 January is a bank holiday
        # in Scotland only, and so stops the FOIA clock of an English council too (s.10(6): "any part").
        pytest.param(ENGLISH, "2025-12-19", "2026-01-22", id="christmas-england"),
        pytest.param(SCOTTISH, "2025-12-19", "2026-01-22", id="christmas-scotland"),
        # Easter 2026: Good Friday 3 April stops both; Easter Monday 6 April is not a bank holiday in
        # Scotland, so it counts under FOISA; 4 May (early May bank holiday) stops both.
        pytest.param(ENGLISH, "2026-04-02", "2026-05-05", id="easter-england"),
        pytest.param(SCOTTISH, "2026-04-02", "2026-05-01", id="easter-scotland"),
        pytest.param(NORTHERN_IRISH, "2026-04-02", "2026-05-05", id="easter-northern-ireland"),
        # St Patrick's Day (Tuesday 17 March 2026) is a Northern Irish bank holiday: it stops FOIA
        # clocks in England too, but not FOISA's.
        pytest.param(ENGLISH, "2026-03-02", "2026-03-31", id="st-patricks-england"),
        pytest.param(NORTHERN_IRISH, "2026-03-02", "2026-03-31", id="st-patricks-northern-ireland"),
        pytest.param(SCOTTISH, "2026-03-02", "2026-03-30", id="st-patricks-scotland"),
        # 12 July 2026 is a Sunday; Northern Ireland's holiday moves to Monday 13 July.
        pytest.param(NORTHERN_IRISH, "2026-06-29", "2026-07-28", id="twelfth-northern-ireland"),
        pytest.param(ENGLISH, "2026-06-29", "2026-07-28", id="twelfth-england"),
        pytest.param(SCOTTISH, "2026-06-29", "2026-07-27", id="twelfth-scotland"),
    ],
)
def test_due_date_on_real_calendars(council, sent, due):
    assert deadlines.due_date(D(sent), deadlines.law_for(council.nation)) == D(due)


def test_the_law_follows_the_body():
    assert [deadlines.law_for(c.nation) for c in (ENGLISH, SCOTTISH, NORTHERN_IRISH)] == ["foia", "foisa", "foia"]
    assert deadlines.law_for("Scotland", given="foia") == "foia"  # a UK-wide body in Scotland answers under FOIA


def test_a_request_received_on_a_saturday_starts_counting_on_monday():
    # Saturday 7 March 2026: Monday 9 is day 1. Under FOISA, 17 March and Easter Monday count and
    # Good Friday does not: day 19 is Thursday 2 April, day 20 Monday 6 April.
    assert deadlines.due_date(D("2026-03-07"), "foisa") == D("2026-04-06")
    # Under FOIA, 17 March, Good Friday and Easter Monday all stop the clock: day 20 is 8 April.
    assert deadlines.due_date(D("2026-03-07"), "foia") == D("2026-04-08")


@pytest.mark.parametrize(
    "day, law, working",
    [
        ("2026-01-02", "foia", False),
        ("2026-01-02", "foisa", False),
        ("2026-04-06", "foia", False),
        ("2026-04-06", "foisa", True),
        ("2026-03-17", "foia", False),
        ("2026-03-17", "foisa", True),
        ("2026-08-03", "foia", False),
        ("2026-08-03", "foisa", False),  # Scotland's summer holiday
        ("2026-08-31", "foia", False),
        ("2026-08-31", "foisa", True),  # England's late summer holiday
        ("2026-11-30", "foia", False),
        ("2026-11-30", "foisa", False),  # St Andrew's Day
        ("2026-11-27", "foia", True),
        ("2026-11-28", "foia", False),
    ],
)
def test_working_days(day, law, working):
    assert deadlines.is_working_day(D(day), law) is working


def test_an_unknown_law_is_refused():
    with pytest.raises(ValueError, match="unknown law"):
        deadlines.is_working_day(D("2026-01-05"), "gdpr")


def test_a_request_turns_overdue_the_day_after_it_is_due():
    assert deadlines.request_state("sent", "2026-03-02", "foia", D("2026-03-31")) == "asked"
    assert deadlines.request_state("sent", "2026-03-02", "foia", D("2026-04-01")) == "overdue"
    assert deadlines.request_state("answered", "2026-03-02", "foia", D("2027-01-01")) == "answered"


def _requests(*rows):
    columns = [
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
        "wdtk_state",
        "read",
    ]
    return pd.DataFrame([dict.fromkeys(columns, "") | row for row in rows], columns=columns)


def councils_known_by_nothing_but_requests(data):
    """The councils the claims say nothing of, in order: the requests a test makes are all that is known."""
    return known.councils_to_ask(
        known.area_statuses(data.sites, data.claims, _requests(), AUTHORITIES, data.vocabulary, today=D("2026-11-27")),
        AUTHORITIES,
    )


def test_overdue_colours_an_unknown_area_and_shows_in_progress_without_edits():
    data = load_dataset()
    unknown = councils_known_by_nothing_but_requests(data)
    asked, waiting, answered = unknown[0], unknown[1], unknown[2]
    requests = _requests(
        {"id": "example-one", "authority": asked.gss_code, "sent": "2026-09-01", "status": "sent"},
        {"id": "example-two", "authority": waiting.gss_code, "sent": "2026-11-20", "status": "sent"},
        {
            "id": "example-three",
            "authority": answered.gss_code,
            "sent": "2026-09-01",
            "answered": "2026-09-20",
            "status": "answered",
            "finding": "none",
        },
    )
    today = D("2026-11-27")
    areas = known.area_statuses(data.sites, data.claims, requests, AUTHORITIES, data.vocabulary, today=today)
    assert areas[asked.gss_code].status == "overdue"
    assert areas[waiting.gss_code].status == "asked"
    assert areas[answered.gss_code].status == "not-used"
    # The same request was not overdue on its due date.
    due = deadlines.due_date(D("2026-09-01"), deadlines.law_for(asked.nation))
    earlier = known.area_statuses(data.sites, data.claims, requests, AUTHORITIES, data.vocabulary, today=due)
    assert earlier[asked.gss_code].status == "asked"

    table = known.progress(areas, requests, AUTHORITIES, today, by="nation")
    uk = table.iloc[-1]
    assert uk["nation"] == "United Kingdom"
    assert (uk["asked"], uk["answered"], uk["overdue"]) == (3, 1, 1)
    assert uk["councils"] == len([a for a in AUTHORITIES.current() if a.is_council and a.gss_code])
    assert uk["unknown"] == len(known.councils_to_ask(areas, AUTHORITIES))
    assert uk["equipment"] + uk["none"] + uk["unknown"] <= uk["councils"]
    assert table.iloc[:-1][list(known.PROGRESS_COLUMNS)].sum().tolist() == uk[list(known.PROGRESS_COLUMNS)].tolist()

    history = known.request_history(asked.gss_code, requests, AUTHORITIES, today)
    assert history[["sent", "due", "state"]].values.tolist() == [["2026-09-01", due.isoformat(), "overdue"]]


def test_an_answer_waiting_to_be_read_says_so_and_never_claims_a_date_it_does_not_have():
    """An answer found on WhatDoTheyKnow and not read yet is not "nothing either way": the map says it is unread."""
    data = load_dataset()
    nobody = councils_known_by_nothing_but_requests(data)
    unread, read, typed = nobody[0], nobody[1], nobody[2]
    site = {"url": "https://wdtk.invalid/request/fictional", "wdtk_state": "partially_successful"}
    requests = _requests(
        {"id": "example-unread", "authority": unread.gss_code, "sent": "2021-08-24", "status": "answered"} | site,
        {
            "id": "example-read",
            "authority": read.gss_code,
            "sent": "2021-08-24",
            "answered": "2021-09-20",
            "status": "answered",
            "read": "2026-11-01",
        }
        | site,
        {"id": "example-typed", "authority": typed.gss_code, "sent": "2021-08-24", "status": "answered"},
    )
    areas = known.area_statuses(data.sites, data.claims, requests, AUTHORITIES, data.vocabulary, today=D("2026-11-27"))
    assert {areas[c.gss_code].status for c in (unread, read, typed)} == {"answered"}
    assert areas[unread.gss_code].notes == ["FOI answer: Answered, not yet read (sent 2021-08-24)"]
    assert areas[read.gss_code].notes == ["FOI answer: Answered (2021-09-20)"]
    assert areas[typed.gss_code].notes == ["FOI answer: Answered (sent 2021-08-24)"]
    assert "not read it yet" in data.vocabulary.term("area_statuses", "answered").definition
    # The council's request history says the same; a request still waiting on the site has nothing to read.
    waiting = _requests(
        {"id": "example-waiting", "authority": unread.gss_code, "sent": "2026-11-20", "status": "sent"}
        | site
        | {"wdtk_state": "waiting_response"}
    )
    both = pd.concat([requests, waiting], ignore_index=True)
    history = known.request_history(unread.gss_code, both, AUTHORITIES, D("2026-11-27"), data.vocabulary)
    assert dict(zip(history["id"], history["unread"])) == {"example-waiting": False, "example-unread": True}
    assert not known.request_history(read.gss_code, both, AUTHORITIES, D("2026-11-27"))["unread"].any()


def test_a_request_to_a_merged_council_counts_for_its_successor():
    requests = _requests({"id": "example-old", "authority": "E07000187", "sent": "2022-01-10", "status": "sent"})
    somerset = AUTHORITIES.get("E06000066")
    history = known.request_history(somerset.gss_code, requests, AUTHORITIES, D("2026-11-27"))
    assert history["council"].tolist() == ["Mendip District Council"] and history["state"].tolist() == ["overdue"]


@pytest.mark.parametrize(
    "council, law",
    [(ENGLISH, "Freedom of Information Act 2000"), (SCOTTISH, "Freedom of Information (Scotland) Act 2002")],
)
def test_the_letter_asks_the_five_questions_under_the_right_law(council, law):
    body = asking.letter_body(council)
    assert law in body
    for words in (
        "Hikvision or Dahua",
        "another brand name",
        "how many",
        "kinds of site",
        "bought or installed",
        "replace or remove",
        "supplier",
    ):
        assert words in body
    letter = asking.full_letter(council)
    assert letter.startswith("Subject: Freedom of information request") and f"Dear {council.name}," in letter
    assert "Dear" not in body and "Yours" not in body  # WhatDoTheyKnow adds its own greeting and sign-off
    assert "@" not in letter  # no e-mail address anywhere


def test_the_whatdotheyknow_link_opens_the_request_for_that_body():
    url = urlparse(asking.whatdotheyknow_url(SCOTTISH))
    assert (url.scheme, url.netloc, url.path) == ("https", "www.whatdotheyknow.com", f"/new/{SCOTTISH.wdtk_id}")
    query = parse_qs(url.query)
    assert query["title"] == [asking.REQUEST_TITLE]
    assert query["default_letter"] == [asking.letter_body(SCOTTISH)]


def test_without_a_known_body_number_the_link_is_a_search_never_a_guess():
    somerset = AUTHORITIES.get("E06000066")
    assert somerset.wdtk_id == ""
    url = urlparse(asking.whatdotheyknow_url(somerset))
    assert url.path == "/select_authority" and parse_qs(url.query) == {"query": ["Somerset Council"]}


@pytest.mark.parametrize("number", ["\u0663\u0664", "34\n", "34 ", "+34", "3\u00b2", ""])
def test_a_body_number_that_is_not_ascii_digits_never_reaches_a_link(number):
    """str.isdigit() takes Arabic-Indic digits and superscripts; the link would be /new/%D9%A3%D9%A4."""
    odd = dataclasses.replace(SCOTTISH, wdtk_id=number)
    url = urlparse(asking.whatdotheyknow_url(odd))
    assert url.path == "/select_authority"
    assert parse_qs(url.query) == {"query": [SCOTTISH.name]}


def test_batch_csv_has_a_row_per_council_with_link_and_letter():
    councils = [ENGLISH, SCOTTISH]
    text = asking.batch_csv(councils).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["code"] for r in rows] == ["E08000003", "S12000048"]
    assert list(rows[0]) == list(asking.BATCH_COLUMNS)
    assert rows[1]["whatdotheyknow"] == asking.whatdotheyknow_url(SCOTTISH)
    assert rows[1]["letter"] == asking.full_letter(SCOTTISH)


def test_councils_to_ask_are_the_unknown_ones_of_a_region():
    areas = {ENGLISH.gss_code: known.AreaState(status="in-use")}
    north_west = known.councils_to_ask(areas, AUTHORITIES, region="North West")
    assert ENGLISH not in north_west and north_west
    assert {c.region for c in north_west} == {"North West"} and all(c.current and c.is_council for c in north_west)


class _Location:
    def __init__(self, lad_code, lad_name):
        self.lad_code, self.lad_name = lad_code, lad_name


def _geocode(postcode):
    known = {"GL50 1PY": _Location("E07000078", "Cheltenham"), "BT1 5GS": _Location("N09000003", "Belfast")}
    if postcode not in known:
        raise PostcodeError(postcode, "unknown postcode: not in the ONS Postcode Directory")
    return known[postcode]


@pytest.mark.parametrize(
    "query, names",
    [
        ("Perth & Kinross", ["Perth and Kinross Council"]),
        ("  perth and kinross council ", ["Perth and Kinross Council"]),
        ("LB Hackney", ["London Borough of Hackney"]),
        ("Cyngor Caerdydd", ["City of Cardiff Council"]),
        ("gl501py", ["Cheltenham Borough Council", "Gloucestershire County Council"]),
        ("BT1 5GS", ["Belfast City Council"]),
    ],
)
def test_find_a_council_by_any_spelling_or_postcode(query, names):
    assert [c.name for c in asking.find_council(query, AUTHORITIES, _geocode).councils] == names


def test_a_near_miss_offers_candidates_and_never_guesses():
    found = asking.find_council("Hackny", AUTHORITIES, _geocode)
    assert found.councils == () and "London Borough of Hackney" in [c.name for c in found.candidates]
    assert "Hackny" in found.message
    nothing = asking.find_council("Atlantis", AUTHORITIES, _geocode)
    assert nothing.councils == () and nothing.message


def test_an_unknown_postcode_says_why():
    found = asking.find_council("ZZ9 9ZZ", AUTHORITIES, _geocode)
    assert found.councils == () and "unknown postcode" in found.message


def test_progress_csv_has_the_uk_then_nations_then_regions():
    areas = {ENGLISH.gss_code: known.AreaState(status="in-use"), SCOTTISH.gss_code: known.AreaState(status="not-used")}
    today = D("2026-11-27")
    by_nation = known.progress(areas, _requests(), AUTHORITIES, today, by="nation")
    by_region = known.progress(areas, _requests(), AUTHORITIES, today, by="region")
    rows = list(csv.DictReader(io.StringIO(known.progress_csv(by_nation, by_region).decode("utf-8-sig"))))
    assert list(rows[0]) == ["Level", "Place", *(known.PROGRESS_LABELS[c] for c in known.PROGRESS_COLUMNS)]
    assert (rows[0]["Level"], rows[0]["Place"], rows[0]["Equipment reported"], rows[0]["Say they have none"]) == (
        "UK",
        "United Kingdom",
        "1",
        "1",
    )
    assert [r["Place"] for r in rows if r["Level"] == "nation"] == ["England", "Northern Ireland", "Scotland", "Wales"]
    north_west = next(r for r in rows if r["Level"] == "region" and r["Place"] == "North West")
    assert north_west["Equipment reported"] == "1"
