"""The map's legend, popups, areas and the published filters in a real browser, with the fictional terms.

The scratch package of ``fictional.py`` adds a kind, a claim status and an
area status, each one entry in its ``datapackage.json``; published as a static
site, the map the browser draws names them in its legend and its areas, and
the filter form offers them. The chrome's colours reach the page as the
custom properties the stylesheets use.
"""

from __future__ import annotations

import functools
import http.server
import threading

import pytest
from conftest import PageWatch, on_land

from geo import settings

pytestmark = [pytest.mark.browser, pytest.mark.boundaries]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def fictional_site(tmp_path_factory):
    from fictional import fictional_package

    from geo.evidence.dataset import load_dataset
    from geo.outputs.publish import site as publishing

    data_dir, council = fictional_package(tmp_path_factory.mktemp("fictional-data"))
    data = load_dataset(data_dir, data_dir / "build" / "sites.geojson")
    root = tmp_path_factory.mktemp("fictional-site")
    publishing.publish(root / "site", data, tiles=settings.TILE_SOURCES["none"])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/site", council
    server.shutdown()


def test_the_legend_areas_and_filters_name_the_new_terms(fictional_site, chromium):
    import fictional as f

    url, council = fictional_site
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(f"{url}/index.html")
    page.wait_for_function(
        "() => { const c = document.querySelector('.leaflet-container');"
        " return c && c.dataset.hikmapPainted === '1' && c.dataset.hikmapDistricts !== undefined }",
        timeout=60_000,
    )
    legend = page.locator(".hikmap-legend-body").inner_text()
    assert f.KIND_LABEL in legend and f.AREA_LABEL in legend
    # The council's area is drawn in the new status's colour (with no tiles, mixed with the land's
    # at the opacity of a council's own evidence).
    area = page.locator(f"path.hikmap-area-{council}").first
    assert area.get_attribute("fill").lower() == on_land(f.AREA_COLOUR, 0.75).lower()
    # The filter form (folded away) offers the new kind and status by their labels.
    assert page.locator(f"#f-kind option[value='{f.KIND}']").text_content() == f.KIND_LABEL
    assert page.locator(f"#f-status option[value='{f.STATUS}']").text_content() == f.STATUS_LABEL
    # The chrome's colours: the sea behind the map is settings' own.
    background = page.evaluate("() => getComputedStyle(document.querySelector('.leaflet-container')).backgroundColor")
    red, green, blue = (int(settings.CHROME["sea"][i : i + 2], 16) for i in (1, 3, 5))
    assert background == f"rgb({red}, {green}, {blue})"
    page.screenshot(path=str(_artifact("fictional-legend.png")))
    assert watch.external_requests == [] and watch.console_errors == [] and watch.failures == []
    context.close()


def _artifact(name: str):
    from conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
