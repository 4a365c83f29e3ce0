"""Profile: where the app's server spends its CPU on one map visit, by part.

Starts the app (``streamlit run dashboard.py`` of ``--root``, as the tests
do: no tiles, the reference files from ``HIKMAP_BOUNDARIES_DIR``) with a
sampling profiler inside the server: a thread that every ``--interval`` ms
reads the stack of every other thread (``sys._current_frames``) and finds the
first part (below) that stack passes through, innermost first. Each thread's CPU time since the previous sample (``/proc/self/task/<id>/schedstat``,
in nanoseconds) goes to the part its stack is in now, so a thread that waits
or queues for a CPU counts nothing. One warm-up visit, then ``--visits``
visits, each in a fresh browser context, are sampled; the result is CPU
milliseconds per visit by part (C code and other processes such as child
processes are not seen; the server has none). A sampler: small parts are noisy.

Parts: compressing responses (``gzip``/``zlib``), serving files (tornado's
and Streamlit's static handlers: Streamlit 1.67 serves through starlette and
uvicorn, whose file sending shows under Streamlit's event loop and "other"
instead), building the map (``folium``/``branca``/``jinja2``, and
``streamlit_folium`` turning it into the component's arguments), the map's
data and boundaries (``geo/outputs/files.py``, ``mapview.map_data``), caching
(Streamlit's ``cache_data`` hashing and pickling), Streamlit's watching of
the source files (``streamlit/watcher``), the rest of the page script
(``pages/``, ``ui/``, ``geo/``), Streamlit itself (sending, session and
websocket work), and anything else.

Usage: python bench/profile_visit.py [--root DIR] [--visits 5] [--interval 2]
Writes bench/results/profile-<label>.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from load_bench import free_port, stop, wait_until_up  # noqa: E402
from visit_bench import CHROMIUM_ARGS, Visit, env_for  # noqa: E402

# Runs inside the server: start the sampler, then Streamlit's own command line.
SAMPLER = r"""
import collections, json, os, signal, sys, threading, time
INTERVAL = float(os.environ["HIKMAP_PROFILE_INTERVAL"]) / 1000
OUT = os.environ["HIKMAP_PROFILE_OUT"]
PARTS = [
    ("compressing responses", ("/gzip.py", "zlib")),
    ("serving files", ("tornado/web.py:StaticFileHandler", "streamlit/web/server/app_static_file_handler.py",
                       "streamlit/web/server/component_request_handler.py", "streamlit/web/server/routes.py")),
    ("the map's data and boundaries", ("geo/outputs/files.py", "geo/places/boundaries.py", "mapview.py:map_data")),
    ("building the map (folium, streamlit-folium)", ("/folium/", "/branca/", "/jinja2/", "/streamlit_folium/",
                                                      "geo/outputs/mapview.py")),
    ("caching (hashing, pickling)", ("streamlit/runtime/caching/",)),
    ("watching the source files for changes", ("streamlit/watcher/",)),
    ("the rest of the page script", ("/pages/", "/ui/", "/geo/", "dashboard.py")),
    ("Streamlit (session, messages, websocket)", ("/streamlit/", "/tornado/")),
]
counts = collections.Counter()
details = collections.Counter()
active = threading.Event()
def part_of(frame):
    f = frame
    while f is not None:
        where = f.f_code.co_filename + ":" + f.f_code.co_name
        for name, marks in PARTS:
            if any(m in where for m in marks):
                return name
        f = f.f_back
    return "other"
def cpu_ns(native_id):
    # The kernel's count of the time this thread has run on a CPU, in nanoseconds.
    try:
        with open(f"/proc/self/task/{native_id}/schedstat") as handle:
            return int(handle.read().split()[0])
    except (OSError, ValueError, TypeError):
        return None
