"""Filters shared by the map, the table and the downloads, and their URL form.

A :class:`Filters` value round-trips through URL query parameters
(:meth:`Filters.to_params` / :meth:`Filters.from_params`), so a copied link
restores exactly the same view on every page.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from geo.evidence.datapackage import parse_partial_date

MULTI_PARAMS = {
    "nations": "nation",
    "regions": "region",
    "councils": "council",
    "kinds": "kind",
    "vendors": "vendor",
    "grades": "grade",
    "statuses": "status",
}
SCALAR_PARAMS = {"date_from": "from", "date_to": "to", "text": "q", "near": "near", "radius_km": "km"}
DEFAULT_RADIUS_KM = 10.0
RADIUS_CHOICES_KM = (1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0)
MAX_TEXT = 200
EARTH_RADIUS_KM = 6371.0088


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
        """URL query parameters for every filter that is not at its default."""
        params: dict[str, str] = {}
        for name, key in MULTI_PARAMS.items():
            values = getattr(self, name)
            if values:
                params[key] = ",".join(values)
        for name, key in SCALAR_PARAMS.items():
            value = getattr(self, name)
            if name == "radius_km":
                if self.near and value != DEFAULT_RADIUS_KM:
                    params[key] = f"{value:g}"
            elif value:
                params[key] = value
        return params

    @classmethod
    def from_params(
        cls, params: Mapping[str, str], allowed: Mapping[str, list[str]] | None = None
    ) -> tuple[Filters, list[str]]:
        """Filters from URL query parameters, and a message for each value ignored.

        ``allowed`` maps a field name (``"kinds"``, ``"nations"`` ...) to its
        valid values; anything else is dropped with a message, never guessed.
        """
        allowed = allowed or {}
        values: dict[str, object] = {}
        messages: list[str] = []
        for name, key in MULTI_PARAMS.items():
            raw = params.get(key, "")
            items = tuple(dict.fromkeys(v.strip() for v in str(raw).split(",") if v.strip()))
            if name in allowed:
                unknown = [v for v in items if v not in allowed[name]]
                if unknown:
                    messages.append(f"ignored unknown {key}: {', '.join(unknown)}")
                items = tuple(v for v in items if v in allowed[name])
            values[name] = items
        for name in ("date_from", "date_to"):
            raw = str(params.get(SCALAR_PARAMS[name], "")).strip()
            if raw:
                try:
                    values[name] = dt.date.fromisoformat(raw).isoformat()
                except ValueError:
                    messages.append(f"ignored {SCALAR_PARAMS[name]}={raw!r}: not a date (YYYY-MM-DD)")
        values["text"] = str(params.get("q", "")).strip()[:MAX_TEXT]
        values["near"] = str(params.get("near", "")).strip()[:16]
        raw_km = str(params.get("km", "")).strip()
        if raw_km:
            try:
                km = float(raw_km)
                if not 0 < km <= 1000:
                    raise ValueError
                values["radius_km"] = km
            except ValueError:
                messages.append(f"ignored km={raw_km!r}: not a distance between 0 and 1000")
        return cls(**values), messages  # type: ignore[arg-type]

    @property
    def active(self) -> bool:
        """Whether anything is filtered (the distance counts only with a postcode)."""
        return replace(self, radius_km=DEFAULT_RADIUS_KM) != Filters() or bool(self.near)


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


def _contains(series: pd.Series, needle: str) -> pd.Series:
    return series.fillna("").astype(str).str.contains(needle, case=False, regex=False)


def apply_filters(
    sites: pd.DataFrame, claims: pd.DataFrame, filters: Filters, near_point: tuple[float, float] | None = None
) -> Selection:
    """The sites and claims matching ``filters``.

    Site filters (nation, region, council, kind, distance) pick sites; claim
    filters (vendor, grade, status, dates) pick claims, and a site then stays
    only if at least one of its claims matches. A council picks the sites in
    its area or about it (``area_codes``: a county council picks its
    districts' sites too). Free text matches a site's name, organisation,
    address, postcode or council, or a claim's text or the response. A claim
    with no date never matches a date filter. ``near_point`` is the geocoded
    ``filters.near``; without it the distance filter is not applied.
    """
    keep = pd.Series(True, index=sites.index)
    for name, column in (("nations", "nation"), ("regions", "region"), ("kinds", "kind")):
        wanted = getattr(filters, name)
        if wanted:
            keep &= sites[column].isin(wanted)
    if filters.councils:
        wanted_councils = set(filters.councils)
        keep &= sites["area_codes"].map(lambda codes: bool(wanted_councils.intersection(codes))).astype(bool)
    if near_point is not None:
        keep &= distance_km(sites["lat"].to_numpy(), sites["lon"].to_numpy(), near_point) <= filters.radius_km

    claim_keep = pd.Series(True, index=claims.index)
    for name, column in (("vendors", "vendor"), ("grades", "grade"), ("statuses", "status")):
        wanted = getattr(filters, name)
        if wanted:
            claim_keep &= claims[column].isin(wanted)
    if filters.date_from or filters.date_to:
        low = dt.date.fromisoformat(filters.date_from) if filters.date_from else dt.date.min
        high = dt.date.fromisoformat(filters.date_to) if filters.date_to else dt.date.max
        ranges = claims["reported"].map(lambda d: partial_date_range(d) if d else None)
        claim_keep &= ranges.map(lambda r: r is not None and r[1] >= low and r[0] <= high).astype(bool)

    claim_filtered = any(getattr(filters, n) for n in ("vendors", "grades", "statuses", "date_from", "date_to"))
    if filters.text:
        site_text = pd.Series(False, index=sites.index)
        for column in ("name", "organisation", "address", "postcode", "lad_name", "authority_name"):
            site_text |= _contains(sites[column], filters.text)
        claim_text = _contains(claims["claim"], filters.text) | _contains(claims["response"], filters.text)
        matching_sites = set(sites.loc[site_text, "id"])
        claim_keep &= claim_text | claims["site"].isin(matching_sites)
        keep &= site_text | sites["id"].isin(set(claims.loc[claim_keep, "site"]))

    if claim_filtered:
        keep &= sites["id"].isin(set(claims.loc[claim_keep, "site"]))
    chosen_sites = sites[keep]
    chosen_claims = claims[claim_keep & claims["site"].isin(set(chosen_sites["id"]))]
    return Selection(sites=chosen_sites, claims=chosen_claims)


def allowed_values(vocabulary) -> dict[str, list[str]]:
    """The values each multi-choice filter accepts: the app, the published site and the tests share it.

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
        **{group: vocabulary.keys(group) for group in ("kinds", "vendors", "grades", "statuses")},
    }
