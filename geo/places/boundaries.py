"""Boundary polygons: the pinned ONS reference file, its layers in WGS84, and the topology for the browser.

The boundaries (districts, counties, regions, nations, the UK outline) come
from a local copy of the pinned ONS TopoJSON (``python -m geo
fetch-boundaries`` downloads it, checked by SHA-256), always returned in
WGS84 (EPSG:4326). :func:`area_extents` gives the box of every council,
region and nation (:func:`geo.places.frames.place_frames` frames the places a
filter names with them). :func:`browser_topology` is what
the map draws: the current districts as one small quantised topology whose
shared edges are stored once, from which the browser also meshes the
regions' lines and the coast (``topojson.mesh``).
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


# --- The topology for the browser --------------------------------------------------------
# The source is already generalised for a UK-wide map. Simplification tolerance in degrees (about
# 200 m east-west and 330 m north-south: under 4 px up to zoom 10, where a council fills the map)
# and the quantisation step, a tenth of that. Every district keeps its area within a few per cent
# and its centroid within about 150 m (tests/test_boundaries.py).
BROWSER_TOLERANCE = 0.003
BROWSER_PRECISION = 0.0003


def _decoded_arcs(topology: dict) -> list:
    """The topology's arcs as arrays of absolute lon/lat points."""
    import numpy as np

    scale = np.array(topology["transform"]["scale"], dtype=float)
    translate = np.array(topology["transform"]["translate"], dtype=float)
    return [np.cumsum(np.array(arc, dtype=float), axis=0) * scale + translate for arc in topology["arcs"]]


def _arc_indices(arcs) -> list[int]:
    """Every arc index in a geometry's nested ``arcs`` (``~i`` is arc ``i`` reversed)."""
    if isinstance(arcs, int):
        return [arcs if arcs >= 0 else ~arcs]
    return [i for part in arcs for i in _arc_indices(part)]


def _renumber(arcs, new_index: dict[int, int]):
    if isinstance(arcs, int):
        return new_index[arcs] if arcs >= 0 else ~new_index[~arcs]
    return [_renumber(part, new_index) for part in arcs]


