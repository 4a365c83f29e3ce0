"""The one place for the project's settings.

Every value here can be overridden by an environment variable of the same name
prefixed with ``HIKMAP_`` (for example ``HIKMAP_TILES=none``), so that tests, CI
and a deployment change behaviour without editing code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The map's title, on its pages, the published copy, the press image and the embed snippet.
SITE_TITLE = "Hikvision cameras in UK public buildings"


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"HIKMAP_{name}", default).strip()


# The data package. HIKMAP_DATA_DIR points the app at another copy (tests that
# import data use a scratch copy, never the committed one).
DATA_DIR = Path(_env("DATA_DIR") or PROJECT_ROOT / "data").resolve()
BUILD_DIR = DATA_DIR / "build"
BUILT_SITES = BUILD_DIR / "sites.geojson"
# The district table is reference data of the code, not of one data package.
DISTRICTS_CSV = PROJECT_ROOT / "data" / "districts.csv"
AUTHORITIES_CSV = PROJECT_ROOT / "data" / "authorities.csv"
AUTHORITY_NAMES_CSV = PROJECT_ROOT / "data" / "authority_names.csv"
STATIC_DIR = PROJECT_ROOT / "static"
# Streamlit serves PROJECT_ROOT/static at this URL path (server.enableStaticServing).
STATIC_URL = "/app/static"


# --- Boundaries (ONS, via ONSvisual/uk-topojson, pinned to one commit) -------
BOUNDARIES_URL = (
    "https://raw.githubusercontent.com/ONSvisual/uk-topojson/b2fde50cb130908b897de10b65cdc392f9b4ff78/output/topo.json"
)
BOUNDARIES_SHA256 = "dc7062d094f5321bc2101a1287d15b4822edadb6432181d2063953ddcd573c8c"
BOUNDARIES_FILENAME = "ons-uk-topo.json"
# Open Innovations' hex cartogram of the 361 districts (odileeds/hexmaps, file
# maps/uk-local-authority-districts-2023.hexjson, MIT licence). `python -m geo hexes` reads it
# from the boundaries folder and writes the small derived table data/hexes.csv, which the app uses.
HEX_FILENAME = "odileeds-uk-lad-2023.hexjson"
HEXES_CSV = PROJECT_ROOT / "data" / "hexes.csv"
HEX_ATTRIBUTION = "Hex cartogram: Open Innovations (MIT licence)"


@dataclass(frozen=True)
class ReferenceFile:
    """A public file the code derives from, pinned to one commit and checked by SHA-256."""

    filename: str
    url: str
    sha256: str


# Everything `python -m geo fetch-boundaries` downloads into boundaries_dir(); the
# same files sit in ../shared/geo on development machines and CI.
REFERENCE_FILES: tuple[ReferenceFile, ...] = (
    ReferenceFile(BOUNDARIES_FILENAME, BOUNDARIES_URL, BOUNDARIES_SHA256),
    ReferenceFile(
        HEX_FILENAME,
        "https://raw.githubusercontent.com/odileeds/hexmaps/"
        "c18fd805fb49c41d21da975169c762ba7afe887a/maps/uk-local-authority-districts-2023.hexjson",
        "dc1692514e184c0299619fee3377ef09cdaabd3190c408a08b337e5eb99a88d7",
    ),
)


def boundaries_dir() -> Path:
    """Folder holding ``ons-uk-topo.json``: ``HIKMAP_BOUNDARIES_DIR``, else :func:`cache_dir`."""
    configured = _env("BOUNDARIES_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    return cache_dir()


def cache_dir() -> Path:
    """Folder for files derived once and rebuilt on their own (the postcode index).

    ``HIKMAP_CACHE_DIR``, else ``$XDG_CACHE_HOME/hikmap`` (normally ``~/.cache/hikmap``).
    Anything in it can be deleted; it is rebuilt when next needed.
    """
    configured = _env("CACHE_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    cache_home = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache_home / "hikmap"


# mySociety's tables of UK local authorities (uk_la_future 1.7.3, CC BY 4.0): read by
# `python -m geo authorities` to regenerate data/authorities.csv and authority_names.csv.
MYSOCIETY_BASE_URL = (
    "https://raw.githubusercontent.com/mysociety/uk_local_authority_names_and_codes/"
    "67ef8b118938678401a452f4f19f669a7221cc73/data/packages/uk_la_future/"
)
MYSOCIETY_AUTHORITIES_FILENAME = "mysociety-uk-local-authorities.csv"
MYSOCIETY_NAMES_FILENAME = "mysociety-la-name-lookup.csv"
MYSOCIETY_ATTRIBUTION = "Local authorities and their names: mySociety (CC BY 4.0)"
REFERENCE_FILES += (
    ReferenceFile(
        MYSOCIETY_AUTHORITIES_FILENAME,
        MYSOCIETY_BASE_URL + "uk_local_authorities_future.csv",
        "78996ce1cb68eeecdde44b6fac57fe072b45212acef2d84323ebc104e5ac398b",
    ),
    ReferenceFile(
        MYSOCIETY_NAMES_FILENAME,
        MYSOCIETY_BASE_URL + "lookup_name_to_registry.csv",
        "4cd1e6b580ca7a34ee559487ec3310d01755d7186a6231d6695c49479ae14eaa",
    ),
)

# The statements ONS asks for, in its wording; both of its products carry the OS one.
OS_STATEMENT = "Contains OS data © Crown copyright and database right 2025."
ROYAL_MAIL_STATEMENT = "Contains Royal Mail data © Royal Mail copyright and database right 2025."
BOUNDARY_ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0. " + OS_STATEMENT
)
SHORT_ATTRIBUTION = "Boundaries and postcodes: ONS, OS, Royal Mail (Open Government Licence v3.0)"
POSTCODE_SOURCE = "Postcodes: ONS Postcode Directory (November 2025), Open Government Licence v.3.0."
POSTCODE_ATTRIBUTION = f"{POSTCODE_SOURCE} {OS_STATEMENT} {ROYAL_MAIL_STATEMENT}"


def credit_lines(*, boundaries: bool, hexes: bool) -> list[str]:
    """The credits for a view, each source once in its required wording.

    ``boundaries``: ONS boundaries are drawn; ``hexes``: Open Innovations' cartogram is.
    Postcodes (every site is placed by them) and mySociety's tables are always credited.
    """
    if boundaries:
        lines = [BOUNDARY_ATTRIBUTION, f"{POSTCODE_SOURCE} {ROYAL_MAIL_STATEMENT}"]  # the OS statement once
    else:
        lines = [POSTCODE_ATTRIBUTION]
    lines.append(MYSOCIETY_ATTRIBUTION + ".")
    if hexes:
        lines.append(HEX_ATTRIBUTION + ".")
    return lines


# --- Map tiles ---------------------------------------------------------------
@dataclass(frozen=True)
class TileSource:
    name: str
    url: str  # empty: no tiles, draw the outline basemap from the boundaries
    attribution: str
    max_zoom: int = 18


TILE_SOURCES: dict[str, TileSource] = {
    "osm": TileSource(
        name="OpenStreetMap",
        url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        attribution='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        max_zoom=19,
    ),
    "none": TileSource(name="No tiles (outline basemap)", url="", attribution="", max_zoom=18),
}


def tile_source() -> TileSource:
    """Tiles in use: ``HIKMAP_TILES`` names one of :data:`TILE_SOURCES` (default ``osm``)."""
    key = _env("TILES", "osm").lower()
    if key not in TILE_SOURCES:
        raise ValueError(f"HIKMAP_TILES={key!r} is not one of {sorted(TILE_SOURCES)}")
    return TILE_SOURCES[key]


# --- Map view -----------------------------------------------------------------
UK_CENTRE = (54.5, -3.0)  # lat, lon: roughly the middle of the UK
UK_ZOOM = 5
UK_BOUNDS = ((49.8, -8.7), (60.9, 1.8))  # south-west, north-east


# --- Campaign -----------------------------------------------------------------
# WhatDoTheyKnow, mySociety's public FOI site (Alaveteli). The "Ask this council" link opens
# /new/<body id> there with the title and letter filled in (see geo/foi.py).
WHATDOTHEYKNOW_URL = "https://www.whatdotheyknow.com"


# --- Reading WhatDoTheyKnow (python -m geo wdtk pull) ----------------------------------------------
# The project as it names itself to the sites it reads (the User-Agent says who asks, and how to reach them).
PROJECT_NAME = "hikvision-uk-evidence-map"


def wdtk_url() -> str:
    """The Alaveteli site the pull reads (``HIKMAP_WDTK_URL``, default WhatDoTheyKnow itself)."""
    return _http_url("WDTK_URL") or WHATDOTHEYKNOW_URL


def wdtk_delay() -> float:
    """Seconds between two requests to the site (``HIKMAP_WDTK_DELAY``, default 1; tests use 0)."""
    text = _env("WDTK_DELAY", "1")
    try:
        delay = float(text)
    except ValueError:
        raise ValueError(f"HIKMAP_WDTK_DELAY={text!r} is not a number of seconds") from None
    if not 0 <= delay <= 600:
        raise ValueError(f"HIKMAP_WDTK_DELAY={text!r} must be between 0 and 600 seconds")
    return delay


def wdtk_timeout() -> float:
    """Seconds to wait for the site's answer before trying again (``HIKMAP_WDTK_TIMEOUT``, default 30)."""
    text = _env("WDTK_TIMEOUT", "30")
    try:
        return max(0.05, float(text))
    except ValueError:
        raise ValueError(f"HIKMAP_WDTK_TIMEOUT={text!r} is not a number of seconds") from None


