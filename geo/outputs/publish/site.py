"""The published map: the public views as plain static files, for any static host or CDN.

``python -m geo publish OUT_DIR`` writes:

* ``index.html``: the map (``?layout=hex`` for the hex cartogram), with the
  filters in the URL (the app's own parameters, :data:`geo.filters.PARAMS`)
  applied in the browser by ``assets/filters.js``, which follows the
  specification handed over in the filter index, the legend, the popups
  with the evidence and the credits; ``?view=embed`` shows the map alone with its date, counts and
  credits, for an ``<iframe>``;
* ``table.html``: the evidence as a table, one row per claim, for the same
  filters, with the whole dataset as CSV, GeoJSON and the data package;
* ``sources.html``: every source, with an anchor per source;
* ``feed.xml``: the Atom feed of the data's changes (:mod:`geo.outputs.feed`), linked from every
  page's head and header, and ``feeds/<GSS code>.xml``, one per council with any claim or answer,
  offered on the map and the table when they are filtered to that council;
* ``vendor/`` (Leaflet and its cluster plugin from the XStatic packages,
  topojson-client from npm),
  ``assets/`` (our script and style), ``data/`` (the map's JSON, the filter
  index, the boundaries), ``downloads/``.

Nothing runs on a server. Pages are written here with every piece of data
HTML-escaped, never through a template; the browser reads the data as JSON
and builds the page with DOM text nodes (``assets/publish.js`` and
``sitelayer.js``; ``assets/filters.js`` is the pure selection, no DOM). A Content-Security-Policy allows scripts, styles, data and
images from the site itself only, plus the configured map tiles. Links are
relative, so the site works from any folder path.

The site is written into a new folder beside ``OUT_DIR`` and swapped in as a
whole: ``OUT_DIR`` is a symbolic link that is replaced in one step, so a
half-written site is never served. The previous version is kept (a reader
mid-visit keeps working); older ones are removed.

Filter "near a postcode" needs the postcode directory, which stays with the
app: the published pages say so and link to the app when ``HIKMAP_APP_URL``
is set.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode, urlparse

import pandas as pd

from geo import settings
from geo.evidence import citations, licences
from geo.evidence.dataset import Dataset
from geo.evidence.quotes import Correction, corrections_list, quotes_by_link
from geo.filters import (
    CHOICE_PARAMS,
    CLAIM_TEXT_COLUMNS,
    DATE_COLUMN,
    MAX_TEXT,
    PARAMS,
    SITE_TEXT_COLUMNS,
    allowed_values,
    filter_spec,
    text_rows,
)
from geo.outputs import export
from geo.outputs import feed as feeds
from geo.outputs.text import date_in_words, quote_parts, safe_url
from geo.outputs.vendor import ensure_vendor_assets

ASSETS_DIR = Path(__file__).parent / "assets"
SITE_LAYER_JS = Path(__file__).parent.parent / "sitelayer.js"
MARKER = ".hikmap-published"  # a published folder says so, so that publish never replaces anything else
KEEP_VERSIONS = 2
NO_FILTER_PAGES = ("sources.html", "corrections.html")  # pages the filters do not apply to
FEED_TITLE = f"Changes: {settings.SITE_TITLE}"
# Filled by publish.js when the map or the table is filtered to councils that have a feed.
COUNCIL_FEEDS = '<p id="council-feeds" class="follow-council" hidden></p>\n'


@dataclass(frozen=True)
class PublishReport:
    """What was published: the link, the version folder, and the numbers in it."""

    out_dir: Path
    version_dir: Path
    sites: int
    claims: int
    sources: int
    boundaries: bool


class PublishError(RuntimeError):
    """The site could not be published (nothing was changed)."""


# --- Data for the browser ---------------------------------------------------------------------
def filter_index(data: Dataset, frames: dict[str, tuple]) -> dict:
    """What the browser needs to apply the app's filters (``assets/filters.js``).

    ``spec`` is the filters' specification (:func:`geo.filters.filter_spec`);
    the columns are those it names, in its order. Positions match the map
    data's: site ``i`` here is site ``i`` there. ``allowed`` lists the values
    each filter accepts (anything else in a URL is ignored, as in the app).
    ``frames`` frame the councils, regions and nations a filter names
    (:func:`geo.places.frames.place_frames`).
    """
    sites, claims = data.sites, data.claims
    position = {site_id: i for i, site_id in enumerate(sites["id"])}

    def coord(value):
        return None if pd.isna(value) else round(float(value), 5)

    def column(table: pd.DataFrame, name: str) -> list:
        return [list(v) if isinstance(v, (list, tuple)) else v for v in table[name]]

    def columns(table_name: str, table: pd.DataFrame) -> dict[str, list]:
        names = [p.column for p in CHOICE_PARAMS if p.table == table_name]
        return {name: column(table, name) for name in names}

    return {
        "spec": filter_spec(),
        "sites": {
            **columns("sites", sites),
            "text": text_rows(sites, SITE_TEXT_COLUMNS),
            "lat": [coord(v) for v in sites["lat"]],
            "lon": [coord(v) for v in sites["lon"]],
        },
        "claims": {
            "site": [position[s] for s in claims["site"]],
            **columns("claims", claims),
            DATE_COLUMN: list(claims[DATE_COLUMN]),
            "text": text_rows(claims, CLAIM_TEXT_COLUMNS),
        },
        "allowed": allowed_values(data.vocabulary),
        "frames": {name: list(box) for name, box in frames.items()},
        "ukBounds": [list(settings.UK_BOUNDS[0]), list(settings.UK_BOUNDS[1])],
    }


def table_rows(data: Dataset) -> dict:
    """The evidence table's columns for every claim (plain text), in the app's order (by site, newest first).

    ``claim`` gives each row's position among the data's claims, which is
    what the filters select. ``devices`` says "not given" where the sources
    give no number; ``quotes`` gives, source by source, the source's words
    (:func:`geo.outputs.text.quote_parts`) or ``None``.
    """
    quotes = quotes_by_link(data.claim_sources, data.sources)
    table = export.claims_table(data.sites, data.claims, data.sources)
    position = {claim_id: i for i, claim_id in enumerate(data.claims["id"])}
    vocabulary = data.vocabulary
    titles = {row.id: f"{row.title} ({row.publisher})" for row in data.sources.itertuples(index=False)}
    return {
        "position": [position[c] for c in table["claim_id"]],
        "site": list(table["site"]),
        "organisation": list(table["organisation"]),
        "kind": [vocabulary.label("kinds", v) for v in table["kind"]],
        "grade": [vocabulary.label("grades", v) for v in table["grade"]],
        "reported": list(table["reported"]),
        "status": [vocabulary.label("statuses", v) for v in table["status"]],
        "devices": ["not given" if v == "" or pd.isna(v) else str(v) for v in table["equipment_count"]],
        "claim": list(table["claim"]),
        "sources": [[[s, titles.get(s, s)] for s in ids.split(";") if s] for ids in table["source_ids"]],
        "quotes": [
            [quote_parts(q) if (q := quotes.get((c, s))) is not None else None for s in ids.split(";") if s]
            for c, ids in zip(table["claim_id"], table["source_ids"])
        ],
        "location": [vocabulary.label("precisions", v) for v in table["precision"]],
        "council": list(table["district"]),
    }


# --- Pages -------------------------------------------------------------------------------------
def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def content_security_policy(tiles: settings.TileSource) -> str:
    """Only the site itself, and the tile server's origin for images when tiles are on."""
    images = "'self' data:"
    if tiles.url:
        parsed = urlparse(tiles.url.replace("{s}", "a"))
        images += f" {parsed.scheme}://{parsed.netloc}"
    return (
        "default-src 'self'; script-src 'self'; connect-src 'self'; "
        f"img-src {images}; style-src 'self'; font-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors *"
    )


