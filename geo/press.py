"""Press kit: a PNG of the current selection drawn on the server, and the embed snippet.

:func:`render_png` draws with geopandas and matplotlib (Agg backend, no
browser, no network) in British National Grid (EPSG:27700): the UK outline
and councils coloured by what is known of them, the sites shaped by kind and
coloured by their strongest evidence grade, a legend, the title, the date the
data last changed, the publishers of the cited sources and the attributions.
When every site of the selection lies within a small area (all of them in one
city, say), a detail panel shows that area, because at UK scale the markers
would sit on top of each other. Without the boundary file it still draws the
sites, and says on the image that the boundaries are missing.

:func:`embed_snippet` gives the ``<iframe>`` code for the map with the
current filters, in Streamlit's embed mode and the map's screenshot view.
"""

from __future__ import annotations

import html
import io
import math
import textwrap
from urllib.parse import urlencode, urlparse

import matplotlib

matplotlib.use("Agg")  # before pyplot: draw to memory, never to a screen

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.transforms import ScaledTranslation  # noqa: E402

from geo import settings  # noqa: E402
from geo.filters import Filters  # noqa: E402

BNG = "EPSG:27700"
WIDTH_PX = 1600
HEIGHT_PX = 1800
DPI = 200
TITLE = "Hikvision cameras in UK public buildings"
MARKERS = {"square": "s", "triangle": "^", "diamond": "D", "star": "*", "circle": "o"}
SEA = "#dde6ee"
NO_BOUNDARIES_MESSAGE = "Boundaries unavailable: the UK outline and council areas are not drawn."
# A selection spanning less than this (metres) gets a detail panel.
DETAIL_SPAN_M = 150_000
DETAIL_MIN_WINDOW_M = 2_500
# Fonts (points at DPI 200; 1 pt = 2.8 px): large enough to read with the image shrunk to a phone.
FONT_TITLE = 22
# The map's council labels, shortened to fit the legend column (same meaning).
PRESS_DISTRICT_LABELS = {
    "reported": "Reported at a council site",
    "foi-answered": "FOI request answered",
    "foi-pending": "FOI request sent, no answer yet",
    "no-data": "No data yet",
}
FONT_SUBTITLE = 15
FONT_LEGEND = 13.5
FONT_FOOTER = 10.5


def _marker(kind: str) -> str:
    return MARKERS.get(settings.KIND_SHAPES.get(kind, "circle"), "o")


def _marker_size(kind: str) -> float:
    # Stars and triangles look smaller than squares of the same size.
    return {"star": 30, "triangle": 21, "diamond": 16}.get(settings.KIND_SHAPES.get(kind, "circle"), 18)


def publishers_line(selection_claims: pd.DataFrame, sources: pd.DataFrame, limit: int = 12) -> str:
    """"Sources: A, B and C" naming the publishers of the sources the claims cite (most cited first)."""
    counts: dict[str, int] = {}
    publisher = dict(zip(sources["id"], sources["publisher"])) if len(sources) else {}
    for ids in selection_claims.get("sources", []):
        for source_id in ids:
            name = publisher.get(source_id)
            if name:
                counts[name] = counts.get(name, 0) + 1
    if not counts:
        return "Sources: none cited by this selection."
    names = sorted(counts, key=lambda n: (-counts[n], n.lower()))
    shown, rest = names[:limit], len(names) - limit
    if rest > 0:
        return "Sources: " + ", ".join(shown) + f" and {rest} more (see the sources page)."
    if len(shown) == 1:
        return f"Sources: {shown[0]}."
    return "Sources: " + ", ".join(shown[:-1]) + f" and {shown[-1]}."


def describe_filters(filters: Filters | None, council_names: dict[str, str] | None = None) -> str:
    """A short human description of the active filters ("" when none)."""
    if filters is None or not filters.active:
        return ""
    council_names = council_names or {}
    parts = []
    for name, title in (("nations", "Nation"), ("regions", "Region"), ("kinds", "Kind"),
                        ("vendors", "Vendor"), ("grades", "Grade"), ("statuses", "Status")):
        values = getattr(filters, name)
        if values:
            parts.append(f"{title}: {', '.join(values)}")
    if filters.councils:
        parts.append("Council: " + ", ".join(council_names.get(c, c) for c in filters.councils))
    if filters.date_from or filters.date_to:
        parts.append(f"Reported {filters.date_from or '…'} to {filters.date_to or '…'}")
    if filters.text:
        parts.append(f"Search: “{filters.text}”")
    if filters.near:
        parts.append(f"Within {filters.radius_km:g} km of {filters.near}")
    return "; ".join(parts)


