"""The filters, defined once: shared by the map, the table, the downloads and the published copy.

:data:`PARAMS` is the one specification of the filters: each parameter's URL
key, the :class:`Filters` field it sets, its kind of value (a list of allowed
values, a date, free text, a postcode, a distance), its labels (the app's
sidebar and the published form take them from here), its limits, the data
column it tests and the text columns free text searches. :func:`filter_spec`
hands the same specification to the published copy as data (in its filter
index, ``data/filters-*.json``), and ``geo/outputs/publish/assets/filters.js``
follows it: no rule, label, limit, date pattern or column list is written a
second time there. ``tests/test_filter_parity.py`` runs both on many generated
URLs and checks that they select the same sites and claims, say the same
about ignored values and frame the same places.

Decisions (the same in the app and the published copy):

* **Dates**: only ``YYYY-MM-DD``, a real calendar date (years 0001 to 9999).
  ``20230101``, ``2023-W52-7`` (which Python's ``date.fromisoformat`` takes)
  and ``2023-02-30`` are ignored with a message.
* **Several values**: a list filter reads every value of its parameter, and
  each value may be a comma list: ``kind=a&kind=b`` means ``kind=a,b``.
  Values are trimmed, empty ones dropped, repeats dropped (the first kept); at
  most :data:`MAX_VALUES` different values are read. A single-value parameter
  (``from``, ``to``, ``q``, ``near``, ``km``) given more than once takes its
  last value, as Streamlit's ``st.query_params[key]`` does.
* **Text**: trimmed of :data:`WHITESPACE` (Python's ``str.isspace``
  characters), then cut to its limit in characters (code points, not UTF-16
  units). Free text matches case-insensitively after Unicode's full upper-case
  mapping on both sides (``str.upper``, ``toUpperCase``: ``strasse`` finds
  ``Straße``); it searches :data:`SITE_TEXT_COLUMNS` of a site and
  :data:`CLAIM_TEXT_COLUMNS` of a claim. One difference remains outside our
  hands: each side folds by its own Unicode tables (Python 3.11: Unicode 14;
  Node 20: newer), so a cased letter added to Unicode since 14 folds in the
  published copy only.
* **Distance**: plain decimal digits (``5``, ``2.5``), above 0 and at most
  1000 km; ``1e3``, ``1_000``, ``inf`` or non-ASCII digits are ignored with a
  message.
* **Unknown parameters** are ignored without a message (other parameters,
  such as ``layout`` or ``view``, belong to the pages).
* **Framing**: :func:`geo.places.boundaries.place_frames` gives the frame of
  every place a filter can name (a council, region or nation): its boundary's
  box, or without the boundary file the box of the points of the councils in
  it. A filtered view frames its selected sites and the places it names
  (:func:`view_frame`); a view that selects nothing by filter shows the whole
  UK. Near a postcode, the app frames the circle instead; the published copy
  has no postcode directory and leaves "near" to the app.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from geo.evidence.datapackage import parse_partial_date

# --- The specification ------------------------------------------------------------------------
# Python's str.strip() characters (str.isspace), written out so the published copy strips the same
# ones (JavaScript's trim() differs: it strips U+FEFF and keeps U+0085 and U+001C-U+001F).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
MAX_VALUES = 500  # different values read from one list parameter (there are 382 councils)
MAX_TEXT = 200
MAX_POSTCODE = 16
DATE_FORM = "YYYY-MM-DD"
DATE_PATTERN = r"([0-9]{4})-([0-9]{2})-([0-9]{2})"  # and a real calendar date, year 0001 or later
DISTANCE_PATTERN = r"[0-9]+(?:\.[0-9]+)?"
DEFAULT_RADIUS_KM = 10.0
MAX_RADIUS_KM = 1000.0
RADIUS_CHOICES_KM = (1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0)
SITE_TEXT_COLUMNS = ("name", "organisation", "address", "postcode", "lad_name", "authority_name")
CLAIM_TEXT_COLUMNS = ("claim", "response")
DATE_COLUMN = "reported"  # claims' partial dates (YYYY, YYYY-MM or YYYY-MM-DD)
DATE_RANGE_LABEL = "Reported between"  # the sidebar's one widget for both dates
FRAME_PAD = 0.01  # degrees around a framed selection: a single place still gets a street-level frame
# What is said about a value that is not applied; {key} is the URL key, {value} what the URL said.
MESSAGES = {
    "unknown": "ignored unknown {key}: {values}",
    "too_many": "ignored {count} more {key} values: at most {max} are read",
    "date": "ignored {key}={value}: not a date (" + DATE_FORM + ")",
    "distance": f"ignored {{key}}={{value}}: not a distance between 0 and {MAX_RADIUS_KM:g}",
    # The published copy has no postcode directory: it says so for "near" (the app applies it).
    "app_only": "ignored {key}={value}: only the live app searches near a postcode",
}
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Param:
    """One filter: how it is written in the URL, what it sets and what it tests.

    ``kind`` is ``choice`` (a list of allowed values), ``date``, ``text``,
    ``postcode`` or ``distance``. A choice tests ``column`` of ``table``
    (``sites`` or ``claims``); ``many`` means that column holds several values
    per row (any one matches); ``place`` means its values are places with a
    frame; ``vocabulary`` names the vocabulary group its values and labels
    come from. A date bounds the claims' :data:`DATE_COLUMN` from or to.
    ``published`` is False for what only the app can apply (near a postcode).
    """

    key: str
    field: str
    kind: str
    label: str
    short: str = ""  # a list filter's name in the press image's description of the filters
    table: str = ""
    column: str = ""
    many: bool = False
    place: bool = False
    vocabulary: str = ""
    bound: str = ""
    max_length: int = 0
    placeholder: str = ""
    published: bool = True


PARAMS: tuple[Param, ...] = (
    Param("q", "text", "text", "Search", max_length=MAX_TEXT, placeholder="Organisation, place, claim…"),
    Param(
        "near",
        "near",
        "postcode",
        "Near a postcode",
        max_length=MAX_POSTCODE,
        placeholder="e.g. SW1H 9NA",
        published=False,
    ),
    Param("km", "radius_km", "distance", "Distance from the postcode (km)", published=False),
    Param("nation", "nations", "choice", "Nation", "Nation", table="sites", column="nation", place=True),
    Param("region", "regions", "choice", "Region", "Region", table="sites", column="region", place=True),
    # A council picks the sites in its area or about it: a county council picks its districts' sites too.
    Param(
        "council", "councils", "choice", "Council", "Council", table="sites", column="area_codes", many=True, place=True
    ),
    Param("kind", "kinds", "choice", "Kind of body", "Kind", table="sites", column="kind", vocabulary="kinds"),
    Param("vendor", "vendors", "choice", "Vendor", "Vendor", table="claims", column="vendor", vocabulary="vendors"),
    Param("grade", "grades", "choice", "Evidence grade", "Grade", table="claims", column="grade", vocabulary="grades"),
    Param("status", "statuses", "choice", "Status", "Status", table="claims", column="status", vocabulary="statuses"),
    Param("from", "date_from", "date", "Reported from", bound="from"),
    Param("to", "date_to", "date", "Reported to", bound="to"),
)
PARAM_BY_FIELD = {p.field: p for p in PARAMS}
CHOICE_PARAMS = tuple(p for p in PARAMS if p.kind == "choice")
MULTI_PARAMS = {p.field: p.key for p in CHOICE_PARAMS}
SCALAR_PARAMS = {p.field: p.key for p in PARAMS if p.kind != "choice"}
PARAM_KEYS = tuple(p.key for p in PARAMS)
_DATE_RE = re.compile(DATE_PATTERN)
_DISTANCE_RE = re.compile(DISTANCE_PATTERN)


def filter_spec() -> dict:
    """The specification as data for the published copy's ``filters.js`` (JSON-ready)."""
    return {
        "params": [
            {
                "key": p.key,
                "field": p.field,
                "kind": p.kind,
                "label": p.label,
                "table": p.table,
                "column": p.column,
                "many": p.many,
                "place": p.place,
                "bound": p.bound,
                "maxLength": p.max_length,
                "placeholder": p.placeholder,
                "published": p.published,
            }
            for p in PARAMS
        ],
        "whitespace": WHITESPACE,
        "maxValues": MAX_VALUES,
        "datePattern": DATE_PATTERN,
        "dateForm": DATE_FORM,
        "dateColumn": DATE_COLUMN,
        "distancePattern": DISTANCE_PATTERN,
        "defaultRadiusKm": DEFAULT_RADIUS_KM,
        "maxRadiusKm": MAX_RADIUS_KM,
        "siteTextColumns": list(SITE_TEXT_COLUMNS),
        "claimTextColumns": list(CLAIM_TEXT_COLUMNS),
        "framePad": FRAME_PAD,
        "messages": MESSAGES,
    }


