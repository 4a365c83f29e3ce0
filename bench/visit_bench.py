"""Benchmark: what one visit to the map costs, every figure of issue 19's table in one run.

Measures a checkout of the project (``--root``, default this one; point it at an
export of an older commit to measure "before" with the same benchmark) on the
shipped data, loopback only, Debian's chromium through Playwright, every visit
in a fresh browser context (nothing cached). With no tiles (``HIKMAP_TILES=none``,
as the tests run: the outline basemap is drawn from the boundaries instead;
third-party tiles cannot be fetched here and are never counted).

1. **app map, cold visit, bytes**: ``streamlit run dashboard.py`` (as
   ``tests/conftest.py`` starts it), one warm-up visit, then a fresh browser
   opens ``/`` and waits until the map frame's ``data-hikmap-painted``, then a
   second more. Counted: every HTTP response body (decoded size, as sent
   uncompressed) except Streamlit's own bundle (``/static/``, ``/_stcore/``),
   i.e. the streamlit-folium component's frame, Leaflet and plugins, the data
   and the boundaries, plus every WebSocket frame received (the map's page
   travels in one, with the rest of the page's text: counted whole).
2. **published index.html, cold visit, bytes**: ``python -m geo publish``,
   served by the gzip-serving static server below; decoded bytes of every
   response until drawn (and the bytes on the wire, compressed, beside them).
3. **app map with 10,000 extra sites, bytes**: as 1, on a copy of the data
   package with 10,000 fictional sites ("Example Site 000042", "Fictional
   Authority 012") at random real postcodes, one claim each, built with
   ``python -m geo build``.
4. **server CPU per map visit**: user + system CPU seconds of the app's
   process tree (``/proc``) from just before ``goto`` until drawn and the
   server idle again (``load_bench.wait_for_idle``), for ``--visits`` visits:
   *warm* (one server, after one unmeasured warm-up visit) and *cold* (a new
   server for each visit: the first visit pays for loading the data and
   building what is cached). Median and range.
5. and 6. **published map on a phone**: the published site served compressed
   (gzip, as a host would; ``GzipServer``), chromium at 390x844 (device scale
   3, mobile, touch) with Chromium's own emulation through CDP:
   ``Emulation.setCPUThrottlingRate`` 4 and
   ``Network.emulateNetworkConditions`` (4G: 20 ms, 9 Mbps down, 3 Mbps up;
   slow 4G: 150 ms, 1.6 Mbps down, 0.75 Mbps up); time from navigation start
   (``performance.now()`` in the page) to the animation frame after
   ``sitelayer.js`` marks the map painted, which it does after the sites and
   the council areas are drawn. ``--phone-runs`` runs each; median and range.
7. and 8. **100,000 sites against the fair GeoJson canvas baseline**: the
   checkout's own ``bench/map_bench.py --sizes 100000 --baseline-max 0``
   (build: median of 3, drawn: median of 3); reported here as app time ÷
   baseline time (at most 1: the app is no slower). Its ``map.json`` is put
   back as it was.

Usage: python bench/visit_bench.py [--root DIR] [--label NAME] [--visits 5] [--phone-runs 5]
                                   [--skip-100k] [--skip-10k] [--only PART ...]
       python bench/visit_bench.py --readme LABEL ...
Writes bench/results/visit-<label>.json (raw numbers) and prints the table;
``--readme`` writes the table of the named runs into README.md's performance
section (between its markers).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import gzip
import http.server
import json
import mimetypes
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from load_bench import CHROMIUM_ARGS, free_port, stop, tree_cpu_s, wait_until_up  # noqa: E402

NETWORKS = {
    "4g": {"latency": 20, "down_mbps": 9.0, "up_mbps": 3.0},
    "slow-4g": {"latency": 150, "down_mbps": 1.6, "up_mbps": 0.75},
}
SETTLE_S = 1.0
EXTRA_SITES = 10_000

# Set in every document before its scripts run: the moment the map's container is marked
# painted (sitelayer.js does so in the animation frame after it drew the sites and the council
# areas), one more frame, then the time since navigation start.
PAINT_OBSERVER = """
(() => {
  const check = () => {
    const c = document.querySelector('.leaflet-container');
    if (!c || window.__hikmapDrawnAt !== undefined) { return; }
    if (c.dataset.hikmapDataError !== undefined) { window.__hikmapDrawnAt = -1; return; }
    if (c.dataset.hikmapPainted === '1') {
      window.__hikmapDrawnAt = null;
      requestAnimationFrame(() => { window.__hikmapDrawnAt = performance.now(); });
    }
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true,
                                                 attributeFilter: ['data-hikmap-painted', 'data-hikmap-data-error']});
})();
"""
APP_DRAWN = """() => { const c = document.querySelector('.leaflet-container');
  return c && c.dataset.hikmapPainted === '1' ? c.dataset.hikmapDistricts : null; }"""


# --- servers -------------------------------------------------------------------------------------
class GzipServer:
    """A static file server that compresses text as a host would (gzip level 6, ``Vary``)."""

    TEXT = (".html", ".js", ".css", ".json", ".geojson", ".csv", ".svg", ".txt")

    def __init__(self, root: Path):
        cache: dict[str, tuple[bytes, bytes | None, str]] = {}

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                path = (root / self.path.split("?", 1)[0].lstrip("/")).resolve()
                if path.is_dir():
                    path = path / "index.html"
                if root.resolve() not in path.parents or not path.is_file():
                    self.send_error(404)
                    return
                key = str(path)
                if key not in cache:
                    raw = path.read_bytes()
                    packed = gzip.compress(raw, 6) if path.suffix in GzipServer.TEXT else None
                    cache[key] = (raw, packed, mimetypes.guess_type(path.name)[0] or "application/octet-stream")
                raw, packed, kind = cache[key]
                body = packed if packed is not None and "gzip" in self.headers.get("Accept-Encoding", "") else raw
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                if body is packed:
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Vary", "Accept-Encoding")
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()


def boundaries_dir() -> str:
    """HIKMAP_BOUNDARIES_DIR, else ``../shared/geo`` as scripts/test finds it, else the cache."""
    from geo import settings

    if os.environ.get("HIKMAP_BOUNDARIES_DIR"):
        return os.environ["HIKMAP_BOUNDARIES_DIR"]
    shared = HERE.parent.parent / "shared" / "geo"
    return str(shared if (shared / settings.BOUNDARIES_FILENAME).is_file() else settings.boundaries_dir())


def env_for(extra: dict | None = None) -> dict:
    return {**os.environ, "HIKMAP_TILES": "none", "HIKMAP_BOUNDARIES_DIR": boundaries_dir(), **(extra or {})}


def start_app(root: Path, log: Path, extra_env: dict | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(root / "dashboard.py"), "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    process = subprocess.Popen(
        command, cwd=root, env=env_for(extra_env), stdout=log.open("ab"), stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(process, f"{url}/_stcore/health", log, "the app")
    return process, url


# --- one visit -----------------------------------------------------------------------------------
class Visit:
    """A fresh context and page with Chromium's network log (CDP): bytes by URL, WebSocket bytes."""

    def __init__(self, browser, viewport=None, phone=False):
        options = {"viewport": viewport or {"width": 1400, "height": 1000}}
        if phone:
            options.update(device_scale_factor=3, is_mobile=True, has_touch=True)
        self.context = browser.new_context(**options)
        self.page = self.context.new_page()
        self.page.add_init_script(PAINT_OBSERVER)
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        self.urls: dict[str, str] = {}
        self.decoded: dict[str, int] = {}
        self.encoded: dict[str, int] = {}
        self.ws_bytes = 0
        self.errors: list[str] = []
        self.cdp.on("Network.requestWillBeSent", lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        self.cdp.on("Network.dataReceived", self._data)
        self.cdp.on(
            "Network.loadingFinished", lambda e: self.encoded.__setitem__(e["requestId"], e["encodedDataLength"])
        )
        self.cdp.on("Network.webSocketFrameReceived", self._frame)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _data(self, event) -> None:
        self.decoded[event["requestId"]] = self.decoded.get(event["requestId"], 0) + event["dataLength"]

    def _frame(self, event) -> None:
        payload = event["response"]["payloadData"]
        # Binary frames arrive base64-encoded: count the bytes they carry.
        self.ws_bytes += len(payload) * 3 // 4 if event["response"].get("opcode") == 2 else len(payload.encode())

    def throttle(self, network: dict, cpu_rate: float) -> None:
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu_rate})
        self.cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": network["latency"],
                "downloadThroughput": network["down_mbps"] * 1e6 / 8,
                "uploadThroughput": network["up_mbps"] * 1e6 / 8,
            },
        )

    def open(self, url: str, in_frames: bool = False, timeout_s: float = 120) -> float:
        """Open ``url``; seconds from navigation start to drawn (in the map's own document)."""
        self.page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if in_frames:  # the app: its map is in the streamlit-folium frame (no init script runs there)
                for frame in self.page.frames:
                    if "streamlit_folium" not in frame.url:
                        continue
                    try:
                        done = frame.evaluate(APP_DRAWN)
                    except Exception:  # a frame between documents
                        continue
                    if done == "361":
                        return self.page.evaluate("() => performance.now()") / 1000
            else:
                at = self.page.evaluate("() => window.__hikmapDrawnAt")
                if isinstance(at, (int, float)):
                    if at < 0:
                        raise RuntimeError(f"{url}: the map reported a data error")
                    districts = self.page.evaluate(
                        "() => document.querySelector('.leaflet-container').dataset.hikmapDistricts"
                    )
                    if districts != "361":  # a map without its council areas is not the visit measured
                        raise RuntimeError(f"{url}: {districts} council areas drawn, not 361")
                    return at / 1000
            self.page.wait_for_timeout(100)
        raise RuntimeError(f"{url}: not drawn within {timeout_s} s ({self.errors})")

    def sizes(self, exclude=lambda url: False) -> dict:
        time.sleep(SETTLE_S)
        self.page.wait_for_timeout(10)  # let Playwright deliver the last events
        kept = [r for r in self.decoded if not exclude(self.urls.get(r, ""))]
        return {
            "decoded_bytes": sum(self.decoded[r] for r in kept),
            "wire_bytes": sum(self.encoded.get(r, 0) for r in kept),
            "ws_bytes": self.ws_bytes,
            "files": {self.urls.get(r, "?"): self.decoded[r] for r in kept},
        }

    def close(self) -> None:
        self.context.close()


