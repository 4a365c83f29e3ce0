"""Benchmark: the campaign map at 1,000, 10,000 and 100,000 synthetic sites.

For each size, side by side in the same run:

* the app's own code (``geo.outputs.mapview.map_data`` + ``publish_map_data`` + ``build_map`` + render;
  the page and the data file it fetches are counted together),
* a naive baseline: one ``folium.Marker`` (with a popup and a tooltip) per site,
* a fair baseline: ONE ``folium.GeoJson`` layer holding every site as a point
  feature, drawn as canvas circle markers (``marker=folium.CircleMarker``, the
  map made with ``prefer_canvas=True``), with a ``GeoJsonPopup`` and a
  ``GeoJsonTooltip`` of the site's name,

measuring build time (median of repeats), page size, and the time until the
map is drawn in Debian's chromium (median of repeats; the page served from
localhost, Leaflet from the app's own static folder, no map tiles and the
same UK frame for all three), and the ratio baseline / app for build and draw
time (above 1: the app is faster).

"Drawn" is navigation start (``performance.now()`` in the page) until the
animation frame after the one in which a condition first holds (checked once
per frame; see ``DRAWN``):

* app: ``data-hikmap-painted`` is set on the ``.leaflet-container``
  (``sitelayer.js`` sets it once the sites' markers are on the map and painted);
* naive: every marker's ``<img>`` is in the document;
* GeoJson: the layer is on the map and holds one layer per site, and the map's
  canvas renderer has no redraw pending (its redraw runs synchronously in an
  animation frame, so by then every point in view has been painted).

Each page load is in a fresh browser context (nothing cached); a script error
in the page stops the run.

What is drawn is not identical: the app draws a shape per kind of body coloured
by evidence grade, gathers overlapping markers into numbered clusters
(Leaflet.markercluster) at the UK zoom, and builds full popups on demand; the
GeoJson baseline paints every point as one plain circle with a name-only popup.

Sites are synthetic: fictional names ("Example Site 000042", "Fictional
Authority 012") at real postcodes drawn from the ONS directory, with the
columns of the real built tables (``geo.evidence.dataset.BUILT_SITE_COLUMNS`` and
``BUILT_CLAIM_COLUMNS``) and values from the real vocabulary; one claim per
site. Every synthetic site is placed (no ``not-placed`` precision), so all
three maps draw the same points. Nothing here is shown as real data.

Usage: python bench/map_bench.py [--sizes 1000 10000 100000] [--baseline-max 10000]
                                 [--geojson-max 100000] [--no-browser]
Writes bench/results/map.json.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import http.server
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo import settings  # noqa: E402
from geo.evidence.dataset import BUILT_CLAIM_COLUMNS, BUILT_SITE_COLUMNS, load_dataset  # noqa: E402
from geo.evidence.vocabulary import Vocabulary  # noqa: E402
from geo.outputs.mapview import build_map, map_data, publish_map_data  # noqa: E402
from geo.outputs.vendor import LEAFLET_CSS, LEAFLET_JS, ensure_vendor_assets, self_host_folium  # noqa: E402
from geo.places.postcodes import get_directory  # noqa: E402

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1200, "height": 800}
SOURCE_ID = "example-source"


def synthetic(size: int, vocabulary: Vocabulary, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fictional sites at real postcodes, one claim each, shaped like the built tables."""
    rng = np.random.default_rng(seed)
    directory = get_directory()
    postcodes = directory.sample_postcodes(size, seed=seed)
    located = [loc for loc in directory.lookup_many(postcodes) if hasattr(loc, "lat")]
    n = len(located)
    kinds = vocabulary.keys("kinds")
    grades = vocabulary.keys("grades")
    precisions = [p for p in vocabulary.keys("precisions") if p != "not-placed"]
    statuses = vocabulary.keys("statuses")
    vendors = vocabulary.keys("vendors")
    lad_codes = [loc.lad_code for loc in located]
    organisations = [f"Fictional Authority {i % 400:03d}" for i in range(n)]
    precision = rng.choice(precisions, n)
    # A site that stands for an authority's area names that authority (here: its district).
    is_area = precision == "area"
    sites = pd.DataFrame(
        {
            "id": [f"example-site-{i:06d}" for i in range(n)],
            "name": [f"Example Site {i:06d}" for i in range(n)],
            "organisation": organisations,
            "kind": rng.choice(kinds, n),
            "authority": np.where(is_area, lad_codes, ""),
            "authority_name": np.where(is_area, organisations, ""),
            "address": [""] * n,
            "postcode": [loc.postcode for loc in located],
            "precision": precision,
            "location_source": [""] * n,
            "note": [""] * n,
            "lad_code": lad_codes,
            "lad_name": [loc.lad_name for loc in located],
            "region": [loc.region for loc in located],
            "nation": [loc.nation for loc in located],
            "grade": rng.choice(grades, n),
            "area_codes": [(code,) if code else () for code in lad_codes],
            "lat": [loc.lat for loc in located],
            "lon": [loc.lon for loc in located],
        },
        columns=BUILT_SITE_COLUMNS,
    )
    counts = rng.integers(1, 500, n).astype(float)
    counts[rng.random(n) < 0.8] = np.nan  # most claims give no number of devices
    claims = pd.DataFrame(
        {
            "id": [f"example-claim-{i:06d}" for i in range(n)],
            "site": sites["id"],
            "vendor": rng.choice(vendors, n),
            "claim": "Synthetic claim for benchmarking.",
            "grade": sites["grade"],  # one claim per site: the site's strongest grade is its own
            "reported": "2024",
            "status": rng.choice(statuses, n),
            "equipment_count": counts,
            "sources": [(SOURCE_ID,)] * n,
            "response": "",
        },
        columns=BUILT_CLAIM_COLUMNS,
    )
    return sites, claims


