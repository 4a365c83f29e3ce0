"""Boundary polygons: the pinned ONS reference file, its layers in WGS84, and files for the browser.

The boundaries (districts, counties, regions, nations, the UK outline) come
from a local copy of the pinned ONS TopoJSON (``python -m geo
fetch-boundaries`` downloads it, checked by SHA-256), always returned in
WGS84 (EPSG:4326). :func:`area_extents` gives the box of every council,
region and nation (:func:`geo.places.frames.place_frames` frames the places a
filter names with them).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from geo import settings
from geo.atomic import write_bytes_atomically

# The TopoJSON carries some districts under codes the postcode directory no
# longer uses (see ../shared/geo/README.md): recode to the current ones.
DISTRICT_RECODES = {
    "S12000046": "S12000049",  # Glasgow City
    "S12000044": "S12000050",  # North Lanarkshire
    "E08000016": "E08000038",  # Barnsley (hex cartogram vintage 2023)
    "E08000019": "E08000039",  # Sheffield (hex cartogram vintage 2023)
}


BOUNDARY_LAYERS = ("uk", "ctry", "rgn", "cty", "cauth", "ltla")


# --- Boundaries -----------------------------------------------------------------
class BoundariesUnavailable(RuntimeError):
    """The boundary file is missing or does not match its pinned checksum.

    ``str(error)`` says what and where, with the server's paths: for the log and
    the command line. :attr:`public` says what is missing in words, for a page.
    """

    public = "The council and region boundaries are not installed on this server."

    def __init__(self, message: str, public: str = "") -> None:
        super().__init__(message)
        if public:
            self.public = public


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def boundaries_file() -> Path:
    """The local boundary file, checked against its pinned SHA-256.

    Raises :class:`BoundariesUnavailable` saying what is missing and how to get it.
    """
    path = settings.boundaries_dir() / settings.BOUNDARIES_FILENAME
    if not path.is_file():
        raise BoundariesUnavailable(
            f"boundary file {path} is missing: run `python -m geo fetch-boundaries` "
            "(or set HIKMAP_BOUNDARIES_DIR to a folder holding ons-uk-topo.json)"
        )
    actual = sha256_of(path)
    if actual != settings.BOUNDARIES_SHA256:
        raise BoundariesUnavailable(
            f"boundary file {path} has SHA-256 {actual}, expected {settings.BOUNDARIES_SHA256}",
            public="The boundary file on this server is not the pinned version, so it is not used.",
        )
    return path


def _download(reference: settings.ReferenceFile, timeout: float) -> bytes:
    """The bytes of one pinned reference file, or :class:`BoundariesUnavailable` in one line."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(reference.url, timeout=timeout) as response:
            data = response.read()
    except urllib.error.HTTPError as error:
        raise BoundariesUnavailable(
            f"cannot download {reference.filename}: {reference.url} answered HTTP {error.code}"
        ) from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise BoundariesUnavailable(f"cannot download {reference.filename} (offline?): {reason}") from error
    actual = hashlib.sha256(data).hexdigest()
    if actual != reference.sha256:
        raise BoundariesUnavailable(
            f"downloaded {reference.filename} has SHA-256 {actual}, expected {reference.sha256}; not saved"
        )
    return data


def fetch_boundaries(timeout: float = 60.0) -> Path:
    """Download the pinned reference files (:data:`geo.settings.REFERENCE_FILES`) into the cache.

    Files already there with the right SHA-256 are kept. Each file is written
    whole or not at all, and a cache folder this call created is removed again
    if nothing could be saved. Returns the boundary file; raises
    :class:`BoundariesUnavailable` with a one-line reason (offline, HTTP
    error, wrong checksum).
    """
    target_dir = settings.boundaries_dir()
    created = not target_dir.exists()
    try:
        for reference in settings.REFERENCE_FILES:
            path = target_dir / reference.filename
            if path.is_file() and sha256_of(path) == reference.sha256:
                continue
            write_bytes_atomically(path, _download(reference, timeout))
    except BaseException:
        if created and target_dir.is_dir() and not any(target_dir.iterdir()):
            target_dir.rmdir()
        raise
    return boundaries_file()


@lru_cache(maxsize=len(BOUNDARY_LAYERS))
def load_boundaries(layer: str):
    """One boundary layer as a GeoDataFrame in EPSG:4326 with ``code`` and ``name`` columns.

    ``layer`` is ``uk``, ``ctry`` (nations), ``rgn`` (regions), ``cty`` (counties),
    ``cauth`` (combined authorities) or ``ltla``
    (current districts, recoded to today's codes). Invalid polygons are repaired.
    """
    import geopandas as gpd
    import shapely

    if layer not in BOUNDARY_LAYERS:
        raise ValueError(f"unknown boundary layer {layer!r}; expected one of {BOUNDARY_LAYERS}")
    frame = gpd.read_file(boundaries_file(), layer=layer)
    # GDAL reads no CRS from TopoJSON; the file is lon/lat WGS84.
    frame = frame.set_crs("EPSG:4326", allow_override=True)
    if "end" in frame.columns:
        frame = frame[frame["end"].isna()]
    frame = frame.rename(columns={"areacd": "code", "areanm": "name"})[["code", "name", "geometry"]]
    frame["code"] = frame["code"].replace(DISTRICT_RECODES)
    frame["geometry"] = [_polygonal(g) for g in shapely.make_valid(frame.geometry.values)]
    return frame.reset_index(drop=True)


Extent = tuple[float, float, float, float]  # south, west, north, east (degrees, EPSG:4326)


@lru_cache(maxsize=1)
def area_extents() -> dict[str, Extent]:
    """The bounding box of every current council (by GSS code), region and nation (by name).

    For framing the map on what a filter names (:mod:`geo.places.frames`). Raises
    :class:`BoundariesUnavailable` when the boundary file is missing.
    """
    extents: dict[str, Extent] = {}
    for layer, key in (("ltla", "code"), ("cty", "code"), ("rgn", "name"), ("ctry", "name")):
        frame = load_boundaries(layer)
        for name, (west, south, east, north) in zip(frame[key], frame.geometry.bounds.itertuples(index=False)):
            extents[name] = (float(south), float(west), float(north), float(east))
    return extents


def _polygonal(geometry):
    """The polygons of a repaired geometry (make_valid can leave stray lines or points)."""
    import shapely

    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)
