"""The evidence as a table: the map's filters and counts, one row per claim, and downloads."""

import pandas as pd
import streamlit as st

import ui
from geo import settings
from geo.outputs import export, press
from geo.outputs.share import app_base_url, embed_snippet, view_links
from geo.outputs.text import escape_markdown, safe_url
from ui import filter_state, loading

ui.ensure_entrypoint()

data = loading.dataset()
filters = filter_state.filter_sidebar(data, page="data")
selection, near, near_error = filter_state.select(data, filters)
vocabulary = data.vocabulary

st.title("The evidence as a table")
st.caption(
    f"The same filters and the same selection as the map, one row per claim. "
    f"Data last changed {data.last_changed} (version {data.version})."
)
counts = (
    f"**{selection.site_count}** of {len(data.sites)} sites · **{selection.claim_count}** of {len(data.claims)} claims"
)
st.markdown(counts + (" match the filters." if filters.active else "."))
if near_error:
    st.error(f"Near a postcode: {escape_markdown(near_error)}")

quotes = loading.quotes()
table = export.claims_table(selection.sites, selection.claims, data.sources, quotes)
titles = {row.id: f"{row.title} ({row.publisher})" for row in data.sources.itertuples(index=False)}
urls = {row.id: safe_url(row.url) for row in data.sources.itertuples(index=False)}
first_url = [next((urls[s] for s in ids.split(";") if urls.get(s)), None) for ids in table["source_ids"]]
view = pd.DataFrame(
    {
        "Site": table["site"],
        "Organisation": table["organisation"],
        "Kind": table["kind"].map(lambda v: vocabulary.label("kinds", v)),
        "Evidence grade": table["grade"].map(lambda v: vocabulary.label("grades", v)),
        "Reported": table["reported"],
        "Status": table["status"].map(lambda v: vocabulary.label("statuses", v)),
        # Text, so that a claim whose sources give no number says so (never a blank, 0 or None).
        "Devices": table["equipment_count"].map(lambda v: v or "not given"),
        "Claim": table["claim"],
        # Beside the claim, so that a reader can check one against the other at a glance.
        "The sources' words": table["quotes"],
        "Sources": table["source_ids"].map(lambda ids: "; ".join(titles.get(s, s) for s in ids.split(";") if s)),
        "First source": first_url,
        "Response": table["response"],
        "Location": table["precision"].map(lambda v: vocabulary.label("precisions", v)),
        "Council": table["district"],
    }
)
st.dataframe(
    view,
    hide_index=True,
    width="stretch",
    key="data_table",
    column_config={
        "Site": st.column_config.TextColumn("Site", width="medium"),
        "Claim": st.column_config.TextColumn("Claim", width="large"),
        "Reported": st.column_config.TextColumn("Reported", help="When the source published the claim"),
        "Devices": st.column_config.TextColumn("Devices", help="Number of devices, where the source gives one"),
        "Evidence grade": st.column_config.TextColumn("Evidence grade", help="See the method page"),
        "Sources": st.column_config.TextColumn("Sources", width="large"),
        "First source": st.column_config.LinkColumn(
            "First source",
            help="Opens the first cited source (http and https links only)",
            display_text=r"^https?://(?:www\.)?([^/]+)",
        ),
        "The sources' words": st.column_config.TextColumn(
            "The sources' words",
            width="large",
            help="Each source's passage that supports the claim, quoted word for word, with its publisher and date, "
            "and when the claim was last read against it",
        ),
        "Response": st.column_config.TextColumn("Response", width="medium"),
        "Location": st.column_config.TextColumn("Location", help="How exactly the map places the site"),
    },
)
st.caption(
    "Keyboard: Tab moves into the table, the arrow keys move between cells, and the column headers sort "
    "(click, or press Enter on a header). Each source is described on the sources page."
)

st.subheader("Download")
column_a, column_b = st.columns(2)
with column_a:
    st.download_button(
        "Selection as CSV (one row per claim)",
        export.selection_csv(selection.sites, selection.claims, data.sources, quotes),
        file_name="hikvision-evidence-selection.csv",
        mime="text/csv",
        key="data_download_csv",
        on_click="ignore",
        width="stretch",
        wrap=True,
    )
    st.download_button(
        "Selection as GeoJSON (sites with their claims)",
        export.selection_geojson(selection.sites, selection.claims, data.sources, quotes),
        file_name="hikvision-evidence-selection.geojson",
        mime="application/geo+json",
        key="data_download_geojson",
        on_click="ignore",
        width="stretch",
        wrap=True,
    )
with column_b:
    st.download_button(
        "Whole data package (zip: data, schema, licences)",
        lambda: export.package_zip(settings.DATA_DIR, data.descriptor),
        file_name="hikvision-evidence-data-package.zip",
        mime="application/zip",
        key="data_download_zip",
        on_click="ignore",
        width="stretch",
        wrap=True,
    )
    areas = loading.area_statuses(data)
    st.download_button(
        f"Press image: UK map with London (PNG, {press.WIDTH_PX} × {press.HEIGHT_PX} px)",
        lambda: press.render_png(data, selection, filters, areas, layout="geo"),
        file_name="hikvision-evidence-map.png",
        mime="image/png",
        key="data_download_png",
        on_click="ignore",
        width="stretch",
        wrap=True,
    )
    st.download_button(
        f"Press image: hex map, one hexagon per council (PNG, {press.WIDTH_PX} × {press.HEIGHT_PX} px)",
        lambda: press.render_png(data, selection, filters, areas, layout="hex"),
        file_name="hikvision-evidence-hex-map.png",
        mime="image/png",
        key="data_download_png_hex",
        on_click="ignore",
        width="stretch",
        wrap=True,
    )
st.caption(escape_markdown(export.SPREADSHEET_NOTE) + " The data is licensed CC BY 4.0; see the method page.")

st.subheader("Share or embed this view")
# A published copy (HIKMAP_PUBLISH_URL) takes the readers of a story: static files, not the app.
published = settings.publish_url()
base = published or app_base_url(st.context.url or "")
if base:
    link, _ = view_links(base, filters, published=bool(published))
    where = "the published map" if published else "the app"
    st.markdown(f"A link to this view, with the current filters, on {where}:")
    st.code(link, language=None, wrap_lines=True)
    st.markdown("Copy this code into a web page to show the map with the current filters, with credit:")
    # Plain text: Streamlit colours HTML tags #1c83e1 on #fcfcfb (3.8:1, under WCAG's 4.5:1).
    st.code(embed_snippet(base, filters, published=bool(published)), language=None, wrap_lines=True)
else:
    st.info("The app's address is not known here, so no link or embed code can be made.")