# --- The three maps ------------------------------------------------------------


def build_app_map(sites, claims, sources, vocabulary) -> tuple[str, int]:
    """The page's HTML and the size of the data file it fetches (written under static/generated)."""
    # What the map loads: the first paint's file (a popup fetches the evidence of up to 1,000 sites later).
    url = publish_map_data(map_data(sites, claims, sources, vocabulary), "bench-sites")
    # No tiles (as in the baselines); no boundaries, so the outline basemap is not fetched either.
    fmap = build_map(url, site_count=len(sites), boundary_urls={}, tiles=settings.TILE_SOURCES["none"])
    data_bytes = (settings.STATIC_DIR / "generated" / url.rsplit("/", 1)[1]).stat().st_size
    return fmap.get_root().render(), data_bytes


# folium 0.20's Popup still builds its content with jQuery (``$(`<div ...>`)[0]``, eagerly unless
# ``lazy=True``), and the app no longer serves jQuery. The naive baseline gets this one-line stand-in
# for that single call instead: it parses the HTML into an element just as jQuery would, without
# loading jQuery (which makes the baseline a little cheaper, not dearer).
JQUERY_STAND_IN = """<script>
window.$ = function (html) { var t = document.createElement("template"); t.innerHTML = String(html).trim();
  return [t.content.firstElementChild]; };
</script>"""


def _baseline_map(prefer_canvas: bool = False):
    """An empty folium map like the app's: Leaflet only (from static/vendor), no tiles."""
    import folium

    folium.Map.default_js = [("leaflet", LEAFLET_JS)]
    folium.Map.default_css = [("leaflet_css", LEAFLET_CSS)]
    return folium.Map(
        location=list(settings.UK_CENTRE),
        zoom_start=settings.UK_ZOOM,
        tiles=None,
        max_zoom=18,
        prefer_canvas=prefer_canvas,
    )


def _frame(fmap) -> None:
    fmap.fit_bounds([list(settings.UK_BOUNDS[0]), list(settings.UK_BOUNDS[1])], max_zoom=13)


def build_plain_markers(sites) -> str:
    """The naive baseline: one folium Marker, with a popup and a tooltip, per site."""
    import folium

    fmap = _baseline_map()
    fmap.get_root().header.add_child(folium.Element(JQUERY_STAND_IN), name="jquery_stand_in")
    for row in sites.itertuples(index=False):
        folium.Marker([row.lat, row.lon], popup=row.name, tooltip=row.name).add_to(fmap)
    _frame(fmap)
    return fmap.get_root().render()


def build_geojson(sites) -> tuple[str, str, str]:
    """The fair baseline: one GeoJson layer of point features, canvas circle markers.

    Returns the page's HTML and the JavaScript names of the map and the layer.
    """
    import folium

    fmap = _baseline_map(prefer_canvas=True)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": name}, "geometry": {"type": "Point", "coordinates": [lon, lat]}}
            for name, lat, lon in zip(sites["name"], sites["lat"].round(5), sites["lon"].round(5))
        ],
    }
    layer = folium.GeoJson(
        collection,
        name="sites",
        marker=folium.CircleMarker(
            radius=6, color="#1a1a1a", weight=1.2, fill=True, fill_color="#E69F00", fill_opacity=0.95
        ),
        popup=folium.GeoJsonPopup(fields=["name"], labels=False),
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    ).add_to(fmap)
    _frame(fmap)
    return fmap.get_root().render(), fmap.get_name(), layer.get_name()


