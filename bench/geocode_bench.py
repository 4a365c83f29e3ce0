"""Benchmark: offline postcode geocoding (geo/postcodes.py) against a naive baseline.

    .venv/bin/python bench/geocode_bench.py [--count 100000] [--baseline-count 300]

Geocodes ``--count`` real postcodes sampled from the ONS Postcode Directory
(``sample_postcodes(count, seed=1)``; every third one respelt in lower case
without its space) and compares, in the same run, with a naive baseline that
keeps the directory in a pandas DataFrame and filters it once per postcode.
The baseline is timed on the first ``--baseline-count`` inputs only and its
per-postcode cost extrapolated to ``--count`` (the output says so).

Each measurement runs in a fresh Python subprocess so that memory peaks
(VmHWM, the high-water resident set) do not mix: directory load, batch geocoding, one-by-one
geocoding and the baseline. The fast path and the baseline must agree on the
baseline's inputs (plus a few error cases); any disagreement fails the run.

Prints a table and writes JSON to ``bench/results/geocode.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

RESULTS = PROJECT / "bench" / "results" / "geocode.json"
# Compared between the fast path and the baseline on top of the sampled inputs.
ERROR_CASES = ["ZZ9 9ZZ", "PA23 9AA", "JE1 0BD", "IM1 1AA", "hello", "SW1H-9NA", "bt15gs"]


def _proc_status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    Linux's VmHWM, not ``ru_maxrss``: the latter survives fork and exec, so a
    worker started from this (big) parent would report the parent's peak.
    """
    hwm = _proc_status_mb("VmHWM")
    if hwm is not None:
        return hwm
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024  # macOS: bytes; Linux: KiB


def rss_mb() -> float:
    """Resident memory now, in MB (Linux only; NaN elsewhere)."""
    now = _proc_status_mb("VmRSS")
    return now if now is not None else float("nan")


def as_record(result) -> dict:
    from geo.postcodes import PostcodeError

    if isinstance(result, PostcodeError):
        return {"error": result.reason}
    return result.to_dict()


# --- Workers: each runs alone in a fresh subprocess -----------------------------------
def worker_load(inputs: dict) -> dict:
    import geo.postcodes as postcodes

    baseline_mb = peak_rss_mb()
    start = time.perf_counter()
    directory = postcodes.PostcodeDirectory.load()
    seconds = time.perf_counter() - start
    gc.collect()
    return {
        "seconds": seconds, "postcodes": len(directory), "rss_after_imports_mb": baseline_mb,
        "rss_after_load_mb": rss_mb(), "peak_rss_mb": peak_rss_mb(),
    }


def worker_batch(inputs: dict) -> dict:
    """All inputs in one lookup_many call, three times; then its allocations under tracemalloc."""
    import tracemalloc

    import geo.postcodes as postcodes

    raws = inputs["raws"]
    directory = postcodes.PostcodeDirectory.load()
    after_load_mb = peak_rss_mb()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        results = directory.lookup_many(raws)
        times.append(time.perf_counter() - start)
    errors = sum(1 for r in results if isinstance(r, postcodes.PostcodeError))
    peak_mb = peak_rss_mb()
    tracemalloc.start()
    directory.lookup_many(raws)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    subset = raws[: inputs["baseline_count"]] + ERROR_CASES
    return {
        "times": times,
        "errors": errors,
        "peak_rss_after_load_mb": after_load_mb,
        "peak_rss_mb": peak_mb,
        "tracemalloc_peak_mb": traced_peak / 2**20,
        "subset_results": [as_record(r) for r in directory.lookup_many(subset)],
    }