def sample():
    me = threading.get_ident()
    before = {}
    while True:
        time.sleep(INTERVAL)
        natives = {t.ident: t.native_id for t in threading.enumerate()}
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            now = cpu_ns(natives.get(ident))
            if now is None:
                continue
            used, before[ident] = now - before.get(ident, now), now
            if not active.is_set() or used <= 0:
                continue
            # The CPU time a thread used since the last sample goes to where its stack is now.
            name = part_of(frame)
            counts[name] += used
            outer = frame
            while outer is not None and "/lib/python3" in outer.f_code.co_filename and "site-packages" not in outer.f_code.co_filename:
                outer = outer.f_back
            key = name + " | " + frame.f_code.co_filename.rsplit("/", 2)[-1] + ":" + frame.f_code.co_name
            if outer is not None:
                key += " < " + outer.f_code.co_filename.split("site-packages/")[-1] + ":" + outer.f_code.co_name
            details[key] += used
def toggle(signum, _frame):
    if signum == signal.SIGUSR1:
        counts.clear(); details.clear(); active.set()
    else:
        active.clear()
        with open(OUT, "w") as handle:
            json.dump({"parts": dict(counts), "detail": dict(details.most_common(40))}, handle)
signal.signal(signal.SIGUSR1, toggle)
signal.signal(signal.SIGUSR2, toggle)
threading.Thread(target=sample, daemon=True).start()
from streamlit.web.cli import main
sys.argv = ["streamlit"] + sys.argv[1:]
main()
"""


def main() -> int:
    import signal

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=HERE.parent)
    parser.add_argument("--label", default="")
    parser.add_argument("--visits", type=int, default=5)
    parser.add_argument("--interval", type=float, default=2.0, help="sampling interval, ms")
    args = parser.parse_args()
    root = args.root.resolve()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE.parent, capture_output=True, text=True)
    label = args.label or commit.stdout.strip() or "run"
    work = Path(tempfile.mkdtemp(prefix="hikmap-profile-"))
    out = work / "samples.json"
    port = free_port()
    env = env_for({"HIKMAP_PROFILE_INTERVAL": str(args.interval), "HIKMAP_PROFILE_OUT": str(out)})
    command = [sys.executable, "-c", SAMPLER, "run", str(root / "dashboard.py"), "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    log = work / "app.log"
    process = subprocess.Popen(command, cwd=root, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
    try:
        wait_until_up(process, f"{url}/_stcore/health", log, "the app")
        warm = Visit(browser)
        warm.open(url, in_frames=True, timeout_s=300)
        warm.close()
        time.sleep(2)
        process.send_signal(signal.SIGUSR1)
        for _ in range(args.visits):
            visit = Visit(browser)
            visit.open(url, in_frames=True, timeout_s=300)
            time.sleep(2)  # the map's state comes back and the page reruns
            visit.close()
        process.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 10
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        sampled = json.loads(out.read_text())
        counts, detail = sampled["parts"], sampled["detail"]
    finally:
        browser.close()
        playwright.stop()
        stop(process)
        shutil.rmtree(work, ignore_errors=True)
    per_visit = {k: v / 1e6 / args.visits for k, v in sorted(counts.items(), key=lambda kv: -kv[1])}
    total = sum(per_visit.values())
    print("| part | ms per visit | share |\n|---|---:|---:|")
    for name, ms in per_visit.items():
        print(f"| {name} | {ms:.0f} | {ms / total:.0%} |")
    print(f"| all sampled | {total:.0f} | |")
    print("\nWhere, most sampled first (ms per visit):")
    for where, n in detail.items():
        print(f"{n / 1e6 / args.visits:7.0f}  {where}")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"profile-{label}.json").write_text(
        json.dumps(
            {
                "label": label,
                "root": str(root),
                "visits": args.visits,
                "interval_ms": args.interval,
                "load_average": os.getloadavg(),
                "ms_per_visit": per_visit,
                "detail_ms_per_visit": {k: v / 1e6 / args.visits for k, v in detail.items()},
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