def wdtk_user() -> str:
    """The campaign's own account on the site (``HIKMAP_WDTK_USER``, its address name); empty: none.

    Its requests are read as well as those the search finds. It is an organisation's account, so
    its name may appear in the data; a person's account must not be configured here.
    """
    name = _env("WDTK_USER")
    if name and not all(c.isascii() and (c.isalnum() or c in "_-") for c in name):
        raise ValueError("HIKMAP_WDTK_USER must be the account's address name (letters, digits, _ and -)")
    return name


def contact() -> str:
    """How the sites the project reads can reach its maintainers (``HIKMAP_CONTACT``: an e-mail or web address)."""
    return _env("CONTACT")


def user_agent() -> str:
    """The User-Agent of every request the project makes to another site: the project and its contact."""
    return f"{PROJECT_NAME} (evidence map of Hikvision and Dahua in UK public bodies; contact: {contact() or 'not configured'})"


def petition_url() -> str:
    """The petition link shown with the call to act; empty means no link is shown."""
    url = _env("PETITION_URL")
    if url and not url.startswith(("https://", "http://")):
        raise ValueError("HIKMAP_PETITION_URL must be an http(s) address")
    return url


def trusted_proxies() -> str:
    """Reverse proxies whose ``X-Forwarded-For`` the import's sign-in believes (``HIKMAP_TRUSTED_PROXIES``:
    addresses or networks, comma-separated; empty: none, the connection's own address counts)."""
    return _env("TRUSTED_PROXIES")