def browser_topology(tolerance: float = BROWSER_TOLERANCE, precision: float = BROWSER_PRECISION) -> dict:
    """The current districts (and the county names) as one TopoJSON topology for the map.

    Objects: ``districts`` (the 361 current districts, recoded to today's
    codes, with ``code``, ``name`` and ``region`` from the district table) and
    ``counties`` (current county names and codes, no geometry: the map names
    the county council above a district). The districts' arcs are the ONS
    file's own, so an edge two districts share is one arc: simplified once
    (GEOS's topology-preserving simplifier over all arcs together, ends
    fixed), so neighbours never part or overlap, and quantised to
    ``precision`` degrees, delta-encoded. Regions and the UK outline are not
    shipped: the browser meshes their lines from the same arcs. Raises
    :class:`BoundariesUnavailable` when the boundary file is missing.
    """
    import json

    import numpy as np
    import shapely

    from geo.places.districts import districts_by_code

    source = json.loads(boundaries_file().read_text(encoding="utf-8"))
    regions = {code: d.region for code, d in districts_by_code().items()}
    districts = [g for g in source["objects"]["ltla"]["geometries"] if not g["properties"].get("end")]
    used = sorted({i for g in districts for i in _arc_indices(g["arcs"])})
    new_index = {old: new for new, old in enumerate(used)}
    points = _decoded_arcs(source)
    lines = shapely.simplify(
        shapely.multilinestrings([shapely.linestrings(points[i]) for i in used]), tolerance, preserve_topology=True
    )
    simplified = [shapely.get_coordinates(part) for part in shapely.get_parts(lines)]
    if len(simplified) != len(used):
        raise RuntimeError(f"simplifying {len(used)} arcs gave {len(simplified)}")
    origin = np.min([c.min(axis=0) for c in simplified], axis=0)
    arcs = []
    for coords in simplified:
        grid = np.rint((coords - origin) / precision).astype(np.int64)
        keep = np.ones(len(grid), dtype=bool)
        keep[1:] = np.any(grid[1:] != grid[:-1], axis=1)  # a step quantised to nothing is dropped
        grid = grid[keep]
        if len(grid) == 1:  # an arc shorter than one step keeps its two ends (now the same point)
            grid = np.vstack([grid, grid])
        deltas = np.vstack([grid[:1], np.diff(grid, axis=0)])
        arcs.append(deltas.tolist())

    # A ring quantised to fewer than four points (a speck of an island or a hole) encloses nothing
    # at this precision: it is left out, and so is a polygon whose outer ring is.
    def ring_kept(ring: list[int]) -> bool:
        return sum(len(arcs[i if i >= 0 else ~i]) - 1 for i in ring) + 1 >= 4

    def polygon_kept(rings: list[list[int]]) -> list[list[int]]:
        return [r for r in rings if ring_kept(r)] if ring_kept(rings[0]) else []

    geometries = []
    for g in sorted(districts, key=lambda g: g["properties"]["areacd"]):
        code = DISTRICT_RECODES.get(g["properties"]["areacd"], g["properties"]["areacd"])
        polygons = _renumber(g["arcs"], new_index)
        if g["type"] == "Polygon":
            polygons = [polygons]
        polygons = [kept for kept in map(polygon_kept, polygons) if kept]
        if not polygons:
            raise RuntimeError(f"district {code} vanishes at precision {precision}")
        geometries.append(
            {
                "type": "Polygon" if len(polygons) == 1 else "MultiPolygon",
                "arcs": polygons[0] if len(polygons) == 1 else polygons,
                "properties": {"code": code, "name": g["properties"]["areanm"], "region": regions.get(code, "")},
            }
        )
    # Arcs only the left-out specks used are not shipped.
    kept = sorted({i for g in geometries for i in _arc_indices(g["arcs"])})
    final_index = {old: new for new, old in enumerate(kept)}
    for g in geometries:
        g["arcs"] = _renumber(g["arcs"], final_index)
    arcs = [arcs[i] for i in kept]
    counties = [
        {"type": None, "properties": {"code": g["properties"]["areacd"], "name": g["properties"]["areanm"]}}
        for g in source["objects"]["cty"]["geometries"]
        if not g["properties"].get("end")
    ]
    return {
        "type": "Topology",
        "transform": {"scale": [precision, precision], "translate": [round(float(v), 6) for v in origin]},
        "objects": {
            "districts": {"type": "GeometryCollection", "geometries": geometries},
            "counties": {"type": "GeometryCollection", "geometries": counties},
        },
        "arcs": arcs,
    }


def topology_features(topology: dict, name: str) -> list[tuple[dict, object]]:
    """(properties, shapely geometry in lon/lat) of each geometry of one object of a topology.

    A small decoder for checks in Python; the browser decodes with topojson-client.
    """
    import shapely

    arcs = _decoded_arcs(topology)

    def ring(indices: list[int]):
        points = []
        for k, i in enumerate(indices):
            part = arcs[i] if i >= 0 else arcs[~i][::-1]
            points.extend(part.tolist()[1 if k else 0 :])
        return points

    def polygon(rings: list[list[int]]):
        return shapely.Polygon(ring(rings[0]), [ring(r) for r in rings[1:]])

    found = []
    for g in topology["objects"][name]["geometries"]:
        if g["type"] == "Polygon":
            shape = polygon(g["arcs"])
        elif g["type"] == "MultiPolygon":
            shape = shapely.MultiPolygon([polygon(p) for p in g["arcs"]])
        else:
            shape = None
        found.append((g["properties"], shape))
    return found


def _polygonal(geometry):
    """The polygons of a repaired geometry (make_valid can leave stray lines or points)."""
    import shapely

    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)
