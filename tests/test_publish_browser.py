"""The published site in a real browser: the same selection as the app, nothing from outside, phone width.

The site is served by a plain static file server from a folder a few levels
down, to show that it works from any path.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading

import pytest
from conftest import PageWatch

from geo import settings
from geo.evidence.dataset import load_dataset
from geo.filters import Filters, allowed_values, apply_filters
from geo.outputs.publish import site as publishing

pytestmark = [pytest.mark.browser, pytest.mark.boundaries]

DATA = load_dataset()
COUNTS = re.compile(r"(\d+) of (\d+) sites · (\d+) of (\d+) claims")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("static-host")
    publishing.publish(root / "news" / "2026" / "hikvision-map", DATA, tiles=settings.TILE_SOURCES["none"])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/news/2026/hikvision-map"
    server.shutdown()


def published_selection(page) -> tuple[list[int], int]:
    page.wait_for_function("() => document.body.dataset.hikmapClaims !== undefined", timeout=30_000)
    chosen = page.evaluate("() => document.body.dataset.hikmapSelected")
    claims = int(page.evaluate("() => document.body.dataset.hikmapClaims"))
    return [int(i) for i in chosen.split(",") if i], claims


QUERIES = [
    "",
    "region=London",
    "kind=police",
    "grade=official&status=confirmed",
    "q=ministry",
    "q=CCTV&nation=Scotland",
    "council=E10000016",
    "from=2023-01-01&to=2023-12-31",
    "nation=Wales,Northern+Ireland&kind=council,police",
    "vendor=dahua",
    "kind=castle&grade=official",
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_published_map_selects_what_the_app_selects(site_url, chromium, query):
    params = dict(p.split("=", 1) for p in query.replace("+", " ").split("&") if p)
    filters, _ = Filters.from_params(params, allowed_values(DATA.vocabulary))
    expected = apply_filters(DATA.sites, DATA.claims, filters)
    positions = sorted(DATA.sites.index.get_indexer(expected.sites.index).tolist())
    context = chromium.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(f"{site_url}/index.html?{query}")
    chosen, claims = published_selection(page)
    assert (chosen, claims) == (positions, expected.claim_count)
    text = page.locator("#counts").inner_text()
    assert COUNTS.search(text).groups() == (
        str(len(positions)),
        str(len(DATA.sites)),
        str(claims),
        str(len(DATA.claims)),
    )
    page.wait_for_function(
        "() => document.querySelector('.leaflet-container').dataset.hikmapPainted === '1'", timeout=30_000
    )
    assert int(page.evaluate("() => document.querySelector('.leaflet-container').dataset.hikmapSites")) == len(
        positions
    )
    assert watch.external_requests == [] and watch.console_errors == [] and watch.failures == []
    context.close()


def test_the_app_and_the_published_map_show_the_same_counts(site_url, app_url, chromium):
    context = chromium.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.goto(f"{app_url}/?region=London&grade=documented")
    app_counts = page.get_by_text(COUNTS).first.inner_text()
    page.goto(f"{site_url}/index.html?region=London&grade=documented")
    published_selection(page)
    assert COUNTS.search(page.locator("#counts").inner_text()).groups() == COUNTS.search(app_counts).groups()
    context.close()


def test_the_table_lists_the_selected_claims_and_links_to_sources(site_url, chromium):
    filters = Filters(regions=("London",))
    expected = apply_filters(DATA.sites, DATA.claims, filters)
    context = chromium.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(f"{site_url}/table.html?region=London")
    page.wait_for_function("() => document.getElementById('evidence').dataset.rows !== undefined", timeout=30_000)
    rows = page.locator("#evidence tbody tr")
    assert rows.count() == expected.claim_count
    assert set(rows.locator("th").all_inner_texts()) == set(expected.sites["name"])
    link = rows.first.locator("td a").first
    href = link.get_attribute("href")
    assert href.startswith("sources.html#source-")
    link.click()
    page.wait_for_url(re.compile(r"sources\.html#source-"))
    target = href.split("#", 1)[1]
    assert page.locator(f"[id='{target}']").count() == 1
    assert watch.external_requests == [] and watch.console_errors == [] and watch.failures == []
    context.close()


def test_downloads_are_served(site_url, chromium):
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{site_url}/table.html")
    hrefs = page.locator("ul.downloads a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(hrefs) == 3
    for href in hrefs:
        response = page.request.get(f"{site_url}/{href}")
        assert response.ok and len(response.body()) > 1000
    context.close()


def test_the_hex_map_and_the_embed_view(site_url, chromium):
    context = chromium.new_context(viewport={"width": 1000, "height": 800})
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(f"{site_url}/index.html?layout=hex&view=embed&nation=Scotland")
    page.wait_for_function(
        "() => (document.querySelector('.leaflet-container') || {dataset: {}}).dataset.hikmapDistricts", timeout=30_000
    )
    assert int(page.evaluate("() => document.querySelector('.leaflet-container').dataset.hikmapDistricts")) == 361
    assert page.locator("header.site").is_hidden() and page.locator("#filters").is_hidden()
    assert page.locator(".credits").is_visible() and page.locator("#counts").is_visible()
    assert "version" in page.locator(".dated").inner_text()
    assert watch.external_requests == [] and watch.console_errors == [] and watch.failures == []
    context.close()


@pytest.mark.parametrize("name", ["index.html", "table.html", "sources.html"])
def test_published_pages_fit_a_phone(site_url, chromium, name):
    context = chromium.new_context(viewport={"width": 360, "height": 780}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.goto(f"{site_url}/{name}")
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    context.close()


@pytest.mark.parametrize("name", ["index.html", "index.html?layout=hex", "table.html?region=London", "sources.html"])
def test_published_pages_have_no_wcag_violations(site_url, chromium, name):
    from test_accessibility_browser import describe, run_axe

    # The pages' own policy forbids injected scripts (test_every_link_is_relative... checks it); axe needs one.
    context = chromium.new_context(viewport={"width": 1300, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{site_url}/{name}")
    if name.startswith("index"):
        page.wait_for_function(
            "() => (document.querySelector('.leaflet-container') || {dataset: {}}).dataset.hikmapDistricts",
            timeout=30_000,
        )
    elif name.startswith("table"):
        page.wait_for_function("() => document.getElementById('evidence').dataset.rows !== undefined", timeout=30_000)
    violations = run_axe(page, iframes=False)
    assert violations == [], describe(violations, name)
    context.close()


@pytest.mark.parametrize("name", ["index.html", "index.html?layout=hex"])
def test_text_on_the_published_map_controls_meets_contrast(site_url, chromium, name):
    """The site's own button style must not reach the map's controls (it once made the legend white on white)."""
    from test_accessibility_browser import low_contrast_map_text

    context = chromium.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(f"{site_url}/{name}")
    page.wait_for_function(
        "() => (document.querySelector('.leaflet-container') || {dataset: {}}).dataset.hikmapDistricts", timeout=30_000
    )
    assert low_contrast_map_text(page.main_frame) == []
    context.close()


@pytest.mark.parametrize(("width", "form_open"), [(1300, True), (390, False)])
def test_a_filtered_view_shows_its_filters_open_except_on_a_phone(site_url, chromium, width, form_open):
    context = chromium.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(f"{site_url}/index.html?region=Scotland")
    page.wait_for_function(
        "() => (document.querySelector('.leaflet-container') || {dataset: {}}).dataset.hikmapSites", timeout=30_000
    )
    assert page.locator("#filters details").evaluate("d => d.open") is form_open
    assert page.locator("#f-region").evaluate("s => [...s.selectedOptions].map(o => o.value)") == ["Scotland"]
    assert page.locator(".leaflet-container").bounding_box()["y"] < (2000 if form_open else 800)
    context.close()


def test_the_content_security_policy_blocks_injected_script(site_url, chromium):
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{site_url}/index.html")
    with pytest.raises(Exception, match="Content Security Policy"):
        page.add_script_tag(content="window.hikmapPwned = 1")
    assert page.evaluate("() => window.hikmapPwned") is None
    context.close()


CSP_VIOLATIONS = (
    "document.addEventListener('securitypolicyviolation', e => (window.hikmapCsp = window.hikmapCsp"
    " || []).push([e.violatedDirective, e.blockedURI, e.sourceFile + ':' + e.lineNumber].join(' ')));"
)


@pytest.mark.parametrize(
    "path",
    [
        "index.html",
        "index.html?layout=hex",
        "index.html?view=embed&region=London",
        "table.html?kind=police",
        "sources.html",
    ],
)
def test_every_published_page_works_under_its_strict_policy(site_url, chromium, path):
    """No style or script the policy forbids is ever tried: markers, popups, legend, layers, tooltips."""
    context = chromium.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.add_init_script(CSP_VIOLATIONS)
    page.goto(f"{site_url}/{path}")
    if path.startswith("index"):
        page.wait_for_function(
            "() => document.querySelector('.leaflet-container').dataset.hikmapPainted === '1'", timeout=30_000
        )
        toggle = page.locator(".hikmap-legend-toggle")
        if toggle.count():
            toggle.first.dispatch_event("click")  # close and open it again: its content is built in the page
            toggle.first.dispatch_event("click")
        area = page.locator("path.hikmap-area").first
        if area.count():
            area.hover()
        # A marker's tooltip and popup (opening clusters until a marker shows).
        for _ in range(6):
            site = page.locator("path.hikmap-site")
            if site.count():
                site.first.dispatch_event("mouseover")
                site.first.dispatch_event("click")
                break
            page.locator(".hikmap-cluster").first.dispatch_event("click")
            page.wait_for_timeout(700)
        page.locator(".hikmap-popup").first.wait_for(timeout=10_000)
    elif path.startswith("table"):
        page.wait_for_function("() => document.querySelector('#evidence').dataset.rows !== undefined", timeout=30_000)
    else:
        page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.hikmapCsp || []") == []
    context.close()


def test_the_feeds_are_linked_and_served_and_a_councils_feed_is_offered_when_filtered(site_url, chromium):
    context = chromium.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(f"{site_url}/table.html?council=E06000034")
    page.wait_for_function("() => document.getElementById('evidence').dataset.rows !== undefined", timeout=30_000)
    offered = page.locator("#council-feeds a")
    assert offered.all_inner_texts() == ["Follow changes for Thurrock Council (Atom feed)"]
    assert offered.first.get_attribute("href") == "feeds/E06000034.xml"
    follow = page.get_by_role("link", name="Follow changes (Atom feed)")
    assert follow.is_visible() and follow.get_attribute("href") == "feed.xml"
    for href in ("feed.xml", "feeds/E06000034.xml"):
        response = page.request.get(f"{site_url}/{href}")
        assert (
            response.ok and response.body().startswith(b"<?xml") and b"http://www.w3.org/2005/Atom" in response.body()
        )
    # Unfiltered, or filtered to a council with no feed: nothing offered.
    page.goto(f"{site_url}/index.html?council=E06000017")
    page.wait_for_function("() => document.body.dataset.hikmapClaims !== undefined", timeout=30_000)
    assert page.locator("#council-feeds").is_hidden()
    assert watch.external_requests == [] and watch.console_errors == [] and watch.failures == []
    context.close()


def test_a_popup_offers_a_sources_archived_copy(tmp_path, chromium):
    import csv

    from conftest import scratch_data, serve_folder

    data_dir = scratch_data(tmp_path / "scratch")
    archived = "https://web.archive.org/web/20990101000000/https://example.org/fictional-archived-page"
    path = data_dir / "sources.csv"
    reader = csv.DictReader(path.read_text(encoding="utf-8").splitlines(keepends=True))
    rows = list(reader)
    for row in rows:
        if row["id"] == "intercept-2019-hikvision-uk-parliament":
            row["archive_url"] = archived
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    publishing.publish(
        tmp_path / "host" / "map",
        load_dataset(data_dir, data_dir / "build" / "sites.geojson"),
        tiles=settings.TILE_SOURCES["none"],
    )
    server, base = serve_folder(tmp_path / "host")
    try:
        context = chromium.new_context(viewport={"width": 1300, "height": 900})
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(f"{base}/map/index.html?q=Portcullis+House")
        page.wait_for_function(
            "() => document.querySelector('.leaflet-container').dataset.hikmapPainted === '1'", timeout=30_000
        )
        for _ in range(6):
            site = page.locator("path.hikmap-site")
            if site.count():
                site.first.dispatch_event("click")
                break
            page.locator(".hikmap-cluster").first.dispatch_event("click")
            page.wait_for_timeout(700)
        popup = page.locator(".hikmap-popup").first
        popup.wait_for(timeout=10_000)
        copy = popup.locator("a.archived")
        copy.first.wait_for(timeout=10_000)
        assert copy.first.inner_text() == "archived copy"
        assert copy.first.get_attribute("href") == archived
        assert copy.first.get_attribute("rel") == "noopener noreferrer"
        assert watch.external_requests == [] and watch.console_errors == [] and watch.failures == []
        context.close()
    finally:
        server.shutdown()
