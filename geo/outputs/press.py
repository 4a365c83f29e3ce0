"""Press kit: a PNG of the current selection drawn on the server, and the embed snippet.

:func:`render_png` draws with geopandas and matplotlib (Agg backend, no
browser, no network) in British National Grid (EPSG:27700): the UK with its
council areas coloured by what is known of them and London beside it, large
enough to read (or the hex cartogram, one hexagon per council area), the
sites shaped by kind and coloured by their strongest evidence grade, the
counts of bodies by status for each nation, a legend, the title, the date
the data last changed, the publishers of the cited sources and the credits
(ONS, OS, Royal Mail, mySociety). Without the boundary file it still draws
the sites, and says on the image that the boundaries are missing.

:func:`embed_snippet` gives the ``<iframe>`` code for the map with the
current filters, in Streamlit's embed mode and the map's screenshot view.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # before pyplot: draw to memory, never to a screen

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from geo import settings
from geo.evidence.dataset import Dataset
from geo.evidence.vocabulary import SHAPES, Vocabulary
from geo.filters import CHOICE_PARAMS, Filters, Selection
from geo.settings import CHROME

BNG = "EPSG:27700"
WIDTH_PX = 1800
HEIGHT_PX = 2400
DPI = 200
NO_BOUNDARIES_MESSAGE = "Boundaries unavailable: the UK outline and council areas are not drawn."
# Text sizes in points at DPI 200 (1 pt = 2.8 px). Chosen so that the image still reads when a
# newspaper shrinks it to a column about 400 px wide: the smallest, the credits, is then 9 px.
FONT_TITLE = 22
FONT_SUBTITLE = 15
FONT_LEGEND = 13
FONT_TABLE = 13
FONT_FOOTER = 11
LEGEND_ROW_PX = FONT_LEGEND * DPI / 72 * 1.35
# London's boroughs (E09) in British National Grid metres, for the inset that keeps them readable.
LONDON_FRAME = (503_000, 155_000, 562_000, 201_000)


def _marker_path(outline):
    """A matplotlib marker from a vocabulary outline (None: a circle); y flipped to point up."""
    from matplotlib.path import Path as MarkerPath

    if outline is None:
        return "o"
    points = [(x, -y) for x, y in outline]
    return MarkerPath(points + [points[0]], closed=True)


def publishers_line(selection_claims: pd.DataFrame, sources: pd.DataFrame, limit: int = 12) -> str:
    """ "Sources: A, B and C" naming the publishers of the sources the claims cite (most cited first)."""
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


def describe_filters(
    filters: Filters | None, council_names: dict[str, str] | None = None, vocabulary: Vocabulary | None = None
) -> str:
    """A short human description of the active filters ("" when none), in the vocabulary's labels."""
    if filters is None or not filters.active:
        return ""
    council_names = council_names or {}
    parts = []
    for p in CHOICE_PARAMS:
        values = getattr(filters, p.field)
        if not values:
            continue
        if p.field == "councils":
            labels = [council_names.get(c, c) for c in values]
        elif p.vocabulary and vocabulary is not None:
            labels = [vocabulary.label(p.vocabulary, v) for v in values]
        else:
            labels = list(values)
        parts.append(f"{p.short}: {', '.join(labels)}")
    if filters.date_from or filters.date_to:
        parts.append(f"Reported {filters.date_from or '…'} to {filters.date_to or '…'}")
    if filters.text:
        parts.append(f"Search: “{filters.text}”")
    if filters.near:
        parts.append(f"Within {filters.radius_km:g} km of {filters.near}")
    return "; ".join(parts)


@dataclass
class _Drawing:
    """What one press image is drawn from."""

    data: Dataset
    selection: Selection
    vocabulary: Vocabulary
    areas: dict
    county_of: dict[str, str]
    fig: Figure
    filters: Filters | None = None
    layers: dict | None = None  # "uk", "ltla", "cty" in BNG, or None without boundaries
    missing: str = ""