def streamlit_bundle(url: str) -> bool:
    """Streamlit's own frontend and endpoints (not the map): ``/static/...`` and ``/_stcore/...``."""
    path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else url
    return path.startswith(("/static/", "/_stcore/"))


def app_map_bytes(browser, root: Path, work: Path, label: str, data_dir: Path | None = None) -> dict:
    extra = {"HIKMAP_DATA_DIR": str(data_dir)} if data_dir else None
    process, url = start_app(root, work / f"app-{label}.log", extra)
    try:
        warm = Visit(browser)
        warm.open(url, in_frames=True, timeout_s=300)
        warm.close()
        visit = Visit(browser)
        drawn = visit.open(url, in_frames=True, timeout_s=300)
        sizes = visit.sizes(exclude=streamlit_bundle)
        visit.close()
    finally:
        stop(process)
    sizes["total_bytes"] = sizes["decoded_bytes"] + sizes["ws_bytes"]
    sizes["drawn_s"] = drawn
    return sizes


def server_cpu(browser, root: Path, work: Path, visits: int) -> dict:
    """CPU seconds of the app's process tree per map visit: warm server, then a new server per visit."""
    warm, cold = [], []
    process, url = start_app(root, work / "app-cpu.log")
    try:
        first = Visit(browser)
        first.open(url, in_frames=True, timeout_s=300)
        first.close()
        for _ in range(visits):
            warm.append(_measured_visit(browser, process, url))
    finally:
        stop(process)
    for n in range(visits):
        process, url = start_app(root, work / f"app-cold-{n}.log")
        try:
            cold.append(_measured_visit(browser, process, url))
        finally:
            stop(process)
    return {"warm_s": warm, "cold_s": cold}


