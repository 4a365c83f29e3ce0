"""Text in the data never runs, in the real browser: every page shows each hostile value literally.

The app runs over a scratch package whose every free-text field holds a value
of the corpus in ``hostile.py`` (template syntax, HTML and script, Markdown
links and images, ``javascript:`` and ``data:`` addresses, formulas, LaTeX and
icon codes, right-to-left and zero-width characters, text as long as a field
allows). The tests open the map (every tooltip and popup, a marker clicked),
the Data, Sources and Method pages, and prove that the values show as text and
that nothing ran: no dialog, no ``window.hikmapPwned`` in any frame, no
request to ``tracker.invalid`` or any other host, no file made on the server.
"""

from __future__ import annotations

import pytest

from conftest import map_frame, start_app, stop_app, wait_for_text
from hostile import hostile_package

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-app")
    marker = folder / "server-side-template-ran"
    data_dir, values = hostile_package(folder, marker)
    from geo.dataset import load_dataset

    data = load_dataset(data_dir, data_dir / "build" / "sites.geojson")
    process, url = start_app(data_dir=data_dir)
    yield url, data, values, marker
    stop_app(process)


def guard(page) -> list[str]:
    """Record every dialog (and dismiss it)."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return dialogs


def assert_nothing_ran(watch, dialogs: list[str], marker) -> None:
    page = watch.page
    page.wait_for_timeout(300)
    assert dialogs == []
    for frame in page.frames:
        try:
            pwned = frame.evaluate("() => [window.hikmapPwned, window.parent && window.parent.hikmapPwned]")
        except Exception:  # a frame that went away while we looked holds nothing to check
            continue
        assert pwned == [None, None], frame.url
    assert watch.external_requests == [], "a request left the page (a Markdown image, say)"
    assert not marker.exists(), "a template in the data ran on the server"


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def test_map_tooltips_popups_and_details_show_the_text_literally(hostile_app, watched_page):
    url, data, values, marker = hostile_app
    page = watched_page.page
    dialogs = guard(page)
    page.goto(url + "/")
    frame, state = map_frame(page, sites=len(data.sites))
    markers = frame.locator("path.hikmap-site")
    tooltips, popups = [], []
    # streamlit-folium keeps the Leaflet map as window.map: each popup pans the map, so
    # every marker is visited from the first view.
    frame.evaluate("() => { window.hikmapFirstView = [window.map.getCenter(), window.map.getZoom()]; }")
    for i in range(markers.count()):
        frame.evaluate("() => window.map.setView(window.hikmapFirstView[0], window.hikmapFirstView[1], {animate: false})")
        markers.nth(i).hover()
        tip = frame.locator(".leaflet-tooltip").last
        tip.wait_for()
        tooltips.append(tip.evaluate("node => node.textContent"))
        markers.nth(i).click()
        popup = frame.locator(".hikmap-popup").last
        popup.wait_for()
        popups.append(popup.evaluate("node => node.textContent"))
        # Only our own elements: no markup from the data became an element.
        assert popup.locator("img, script, svg, iframe, b, object, embed").count() == 0
        hrefs = popup.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert all(h.startswith(("http://", "https://")) for h in hrefs), hrefs
        # The click also reruns the page (the evidence opens beside the map): let it settle,
        # then close the popup so that it covers no other marker.
        page.locator(".st-key-map_details").wait_for()
        page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
        frame.locator(".leaflet-popup-close-button").click()
    shown_tips, shown_popups = " ".join(tooltips), " ".join(popups)
    for name in data.sites["name"]:
        assert name in shown_tips
        assert name in shown_popups
    for text in data.claims["claim"]:
        assert text in shown_popups
    assert "{{ 7*7 }} Fictional" in shown_popups + shown_tips
    # The last marker clicked also opens its evidence beside the map.
    details = page.locator(".st-key-map_details")
    details.wait_for()
    details_text = details.inner_text()
    assert any(name in details_text for name in data.sites["name"])
    # The key figures and the sources cited in the campaign text.
    page_text = main_text(page)
    for statement in data.figures.loc[data.figures["value"] != "", "statement"]:
        assert statement in page_text
    assert_nothing_ran(watched_page, dialogs, marker)


def test_sources_page_shows_every_title_publisher_and_note_literally(hostile_app, watched_page):
    url, data, values, marker = hostile_app
    page = watched_page.page
    dialogs = guard(page)
    page.goto(url + "/")
    map_frame(page, min_sites=1)
    page.goto(url + "/sources")
    wait_for_text(page, "sources, newest first")
    text = main_text(page)
    for source in data.sources.itertuples(index=False):
        assert source.title in text
        assert source.publisher in text
        if source.note:
            assert source.note in text
    assert page.locator('[data-testid="stMain"] a[href^="javascript"], [data-testid="stMain"] img').count() == 0
    assert_nothing_ran(watched_page, dialogs, marker)


def test_method_page_shows_a_hostile_change_log_literally(hostile_app, watched_page):
    url, data, values, marker = hostile_app
    page = watched_page.page
    dialogs = guard(page)
    page.goto(url + "/")
    map_frame(page, min_sites=1)
    page.goto(url + "/method")
    wait_for_text(page, "2099-01-01 — version 9.9.9")
    text = main_text(page)
    for value in values:
        assert value in text
    assert_nothing_ran(watched_page, dialogs, marker)


def test_data_page_runs_nothing_and_its_table_offers_no_raw_export(hostile_app, watched_page):
    url, data, values, marker = hostile_app
    page = watched_page.page
    dialogs = guard(page)
    page.goto(url + "/")
    map_frame(page, min_sites=1)
    page.goto(url + "/data")
    wait_for_text(page, "The evidence as a table")
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for()
    table.hover()
    page.wait_for_timeout(500)
    toolbar = page.locator('[data-testid="stElementToolbar"]')
    # The toolbar still shows (search, full screen), but not the raw "Download as CSV".
    assert toolbar.locator('[aria-label="Download as CSV"], button:has-text("Download")').count() == 0
    assert page.get_by_role("button", name="Download as CSV").count() == 0
    assert_nothing_ran(watched_page, dialogs, marker)
