"""The campaign map: the UK (or the hex cartogram) with every site and council area, beside the campaign's text.

``?layout=hex`` shows the hex cartogram (one equal hexagon per council area).
``?view=screenshot`` (with ``&size=16x9`` or ``&size=1x1``, and Streamlit's own
``embed=true``) shows the map alone, for the press: title, legend, counts, the
date the data last changed, the sources and the credits, and no sidebar or menus.
"""

from urllib.parse import urlencode

import streamlit as st
from streamlit_folium import st_folium

import ui
from geo import settings
from geo.filters import view_frame
from geo.outputs.campaign import render_campaign
from geo.outputs.mapview import build_map, clicked_on, near_bounds
from geo.outputs.text import escape_markdown, markdown_link
from ui import council_panel, evidence, filter_state, loading, map_panels

ui.ensure_entrypoint()

SCREENSHOT_SIZES = {"16x9": (1200, 540), "1x1": (1000, 760)}  # page width, map height (px)
LAYOUTS = {"geo": "UK map", "hex": "Hex map (one hexagon per council)"}

data = loading.dataset()
vocabulary = data.vocabulary
screenshot = st.query_params.get("view") == "screenshot"
filters = filter_state.current_filters(data) if screenshot else filter_state.filter_sidebar(data, page="map")
selection, near, near_error = filter_state.select(data, filters)
areas = loading.area_statuses(data)
layout = map_panels.map_layout(LAYOUTS)


@st.cache_data(show_spinner=False, max_entries=64)
def campaign_map(
    map_data_url: str,
    selected: tuple[int, ...] | None,
    site_count: int,
    frame: tuple[tuple[float, float], tuple[float, float]] | None,
    circle: tuple[float, float, float] | None,
    chosen_layout: str,
):
    """The folium map, keyed on what it shows: a repeat of the same view costs nothing.

    ``map_data_url`` names the data file by its content (a new data version or
    day makes a new one); ``selected`` the positions of the selected sites
    (None: all); ``frame`` the corners to fit; ``circle`` the postcode's point
    and radius.
    """
    boundary_urls, _ = loading.boundary_urls()
    return build_map(
        map_data_url,
        site_count=site_count,
        selected=None if selected is None else list(selected),
        boundary_urls=boundary_urls,
        bounds=None if frame is None else [list(corner) for corner in frame],
        near=circle,
        layout=chosen_layout,
    )


# The filters were applied once above; the map is keyed on their result, not on their URL form.
positions = tuple(int(i) for i in data.sites.index.get_indexer(selection.sites.index))
if near:
    frame = near_bounds(near.lat, near.lon, filters.radius_km)
else:
    frame = view_frame(filters, selection.sites, loading.place_frames())
fmap = campaign_map(
    loading.map_data_url(),
    None if len(positions) == len(data.sites) else positions,
    len(positions),
    None if frame is None else (tuple(frame[0]), tuple(frame[1])),
    (near.lat, near.lon, filters.radius_km) if near else None,
    layout,
)
boundary_urls, boundary_message = loading.boundary_urls()
# Credit each source only where it is used: the ONS boundaries are drawn only in the
# geographic layout and only when the boundary file is there.
credits = " ".join(settings.credit_lines(boundaries=bool(boundary_urls) and layout == "geo", hexes=layout == "hex"))

if screenshot:
    width, map_height = SCREENSHOT_SIZES.get(st.query_params.get("size", "16x9"), SCREENSHOT_SIZES["16x9"])
    # Static CSS (no data in it): the map alone, no sidebar, toolbar, header or navigation.
    st.html(
        "<style>"
        '[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],'
        '[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"] { display: none !important; }'
        f'[data-testid="stMainBlockContainer"] {{ max-width: {width}px; padding: 1rem 1.5rem 0.5rem; }}'
        "</style>"
    )
    st.markdown(
        f"### Hikvision equipment reported in UK public buildings: {selection.site_count} sites, "
        f"{selection.claim_count} claims"
    )
    st_folium(fmap, height=map_height, width=None, returned_objects=[], key="map_screenshot_folium")
    st.markdown(map_panels.status_line(selection, areas, filters))
    st.caption(
        f"Data as of {data.last_changed} (version {data.version}). "
        f"{escape_markdown(map_panels.publishers_line(selection))} {escape_markdown(credits)}"
    )
    st.stop()

