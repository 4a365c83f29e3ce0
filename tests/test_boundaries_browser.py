"""The boundary topology in a real browser: decoded by topojson-client as the map decodes it, and
drawn offline with no tiles (council areas, the regions' lines and the coast from one file)."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from conftest import PageWatch

from geo.places.boundaries import _polygonal, load_boundaries

pytestmark = [pytest.mark.browser, pytest.mark.boundaries]
BNG = "EPSG:27700"


def offline_page(chromium):
    """A page that can reach only this machine: anything else is refused, as with no network."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    watch = PageWatch(page)
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1") else route.abort(),
    )
    return context, page, watch


def test_the_map_draws_offline_without_tiles(published_url, chromium):
    context, page, watch = offline_page(chromium)
    page.goto(f"{published_url}/index.html")
    page.wait_for_function(
        "() => document.querySelector('.leaflet-container').dataset.hikmapPainted === '1'", timeout=30_000
    )
    state = page.evaluate("() => Object.assign({}, document.querySelector('.leaflet-container').dataset)")
    assert state["hikmapDistricts"] == "361" and "hikmapBoundaryError" not in state
    assert page.locator("path.hikmap-district").count() == 361
    # The regions' lines (where the region changes, and the coast: the UK's outline), meshed from the same arcs.
    assert page.locator("path.hikmap-region").count() == 1
    assert page.evaluate("() => document.querySelector('path.hikmap-region').getAttribute('d').length") > 10_000
    # With no tiles the land is the districts' own fill (their colour mixed with the land's): no extra layer.
    assert page.locator("path.hikmap-district[fill-opacity='1']").count() == 361
    assert page.locator(".leaflet-tile").count() == 0
    assert watch.external_requests == [] and watch.console_errors == [] and watch.failures == []
    context.close()


def test_topojson_client_decodes_every_district_where_ons_has_it(published_url, chromium):
    context, page, _ = offline_page(chromium)
    page.goto(f"{published_url}/index.html")
    page.wait_for_function("() => typeof topojson === 'object'", timeout=30_000)
    features = page.evaluate(
        """async () => {
          const config = JSON.parse(document.getElementById('hikmap-page').textContent);
          const topology = await (await fetch(config.layouts.geo.layer.boundaries.topology)).json();
          return topojson.feature(topology, topology.objects.districts).features;
        }"""
    )
    context.close()
    drawn = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326").to_crs(BNG)
    drawn["geometry"] = [_polygonal(g) for g in shapely.make_valid(drawn.geometry.values)]
    drawn = drawn.set_index("code")
    original = load_boundaries("ltla").to_crs(BNG).set_index("code")
    assert sorted(drawn.index) == sorted(original.index)
    change = (drawn.area / original.area.reindex(drawn.index) - 1).abs()
    moved = drawn.centroid.distance(original.centroid.reindex(drawn.index))
    assert change.max() < 0.05 and moved.max() < 200, json.dumps([change.max(), moved.max()])
