"""The WhatDoTheyKnow pull against a local stand-in of the site (tests/wdtk_standin.py).

Every request here is fictional (titles, requesters, answers). Councils are
named with their real names and WhatDoTheyKnow numbers from data/authorities.csv,
because matching them against that table is what is tested; what the fictional
answers say is never written outside a scratch copy of data/.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from wdtk_standin import FakeRequest, Fault, body, many_requests, serve

from geo.evidence.datapackage import check_package, load_package
from geo.evidence.vocabulary import load_vocabulary
from geo.foi.wdtk.client import Client, WdtkError, retry_after_seconds
from geo.foi.wdtk.matching import Matcher, kind_of
from geo.foi.wdtk.pull import Interrupted, pull, snippet_text
from geo.foi.wdtk.recording import QUOTE_LIMIT, QUOTE_NOTE, Answer, AnswerError, record_answer, waiting_answers
from geo.foi.wdtk.state import State
from geo.places.authorities import load_authorities

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 30)
HOSTILE = "<script>alert(1)</script> {{ 7*7 }} {% if 1 %}x{% endif %} [link](javascript:alert(1)) =SUM(A1)"

WORCESTER = body(649, "Worcester City Council", [["local_council", None], ["england", None]])
MALVERN = body(9999001, "Malvern Hills District Council", [["local_council", None]])  # a number not in the table
ALLERDALE = body(42, "Allerdale Borough Council", [["local_council", None], ["defunct", None]])
GLASGOW = body(197, "Glasgow City Council", [["local_council", None], ["scotland", None]])
POLICE = body(9999002, "Fictional Valley Police", [["police", None], ["wales", None]])
NHS = body(9999003, "Fictional Hills Health Board", [["nhswales", None], ["charity", "1234567"]])
UNIVERSITY = body(9999004, "University of Fictionshire", [["university", None]], url_name="uni_fictionshire")
PARISH = body(9999005, "Fictional Parva Parish Council", [["parish_council", None]])
BODIES = [WORCESTER, MALVERN, ALLERDALE, GLASGOW, POLICE, NHS, UNIVERSITY, PARISH]


def fictional_requests() -> list[FakeRequest]:
    """One request in each of Alaveteli's states, plus the awkward ones."""
    day = dt.date(2025, 3, 3)
    states = [
        ("waiting_response", WORCESTER),
        ("waiting_clarification", POLICE),
        ("gone_postal", NHS),
        ("not_held", MALVERN),
        ("rejected", GLASGOW),
        ("successful", WORCESTER),
        ("partially_successful", UNIVERSITY),
        ("internal_review", POLICE),
        ("error_message", PARISH),
        ("requires_admin", NHS),
        ("user_withdrawn", UNIVERSITY),
        ("attention_requested", MALVERN),
        ("vexatious", GLASGOW),
        ("not_foi", POLICE),
    ]
    found = []
    for n, (state, to) in enumerate(states):
        answered = state not in ("waiting_response", "waiting_clarification", "error_message", "user_withdrawn")
        found.append(
            FakeRequest(
                id=900000 + n,
                url_title=f"fictional_hikvision_{state}",
                title=f"Fictional Hikvision question ({state})",
                body=to,
                sent=day + dt.timedelta(days=n),
                state=state,
                responded=day + dt.timedelta(days=n + 20) if answered else None,
            )
        )
    found += [
        FakeRequest(  # a response nobody has described yet
            id=900100,
            url_title="fictional_dahua_unclassified",
            title="Fictional Dahua question, answer not yet described",
            body=ALLERDALE,
            sent=dt.date(2022, 6, 1),
            state="waiting_response",
            responded=dt.date(2022, 6, 20),
            awaiting_description=True,
        ),
        FakeRequest(  # hostile and non-ASCII text in the title and the answer; an external request
            id=900101,
            url_title="fictional_camerau_hikvision",
            title=f"Camerâu Hikvision — ffug ✓ {HOSTILE}",
            body=GLASGOW,
            sent=dt.date(2025, 9, 1),
            state="successful",
            responded=dt.date(2025, 9, 22),
            answer_text=f"Yr ateb ffug: Hikvision {HOSTILE} & “quoted”",
            user=None,
            user_name="Fictional External Person",
            law_used="eir",
        ),
        FakeRequest(  # hidden: never in a feed, 403 on its own
            id=900102,
            url_title="fictional_hidden_hikvision",
            title="Fictional hidden Hikvision request",
            body=WORCESTER,
            sent=dt.date(2025, 1, 1),
            prominence="hidden",
        ),
    ]
    # Enough requests to fill more than two pages of the feed (25 events a page).
    found += many_requests(20, [UNIVERSITY, POLICE], start=dt.date(2024, 2, 1))
    return found


@pytest.fixture
def scratch(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("backups"))
    return data


@pytest.fixture
def site():
    server, standin, url = serve(fictional_requests())
    yield standin, url
    server.stop()


def make_client(url: str, cache: Path, **overrides) -> Client:
    waits: list[float] = []
    client = Client(base=url, cache_dir=cache, delay=0, timeout=0.5, sleep=waits.append, **overrides)
    return client


