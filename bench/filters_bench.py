"""Benchmark: applying the filters (geo/filters.py apply_filters) against the version before the specification.

    .venv/bin/python bench/filters_bench.py [--sizes 1000 10000 100000] [--runs 5] [--baseline-rev 9e7f232]

The filters became one specification read by the app and the published copy
(issue 20). Their selection changed in two places that cost time: free text
is folded by Unicode's full upper-case mapping in Python (the published
copy's ``toUpperCase``) instead of pandas' Arrow ``str.contains(case=False)``,
and site and claim ids are tested with a Python set instead of pandas'
``isin``, which makes a pyarrow scalar per value on Arrow strings.

Both versions run in the same process, side by side: the new
``geo.filters.apply_filters`` and the baseline, ``geo/filters.py`` as it was
at ``--baseline-rev`` (``git show``; by default the commit before the
specification), each on the same synthetic tables (``bench/map_bench.py``'s
``synthetic``: fictional names at real postcodes, one claim per site, the
real vocabulary) and the same filters, alternately, ``--runs`` times; the
median is reported, and the ratio baseline ÷ new (above 1: the new one is
faster). Both must select the same sites and claims (the text filters here
are ASCII, which both versions fold alike); any disagreement fails the run.

Prints a table and writes JSON to ``bench/results/filters.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from map_bench import synthetic  # noqa: E402

from geo import filters as new  # noqa: E402
from geo.evidence.vocabulary import load_vocabulary  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "filters.json"


def baseline_module(rev: str):
    """geo/filters.py as it was at ``rev``, imported under another name."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:geo/filters.py"], capture_output=True, text=True, check=True
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location("baseline_filters", handle.name)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    os.unlink(handle.name)
    return module


def cases(sites) -> dict[str, dict]:
    """Filters by name, with values the synthetic tables hold."""
    council = next(code for codes in sites["area_codes"] for code in codes)
    return {
        "none": {},
        "region": {"regions": ("London",)},
        "kind": {"kinds": ("council",)},
        "council": {"councils": (council,)},
        "vendor+grade": {"vendors": ("hikvision",), "grades": ("official",)},
        "dates": {"date_from": "2023-06-01", "date_to": "2024-06-30"},
        "text, few hits": {"text": "example site 0001"},
        "text, every site": {"text": "fictional"},
        "text + region": {"text": "synthetic", "regions": ("Wales",)},
    }


def timed(module, sites, claims, values: dict):
    """Seconds to apply ``values`` with ``module``'s filters, and the selection."""
    chosen = module.Filters(**values)
    start = time.perf_counter()
    result = module.apply_filters(sites, claims, chosen)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-rev", default="9e7f232")
    args = parser.parse_args()
    old = baseline_module(args.baseline_rev)
    vocabulary = load_vocabulary()
    rows = []
    for size in args.sizes:
        sites, claims = synthetic(size, vocabulary)
        for name, values in cases(sites).items():
            times: dict[str, list[float]] = {"baseline": [], "new": []}
            for _ in range(args.runs):
                spent_old, chosen_old = timed(old, sites, claims, values)
                spent_new, chosen_new = timed(new, sites, claims, values)
                times["baseline"].append(spent_old)
                times["new"].append(spent_new)
            same = list(chosen_old.sites["id"]) == list(chosen_new.sites["id"]) and list(
                chosen_old.claims["id"]
            ) == list(chosen_new.claims["id"])
            if not same:
                raise SystemExit(f"{size} sites, {name}: the baseline and the new filters select differently")
            baseline, fresh = statistics.median(times["baseline"]), statistics.median(times["new"])
            rows.append(
                {
                    "sites": len(sites),
                    "filters": name,
                    "selected": len(chosen_new.sites),
                    "baseline_s": baseline,
                    "new_s": fresh,
                    "ratio": baseline / fresh,
                    "runs": args.runs,
                }
            )
            print(
                f"{len(sites):>7,} {name:<18} {len(chosen_new.sites):>7,} selected  "
                f"baseline {baseline:8.4f} s  new {fresh:8.4f} s  baseline ÷ new {baseline / fresh:6.2f}x",
                flush=True,
            )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "machine": {"nproc": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
                "baseline_rev": args.baseline_rev,
                "rows": rows,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
