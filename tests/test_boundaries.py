"""The boundary topology the map draws: no district lost or moved, shared edges stored once, and
topojson-client served byte for byte from its pinned npm package.

Areas and distances are compared in British National Grid (metres). The
tolerances say what "not moved" means at the map's scale: each district keeps
its area within 5 % (2 % for 95 % of them) and its centroid within 200 m of the ONS
original; the regions drawn from the districts' arcs keep theirs within 1 %.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geo.places.boundaries import _arc_indices, _polygonal, browser_topology, load_boundaries, topology_features

ROOT = Path(__file__).resolve().parent.parent
BNG = "EPSG:27700"


@pytest.fixture(scope="module")
def topology():
    return browser_topology()


def _frame(features) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame([p for p, _ in features], geometry=[g for _, g in features], crs="EPSG:4326").to_crs(BNG)
    frame["geometry"] = [_polygonal(g) for g in shapely.make_valid(frame.geometry.values)]
    return frame.set_index("code")


@pytest.mark.boundaries
def test_every_district_keeps_its_area_and_place(topology):
    original = load_boundaries("ltla").to_crs(BNG).set_index("code")
    drawn = _frame(topology_features(topology, "districts"))
    assert sorted(drawn.index) == sorted(original.index) and len(drawn) == 361
    assert (drawn["name"] == original["name"].reindex(drawn.index)).all()
    change = (drawn.area / original.area.reindex(drawn.index) - 1).abs()
    moved = drawn.centroid.distance(original.centroid.reindex(drawn.index))
    assert change.max() < 0.05, change.sort_values().tail(3)
    assert (change < 0.02).mean() > 0.95, change.sort_values().tail(10)
    assert moved.max() < 200, moved.sort_values().tail(3)


@pytest.mark.boundaries
def test_regions_drawn_from_the_districts_match_the_ons_regions(topology):
    """The map merges the districts by region in the browser: the same merge here, against ONS's own regions."""
    drawn = _frame(topology_features(topology, "districts"))
    merged = drawn.dissolve(by="region")
    regions = load_boundaries("rgn").to_crs(BNG).set_index("name")
    assert sorted(merged.index) == sorted(regions.index)
    change = (merged.area / regions.area.reindex(merged.index) - 1).abs()
    assert change.max() < 0.01, change


@pytest.mark.boundaries
def test_shared_edges_are_one_arc_and_every_arc_is_used(topology):
    uses = Counter(i for g in topology["objects"]["districts"]["geometries"] for i in _arc_indices(g["arcs"]))
    assert set(uses) == set(range(len(topology["arcs"])))  # nothing shipped that nothing draws
    assert max(uses.values()) == 2  # an edge is shared by at most two districts
    assert sum(1 for n in uses.values() if n == 2) > 700  # and most inland edges are
    # Quantised and delta-encoded: integers only.
    assert all(isinstance(v, int) for arc in topology["arcs"] for point in arc for v in point)
    counties = {g["properties"]["code"]: g["properties"]["name"] for g in topology["objects"]["counties"]["geometries"]}
    assert counties and all(re.fullmatch(r"E10\d{6}", code) for code in counties)


@pytest.mark.boundaries
def test_the_topology_is_a_fraction_of_the_geojson_it_replaces(topology):
    # The districts alone as GeoJSON were 1.28 MB, with regions, UK outline and counties 2.58 MB.
    assert len(json.dumps(topology, separators=(",", ":"))) < 450_000


def test_topojson_client_is_the_pinned_npm_package_byte_for_byte():
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    version = package["dependencies"]["topojson-client"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)  # pinned exactly
    assert lock["packages"]["node_modules/topojson-client"]["version"] == version
    shipped = (ROOT / "geo" / "outputs" / "npm" / "topojson-client.min.js").read_bytes()
    installed = ROOT / "node_modules" / "topojson-client" / "dist" / "topojson-client.min.js"
    assert installed.is_file(), "run `npm ci` (scripts/test does)"
    assert shipped == installed.read_bytes()
    assert f"v{version} ".encode() in shipped.splitlines()[0]
    licence = (ROOT / "geo" / "outputs" / "npm" / "topojson-client.LICENSE").read_bytes()
    assert licence == (ROOT / "node_modules" / "topojson-client" / "LICENSE").read_bytes()