def import_token() -> str:
    """The import page's credential from ``HIKMAP_IMPORT_TOKEN`` (Streamlit secrets come first); empty: import off."""
    return _env("IMPORT_TOKEN")


# Colours and shapes of the data's coded values live with their labels in data/datapackage.json
# (x-colours, x-shapes, x-area-statuses), read by geo/evidence/vocabulary.py: the Okabe-Ito palette,
# distinguishable with the common colour-vision deficiencies.
#
# The chrome's colours (text, lines, backgrounds: everything that is not a coded value) are here,
# once, for every view: the map's CSS and script (geo/outputs/mapview.py, sitelayer.js), the
# published pages (publish.css reads them as CSS custom properties, see chrome_css), the press
# image, and the app's Streamlit theme (.streamlit/config.toml, which Streamlit reads before any
# code runs, so it repeats primary and text; tests/test_vocabulary.py keeps it equal to these).
CHROME: dict[str, str] = {
    "ink": "#1a1a1a",  # text and outlines on the map, the published pages and the press image; focus rings
    "text": "#171614",  # the app's text (theme textColor): captions at 60 % opacity stay 4.7:1 on white
    "muted": "#3d3d3d",  # secondary text: notes, a popup's details, the press image's small print
    "paper": "#ffffff",  # backgrounds; the fill of hollow markers and of the legend's kinds
    "line": "#c8c8c8",  # rules between rows (tables, a popup's claims)
    "field-edge": "#767676",  # edges of form fields (3:1 on white for WCAG 1.4.11)
    "header": "#f1f1f1",  # a table's header row
    "outline": "#555555",  # the UK outline on the press image, the legend's hollow symbol, swatches' edges
    "frame": "#999999",  # frames of the press image's maps and notes; a marker with no grade
    "primary": "#0072B2",  # the app's primary colour (theme primaryColor) and the "near me" circle
    "accent": "#0b5394",  # links and buttons on the published pages
    "sea": "#dde6ee",  # behind the map
    "land": "#fbfbf8",  # the land when there are no tiles: the council areas' colours are mixed with it
    "district-edge": "#6b6b6b",
    "region-edge": "#333333",
    "highlight": "#fff4d6",  # a caveat in a popup, the source a visitor asked for, a note on the press image
    "highlight-edge": "#e69f00",
    "warning": "#8a1c00",  # text of a warning (values ignored, boundaries missing)
}


