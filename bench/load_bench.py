"""Load benchmark: the live Streamlit app against the published static site, same run, loopback only.

For each level of concurrent visitors (default 1, 10 and 50):

* **app**: ``python -m streamlit run dashboard.py`` on a free 127.0.0.1 port
  (as ``tests/conftest.py``'s ``start_app()``: ``--server.headless true``,
  ``HIKMAP_TILES=none``, ``HIKMAP_BOUNDARIES_DIR``), restarted for every level.
  After each start one unmeasured visit warms it up (its time is reported as
  "cold first visit": it pays for loading the data and building the caches);
  then N browser sessions open ``/`` at once.
* **static**: ``python -m geo publish`` into a temporary folder, served by
  ``python -m http.server --bind 127.0.0.1`` (a subprocess, restarted for every
  level, with the same warm-up visit), and N browser sessions open ``index.html``.

Every session is a fresh Playwright browser context (no cache, no cookies), all
in one headless Debian chromium launched afresh for each level. "Drawn" is from
just before ``page.goto`` (wall clock, in this process) until the moment,
recorded in the page (``Date.now()``, same clock), that ``.leaflet-container``
gets ``data-hikmap-painted="1"`` (``geo/outputs/sitelayer.js`` sets it in the animation
frame after the sites are painted); for the app, in the frame whose URL contains
``streamlit_folium``. A MutationObserver on that document (see ``OBSERVER``)
sees the attribute the moment it is set; Playwright is not polling. A session
that has not drawn within ``--timeout`` seconds of the level's start (or whose page reports
a data error) counts as not finished and is left out of the times; how far it
had got is recorded (``unfinished_stages``).

Per level:

* time to drawn, median and max, of the sessions that finished;
* server CPU seconds per visit: user + system time of the server process and
  its children (``/proc/<pid>/stat``, children reaped included) from after the
  warm-up until every session has drawn (or timed out), a second more, and the
  server is idle (under 5 % of a CPU for half a second; at most 15 s more: once
  drawn, st_folium sends the map's state back and the app may rerun),
  divided by the sessions;
* server peak resident memory: ``VmHWM`` of the server process (it has no
  children), warm-up included;
* bytes per visit: the encoded bodies of every HTTP response the page (all its
  frames) received until a second after it drew (Playwright's
  ``request.sizes()``), plus, for the app, the payload of every WebSocket
  frame received;
* client CPU: this process, the Playwright driver and chromium (all our
  descendants except the server), and what the rest of the machine used at the
  same time (``/proc/stat`` busy time minus ours) -- the browsers share the
  machine's CPUs with the server, and so do other people's jobs.

Then **static throughput**: the files one visit needs (the same-origin
responses of the first measured static visit) fetched in a loop, one after the
other, by N concurrent plain HTTP clients (``urllib`` in threads) for
``--seconds`` each, against a fresh ``http.server``: completed visits per
second, the time per visit (median and max), server CPU per visit, and errors
(a request not answered within ``REQUEST_TIMEOUT_S``; ``http.server`` listens
with a backlog of 5, so under many clients some connections wait for SYN
retries: the kernel's ListenOverflows counter, machine-wide, is recorded). Clients and server are Python on the same CPUs: this is a floor for
what a static host manages, not its limit.

Usage: python bench/load_bench.py [--sessions 1 10 50] [--timeout 180] [--seconds 10]
                                  [--clients N ...] [--skip-app] [--skip-static]
Writes bench/results/load.json and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo import settings  # noqa: E402

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CLK_TCK = os.sysconf("SC_CLK_TCK")
SETTLE_S = 1.0  # after drawing: bytes still arriving are counted, and the server finishes its work
REQUEST_TIMEOUT_S = 10  # throughput: a request not answered within this counts as an error

# Injected into the top frame of every page before its scripts run. It watches the map's
# document (the page itself, or a same-origin frame: checked once per animation frame for a new
# document, then a MutationObserver on it) and reports, once, the wall clock time at which its
# ``.leaflet-container`` is marked painted, or a data error. (An init script alone is not enough
# in the app: the component frame reuses the window of its first about:blank document, so a
# script injected there never sees the component's document.)
OBSERVER = """
(() => {
  if (window !== window.top) { return; }
  const wanted = %s;
  const seen = new WeakSet();
  let reported = false;
  const check = (doc) => {
    if (reported) { return; }
    const c = doc.querySelector('.leaflet-container');
    if (c && (c.dataset.hikmapPainted === '1' || c.dataset.hikmapDataError !== undefined)) {
      reported = true;
      const at = Date.now();
      window.__hikmapBenchDone(at, c.dataset.hikmapDataError === undefined ? '' : String(c.dataset.hikmapDataError || 'error'));
    }
  };
  const watch = (win) => {
    let doc;
    try { doc = win.document; if (!wanted(win)) { return; } } catch (e) { return; }
    if (!doc || seen.has(doc)) { return; }
    seen.add(doc);
    new MutationObserver(() => check(doc)).observe(doc, {subtree: true, childList: true, attributes: true,
                                                         attributeFilter: ['data-hikmap-painted', 'data-hikmap-data-error']});
    check(doc);
  };
  const poll = () => {
    if (reported) { return; }
    watch(window);
    for (let i = 0; i < window.frames.length; i++) { watch(window.frames[i]); }
    requestAnimationFrame(poll);
  };
  poll();
})();
"""
STAGE = """
(() => {
  const wanted = %s;
  if (document.readyState === 'loading') { return 'page still loading'; }
  const wins = [window, ...Array.from({length: window.frames.length}, (_, i) => window.frames[i])];
  let frame = null;
  for (const w of wins) { try { if (wanted(w)) { frame = w; } } catch (e) {} }
  if (!frame) { return 'page loaded, no map frame yet'; }
  const c = frame.document.querySelector('.leaflet-container');
  if (!c) { return 'map frame, no map yet'; }
  return c.dataset.hikmapSites === undefined ? 'map, sites not drawn yet' : 'sites drawn, not yet painted';
})()
"""
APP_FRAME = "(w) => w.location.href.includes('streamlit_folium')"
STATIC_FRAME = "(w) => w === window.top"


# --- processes -----------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from 3 (state) on


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def tree_cpu_s(root: int, exclude: tuple[int, ...] = ()) -> float:
    """User + system CPU seconds of ``root`` and its live descendants, children they reaped included."""
    children = _children()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        if pid in exclude:
            continue
        fields = _stat_fields(pid)
        if fields:
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        stack.extend(children.get(pid, []))
    return total / CLK_TCK


def machine_busy_s() -> float:
    """Busy CPU seconds of the whole machine since boot (all CPUs, /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLK_TCK


def status_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


async def wait_for_idle(pid: int, limit_s: float = 15.0) -> float:
    """Wait until ``pid``'s tree uses under 5 % of a CPU over half a second (at most ``limit_s``); seconds waited."""
    began = time.monotonic()
    before = tree_cpu_s(pid)
    while time.monotonic() - began < limit_s:
        await asyncio.sleep(0.5)
        now = tree_cpu_s(pid)
        if now - before < 0.025:
            break
        before = now
    return time.monotonic() - began


def listen_overflows() -> int:
    """The kernel's count of connections dropped for a full accept queue (TcpExt ListenOverflows, machine-wide)."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split(), values.split()))["ListenOverflows"])
    return -1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(process: subprocess.Popen, url: str, log: Path, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"{what} did not start within 60 s")


def server_env() -> dict:
    return {**os.environ, "HIKMAP_TILES": "none", "HIKMAP_BOUNDARIES_DIR": str(settings.boundaries_dir())}


def start_app(log: Path) -> tuple[subprocess.Popen, str]:
    """As tests/conftest.py's start_app(): its output goes to a file (a pipe nobody reads can fill up)."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboard.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=server_env(),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(process, f"{url}/_stcore/health", log, "the app")
    return process, url


def start_static(site: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(site), str(port)],
        cwd=site,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(process, f"{url}/index.html", log, "http.server")
    return process, url


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- browser sessions ----------------------------------------------------------------------------


class Session:
    """One visitor: a fresh browser context and page, watched for its bytes and errors."""

    def __init__(self, kind: str):
        self.kind = kind
        self.done: asyncio.Future = asyncio.get_running_loop().create_future()
        self.http_bytes = 0
        self.ws_bytes = 0
        self.sized: list[asyncio.Task] = []
        self.responses: list[tuple[str, int, int]] = []  # url, status, body bytes
        self.errors: list[str] = []
        self.context = self.page = None
        self.started = self.drawn_s = self.bytes_at_drawn = self.stage = None

    async def open(self, browser) -> None:
        self.context = await browser.new_context(viewport={"width": 1400, "height": 1000})
        await self.context.expose_binding("__hikmapBenchDone", self._on_done)
        await self.context.add_init_script(OBSERVER % (APP_FRAME if self.kind == "app" else STATIC_FRAME))
        self.page = await self.context.new_page()
        self.page.on("requestfinished", lambda request: self.sized.append(asyncio.ensure_future(self._size(request))))
        self.page.on("requestfailed", lambda request: self.errors.append(f"failed {request.url} {request.failure}"))
        self.page.on("pageerror", lambda error: self.errors.append(f"page error {error}"))
        self.page.on("websocket", self._on_websocket)

    def _on_done(self, source, at_ms, data_error) -> None:
        if not self.done.done():
            self.done.set_result((at_ms / 1000, data_error))

    def _on_websocket(self, ws) -> None:
        def received(payload):
            self.ws_bytes += len(payload.encode() if isinstance(payload, str) else payload)

        ws.on("framereceived", received)

    async def _size(self, request) -> None:
        try:
            sizes = await request.sizes()
            response = await request.response()
        except Exception as error:  # the context may be closing
            self.errors.append(f"sizes {request.url}: {error}")
            return
        body = sizes["responseBodySize"]
        self.http_bytes += body
        self.responses.append((request.url, response.status if response else 0, body))
        if response and response.status >= 400:
            self.errors.append(f"HTTP {response.status} {request.url}")

    async def visit(self, url: str, deadline: float) -> None:
        """Open ``url`` and wait (until ``deadline``, monotonic) for the map to be drawn."""
        self.started = time.time()
        try:
            await self.page.goto(url, wait_until="commit", timeout=max(1.0, deadline - time.monotonic()) * 1000)
            at, data_error = await asyncio.wait_for(asyncio.shield(self.done), max(0.0, deadline - time.monotonic()))
        except (TimeoutError, Exception) as error:
            if not isinstance(error, asyncio.TimeoutError) and "Timeout" not in type(error).__name__:
                self.errors.append(f"goto: {error}")
            else:
                self.errors.append("not drawn before the level's time limit")
                self.stage = await self._stage()
            return
        if data_error:
            self.errors.append(f"data error in the page: {data_error}")
            return
        self.drawn_s = at - self.started
        await asyncio.sleep(SETTLE_S)
        await asyncio.gather(*self.sized, return_exceptions=True)
        self.bytes_at_drawn = self.http_bytes + self.ws_bytes

    async def _stage(self) -> str:
        """How far a session that timed out had got."""
        try:
            return await asyncio.wait_for(
                self.page.evaluate(STAGE % (APP_FRAME if self.kind == "app" else STATIC_FRAME)), 15
            )
        except Exception as error:
            return f"unknown ({type(error).__name__})"

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.context.close()


async def one_visit(browser, kind: str, url: str, timeout: float) -> Session:
    session = Session(kind)
    await session.open(browser)
    await session.visit(url, time.monotonic() + timeout)
    await session.close()
    return session


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "max": max(values), "min": min(values)} if values else {}


