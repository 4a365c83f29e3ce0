"""The campaign map: filterable UK map of reported sites beside the campaign's text.

``?view=screenshot`` (with ``&size=16x9`` or ``&size=1x1``, and Streamlit's own
``embed=true``) shows the map alone, for the press: title, legend, the date the
data last changed, the sources and the attribution, and no sidebar or menus.
"""

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import ui
from geo import settings
from geo.campaign import escape_markdown, render_campaign
from geo.export import markdown_link
from geo.filters import Filters
from geo.mapview import (
    DISTRICT_STATUS_LABELS, PRECISION_CAVEATS, build_map, district_status, labels_from, near_bounds,
    selection_bounds, sites_at,
)

ui.ensure_entrypoint()

SCREENSHOT_SIZES = {"16x9": (1200, 540), "1x1": (1000, 760)}  # page width, map height (px)

data = ui.dataset()
labels = labels_from(data)
screenshot = st.query_params.get("view") == "screenshot"
filters = ui.current_filters(data) if screenshot else ui.filter_sidebar(data, page="map")
selection, near, near_error = ui.select(data, filters)


@st.cache_data(show_spinner=False, max_entries=64)
def campaign_map(filter_params: tuple, data_key: str):
    """The folium map for one selection: a repeat of the same filters costs nothing."""
    chosen, _ = Filters.from_params(dict(filter_params))
    dataset = ui.dataset()
    chosen_selection, chosen_near, _ = ui.select(dataset, chosen)
    boundary_urls, _ = ui.boundary_urls()
    if chosen_near:
        bounds = near_bounds(chosen_near.lat, chosen_near.lon, chosen.radius_km)
    elif not chosen_selection.sites.empty:
        bounds = selection_bounds(chosen_selection.sites)
    else:
        bounds = None
    positions = dataset.sites.index.get_indexer(chosen_selection.sites.index)
    return build_map(
        ui.map_data_url(),
        site_count=len(positions),
        selected=None if len(positions) == len(dataset.sites) else list(positions),
        boundary_urls=boundary_urls,
        bounds=bounds,
        near=(chosen_near.lat, chosen_near.lon, chosen.radius_km) if chosen_near else None,
    )


def sources_line(claims: pd.DataFrame) -> str:
    """Publishers of the sources behind the selected claims, for the screenshot's credit line."""
    cited = {source for ids in claims["sources"] for source in ids}
    publishers = data.sources.loc[data.sources["id"].isin(cited), "publisher"]
    return "; ".join(sorted(set(publishers))) or "none in this selection"


def show_site_details(sites: pd.DataFrame) -> None:
    """Everything about the clicked sites, escaped (the popup's content, in the page)."""
    for site in sites.itertuples(index=False):
        st.markdown(f"#### {escape_markdown(site.name)}")
        st.markdown(
            f"{escape_markdown(site.organisation)} · {escape_markdown(labels.kind.get(site.kind, site.kind))} · "
            f"{escape_markdown(', '.join(p for p in (site.address, site.postcode, site.lad_name) if p))}"
        )
        st.markdown(f"Location: **{escape_markdown(labels.precision.get(site.precision, site.precision))}**")
        if site.precision in PRECISION_CAVEATS:
            st.info(PRECISION_CAVEATS[site.precision])
        for claim in selection.claims[selection.claims["site"] == site.id].itertuples(index=False):
            st.markdown(
                f"**{escape_markdown(labels.grade.get(claim.grade, claim.grade))}** · "
                f"{escape_markdown(labels.vendor.get(claim.vendor, claim.vendor))} · reported {escape_markdown(claim.reported)} · "
                f"{escape_markdown(labels.status.get(claim.status, claim.status))}\n\n{escape_markdown(claim.claim)}"
            )
            if claim.response:
                st.markdown(f"*Response:* {escape_markdown(claim.response)}")
            for source_id in claim.sources:
                row = data.sources[data.sources["id"] == source_id]
                if row.empty:
                    continue
                link = markdown_link(row.iloc[0]["title"], row.iloc[0]["url"], escape_markdown)
                st.markdown(f"- {link} ([about this source](sources?source={source_id}))")


fmap = campaign_map(tuple(sorted(filters.to_params().items())), data.last_changed + data.version)
boundary_urls, boundary_message = ui.boundary_urls()
attribution = settings.BOUNDARY_ATTRIBUTION + " " + settings.POSTCODE_ATTRIBUTION

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
    st.markdown(f"### Hikvision equipment reported in UK public buildings — {selection.site_count} sites, {selection.claim_count} claims")
    st_folium(fmap, height=map_height, width=None, returned_objects=[], key="map_screenshot_folium")
    st.caption(
        f"Data as of {data.last_changed} (version {data.version}). "
        f"Sources: {escape_markdown(sources_line(selection.claims))}. {escape_markdown(attribution)}"
    )
    st.stop()

st.title("Hikvision cameras in UK public buildings")
st.caption(
    f"An evidence map. Data last changed {data.last_changed} (version {data.version}). "
    "Select a marker for its claims, evidence grade and sources."
)
counts = f"**{selection.site_count}** of {len(data.sites)} sites · **{selection.claim_count}** of {len(data.claims)} claims"
st.markdown(counts + (" match the filters." if filters.active else "."))
if near_error:
    st.error(f"Near a postcode: {escape_markdown(near_error)}")
if boundary_message:
    st.warning(
        "Council and region boundaries are not available, so the council layer is not drawn. "
        f"{escape_markdown(boundary_message)}"
    )

map_column, text_column = st.columns([3, 2], gap="large")
with map_column:
    clicked = st_folium(fmap, height=560, width=None, returned_objects=["last_object_clicked"], key="map_folium")
    st.caption(
        "Marker shape: kind of site. Colour: strongest evidence grade. A thick outline means several sites "
        "share one location. Councils are coloured by what is known of them. " + escape_markdown(attribution)
    )
    point = (clicked or {}).get("last_object_clicked")
    chosen_sites = sites_at(selection.sites, point["lat"], point["lng"]) if point else selection.sites.iloc[0:0]
    if not chosen_sites.empty:
        with st.container(border=True, key="map_details"):
            show_site_details(chosen_sites)
    if near:
        council_state = district_status(data.sites, data.foi_requests).get(near.lad_code, "no-data")
        st.subheader(f"Near {near.postcode}")
        st.markdown(
            f"{escape_markdown(near.postcode)} is in **{escape_markdown(near.lad_name)}** "
            f"({escape_markdown(near.region)}, {escape_markdown(near.nation)}). "
            f"What is known of this council: **{DISTRICT_STATUS_LABELS[council_state]}**. "
            f"{selection.site_count} site(s) within {filters.radius_km:g} km."
        )

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
                for source_id in figure.sources.split(";") if source_id
            )
            st.markdown(f"**{escape_markdown(amount)}** — {escape_markdown(figure.statement)} ({cited})")
    petition = settings.petition_url()
    if petition:
        st.link_button("Sign the petition", petition, type="primary")
    with st.expander("Sources cited in this text"):
        for citation in citations:
            linked = markdown_link(citation.title, citation.url, escape_markdown)
            st.markdown(f"{citation.number}. {linked} — {escape_markdown(citation.publisher)}")