def _area_fill(drawing: _Drawing, code: str) -> tuple[str, float]:
    """Colour and opacity of a council area: its own status, else (paler) its county's, else unknown."""
    colours = {t.key: t.colour for t in drawing.vocabulary.area_statuses}
    own = drawing.areas.get(code)
    if own is not None:
        return colours[own.status], 0.85
    county = drawing.areas.get(drawing.county_of.get(code, ""))
    if county is not None:
        return colours[county.status], 0.45
    return colours[drawing.vocabulary.unknown_area_status], 1.0


def _load_layers() -> tuple[dict | None, str]:
    """UK outline, districts and counties in BNG (simplified), or None and why not."""
    from geo.places.boundaries import BoundariesUnavailable, load_boundaries

    try:
        layers = {name: load_boundaries(name).to_crs(BNG) for name in ("uk", "ltla", "cty")}
    except BoundariesUnavailable as error:
        return None, error.public  # the image is public: words, never the server's paths
    layers["ltla"] = layers["ltla"].assign(geometry=layers["ltla"].geometry.simplify(150, preserve_topology=True))
    layers["uk"] = layers["uk"].assign(geometry=layers["uk"].geometry.simplify(300, preserve_topology=True))
    return layers, ""


def _site_points(sites: pd.DataFrame) -> pd.DataFrame:
    import geopandas as gpd

    sites = sites.dropna(subset=["lat", "lon"])  # sites not placed have no marker
    if sites.empty:
        return pd.DataFrame({"x": [], "y": [], "kind": [], "grade": [], "precision": [], "lad_code": []})
    frame = gpd.GeoDataFrame(
        sites[["kind", "grade", "precision", "lad_code"]].reset_index(drop=True),
        geometry=gpd.points_from_xy(sites["lon"], sites["lat"]),
        crs="EPSG:4326",
    ).to_crs(BNG)
    return pd.DataFrame(
        {
            "x": frame.geometry.x,
            "y": frame.geometry.y,
            "kind": frame["kind"],
            "grade": frame["grade"],
            "precision": frame["precision"],
            "lad_code": frame["lad_code"],
        }
    )


def _draw_markers(ax, drawing: _Drawing, points: pd.DataFrame, size: float) -> None:
    shapes = {t.key: t.shape for t in drawing.vocabulary.kinds}
    colours = {t.key: t.colour for t in drawing.vocabulary.grades}
    areas = set(drawing.vocabulary.keys_with("precisions", "area"))
    for row in points.itertuples(index=False):
        colour = colours.get(row.grade, CHROME["frame"])
        # A marker that stands for a council's area is hollow, outlined in its grade's colour.
        hollow = row.precision in areas
        ax.plot(
            [row.x],
            [row.y],
            linestyle="none",
            marker=_marker_path(SHAPES.get(shapes.get(row.kind, "circle"))),
            markersize=size,
            markerfacecolor=CHROME["paper"] if hollow else colour,
            markeredgecolor=colour if hollow else CHROME["ink"],
            markeredgewidth=2.4 if hollow else 1.4,
            zorder=5,
        )


def _bare(ax) -> None:
    """No ticks or axis labels: a map, not a chart."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for axis in (ax.xaxis, ax.yaxis):
        axis.get_offset_text().set_visible(False)  # e.g. "1e6" left over from the metre coordinates
    for spine in ax.spines.values():
        spine.set_edgecolor(CHROME["frame"])


def _blend(colour: str, opacity: float) -> str:
    """``colour`` as it looks at ``opacity`` over white (a paler fill without a second layer)."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c * opacity + 255 * (1 - opacity)):02x}" for c in rgb)


def _draw_areas(ax, drawing: _Drawing, frame=None) -> None:
    """Council areas coloured by what is known (a county's evidence paler over its districts), and the UK outline."""
    layers = drawing.layers
    if layers is None:  # no boundary file: the caller says so on the image
        return
    districts = layers["ltla"] if frame is None else layers["ltla"].cx[frame[0] : frame[2], frame[1] : frame[3]]
    fills = [_blend(*_area_fill(drawing, code)) for code in districts["code"]]
    districts.plot(ax=ax, color=fills, edgecolor=CHROME["paper"], linewidth=0.3, zorder=1)
    layers["uk"].boundary.plot(ax=ax, color=CHROME["outline"], linewidth=0.6, zorder=3)