def _page(
    title: str,
    body: str,
    page_config: dict | None,
    tiles: settings.TileSource,
    scripts: list[str],
    preload: tuple[str, ...] = (),
) -> str:
    """One complete HTML page. ``body`` is markup we built with every piece of data escaped.

    ``preload`` lists the data files the page's scripts will fetch: the browser starts on them
    while it is still reading the scripts (``crossorigin`` so that the scripts' ``fetch`` reuses
    them).
    """
    from geo.outputs.mapview import safe_script_json

    config = ""
    if page_config is not None:
        # A JSON data block is never run; safe_script_json keeps it from closing the element.
        config = f'<script type="application/json" id="hikmap-page">{safe_script_json(page_config)}</script>\n'
    script_tags = "".join(f'<script src="{_e(src)}"></script>\n' for src in scripts)
    # frame-ancestors cannot be set from a <meta> policy; newsrooms embed the map in an <iframe>.
    policy = content_security_policy(tiles).replace("; frame-ancestors *", "")
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(policy)}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_e(title)}</title>\n"
        + "".join(f'<link rel="preload" href="{_e(href)}" as="fetch" crossorigin="anonymous">\n' for href in preload)
        + f'<link rel="alternate" type="{feeds.ATOM_TYPE}" title="{_e(FEED_TITLE)}" href="{feeds.FEED_FILE}">\n'
        '<link rel="icon" href="assets/favicon.png">\n'
        '<link rel="stylesheet" href="vendor/leaflet/leaflet.css">\n'
        '<link rel="stylesheet" href="vendor/markercluster/MarkerCluster.css">\n'
        '<link rel="stylesheet" href="vendor/markercluster/MarkerCluster.Default.css">\n'
        '<link rel="stylesheet" href="assets/map.css">\n'
        '<link rel="stylesheet" href="assets/publish.css">\n'
        "</head>\n<body>\n"
        '<a class="skip" href="#main">Skip to the content</a>\n'
        f"{body}\n{config}{script_tags}</body>\n</html>\n"
    )


