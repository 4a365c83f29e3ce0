"""Shared fixtures: a running app for browser tests, and a real Chromium.

Browser tests run the real app (``streamlit run dashboard.py``) on a free
localhost port with no map tiles and the reference files from
``HIKMAP_BOUNDARIES_DIR`` (scripts/test points it at ../shared/geo when that is
there, or fetches the pinned files into the cache), and drive Debian's
chromium through Playwright.

Tests marked ``boundaries`` need those reference files; when they cannot be
had (a public clone offline), they are skipped with one reason.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from geo import settings

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"


def _missing_reference_files() -> str:
    """Why the pinned reference files are not usable here, or "" when they are."""
    from geo.places.boundaries import BoundariesUnavailable, boundaries_file

    try:
        boundaries_file()
    except BoundariesUnavailable as error:
        return str(error)
    missing = [r.filename for r in settings.REFERENCE_FILES if not (settings.boundaries_dir() / r.filename).is_file()]
    return (
        f"{', '.join(missing)} missing from {settings.boundaries_dir()}: run `python -m geo fetch-boundaries`"
        if missing
        else ""
    )


def pytest_collection_modifyitems(config, items):
    reason = _missing_reference_files()
    if not reason:
        return
    skip = pytest.mark.skip(reason=f"reference files not available: {reason}")
    for item in items:
        if "boundaries" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(data_dir: Path | None = None, extra_env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """Start the app on a free port; return the process and its base URL once it answers."""
    port = _free_port()
    env = {
        **os.environ,
        "HIKMAP_TILES": "none",
        "HIKMAP_BOUNDARIES_DIR": str(settings.boundaries_dir()),
        **(extra_env or {}),
    }
    if data_dir is not None:
        env["HIKMAP_DATA_DIR"] = str(data_dir)
    # The app's output goes to a file, never to a pipe nobody reads: a full pipe would
    # block the server mid-run and every later test on it would time out.
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"app-{port}.log"
    with log.open("wb") as output:
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
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited ({log}): {log.read_text(errors='replace')[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"app did not start within 60 s; its output: {log}")


def scratch_data(folder: Path, sites: list[dict] = (), claims: list[dict] = (), descriptor=None) -> Path:
    """A copy of data/ under ``folder`` with extra (fictional) sites and claims, rebuilt.

    Rows are dicts by column name (missing columns are empty); a claim's
    ``sources`` (a list of ids) become rows of ``claim_sources.csv``, each with
    a fictional quote, a checked date and a note that says the quote is fictional.
    ``descriptor``, if given, changes the copy's ``datapackage.json`` (a dict) in place first.
    """
    import json

    data = folder / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("backups"))
    if descriptor is not None:
        described = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
        descriptor(described)
        (data / "datapackage.json").write_text(json.dumps(described, indent=2) + "\n", encoding="utf-8")
    links = [
        {
            "claim": c["id"],
            "source": s,
            "quote": "Fictional test quote.",
            "checked": "2026-11-30",
            "quote_note": "Fictional test link: the quote is not from the source.",
        }
        for c in claims
        for s in c.get("sources", [])
    ]
    for name, rows in (
        ("sites.csv", sites),
        ("claims.csv", [{k: v for k, v in c.items() if k != "sources"} for c in claims]),
        ("claim_sources.csv", links),
    ):
        with (data / name).open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        with (data / name).open("a", encoding="utf-8", newline="") as handle:
            csv.DictWriter(handle, fieldnames=header, lineterminator="\n").writerows(rows)
    subprocess.run(
        [sys.executable, "-m", "geo", "build", str(data), "--output", str(data / "build" / "sites.geojson")],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return data


def stop_app(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def app_url():
    process, url = start_app()
    yield url
    stop_app(process)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: scripts/test installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


PROBE_404 = re.compile(r"^http://127\.0\.0\.1:\d+/[a-z]+/_stcore/(health|host-config)$")


class PageWatch:
    """A browser page that records console errors and every request leaving localhost."""

    def __init__(self, page):
        self.page = page
        self.console_errors: list[str] = []
        self.external_requests: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on("request", self._on_request)
        self.failures: list[tuple[int, str]] = []
        page.on("response", lambda r: r.status >= 400 and self.failures.append((r.status, r.url)))

    def assert_clean(self) -> None:
        """No external request, no failed response and no console error.

        One exception: opened at a page's own path (``/sources``), Streamlit's
        client first probes ``/sources/_stcore/health`` and ``host-config``
        for a base path and gets 404s (and their console lines) before it finds
        the server's root. Those probes are allowed; nothing else is.
        """
        assert self.external_requests == []
        unexpected = [f for f in self.failures if not (f[0] == 404 and PROBE_404.match(f[1]))]
        assert unexpected == []
        probe_lines = [e for e in self.console_errors if e.startswith("Failed to load resource") and "404" in e]
        assert [e for e in self.console_errors if e not in probe_lines] == []
        assert len(probe_lines) <= len(self.failures)

    def _on_request(self, request) -> None:
        url = request.url
        if not url.startswith(("http://127.0.0.1", "http://localhost", "data:", "blob:", "about:")):
            self.external_requests.append(url)


@pytest.fixture
def watched_page(chromium, request):
    """A fresh page (desktop size) with console and request watching."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    watch = PageWatch(page)
    yield watch
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    except Exception as error:  # a screenshot is a debugging aid; the test result stands on its own
        print(f"screenshot failed: {error}")
    context.close()


