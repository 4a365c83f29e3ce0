"""The source's words in the real browser: the map's popup (app and published copy, which share
sitelayer.js), the panel beside the map, the published table (a table at 1400 px, cards on a phone)
and the corrections page, at a desktop and a phone size. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest
from conftest import ARTIFACTS, PageWatch, map_frame

from geo.evidence.dataset import load_dataset
from geo.evidence.quotes import quotes_by_link
from geo.outputs.text import checked_words, one_line, quote_attribution

pytestmark = [pytest.mark.browser, pytest.mark.boundaries]

DATA = load_dataset()
CLAIM = "suffolk-council-area-hikvision-undated"  # on Endeavour House: one source, a note, no count
SOURCE = "ipswich-star-ipswich-council-cctv-controlled-by-system"
QUOTE = quotes_by_link(DATA.claim_sources, DATA.sources)[(CLAIM, SOURCE)]
SIZES = [(1400, 1000), (390, 844)]
QUERY = "q=Endeavour+House"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def assert_quotation(scope, width: int) -> None:
    """``scope`` (the popup or a table cell) shows the quote in a <blockquote>, then its publisher and date."""
    quote = scope.locator("blockquote").first
    quote.wait_for(timeout=20_000)
    assert quote.inner_text().strip() == one_line(QUOTE.quote)
    cite = scope.locator(".cite").first.inner_text()
    assert cite == f"— {quote_attribution(QUOTE.publisher, QUOTE.published)} · {checked_words(QUOTE.checked)}"
    assert scope.locator(".quote-note").first.inner_text() == f"Note: {QUOTE.note}"
    box = quote.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.parametrize("width,height", SIZES)
def test_the_published_popup_quotes_the_source(published_url, chromium, width, height):
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(f"{published_url}/index.html?{QUERY}")
    site = page.locator("path.hikmap-site")
    site.first.wait_for(timeout=30_000)
    assert site.count() == 1
    site.first.dispatch_event("click")
    popup = page.locator(".hikmap-popup")
    assert_quotation(popup, width)
    assert "number of devices not given" in popup.inner_text()
    shot(page, f"quotes-published-popup-{width}")
    assert watch.console_errors == [] and watch.failures == [] and watch.external_requests == []
    context.close()


@pytest.mark.parametrize("width,height", SIZES)
def test_the_published_table_quotes_the_source(published_url, chromium, width, height):
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(f"{published_url}/table.html?{QUERY}")
    page.wait_for_function("() => document.getElementById('evidence').dataset.rows === '1'", timeout=30_000)
    row = page.locator("#evidence tbody tr").first
    assert_quotation(row, width)
    devices = row.locator("td").nth(5).inner_text()  # Devices: the sixth value after the site
    assert devices == "not given"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    shot(page, f"quotes-published-table-{width}")
    page.goto(f"{published_url}/corrections.html")
    items = page.locator("ol.corrections > li")
    assert items.count() == len(DATA.corrections)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    shot(page, f"quotes-published-corrections-{width}")
    assert watch.console_errors == [] and watch.failures == [] and watch.external_requests == []
    context.close()


@pytest.mark.parametrize("width,height", SIZES)
def test_the_apps_popup_and_panel_quote_the_source(app_url, chromium, width, height):
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(f"{app_url}/?{QUERY}")
    frame, _ = map_frame(page, sites=1)
    frame.locator("path.hikmap-site").first.dispatch_event("click")
    popup = frame.locator(".hikmap-popup")
    assert_quotation(popup, width)
    shot(page, f"quotes-app-popup-{width}")
    details = page.locator(".st-key-map_details")
    details.wait_for(timeout=30_000)
    quote = details.locator("blockquote").first
    quote.wait_for(timeout=30_000)
    text = quote.inner_text()
    assert one_line(QUOTE.quote) in text and quote_attribution(QUOTE.publisher, QUOTE.published) in text
    assert f"Note: {QUOTE.note}" in text
    quote.scroll_into_view_if_needed()
    shot(page, f"quotes-app-panel-{width}")
    page.goto(f"{app_url}/data?{QUERY}")
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    shot(page, f"quotes-app-data-{width}")
    page.goto(f"{app_url}/method#corrections")
    page.get_by_text("What the map said", exact=False).first.wait_for(timeout=30_000)
    shot(page, f"quotes-app-method-{width}")
    assert watch.external_requests == []
    context.close()
