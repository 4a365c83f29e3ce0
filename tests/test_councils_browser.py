"""Campaigners in a real browser: choose a council on the map or by a messy name, and ask it.

The request link is checked, never followed: the tests make no request outside
the app's own host.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import map_frame, wait_for_text

from geo.evidence.dataset import load_dataset
from geo.foi import asking, known
from geo.places.authorities import load_authorities

pytestmark = [pytest.mark.browser, pytest.mark.boundaries]

AUTHORITIES = load_authorities()
DATA = load_dataset()
AREAS = known.area_statuses(
    DATA.sites, DATA.claims, DATA.foi_requests, AUTHORITIES, DATA.vocabulary, today=dt.date.today()
)


def request_link(panel) -> str:
    return panel.get_by_role("link", name="Open this request on WhatDoTheyKnow").get_attribute("href")


def check_request(panel, council) -> None:
    """The panel offers this council's request: the link opens it on WhatDoTheyKnow, the letter is whole."""
    link = urlparse(request_link(panel))
    assert (link.scheme, link.netloc, link.path) == ("https", "www.whatdotheyknow.com", f"/new/{council.wdtk_id}")
    query = parse_qs(link.query)
    assert query["title"] == [asking.REQUEST_TITLE] and query["default_letter"] == [asking.letter_body(council)]
    letter = panel.locator('[data-testid="stCode"]').inner_text()
    assert f"Dear {council.name}," in letter and "Hikvision or Dahua" in letter


def test_clicking_a_council_area_on_the_map_opens_its_panel_and_request(app_url, watched_page):
    council = next(
        a
        for a in known.councils_to_ask(AREAS, AUTHORITIES, region="South West")
        if a.wdtk_id and not DATA.sites["area_codes"].map(lambda c, code=a.gss_code: code in c).any()
    )
    page = watched_page.page
    page.goto(f"{app_url}/?council={council.gss_code}")
    frame, _ = map_frame(page)
    area = frame.locator(f"path.hikmap-area-{council.gss_code}")
    area.wait_for()
    box = area.bounding_box()
    # A real mouse click at the middle of the council's shape (the map is framed on it).
    frame_box = page.locator('iframe[title="streamlit_folium.st_folium"]').first.bounding_box()
    assert box and frame_box
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    panel = page.locator(".st-key-map_council")
    panel.wait_for(timeout=30_000)
    assert council.name in panel.inner_text()
    assert "Nothing known yet" in panel.inner_text()
    check_request(panel, council)
    watched_page.assert_clean()


@pytest.mark.parametrize(
    "typed, wanted",
    [
        ("perth & kinross", "S12000048"),
        ("LB Hammersmith and Fulham", "E09000013"),
        ("cyngor caerdydd", "W06000015"),
    ],
)
def test_typing_a_messy_name_finds_the_council(app_url, watched_page, typed, wanted):
    council = AUTHORITIES.get(wanted)
    page = watched_page.page
    page.goto(f"{app_url}/councils")
    box = page.get_by_label("Find a council by name or postcode")
    box.fill(typed)
    box.press("Enter")
    panel = page.locator(".st-key-councils_panel")
    panel.wait_for(timeout=30_000)
    wait_for_text(page, "Ask this council")
    assert council.name in panel.inner_text()
    check_request(panel, council)
    law = (
        "Freedom of Information (Scotland) Act 2002"
        if council.nation == "Scotland"
        else "Freedom of Information Act 2000"
    )
    assert law in panel.inner_text()
    with page.expect_download(timeout=60_000) as info:
        panel.get_by_role("button", name="Download the letter (.txt)").click()
    assert Path(info.value.path()).read_text(encoding="utf-8") == asking.full_letter(council)
    watched_page.assert_clean()


def test_a_misspelt_name_offers_the_closest_councils(app_url, watched_page):
    page = watched_page.page
    page.goto(f"{app_url}/councils")
    box = page.get_by_label("Find a council by name or postcode")
    box.fill("Hackny")
    box.press("Enter")
    wait_for_text(page, "Did you mean")
    page.get_by_role("button", name="London Borough of Hackney").click()
    panel = page.locator(".st-key-councils_panel")
    panel.wait_for(timeout=30_000)
    assert "London Borough of Hackney" in panel.inner_text()
    assert "authority=E09000012" in page.url


def test_progress_and_a_batch_of_councils_to_ask(app_url, watched_page):
    page = watched_page.page
    page.goto(f"{app_url}/councils")
    wait_for_text(page, "Take a batch")
    table = known.progress(AREAS, DATA.foi_requests, AUTHORITIES, dt.date.today(), by="nation")
    uk = table.iloc[-1]
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Progress by nation and region (CSV)").click()
    shown = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    uk_row = next(r for r in shown if r["Level"] == "UK")
    assert [int(uk_row[known.PROGRESS_LABELS[c]]) for c in known.PROGRESS_COLUMNS] == [
        int(uk[c]) for c in known.PROGRESS_COLUMNS
    ]
    assert {(r["Level"], r["Place"]) for r in shown} >= {("nation", "Wales"), ("region", "London")}
    page.locator('[data-testid="stSelectbox"]').filter(has=page.get_by_text("Nation or region", exact=True)).click()
    page.get_by_role("option", name="Wales", exact=True).click()
    wales = known.councils_to_ask(AREAS, AUTHORITIES, nation="Wales")
    wait_for_text(page, f"{len(wales)} councils still unknown in Wales")
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=f"Batch of {len(wales)} councils to ask (CSV)").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["code"] for r in rows] == [c.gss_code for c in wales]
    assert all(r["whatdotheyknow"].startswith("https://www.whatdotheyknow.com/") for r in rows)
    assert int(uk["unknown"]) == len(known.councils_to_ask(AREAS, AUTHORITIES))
    watched_page.assert_clean()