def _spread(points: pd.DataFrame) -> list[tuple[float, float]]:
    """Offsets in inches for markers sharing one location, so that each stays visible."""
    offsets = [(0.0, 0.0)] * len(points)
    groups: dict[tuple[float, float], list[int]] = {}
    for i, (x, y) in enumerate(zip(points["x"], points["y"])):
        groups.setdefault((round(x, 0), round(y, 0)), []).append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        radius = 0.13 + 0.02 * len(members)
        for k, i in enumerate(members):
            angle = math.pi / 2 + 2 * math.pi * k / len(members)
            offsets[i] = (radius * math.cos(angle), radius * math.sin(angle))
    return offsets


def _draw_sites(ax, fig, points: pd.DataFrame, scale: float = 1.0, spread: bool = True) -> None:
    offsets = _spread(points) if spread and len(points) <= 2000 else [(0.0, 0.0)] * len(points)
    for (x, y, kind, grade), (dx, dy) in zip(points[["x", "y", "kind", "grade"]].itertuples(index=False), offsets):
        transform = ax.transData + ScaledTranslation(dx, dy, fig.dpi_scale_trans)
        ax.plot([x], [y], linestyle="none", marker=_marker(kind), markersize=_marker_size(kind) * scale,
                markerfacecolor=settings.GRADE_COLOURS.get(grade, "#777777"), markeredgecolor="#1a1a1a",
                markeredgewidth=1.6, transform=transform, zorder=5)


def _bare(ax) -> None:
    """No ticks or axis labels: a map, not a chart."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")


def _site_points(sites: pd.DataFrame) -> pd.DataFrame:
    import geopandas as gpd

    if sites.empty:
        return pd.DataFrame({"x": [], "y": [], "kind": [], "grade": []})
    frame = gpd.GeoDataFrame(
        sites[["kind", "grade"]].reset_index(drop=True),
        geometry=gpd.points_from_xy(sites["lon"], sites["lat"]), crs="EPSG:4326",
    ).to_crs(BNG)
    return pd.DataFrame({"x": frame.geometry.x, "y": frame.geometry.y, "kind": frame["kind"], "grade": frame["grade"]})


def _uk_frame() -> tuple[float, float, float, float]:
    """The UK's extent in BNG metres (from settings.UK_BOUNDS), as xmin, ymin, xmax, ymax."""
    import geopandas as gpd

    (south, west), (north, east) = settings.UK_BOUNDS
    corners = gpd.GeoSeries(gpd.points_from_xy([west, east, west, east], [south, south, north, north]), crs="EPSG:4326")
    projected = corners.to_crs(BNG)
    return (max(float(projected.x.min()), -50_000), float(projected.y.min()),
            float(projected.x.max()), min(float(projected.y.max()), 1_230_000))


def _load_layers():
    """(uk outline, districts) in BNG, or (None, None, message) when boundaries are missing."""
    from geo.areas import BoundariesUnavailable, load_boundaries

    try:
        uk = load_boundaries("uk").to_crs(BNG)
        districts = load_boundaries("ltla").to_crs(BNG)
    except BoundariesUnavailable as error:
        return None, None, str(error)
    districts = districts.assign(geometry=districts.geometry.simplify(150, preserve_topology=True))
    uk = uk.assign(geometry=uk.geometry.simplify(300, preserve_topology=True))
    return uk, districts, ""


def render_png(*args, **kwargs) -> bytes:
    """The selection as a press PNG; see :func:`_render_png` for the arguments.

    Text from the data is drawn as it is: matplotlib's math mode (``$...$``)
    is switched off, so a dollar sign in a name is a dollar sign and a stray
    one cannot break the drawing.
    """
    with matplotlib.rc_context({"text.parse_math": False}):
        return _render_png(*args, **kwargs)


