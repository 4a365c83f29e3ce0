"""Serve Leaflet, its plugins and topojson-client from the app itself, never from a CDN.

Leaflet's JavaScript and CSS come from the XStatic packages on PyPI (pinned
in requirements.txt). topojson-client (which decodes the boundary topology)
comes from npm, pinned in package.json and package-lock.json; its one
minified file and its licence are kept in ``geo/outputs/npm/`` so that the app
needs no Node.js to run, and a test keeps that copy byte for byte equal to the
pinned package's. :func:`ensure_vendor_assets` copies them all under
``static/vendor/``, which Streamlit serves at ``/app/static/vendor/``
(``server.enableStaticServing``); :func:`self_host_folium` points folium at
those copies instead of its default CDN addresses.
"""

from __future__ import annotations

from pathlib import Path

from geo import settings
from geo.atomic import write_bytes_atomically

VENDOR_DIR = settings.STATIC_DIR / "vendor"
VENDOR_URL = f"{settings.STATIC_URL}/vendor"

# folder under static/vendor -> (xstatic module, files wanted from its data dir)
_PACKAGES = {
    "leaflet": ("xstatic.pkg.leaflet", ["leaflet.js", "leaflet.css", "images"]),
    "markercluster": (
        "xstatic.pkg.leaflet_markercluster",
        ["leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"],
    ),
}

# folder under static/vendor -> files copied from geo/outputs/npm (see the module docstring)
NPM_DIR = Path(__file__).parent / "npm"
_NPM_FILES = {"topojson": ["topojson-client.min.js", "topojson-client.LICENSE"]}
TOPOJSON_JS = f"{VENDOR_URL}/topojson/topojson-client.min.js"

LEAFLET_JS = f"{VENDOR_URL}/leaflet/leaflet.js"
LEAFLET_CSS = f"{VENDOR_URL}/leaflet/leaflet.css"
LEAFLET_IMAGES = f"{VENDOR_URL}/leaflet/images/"
MARKERCLUSTER_JS = f"{VENDOR_URL}/markercluster/leaflet.markercluster.js"
MARKERCLUSTER_CSS = [
    f"{VENDOR_URL}/markercluster/MarkerCluster.css",
    f"{VENDOR_URL}/markercluster/MarkerCluster.Default.css",
]


def _data_dir(module_name: str) -> Path:
    import importlib

    return Path(importlib.import_module(module_name).BASE_DIR)


def ensure_vendor_assets(target: Path = VENDOR_DIR) -> Path:
    """Copy the XStatic files into ``static/vendor`` if they are not there yet.

    Each file is written whole (:mod:`geo.atomic`): the app's sessions run in
    threads and the first maps of a fresh install can be built at the same time,
    while the static server may already be answering for the same files.
    """
    for folder, (module_name, names) in _PACKAGES.items():
        source = _data_dir(module_name)
        for name in names:
            src = source / name
            files = sorted(p for p in src.rglob("*") if p.is_file()) if src.is_dir() else [src]
            for path in files:
                dst = target / folder / path.relative_to(source)
                if not dst.exists():
                    write_bytes_atomically(dst, path.read_bytes())
    for folder, names in _NPM_FILES.items():
        for name in names:
            dst = target / folder / name
            if not dst.exists():
                write_bytes_atomically(dst, (NPM_DIR / name).read_bytes())
    return target


def self_host_folium() -> None:
    """Make every folium map load Leaflet from ``/app/static/vendor``, and nothing else.

    folium's defaults also pull jQuery, Bootstrap and Font Awesome from CDNs; the
    campaign map uses none of them, so they are dropped rather than served.
    The marker-cluster plugin is loaded by the map's own site layer
    (``geo.outputs.mapview.SiteLayer``), which needs no folium plugin class.
    """
    import folium

    ensure_vendor_assets()
    folium.Map.default_js = [("leaflet", LEAFLET_JS)]
    folium.Map.default_css = [("leaflet_css", LEAFLET_CSS)]