def worker_single(inputs: dict) -> dict:
    """One lookup() call per postcode, as a caller with one address at a time would."""
    import geo.postcodes as postcodes

    raws = inputs["raws"][: inputs["single_count"]]
    directory = postcodes.PostcodeDirectory.load()
    start = time.perf_counter()
    for raw in raws:
        try:
            directory.lookup(raw)
        except postcodes.PostcodeError:
            pass
    seconds = time.perf_counter() - start
    return {"count": len(raws), "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def naive_frame():
    """The directory as one pandas DataFrame, read from the same package files."""
    import brotli
    import msgpack
    import pandas as pd

    from geo.postcodes import _package_dir

    frames = []
    for path in sorted(_package_dir().glob("postcodes_*.msgpack.br")):
        table = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
        frames.append(pd.DataFrame({k: table[k] for k in ("pcd", "oseast1m", "osnrth1m", "laua")}))
    return pd.concat(frames, ignore_index=True)


def naive_lookup(frame, districts: dict, raw: str):
    """Geocode one postcode by filtering the whole DataFrame (the baseline)."""
    import geo.postcodes as postcodes

    try:
        postcode = postcodes.normalise_postcode(raw)
    except postcodes.PostcodeError as error:
        return error
    key = postcodes._directory_key(postcode).decode("ascii")
    rows = frame[frame["pcd"] == key]
    if rows.empty:
        return postcodes.PostcodeError(postcode, "unknown postcode: not in the ONS Postcode Directory")
    row = rows.iloc[0]
    code = row["laua"] if isinstance(row["laua"], str) else ""
    if code in postcodes._NON_UK_DISTRICTS:
        return postcodes.PostcodeError(postcode, f"outside the UK: in {postcodes._NON_UK_DISTRICTS[code]}")
    if math.isnan(row["oseast1m"]) or not code:
        return postcodes.PostcodeError(postcode, "terminated or unlocated postcode: the directory gives no location")
    district = districts.get(code)
    if district is None:
        return postcodes.PostcodeError(postcode, f"district {code} is not one of the current UK districts")
    transformer = postcodes._NI_TO_WGS84 if key.startswith("BT") else postcodes._GB_TO_WGS84
    lon, lat = transformer.transform(float(row["oseast1m"]), float(row["osnrth1m"]))
    return postcodes.Location(
        postcode=postcode, lat=round(float(lat), 6), lon=round(float(lon), 6),
        lad_code=district.lad_code, lad_name=district.lad_name, region=district.region, nation=district.nation,
    )


def worker_baseline(inputs: dict) -> dict:
    from geo.areas import districts_by_code

    raws = inputs["raws"][: inputs["baseline_count"]]
    districts = districts_by_code()
    start = time.perf_counter()
    frame = naive_frame()
    load_seconds = time.perf_counter() - start
    start = time.perf_counter()
    results = [naive_lookup(frame, districts, raw) for raw in raws]
    seconds = time.perf_counter() - start
    results += [naive_lookup(frame, districts, raw) for raw in ERROR_CASES]  # not timed
    return {
        "count": len(raws),
        "seconds": seconds,
        "load_seconds": load_seconds,
        "peak_rss_mb": peak_rss_mb(),
        "subset_results": [as_record(r) for r in results],
    }


WORKERS = {"load": worker_load, "batch": worker_batch, "single": worker_single, "baseline": worker_baseline}


def run_worker(name: str, inputs_path: Path) -> dict:
    """Run one worker in a fresh interpreter and return what it measured."""
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", name, "--inputs", str(inputs_path)],
        cwd=PROJECT, capture_output=True, text=True, check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"worker {name} failed:\n{completed.stderr}")
    return json.loads(completed.stdout)


# --- Inputs ------------------------------------------------------------------------------
def make_inputs(count: int, seed: int) -> tuple[list[str], int]:
    """``count`` sampled postcodes, every third respelt; and how many the first sample gave."""
    from geo.postcodes import get_directory

    directory = get_directory()
    postcodes = directory.sample_postcodes(count, seed=seed)
    first_sample = len(postcodes)
    extra_seed = seed + 1000
    # sample_postcodes can return a few fewer than asked (it drops old-style codes): top up.
    while len(postcodes) < count:
        postcodes += directory.sample_postcodes(count - len(postcodes), seed=extra_seed)
        extra_seed += 1
    raws = [p.lower().replace(" ", "") if i % 3 == 0 else p for i, p in enumerate(postcodes[:count])]
    return raws, first_sample


