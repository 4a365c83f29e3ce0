"""The frame of every place a filter can name: each current council (by GSS code), region and nation.

One function, used by the app and handed to the published copy as data, so
that a view of a council, region or nation is framed the same in both (see
:func:`geo.filters.view_frame`).
"""

from __future__ import annotations

from collections.abc import Mapping

from geo.places.authorities import Authorities
from geo.places.boundaries import BoundariesUnavailable, Extent, area_extents

PRECISION = 5  # decimals of a degree kept (about a metre): the frames travel to the browser as JSON


def boundary_extents() -> dict[str, Extent]:
    """The boundaries' boxes (:func:`area_extents`), or none when the boundary file is not there."""
    try:
        return area_extents()
    except BoundariesUnavailable:
        return {}


def place_frames(authorities: Authorities, extents: Mapping[str, Extent] | None = None) -> dict[str, Extent]:
    """South, west, north and east of every current council (GSS code), region and nation (name).

    A place's frame is its boundary's box when ``extents`` (by default the
    boundary file's, :func:`boundary_extents`) has it; otherwise the box
    around the points of the councils in it: a council's own point, a county
    council's and its districts', a region's or nation's councils'. Degrees
    are rounded to :data:`PRECISION` decimals.
    """
    if extents is None:
        extents = boundary_extents()
    councils = [a for a in authorities.current() if a.is_council and a.gss_code]
    points: dict[str, list[tuple[float, float]]] = {}

    def add(name: str, authority) -> None:
        if authority.lat is not None and authority.lon is not None:
            points.setdefault(name, []).append((authority.lat, authority.lon))

    county_codes = {a.code: a.gss_code for a in councils}
    for council in councils:
        add(council.gss_code, council)
        if council.county in county_codes:
            add(county_codes[council.county], council)
        for name in (council.region, council.nation):
            if name:
                add(name, council)
    names = [a.gss_code for a in councils] + sorted(
        ({a.region for a in councils} | {a.nation for a in councils}) - {""}
    )
    frames: dict[str, Extent] = {}
    for name in names:
        if name in extents:
            box = extents[name]
        elif name in points:
            lats, lons = [p[0] for p in points[name]], [p[1] for p in points[name]]
            box = (min(lats), min(lons), max(lats), max(lons))
        else:
            continue
        frames[name] = (
            round(box[0], PRECISION),
            round(box[1], PRECISION),
            round(box[2], PRECISION),
            round(box[3], PRECISION),
        )
    return frames
