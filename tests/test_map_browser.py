"""The campaign map in a real browser (Debian chromium through Playwright)."""

from __future__ import annotations

import re

import pytest

from conftest import ARTIFACTS, PageWatch, map_frame, start_app, stop_app, wait_for_text

pytestmark = pytest.mark.browser

COUNTS = re.compile(r"(\d+) of (\d+) sites · (\d+) of (\d+) claims")


def counts(page) -> tuple[int, int]:
    text = page.get_by_text(COUNTS).first.inner_text()
    match = COUNTS.search(text)
    return int(match.group(1)), int(match.group(3))


def choose(page, label: str, option: str) -> None:
    """Pick an option in the Streamlit multiselect with this label."""
    widget = page.locator('[data-testid="stMultiSelect"]').filter(has=page.get_by_text(label, exact=True))
    widget.locator("input").click()
    widget.locator("input").fill(option)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")


def test_map_draws_sites_and_councils(app_url, watched_page):
    page = watched_page.page
    page.goto(app_url + "/")
    frame, state = map_frame(page)
    assert int(state["hikmapSites"]) == 5
    assert int(state["hikmapDistricts"]) == 361
    # SVG mode for a small selection: real elements we can count.
    assert frame.locator("path.hikmap-site").count() == int(state["hikmapMarkers"]) >= 1
    assert frame.locator("path.hikmap-district").count() >= 361
    assert frame.locator(".hikmap-legend").count() == 1
    assert counts(page) == (5, 8)
    assert watched_page.console_errors == []
    assert watched_page.external_requests == []


def test_choosing_a_region_changes_the_map_and_the_counts(app_url, watched_page):
    page = watched_page.page
    page.goto(app_url + "/")
    map_frame(page)
    choose(page, "Region", "Wales")
    page.wait_for_url(re.compile(r"region=Wales"))
    wait_for_text(page, "0 of 5 sites")
    frame, state = map_frame(page, sites=0)  # the component redraws after the rerun
    assert state["hikmapSites"] == "0"
    assert frame.locator("path.hikmap-site").count() == 0
    choose(page, "Region", "London")
    wait_for_text(page, "5 of 5 sites")
    assert watched_page.console_errors == []


@pytest.mark.parametrize("query, expected_sites, shown", [
    ("?region=Wales", 0, "Wales"),
    ("?q=Ministry", 1, "Ministry"),
    ("?kind=parliament&region=London", 1, "Parliament"),
    ("?grade=documented", 1, "Documented"),
])
def test_a_url_with_filters_restores_them(app_url, watched_page, query, expected_sites, shown):
    page = watched_page.page
    page.goto(app_url + "/" + query)
    frame, state = map_frame(page, min_sites=0)
    assert page.locator('[data-testid="stDialog"]').count() == 0  # e.g. no "Page not found"
    assert counts(page)[0] == expected_sites
    assert int(state["hikmapSites"]) == expected_sites
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert shown in sidebar.inner_text() or sidebar.locator(f'input[value="{shown}"]').count() == 1
    # The URL keeps the filters (a copied link restores the same view).
    for part in query.lstrip("?").split("&"):
        assert part in page.url


def test_phone_width_has_no_horizontal_scroll(chromium, app_url):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(app_url + "/")
    map_frame(page)
    page.wait_for_timeout(500)
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
                           " document.querySelector('[data-testid=\"stMain\"]')?.scrollWidth]")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-phone-390.png"), full_page=True)
    context.close()
    assert widths[0] <= 390 and widths[1] <= 390
    assert widths[2] is None or widths[2] <= 390
    assert watch.console_errors == []
    assert watch.external_requests == []


@pytest.mark.parametrize("size, width", [("16x9", 1200), ("1x1", 1000)])
def test_screenshot_mode_shows_the_map_alone_with_date_sources_and_attribution(app_url, chromium, size, width):
    context = chromium.new_context(viewport={"width": width, "height": width * 9 // 16 + 160 if size == "16x9" else width})
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(f"{app_url}/?view=screenshot&size={size}&embed=true&region=London")
    frame, state = map_frame(page)
    assert state["hikmapSites"] == "5"
    wait_for_text(page, "Data as of")
    assert page.locator('[data-testid="stDialog"]').count() == 0  # e.g. no "Page not found"
    for hidden in ("stSidebar", "stToolbar", "stHeader"):
        locator = page.locator(f'[data-testid="{hidden}"]')
        assert locator.count() == 0 or not locator.first.is_visible(), hidden
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "Sources: " in text and "Office for National Statistics" in text and "Royal Mail" in text
    assert frame.locator(".hikmap-legend").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"screenshot-mode-{size}.png"))
    context.close()
    assert watch.console_errors == []
    assert watch.external_requests == []


def test_clicking_a_marker_shows_its_evidence_beside_the_map(app_url, watched_page):
    page = watched_page.page
    page.goto(app_url + "/?kind=parliament")
    frame, _ = map_frame(page, min_sites=1)
    frame.locator("path.hikmap-site").first.click()
    details = page.locator(".st-key-map_details")
    details.wait_for(timeout=30_000)
    text = details.inner_text()
    assert "UK Parliament" in text
    assert "The Intercept" in text or "Hikvision cameras and the UK Parliament" in text
    assert "headquarters" in text.lower()


def test_one_click_reset_clears_every_filter_and_the_url(app_url, watched_page):
    page = watched_page.page
    page.goto(app_url + "/?q=Ministry&kind=government-department")
    map_frame(page, min_sites=1)
    wait_for_text(page, "1 of 5 sites")
    page.get_by_role("button", name="Reset all filters").click()
    wait_for_text(page, "5 of 5 sites")
    page.wait_for_url(re.compile(r"^[^?]*$"))
    assert "q=" not in page.url and "kind=" not in page.url


def test_without_boundaries_the_app_runs_and_says_what_is_missing(chromium, tmp_path):
    process, url = start_app(extra_env={"HIKMAP_BOUNDARIES_DIR": str(tmp_path / "no-boundaries-here")})
    try:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(url + "/")
        wait_for_text(page, "boundaries are not available")
        wait_for_text(page, "fetch-boundaries")
        frame, state = map_frame(page)
        assert state["hikmapBoundaries"] == "none"
        assert state["hikmapSites"] == "5" and "hikmapDistricts" not in state
        assert frame.locator("path.hikmap-site").count() >= 1
        assert watch.console_errors == [] and watch.external_requests == []
        context.close()
    finally:
        stop_app(process)