def wait_for_idle(pid: int) -> None:
    """load_bench's wait (until the server's tree idles), in a thread of its own: Playwright's sync
    API already runs an event loop in this one."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from load_bench import wait_for_idle as idle

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, idle(pid)).result()


def _measured_visit(browser, process, url: str) -> float:
    visit = Visit(browser)
    before = tree_cpu_s(process.pid)
    visit.open(url, in_frames=True, timeout_s=300)
    time.sleep(SETTLE_S)
    wait_for_idle(process.pid)
    used = tree_cpu_s(process.pid) - before
    visit.close()
    return used


def phone(browser, url: str, network: dict, runs: int) -> dict:
    times, wire, decoded = [], [], []
    for _ in range(runs):
        visit = Visit(browser, viewport={"width": 390, "height": 844}, phone=True)
        visit.throttle(network, 4)
        times.append(visit.open(url))
        sizes = visit.sizes()
        wire.append(sizes["wire_bytes"])
        decoded.append(sizes["decoded_bytes"])
        visit.close()
    return {"drawn_s": times, "wire_bytes": wire, "decoded_bytes": decoded}


# --- data ----------------------------------------------------------------------------------------
def data_with_extra_sites(root: Path, work: Path, count: int) -> Path:
    """A copy of the checkout's data package with ``count`` fictional sites, one claim each, built."""
    from geo.places.postcodes import get_directory

    data = work / "data-extra"
    shutil.copytree(root / "data", data, ignore=shutil.ignore_patterns("backups"))
    with (data / "sources.csv").open(encoding="utf-8", newline="") as handle:
        source = next(csv.DictReader(handle))["id"]
    postcodes = get_directory().sample_postcodes(count, seed=19)
    kinds = ["council", "police", "school", "nhs"]
    rows = {
        "sites.csv": [
            {
                "id": f"example-site-{i:06d}",
                "name": f"Example Site {i:06d}",
                "organisation": f"Fictional Authority {i % 400:03d}",
                "kind": kinds[i % len(kinds)],
                "postcode": postcode,
                "precision": "building",
            }
            for i, postcode in enumerate(postcodes)
        ],
        "claims.csv": [
            {
                "id": f"example-claim-{i:06d}",
                "site": f"example-site-{i:06d}",
                "vendor": "hikvision",
                "claim": "Synthetic claim for benchmarking.",
                "grade": "reported",
                "reported": "2024",
                "status": "reported",
            }
            for i in range(count)
        ],
        # The quote's fields (since data 2.1.0) are left out where an older checkout's table has none.
        "claim_sources.csv": [
            {
                "claim": f"example-claim-{i:06d}",
                "source": source,
                "quote": "Synthetic quotation for benchmarking.",
                "checked": "2026-11-30",
                "quote_note": "Synthetic benchmark link: the quotation is not from the source.",
            }
            for i in range(count)
        ],
    }
    for name, new in rows.items():
        with (data / name).open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        with (data / name).open("a", encoding="utf-8", newline="") as handle:
            csv.DictWriter(handle, fieldnames=header, lineterminator="\n", extrasaction="ignore").writerows(new)
    subprocess.run(
        [sys.executable, "-m", "geo", "build", str(data), "--output", str(data / "build" / "sites.geojson")],
        cwd=root,
        env=env_for(),
        check=True,
        capture_output=True,
    )
    return data