async def run_level(
    playwright, executable: str, kind: str, n: int, timeout: float, site: Path | None, work: Path
) -> tuple[dict, Session | None]:
    log = work / f"{kind}-{n}.log"
    process, base = start_app(log) if kind == "app" else start_static(site, log)
    url = f"{base}/" if kind == "app" else f"{base}/index.html"
    browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    row: dict = {"setup": kind, "sessions": n}
    sessions: list[Session] = []
    try:
        rss_started_kb = status_kb(process.pid, "VmRSS")
        warm = await one_visit(browser, kind, url, timeout)
        row["cold_first_visit_s"] = warm.drawn_s
        row["warmup_errors"] = warm.errors[:5]
        rss_warm_kb = status_kb(process.pid, "VmRSS")

        sessions = [Session(kind) for _ in range(n)]
        await asyncio.gather(*(s.open(browser) for s in sessions))
        me = os.getpid()
        server0, client0, busy0 = tree_cpu_s(process.pid), tree_cpu_s(me, exclude=(process.pid,)), machine_busy_s()
        started = time.monotonic()
        await asyncio.gather(*(s.visit(url, started + timeout) for s in sessions))
        wall = time.monotonic() - started
        settle = await wait_for_idle(process.pid)
        server1, client1, busy1 = tree_cpu_s(process.pid), tree_cpu_s(me, exclude=(process.pid,)), machine_busy_s()
        drawn = [s.drawn_s for s in sessions if s.drawn_s is not None]
        visit_bytes = [s.bytes_at_drawn for s in sessions if s.bytes_at_drawn is not None]
        server_cpu = server1 - server0
        row.update(
            {
                "finished": len(drawn),
                "not_finished": n - len(drawn),
                "drawn_s": summary(drawn),
                "level_wall_s": wall,
                "server_idle_after_s": settle,
                "server_cpu_s": server_cpu,
                "server_cpu_s_per_visit": server_cpu / n,
                "server_rss_started_mb": rss_started_kb / 1024 if rss_started_kb else None,
                "server_rss_after_warmup_mb": rss_warm_kb / 1024 if rss_warm_kb else None,
                "server_rss_end_mb": (status_kb(process.pid, "VmRSS") or 0) / 1024,
                "server_peak_rss_mb": (status_kb(process.pid, "VmHWM") or 0) / 1024,
                "bytes_per_visit": summary(visit_bytes),
                "ws_bytes_per_visit": summary([s.ws_bytes for s in sessions if s.bytes_at_drawn is not None]),
                "client_cpu_s": client1 - client0,
                "other_cpu_s": (busy1 - busy0) - server_cpu - (client1 - client0),
                "machine_cpu_capacity_s": wall * len(os.sched_getaffinity(0)),
                "errors": sorted({e for s in sessions for e in s.errors})[:20],
                "sessions_with_errors": sum(1 for s in sessions if s.errors),
                "unfinished_with_websocket_data": sum(1 for s in sessions if s.drawn_s is None and s.ws_bytes),
                "unfinished_stages": {
                    stage: sum(1 for s in sessions if s.stage == stage)
                    for stage in sorted({s.stage for s in sessions if s.stage})
                },
            }
        )
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        await browser.close()
        stop(process)
    first = next((s for s in sessions if s.drawn_s is not None), None)
    return row, first