def map_frame(page, timeout_s: float = 30.0, min_sites: int | None = None, sites: int | None = None):
    """The streamlit-folium frame whose map has drawn its sites (and councils, if any).

    ``min_sites`` or ``sites`` wait for at least, or exactly, that many sites
    (the frame redraws after each Streamlit rerun).
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "streamlit_folium" not in frame.url:
                continue
            try:
                state = frame.evaluate(
                    "() => { const c = document.querySelector('.leaflet-container');"
                    " return c ? JSON.parse(JSON.stringify(c.dataset)) : null }"
                )
            except Exception:  # the frame may be reloading between Streamlit reruns
                state = None
            if (
                state
                and "hikmapSites" in state
                and (min_sites is None or int(state["hikmapSites"]) >= min_sites)
                and (sites is None or int(state["hikmapSites"]) == sites)
            ) and {"hikmapDistricts", "hikmapBoundaryError", "hikmapBoundaries"} & set(state):
                return frame, state
        # Not time.sleep: Playwright's sync API only notices new frames while it runs.
        page.wait_for_timeout(250)
    raise AssertionError("the map did not draw within the time limit")


def serve_folder(root: Path):
    """A static file server for ``root`` on a free localhost port (quiet); returns it and its base URL."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="session")
def published_url(tmp_path_factory):
    """The shipped data published with no tiles (``python -m geo publish``), served from a folder path."""
    from geo.evidence.dataset import load_dataset
    from geo.outputs.publish import site as publishing

    root = tmp_path_factory.mktemp("published-host")
    publishing.publish(root / "map", load_dataset(), tiles=settings.TILE_SOURCES["none"])
    server, base = serve_folder(root)
    yield f"{base}/map"
    server.shutdown()


def on_land(colour: str, opacity: float) -> str:
    """A council area's fill as the map draws it with no tiles: ``colour`` at ``opacity`` over the land, opaque."""
    over, under = bytes.fromhex(colour[1:]), bytes.fromhex(settings.CHROME["land"][1:])
    return "#" + "".join(f"{int(a * opacity + b * (1 - opacity) + 0.5):02X}" for a, b in zip(over, under))


def wait_for_text(page, text: str, timeout_s: float = 30.0) -> None:
    # The first match that is shown: text inside a closed expander is on the page but hidden.
    page.get_by_text(text, exact=False).filter(visible=True).first.wait_for(timeout=timeout_s * 1000)


def wait_until_drawn(page, heading: str) -> None:
    """Streamlit streams elements in and reruns: wait for the heading, an idle script and a page that stays still."""
    wait_for_text(page, heading, timeout_s=60)
    wait_until_still(page)


def wait_until_still(page) -> None:
    """An idle script and a page whose elements stay the same for a second (they fade in as they arrive)."""
    idle = page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')
    idle.wait_for(timeout=60_000)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    last, still = None, 0
    for _ in range(120):
        count = page.evaluate("() => document.querySelectorAll('[data-testid=\"stElementContainer\"]').length")
        still = still + 1 if count == last else 0
        if still >= 4:
            break
        last = count
        page.wait_for_timeout(250)
    idle.wait_for(timeout=60_000)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """After a failing run, the end of each app server's output (CI shows nothing else of it)."""
    if exitstatus == 0:
        return
    for log in sorted(ARTIFACTS.glob("app-*.log")):
        text = log.read_text(errors="replace")
        terminalreporter.write_sep("-", f"{log.name} ({len(text)} characters), last lines")
        terminalreporter.write_line("\n".join(text.splitlines()[-40:]))


def pytest_sessionstart(session):
    """Each run's app logs only (earlier runs' would mislead the summary above)."""
    for log in ARTIFACTS.glob("app-*.log"):
        log.unlink()
