"""The campaign map: a folium map of the selected sites, councils and boundaries.

Built for thousands of sites. All sites travel to the browser as one compact,
column-oriented JSON file (:func:`map_data`, written by :func:`publish_json`
under ``static/generated/`` with a content hash in its name, so a browser
caches it until the data changes) drawn by a small Leaflet layer
(``sitelayer.js``): one vector marker per location, shaped by the kind of site
and coloured by the strongest evidence grade. A filtered view sends only the
positions of the chosen sites.

No text from the data ever passes through a template engine. folium renders
a map with Jinja, and branca renders the scripts a second time, so anything
placed in an element's template source would be evaluated on the server.
Only the configuration goes into the page (our own numbers, colours and
addresses), encoded by :func:`safe_script_json` so that no template delimiter
and no HTML survives in it; the data arrives later, by ``fetch``, as JSON.
In the browser, popups, tooltips and the legend are built from DOM text
nodes (tooltips, which Leaflet treats as HTML, are escaped first).

Boundaries are written once as one static TopoJSON file (districts; the
regions' lines and the coast are meshed from the districts' arcs) and
fetched from the app itself, so no third-party host is involved.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import folium
import pandas as pd
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from geo import settings
from geo.evidence.quotes import Quote
from geo.evidence.vocabulary import Vocabulary
from geo.filters import FRAME_PAD
from geo.foi.known import AreaState
from geo.outputs.text import quote_parts, safe_url
from geo.outputs.vendor import MARKERCLUSTER_CSS, MARKERCLUSTER_JS, TOPOJSON_JS, self_host_folium
from geo.places.authorities import Authorities

# Up to this many sites, popups carry every claim and source (fetched when the first opens);
# above it, a summary (the side panel and the table give the rest) keeps the file small.
DETAIL_LIMIT = 1000
# Above this many sites, markers are drawn on one canvas rather than as SVG elements.
CANVAS_THRESHOLD = 2000


def _codes(values: pd.Series, order: list[str]) -> list[int]:
    index = {v: i for i, v in enumerate(order)}
    return [index.get(v, -1) for v in values]


def map_data(
    sites: pd.DataFrame,
    claims: pd.DataFrame,
    sources: pd.DataFrame,
    vocabulary: Vocabulary,
    areas: dict[str, AreaState] | None = None,
    county_of: dict[str, str] | None = None,
    detail_limit: int = DETAIL_LIMIT,
    quotes: dict[tuple[str, str], Quote] | None = None,
) -> dict:
    """The compact, column-oriented description of what the browser draws.

    Coded columns (kind, grade, precision) are indices into the vocabulary's
    lists (``vocab``: labels, shapes as outlines, colours); when there are at
    most ``detail_limit`` sites, every claim and its sources come too (for
    the popups: :func:`publish_map_data` serves them as a file of their own,
    fetched when the first popup opens). ``areas`` maps a current
    council code to ``[area status index, notes]`` (see
    :func:`geo.foi.known.area_statuses`); ``countyOf`` maps a district to the county
    council above it. ``quotes`` (:func:`geo.evidence.quotes.quotes_by_link`)
    gives each claim's sources their quotation: a claim's ninth element lists,
    source by source, ``[quote, "Publisher, date", "read against the source
    on …", note]`` or ``None`` where a link has no quote. Serve it with :func:`publish_map_data` (two files: the
    first paint's and the popups'): it is plain data, never markup.
    """
    kinds, grades, precisions = vocabulary.keys("kinds"), vocabulary.keys("grades"), vocabulary.keys("precisions")
    area_keys = vocabulary.keys("area_statuses")
    organisations = sorted(set(sites["organisation"]))
    org_index = {o: i for i, o in enumerate(organisations)}
    claim_counts = claims.groupby("site").size() if len(claims) else pd.Series(dtype=int)
    payload: dict = {
        # A site that is not placed has null coordinates: counted, listed, no marker.
        "lat": [None if pd.isna(v) else round(float(v), 5) for v in sites["lat"]],
        "lon": [None if pd.isna(v) else round(float(v), 5) for v in sites["lon"]],
        "id": list(sites["id"]),
        "name": list(sites["name"]),
        "org": [org_index[o] for o in sites["organisation"]],
        "kind": _codes(sites["kind"], kinds),
        "grade": _codes(sites["grade"], grades),
        "precision": _codes(sites["precision"], precisions),
        "lad": list(sites["lad_code"]),
        "nclaims": [int(claim_counts.get(s, 0)) for s in sites["id"]],
        "orgs": organisations,
        "vocab": vocabulary.for_browser(),
        "areas": {code: [area_keys.index(state.status), state.notes] for code, state in (areas or {}).items()},
        "countyOf": county_of or {},
        "detail": len(sites) <= detail_limit,
    }
    if payload["detail"]:
        site_claims: dict[str, list[int]] = {}
        claim_rows: list[list[Any]] = []
        source_ids: list[str] = []
        for claim in claims.itertuples(index=False):
            site_claims.setdefault(claim.site, []).append(len(claim_rows))
            count = claim.equipment_count
            claim_rows.append(
                [
                    claim.vendor,
                    claim.claim,
                    claim.grade,
                    claim.reported,
                    claim.status,
                    claim.response,
                    list(claim.sources),
                    None if pd.isna(count) else int(count),
                    [_quote_row((quotes or {}).get((claim.id, s))) for s in claim.sources],
                ]
            )
            source_ids.extend(claim.sources)
        wanted = set(source_ids)
        source_table = sources[sources["id"].isin(wanted)]
        payload.update(
            address=[", ".join(p for p in (a, pc) if p) for a, pc in zip(sites["address"], sites["postcode"])],
            district=list(sites["authority_name"].where(sites["authority_name"] != "", sites["lad_name"])),
            claims_of=[site_claims.get(s, []) for s in sites["id"]],
            claims=claim_rows,
            # [title, publisher, address, archived copy]: addresses only http(s), else empty.
            sources={
                row.id: [row.title, row.publisher, safe_url(row.url), safe_url(getattr(row, "archive_url", ""))]
                for row in source_table.itertuples(index=False)
            },
        )
    return payload


def _quote_row(quote: Quote | None) -> list[str] | None:
    """A quotation as the popup shows it (plain text; sitelayer.js puts it in a <blockquote>)."""
    return None if quote is None else quote_parts(quote)


# What only a popup needs: written to a file of its own, fetched when the first popup opens.
DETAIL_KEYS = ("address", "district", "claims_of", "claims", "sources")


def publish_map_data(
    payload: dict, prefix: str = "sites", target: Path | None = None, url_prefix: str | None = None
) -> str:
    """Serve :func:`map_data` as static files; return the URL of the one the map loads first.

    That file holds what the first paint needs (positions, names, codes, the
    vocabulary, the council areas' states); the evidence behind the popups
    (:data:`DETAIL_KEYS`), when there is any, goes into a second file whose
    URL the first carries as ``details``. Both are named by their content
    (:func:`geo.outputs.files.publish_json`).
    """
    from geo.outputs.files import GENERATED_DIR, GENERATED_URL, publish_json

    folder, address = target or GENERATED_DIR, url_prefix or GENERATED_URL
    first = {key: value for key, value in payload.items() if key not in DETAIL_KEYS}
    if payload.get("detail"):
        details = {key: payload[key] for key in DETAIL_KEYS}
        first["details"] = publish_json(details, f"{prefix}-details", folder, address)
    return publish_json(first, prefix, folder, address)


def county_of_districts(authorities: Authorities) -> dict[str, str]:
    """District code -> code of the current county council above it (two-tier areas only)."""
    found = {}
    for authority in authorities.current():
        county = authorities.by_code.get(authority.county) if authority.county else None
        if county is not None and county.current and authority.gss_code and county.gss_code:
            found[authority.gss_code] = county.gss_code
    return found


def selection_bounds(sites: pd.DataFrame) -> list[list[float]]:
    """South-west and north-east corners that frame the sites (the UK if there are none)."""
    sites = sites.dropna(subset=["lat", "lon"])
    if sites.empty:
        return [list(settings.UK_BOUNDS[0]), list(settings.UK_BOUNDS[1])]
    south, north = float(sites["lat"].min()), float(sites["lat"].max())
    west, east = float(sites["lon"].min()), float(sites["lon"].max())
    # A single place (or a tight cluster) still gets a street-level frame, not a maximal zoom.
    pad = FRAME_PAD

    return [[south - pad, west - pad], [north + pad, east + pad]]


# In JSON text, a structural "{" is always followed by '"' or "}", so any "{"
# followed by "{", "%" or "#" is inside a string, where \u007b means the same.
_TEMPLATE_OPENER = re.compile(r"\{(?=[{%#])")
_HTML_SPECIALS = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def safe_script_json(value) -> str:
    """JSON that is inert in every place folium puts it.

    No Jinja delimiter (``{{``, ``{%``, ``{#``) survives, so a second template
    pass finds nothing to evaluate; no ``<``, ``>`` or ``&`` survives, so it
    cannot close the ``<script>`` element. ``JSON.parse`` and JavaScript read
    it as the same value.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = _TEMPLATE_OPENER.sub(lambda _: "\\u007b", text)
    for char, escaped in _HTML_SPECIALS.items():
        text = text.replace(char, escaped)
    return text


_SITE_LAYER_JS = (Path(__file__).parent / "sitelayer.js").read_text(encoding="utf-8")


class SiteLayer(JSCSSMixin, MacroElement):
    """Leaflet code that draws the sites, councils and outlines.

    ``config_json`` must come from :func:`safe_script_json`: the template
    places it in the page as it is. Markers that would overlap at a scale are
    clustered by Leaflet.markercluster, served by the app itself.
    """

    _template = Template("""
{% macro header(this, kwargs) %}
<style>{{ this.css }}</style>
{% endmacro %}
{% macro script(this, kwargs) %}
hikmapDraw({{ this._parent.get_name() }}, {{ this.config }});
{% endmacro %}
""")

    def __init__(self, config_json: str):
        from geo.outputs.files import publish_text

        super().__init__()
        # JSCSSMixin renders these (per instance: a class-level list would be shared). The layer's
        # own script is a static file named by its content, like the data: the browser caches it,
        # and the page (sent again on every rerun) carries only the configuration.
        library = publish_text(_SITE_LAYER_JS, "sitelayer", suffix=".js")
        self.default_js = [("markercluster", MARKERCLUSTER_JS), ("topojson", TOPOJSON_JS), ("sitelayer", library)]
        self.default_css = [(f"markerclustercss{i}", url) for i, url in enumerate(MARKERCLUSTER_CSS)]
        self._name = "SiteLayer"
        self.config = config_json
        self.css = map_css()


# The map's own style. Colours are the chrome's (settings.CHROME), as custom properties: the page
# that carries the map puts settings.chrome_css() before this (see map_css()).
MAP_CSS = """
.leaflet-container { background: var(--hikmap-sea); font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
.hikmap-legend { background: rgba(255,255,255,0.94); padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); font-size: 12px; line-height: 1.5; max-width: 230px; }
.hikmap-legend svg { vertical-align: -2px; }
.hikmap-legend-title { font-weight: 600; margin-top: 4px; }
.hikmap-legend-title:first-child { margin-top: 0; }
.hikmap-swatch { display: inline-block; width: 12px; height: 12px; border: 1px solid var(--hikmap-outline);
  vertical-align: -1px; margin: 0 2px; }
.hikmap-legend-note { font-size: 11px; color: var(--hikmap-muted); }
.hikmap-cluster { background: var(--hikmap-paper); border: 2px solid var(--hikmap-ink); border-radius: 50%;
  text-align: center; font: 600 13px/26px system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--hikmap-ink);
  box-shadow: 0 1px 3px rgba(0,0,0,0.35); }
.hikmap-popup p { overflow-wrap: anywhere; }
.hikmap-legend.collapsed .hikmap-legend-body { display: none; }
.hikmap-legend-body { overflow-y: auto; overscroll-behavior: contain; }
.hikmap-legend-toggle { display: block; background: none; border: 0; color: inherit; border-radius: 0;
  font: inherit; font-weight: 600; padding: 0; cursor: pointer; }
.hikmap-popup h3 { font-size: 15px; margin: 0 0 2px; }
.hikmap-popup .org, .hikmap-popup .where { color: var(--hikmap-muted); margin: 0 0 4px; }
.hikmap-popup .caveat { background: var(--hikmap-highlight); border-left: 3px solid var(--hikmap-highlight-edge);
  padding: 3px 6px; margin: 4px 0; font-size: 12px; }
.hikmap-popup .claim { border-top: 1px solid var(--hikmap-line); padding-top: 4px; margin-top: 4px; }
.hikmap-popup .meta { font-size: 12px; color: var(--hikmap-muted); }
.hikmap-popup .grade { display: inline-block; padding: 0 5px; border-radius: 3px; color: var(--hikmap-paper);
  font-weight: 600; font-size: 11px; }
.hikmap-popup .response { font-size: 12px; color: var(--hikmap-muted); margin: 2px 0; }
.hikmap-popup ol { margin: 2px 0 0 18px; padding: 0; font-size: 12px; }
.hikmap-popup .more { font-size: 12px; }
.hikmap-popup blockquote { margin: 3px 0 0; padding: 2px 0 2px 8px; border-left: 3px solid var(--hikmap-line);
  font-style: italic; color: var(--hikmap-ink); overflow-wrap: anywhere; }
.hikmap-popup blockquote p { margin: 0; }
.hikmap-popup .cite, .hikmap-popup .quote-note { font-size: 12px; color: var(--hikmap-muted); margin: 1px 0 4px 11px; }
.hikmap-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
/* A visible focus ring for keyboard users on markers, council areas and the legend. */
.leaflet-container path:focus { outline: none; }
.leaflet-container path.hikmap-site:focus-visible, .leaflet-container path.hikmap-district:focus-visible {
  stroke: var(--hikmap-ink); stroke-width: 4px; stroke-opacity: 1; stroke-dasharray: none; }
.hikmap-legend-toggle:focus-visible, .leaflet-popup-content:focus-visible, .leaflet-container a:focus-visible,
.hikmap-cluster:focus-visible {
  outline: 3px solid var(--hikmap-ink); outline-offset: 2px; }
/* A tooltip opens on the side of the pointer with more room (Leaflet's "auto"): no wider than half
   the map, it stays on the map wherever the pointer is, and a long note wraps instead. (50vw is the
   map's half in the app's frame; on a published phone page the map is the window less its margins.) */
.leaflet-tooltip { white-space: normal; width: max-content; max-width: min(26rem, calc(50vw - 40px));
  overflow-wrap: anywhere; }
/* On a narrow map the credits wrap across the bottom and would cover the scale bar. */
@media (max-width: 480px) { .leaflet-control-scale { display: none; } }
"""


def map_css() -> str:
    """The map's stylesheet with the chrome's colours it refers to."""
    return settings.chrome_css() + MAP_CSS


def build_map(
    data_url: str,
    site_count: int,
    selected: list[int] | None = None,
    boundary_urls: dict[str, str] | None = None,
    bounds: list[list[float]] | None = None,
    tiles: settings.TileSource | None = None,
    near: tuple[float, float, float] | None = None,
    layout: str = "geo",
) -> folium.Map:
    """A folium map that draws the data file at ``data_url`` (see :func:`map_data`).

    ``selected`` lists the positions of the sites to draw (``None``: all of
    them); ``site_count`` is how many that is (many sites are drawn on one
    canvas). Councils are drawn when ``boundary_urls`` are given. ``near``
    (lat, lon, km) draws the "near me" circle. ``layout`` is ``geo`` (the UK
    map) or ``hex`` (the hex cartogram: every district one equal hexagon, in
    flat coordinates, no tiles; each site at its district's hexagon).
    Nothing from the data is placed in the page: see the module docstring.
    """
    self_host_folium()
    tiles = tiles or settings.tile_source()
    options = map_options(layout, tiles)
    hex_layout = layout == "hex"
    fmap = folium.Map(
        location=options["center"],
        zoom_start=options["zoom"],
        tiles=None,
        crs=options["crs"],
        max_zoom=options["maxZoom"],
        min_zoom=options["minZoom"],
        control_scale=options["scale"],
        zoom_snap=options["zoomSnap"],
    )
    # folium gives min_zoom and max_zoom to its tile layer only; the map itself needs them too
    # (Leaflet.markercluster refuses a map without maxZoom, and with no tiles there is no layer).
    fmap.options.update(minZoom=options["minZoom"], maxZoom=options["maxZoom"])
    if tiles.url and not hex_layout:
        folium.TileLayer(tiles=tiles.url, attr=tiles.attribution, name=tiles.name, max_zoom=tiles.max_zoom).add_to(fmap)
    config = layer_config(data_url, site_count, selected, boundary_urls, tiles, near, layout)
    SiteLayer(safe_script_json(config)).add_to(fmap)
    if not hex_layout:  # the hex map frames itself once its hexagons are drawn
        fmap.fit_bounds(bounds or [list(settings.UK_BOUNDS[0]), list(settings.UK_BOUNDS[1])], max_zoom=FIT_MAX_ZOOM)
    return fmap


FIT_MAX_ZOOM = 13  # framing a selection never zooms in closer than this


def map_options(layout: str, tiles: settings.TileSource) -> dict:
    """The Leaflet map's options for a layout: the same for the app (folium) and the published site.

    ``crs`` is ``EPSG3857`` (the UK map) or ``Simple`` (the hex cartogram, in
    flat x/y units).
    """
    if layout not in ("geo", "hex"):
        raise ValueError(f"layout must be 'geo' or 'hex', not {layout!r}")
    if layout == "hex":
        return {
            "crs": "Simple",
            "center": [22.0, 9.0],
            "zoom": 3,
            "minZoom": 1,
            "maxZoom": 8,
            "zoomSnap": 0.25,
            "scale": False,
        }
    return {
        "crs": "EPSG3857",
        "center": list(settings.UK_CENTRE),
        "zoom": settings.UK_ZOOM,
        "minZoom": 4,
        "maxZoom": tiles.max_zoom,
        "zoomSnap": 1,
        "scale": True,
    }


def layer_config(
    data_url: str,
    site_count: int,
    selected: list[int] | None,
    boundary_urls: dict[str, str] | None,
    tiles: settings.TileSource,
    near: tuple[float, float, float] | None,
    layout: str,
    sources_page: str = "sources",
) -> dict:
    """The configuration ``hikmapDraw`` (sitelayer.js) reads: addresses, numbers and our own settings.

    ``sources_page`` is where a popup's "about this source" link goes; a page
    name ending in ``.html`` (the published site) gets ``#source-<id>``,
    otherwise ``?source=<id>`` (the app).
    """
    return {
        "data": data_url,
        "selected": None if selected is None else [int(i) for i in selected],
        "canvas": site_count > CANVAS_THRESHOLD,
        "boundaries": boundary_urls or {},
        "outlineBasemap": not tiles.url,
        # The full licence lines are shown under the map; the map itself carries the short form.
        "attribution": settings.HEX_ATTRIBUTION if layout == "hex" else settings.SHORT_ATTRIBUTION,
        "sourcesPage": sources_page,
        "near": {"lat": near[0], "lon": near[1], "km": near[2]} if near else None,
        "layout": layout,
        "chrome": dict(settings.CHROME),  # the script draws with the chrome's colours too
    }


def near_bounds(lat: float, lon: float, km: float) -> list[list[float]]:
    """South-west and north-east corners of a square around a circle of ``km`` radius."""

    dlat = km / 111.2
    dlon = km / (111.2 * max(math.cos(math.radians(lat)), 0.01))
    return [[lat - dlat, lon - dlon], [lat + dlat, lon + dlon]]


_CLICKED = re.compile(r"hikmap:(site|area):([A-Za-z0-9,-]+):hikmap")


def clicked_on(tooltip: str | None) -> tuple[str, list[str]]:
    """What a click on the map was on, from the clicked layer's tooltip text.

    Returns ``("site", [site ids])`` for a marker, ``("area", [council code])``
    for a council area, or ``("", [])``. The layer writes these keys, unseen,
    into each tooltip (see ``sitelayer.js``).
    """
    match = _CLICKED.search(tooltip or "")
    if match is None:
        return "", []
    return match.group(1), [v for v in match.group(2).split(",") if v]