st.title(settings.SITE_TITLE)
st.caption(
    f"An evidence map. Data last changed {data.last_changed} (version {data.version}). "
    "Select a marker for its claims, evidence grade and sources, or a council area for what is known of it."
)
counts = (
    f"**{selection.site_count}** of {len(data.sites)} sites · **{selection.claim_count}** of {len(data.claims)} claims"
)
st.markdown(counts + (" match the filters." if filters.active else "."))
if near_error:
    st.error(f"Near a postcode: {escape_markdown(near_error)}")
if boundary_message:
    st.warning(f"Council and region boundaries are not drawn. {escape_markdown(boundary_message)}")

map_column, text_column = st.columns([3, 2], gap="large")
with map_column:
    map_panels.map_layout_switch(LAYOUTS, key="map_layout")
    clicked = st_folium(
        fmap, height=560, width=None, returned_objects=["last_object_clicked_tooltip"], key=f"map_folium_{layout}"
    )
    # The map in words, for screen readers and anyone who prefers a list (WCAG 1.1.1).
    table_link = "data?" + urlencode(filters.to_params()) if filters.active else "data"
    st.markdown(
        f"In words: {map_panels.status_line(selection, areas, filters)} The same sites and claims are listed in "
        f"[the evidence table]({table_link}); any council can be looked up on [the councils page](councils)."
    )
    st.caption(
        "Marker shape: kind of body. Colour: strongest evidence grade. A hollow marker stands for a council's area; "
        "a thick outline means several sites share one place. Council areas are coloured by what is known of "
        "the council. " + escape_markdown(credits)
    )
    what, keys = clicked_on((clicked or {}).get("last_object_clicked_tooltip"))
    chosen_sites = selection.sites[selection.sites["id"].isin(keys)] if what == "site" else selection.sites.iloc[0:0]
    if not chosen_sites.empty:
        with st.container(border=True, key="map_details"):
            evidence.site_details(chosen_sites, selection.claims)
    elif what == "area" and keys:
        with st.container(border=True, key="map_council"):
            council_panel.council_panel(keys[0], areas, key="map_council")
    if near:
        st.subheader(f"Near {near.postcode}")
        st.markdown(
            f"{escape_markdown(near.postcode)} is in **{escape_markdown(near.lad_name)}** "
            f"({escape_markdown(near.region)}, {escape_markdown(near.nation)}). "
            f"{map_panels.council_known_line(near.lad_code, areas)} "
            f"{selection.site_count} site(s) within {filters.radius_km:g} km."
        )
    st.subheader("What is known, by nation and region")
    map_panels.counts_tables(selection, areas, filters, key="map_counts")

with text_column:
    text = (settings.DATA_DIR / "campaign.md").read_text(encoding="utf-8")
    body, citations = render_campaign(text, data.sources)
    st.markdown(body)
    figures = data.figures[data.figures["value"] != ""]
    if not figures.empty:
        st.subheader("Key figures")
        publisher_of = dict(zip(data.sources["id"], data.sources["publisher"]))
        for figure in figures.itertuples(index=False):
            amount = f"{figure.value}{'' if figure.unit.startswith('%') else ' '}{figure.unit}".strip()
            cited = ", ".join(
                f"[{escape_markdown(publisher_of.get(source_id, source_id))}](sources?source={source_id})"
                for source_id in figure.sources
            )
            st.markdown(f"**{escape_markdown(amount)}** — {escape_markdown(figure.statement)} ({cited})")
    petition = settings.petition_url()
    if petition:
        st.link_button("Sign the petition", petition, type="primary")
    with st.expander("Sources cited in this text"):
        for citation in citations:
            linked = markdown_link(citation.title, citation.url)
            st.markdown(f"{citation.number}. {linked} — {escape_markdown(citation.publisher)}")