# --- raw throughput ------------------------------------------------------------------------------


def throughput(site: Path, paths: list[str], clients: int, seconds: float, work: Path) -> dict:
    process, base = start_static(site, work / f"throughput-{clients}.log")
    urls = [base + p for p in paths]
    lock = threading.Lock()
    stats = {"visits_in_time": 0, "visits": 0, "bytes_in_time": 0, "requests_in_time": 0, "errors": []}
    visit_times: list[float] = []
    start = threading.Event()
    deadline = [0.0]

    def client():
        start.wait()
        while time.monotonic() < deadline[0]:
            began, got = time.monotonic(), 0
            try:
                for url in urls:
                    with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT_S) as response:
                        while chunk := response.read(65536):
                            got += len(chunk)
            except OSError as error:
                with lock:
                    stats["errors"].append(str(error))
                continue
            ended = time.monotonic()
            with lock:
                stats["visits"] += 1
                if ended <= deadline[0]:
                    stats["visits_in_time"] += 1
                    stats["bytes_in_time"] += got
                    stats["requests_in_time"] += len(urls)
                    visit_times.append(ended - began)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    me = os.getpid()
    server0, client0, busy0 = tree_cpu_s(process.pid), tree_cpu_s(me, exclude=(process.pid,)), machine_busy_s()
    overflows0 = listen_overflows()
    began = time.monotonic()
    deadline[0] = began + seconds
    start.set()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    ended = time.monotonic()
    server1, client1, busy1 = tree_cpu_s(process.pid), tree_cpu_s(me, exclude=(process.pid,)), machine_busy_s()
    peak = status_kb(process.pid, "VmHWM")
    overflows = listen_overflows() - overflows0
    stop(process)
    server_cpu = server1 - server0
    return {
        "clients": clients,
        "seconds": seconds,
        "files_per_visit": len(urls),
        "visits": stats["visits_in_time"],
        "visits_per_s": stats["visits_in_time"] / seconds,
        "requests_per_s": stats["requests_in_time"] / seconds,
        "mb_per_s": stats["bytes_in_time"] / seconds / 1e6,
        "visit_s": summary(visit_times),
        "server_cpu_s": server_cpu,
        "server_cpu_ms_per_visit": 1000 * server_cpu / stats["visits"] if stats["visits"] else None,
        "server_peak_rss_mb": peak / 1024 if peak else None,
        "client_cpu_s": client1 - client0,
        "other_cpu_s": (busy1 - busy0) - server_cpu - (client1 - client0),
        "wall_s": ended - began,
        "errors": len(stats["errors"]),
        "error_examples": sorted(set(stats["errors"]))[:5],
        "listen_overflows": overflows,
    }