def run(data: Path, url: str, cache: Path, **options):
    client = make_client(url, cache)
    state = State(cache / "state.sqlite")
    try:
        return pull(data, client, state, today=TODAY, **options), client
    finally:
        state.close()
        client.close()


def pulled_records(data: Path, url: str, cache: Path) -> dict:
    """Pull from the stand-in once, then what the state remembers of each request, by url_title."""
    run(data, url, cache)
    state = State(cache / "state.sqlite")
    try:
        return {r.url_title: r for r in state.all()}
    finally:
        state.close()


def all_rows_by_url(data: Path) -> dict[str, dict[str, str]]:
    package, problems = load_package(data)
    assert problems == []
    return {r["url"]: r for r in package.table("foi_requests").rows}


SHIPPED = all_rows_by_url(ROOT / "data")  # the real requests in the package: none of them on the stand-in


def rows_by_url(data: Path) -> dict[str, dict[str, str]]:
    """The requests a pull from the stand-in wrote (the shipped ones are checked apart: they must not change)."""
    return {url: row for url, row in all_rows_by_url(data).items() if url not in SHIPPED}


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- The state map -----------------------------------------------------------------------------
ALAVETELI_STATES = [
    "waiting_response",
    "waiting_clarification",
    "gone_postal",
    "not_held",
    "rejected",
    "successful",
    "partially_successful",
    "internal_review",
    "error_message",
    "requires_admin",
    "user_withdrawn",
    "attention_requested",
    "vexatious",
    "not_foi",
]


def test_every_alaveteli_state_maps_to_one_of_ours_with_a_definition():
    vocabulary = load_vocabulary()
    assert [s.key for s in vocabulary.wdtk_states] == ALAVETELI_STATES + ["waiting_classification"]
    for state in vocabulary.wdtk_states:
        assert state.status in vocabulary.keys("request_statuses")
        assert state.definition and state.label
    mapped = {s.key: (s.status, s.finding) for s in vocabulary.wdtk_states}
    # The examples the issue gives.
    assert mapped["waiting_response"] == ("sent", "")
    assert mapped["successful"] == mapped["partially_successful"] == ("answered", "")
    assert mapped["not_held"] == ("answered", "not-held")
    assert mapped["rejected"] == ("refused", "")
    assert mapped["user_withdrawn"] == ("withdrawn", "")
    # The states that say a response has arrived, whose answers wait to be read.
    assert {s.key for s in vocabulary.wdtk_states if vocabulary.site_responded(s.key)} == {
        "successful",
        "partially_successful",
        "not_held",
        "rejected",
        "internal_review",
        "waiting_classification",
    }


def test_which_states_carry_an_answer_to_read_is_the_vocabularys_to_say():
    """A state given the role 'responded' in the data reaches the answers queue; no key is written in the code."""
    import json

    from geo.evidence.vocabulary import from_descriptor

    descriptor = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == "foi_requests")
    spec = next(f for f in resource["schema"]["fields"] if f["name"] == "wdtk_state")
    row = {"id": "fictional", "url": "https://wdtk.invalid/request/fictional", "wdtk_state": "gone_postal"}
    assert waiting_answers([row], {}, from_descriptor(descriptor), "https://wdtk.invalid") == []
    spec["x-roles"]["gone_postal"] = ["responded"]
    (waiting,) = waiting_answers([row], {}, from_descriptor(descriptor), "https://wdtk.invalid")
    assert waiting.row is row
    spec["x-roles"] = {}
    with pytest.raises(ValueError, match=r"no WhatDoTheyKnow state .* has the role 'responded'"):
        from_descriptor(descriptor)


def test_a_state_mapped_to_no_status_of_ours_is_refused_by_name():
    import json

    from geo.evidence.vocabulary import from_descriptor

    descriptor = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == "foi_requests")
    spec = next(f for f in resource["schema"]["fields"] if f["name"] == "wdtk_state")
    spec["x-request-status"]["gone_postal"] = "posted"
    with pytest.raises(ValueError, match="'gone_postal' maps to status 'posted'"):
        from_descriptor(descriptor)


# --- Matching ----------------------------------------------------------------------------------
def test_bodies_match_councils_by_number_then_name_and_others_by_tags_and_name():
    matcher = Matcher(load_authorities())
    worcester = matcher.match(WORCESTER)
    assert (worcester.authority.gss_code, worcester.kind, worcester.nation) == ("E07000237", "council", "England")
    malvern = matcher.match(MALVERN)  # its number is not in mySociety's table: found by name
    assert malvern.authority is not None and malvern.authority.code == "MAV"
    allerdale = matcher.match(ALLERDALE)
    assert allerdale.authority.code == "ALL" and "now part of Cumberland Council" in allerdale.note
    police = matcher.match(POLICE)
    assert (police.authority, police.kind, police.nation) == (None, "police", "Wales")
    assert matcher.match(NHS).kind == "nhs" and matcher.match(NHS).nation == "Wales"
    assert matcher.match(UNIVERSITY).kind == "university"
    parish = matcher.match(PARISH)
    assert parish.kind == "council" and parish.authority is None and parish.unmatched
    assert kind_of("Scottish Government", {"department", "scotland"}) == "devolved-government"
    assert kind_of("House of Commons", set()) == "parliament"
    assert kind_of("Fictional Museum Trust", set()) == "other-public-body"