def hundred_thousand(root: Path) -> dict:
    """The checkout's own map benchmark at 100,000 sites against the GeoJson canvas baseline."""
    results = root / "bench" / "results" / "map.json"
    kept = results.read_bytes() if results.exists() else None
    try:
        subprocess.run(
            [sys.executable, "bench/map_bench.py", "--sizes", "100000", "--baseline-max", "0"],
            cwd=root,
            env=env_for(),
            check=True,
            capture_output=True,
        )
        row = json.loads(results.read_text(encoding="utf-8"))["results"][0]
    finally:
        if kept is None:
            results.unlink(missing_ok=True)
        else:
            results.write_bytes(kept)
    return {
        **{k: row[k] for k in ("sites", "app_build_s", "geojson_build_s", "app_draw_s", "geojson_draw_s")},
        "build_app_over_baseline": row["app_build_s"] / row["geojson_build_s"],
        "draw_app_over_baseline": row["app_draw_s"] / row["geojson_draw_s"],
    }


# --- report --------------------------------------------------------------------------------------
def _range(values: list[float], unit: str, digits: int = 2) -> str:
    low, high = min(values), max(values)
    text = f"{low:.{digits}f}" if round(low, digits) == round(high, digits) else f"{low:.{digits}f}–{high:.{digits}f}"
    return text + unit