def compare(fast: list[dict], naive: list[dict]) -> list[str]:
    """Differences between the two answers, one line each (empty when they agree)."""
    differences = []
    for i, (a, b) in enumerate(zip(fast, naive)):
        if a.keys() != b.keys():
            differences.append(f"#{i}: {a} != {b}")
            continue
        for key in a:
            same = math.isclose(a[key], b[key], abs_tol=1e-6) if key in ("lat", "lon") else a[key] == b[key]
            if not same:
                differences.append(f"#{i} {key}: {a[key]!r} != {b[key]!r}")
    if len(fast) != len(naive):
        differences.append(f"{len(fast)} fast results but {len(naive)} baseline results")
    return differences


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--baseline-count", type=int, default=300)
    parser.add_argument("--single-count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--inputs", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        inputs = json.loads(args.inputs.read_text(encoding="utf-8"))
        json.dump(WORKERS[args.worker](inputs), sys.stdout)
        return 0

    raws, first_sample = make_inputs(args.count, args.seed)
    respelt = sum(1 for r in raws if " " not in r)
    with tempfile.TemporaryDirectory() as tmp:
        inputs_path = Path(tmp) / "inputs.json"
        inputs_path.write_text(json.dumps({
            "raws": raws, "baseline_count": args.baseline_count, "single_count": args.single_count,
        }), encoding="utf-8")
        load = run_worker("load", inputs_path)
        batch = run_worker("batch", inputs_path)
        single = run_worker("single", inputs_path)
        baseline = run_worker("baseline", inputs_path)

    differences = compare(batch.pop("subset_results"), baseline.pop("subset_results"))
    n = len(raws)
    batch_seconds = statistics.median(batch["times"])
    batch_per = batch_seconds / n
    single_per = single["seconds"] / single["count"]
    baseline_per = baseline["seconds"] / baseline["count"]
    report = {
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
        },
        "inputs": {
            "count": n, "seed": args.seed, "respelt_lowercase_no_space": respelt,
            "sample_postcodes_returned": first_sample,
            "note": "every third postcode respelt in lower case without its space",
        },
        "load": load,
        "batch": {**batch, "median_seconds": batch_seconds, "postcodes_per_second": n / batch_seconds},
        "single": {**single, "postcodes_per_second": 1 / single_per, "extrapolated_seconds": single_per * n},
        "baseline": {**baseline, "postcodes_per_second": 1 / baseline_per, "extrapolated_seconds": baseline_per * n},
        "speedup_batch_vs_baseline": baseline_per / batch_per,
        "speedup_single_vs_baseline": baseline_per / single_per,
        "agreement": {"compared": args.baseline_count + len(ERROR_CASES), "differences": differences},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_report(report)
    if differences:
        print("\nDISAGREEMENT between fast path and baseline:\n  " + "\n  ".join(differences[:20]), file=sys.stderr)
        return 1
    return 0


def print_report(r: dict) -> None:
    n = r["inputs"]["count"]
    print(f"Geocoding {n:,} postcodes sampled from the ONS Postcode Directory (seed {r['inputs']['seed']}; "
          f"{r['inputs']['respelt_lowercase_no_space']:,} respelt lower case without a space)")
    if r["inputs"]["sample_postcodes_returned"] != n:
        print(f"  note: sample_postcodes({n}) returned {r['inputs']['sample_postcodes_returned']:,}; topped up from another seed")
    print(f"Python {r['machine']['python']} on {r['machine']['platform']}, {r['machine']['cpus']} CPUs\n")
    load = r["load"]
    print(f"Directory load: {load['seconds']:.2f} s for {load['postcodes']:,} postcodes; "
          f"peak RSS {load['peak_rss_mb']:.0f} MB, {load['rss_after_load_mb']:.0f} MB once loaded "
          f"({load['rss_after_imports_mb']:.0f} MB after imports)\n")
    rows = [
        ("fast: one lookup_many() call", f"{n:,}", r["batch"]["postcodes_per_second"], r["batch"]["median_seconds"], "measured (median of 3)", r["batch"]["peak_rss_mb"]),
        ("fast: one lookup() per postcode", f"{r['single']['count']:,}", r["single"]["postcodes_per_second"], r["single"]["extrapolated_seconds"], "extrapolated", r["single"]["peak_rss_mb"]),
        ("baseline: pandas filter per postcode", f"{r['baseline']['count']:,}", r["baseline"]["postcodes_per_second"], r["baseline"]["extrapolated_seconds"], "extrapolated", r["baseline"]["peak_rss_mb"]),
    ]
    header = ("method", "timed on", "postcodes/s", f"time for {n:,}", "", "peak RSS")
    print(f"{header[0]:<38} {header[1]:>9} {header[2]:>12} {header[3]:>16}  {header[4]:<22} {header[5]:>9}")
    for name, timed, rate, seconds, how, rss in rows:
        print(f"{name:<38} {timed:>9} {rate:>12,.0f} {seconds:>14.2f} s  {how:<22} {rss:>6.0f} MB")
    print(f"\nSpeed-up vs baseline: {r['speedup_batch_vs_baseline']:,.0f}x (batch), {r['speedup_single_vs_baseline']:,.0f}x (one by one)")
    print(f"Batch call's own allocations (tracemalloc peak): {r['batch']['tracemalloc_peak_mb']:.0f} MB; "
          f"baseline DataFrame built in {r['baseline']['load_seconds']:.2f} s")
    agreement = r["agreement"]
    verdict = "agree" if not agreement["differences"] else f"DISAGREE on {len(agreement['differences'])}"
    print(f"Correctness: fast path and baseline {verdict} on {agreement['compared']} postcodes "
          f"({agreement['compared'] - len(ERROR_CASES)} sampled + {len(ERROR_CASES)} error cases)")
    print(f"Batch run: {r['batch']['errors']} of {n:,} inputs gave an error")


if __name__ == "__main__":
    sys.exit(main())