def test_a_request_the_package_already_holds_is_brought_up_to_date_never_added_twice():
    """The shipped Knowsley row carries the id and address a pull from WhatDoTheyKnow itself gives that request."""
    from geo import settings
    from geo.foi.wdtk.recording import merge_requests
    from geo.foi.wdtk.state import SiteRequest

    (url,) = [u for u, row in SHIPPED.items() if row["id"] == "wdtk-advanced-cctv-35"]
    knowsley = SiteRequest(
        url_title=url.rsplit("/", 1)[1],
        state="partially_successful",
        sent=SHIPPED[url]["sent"],
        body={"id": 235, "url_name": "knowsley_metropolitan_borough_council", "name": "Knowsley Council"},
    )
    merged = merge_requests(
        list(SHIPPED.values()),
        [knowsley],
        Matcher(load_authorities()),
        load_vocabulary(),
        settings.WHATDOTHEYKNOW_URL,
        dt.date(2026, 12, 3),
    )
    assert merged.new == merged.changed_state == 0
    assert merged.rows == list(SHIPPED.values())


# --- The client --------------------------------------------------------------------------------
def test_retry_after_is_read_as_seconds_or_as_a_date():
    now = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds("Mon, 30 Nov 2026 12:00:30 GMT", now) == 30
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_429_with_retry_after_500_and_a_timeout_are_retried_and_the_user_agent_names_the_project(
    site, tmp_path, monkeypatch
):
    standin, url = site
    monkeypatch.setenv("HIKMAP_CONTACT", "maintainers@example.org")
    client = make_client(url, tmp_path / "cache")
    path = "/request/fictional_hikvision_successful.json"
    standin.fault(path, Fault(429, {"Retry-After": "7"}), Fault(500), Fault(pause=1.5))
    document = client.info_request("fictional_hikvision_successful")
    assert document["described_state"] == "successful"
    assert client.waits[0] == 7  # the site's Retry-After, honoured
    assert client.waits[1:] == [2.0, 4.0]  # then exponential backoff (1 s doubled)
    headers = [h for p, h in standin.log if p == path]
    assert len(headers) == 4
    agent = headers[-1]["User-Agent"]
    assert "hikvision-uk-evidence-map" in agent and "maintainers@example.org" in agent
    client.close()


def test_a_site_that_keeps_failing_gives_an_error_naming_the_address(site, tmp_path):
    standin, url = site
    client = make_client(url, tmp_path / "cache", attempts=3)
    standin.fault("/request/fictional_hikvision_rejected.json", *[Fault(503)] * 3)
    with pytest.raises(WdtkError, match=r"fictional_hikvision_rejected\.json: HTTP 503 after 3 tries"):
        client.info_request("fictional_hikvision_rejected")
    standin.fault("/request/fictional_hikvision_vexatious.json", Fault(429, {"Retry-After": "86400"}))
    with pytest.raises(WdtkError, match="asks to wait 86400 s"):
        client.info_request("fictional_hikvision_vexatious")
    client.close()


def test_removed_hidden_and_unknown_requests_are_none_and_a_numeric_id_follows_its_redirect(site, tmp_path):
    standin, url = site
    standin.requests["fictional_hikvision_not_foi"].removed = True
    client = make_client(url, tmp_path / "cache")
    assert client.info_request("fictional_hikvision_not_foi") is None  # 410
    assert client.info_request("fictional_hidden_hikvision") is None  # 403
    assert client.info_request("no_such_request") is None  # 404
    assert client.get_json("/request/900005.json")["url_title"] == "fictional_hikvision_successful"
    client.close()


def test_malformed_json_is_an_error_and_is_not_kept_in_the_cache(site, tmp_path):
    standin, url = site
    client = make_client(url, tmp_path / "cache")
    path = "/request/fictional_hikvision_successful.json"
    standin.fault(path, Fault(200, {"Cache-Control": "max-age=3600, public"}, body=b'{"id": 9, "title": "cut'))
    with pytest.raises(WdtkError, match="not JSON"):
        client.info_request("fictional_hikvision_successful")
    assert client.info_request("fictional_hikvision_successful")["id"] == 900005  # asked again, not cached
    assert [p for p, _ in standin.log].count(path) == 2
    client.close()


# --- The pull ------------------------------------------------------------------------------------
# Each body of the stand-in as it must be recorded: (organisation, authority's GSS code, kind), from
# data/authorities.csv for the councils (Malvern Hills by name, Allerdale kept with its own code).
EXPECTED_BODY = {
    649: ("Worcester City Council", "E07000237", "council"),
    9999001: ("Malvern Hills District Council", "E07000235", "council"),
    42: ("Allerdale Borough Council", "E07000026", "council"),
    197: ("Glasgow City Council", "S12000049", "council"),
    9999002: ("Fictional Valley Police", "", "police"),
    9999003: ("Fictional Hills Health Board", "", "nhs"),
    9999004: ("University of Fictionshire", "", "university"),
    9999005: ("Fictional Parva Parish Council", "", "council"),
}