def figures(result: dict) -> list[tuple[str, str, str]]:
    """(figure, measured, goal) rows, in the issue's order."""
    rows = []
    mb = 1e6
    if "app" in result:
        rows.append(
            (
                "the app's map on a cold visit (its page, data, boundaries, Leaflet; not Streamlit's own bundle)",
                f"{result['app']['total_bytes'] / mb:.2f} MB",
                "<= 1.0 MB",
            )
        )
    if "published" in result:
        p = result["published"]
        rows.append(
            (
                "a cold visit to the published `index.html`, everything",
                f"{p['decoded_bytes'] / mb:.2f} MB ({p['wire_bytes'] / mb:.2f} MB compressed)",
                "<= 1.0 MB",
            )
        )
    if "app_10k" in result:
        rows.append(
            (
                f"the app's map with {EXTRA_SITES:,} extra sites, what it loads",
                f"{result['app_10k']['total_bytes'] / mb:.2f} MB",
                "<= 2.5 MB",
            )
        )
    if "cpu" in result:
        c = result["cpu"]
        rows.append(
            (
                f"server CPU per map visit (median of {len(c['cold_s'])} visits; range)",
                f"cold server {statistics.median(c['cold_s']):.2f} s ({_range(c['cold_s'], ' s')}); "
                f"warm server {statistics.median(c['warm_s']):.2f} s ({_range(c['warm_s'], ' s')})",
                "<= 0.7 s",
            )
        )
    for key, name, goal in (
        ("phone_4g", "4G (20 ms, 9 Mbps)", "<= 2.0 s"),
        ("phone_slow_4g", "slow 4G (150 ms, 1.6 Mbps)", "<= 4.0 s"),
    ):
        if key in result:
            t = result[key]["drawn_s"]
            rows.append(
                (
                    f"the published map on a phone, {name}, CPU 4x, until sites and council areas are drawn",
                    f"{statistics.median(t):.2f} s ({_range(t, ' s')})",
                    goal,
                )
            )
    if "100k" in result:
        h = result["100k"]
        rows.append(
            ("100,000 sites, drawn, app ÷ GeoJson canvas baseline", f"{h['draw_app_over_baseline']:.2f}x", "<= 1.0x")
        )
        rows.append(
            ("100,000 sites, built, app ÷ GeoJson canvas baseline", f"{h['build_app_over_baseline']:.2f}x", "<= 1.0x")
        )
    return rows


def markdown(rows) -> str:
    lines = ["| | measured | goal |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


README_START = "<!-- visit_bench: from here to the end marker, written by `python bench/visit_bench.py --readme` -->"
README_END = "<!-- visit_bench: end -->"


def readme_table(runs: list[dict]) -> str:
    """The issue's table, one column per run (its label), from ``visit-<label>.json`` files."""
    columns = [{name: value for name, value, _ in run["table"]} for run in runs]
    goals = {name: goal for run in runs for name, _, goal in run["table"]}
    names = list(dict.fromkeys(name for run in runs for name, _, _ in run["table"]))
    head = "| | " + " | ".join(run["label"] for run in runs) + " | goal |"
    lines = [head, "|---|" + "---|" * (len(runs) + 1)]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(c.get(name, "—") for c in columns) + f" | {goals[name]} |")
    return "\n".join(lines)


