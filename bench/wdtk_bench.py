"""Benchmark: ``python -m geo wdtk pull`` of 10,000 requests from the local stand-in, against a plain loop of GETs.

    .venv/bin/python bench/wdtk_bench.py [--requests 10000] [--runs 2]

The stand-in of WhatDoTheyKnow (tests/wdtk_standin.py; fictional requests in
every state, spread over real councils' WhatDoTheyKnow numbers and fictional
other bodies) serves ``--requests`` requests on loopback. In the same run, each
measurement in a fresh Python process (so that memory peaks do not mix):

* floor: a plain loop of ``requests`` GETs of the same documents the pull needs
  (every page of the search feed until one is empty, then each request's JSON),
  parsing each answer, and nothing else: no cache, no pause, no retry, no state,
  no matching, no writing. No pull can ask for less;
* pull: :func:`geo.foi.wdtk.pull.pull` into a fresh scratch copy of ``data/``
  with an empty cache folder (delay 0): the same GETs through the HTTP cache
  and the retry wrapper, the progress kept in SQLite after every page and
  request, matching, and the atomic apply (check and build of the package);
* pull again: the same pull once more, nothing new (every answer still fresh
  in the HTTP cache).

Reported: wall time (median of ``--runs``), the peak resident set of the
process (VmHWM, Linux), GETs answered by the site, and the pull's ratios to the
floor (above 1: the pull costs more). Writes ``bench/results/wdtk.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
for path in (PROJECT, PROJECT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

RESULTS = PROJECT / "bench" / "results" / "wdtk.json"


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_floor(url: str) -> dict:
    import requests

    session = requests.Session()
    started = time.perf_counter()
    gets, titles, page = 0, [], 1
    while True:
        response = session.get(
            f"{url}/feed/search/hikvision%20OR%20dahua.json", params={"page": page} if page > 1 else None
        )
        gets += 1
        events = response.json()
        if not events:
            break
        titles += [e["info_request"]["url_title"] for e in events]
        page += 1
    for title in dict.fromkeys(titles):
        session.get(f"{url}/request/{title}.json").json()
        gets += 1
    return {"seconds": time.perf_counter() - started, "gets": gets, "requests": len(set(titles))}


def child_pull(url: str, data: str, cache: str) -> dict:
    from geo.foi.wdtk.client import Client
    from geo.foi.wdtk.pull import pull
    from geo.foi.wdtk.state import State

    started = time.perf_counter()
    client = Client(base=url, cache_dir=Path(cache), delay=0, timeout=30)
    state = State(Path(cache) / "state.sqlite")
    report = pull(Path(data), client, state)
    state.close()
    client.close()
    return {
        "seconds": time.perf_counter() - started,
        "gets": report.network_calls,
        "cached": report.cached_calls,
        "requests": report.found,
        "new": report.new,
        "written": report.written,
        "errors": report.errors,
    }


def measure(mode: str, *args: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HIKMAP_CONTACT": os.environ.get("HIKMAP_CONTACT", "benchmark@example.org")},
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def fake_site(count: int):
    import csv
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per GET otherwise

    from wdtk_standin import body, many_requests, serve

    with (PROJECT / "data" / "authorities.csv").open(encoding="utf-8") as handle:
        councils = [r for r in csv.DictReader(handle) if r["current"] == "true" and r["wdtk_id"]][:200]
    bodies = [body(int(r["wdtk_id"]), r["name"], [["local_council", None]]) for r in councils]
    bodies += [body(9_000_000 + n, f"Fictional Body {n} Police", [["police", None]]) for n in range(50)]
    return serve(many_requests(count, bodies), memo=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        result = child_floor(*options.args) if options.child == "floor" else child_pull(*options.args)
        result["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return 0

    server, _site, url = fake_site(options.requests)
    results: dict[str, list[dict]] = {"floor": [], "pull": [], "pull again": []}
    try:
        for run in range(options.runs):
            with tempfile.TemporaryDirectory(prefix="wdtk-bench-") as scratch:
                data = Path(scratch) / "data"
                shutil.copytree(PROJECT / "data", data, ignore=shutil.ignore_patterns("backups"))
                cache = Path(scratch) / "cache"
                results["floor"].append(measure("floor", url))
                results["pull"].append(measure("pull", url, str(data), str(cache)))
                results["pull again"].append(measure("pull", url, str(data), str(cache)))
            print(
                f"run {run + 1}: " + ", ".join(f"{k} {v[-1]['seconds']:.1f} s" for k, v in results.items()),
                file=sys.stderr,
            )
    finally:
        server.stop()
    floor_s = statistics.median(r["seconds"] for r in results["floor"])
    floor_mb = statistics.median(r["peak_rss_mb"] for r in results["floor"])
    summary = {}
    print(f"{options.requests:,} requests; {options.runs} run(s); median wall time; peak RSS (VmHWM)")
    print(f"{'':12} {'time':>9} {'÷ floor':>8} {'peak RSS':>10} {'÷ floor':>8} {'GETs':>7}")
    for name, runs in results.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        memory = statistics.median(r["peak_rss_mb"] for r in runs)
        gets = runs[-1]["gets"]
        # Each run's ratio to the floor measured beside it (the machine's load moves both together).
        ratios = [r["seconds"] / f["seconds"] for r, f in zip(runs, results["floor"])]
        summary[name] = {"seconds": seconds, "peak_rss_mb": memory, "gets": gets, "ratios": ratios, "runs": runs}
        print(
            f"{name:12} {seconds:8.1f}s {seconds / floor_s:7.2f}x {memory:8.0f}MB {memory / floor_mb:7.2f}x {gets:7,}"
            f"   per run: {', '.join(f'{x:.2f}x' for x in ratios)}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "requests": options.requests,
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "results": summary,
            },
            indent=1,
        )
    )
    for name in ("pull", "pull again"):
        errors = results[name][-1].get("errors")
        if errors:
            print(f"{name}: errors: {errors[:3]}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