def _draw_uk(drawing: _Drawing, points: pd.DataFrame) -> None:
    ax = drawing.fig.add_axes((0.02, 0.46, 0.47, 0.45))
    ax.set_facecolor(CHROME["sea"])
    if drawing.layers is not None:
        _draw_areas(ax, drawing)
    else:
        ax.text(
            0.5,
            0.5,
            textwrap.fill(NO_BOUNDARIES_MESSAGE, 26),
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=FONT_LEGEND,
            color=CHROME["warning"],
            bbox={"facecolor": CHROME["highlight"], "edgecolor": CHROME["highlight-edge"], "boxstyle": "round,pad=0.5"},
            zorder=6,
        )
    if points.empty:
        ax.text(
            0.5,
            0.62,
            "No sites match these filters.",
            transform=ax.transAxes,
            ha="center",
            fontsize=FONT_LEGEND,
            color=CHROME["ink"],
            zorder=6,
            bbox={"facecolor": CHROME["paper"], "edgecolor": CHROME["frame"], "boxstyle": "round,pad=0.5"},
        )
    _draw_markers(ax, drawing, points, size=9)
    ax.set_aspect("equal", adjustable="box", anchor="C")
    ax.set_xlim(-20_000, 670_000)
    ax.set_ylim(0, 1_230_000)
    x0, y0, x1, y1 = LONDON_FRAME
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=CHROME["ink"], linewidth=1.4, zorder=7))
    _bare(ax)


def _draw_london(drawing: _Drawing, points: pd.DataFrame) -> None:
    """London's boroughs, large enough to read: the inset beside the UK map."""
    x0, y0, x1, y1 = LONDON_FRAME
    ax = drawing.fig.add_axes((0.52, 0.705, 0.46, 0.185))
    ax.set_facecolor(CHROME["sea"])
    if drawing.layers is not None:
        _draw_areas(ax, drawing, frame=LONDON_FRAME)
    inside = points[(points["x"].between(x0, x1)) & (points["y"].between(y0, y1))]
    _draw_markers(ax, drawing, inside, size=12)
    ax.set_aspect("equal", adjustable="box", anchor="W")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_title("London", fontsize=FONT_LEGEND, loc="left", color=CHROME["ink"])
    _bare(ax)


def _draw_hexes(drawing: _Drawing) -> None:
    """The hex cartogram: every district one hexagon, each site on its district's hexagon."""
    from matplotlib.patches import Polygon as PolygonPatch

    from geo.places.hexes import hex_cartogram

    ax = drawing.fig.add_axes((0.02, 0.46, 0.48, 0.45))
    ax.set_facecolor(CHROME["paper"])
    centres = {}
    for feature in hex_cartogram()["features"]:
        code = feature["properties"]["code"]
        colour, opacity = _area_fill(drawing, code)
        ring = feature["geometry"]["coordinates"][0]
        ax.add_patch(
            PolygonPatch(ring, closed=True, facecolor=_blend(colour, opacity), edgecolor=CHROME["paper"], linewidth=0.6)
        )
        centres[code] = (feature["properties"]["x"], feature["properties"]["y"])
    # A site that stands for a council's area has no marker here: its hexagon's colour says it.
    areas = drawing.vocabulary.keys_with("precisions", "area")
    points = drawing.selection.sites[~drawing.selection.sites["precision"].isin(areas)].drop_duplicates("lad_code")
    hexes = pd.DataFrame(
        [
            {
                "x": centres[s.lad_code][0],
                "y": centres[s.lad_code][1],
                "kind": s.kind,
                "grade": s.grade,
                "precision": s.precision,
            }
            for s in points.itertuples(index=False)
            if s.lad_code in centres
        ],
        columns=["x", "y", "kind", "grade", "precision"],
    )
    _draw_markers(ax, drawing, hexes, size=6)
    xs = [c[0] for c in centres.values()]
    ys = [c[1] for c in centres.values()]
    ax.set_xlim(min(xs) - 1.5, max(xs) + 1.5)
    ax.set_ylim(min(ys) - 1.5, max(ys) + 1.5)
    ax.set_aspect("equal", adjustable="box", anchor="C")
    ax.axis("off")
    ax.text(
        0.0,
        1.0,
        "One hexagon per council area",
        transform=ax.transAxes,
        fontsize=FONT_LEGEND - 2,
        color=CHROME["muted"],
        va="top",
    )