def write_readme(labels: list[str]) -> None:
    """Put the table of the named runs into README.md between its markers."""
    runs = [json.loads((HERE / "results" / f"visit-{label}.json").read_text(encoding="utf-8")) for label in labels]
    readme = HERE.parent / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    readme.write_text(text[:start] + "\n" + readme_table(runs) + "\n" + text[end:], encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--readme", nargs="+", metavar="LABEL", help="only write the table of these runs (results files) into README.md"
    )
    parser.add_argument("--root", type=Path, default=HERE.parent, help="the checkout to measure")
    parser.add_argument("--label", default="", help="name of the results file (default: the checkout's commit)")
    parser.add_argument("--visits", type=int, default=5)
    parser.add_argument("--phone-runs", type=int, default=5)
    parser.add_argument("--skip-100k", action="store_true")
    parser.add_argument("--skip-10k", action="store_true")
    parser.add_argument("--only", nargs="*", default=[], help="measure only these: app published 10k cpu phone 100k")
    args = parser.parse_args()
    if args.readme:
        write_readme(args.readme)
        return 0
    root = args.root.resolve()
    from geo import settings

    if not (Path(boundaries_dir()) / settings.BOUNDARIES_FILENAME).is_file():
        parser.error(f"no {settings.BOUNDARIES_FILENAME} in {boundaries_dir()}: set HIKMAP_BOUNDARIES_DIR")
    wanted = set(args.only) or {"app", "published", "10k", "cpu", "phone", "100k"}
    if args.skip_100k:
        wanted.discard("100k")
    if args.skip_10k:
        wanted.discard("10k")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE.parent, capture_output=True, text=True)
    label = args.label or commit.stdout.strip() or "run"

    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="hikmap-visit-"))
    result: dict = {}
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
    try:
        if wanted & {"published", "phone"}:
            subprocess.run(
                [sys.executable, "-m", "geo", "publish", str(work / "site")],
                cwd=root,
                env=env_for(),
                check=True,
                capture_output=True,
            )
            server = GzipServer(work / "site")
            try:
                if "published" in wanted:
                    visit = Visit(browser)
                    visit.open(f"{server.url}/index.html")
                    result["published"] = visit.sizes()
                    visit.close()
                    print("published", result["published"]["decoded_bytes"], flush=True)
                if "phone" in wanted:
                    for key, network in (("phone_4g", NETWORKS["4g"]), ("phone_slow_4g", NETWORKS["slow-4g"])):
                        result[key] = phone(browser, f"{server.url}/index.html", network, args.phone_runs)
                        print(key, result[key]["drawn_s"], flush=True)
            finally:
                server.close()
        if "app" in wanted:
            result["app"] = app_map_bytes(browser, root, work, "shipped")
            print("app", result["app"]["total_bytes"], flush=True)
        if "10k" in wanted:
            data = data_with_extra_sites(root, work, EXTRA_SITES)
            result["app_10k"] = app_map_bytes(browser, root, work, "10k", data_dir=data)
            print("app_10k", result["app_10k"]["total_bytes"], flush=True)
        if "cpu" in wanted:
            result["cpu"] = server_cpu(browser, root, work, args.visits)
            print("cpu", result["cpu"], flush=True)
    finally:
        browser.close()
        playwright.stop()
        shutil.rmtree(work, ignore_errors=True)
    if "100k" in wanted:
        result["100k"] = hundred_thousand(root)
        print("100k", result["100k"], flush=True)

    elapsed = time.perf_counter() - started
    rows = figures(result)
    print()
    print(markdown(rows))
    out = HERE / "results"
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "label": label,
        "root": str(root),
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "nproc": len(os.sched_getaffinity(0)),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "chromium": subprocess.run(["chromium", "--version"], capture_output=True, text=True).stdout.strip(),
        },
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "elapsed_s": round(elapsed, 1),
        "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "table": rows,
        "results": result,
    }
    (out / f"visit-{label}.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"\nWhole run: {elapsed:.0f} s; load average before {load_before}, after {os.getloadavg()}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