def assert_every_request_recorded(data: Path, standin, url: str) -> None:
    """Each public request of the stand-in is one row with the right status and body, and nothing of its requester."""
    rows = rows_by_url(data)
    visible = [r for r in standin.requests.values() if r.prominence == "normal"]
    assert len(rows) == len(visible)
    # A request the package already holds from another site is left exactly as it was.
    assert {url: all_rows_by_url(data)[url] for url in SHIPPED} == SHIPPED
    vocabulary = load_vocabulary()
    for request in visible:
        row = rows[f"{url}/request/{request.url_title}"]
        expected = "waiting_classification" if request.awaiting_description else request.state
        site_state = vocabulary.site_state(expected)
        assert row["wdtk_state"] == expected
        assert (row["status"], row["finding"]) == (site_state.status, site_state.finding)
        assert row["sent"] == request.sent.isoformat()
        if site_state.status in ("answered", "refused"):
            assert row["answered"] == request.responded.isoformat()
        assert (row["organisation"], row["authority"], row["kind"]) == EXPECTED_BODY[request.body["id"]]
    # Nothing of any requester, anywhere in the data package.
    everything = "\n".join(
        p.read_text(encoding="utf-8") for p in data.rglob("*") if p.suffix in (".csv", ".json", ".md", ".geojson")
    )
    for personal in ("fictional_requester", "Fictional Requester", "Fictional External Person", "Fictional."):
        assert personal not in everything
    assert "Camerâu" not in everything and "<script>" not in everything  # titles and snippets stay in the cache
    assert "hikmap-pull-run" not in everything