SOFT_HYPHEN = "\u00ad"  # where a heading in the vocabulary may break a word ("Remov\u00ading")


def _heading_options(text: str, width) -> list[tuple[float, bool, str]]:
    """Ways to set a heading in at most two lines: (width, hyphenated, text), narrowest first.

    A heading breaks at a space, or inside a word at a soft hyphen, which then
    shows as "-"; soft hyphens that do not break are not drawn.
    """
    plain = text.replace(SOFT_HYPHEN, "")
    options = {(plain, False)}
    for k, char in enumerate(text):
        if char == " ":
            options.add((text[:k].replace(SOFT_HYPHEN, "") + "\n" + text[k + 1 :].replace(SOFT_HYPHEN, ""), False))
        elif char == SOFT_HYPHEN:
            options.add((text[:k].replace(SOFT_HYPHEN, "") + "-\n" + text[k + 1 :].replace(SOFT_HYPHEN, ""), True))
    measured = [(max(width(line) for line in option.split("\n")), hyphenated, option) for option, hyphenated in options]
    return sorted(measured)


def _count_columns(
    fig: Figure, headings: list[str], places: list[str], numbers: list[str], table_px: float
) -> tuple[list[str], list[float], float]:
    """The count columns' headings (at most two lines each), their right edges (fractions of the table's
    width, the last at 1) and the headings' font size.

    Each column is as wide as its heading or its widest number, the last at the
    table's right edge; a heading may reach over the places' column (there is
    nothing above the names), a number may not. Headings break at spaces;
    only if they do not fit so are words broken at their soft hyphens, and
    only if they still do not fit are the headings made smaller. So the table
    takes whatever number of statuses the vocabulary lists.
    """
    from matplotlib.font_manager import FontProperties

    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # the Agg canvas the module selects
    gap = 16.0  # px between two columns
    rows_font = FontProperties(size=FONT_TABLE - 1, weight="bold")

    def measure(text: str, font: FontProperties) -> float:
        return renderer.get_text_width_height_descent(text, font, ismath=False)[0]

    names = max(measure(p, rows_font) for p in places) + gap
    number = max(measure(n, rows_font) for n in numbers)

    def layout(chosen: list[tuple[float, bool, str]]) -> tuple[list[float], bool]:
        """Right edges in px from the table's left, and whether they fit."""
        edges, right = [], table_px
        for width, _, _ in reversed(chosen):
            edges.append(right)
            right -= max(width, number) + gap
        edges.reverse()
        return edges, edges[0] - number >= names and edges[0] - chosen[0][0] >= 0

    size = FONT_TABLE - 3.5
    while True:
        font = FontProperties(size=size)
        options = [_heading_options(h, lambda s, font=font: measure(s, font)) for h in headings]
        chosen = [min((o for o in opts if not o[1]), default=opts[0]) for opts in options]
        edges, fits = layout(chosen)
        while not fits:  # break a word where the widest heading allows it
            wider = [
                (chosen[j][0], j, min(o for o in opts if o[1]))
                for j, opts in enumerate(options)
                if any(o[1] and o[0] < chosen[j][0] for o in opts)
            ]
            if not wider:
                break
            _, j, option = max(wider)
            chosen[j] = option
            edges, fits = layout(chosen)
        if fits or size <= 6:
            break
        size -= 0.5
    return [text for _, _, text in chosen], [e / table_px for e in edges], size


