"""Benchmark: the campaign map at 1,000, 10,000 and 100,000 synthetic sites.

For each size, side by side in the same run:

* the app's own code (``geo.mapview.map_data`` + ``publish_json`` + ``build_map`` + render;
  the page and the data file it fetches are counted together),
* a baseline of one plain ``folium.Marker`` (with a popup) per site,

measuring build time (median of repeats), page size, and the time until the
map is drawn in Debian's chromium (the page served from localhost, Leaflet
from the app's own static folder).

Sites are synthetic: fictional names ("Example Site 00042"), real postcodes
drawn from the ONS directory. Nothing here is shown as real data.

Usage: python bench/map_bench.py [--sizes 1000 10000 100000] [--baseline-max 10000]
Writes bench/results/map.json.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
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
from geo.assets import ensure_vendor_assets, self_host_folium  # noqa: E402
from geo.dataset import load_dataset  # noqa: E402
from geo.mapview import build_map, labels_from, map_data, publish_json  # noqa: E402
from geo.postcodes import get_directory  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def synthetic(size: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fictional sites at real postcodes, one claim each."""
    rng = np.random.default_rng(seed)
    directory = get_directory()
    postcodes = directory.sample_postcodes(size, seed=seed)
    located = [loc for loc in directory.lookup_many(postcodes) if hasattr(loc, "lat")]
    kinds = ["council", "jobcentre", "government-department", "parliament", "other-public-body"]
    grades = ["official", "documented", "reported"]
    n = len(located)
    sites = pd.DataFrame({
        "id": [f"example-site-{i:06d}" for i in range(n)],
        "name": [f"Example Site {i:06d}" for i in range(n)],
        "organisation": [f"Fictional Authority {i % 400:03d}" for i in range(n)],
        "kind": rng.choice(kinds, n),
        "address": [""] * n,
        "postcode": [loc.postcode for loc in located],
        "precision": rng.choice(["building", "headquarters", "area"], n),
        "lad_code": [loc.lad_code for loc in located],
        "lad_name": [loc.lad_name for loc in located],
        "region": [loc.region for loc in located],
        "nation": [loc.nation for loc in located],
        "grade": rng.choice(grades, n),
        "lat": [loc.lat for loc in located],
        "lon": [loc.lon for loc in located],
    })
    claims = pd.DataFrame({
        "id": [f"example-claim-{i:06d}" for i in range(n)],
        "site": sites["id"],
        "vendor": "hikvision",
        "claim": "Synthetic claim for benchmarking.",
        "grade": sites["grade"],
        "reported": "2024",
        "status": "reported",
        "sources": [("example-source",)] * n,
        "response": "",
    })
    return sites, claims


def build_app_map(sites, claims, sources, labels) -> tuple[str, int]:
    """The page's HTML and the size of the data file it fetches (written under static/generated)."""
    self_host_folium()  # undo the baseline's extra script
    url = publish_json(map_data(sites, claims, sources, labels), "bench-sites")
    fmap = build_map(url, site_count=len(sites), boundary_urls={})
    data_bytes = (settings.STATIC_DIR / "generated" / url.rsplit("/", 1)[1]).stat().st_size
    return fmap.get_root().render(), data_bytes


def build_plain_markers(sites) -> str:
    """The baseline: folium's own markers and popups (which need jQuery), served locally."""
    import folium

    from geo.assets import JQUERY_JS, LEAFLET_JS

    folium.Map.default_js = [("leaflet", LEAFLET_JS), ("jquery", JQUERY_JS)]
    fmap = folium.Map(location=list(settings.UK_CENTRE), zoom_start=settings.UK_ZOOM, tiles=None, max_zoom=18)
    for row in sites.itertuples(index=False):
        folium.Marker([row.lat, row.lon], popup=row.name, tooltip=row.name).add_to(fmap)
    return fmap.get_root().render()


def timed(function, repeats: int) -> tuple[float, str]:
    times, result = [], ""
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the benchmark prints its own table
        pass


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def time_to_draw(browser, url: str, ready_js: str, repeats: int = 3) -> float:
    """Median seconds from navigation start until ``ready_js`` is true in the page."""
    times = []
    for _ in range(repeats):
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        start = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_function(ready_js, timeout=180_000, polling=50)
        times.append(time.perf_counter() - start)
        page.close()
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--baseline-max", type=int, default=10_000,
                        help="largest size at which the plain-marker baseline is also run (it is slow)")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()

    self_host_folium()
    ensure_vendor_assets()
    dataset = load_dataset()
    labels = labels_from(dataset)
    sources = pd.DataFrame({"id": ["example-source"], "title": ["Example source"], "publisher": ["Example"],
                            "url": ["https://example.org/"]})
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
    try:
        for size in args.sizes:
            sites, claims = synthetic(size)
            repeats = 5 if size <= 10_000 else 3
            app_s, (app_html, data_bytes) = timed(lambda: build_app_map(sites, claims, sources, labels), repeats)
            row = {"sites": len(sites), "app_build_s": app_s, "app_page_bytes": len(app_html.encode()) + data_bytes}
            (work / f"app-{size}.html").write_text(app_html, encoding="utf-8")
            if browser:
                row["app_draw_s"] = time_to_draw(
                    browser, f"{base}/app-{size}.html",
                    "() => { const c = document.querySelector('.leaflet-container'); return c && c.dataset.hikmapPainted }")
            if size <= args.baseline_max:
                base_s, base_html = timed(lambda: build_plain_markers(sites), 1 if size > 1000 else 3)
                row.update(baseline_build_s=base_s, baseline_page_bytes=len(base_html.encode()),
                           build_speedup=base_s / app_s)
                (work / f"plain-{size}.html").write_text(base_html, encoding="utf-8")
                if browser:
                    row["baseline_draw_s"] = time_to_draw(
                        browser, f"{base}/plain-{size}.html",
                        f"() => document.querySelectorAll('.leaflet-marker-icon').length >= {len(sites)}", repeats=1)
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

    print()
    print(f"{'sites':>8} | {'app build':>9} | {'plain build':>11} | {'speed-up':>8} | {'app page':>9} | "
          f"{'plain page':>10} | {'app drawn':>9} | {'plain drawn':>11}")
    for r in results:
        plain_page = f"{r['baseline_page_bytes'] / 1e6:.2f} MB" if "baseline_page_bytes" in r else "—"

        def fmt(key, unit="s", scale=1.0):
            return f"{r[key] * scale:.3f} {unit}" if key in r else "—"
        print(f"{r['sites']:>8} | {fmt('app_build_s'):>9} | {fmt('baseline_build_s'):>11} | "
              f"{(str(round(r['build_speedup'], 1)) + 'x') if 'build_speedup' in r else '—':>8} | "
              f"{r['app_page_bytes'] / 1e6:.2f} MB | "
              f"{plain_page:>10} | "
              f"{fmt('app_draw_s'):>9} | {fmt('baseline_draw_s'):>11}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "map.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
