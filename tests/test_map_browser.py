"""The campaign map in a real browser (Debian chromium through Playwright).

Expected counts come from the committed data (``load_dataset`` and the
filters), never from numbers written here, so the tests follow the data.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from conftest import ARTIFACTS, PageWatch, map_frame, on_land, start_app, stop_app, wait_for_text

from geo.evidence.dataset import load_dataset
from geo.filters import Filters, apply_filters

pytestmark = pytest.mark.browser

COUNTS = re.compile(r"(\d+) of (\d+) sites · (\d+) of (\d+) claims")
DATA = load_dataset()
PLACED = DATA.sites[DATA.sites["precision"] != "not-placed"]


def expected(filters: Filters) -> tuple[int, int]:
    chosen = apply_filters(DATA.sites, DATA.claims, filters)
    return chosen.site_count, chosen.claim_count


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


@pytest.mark.boundaries
def test_the_map_opens_on_the_whole_uk_with_council_areas_coloured(app_url, watched_page):
    page = watched_page.page
    page.goto(app_url + "/")
    frame, state = map_frame(page)
    assert int(state["hikmapSites"]) == len(DATA.sites)
    assert int(state["hikmapDistricts"]) == 361
    # The whole UK is in view: Shetland and Cornwall both.
    bounds = frame.evaluate(
        "() => { const b = window.map.getBounds(); return [b.getSouth(), b.getNorth(), b.getWest(), b.getEast()]; }"
    )
    assert bounds[0] < 50.1 and bounds[1] > 60.2 and bounds[2] < -6.3 and bounds[3] > 1.7
    # Council areas take the colours of what is known of them; unknown ones stay pale. With no tiles
    # (as here) the land is the areas' own fill: each colour mixed with the land's at the area's
    # opacity (a council's own evidence 0.75, nothing known 0.25), opaque.
    fills = set(frame.locator("path.hikmap-district").evaluate_all("paths => paths.map(p => p.getAttribute('fill'))"))
    colours = {t.key: t.colour for t in DATA.vocabulary.area_statuses}

    assert {on_land(colours["in-use"], 0.75), on_land(colours["unknown"], 0.25)} <= {f.upper() for f in fills}
    assert set(
        frame.locator("path.hikmap-district").evaluate_all("ps => ps.map(p => p.getAttribute('fill-opacity'))")
    ) == {"1"}
    # Places that crowd together (Westminster) are gathered in numbered clusters.
    clusters = frame.locator(".hikmap-cluster")
    assert clusters.count() >= 1
    shown = (
        sum(int(t) for t in clusters.locator("span[aria-hidden='true']").all_inner_texts())
        + frame.locator("path.hikmap-site").count()
    )
    assert shown == int(state["hikmapMarkers"])
    assert frame.locator(".hikmap-legend").count() == 1
    assert counts(page) == (len(DATA.sites), len(DATA.claims))
    assert watched_page.console_errors == []
    assert watched_page.external_requests == []


@pytest.mark.boundaries
def test_the_hex_map_is_one_click_away_and_shows_every_council(app_url, watched_page):
    page = watched_page.page
    page.goto(app_url + "/")
    map_frame(page)
    page.get_by_text("Hex map (one hexagon per council)", exact=True).click()
    page.wait_for_url(re.compile(r"layout=hex"))
    frame = hex_frame(page)
    state = frame.evaluate("() => JSON.parse(JSON.stringify(document.querySelector('.leaflet-container').dataset))")
    assert int(state["hikmapSites"]) == len(DATA.sites)
    assert int(state["hikmapDistricts"]) == 361
    # Hexagons of councils with their own evidence carry their popup; here is one.
    coloured = DATA.sites[(DATA.sites["precision"] == "area") & (DATA.sites["lad_code"] != "")].iloc[0]
    opened = frame.evaluate(
        """code => {
        let text = null;
        window.map.eachLayer(layer => {
            if (layer.feature && layer.feature.properties.code === code && layer.getPopup()) {
                layer.openPopup(); text = document.querySelector('.hikmap-popup').textContent;
            }
        });
        return text;
    }""",
        coloured["lad_code"],
    )
    assert opened and coloured["name"] in opened
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "hex-desktop-1400.png"))
    assert watched_page.console_errors == []
    assert watched_page.external_requests == []


def hex_frame(page, timeout_s: float = 30.0):
    """The map frame drawing the hex cartogram (flat coordinates), once its hexagons are drawn."""
    for _ in range(int(timeout_s * 4)):
        for frame in page.frames:
            if "streamlit_folium" not in frame.url:
                continue
            try:
                ready = frame.evaluate(
                    "() => !!(window.map && window.map.options.crs === L.CRS.Simple"
                    " && document.querySelector('.leaflet-container').dataset.hikmapDistricts)"
                )
            except Exception:  # a frame that is being replaced
                ready = False
            if ready:
                return frame
        page.wait_for_timeout(250)
    raise AssertionError("the hex map did not draw")


def test_choosing_a_region_changes_the_map_and_the_counts(app_url, watched_page):
    page = watched_page.page
    page.goto(app_url + "/")
    map_frame(page)
    choose(page, "Region", "Wales")
    page.wait_for_url(re.compile(r"region=Wales"))
    wales = expected(Filters(regions=("Wales",)))
    wait_for_text(page, f"{wales[0]} of {len(DATA.sites)} sites")
    frame, _state = map_frame(page, sites=wales[0])  # the component redraws after the rerun
    # The filter frames Wales.
    centre = frame.evaluate("() => window.map.getCenter()")
    assert 51.3 < centre["lat"] < 53.5 and -5.0 < centre["lng"] < -2.6
    choose(page, "Region", "Scotland")
    both = expected(Filters(regions=("Wales", "Scotland")))
    wait_for_text(page, f"{both[0]} of {len(DATA.sites)} sites")
    assert watched_page.console_errors == []


@pytest.mark.parametrize(
    "query, filters, shown",
    [
        ("?region=Wales", Filters(regions=("Wales",)), "Wales"),
        ("?q=Ministry", Filters(text="Ministry"), "Ministry"),
        (
            "?kind=parliament&region=London",
            Filters(kinds=("parliament",), regions=("London",)),
            "Parliament or assembly",
        ),
        ("?grade=official", Filters(grades=("official",)), "Official"),
        ("?council=E10000016", Filters(councils=("E10000016",)), "Kent"),
    ],
)
def test_a_url_with_filters_restores_them(app_url, watched_page, query, filters, shown):
    page = watched_page.page
    page.goto(app_url + "/" + query)
    sites, _ = expected(filters)
    _frame, _state = map_frame(page, sites=sites)
    assert page.locator('[data-testid="stDialog"]').count() == 0  # e.g. no "Page not found"
    assert counts(page)[0] == sites
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert shown in sidebar.inner_text() or sidebar.locator(f'input[value="{shown}"]').count() == 1
    # The URL keeps the filters (a copied link restores the same view).
    for part in query.lstrip("?").split("&"):
        assert part in page.url


def test_phone_width_has_no_horizontal_scroll(chromium, app_url):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    watch = PageWatch(page)
    for name, query in (("map", "/"), ("hex", "/?layout=hex")):
        page.goto(app_url + query)
        map_frame(page)
        page.wait_for_timeout(500)
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " document.querySelector('[data-testid=\"stMain\"]')?.scrollWidth]"
        )
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-phone-390.png"), full_page=True)
        assert widths[0] <= 390 and widths[1] <= 390
        assert widths[2] is None or widths[2] <= 390
    context.close()
    assert watch.console_errors == []
    assert watch.external_requests == []


@pytest.mark.boundaries
@pytest.mark.parametrize("size, width, layout", [("16x9", 1200, "geo"), ("1x1", 1000, "geo"), ("16x9", 1200, "hex")])
def test_screenshot_mode_shows_the_map_alone_with_date_sources_and_credits(app_url, chromium, size, width, layout):
    context = chromium.new_context(
        viewport={"width": width, "height": width * 9 // 16 + 240 if size == "16x9" else width + 200}
    )
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(f"{app_url}/?view=screenshot&size={size}&embed=true&layout={layout}")
    frame, state = map_frame(page)
    assert int(state["hikmapSites"]) == len(DATA.sites)
    wait_for_text(page, "Data as of")
    assert page.locator('[data-testid="stDialog"]').count() == 0  # e.g. no "Page not found"
    for hidden in ("stSidebar", "stToolbar", "stHeader"):
        locator = page.locator(f'[data-testid="{hidden}"]')
        assert locator.count() == 0 or not locator.first.is_visible(), hidden
    text = page.locator('[data-testid="stMain"]').inner_text()
    for credit in ("Sources: ", "ONS Postcode Directory", "Royal Mail", "mySociety", "bodies in view"):
        assert credit in text
    # Each source is credited where it is drawn: the ONS boundaries in the geographic
    # layout, Open Innovations' cartogram in the hex layout.
    if layout == "hex":
        assert "Hex cartogram: Open Innovations" in text and "Office for National Statistics licensed" not in text
    else:
        assert "Office for National Statistics licensed" in text and "Open Innovations" not in text
    assert frame.locator(".hikmap-legend").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"screenshot-mode-{layout}-{size}.png"))
    context.close()
    assert watch.console_errors == []
    assert watch.external_requests == []


def test_clicking_a_marker_shows_its_evidence_beside_the_map(app_url, watched_page):
    page = watched_page.page
    page.goto(app_url + "/?kind=parliament&region=Northern+Ireland")
    frame, _ = map_frame(page, sites=1)
    frame.locator("path.hikmap-site").first.click()
    frame.locator(".hikmap-popup").wait_for()  # the popup opens too
    details = page.locator(".st-key-map_details")
    details.wait_for(timeout=30_000)
    text = details.inner_text()
    site = DATA.sites[(DATA.sites["kind"] == "parliament") & (DATA.sites["region"] == "Northern Ireland")].iloc[0]
    assert site["name"] in text
    assert "Says it does not use it" in text


def test_one_click_reset_clears_every_filter_and_the_url(app_url, watched_page):
    page = watched_page.page
    page.goto(app_url + "/?q=Ministry&kind=government-department")
    map_frame(page, min_sites=1)
    wait_for_text(
        page, f"{expected(Filters(text='Ministry', kinds=('government-department',)))[0]} of {len(DATA.sites)} sites"
    )
    page.get_by_role("button", name="Reset all filters").click()
    wait_for_text(page, f"{len(DATA.sites)} of {len(DATA.sites)} sites")
    page.wait_for_url(re.compile(r"^[^?]*$"))
    assert "q=" not in page.url and "kind=" not in page.url


def test_without_boundaries_the_app_runs_and_says_what_is_missing(chromium, tmp_path):
    process, url = start_app(extra_env={"HIKMAP_BOUNDARIES_DIR": str(tmp_path / "no-boundaries-here")})
    try:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(url + "/")
        wait_for_text(
            page,
            "Council and region boundaries are not drawn. The council and region boundaries are "
            "not installed on this server.",
        )
        # What is missing is said in words; the server's paths and commands stay in its log.
        shown = page.locator("body").inner_text()
        for private in (str(tmp_path), "no-boundaries-here", "ons-uk-topo.json", "fetch-boundaries", ".cache"):
            assert private not in shown, private
        log = (ARTIFACTS / f"app-{urlparse(url).port}.log").read_text(errors="replace")
        assert "no-boundaries-here" in log and "fetch-boundaries" in log
        # Nothing drawn from ONS boundaries, so no ONS boundary credit.
        assert page.get_by_text("Office for National Statistics licensed").count() == 0
        frame, state = map_frame(page)
        assert state["hikmapBoundaries"] == "none"
        assert int(state["hikmapSites"]) == len(DATA.sites) and "hikmapDistricts" not in state
        assert frame.locator("path.hikmap-site, .hikmap-cluster").count() >= 1
        assert watch.console_errors == [] and watch.external_requests == []
        context.close()
    finally:
        stop_app(process)
