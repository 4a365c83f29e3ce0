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
from conftest import map_frame, start_app, stop_app, wait_for_text, wait_until_still
from hostile import hostile_package

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-app")
    marker = folder / "server-side-template-ran"
    data_dir, values = hostile_package(folder, marker)
    from geo.evidence.dataset import load_dataset

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
    """The page's text as a reader sees it, once it has all arrived (the invisible word joiners
    that keep bare addresses from becoming links are dropped: see geo.outputs.text.break_autolinks)."""
    wait_until_still(page)
    return page.locator('[data-testid="stMain"]').inner_text().replace("\u2060", "")


def links_to(page, host: str) -> list[str]:
    """Every link in the document (any frame) that leads to ``host``."""
    found = []
    for frame in page.frames:
        try:
            found += frame.evaluate(
                "host => Array.from(document.querySelectorAll('a[href]'))"
                ".map(a => a.href).filter(h => h.includes(host))",
                host,
            )
        except Exception:  # a frame that went away while we looked holds no link
            continue
    return found


# Every marker's tooltip and popup, as the browser would show them: the popup built by its own
# function (markers inside a cluster are not on the page until opened) once the popups' evidence
# is loaded, the tooltip's HTML read as text.
EVERY_MARKER = """async () => {
  await document.querySelector('.leaflet-container').hikmapLoadDetails();
  const layer = document.querySelector('.leaflet-container').hikmapSitesLayer;
  return layer.getLayers().map(marker => {
    const tip = document.createElement('div');
    tip.innerHTML = marker.getTooltip().getContent();
    const popup = marker.getPopup().getContent()(marker);
    const links = Array.from(popup.querySelectorAll('a')).map(a => a.getAttribute('href'));
    const foreign = popup.querySelectorAll('img, script, svg, iframe, b, object, embed').length;
    return [tip.textContent, popup.textContent, links, foreign];
  });
}"""


def test_map_tooltips_popups_and_details_show_the_text_literally(hostile_app, watched_page):
    url, data, _values, marker = hostile_app
    page = watched_page.page
    dialogs = guard(page)
    page.goto(url + "/")
    frame, state = map_frame(page, sites=len(data.sites))
    markers = frame.evaluate(EVERY_MARKER)
    placed = data.sites[data.sites["precision"] != "not-placed"]
    assert len(markers) == int(state["hikmapMarkers"]) > 0
    shown_tips = " ".join(m[0] for m in markers)
    shown_popups = " ".join(m[1] for m in markers)
    for name in placed["name"]:
        assert name in shown_tips
        assert name in shown_popups
    for text in data.claims[data.claims["site"].isin(set(placed["id"]))]["claim"]:
        assert text in shown_popups
    # Each source's words for a claim, shown as text (on one line) inside the popup's quotation.
    from geo.outputs.text import one_line

    placed_claims = set(data.claims.loc[data.claims["site"].isin(set(placed["id"])), "id"])
    quotes = data.claim_sources[data.claim_sources["claim"].isin(placed_claims)]["quote"]
    assert len(quotes) > 0
    for text in quotes:
        assert one_line(text) in shown_popups
    for _, _, links, foreign in markers:
        assert foreign == 0  # only our own elements: no markup from the data became an element
        assert all(h.startswith(("http://", "https://")) for h in links), links
    assert "{{ 7*7 }} Fictional" in shown_popups + shown_tips
    # A marker clicked with the mouse: its popup opens, and its evidence opens beside the map.
    page.goto(url + "/?kind=university")
    frame, state = map_frame(page, sites=1)
    frame.locator("path.hikmap-site").first.click()
    popup = frame.locator(".hikmap-popup")
    popup.wait_for()
    university = data.sites[data.sites["kind"] == "university"].iloc[0]
    assert university["name"] in popup.evaluate("node => node.textContent")
    details = page.locator(".st-key-map_details")
    details.wait_for()
    assert university["name"] in details.inner_text()
    # The key figures and the sources cited in the campaign text.
    page_text = main_text(page)
    for statement in data.figures.loc[data.figures["value"] != "", "statement"]:
        assert statement in page_text
    assert_nothing_ran(watched_page, dialogs, marker)


def test_sources_page_shows_every_title_publisher_and_note_literally(hostile_app, watched_page):
    url, data, _values, marker = hostile_app
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
    url, _data, _values, marker = hostile_app
    page = watched_page.page
    dialogs = guard(page)
    page.goto(url + "/")
    map_frame(page, min_sites=1)
    page.goto(url + "/method")
    # The release is listed as text; the change log itself is a download, not page text (it names
    # the package's fields), so the hostile values reach this page through the corrections list.
    wait_for_text(page, "2099-01-01 — version 9.9.9")
    text = main_text(page)
    assert "www.evil.example" in text
    assert links_to(page, "evil.example") == []
    assert_nothing_ran(watched_page, dialogs, marker)


def test_data_page_runs_nothing_and_its_table_offers_no_raw_export(hostile_app, watched_page):
    url, _data, _values, marker = hostile_app
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


def test_addresses_in_untrusted_text_never_become_links(hostile_app, watched_page):
    """A URL parameter, a search typed by a visitor and text in the data: shown, never linked."""
    url, _data, _values, marker = hostile_app
    page = watched_page.page
    dialogs = guard(page)
    # A filter value from the URL is repeated in a message (a toast) when it is ignored.
    page.goto(url + "/?region=https://evil.example/login")
    map_frame(page, min_sites=1)
    toast = page.locator('[data-testid="stToast"]')
    toast.first.wait_for()
    assert "evil.example/login" in toast.first.inner_text().replace("\u2060", "")
    assert links_to(page, "evil.example") == []
    # A web address typed into the councils search is repeated in its warning.
    page.goto(url + "/councils")
    search = page.get_by_label("Find a council by name or postcode")
    search.fill("https://evil.example/login")
    search.press("Enter")
    warning = page.locator('[data-testid="stAlertContentWarning"]')
    warning.first.wait_for()
    assert "https://evil.example/login" in warning.first.inner_text().replace("\u2060", "")
    assert links_to(page, "evil.example") == []
    # Text from the data (the change log, the sources) on the pages that render Markdown.
    for path, expected in (("/method", "2099-01-01 — version 9.9.9"), ("/sources", "sources, newest first")):
        page.goto(url + path)
        wait_for_text(page, expected)
        assert "www.evil.example" in main_text(page), path
        assert links_to(page, "evil.example") == [], path
    assert_nothing_ran(watched_page, dialogs, marker)