def chrome_css() -> str:
    """The chrome's colours as CSS custom properties (``--hikmap-ink`` ...), for every stylesheet that uses them."""
    return ":root { " + " ".join(f"--hikmap-{name}: {colour};" for name, colour in CHROME.items()) + " }\n"


def _http_url(name: str) -> str:
    url = _env(name).rstrip("/")
    if url and not url.startswith(("https://", "http://")):
        raise ValueError(f"HIKMAP_{name} must be an http(s) address")
    return url


def publish_url() -> str:
    """Where the published static site is served (``HIKMAP_PUBLISH_URL``); empty: not published.

    When set, the embed snippet and "share this view" links point there, with
    the same filters, so readers of a story load static files, not the app.
    """
    return _http_url("PUBLISH_URL")


def app_url() -> str:
    """The live app's address (``HIKMAP_APP_URL``), linked from the published site; empty: no link."""
    return _http_url("APP_URL")


# --- Sources: their links checked and their pages archived (python -m geo sources) ---------
# The Wayback Machine's two public APIs: availability (is there a copy?) and Save Page Now.
WAYBACK_AVAILABILITY_URL = "https://archive.org"
WAYBACK_SAVE_URL = "https://web.archive.org"


def _seconds(name: str, default: float) -> float:
    text = _env(name)
    try:
        value = float(text) if text else default
    except ValueError:
        raise ValueError(f"HIKMAP_{name} must be a number of seconds, not {text!r}") from None
    if not (0 <= value < 86_400):
        raise ValueError(f"HIKMAP_{name} must be between 0 and 86400 seconds, not {text!r}")
    return value


def sources_delay() -> float:
    """Seconds between two requests to one host (``HIKMAP_SOURCES_DELAY``, default 1.0: one a second).

    Tests against a local stand-in set it small; against the real web, keep the default or more.
    """
    return _seconds("SOURCES_DELAY", 1.0)


def sources_timeout() -> float:
    """Seconds to wait for a site's answer before calling it dead (``HIKMAP_SOURCES_TIMEOUT``, default 20)."""
    value = _seconds("SOURCES_TIMEOUT", 20.0)
    if value <= 0:
        raise ValueError("HIKMAP_SOURCES_TIMEOUT must be more than 0 seconds")
    return value


def wayback_urls() -> tuple[str, str]:
    """Where the Wayback Machine's availability API and Save Page Now are: (availability base, save base).

    ``HIKMAP_WAYBACK_URL`` points both at one server (a local stand-in in the tests); by default
    https://archive.org (``/wayback/available``) and https://web.archive.org (``/save/``).
    """
    configured = _http_url("WAYBACK_URL")
    if configured:
        return configured, configured
    return WAYBACK_AVAILABILITY_URL, WAYBACK_SAVE_URL