def _header(data: Dataset, current: str) -> str:
    links = [
        ("index.html", "Map"),
        ("index.html?layout=hex", "Hex map"),
        ("table.html", "Evidence table"),
        ("sources.html", "Sources"),
        ("corrections.html", "Corrections"),
    ]
    current_mark = ' aria-current="page"'
    nav = "".join(
        f'<li><a href="{_e(href)}" data-keep-filters="{"0" if href in NO_FILTER_PAGES else "1"}"'
        f"{current_mark if label == current else ''}>{_e(label)}</a></li>"
        for href, label in links
    )
    return (
        '<header class="site">\n'
        f'<p class="title"><a href="index.html">{_e(settings.SITE_TITLE)}</a></p>\n'
        f'<nav aria-label="Pages"><ul>{nav}</ul></nav>\n'
        f'<p class="follow"><a href="{feeds.FEED_FILE}" type="{feeds.ATOM_TYPE}">{_e(feeds.FOLLOW_TEXT)}</a></p>\n'
        "</header>\n"
    )


def _filter_form(data: Dataset, councils: dict[str, str], allowed: dict[str, list[str]]) -> str:
    """The filter form: the app's filters (those the published copy applies), with the spec's labels and limits.

    publish.js reads it by the same rules as a URL and writes the app's URL form.
    """
    vocabulary = data.vocabulary
    fields = []
    for p in PARAMS:
        if not p.published:
            continue
        name, label = _e(p.key), _e(p.label)
        if p.kind == "choice":
            if p.vocabulary:
                options = list(vocabulary.labels(p.vocabulary).items())
            elif p.field == "councils":
                options = sorted(councils.items(), key=lambda item: item[1])
            else:
                options = [(v, v) for v in allowed[p.field]]
            items = "".join(f'<option value="{_e(v)}">{_e(t)}</option>' for v, t in options)
            fields.append(
                f'<div class="field"><label for="f-{name}">{label}</label>'
                f'<select id="f-{name}" name="{name}" multiple size="4">{items}</select></div>'
            )
        elif p.kind == "text":
            fields.append(
                f'<div class="field"><label for="f-{name}">{label}</label><input id="f-{name}" name="{name}" '
                f'type="search" maxlength="{p.max_length}" placeholder="{_e(p.placeholder)}"></div>'
            )
        elif p.kind == "date":
            fields.append(
                f'<div class="field"><label for="f-{name}">{label}</label>'
                f'<input id="f-{name}" name="{name}" type="date"></div>'
            )
    return (
        '<form id="filters" class="filters" method="get" aria-label="Filters">\n'
        "<details><summary>Filter the map and the table</summary>\n"
        f'<div class="fields">{"".join(fields)}</div>\n'
        '<p class="hint">Hold Ctrl (or ⌘) to choose several values in a list.</p>\n'
        '<p><button type="submit">Apply filters</button> <a href="?" class="reset" id="reset">Reset all filters</a></p>\n'
        "</details>\n</form>\n"
    )


def _credits(boundaries: bool) -> str:
    """The map page's credits: it has both views, so the hex cartogram is credited too."""
    return f'<p class="credits">{_e(" ".join(settings.credit_lines(boundaries=boundaries, hexes=True)))}</p>'