# --- Reading values ---------------------------------------------------------------------------
def strip(text: str) -> str:
    """``text`` without :data:`WHITESPACE` at either end."""
    return text.strip(WHITESPACE)


def calendar_date(text: str) -> str:
    """``text`` if it is a real calendar date written ``YYYY-MM-DD``, else ""."""
    match = _DATE_RE.fullmatch(text)
    if match is None:
        return ""
    year, month, day = (int(part) for part in match.groups())
    if year < 1 or not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return ""
    return text


def fold(text: str) -> str:
    """Text as free text compares it: Unicode's full upper-case mapping (JavaScript's toUpperCase)."""
    return text.upper()


def as_text(value: object) -> str:
    """A cell as searchable text: missing values are ""."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _values(params: Mapping[str, str | Sequence[str]], key: str) -> list[str]:
    raw = params.get(key)
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    return [str(v) for v in raw]


def _message(kind: str, **fields: object) -> str:
    return MESSAGES[kind].format(**fields)


@dataclass(frozen=True)
class Filters:
    """What the visitor asked to see. Empty tuples and strings mean "any"."""

    nations: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    councils: tuple[str, ...] = ()  # GSS codes of current councils (districts, unitaries, counties)
    kinds: tuple[str, ...] = ()
    vendors: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    date_from: str = ""  # YYYY-MM-DD
    date_to: str = ""
    text: str = ""
    near: str = ""  # a postcode, as typed
    radius_km: float = DEFAULT_RADIUS_KM

    def to_params(self) -> dict[str, str]:
        """URL query parameters for every filter that is not at its default (lists joined by commas)."""
        params: dict[str, str] = {}
        for p in PARAMS:
            value = getattr(self, p.field)
            if p.kind == "choice":
                if value:
                    params[p.key] = ",".join(value)
            elif p.kind == "distance":
                if self.near and value != DEFAULT_RADIUS_KM:
                    params[p.key] = f"{value:g}"
            elif value:
                params[p.key] = value
        return params

    @classmethod
    def from_params(
        cls, params: Mapping[str, str | Sequence[str]], allowed: Mapping[str, Sequence[str]] | None = None
    ) -> tuple[Filters, list[str]]:
        """Filters from URL query parameters, and a message for each value ignored.

        ``params`` maps a URL key to its value or to all its values (as
        ``st.query_params.get_all`` gives them). ``allowed`` maps a field name
        (``"kinds"``, ``"nations"`` ...) to its valid values; anything else is
        dropped with a message, never guessed. The rules are in the module's
        docstring.
        """
        allowed = allowed or {}
        values: dict[str, object] = {}
        messages: list[str] = []
        for p in PARAMS:
            given = _values(params, p.key)
            if p.kind == "choice":
                items = list(dict.fromkeys(strip(v) for value in given for v in value.split(",") if strip(v)))
                if len(items) > MAX_VALUES:
                    messages.append(_message("too_many", key=p.key, count=len(items) - MAX_VALUES, max=MAX_VALUES))
                    items = items[:MAX_VALUES]
                if p.field in allowed:
                    valid = set(allowed[p.field])
                    unknown = [v for v in items if v not in valid]
                    if unknown:
                        messages.append(_message("unknown", key=p.key, values=", ".join(unknown)))
                    items = [v for v in items if v in valid]
                values[p.field] = tuple(items)
                continue
            raw = strip(given[-1]) if given else ""
            if not raw:
                continue
            if p.kind == "date":
                if calendar_date(raw):
                    values[p.field] = raw
                else:
                    messages.append(_message("date", key=p.key, value=raw))
            elif p.kind == "distance":
                km = float(raw) if _DISTANCE_RE.fullmatch(raw) else math.nan
                if 0 < km <= MAX_RADIUS_KM:
                    values[p.field] = km
                else:
                    messages.append(_message("distance", key=p.key, value=raw))
            else:  # text, postcode: cut to the limit, in characters
                values[p.field] = raw[: p.max_length]
        return cls(**values), messages  # type: ignore[arg-type]

    @property
    def active(self) -> bool:
        """Whether anything is filtered (the distance counts only with a postcode)."""
        return self.selects or bool(self.near)

    @property
    def selects(self) -> bool:
        """Whether a filter other than "near a postcode" is set (what frames a view and what the published copy applies)."""
        return replace(self, near="", radius_km=DEFAULT_RADIUS_KM) != Filters()


# --- Selecting --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Selection:
    """The sites and claims that match some filters."""

    sites: pd.DataFrame
    claims: pd.DataFrame

    @property
    def site_count(self) -> int:
        return len(self.sites)

    @property
    def claim_count(self) -> int:
        return len(self.claims)


def partial_date_range(value: str) -> tuple[dt.date, dt.date]:
    """First and last day a partial date (``2022``, ``2022-03``, ``2022-03-05``) can mean."""
    start = parse_partial_date(value)
    parts = value.count("-")
    if parts == 0:
        return start, dt.date(start.year, 12, 31)
    if parts == 1:
        return start, dt.date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    return start, start


def distance_km(lat: np.ndarray, lon: np.ndarray, point: tuple[float, float]) -> np.ndarray:
    """Great-circle (haversine) distance in km from ``point`` (lat, lon) to each position."""
    lat1, lon1 = np.radians(point[0]), np.radians(point[1])
    lat2, lon2 = np.radians(lat), np.radians(lon)
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def text_cells(series: pd.Series) -> list[str]:
    """A column's cells as searchable text (:func:`as_text`: missing values are "")."""
    return [v if type(v) is str else as_text(v) for v in series.tolist()]