def visit_file_sizes(site: Path, paths: list[str]) -> dict:
    """The files of one static visit on disk, and what they would weigh gzipped (level 6) by a host that compresses."""
    import gzip

    files = [site / urllib.request.url2pathname(p.split("?", 1)[0].lstrip("/")) for p in paths]
    raw = sum(f.stat().st_size for f in files)
    squeezed = sum(min(f.stat().st_size, len(gzip.compress(f.read_bytes(), 6))) for f in files)
    return {
        "files": len(files),
        "bytes": raw,
        "gzip_bytes": squeezed,
        "note": "python -m http.server does not compress; the app's server (Tornado) gzips its responses",
    }


# --- report --------------------------------------------------------------------------------------


def _s(value) -> str:
    return "—" if value is None else (f"{value:.2f} s" if value < 10 else f"{value:.1f} s")


def _mb(value) -> str:
    return "—" if value is None else f"{value / 1e6:.2f} MB"


def tables(levels: list[dict], rates: list[dict]) -> str:
    lines = [
        "| setup | sessions | drawn | time to drawn, median | max | cold first visit "
        "| server CPU per visit | server peak RSS | bytes per visit | client CPU | others' CPU |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in levels:
        d = r.get("drawn_s", {})
        lines.append(
            f"| {r['setup']} | {r['sessions']} | {r.get('finished', 0)}/{r['sessions']} | {_s(d.get('median'))} "
            f"| {_s(d.get('max'))} | {_s(r.get('cold_first_visit_s'))} | {1000 * r['server_cpu_s_per_visit']:.0f} ms"
            f"{' (partial)' if r.get('not_finished') else ''} "
            f"| {r['server_peak_rss_mb']:.0f} MB | {_mb(r['bytes_per_visit'].get('median'))} "
            f"| {r['client_cpu_s']:.0f} s | {max(0.0, r['other_cpu_s']):.0f} s |"
        )
    if rates:
        lines += [
            "",
            "| static, plain HTTP clients | visits/s | MB/s | visit time, median | max "
            "| server CPU per visit | errors |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for t in rates:
            v = t["visit_s"]
            cpu = t["server_cpu_ms_per_visit"]
            lines.append(
                f"| {t['clients']} | {t['visits_per_s']:.1f} | {t['mb_per_s']:.0f} | {_s(v.get('median'))} "
                f"| {_s(v.get('max'))} | {'—' if cpu is None else f'{cpu:.0f} ms'} | {t['errors']} |"
            )
    return "\n".join(lines)


async def browser_levels(args, executable: str, site: Path | None, work: Path) -> tuple[list[dict], list[str]]:
    from playwright.async_api import async_playwright

    levels, paths = [], []
    async with async_playwright() as playwright:
        for kind in [k for k in ("app", "static") if not getattr(args, f"skip_{k}")]:
            for n in args.sessions:
                print(f"{kind}: {n} sessions …", flush=True)
                row, first = await run_level(playwright, executable, kind, n, args.timeout, site, work)
                if kind == "static" and first and not paths:
                    base = first.page.url.rsplit("/", 1)[0]
                    paths = sorted(
                        {
                            u[len(base) :]
                            for u, status, _ in first.responses
                            if u.startswith(base + "/") and status == 200
                        }
                    )
                    row["visit_files"] = paths
                levels.append(row)
                print(json.dumps({k: v for k, v in row.items() if k != "visit_files"}), flush=True)
    return levels, paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per level for every session to draw")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per throughput level")
    parser.add_argument("--clients", type=int, nargs="+", help="throughput clients (default: --sessions)")
    parser.add_argument("--skip-app", action="store_true")
    parser.add_argument("--skip-static", action="store_true")
    args = parser.parse_args()

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        print("Debian's chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    chromium = subprocess.run([executable, "--version"], capture_output=True, text=True).stdout.strip()
    began = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="hikmap-load-"))
    loadavg_before = os.getloadavg()
    try:
        site = None
        if not args.skip_static:
            publish = subprocess.run(
                [sys.executable, "-m", "geo", "publish", str(work / "site")],
                cwd=ROOT,
                env=server_env(),
                capture_output=True,
                text=True,
                check=True,
            )
            print(publish.stdout.strip() or publish.stderr.strip(), flush=True)
            site = (work / "site").resolve()
        levels, paths = asyncio.run(browser_levels(args, executable, site, work))
        rates, visit_files = [], None
        if site and paths:
            visit_files = visit_file_sizes(site, paths)
            print(json.dumps(visit_files), flush=True)
            for clients in args.clients or args.sessions:
                print(f"static throughput: {clients} clients …", flush=True)
                rates.append(throughput(site, paths, clients, args.seconds, work))
                print(json.dumps(rates[-1]), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    elapsed = time.perf_counter() - began

    report = {
        "machine": {
            "nproc": len(os.sched_getaffinity(0)),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "chromium": chromium,
            "memory_gb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
            "loadavg_before": loadavg_before,
            "loadavg_after": os.getloadavg(),
            "note": "client (chromium, Playwright) and server share the machine's CPUs, "
            "and so do other people's jobs (others' CPU)",
        },
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "elapsed_s": round(elapsed, 1),
        "timeout_s": args.timeout,
        "levels": levels,
        "static_visit_files": visit_files,
        "throughput": rates,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "load.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print()
    print(tables(levels, rates))
    if visit_files:
        print(
            f"\nstatic visit: {visit_files['files']} files, {visit_files['bytes'] / 1e6:.2f} MB as served "
            f"(uncompressed), {visit_files['gzip_bytes'] / 1e6:.2f} MB if gzipped by the host"
        )
    print(
        f"\n{chromium}; nproc {report['machine']['nproc']}; load average before "
        f"{loadavg_before[0]:.1f}, after {report['machine']['loadavg_after'][0]:.1f}. Whole run: {elapsed:.0f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