def _draw_counts(drawing: _Drawing, top: float, bottom: float) -> None:
    """The counts by nation as a small table between ``top`` and ``bottom`` (figure fractions).

    One column per count of the vocabulary (each body status, then the councils
    unknown), headed by each status's ``heading``.
    """
    from geo.evidence.counts import UNITED_KINGDOM, bodies, status_counts, unknown_councils

    vocabulary = drawing.vocabulary
    found = bodies(drawing.selection.sites, drawing.selection.claims, vocabulary)
    unknown = unknown_councils(drawing.areas, _authorities(), drawing.filters)
    table = status_counts(found, unknown, "nation", vocabulary)
    box = (0.52, bottom, 0.46, top - bottom)
    ax = drawing.fig.add_axes(box)
    ax.axis("off")
    ax.text(
        0,
        1,
        "Bodies by what is known of them",
        fontsize=FONT_TABLE + 1,
        fontweight="bold",
        va="top",
        transform=ax.transAxes,
    )
    columns = vocabulary.count_columns
    rows = table.to_dict("records")
    headings, edges, size = _count_columns(
        drawing.fig,
        [vocabulary.heading(c, breaks=True) for c in columns],
        [row["nation"] for row in rows],
        [str(row[c]) for row in rows for c in columns],
        box[2] * WIDTH_PX,
    )
    step = min(0.95 / (len(rows) + 2.6), 0.11)
    for x, heading in zip(edges, headings):
        ax.text(
            x,
            1 - step * 1.2,
            heading,
            fontsize=size,
            va="top",
            ha="right",
            transform=ax.transAxes,
            color=CHROME["muted"],
            linespacing=1.0,
        )
    for i, row in enumerate(rows):
        y = 1 - step * (2.9 + i)
        weight = "bold" if row["nation"] == UNITED_KINGDOM else "normal"
        ax.text(
            0.0,
            y,
            row["nation"],
            fontsize=FONT_TABLE - 1,
            va="top",
            ha="left",
            transform=ax.transAxes,
            fontweight=weight,
        )
        for x, column in zip(edges, columns):
            ax.text(
                x,
                y,
                str(row[column]),
                fontsize=FONT_TABLE - 1,
                va="top",
                ha="right",
                transform=ax.transAxes,
                fontweight=weight,
            )