def map_page(data: Dataset, page_config: dict, councils, allowed, tiles, boundaries: bool, app_url: str) -> str:
    # The filter index, the sites and (for the UK map, the default layout) the boundaries: fetched
    # while the scripts load rather than one after the other once they have run.
    layer = page_config["layouts"]["geo"]["layer"]
    preload = (page_config["index"], layer["data"], *([layer["boundaries"]["topology"]] if boundaries else []))
    near = f' To search near a postcode, use <a href="{_e(app_url)}">the live app</a>.' if app_url else ""
    body = (
        _header(data, "Map") + '<main id="main">\n'
        f"<h1>{_e(settings.SITE_TITLE)}</h1>\n"
        f'<p class="dated">An evidence map. Data last changed {_e(data.last_changed)} (version {_e(data.version)}).'
        " Select a marker for its claims, evidence grade and sources.</p>\n"
        + _filter_form(data, councils, allowed)
        + '<p id="counts" class="counts" aria-live="polite">Loading the map…</p>\n'
        + COUNCIL_FEEDS
        + '<p id="ignored" class="ignored" hidden></p>\n'
        '<div id="map" class="map" role="region" aria-label="Map of the sites and council areas"></div>\n'
        '<p class="note">Marker shape: kind of body. Colour: strongest evidence grade. A hollow marker stands for a '
        "council's area; a thick outline means several sites share one place. Council areas are coloured by what is "
        'known of the council. The same selection is listed in <a href="table.html" data-keep-filters="1">the '
        f"evidence table</a>.{near}</p>\n" + _credits(boundaries) + "</main>\n"
    )
    return _page(
        settings.SITE_TITLE,
        body,
        page_config,
        tiles,
        [
            "vendor/leaflet/leaflet.js",
            "vendor/markercluster/leaflet.markercluster.js",
            "vendor/topojson/topojson-client.min.js",
            "assets/sitelayer.js",
            "assets/filters.js",
            "assets/publish.js",
        ],
        preload,
    )


def table_page(data: Dataset, page_config: dict, councils, allowed, tiles, downloads: dict[str, str]) -> str:
    links = "".join(f'<li><a href="{_e(href)}" download>{_e(label)}</a></li>' for label, href in downloads.items())
    body = (
        _header(data, "Evidence table") + '<main id="main" class="wide">\n<h1>The evidence as a table</h1>\n'
        f'<p class="dated">One row per claim, for the same filters as the map. Data last changed '
        f"{_e(data.last_changed)} (version {_e(data.version)}).</p>\n"
        + _filter_form(data, councils, allowed)
        + '<p id="counts" class="counts" aria-live="polite">Loading the table…</p>\n'
        + COUNCIL_FEEDS
        + '<p id="ignored" class="ignored" hidden></p>\n'
        '<div class="table-wrap" tabindex="0" role="region" aria-labelledby="table-caption">'
        '<table id="evidence"><caption id="table-caption">Claims matching the filters</caption>'
        '<thead><tr><th scope="col">Site</th><th scope="col">Organisation</th><th scope="col">Kind</th>'
        '<th scope="col">Evidence grade</th><th scope="col">Reported</th><th scope="col">Status</th>'
        '<th scope="col">Devices</th><th scope="col">Claim</th><th scope="col">Sources</th>'
        '<th scope="col">Location</th><th scope="col">Council</th></tr></thead><tbody></tbody></table></div>\n'
        "<h2>Download the whole dataset</h2>\n"
        f'<ul class="downloads">{links}</ul>\n'
        f'<p class="note">{_e(export.SPREADSHEET_NOTE)} The data is licensed {_e(licences.DATA_LICENCE)}.</p>\n'
        "</main>\n"
    )
    return _page(
        f"The evidence as a table: {settings.SITE_TITLE}",
        body,
        page_config,
        tiles,
        ["assets/filters.js", "assets/publish.js"],
    )