def test_pull_records_every_request_with_its_status_and_authority_and_nothing_of_the_requester(site, scratch, tmp_path):
    standin, url = site
    report, _ = run(scratch, url, tmp_path / "cache")
    assert report.errors == []
    rows = rows_by_url(scratch)
    visible = [r for r in standin.requests.values() if r.prominence == "normal"]
    assert len(rows) == len(visible) == 36
    assert report.new == 36 and report.found == 36
    assert_every_request_recorded(scratch, standin, url)
    vocabulary = load_vocabulary()
    by_title = {r.url_title: rows[f"{url}/request/{r.url_title}"] for r in visible}
    worcester = by_title["fictional_hikvision_successful"]
    assert (worcester["authority"], worcester["kind"], worcester["law"]) == ("E07000237", "council", "foia")
    assert by_title["fictional_hikvision_not_held"]["authority"] == "E07000235"  # Malvern Hills, by name
    glasgow = by_title["fictional_hikvision_rejected"]
    assert (glasgow["status"], glasgow["law"], glasgow["nation"]) == ("refused", "foisa", "Scotland")
    merged = by_title["fictional_dahua_unclassified"]
    assert merged["authority"] == "E07000026" and "now part of Cumberland Council" in merged["note"]
    police = by_title["fictional_hikvision_waiting_clarification"]
    assert (police["organisation"], police["authority"], police["kind"], police["nation"]) == (
        "Fictional Valley Police",
        "",
        "police",
        "Wales",
    )
    assert "Environmental Information Regulations" in by_title["fictional_camerau_hikvision"]["note"]
    assert report.unmatched == ["Fictional Parva Parish Council"]
    assert report.waiting == len(waiting_answers(list(rows.values()), {}, vocabulary, url))
    assert check_package(scratch) == []
    changelog = (scratch / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "WhatDoTheyKnow pull: 36 new request(s)" in changelog


def test_a_rerun_with_nothing_new_asks_nothing_and_changes_no_file(site, scratch, tmp_path):
    standin, url = site
    run(scratch, url, tmp_path / "cache")
    before, asked = digest(scratch), len(standin.log)
    report, client = run(scratch, url, tmp_path / "cache")
    assert report.written == [] and report.new == report.changed_state == 0
    assert digest(scratch) == before
    assert len(standin.log) == asked  # every answer still fresh in the HTTP cache: nothing asked
    assert client.network_calls == 0 and client.cached_calls > 0


def test_a_later_run_revalidates_stops_at_the_first_known_page_and_reads_only_what_changed(scratch, tmp_path):
    server, standin, url = serve(fictional_requests(), max_age=0)  # every answer must be checked again
    try:
        run(scratch, url, tmp_path / "cache")
        standin.log.clear()
        changed = standin.requests["fictional_hikvision_waiting_response"]
        changed.state, changed.responded = "not_held", dt.date(2026, 11, 2)
        report, _client = run(scratch, url, tmp_path / "cache")
        paths = standin.paths()
        # Page 1 holds the new answer; page 2 is all seen before: the run stops there, not at the end.
        assert [p for p in paths if p.startswith("/feed/")] == [
            "/feed/search/hikvision OR dahua.json",
            "/feed/search/hikvision OR dahua.json?page=2",
        ]
        assert [p for p in paths if p.startswith("/request/")] == ["/request/fictional_hikvision_waiting_response.json"]
        assert report.changed_state == 1 and report.new == 0
        row = rows_by_url(scratch)[f"{url}/request/fictional_hikvision_waiting_response"]
        assert (row["wdtk_state"], row["status"], row["finding"], row["answered"]) == (
            "not_held",
            "answered",
            "not-held",
            "2026-11-02",
        )
        assert any(h.get("If-None-Match") for _, h in standin.log)  # revalidated with the ETag it held
    finally:
        server.stop()


def test_an_interrupted_run_carries_on_and_ends_where_an_uninterrupted_one_does(site, scratch, tmp_path):
    standin, url = site
    untouched = digest(scratch)
    for budget in (2, 5, 30):
        with pytest.raises(Interrupted):
            run(scratch, url, tmp_path / "cache", stop_after=budget)
        assert digest(scratch) == untouched  # data/ written whole at the end, or not at all
    report, _ = run(scratch, url, tmp_path / "cache")
    assert report.resumed and report.errors == []
    resumed = rows_by_url(scratch)

    fresh = tmp_path / "fresh" / "data"
    shutil.copytree(ROOT / "data", fresh, ignore=shutil.ignore_patterns("backups"))
    run(fresh, url, tmp_path / "fresh-cache")
    assert resumed == rows_by_url(fresh)
    # Each request was read once, even across the interruptions.
    reads = [p for p in standin.paths() if p.startswith("/request/")]
    assert len(reads) == 2 * 36


def test_errors_are_reported_and_what_could_be_read_is_recorded(site, scratch, tmp_path):
    standin, url = site
    standin.fault("/request/fictional_hikvision_gone_postal.json", *[Fault(500)] * 5)
    standin.fault("/feed/search/hikvision OR dahua.json?page=3", Fault(200, body=b"[{not json"))
    report, _ = run(scratch, url, tmp_path / "cache")
    assert any("fictional_hikvision_gone_postal.json: HTTP 500 after 5 tries" in e for e in report.errors)
    assert any("page=3" in e and "not JSON" in e for e in report.errors)
    assert f"{url}/request/fictional_hikvision_gone_postal" not in rows_by_url(scratch)
    assert "errors: 2" in report.text()
    again, _ = run(scratch, url, tmp_path / "cache")  # the next run reads what failed
    assert again.errors == []
    assert f"{url}/request/fictional_hikvision_gone_postal" in rows_by_url(scratch)


def test_a_removed_request_already_recorded_is_kept_with_a_note(scratch, tmp_path):
    server, standin, url = serve(fictional_requests(), max_age=0)
    try:
        run(scratch, url, tmp_path / "cache")
        removed = standin.requests["fictional_hikvision_successful"]
        removed.removed = True
        # A new run that never saw it in a feed still reads every known row it has not read.
        report, _ = run(scratch, url, tmp_path / "other-cache")
        row = rows_by_url(scratch)[f"{url}/request/fictional_hikvision_successful"]
        assert "No longer public on WhatDoTheyKnow." in row["note"]
        assert report.gone == [f"{url}/request/fictional_hikvision_successful"]
    finally:
        server.stop()


def test_since_asks_the_search_for_a_closed_date_range(site, scratch, tmp_path):
    standin, url = site
    run(scratch, url, tmp_path / "cache", since=dt.date(2025, 9, 1))
    feeds = [p for p in standin.paths() if p.startswith("/feed/search/")]
    assert feeds[0] == "/feed/search/(hikvision OR dahua) 01/09/2025..30/11/2026.json"
    assert set(rows_by_url(scratch)) == {f"{url}/request/fictional_camerau_hikvision"}


def test_the_campaign_account_feed_is_read_and_its_account_may_be_named(scratch, tmp_path):
    requests = fictional_requests()
    own = FakeRequest(
        id=900200,
        url_title="fictional_campaign_question",
        title="Fictional question about cameras",  # the words are not in it: only the account's feed finds it
        body=WORCESTER,
        sent=dt.date(2026, 10, 1),
        user={"url_name": "fictional_campaign", "name": "Fictional Campaign"},
    )
    own.events = lambda: [  # type: ignore[method-assign]
        {**e, "_text": "A question about cameras."} for e in FakeRequest.events(own)
    ]
    server, standin, url = serve(requests + [own])
    try:
        run(scratch, url, tmp_path / "cache", campaign_user="fictional_campaign")
        row = rows_by_url(scratch)[f"{url}/request/fictional_campaign_question"]
        assert "campaign's own WhatDoTheyKnow account" in row["note"]
        assert "/feed/user/fictional_campaign.json" in standin.paths()
    finally:
        server.stop()


def test_snippets_are_plain_text():
    assert snippet_text('a <span class="highlight">Hikvision</span> &lt;b&gt; &amp; x') == "a Hikvision <b> & x"


# --- The answers queue and recording -----------------------------------------------------------------
def test_the_queue_lists_unread_answers_newest_first_and_recording_one_changes_the_map(site, scratch, tmp_path):
    from geo.evidence.dataset import load_dataset
    from geo.foi.known import area_statuses

    _standin, url = site
    records = pulled_records(scratch, url, tmp_path / "cache")
    vocabulary = load_vocabulary()
    rows = list(rows_by_url(scratch).values())
    queue = waiting_answers(rows, records, vocabulary, url)
    answered = [w.responded for w in queue]
    assert answered == sorted(answered, reverse=True) and len(queue) > 5
    hostile = next(w for w in queue if w.row["url"].endswith("fictional_camerau_hikvision"))
    assert HOSTILE in hostile.title and HOSTILE in hostile.snippet  # text, to be shown as text
    assert hostile.answer_url == f"{url}/request/fictional_camerau_hikvision#incoming-{900101 * 3 + 1}"
    worcester = next(w for w in queue if w.row["url"].endswith("fictional_hikvision_successful"))
    assert worcester.site_status == "Successful"

    before = load_dataset(scratch, scratch / "build" / "sites.geojson")
    areas = area_statuses(before.sites, before.claims, before.foi_requests, load_authorities(), vocabulary, TODAY)
    assert areas["E07000237"].status == "answered"
    answer = Answer(
        finding="equipment",
        quote="The council has 12 Hikvision cameras at its depot (fictional).",
        vendors={"hikvision": 12},
        site_kinds=("depots",),
        removal_planned=True,
    )
    with pytest.raises(AnswerError, match="quote: give a short passage"):
        record_answer(
            scratch,
            worcester.row["id"],
            Answer(finding="equipment", quote=" ", vendors={"hikvision": 1}),
            records,
            url,
            TODAY,
        )
    with pytest.raises(AnswerError, match="exemption: a refusal needs"):
        record_answer(scratch, worcester.row["id"], Answer(finding="refused", quote="No."), records, url, TODAY)
    result = record_answer(scratch, worcester.row["id"], answer, records, url, TODAY)
    assert "foi_requests.csv" in result.files and "claims.csv" in result.files
    after = load_dataset(scratch, scratch / "build" / "sites.geojson")
    areas = area_statuses(after.sites, after.claims, after.foi_requests, load_authorities(), vocabulary, TODAY)
    assert areas["E07000237"].status == "removing"  # the claim's status: removal promised
    claim = after.claims[after.claims["site"] == "worcester-city-council-area"].iloc[0]
    assert (claim["vendor"], claim["grade"], claim["status"], claim["equipment_count"]) == (
        "hikvision",
        "official",
        "removal-promised",
        12,
    )
    link = links_of(scratch)[claim["id"]]
    # The answer's own words, the day they were read, and (as the quotation does not name Worcester) why not.
    assert link["quote"] == answer.quote and link["checked"] == TODAY.isoformat()
    assert link["quote_note"] == QUOTE_NOTE
    source = after.sources[after.sources["id"] == claim["sources"][0]].iloc[0]
    assert (source["kind"], source["publisher"], source["published"]) == (
        "foi-response",
        "Worcester City Council",
        "2025-03-28",
    )
    row = after.foi_requests[after.foi_requests["id"] == worcester.row["id"]].iloc[0]
    assert (row["status"], row["finding"], row["read"]) == ("answered", "equipment", TODAY.isoformat())
    assert "The council has 12 Hikvision cameras" in row["outcome"]
    queue_after = waiting_answers(after.foi_requests.to_dict("records"), records, vocabulary, url)
    assert worcester.row["id"] not in {w.row["id"] for w in queue_after}
    assert len(queue_after) == len(queue) - 1
    assert check_package(scratch) == []
    assert "Answer read" in (scratch / "CHANGELOG.md").read_text(encoding="utf-8")

    # A refusal: the exemption is kept, no claim.
    claims_before, sources_before = len(links_of(scratch)), (scratch / "sources.csv").read_bytes()
    glasgow = next(w for w in queue if w.row["url"].endswith("fictional_hikvision_rejected"))
    record_answer(
        scratch,
        glasgow.row["id"],
        Answer(finding="refused", quote="Section 35 applies (fictional).", exemption="foisa-s35"),
        records,
        url,
        TODAY,
    )
    row = rows_by_url(scratch)[glasgow.row["url"]]
    assert (row["status"], row["exemption"], row["finding"]) == ("refused", "foisa-s35", "")
    assert len(links_of(scratch)) == claims_before and (scratch / "sources.csv").read_bytes() == sources_before

    # A pull after reading keeps what the campaign recorded.
    run(scratch, url, tmp_path / "cache")
    assert rows_by_url(scratch)[worcester.row["url"]]["finding"] == "equipment"


def links_of(data: Path) -> dict[str, dict[str, str]]:
    package, problems = load_package(data)
    assert problems == []
    return {r["claim"]: r for r in package.table("claim_sources").rows}


def claims_of(data: Path) -> dict[str, dict[str, str]]:
    package, _problems = load_package(data)
    return {r["id"]: r for r in package.table("claims").rows}


def test_the_quote_limit_is_the_schemas():
    package, _problems = load_package(ROOT / "data")
    (field,) = [f for f in package.table("claim_sources").fields if f["name"] == "quote"]
    assert field["constraints"]["maxLength"] == QUOTE_LIMIT and field["constraints"]["required"] is True


def test_only_a_has_none_answer_says_not_used_graded_as_the_bodys_own_words(site, scratch, tmp_path, caplog):
    _standin, url = site
    records = pulled_records(scratch, url, tmp_path / "cache")
    queue = waiting_answers(list(rows_by_url(scratch).values()), records, load_vocabulary(), url)
    by_title = {w.row["url"].rsplit("/", 1)[1]: w for w in queue}
    university = by_title["fictional_hikvision_partially_successful"]
    malvern = by_title["fictional_hikvision_not_held"]

    # The quotation is required, verbatim and at most 300 characters; 'has none' says of which maker.
    for wrong, message in [
        (Answer(finding="none", quote="", vendors={"dahua": None}), "quote: give a short passage"),
        (Answer(finding="none", quote="x" * (QUOTE_LIMIT + 1), vendors={"dahua": None}), "more than the 300"),
        (Answer(finding="none", quote="We have none (fictional)."), "vendors: tick each maker"),
    ]:
        with pytest.raises(AnswerError, match=message):
            record_answer(scratch, university.row["id"], wrong, records, url, TODAY)

    # 'Not held' is recorded on the request only: it does not say the body has none.
    claims_before = claims_of(scratch)
    untouched = {name: (scratch / name).read_bytes() for name in ("claims.csv", "claim_sources.csv", "sources.csv")}
    record_answer(
        scratch,
        malvern.row["id"],
        Answer(finding="not-held", quote="The information is not held (fictional)."),
        records,
        url,
        TODAY,
    )
    row = rows_by_url(scratch)[malvern.row["url"]]
    assert (row["status"], row["finding"], row["read"]) == ("answered", "not-held", TODAY.isoformat())
    assert {name: (scratch / name).read_bytes() for name in untouched} == untouched

    # 'Has none', in the body's own answer: a claim with the absence status, graded official, quoting it.
    quote = "The University of Fictionshire does not have any Dahua equipment (fictional)."
    answer = Answer(finding="none", quote=quote, vendors={"dahua": None})
    with caplog.at_level("INFO", logger="hikmap.answers"):
        result = record_answer(scratch, university.row["id"], answer, records, url, TODAY)
    # Each saving is logged, with the request and the data version it made.
    (logged,) = [
        r.getMessage() for r in caplog.records if r.name == "hikmap.answers" and university.row["id"] in r.getMessage()
    ]
    assert university.row["url"] in logged and result.version in logged
    new = [c for i, c in claims_of(scratch).items() if i not in claims_before]
    assert len(new) == 1
    (claim,) = new
    vocabulary = load_vocabulary()
    assert claim["status"] in vocabulary.keys_with("statuses", "absence") and claim["status"] == "not-used"
    assert claim["grade"] == "official" and claim["grade"] in vocabulary.keys_with("grades", "own-words")
    assert (claim["vendor"], claim["equipment_count"]) == ("dahua", "")
    link = links_of(scratch)[claim["id"]]
    assert (link["quote"], link["checked"], link["quote_note"]) == (quote, TODAY.isoformat(), "")  # it names the body
    row = rows_by_url(scratch)[university.row["url"]]
    assert (row["finding"], row["site"]) == ("none", claim["site"])
    # The university has no sourced address: it is counted, not drawn.
    package, _problems = load_package(scratch)
    (site_row,) = [r for r in package.table("sites").rows if r["id"] == claim["site"]]
    assert (site_row["precision"], site_row["postcode"], site_row["kind"]) == ("not-placed", "", "university")
    assert check_package(scratch) == []

    # The published copy follows: the claim and the answer's words are in what `python -m geo publish` writes.
    from geo import settings
    from geo.evidence.dataset import load_dataset
    from geo.outputs.publish import site as publishing

    published = tmp_path / "site" / "map"
    publishing.publish(
        published, load_dataset(scratch, scratch / "build" / "sites.geojson"), tiles=settings.TILE_SOURCES["none"]
    )
    shown = "\n".join(p.read_text(encoding="utf-8") for p in (published / "data").glob("*.json"))
    assert claim["claim"] in shown  # the claim's words, in the published map's data
    with zipfile.ZipFile(published / "downloads" / "hikvision-evidence-data-package.zip") as package_zip:
        (name,) = [n for n in package_zip.namelist() if n.endswith("claim_sources.csv")]
        assert quote in package_zip.read(name).decode("utf-8")  # the answer's words, in the data package


def test_the_quotation_is_checked_against_the_body_the_map_names(site, scratch, tmp_path):
    """The check asks a quote to name the organisation of its claim's site, which may be spelt otherwise on the site."""
    import csv

    _standin, url = site
    records = pulled_records(scratch, url, tmp_path / "cache")
    path = scratch / "foi_requests.csv"
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    (worcester,) = [r for r in rows if r["url"].endswith("/fictional_hikvision_successful")]
    worcester["organisation"] = "Fictionford Town Hall"  # a fictional spelling of the body, as a site might give it
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    quote = "Fictionford Town Hall has 3 Hikvision cameras (fictional)."  # names the request's body, not the map's
    record_answer(
        scratch,
        worcester["id"],
        Answer(finding="equipment", quote=quote, vendors={"hikvision": 3}),
        records,
        url,
        TODAY,
    )
    package, _problems = load_package(scratch)
    (link,) = [r for r in package.table("claim_sources").rows if r["quote"] == quote]
    assert link["quote_note"] == QUOTE_NOTE  # it does not name Worcester City Council, the site's organisation
    assert check_package(scratch) == []


def test_cli_pull_against_the_stand_in(site, scratch, tmp_path):
    _standin, url = site
    env = {
        "PATH": "/usr/bin:/bin",
        "HIKMAP_WDTK_URL": url,
        "HIKMAP_WDTK_DELAY": "0",
        "HIKMAP_CACHE_DIR": str(tmp_path / "cache"),
        "HIKMAP_CONTACT": "maintainers@example.org",
        "HIKMAP_BOUNDARIES_DIR": str(Path("/work/shared/geo")),
    }
    import os

    env["HIKMAP_BOUNDARIES_DIR"] = os.environ.get("HIKMAP_BOUNDARIES_DIR", env["HIKMAP_BOUNDARIES_DIR"])
    env["HOME"] = os.environ.get("HOME", str(tmp_path))
    command = [sys.executable, "-m", "geo", "wdtk", "pull", "--data", str(scratch)]
    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "requests found: 36" in first.stdout and "new: 36" in first.stdout
    assert "bodies not matched: 1\n  Fictional Parva Parish Council" in first.stdout
    assert_every_request_recorded(scratch, _standin, url)
    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0 and "data: nothing changed, no file written" in second.stdout
    refused = subprocess.run(
        command, cwd=ROOT, env={**env, "HIKMAP_WDTK_URL": "", "HIKMAP_CONTACT": ""}, capture_output=True, text=True
    )
    assert refused.returncode == 2 and "set HIKMAP_CONTACT" in refused.stderr


# --- Keeping it current: the Councils page's warning and the other bodies' progress ---------------------
def _rows(*rows: dict) -> pd.DataFrame:
    columns = [f["name"] for f in load_package(ROOT / "data")[0].table("foi_requests").fields]
    return pd.DataFrame([dict.fromkeys(columns, "") | row for row in rows], columns=columns)


def test_a_council_that_answered_within_12_months_is_not_asked_again_without_a_warning():
    from geo.foi import known

    authorities = load_authorities()
    requests = _rows(
        {
            "id": "fictional-old",
            "authority": "E07000237",
            "sent": "2025-09-01",
            "answered": "2025-11-29",
            "status": "answered",
            "url": "https://www.example.org/request/old",
        },
        {
            "id": "fictional-new",
            "authority": "E07000237",
            "sent": "2026-01-05",
            "answered": "2026-02-02",
            "status": "refused",
            "url": "https://www.example.org/request/new",
            "wdtk_state": "rejected",
        },
    )
    history = known.request_history("E07000237", requests, authorities, TODAY)
    assert history["wdtk_state"].tolist() == ["rejected", ""]
    recent = known.recent_answer(history, load_vocabulary(), TODAY)
    assert recent["url"] == "https://www.example.org/request/new" and recent["answered"] == "2026-02-02"
    assert known.recent_answer(history, load_vocabulary(), dt.date(2027, 2, 3)) is None  # more than 12 months on
    assert known.recent_answer(history, load_vocabulary(), dt.date(2027, 2, 2))["id"] == "fictional-new"


def test_other_bodies_count_in_the_progress_by_kind():
    from geo.foi import known

    requests = _rows(
        {
            "id": "a",
            "organisation": "Fictional Valley Police",
            "kind": "police",
            "status": "answered",
            "sent": "2026-01-05",
            "answered": "2026-01-20",
            "finding": "equipment",
        },
        {
            "id": "b",
            "organisation": "Fictional Valley Police",
            "kind": "police",
            "status": "sent",
            "sent": "2026-09-01",
        },
        {"id": "c", "organisation": "Fictional Hill Police", "kind": "police", "status": "sent", "sent": "2026-09-01"},
        {
            "id": "d",
            "organisation": "University of Fictionshire",
            "kind": "university",
            "status": "answered",
            "sent": "2026-01-05",
            "answered": "2026-01-20",
            "finding": "none",
        },
        {
            "id": "e",
            "organisation": "Worcester City Council",
            "authority": "E07000237",
            "kind": "council",
            "status": "sent",
            "sent": "2026-09-01",
        },
    )
    table = known.body_progress(requests, load_vocabulary(), TODAY).set_index("kind")
    assert table.loc["Police force"].tolist() == [2, 2, 1, 1, 1, 0]  # bodies, asked, answered, overdue, equipment, none
    assert table.loc["University or college"].tolist() == [1, 1, 1, 0, 0, 1]
    assert table.loc["All"].tolist() == [3, 3, 2, 1, 1, 1]