def _render_png(
    data,
    selection,
    filters: Filters | None = None,
    district_status: dict[str, str] | None = None,
    title: str = TITLE,
    credit_url: str = "",
    with_boundaries: bool = True,
) -> bytes:
    """The selection as a press PNG (``WIDTH_PX`` × ``HEIGHT_PX``), drawn without a browser.

    ``data`` is the :class:`geo.dataset.Dataset`, ``selection`` a
    :class:`geo.filters.Selection`; ``district_status`` maps district code to
    a key of ``settings.DISTRICT_COLOURS`` (see :func:`geo.mapview.district_status`).
    ``with_boundaries=False`` draws as if the boundary file were missing.
    """
    from geo.mapview import labels_from

    labels = labels_from(data)
    uk, districts, missing = _load_layers() if with_boundaries else (None, None, "switched off")
    status = district_status or {}
    points = _site_points(selection.sites)

    fig = plt.figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
    # --- heading
    fig.text(0.03, 0.972, title, fontsize=FONT_TITLE, fontweight="bold", va="top", color="#111111")
    counts = (f"{selection.site_count} of {len(data.sites)} sites · {selection.claim_count} of "
              f"{len(data.claims)} claims · Data as of {data.last_changed or 'unknown'}")
    fig.text(0.03, 0.92, counts, fontsize=FONT_SUBTITLE, va="top", color="#222222")
    council_names = dict(zip(districts["code"], districts["name"])) if districts is not None else {}
    described = describe_filters(filters, council_names)
    if described:
        fig.text(0.03, 0.89, textwrap.shorten("Filtered: " + described, 110, placeholder="…"),
                 fontsize=FONT_FOOTER + 1, va="top", color="#333333")

    # --- the UK map
    ax = fig.add_axes((0.02, 0.27, 0.48, 0.605))
    ax.set_facecolor(SEA)
    xmin, ymin, xmax, ymax = _uk_frame()
    if districts is not None:
        colours = [settings.DISTRICT_COLOURS[status.get(c, "no-data")] for c in districts["code"]]
        districts.plot(ax=ax, color=colours, edgecolor="#ffffff", linewidth=0.25, zorder=1)
        uk.boundary.plot(ax=ax, color="#555555", linewidth=0.6, zorder=2)
    else:
        ax.text(0.5, 0.5, textwrap.fill(NO_BOUNDARIES_MESSAGE, 26), transform=ax.transAxes, ha="center",
                va="center", fontsize=FONT_LEGEND, color="#7a1f00",
                bbox={"facecolor": "#fff4d6", "edgecolor": "#E69F00", "boxstyle": "round,pad=0.5"}, zorder=6)
    ax.set_aspect("equal", adjustable="box", anchor="C")
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    _bare(ax)
    for spine in ax.spines.values():
        spine.set_edgecolor("#999999")

    detail = None
    if not points.empty:
        span = max(points["x"].max() - points["x"].min(), points["y"].max() - points["y"].min())
        if span < DETAIL_SPAN_M:
            half = max(span * 0.8, DETAIL_MIN_WINDOW_M / 2)
            cx = (points["x"].max() + points["x"].min()) / 2
            cy = (points["y"].max() + points["y"].min()) / 2
            detail = (cx - half, cy - half, cx + half, cy + half)
        _draw_sites(ax, fig, points, scale=0.75 if detail else 1.0, spread=detail is None)
    else:
        ax.text(0.5, 0.62, "No sites match these filters.", transform=ax.transAxes, ha="center",
                fontsize=FONT_LEGEND, color="#222222", zorder=6,
                bbox={"facecolor": "#ffffff", "edgecolor": "#999999", "boxstyle": "round,pad=0.5"})

    # --- detail panel
    legend_top = 0.86
    if detail is not None:
        dx0, dy0, dx1, dy1 = detail
        ax.add_patch(Rectangle((dx0, dy0), dx1 - dx0, dy1 - dy0, fill=False, edgecolor="#111111",
                               linewidth=1.6, zorder=7))
        inset = fig.add_axes((0.54, 0.61, 0.43, 0.25))
        inset.set_facecolor(SEA)
        if districts is not None:
            nearby = districts.cx[dx0 - 5000:dx1 + 5000, dy0 - 5000:dy1 + 5000]
            colours = [settings.DISTRICT_COLOURS[status.get(c, "no-data")] for c in nearby["code"]]
            nearby.plot(ax=inset, color=colours, edgecolor="#777777", linewidth=0.8, zorder=1)
            for row in nearby.itertuples(index=False):
                point = row.geometry.representative_point()
                if dx0 < point.x < dx1 and dy0 < point.y < dy1:
                    inset.text(point.x, point.y, row.name, fontsize=FONT_FOOTER, color="#555555",
                               ha="center", va="center", zorder=3, clip_on=True)
        _draw_sites(inset, fig, points, scale=1.0, spread=True)
        inset.set_aspect("equal", adjustable="box", anchor="W")
        inset.set_xlim(dx0, dx1)
        inset.set_ylim(dy0, dy1)
        _bare(inset)
        places = ", ".join(sorted({n for n in selection.sites["lad_name"] if n})[:3])
        inset.set_title(f"Detail{': ' + places if places else ''}, {round((dx1 - dx0) / 1000):g} km across",
                        fontsize=FONT_FOOTER + 1, loc="left", color="#222222")
        legend_top = 0.575

    # --- legend (drawn by hand: headings flush left, a symbol then its label)
    legend_ax = fig.add_axes((0.54, 0.27, 0.43, legend_top - 0.27))
    legend_ax.axis("off")
    rows: list[tuple[str, dict | None]] = [("Kind of site", None)]
    present_kinds = set(selection.sites["kind"]) if len(selection.sites) else set()
    for kind, label in labels.kind.items():
        if kind in present_kinds or not present_kinds:
            rows.append((label, {"marker": _marker(kind), "markersize": _marker_size(kind) * 0.62,
                                 "markerfacecolor": "#ffffff"}))
    rows.append(("Strongest evidence", None))
    for grade, label in labels.grade.items():
        rows.append((label, {"marker": "o", "markersize": 11, "markerfacecolor": settings.GRADE_COLOURS[grade]}))
    if districts is not None:
        rows.append(("Councils", None))
        shown = {status.get(c, "no-data") for c in districts["code"]}
        for key, colour in settings.DISTRICT_COLOURS.items():
            if key in shown:
                rows.append((PRESS_DISTRICT_LABELS[key], {"marker": "s", "markersize": 11, "markerfacecolor": colour}))
    height_px = (legend_top - 0.27) * HEIGHT_PX
    step = min(FONT_LEGEND * DPI / 72 * 1.55 / height_px, 1 / max(len(rows), 1))
    for i, (label, style) in enumerate(rows):
        y = 1 - (i + 0.5) * step
        if style is None:
            legend_ax.text(0, y, label, fontsize=FONT_LEGEND, fontweight="bold", va="center",
                           transform=legend_ax.transAxes)
            continue
        legend_ax.plot([0.035], [y], linestyle="none", markeredgecolor="#1a1a1a", markeredgewidth=1.3,
                       transform=legend_ax.transAxes, clip_on=False, **style)
        legend_ax.text(0.09, y, textwrap.shorten(label, 44, placeholder="…"), fontsize=FONT_LEGEND,
                       va="center", transform=legend_ax.transAxes)

    # --- footer: caveat, sources, attributions
    lines = []
    headquarters = int((selection.sites["precision"] == "headquarters").sum()) if len(selection.sites) else 0
    if headquarters:
        lines.append(f"{headquarters} of these sites stand at the organisation's headquarters, standing in for "
                     "its estate: not where cameras were seen.")
    if detail is not None:
        lines.append("Markers at one address are spread around it so that each one shows.")
    lines.append(publishers_line(selection.claims, data.sources))
    credit = "Data: Hikvision in UK public buildings evidence map, CC BY 4.0"
    if credit_url.startswith(("https://", "http://")):
        credit += f" ({credit_url})"
    lines.append(credit + ".")
    if districts is not None:
        lines.append(settings.BOUNDARY_ATTRIBUTION)
    else:
        lines.append(f"{NO_BOUNDARIES_MESSAGE}")
    lines.append(settings.POSTCODE_ATTRIBUTION)
    wrapped = "\n".join(textwrap.fill(line, 92) for line in lines)
    fig.text(0.03, 0.25, wrapped, fontsize=FONT_FOOTER, va="top", color="#222222", linespacing=1.35)

    # Every text drawn also goes in the PNG's metadata: a text alternative, and checkable by tests.
    drawn = [t.get_text() for t in fig.findobj(Text) if t.get_text().strip()]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white",
                metadata={"Software": None, "Title": title, "Description": "\n".join(drawn)})
    plt.close(fig)
    return buffer.getvalue()


