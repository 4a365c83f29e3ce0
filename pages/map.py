"""The campaign map: filterable UK map of reported sites beside the campaign's text."""

import html

import streamlit as st
from streamlit_folium import st_folium

import ui
from geo import settings
from geo.campaign import escape_markdown, render_campaign
from geo.mapview import (
    DISTRICT_STATUS_LABELS, build_map, district_status, labels_from, selection_bounds, sites_payload,
)

ui.ensure_entrypoint()

data = ui.dataset()
filters = ui.filter_sidebar(data, page="map")
selection, near, near_error = ui.select(data, filters)
labels = labels_from(data)


@st.cache_data(show_spinner=False, max_entries=64)
def map_config(filter_key: tuple, data_version: str, near_key: tuple | None):
    """The folium map for one selection; cached so that a repeat costs nothing."""
    boundary_urls, _ = ui.boundary_urls()
    payload = sites_payload(selection.sites, selection.claims, data.sources, labels)
    fmap = build_map(
        payload, labels,
        district_status=district_status(data.sites, data.foi_requests),
        boundary_urls=boundary_urls,
        bounds=selection_bounds(selection.sites) if not selection.sites.empty else None,
    )
    return fmap


st.title("Hikvision cameras in UK public buildings")
st.caption(
    f"An evidence map. Data last changed {data.last_changed} (version {data.version}). "
    "Every marker links to its claims, their evidence grade and their sources."
)

counts = f"**{selection.site_count}** of {len(data.sites)} sites · **{selection.claim_count}** of {len(data.claims)} claims"
st.markdown(counts + (" match the filters." if filters.active else "."))
if near_error:
    st.error(f"Near a postcode: {escape_markdown(near_error)}")

boundary_urls, boundary_message = ui.boundary_urls()
if boundary_message:
    st.warning(
        "Council and region boundaries are not available, so the council layer is not drawn. "
        f"{escape_markdown(boundary_message)}"
    )

map_column, text_column = st.columns([3, 2], gap="large")
with map_column:
    fmap = map_config(tuple(sorted(filters.to_params().items())), data.last_changed + data.version,
                      (near.lat, near.lon) if near else None)
    clicked = st_folium(fmap, height=560, width=None, returned_objects=["last_object_clicked"], key="map_folium")
    st.caption(
        "Marker shape: kind of site. Colour: strongest evidence grade. "
        "A thick outline means several sites share one location. "
        + settings.BOUNDARY_ATTRIBUTION + " " + settings.POSTCODE_ATTRIBUTION
    )
    if near:
        st.subheader(f"Near {near.postcode}")
        council_state = district_status(data.sites, data.foi_requests).get(near.lad_code, "no-data")
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
    petition = settings.petition_url()
    if petition:
        st.link_button("Sign the petition", petition, type="primary")
    with st.expander("Sources cited in this text"):
        for citation in citations:
            title = escape_markdown(citation.title)
            linked = f"[{title}]({citation.url})" if citation.url else title
            st.markdown(f"{citation.number}. {linked} — {escape_markdown(citation.publisher)}")
