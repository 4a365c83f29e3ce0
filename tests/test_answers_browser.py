"""The answers queue in a real browser: an answer read, recorded, and the council's colour and counts changed.

The requests are fictional and served by the local stand-in of WhatDoTheyKnow
(tests/wdtk_standin.py); the council is real (Worcester City Council, by its
WhatDoTheyKnow number in data/authorities.csv) because its area must be drawn.
Everything is written to a scratch copy of data/, never to the committed one.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import shutil

import pytest
from conftest import ARTIFACTS, ROOT, map_frame, on_land, start_app, stop_app, wait_for_text
from wdtk_standin import FakeRequest, body, serve

from geo import settings
from geo.evidence.vocabulary import load_vocabulary
from geo.foi.wdtk.client import Client
from geo.foi.wdtk.pull import pull
from geo.foi.wdtk.state import State

pytestmark = [pytest.mark.browser, pytest.mark.boundaries]

TOKEN = "fictional-answers-test-token-0123456789"
WORCESTER = "E07000237"
HOSTILE = "<img src=x onerror=alert(1)> {{ 7*7 }} [click](javascript:alert(1))"


def requests() -> list[FakeRequest]:
    worcester = body(649, "Worcester City Council", [["local_council", None]])
    police = body(9999002, "Fictional Valley Police", [["police", None], ["wales", None]])
    return [
        FakeRequest(
            id=910001,
            url_title="fictional_worcester_hikvision",
            title=f"Fictional Hikvision question {HOSTILE}",
            body=worcester,
            sent=dt.date(2026, 9, 1),
            state="successful",
            responded=dt.date(2026, 9, 25),
            answer_text=f"Fictional answer: Hikvision cameras at two depots. {HOSTILE}",
        ),
        FakeRequest(
            id=910002,
            url_title="fictional_police_dahua",
            title="Fictional Dahua question",
            body=police,
            sent=dt.date(2026, 6, 1),
            state="rejected",
            responded=dt.date(2026, 7, 1),
        ),
    ]


@pytest.fixture
def answers_app(tmp_path):
    server, _standin, url = serve(requests())
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("backups"))
    cache = tmp_path / "cache"
    cache.mkdir()
    index = settings.cache_dir() / "postcodes"
    if index.is_dir():
        os.symlink(index, cache / "postcodes")  # the postcode index, not built again
    client = Client(base=url, cache_dir=cache / "wdtk", delay=0, timeout=5)
    state = State(cache / "wdtk" / "state.sqlite")
    report = pull(data, client, state)
    state.close()
    client.close()
    assert report.new == 2 and report.waiting == 2
    process, app = start_app(
        data_dir=data,
        extra_env={"HIKMAP_IMPORT_TOKEN": TOKEN, "HIKMAP_CACHE_DIR": str(cache), "HIKMAP_WDTK_URL": url},
    )
    yield app, data, url
    stop_app(process)
    server.stop()


def area_fill(frame, code: str) -> str:
    return frame.evaluate(
        """code => {
        let fill = null;
        window.map.eachLayer(layer => {
            if (layer.feature && layer.feature.properties.code === code && layer.options.fillColor) {
                fill = layer.options.fillColor;
            }
        });
        return fill;
    }""",
        code,
    )


def in_use_count(page) -> int:
    wait_for_text(page, "with equipment reported or confirmed")
    text = page.locator("body").inner_text()
    return int(re.search(r"(\d+)\s+with equipment reported or confirmed", text).group(1))


def test_an_answer_read_in_the_queue_colours_the_council_and_changes_the_counts(answers_app, watched_page):
    app, data, site = answers_app
    page = watched_page.page
    # With no tiles the map draws a council's own status at 0.75 over the land, as an opaque colour.
    colours = {t.key: on_land(t.colour, 0.75) for t in load_vocabulary(data).area_statuses}

    page.goto(app + "/")
    frame, _ = map_frame(page)
    assert area_fill(frame, WORCESTER).upper() == colours["answered"]
    counted_before = in_use_count(page)

    page.goto(app + "/answers")
    page.get_by_label("Import token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    wait_for_text(page, "2 answers waiting.")
    wait_for_text(page, "Fictional answer: Hikvision cameras at two depots.")
    text = page.locator(".st-key-answers_answer").inner_text()
    assert HOSTILE in text  # the site's title and snippet, as text
    assert page.locator(".st-key-answers_answer img").count() == 0
    links = page.locator(".st-key-answers_answer a").evaluate_all("as => as.map(a => a.href)")
    assert links == [
        f"{site}/request/fictional_worcester_hikvision#incoming-{910001 * 3 + 1}",
        f"{site}/request/fictional_worcester_hikvision",
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_role("button", name="Save what the answer says").wait_for()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "answers-queue-desktop-1400.png"), full_page=True)

    page.get_by_text("Equipment found", exact=True).click()
    page.get_by_text("Hikvision", exact=True).first.click()
    page.get_by_label("Hikvision devices (if given)").fill("12")
    quote_box = page.get_by_role(
        "textbox", name="Quotation from the answer, word for word (required, at most 300 characters)"
    )
    # Without the answer's own words nothing is saved.
    before = {p.name: p.read_bytes() for p in data.glob("*.csv")}
    page.get_by_role("button", name="Save what the answer says").click()
    wait_for_text(page, "Nothing was written: quote: give a short passage of the answer")
    assert {p.name: p.read_bytes() for p in data.glob("*.csv")} == before
    quote = "Worcester City Council has 12 Hikvision cameras at two depots (fictional)."
    quote_box.fill(quote)
    page.get_by_role("button", name="Save what the answer says").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "answers-form-desktop-1400.png"))
    page.get_by_role("button", name="Save what the answer says").click()
    wait_for_text(page, "Recorded the answer of Worcester City Council: equipment found.")
    wait_for_text(page, "1 answer waiting.")
    with (data / "claim_sources.csv").open(encoding="utf-8", newline="") as f:
        (link,) = [r for r in csv.DictReader(f) if r["quote"] == quote]
    # The quotation names the body, so no note; the day it was read is the day of saving.
    assert (link["checked"], link["quote_note"]) == (dt.date.today().isoformat(), "")

    page.goto(app + "/")
    frame, _ = map_frame(page)
    assert area_fill(frame, WORCESTER).upper() == colours["in-use"]
    assert in_use_count(page) == counted_before + 1
    page.screenshot(path=str(ARTIFACTS / "answers-recorded-map-desktop-1400.png"))

    # The Councils page lists the council's requests on WhatDoTheyKnow and warns before asking it again.
    page.goto(app + f"/councils?authority={WORCESTER}")
    wait_for_text(page, "answered this question on 2026-09-25")
    panel = page.locator(".st-key-councils_panel")
    assert "on WhatDoTheyKnow: Successful" in panel.inner_text()
    warning = panel.locator("[data-testid='stAlertContentWarning']")
    assert warning.locator("a").evaluate_all("as => as.map(a => a.href)") == [
        f"{site}/request/fictional_worcester_hikvision"
    ]
    wait_for_text(page, "Other public bodies")
    page.screenshot(path=str(ARTIFACTS / "councils-recent-answer-desktop-1400.png"), full_page=True)
    assert watched_page.external_requests == []


def test_the_answers_queue_and_its_form_have_no_wcag_violations(answers_app, watched_page):
    from test_accessibility_browser import describe, run_axe_on_whole_page

    app, _data, _site = answers_app
    page = watched_page.page
    page.goto(app + "/answers")
    page.get_by_label("Import token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Save what the answer says").wait_for()
    violations = run_axe_on_whole_page(page)
    assert violations == [], describe(violations, "the answers queue with its form")


def test_the_answers_page_on_a_phone(answers_app, chromium):
    app, _data, _site = answers_app
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(app + "/answers")
    page.get_by_label("Import token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    wait_for_text(page, "2 answers waiting.")
    page.get_by_role("button", name="Save what the answer says").wait_for()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "answers-queue-phone-390.png"), full_page=True)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    context.close()


def test_the_answers_page_is_switched_off_without_a_credential(tmp_path, chromium):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("backups"))
    process, app = start_app(data_dir=data, extra_env={"HIKMAP_IMPORT_TOKEN": ""})
    try:
        page = chromium.new_page()
        page.goto(app + "/answers")
        wait_for_text(page, "The answers queue is switched off")
        assert page.get_by_label("Import token").count() == 0
        page.close()
    finally:
        stop_app(process)