def timed(function, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


# --- Drawing in chromium --------------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the benchmark prints its own table
        pass


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


APP_READY = """() => {
  const c = document.querySelector('.leaflet-container');
  return Boolean(c && (c.dataset.hikmapPainted || c.dataset.hikmapDataError));
}"""
APP_CHECK = """() => {
  const c = document.querySelector('.leaflet-container');
  if (c.dataset.hikmapDataError) { return {error: c.dataset.hikmapDataError}; }
  return {sites: Number(c.dataset.hikmapSites), markers: Number(c.dataset.hikmapMarkers),
          clusters: document.querySelectorAll('.hikmap-cluster').length};
}"""
PLAIN_READY = "() => document.querySelectorAll('.leaflet-marker-icon').length >= {n}"
PLAIN_CHECK = "() => ({markers: document.querySelectorAll('.leaflet-marker-icon').length})"
GEOJSON_READY = """() => {
  const map = window.%(map)s, layer = window.%(layer)s;
  if (!map || !layer || !map.hasLayer(layer) || layer.getLayers().length !== %(n)d) { return false; }
  const renderer = map._renderer;  // preferCanvas: the map's one L.Canvas
  return Boolean(renderer && renderer instanceof L.Canvas && renderer._container.width > 0 && !renderer._redrawRequest);
}"""
GEOJSON_CHECK = """() => {
  const map = window.%(map)s, layers = window.%(layer)s.getLayers(), view = map.getBounds();
  const canvas = map._renderer._container;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i]) { inked++; } }
  return {layers: layers.length, in_view: layers.filter(l => view.contains(l.getLatLng())).length, inked_pixels: inked};
}"""

# Once the condition holds, one more animation frame: its callback runs only after the frame in
# which the drawing was laid out and painted has been rendered. The time is taken in the page
# (performance.now(): milliseconds since navigation start), so polling adds nothing to it.
DRAWN = """() => {
  if (window.__benchError || window.__benchDrawn) { return true; }
  if (!window.__benchArmed && (%s)()) {
    window.__benchArmed = true;
    requestAnimationFrame(function () { window.__benchDrawn = performance.now(); });
  }
  return false;
}"""


def time_to_draw(browser, url: str, ready_js: str, check_js: str, repeats: int) -> tuple[float, float, dict]:
    """Median seconds from navigation start until drawn (see ``DRAWN``), median wall-clock seconds
    from ``page.goto`` to the same moment seen by Playwright, and what ``check_js`` saw last."""
    times, walls, seen = [], [], {}
    for _ in range(repeats):
        page = browser.new_page(viewport=VIEWPORT)  # a new context each time: nothing cached
        errors: list[str] = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        # A script error ends the wait at once (and the run, below) instead of timing out.
        page.add_init_script(
            "window.addEventListener('error', function (e) { window.__benchError = String(e.message); });"
        )
        start = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=180_000)
        page.wait_for_function(DRAWN % ready_js, timeout=180_000, polling="raf")
        walls.append(time.perf_counter() - start)
        failed = page.evaluate("() => window.__benchError")
        if not failed:
            times.append(page.evaluate("() => window.__benchDrawn") / 1000)
        seen = {} if failed else page.evaluate(check_js)
        page.close()
        if failed or errors or seen.get("error"):
            raise RuntimeError(f"{url}: {failed or errors or seen['error']}")
    return statistics.median(times), statistics.median(walls), seen


# --- Report ---------------------------------------------------------------------


def _s(value) -> str:
    if value is None:
        return "—"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def _mb(value) -> str:
    return "—" if value is None else f"{value / 1e6:.2f} MB"


def _x(value) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}x" if value < 10 else f"{value:.0f}x"