def embed_snippet(base_url: str, filters: Filters, height: int = 600, page: str = "") -> str:
    """The ``<iframe>`` HTML that embeds the map with ``filters``, and a credit line under it.

    ``base_url`` is the app's address (http or https; anything else raises
    ValueError). Query parameters are URL-encoded and every attribute value is
    HTML-escaped, so no filter text can break out of the snippet. ``page`` is
    the page's URL path; the map is the app's default page, at the root.
    """
    base = base_url.strip().rstrip("/")
    if not base.lower().startswith(("https://", "http://")):
        raise ValueError("the embed snippet needs an http(s) base address")
    params = {**filters.to_params(), "embed": "true", "view": "screenshot"}
    src = f"{base}/{page}?{urlencode(params)}"
    link = f"{base}/{page}?{urlencode(filters.to_params())}" if filters.active else f"{base}/{page}"
    title = "Map: " + TITLE
    return (
        f'<iframe src="{html.escape(src, quote=True)}" title="{html.escape(title, quote=True)}" '
        f'width="100%" height="{int(height)}" style="border:0" loading="lazy"></iframe>\n'
        f'<p style="font-size:0.85em">Map: <a href="{html.escape(link, quote=True)}">'
        f"{html.escape(TITLE)}</a>. Data CC BY 4.0; "
        f"{html.escape(settings.SHORT_ATTRIBUTION)}.</p>"
    )


def app_base_url(page_url: str) -> str:
    """The app's base address from the address of one of its pages (query and page name dropped).

    ``http://host:8501/data?region=London`` gives ``http://host:8501``; an app
    served under a path keeps it. Returns "" for anything but http(s).
    """
    parsed = urlparse(page_url or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return ""
    path = parsed.path.rstrip("/")
    base_path = path.rsplit("/", 1)[0] if "/" in path else ""
    return f"{parsed.scheme}://{parsed.netloc}{base_path}"