def sources_page(data: Dataset, tiles) -> str:
    citing = citations.citations_by_source(data.sites, data.claims, data.figures)
    kinds = data.vocabulary.labels("source_kinds")
    items = []
    for row in data.sources.sort_values("title", key=lambda s: s.str.lower()).itertuples(index=False):
        url = safe_url(row.url)
        title = f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(row.title)}</a>' if url else _e(row.title)
        cited = citing.get(row.id)
        details = " · ".join(
            _e(p) for p in (row.publisher, row.published or "date not given", kinds.get(row.kind, row.kind)) if p
        )
        archive = safe_url(row.archive_url)
        if archive:
            details += f' · <a href="{_e(archive)}" rel="noopener noreferrer">archived copy</a>'
        supports = ""
        if cited and (cited.claims or cited.figures):
            about = sorted({c["site"] for c in cited.claims})
            parts = ([f"claims about {', '.join(about)}"] if about else []) + (
                [f"{len(cited.figures)} key figure(s)"] if cited.figures else []
            )
            supports = f'<p class="meta">Cited for {_e("; ".join(parts))}.</p>'
        items.append(
            f'<li id="source-{_e(row.id)}" tabindex="-1"><p class="source-title">{title}</p>'
            f'<p class="meta">{details}</p>{supports}</li>'
        )
    body = (
        _header(data, "Sources") + '<main id="main">\n<h1>Sources</h1>\n'
        f'<p class="dated">Every publication the evidence cites: {len(data.sources)} sources. Data last changed '
        f"{_e(data.last_changed)} (version {_e(data.version)}).</p>\n"
        f'<ol class="sources">{"".join(items)}</ol>\n'
        '<p class="note">Errors found in the data and fixed are listed with what the map said, what it says now '
        'and why on <a href="corrections.html">the corrections page</a>.</p>\n</main>\n'
    )
    return _page(f"Sources: {settings.SITE_TITLE}", body, None, tiles, [])


def correction_link(correction: Correction, published: bool = True) -> tuple[str, str]:
    """Where a reader sees what a correction is about today, and the words of the link ("" and "" if nowhere).

    A claim or a site: the evidence table searched for the site's name; a
    source: its entry on the sources page. ``published`` gives the published
    copy's addresses, otherwise the app's pages.
    """
    if correction.kind in ("claim", "site") and correction.site_name:
        query = urlencode({"q": correction.site_name[:MAX_TEXT]})
        words = ("the claim, on " if correction.kind == "claim" else "the site, ") + correction.site_name
        return (f"table.html?{query}" if published else f"data?{query}"), words
    if correction.kind == "source":
        if published:
            return f"sources.html#source-{quote(correction.subject, safe='')}", "the source"
        return f"sources?{urlencode({'source': correction.subject})}", "the source"
    return "", ""


def corrections_page(data: Dataset, tiles) -> str:
    """Every correction made to the data, newest first: its date, what the map said, what it says now, why."""
    found = corrections_list(data.corrections, data.sites, data.claims, data.sources, data.figures)
    items = []
    for c in found:
        href, words = correction_link(c)
        about = f' · <a href="{_e(href)}">{_e(words)}</a>' if href else ""
        items.append(
            f'<li id="correction-{_e(c.id)}"><p class="meta"><time datetime="{_e(c.date)}">'
            f"{_e(date_in_words(c.date))}</time>{about}</p>\n"
            f"<dl><dt>What the map said</dt><dd>{_e(c.was)}</dd>\n"
            f"<dt>What it says now</dt><dd>{_e(c.now)}</dd>\n"
            f"<dt>Why</dt><dd>{_e(c.why)}</dd></dl></li>\n"
        )
    listing = f'<ol class="corrections">\n{"".join(items)}</ol>\n' if items else "<p>No correction so far.</p>\n"
    body = (
        _header(data, "Corrections") + '<main id="main">\n<h1>Corrections</h1>\n'
        f'<p class="dated">Errors found in the data and fixed, newest first: {len(found)} corrections. Data last '
        f"changed {_e(data.last_changed)} (version {_e(data.version)}). Every change is in the data package's "
        "change log, and the corrections travel with the data package. The sources are on "
        '<a href="sources.html">the sources page</a>.</p>\n' + listing + "</main>\n"
    )
    return _page(f"Corrections: {settings.SITE_TITLE}", body, None, tiles, [])