def text_rows(frame: pd.DataFrame, columns: Iterable[str]) -> list[list[str]]:
    """Each row's searchable text in ``columns`` (the published copy's filter index carries the same)."""
    return [list(row) for row in zip(*(text_cells(frame[c]) for c in columns))]


def _column_matches(series: pd.Series, needle: str) -> np.ndarray:
    """Whether each cell, folded, holds ``needle`` (already folded).

    An ASCII cell folds to its ASCII upper case, so Arrow tests those in one
    pass; only the other cells go through Python's full mapping.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        cells = pa.array(series.fillna(""), type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # not a text column: cell by cell
        return np.fromiter((needle in fold(c) for c in text_cells(series)), dtype=bool, count=len(series))
    ascii_cells = np.asarray(pc.string_is_ascii(cells).to_numpy(zero_copy_only=False), dtype=bool)
    found = np.zeros(len(series), dtype=bool)
    if needle.isascii():  # an ASCII cell cannot hold anything else
        found = ascii_cells & np.asarray(
            pc.match_substring(pc.ascii_upper(cells), needle).to_numpy(zero_copy_only=False), dtype=bool
        )
    others = np.flatnonzero(~ascii_cells)
    if len(others):
        found[others] = [needle in fold(v) for v in cells.take(pa.array(others)).to_pylist()]
    return found


def _text_matches(frame: pd.DataFrame, columns: Sequence[str], needle: str) -> pd.Series:
    hit = np.zeros(len(frame), dtype=bool)
    for column in columns:
        hit |= _column_matches(frame[column], needle)
    return pd.Series(hit, index=frame.index)


def _among(series: pd.Series, values: list[str]) -> np.ndarray:
    """Whether each cell is one of ``values`` (pandas' isin on Arrow strings makes an object per value: slow)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        found = pc.is_in(pa.array(series, type=pa.string()), value_set=pa.array(values, type=pa.string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # not a text column
        wanted = set(values)
        return np.fromiter((v in wanted for v in series.tolist()), dtype=bool, count=len(series))
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


def apply_filters(
    sites: pd.DataFrame, claims: pd.DataFrame, filters: Filters, near_point: tuple[float, float] | None = None
) -> Selection:
    """The sites and claims matching ``filters``.

    Site filters (nation, region, council, kind, distance) pick sites; claim
    filters (vendor, grade, status, dates) pick claims, and a site then stays
    only if at least one of its claims matches. A council picks the sites in
    its area or about it (``area_codes``: a county council picks its
    districts' sites too). Free text matches a site's text columns or a
    claim's (:data:`SITE_TEXT_COLUMNS`, :data:`CLAIM_TEXT_COLUMNS`). A claim
    with no date never matches a date filter. ``near_point`` is the geocoded
    ``filters.near``; without it the distance filter is not applied.
    """
    keep = pd.Series(True, index=sites.index)
    claim_keep = pd.Series(True, index=claims.index)
    claim_filtered = False
    for p in CHOICE_PARAMS:
        wanted = getattr(filters, p.field)
        if not wanted:
            continue
        table = sites if p.table == "sites" else claims
        if p.many:
            chosen = set(wanted)
            hit = table[p.column].map(lambda values, chosen=chosen: bool(chosen.intersection(values))).astype(bool)
        else:
            hit = table[p.column].isin(wanted)
        if p.table == "sites":
            keep &= hit
        else:
            claim_keep &= hit
            claim_filtered = True
    if near_point is not None:
        keep &= distance_km(sites["lat"].to_numpy(), sites["lon"].to_numpy(), near_point) <= filters.radius_km

    bounds = {p.bound: getattr(filters, p.field) for p in PARAMS if p.kind == "date"}
    if any(bounds.values()):
        claim_filtered = True
        low = dt.date.fromisoformat(bounds["from"]) if bounds["from"] else dt.date.min
        high = dt.date.fromisoformat(bounds["to"]) if bounds["to"] else dt.date.max
        ranges = claims[DATE_COLUMN].map(lambda d: partial_date_range(d) if d else None)
        claim_keep &= ranges.map(lambda r: r is not None and r[1] >= low and r[0] <= high).astype(bool)

    if filters.text:
        needle = fold(filters.text)
        site_text = _text_matches(sites, SITE_TEXT_COLUMNS, needle)
        claim_text = _text_matches(claims, CLAIM_TEXT_COLUMNS, needle)
        claim_keep &= claim_text | _among(claims["site"], sites.loc[site_text, "id"].tolist())
        keep &= site_text | _among(sites["id"], claims.loc[claim_keep, "site"].tolist())

    if claim_filtered:
        keep &= _among(sites["id"], claims.loc[claim_keep, "site"].tolist())
    chosen_sites = sites[keep]
    chosen_claims = claims[claim_keep & _among(claims["site"], chosen_sites["id"].tolist())]
    return Selection(sites=chosen_sites, claims=chosen_claims)


Frame = tuple[float, float, float, float]  # south, west, north, east (degrees, EPSG:4326)


def view_frame(filters: Filters, sites: pd.DataFrame, frames: Mapping[str, Frame]) -> list[list[float]] | None:
    """The frame a filtered view zooms to: its placed sites and the places it names; None for the whole UK.

    ``frames`` are the places' frames (:func:`geo.places.boundaries.place_frames`),
    so that a filter frames its area even where no site is known yet. A view
    that selects nothing by filter (none set, or only "near a postcode")
    shows the whole UK. The corners are padded by :data:`FRAME_PAD`.
    """
    if not filters.selects:
        return None
    placed = sites.dropna(subset=["lat", "lon"])
    lats = [float(v) for v in placed["lat"]]
    lons = [float(v) for v in placed["lon"]]
    for p in PARAMS:
        if p.place:
            for name in getattr(filters, p.field):
                box = frames.get(name)
                if box is not None:
                    lats += [box[0], box[2]]
                    lons += [box[1], box[3]]
    if not lats:
        return None
    return [[min(lats) - FRAME_PAD, min(lons) - FRAME_PAD], [max(lats) + FRAME_PAD, max(lons) + FRAME_PAD]]


def allowed_values(vocabulary) -> dict[str, list[str]]:
    """The values each list filter accepts: the app, the published site and the tests share it.

    Nations and regions are those of the district table; councils are the
    current councils at every tier (GSS codes); the rest come from the
    vocabulary of ``datapackage.json``.
    """
    from geo.places.authorities import load_authorities
    from geo.places.districts import load_districts

    districts = load_districts()
    return {
        "nations": sorted({d.nation for d in districts}),
        "regions": sorted({d.region for d in districts}),
        "councils": sorted(a.gss_code for a in load_authorities().current() if a.is_council and a.gss_code),
        **{p.field: vocabulary.keys(p.vocabulary) for p in CHOICE_PARAMS if p.vocabulary},
    }