def _draw_legend(drawing: _Drawing, top: float, layout: str = "geo") -> float:
    """Three columns: shapes of the kinds shown, colours of grades, colours of council areas.

    Drawn down from ``top`` (a figure fraction); returns the fraction where it ends, so
    that the footer goes below it whatever the number of rows.
    """
    vocabulary = drawing.vocabulary
    present = set(drawing.selection.sites["kind"]) if len(drawing.selection.sites) else set()
    kinds = [
        (t.label, {"marker": _marker_path(SHAPES[t.shape]), "markersize": 10, "markerfacecolor": CHROME["paper"]})
        for t in vocabulary.kinds
        if t.key in present
    ]
    grades = [(t.label, {"marker": "o", "markersize": 10, "markerfacecolor": t.colour}) for t in vocabulary.grades]
    if layout == "geo":
        grades.append(
            (
                "Hollow: a council's area",
                {
                    "marker": "o",
                    "markersize": 10,
                    "markerfacecolor": CHROME["paper"],
                    "markeredgecolor": CHROME["outline"],
                    "markeredgewidth": 2.2,
                },
            )
        )
    # Two bands: the kinds in three columns, then grades beside council areas (long labels, wide column).
    # Council areas longer than the grades fold into two columns, so the legend stays short and the
    # credits below it stay inside the image whatever the number of statuses.
    third = -(-len(kinds) // 3)
    second = [("Strongest evidence", grades, 0.03, 0.36)]
    if drawing.layers is not None:
        shown = {state.status for state in drawing.areas.values()} | {vocabulary.unknown_area_status}
        areas = [
            (t.label, {"marker": "s", "markersize": 10, "markerfacecolor": t.colour})
            for t in vocabulary.area_statuses
            if t.key in shown
        ]
        heading = "Council areas (paler: county)"
        if len(areas) > len(grades):
            half = -(-len(areas) // 2)
            second = [
                ("Strongest evidence", grades, 0.03, 0.24),
                (heading, areas[:half], 0.28, 0.35),
                ("", areas[half:], 0.64, 0.35),
            ]
        else:
            second.append((heading, areas, 0.40, 0.58))
    bands = [
        [
            ("Kind of body", kinds[:third], 0.03, 0.31),
            ("", kinds[third : 2 * third], 0.34, 0.31),
            ("", kinds[2 * third :], 0.65, 0.33),
        ],
        second,
    ]
    for band in bands:
        height = (1 + max(len(rows) for _, rows, _, _ in band)) * LEGEND_ROW_PX / HEIGHT_PX
        for heading, rows, left, width in band:
            _legend_column(drawing.fig, heading, rows, (left, top - height, width, height))
        top -= height + 0.005
    return top


def _legend_column(fig, heading: str, rows: list, box: tuple[float, float, float, float]) -> None:
    """One column of the legend: a heading, then a symbol and its label per row."""
    ax = fig.add_axes(box)
    ax.axis("off")
    height_px = box[3] * HEIGHT_PX
    width_px = box[2] * WIDTH_PX
    step = LEGEND_ROW_PX / height_px
    ax.text(0, 1 - 0.5 * step, heading, fontsize=FONT_LEGEND, fontweight="bold", va="center", transform=ax.transAxes)
    for i, (label, style) in enumerate(rows, start=1):
        y = 1 - (i + 0.5) * step
        style = {"markeredgecolor": CHROME["ink"], "markeredgewidth": 1.2, **style}
        ax.plot([14 / width_px], [y], linestyle="none", transform=ax.transAxes, clip_on=False, **style)
        ax.text(36 / width_px, y, label, fontsize=FONT_LEGEND - 1, va="center", transform=ax.transAxes)


def _draw_footer(drawing: _Drawing, layout: str, top: float) -> None:
    """Notes on what is drawn, the publishers cited, the data licence and the credits, down from ``top``."""
    sites = drawing.selection.sites
    lines = []
    # What each precision that is not the named building means, for the sites drawn with it.
    for term in drawing.vocabulary.precisions:
        count = int((sites["precision"] == term.key).sum()) if len(sites) else 0
        if not count or term.has("exact") or (term.has("area") and layout != "geo"):
            continue  # in the hex layout an area's marker is not drawn: its hexagon's colour says it
        lines.append(f"{term.label} ({count} {'site' if count == 1 else 'sites'}): {term.words or term.definition}.")
    lines.append(publishers_line(drawing.selection.claims, drawing.data.sources))
    lines.append("Data: Hikvision in UK public buildings evidence map, CC BY 4.0.")
    if drawing.layers is None:
        lines.append(NO_BOUNDARIES_MESSAGE)
    lines += settings.credit_lines(boundaries=drawing.layers is not None and layout == "geo", hexes=layout == "hex")
    wrapped = "\n".join(textwrap.fill(line, 100) for line in lines)
    drawing.fig.text(0.03, top, wrapped, fontsize=FONT_FOOTER, va="top", color=CHROME["ink"], linespacing=1.2)


def drawn_texts(fig: Figure) -> list[Text]:
    """The texts that are drawn on ``fig``, non-empty (not those of axes switched off)."""
    texts = list(fig.texts)
    for ax in fig.axes:
        if ax.axison:
            texts += ax.findobj(Text)
        else:
            # The side titles are private attributes of matplotlib's Axes: read, never changed.
            texts += [*ax.texts, ax.title, ax._left_title, ax._right_title]  # type: ignore[attr-defined]
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def text_outside(fig: Figure) -> list[str]:
    """The texts of ``fig`` that do not lie wholly inside it (each cut off in the image)."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # the Agg canvas the module selects
    width, height = fig.bbox.width, fig.bbox.height
    outside = []
    for text in drawn_texts(fig):
        box = text.get_window_extent(renderer)
        if box.x0 < 0 or box.y0 < 0 or box.x1 > width + 0.5 or box.y1 > height + 0.5:
            outside.append(text.get_text())
    return outside


def _authorities():
    from geo.places.authorities import load_authorities

    return load_authorities()


def render_png(*args, **kwargs) -> bytes:
    """The selection as a press PNG; see :func:`render_figure` for the arguments."""
    with matplotlib.rc_context({"text.parse_math": False}):
        fig = render_figure(*args, **kwargs)
        # Every text drawn also goes in the PNG's metadata: a text alternative, and checkable by tests.
        drawn = [t.get_text() for t in drawn_texts(fig)]
        buffer = io.BytesIO()
        fig.savefig(
            buffer,
            format="png",
            dpi=DPI,
            facecolor="white",
            metadata={"Software": None, "Title": settings.SITE_TITLE, "Description": "\n".join(drawn)},
        )
        plt.close(fig)
    return buffer.getvalue()


def render_figure(
    data,
    selection,
    filters: Filters | None = None,
    areas: dict | None = None,
    layout: str = "geo",
    with_boundaries: bool = True,
) -> Figure:
    """The selection as a press image (``WIDTH_PX`` × ``HEIGHT_PX``), drawn without a browser.

    Returns the matplotlib figure (the caller closes it); :func:`render_png` saves it.
    Text from the data is drawn as it is: call it with matplotlib's math mode off
    (``text.parse_math``, as :func:`render_png` does), so that a dollar sign in a name
    is a dollar sign and a stray one cannot break the drawing.

    ``data`` is the :class:`geo.evidence.dataset.Dataset`, ``selection`` a
    :class:`geo.filters.Selection`; ``areas`` what is known of each council
    area (:func:`geo.foi.known.area_statuses`). ``layout`` is ``geo`` (the UK with
    London beside it) or ``hex`` (one hexagon per council area).
    ``with_boundaries=False`` draws as if the boundary file were missing.
    """
    from geo.outputs.mapview import county_of_districts

    if layout not in ("geo", "hex"):
        raise ValueError(f"layout must be 'geo' or 'hex', not {layout!r}")
    layers, missing = _load_layers() if with_boundaries else (None, "switched off")
    drawing = _Drawing(
        data=data,
        selection=selection,
        vocabulary=data.vocabulary,
        areas=areas or {},
        filters=filters,
        county_of=county_of_districts(_authorities()),
        layers=layers,
        missing=missing,
        fig=plt.figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white"),
    )
    _draw_heading(drawing, filters)
    if layout == "hex":
        _draw_hexes(drawing)
        _draw_counts(drawing, top=0.90, bottom=0.68)
    else:
        points = _site_points(selection.sites)
        _draw_uk(drawing, points)
        _draw_london(drawing, points)
        _draw_counts(drawing, top=0.67, bottom=0.47)
    legend_bottom = _draw_legend(drawing, top=0.447, layout=layout)
    _draw_footer(drawing, layout, top=legend_bottom - 0.008)
    return drawing.fig


def _draw_heading(drawing: _Drawing, filters: Filters | None) -> None:
    data, selection, fig = drawing.data, drawing.selection, drawing.fig
    fig.text(0.03, 0.98, settings.SITE_TITLE, fontsize=FONT_TITLE, fontweight="bold", va="top", color=CHROME["ink"])
    counts = (
        f"{selection.site_count} of {len(data.sites)} sites · {selection.claim_count} of "
        f"{len(data.claims)} claims · Data as of {data.last_changed or 'unknown'}"
    )
    fig.text(0.03, 0.952, counts, fontsize=FONT_SUBTITLE, va="top", color=CHROME["ink"])
    described = describe_filters(
        filters, {a.gss_code: a.nice_name for a in _authorities().current()}, drawing.vocabulary
    )
    if described:
        fig.text(
            0.03,
            0.932,
            textwrap.shorten("Filtered: " + described, 110, placeholder="…"),
            fontsize=FONT_FOOTER + 1,
            va="top",
            color=CHROME["muted"],
        )