# --- Writing -----------------------------------------------------------------------------------
def _write_json(folder: Path, prefix: str, value) -> str:
    """Write JSON named by its content under ``folder``; return its path relative to the site."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    name = f"{prefix}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}.json"
    (folder / name).write_text(text, encoding="utf-8")
    return f"{folder.name}/{name}"


def write_feeds(
    target: Path, changes: feeds.Changes, councils: dict[str, str], publish_url: str = ""
) -> dict[str, list[str]]:
    """Write ``feed.xml`` and ``feeds/<code>.xml`` for each council in ``councils`` (code -> name) with a
    claim or an answer; return code -> [its feed's path, the council's name].

    Links are absolute under ``publish_url`` when it is set, otherwise relative to each feed's folder.
    """
    (target / feeds.FEED_FILE).write_bytes(feeds.atom(changes, site_url=publish_url or ""))
    written = {}
    for code in sorted(feeds.council_codes(changes) & set(councils)):
        path = f"{feeds.COUNCIL_FEEDS_DIR}/{code}.xml"
        (target / feeds.COUNCIL_FEEDS_DIR).mkdir(exist_ok=True)
        text = feeds.atom(changes, council=code, council_name=councils[code], site_url=publish_url or "../")
        (target / path).write_bytes(text)
        written[code] = [path, councils[code]]
    return written


def build_site(
    target: Path,
    data: Dataset,
    tiles: settings.TileSource | None = None,
    app_url: str = "",
    publish_url: str | None = None,
) -> PublishReport:
    """Write the whole site into the empty folder ``target`` (see the module docstring).

    ``publish_url`` (default ``HIKMAP_PUBLISH_URL``) makes the feeds' links absolute.
    """
    from geo.foi.known import area_statuses
    from geo.outputs.files import write_boundary_files
    from geo.outputs.mapview import (
        DETAIL_LIMIT,
        FIT_MAX_ZOOM,
        county_of_districts,
        layer_config,
        map_css,
        map_data,
        map_options,
        publish_map_data,
    )
    from geo.places.authorities import load_authorities
    from geo.places.boundaries import BoundariesUnavailable
    from geo.places.frames import place_frames

    tiles = tiles or settings.tile_source()
    authorities = load_authorities()
    councils = {a.gss_code: a.name for a in authorities.current() if a.is_council and a.gss_code}
    areas = area_statuses(
        data.sites, data.claims, data.foi_requests, authorities, data.vocabulary, today=dt.date.today()
    )
    for folder in ("vendor", "assets", "data", "downloads"):
        (target / folder).mkdir(parents=True)
    # Straight from the XStatic packages: only the files the map loads, never
    # whatever else has collected in the app's static folder.
    ensure_vendor_assets(target / "vendor")
    for asset in ASSETS_DIR.iterdir():
        shutil.copy2(asset, target / "assets" / asset.name)
    shutil.copy2(SITE_LAYER_JS, target / "assets" / "sitelayer.js")
    # The map's style with the chrome's colours (settings.CHROME), which publish.css reads too.
    (target / "assets" / "map.css").write_text(map_css(), encoding="utf-8")
    shutil.copy2(settings.STATIC_DIR / "favicon.png", target / "assets" / "favicon.png")

    try:
        boundary_urls = write_boundary_files(target / "data", url_prefix="data")
    except BoundariesUnavailable:
        boundary_urls = {}
    quotes = quotes_by_link(data.claim_sources, data.sources)
    # Every popup complete, however many sites: the published site has no server to ask.
    payload = map_data(
        data.sites,
        data.claims,
        data.sources,
        data.vocabulary,
        areas=areas,
        county_of=county_of_districts(authorities),
        detail_limit=max(DETAIL_LIMIT, len(data.sites)),
        quotes=quotes,
    )
    data_url = publish_map_data(payload, target=target / "data", url_prefix="data")
    index_url = _write_json(target / "data", "filters", filter_index(data, place_frames(authorities)))
    table_url = _write_json(target / "data", "table", table_rows(data))

    downloads = {
        "Evidence as CSV (one row per claim)": "downloads/hikvision-evidence.csv",
        "Evidence as GeoJSON (sites with their claims)": "downloads/hikvision-evidence.geojson",
        "Whole data package (zip: data, schema, licences)": "downloads/hikvision-evidence-data-package.zip",
    }
    files = [
        export.selection_csv(data.sites, data.claims, data.sources, quotes),
        export.selection_geojson(data.sites, data.claims, data.sources, quotes),
        export.package_zip(data.directory, data.descriptor),
    ]
    for (_, href), content in zip(downloads.items(), files):
        (target / href).write_bytes(content)

    council_feeds = write_feeds(
        target,
        feeds.load_changes(data, authorities),
        councils,
        settings.publish_url() if publish_url is None else publish_url,
    )
    allowed = allowed_values(data.vocabulary)
    layouts = {
        layout: {
            "options": map_options(layout, tiles),
            "layer": layer_config(
                data_url, len(data.sites), None, boundary_urls, tiles, None, layout, sources_page="sources.html"
            ),
        }
        for layout in ("geo", "hex")
    }
    common = {
        "index": index_url,
        "siteCount": len(data.sites),
        "claimCount": len(data.claims),
        "lastChanged": data.last_changed,
        "version": data.version,
        "councilFeeds": council_feeds,
    }
    map_config = {
        **common,
        "page": "map",
        "layouts": layouts,
        "fitMaxZoom": FIT_MAX_ZOOM,
        "tiles": {"url": tiles.url, "attribution": tiles.attribution, "maxZoom": tiles.max_zoom} if tiles.url else None,
    }
    table_config = {**common, "page": "table", "table": table_url}
    pages = {
        "index.html": map_page(data, map_config, councils, allowed, tiles, bool(boundary_urls), app_url),
        "table.html": table_page(data, table_config, councils, allowed, tiles, downloads),
        "sources.html": sources_page(data, tiles),
        "corrections.html": corrections_page(data, tiles),
    }
    for name, text in pages.items():
        (target / name).write_text(text, encoding="utf-8")
    (target / MARKER).write_text(f"{data.version} {data.last_changed}\n", encoding="utf-8")
    return PublishReport(target, target, len(data.sites), len(data.claims), len(data.sources), bool(boundary_urls))


def publish(
    out_dir: Path, data: Dataset, tiles: settings.TileSource | None = None, app_url: str = "", geocode=None
) -> PublishReport:
    """Build the site in a new version folder and swap ``out_dir`` (a symbolic link) to it in one step.

    The data package is checked first (``python -m geo check``, postcodes
    looked up with ``geocode``, by default the postcode directory): a package
    the check refuses is never published. ``out_dir`` may not exist yet, be a
    link an earlier publish made, or be a folder an earlier publish wrote (it
    is moved aside once). Anything else is refused with
    :class:`PublishError`, and nothing is changed.
    """
    from geo.evidence.datapackage import check_package

    if geocode is None:
        from geo.places.postcodes import get_directory

        geocode = get_directory().lookup_many
    problems = check_package(data.directory, geocode=geocode)
    if problems:
        listed = "\n".join(f"  {p}" for p in problems[:20]) + ("\n  …" if len(problems) > 20 else "")
        raise PublishError(
            f"{len(problems)} problem(s) in {data.directory}; nothing was published "
            f"(run `python -m geo check {data.directory}`):\n{listed}"
        )
    out_dir = Path(os.path.abspath(out_dir))
    versions = out_dir.parent / f".{out_dir.name}.versions"
    if (
        out_dir.exists()
        and not out_dir.is_symlink()
        and (not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / MARKER).is_file()))
    ):
        raise PublishError(f"{out_dir} exists and was not written by `python -m geo publish`; choose another folder")
    versions.mkdir(parents=True, exist_ok=True)
    # Names sort by the time they were made (to the microsecond), newest last.
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    version_dir = versions / f"{stamp}-{uuid.uuid4().hex[:8]}"
    building = versions / f".building-{version_dir.name}"
    try:
        building.mkdir()
        report = build_site(building, data, tiles, app_url)
        building.rename(version_dir)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    if out_dir.exists() and not out_dir.is_symlink():
        # A folder from an earlier publish (or an empty one): move it aside once, then link.
        if any(out_dir.iterdir()):
            out_dir.rename(versions / f"{stamp}-moved-{uuid.uuid4().hex[:8]}")
        else:
            out_dir.rmdir()
    link = out_dir.parent / f".{out_dir.name}.link-{uuid.uuid4().hex[:8]}"
    link.symlink_to(os.path.relpath(version_dir, out_dir.parent), target_is_directory=True)
    os.replace(link, out_dir)  # one step: readers see the old site or the new one
    current = version_dir.resolve()
    old = sorted(
        (p for p in versions.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name, reverse=True
    )
    for stale in [p for p in old if p.resolve() != current][KEEP_VERSIONS - 1 :]:
        shutil.rmtree(stale)
    return PublishReport(out_dir, version_dir, report.sites, report.claims, report.sources, report.boundaries)