def table(results: list[dict]) -> str:
    """The results as a Markdown table (ratios: baseline time / app time)."""
    head = [
        "sites",
        "app build",
        "naive build",
        "GeoJson build",
        "app page",
        "naive page",
        "GeoJson page",
        "app drawn",
        "naive drawn",
        "GeoJson drawn",
        "build: naive/app",
        "build: GeoJson/app",
        "drawn: naive/app",
        "drawn: GeoJson/app",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + " ---: |" * len(head)]
    for r in results:
        g = r.get
        cells = [
            f"{r['sites']:,}",
            _s(g("app_build_s")),
            _s(g("naive_build_s")),
            _s(g("geojson_build_s")),
            _mb(g("app_page_bytes")),
            _mb(g("naive_page_bytes")),
            _mb(g("geojson_page_bytes")),
            _s(g("app_draw_s")),
            _s(g("naive_draw_s")),
            _s(g("geojson_draw_s")),
            _x(g("naive_build_ratio")),
            _x(g("geojson_build_ratio")),
            _x(g("naive_draw_ratio")),
            _x(g("geojson_draw_ratio")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=10_000,
        help="largest size at which the naive one-Marker-per-site baseline is run (it is slow)",
    )
    parser.add_argument(
        "--geojson-max", type=int, default=100_000, help="largest size at which the GeoJson canvas baseline is run"
    )
    parser.add_argument("--no-browser", action="store_true", help="build only; do not time drawing")
    args = parser.parse_args()

    import folium

    started = time.perf_counter()
    ensure_vendor_assets()
    dataset = load_dataset()
    vocabulary = dataset.vocabulary
    sources = pd.DataFrame(
        {"id": [SOURCE_ID], "title": ["Example source"], "publisher": ["Example"], "url": ["https://example.org/"]}
    )
    work = Path(tempfile.mkdtemp(prefix="hikmap-bench-"))
    (work / "app").mkdir()
    (work / "app" / "static").symlink_to(settings.STATIC_DIR)
    server, base = serve(work)
    results = []
    browser = playwright = None
    if not args.no_browser:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
    chromium = browser.version if browser else ""
    try:
        for size in args.sizes:
            sites, claims = synthetic(size, vocabulary)
            n = len(sites)
            repeats = 5 if size <= 10_000 else 3
            row: dict = {"sites": n}

            app_s, (app_html, data_bytes) = timed(
                lambda sites=sites, claims=claims: build_app_map(sites, claims, sources, vocabulary), repeats
            )
            self_host_folium()  # leave folium as the app has it
            row.update(app_build_s=app_s, app_page_bytes=len(app_html.encode()) + data_bytes, app_data_bytes=data_bytes)
            (work / f"app-{size}.html").write_text(app_html, encoding="utf-8")
            if browser:
                row["app_draw_s"], row["app_draw_wall_s"], seen = time_to_draw(
                    browser, f"{base}/app-{size}.html", APP_READY, APP_CHECK, 3
                )
                row.update(
                    app_sites_drawn=seen["sites"], app_markers=seen["markers"], app_clusters_in_view=seen["clusters"]
                )

            if size <= args.geojson_max:
                gj_s, (gj_html, map_name, layer_name) = timed(lambda sites=sites: build_geojson(sites), repeats)
                self_host_folium()
                row.update(
                    geojson_build_s=gj_s, geojson_page_bytes=len(gj_html.encode()), geojson_build_ratio=gj_s / app_s
                )
                (work / f"geojson-{size}.html").write_text(gj_html, encoding="utf-8")
                del gj_html
                if browser:
                    names = {"map": map_name, "layer": layer_name, "n": n}
                    row["geojson_draw_s"], row["geojson_draw_wall_s"], seen = time_to_draw(
                        browser, f"{base}/geojson-{size}.html", GEOJSON_READY % names, GEOJSON_CHECK % names, 3
                    )
                    row.update(
                        geojson_layers=seen["layers"],
                        geojson_points_in_view=seen["in_view"],
                        geojson_inked_pixels=seen["inked_pixels"],
                        geojson_draw_ratio=row["geojson_draw_s"] / row["app_draw_s"],
                    )

            if size <= args.baseline_max:
                naive_s, naive_html = timed(lambda sites=sites: build_plain_markers(sites), 1 if size > 1000 else 3)
                self_host_folium()
                row.update(
                    naive_build_s=naive_s, naive_page_bytes=len(naive_html.encode()), naive_build_ratio=naive_s / app_s
                )
                (work / f"plain-{size}.html").write_text(naive_html, encoding="utf-8")
                del naive_html
                if browser:
                    row["naive_draw_s"], row["naive_draw_wall_s"], seen = time_to_draw(
                        browser,
                        f"{base}/plain-{size}.html",
                        PLAIN_READY.replace("{n}", str(n)),
                        PLAIN_CHECK,
                        1 if size > 1000 else 3,
                    )
                    row.update(naive_markers=seen["markers"], naive_draw_ratio=row["naive_draw_s"] / row["app_draw_s"])
            results.append(row)
            print(json.dumps(row), flush=True)
    finally:
        if browser:
            browser.close()
            playwright.stop()
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)
        for path in (settings.STATIC_DIR / "generated").glob("bench-sites-*.json"):
            path.unlink()

    elapsed = time.perf_counter() - started
    print()
    print(table(results))
    print(f"\nratios: baseline time / app time (above 1: the app is faster). Whole run: {elapsed:.0f} s.")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "machine": {
            "nproc": len(os.sched_getaffinity(0)),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "folium": folium.__version__,
            "chromium": chromium,
        },
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "elapsed_s": round(elapsed, 1),
        "ratios": "baseline time / app time (above 1: the app is faster)",
        "results": results,
    }
    (out / "map.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
