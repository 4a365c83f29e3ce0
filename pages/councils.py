"""Councils: find any UK council, see what is known of it, and ask it (a ready FOI request).

``?authority=CODE`` (a GSS code such as ``S12000048``, or mySociety's register
code) opens that council's panel. Below: the campaign's progress with the
councils, and batches of councils still to ask.
"""

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

import ui
from geo import settings
from geo.foi import asking, known
from geo.foi.deadlines import WORKING_DAYS_TO_ANSWER
from geo.outputs.text import escape_markdown
from ui import council_panel, loading

ui.ensure_entrypoint()

data = loading.dataset()
found = loading.authorities()
areas = loading.area_statuses(data)
today = dt.date.today()


def choose(code: str) -> None:
    """Open a council's panel (a candidate button's callback): the URL says which."""
    st.query_params["authority"] = code
    st.session_state["councils_search"] = ""


def lookup(postcode: str):
    return loading.postcode_directory().lookup(postcode)


st.title("Councils: what is known, and who to ask")
st.markdown(
    f"Of the UK's {len([a for a in found.current() if a.is_council])} councils, most have never been asked "
    "whether they use Hikvision or Dahua equipment. Find a council to see what is known of it and to send it a "
    "ready freedom of information request; or take a batch of councils still unknown in your nation or region."
)

query = st.text_input(
    "Find a council by name or postcode",
    key="councils_search",
    max_chars=120,
    placeholder="e.g. Perth & Kinross, LB Hackney, Cyngor Caerdydd or SW1A 2AA",
)
chosen = st.query_params.get("authority", "")
if query.strip():
    search = asking.find_council(query, found, lookup)
    if search.councils:
        chosen = search.councils[0].gss_code or search.councils[0].code
        if len(search.councils) > 1:
            st.markdown(
                f"{escape_markdown(query.strip())} is in "
                + " and ".join(f"**{escape_markdown(c.name)}**" for c in search.councils)
                + "."
            )
    else:
        st.warning(escape_markdown(search.message))
        if search.candidates:
            st.markdown("Did you mean:")
            for candidate in search.candidates:
                # A button's label is Markdown: the name is escaped like every other label.
                st.button(
                    escape_markdown(candidate.name) + ("" if candidate.current else " (no longer exists)"),
                    key=f"councils_candidate_{candidate.code}",
                    on_click=choose,
                    args=(candidate.gss_code or candidate.code,),
                )
        chosen = ""

if chosen:
    with st.container(border=True, key="councils_panel"):
        council_panel.council_panel(chosen, areas, key="councils_panel")

st.header("Progress")
st.markdown(
    "How many councils have been asked, have answered, are overdue, have had equipment reported, say they have "
    "none, or are still unknown. Overdue is worked out from each request's date sent and the law's "
    f"{WORKING_DAYS_TO_ANSWER} working days, so it changes without anyone editing the data."
)
by_nation = known.progress(areas, data.foi_requests, found, today, by="nation", vocabulary=data.vocabulary)
by_region = known.progress(areas, data.foi_requests, found, today, by="region", vocabulary=data.vocabulary)
status_of = {
    a.gss_code: (areas[a.gss_code].status if a.gss_code in areas else data.vocabulary.unknown_area_status)
    for a in found.current()
    if a.is_council and a.gss_code
}
nation_of = {a.gss_code: a.nation for a in found.current() if a.is_council and a.gss_code}
bars = pd.DataFrame(
    {
        term.label: [
            sum(1 for c, s in status_of.items() if s == term.key and nation_of[c] == nation)
            for nation in by_nation["nation"][:-1]
        ]
        for term in data.vocabulary.area_statuses
    },
    index=pd.Index(by_nation["nation"][:-1], name="Nation"),
)
shown = [term for term in data.vocabulary.area_statuses if bars[term.label].sum() > 0]
# Altair rather than st.bar_chart, for a legend in one column with whole labels: st.bar_chart
# lays its legend out in one row, cut off at 320 px wide or at 200 % zoom (WCAG 1.4.10).
TEXT = settings.CHROME["text"]  # the theme's textColor (.streamlit/config.toml)
AXIS_PX, BAR_PX = 110, 32  # the width of the nations' names, the height of a bar: the legend goes below
counts = bars[[t.label for t in shown]].reset_index().melt("Nation", var_name="Known", value_name="Councils")
counts["order"] = counts["Known"].map({t.label: i for i, t in enumerate(shown)})
st.altair_chart(
    alt.Chart(
        counts, description="Councils in each nation by what is known of them; the same numbers are in the table below."
    )
    .mark_bar()
    .encode(
        x=alt.X("Councils:Q", stack=True, title="Councils"),
        y=alt.Y("Nation:N", title=None, axis=alt.Axis(minExtent=AXIS_PX, maxExtent=AXIS_PX)),
        color=alt.Color(
            "Known:N",
            title=None,
            scale=alt.Scale(domain=[t.label for t in shown], range=[t.colour for t in shown]),
            legend=alt.Legend(
                orient="none", direction="vertical", labelLimit=0, legendX=-AXIS_PX, legendY=BAR_PX * len(bars) + 56
            ),
        ),
        order=alt.Order("order:Q"),
        tooltip=["Nation", "Known", "Councils"],
    )
    .properties(height=alt.Step(BAR_PX), padding={"left": 5, "top": 5, "right": 5, "bottom": 20 * len(shown) + 30})
    # The page's text colour: Streamlit's chart theme greys labels to #808495 (3.8:1 on white).
    .configure_axis(labelColor=TEXT, titleColor=TEXT)
    .configure_legend(labelColor=TEXT),
    width="stretch",
)
st.caption(
    "Each bar is a nation's councils, coloured by what is known of them (the map's colours). "
    "The same numbers are in the table below."
)
st.dataframe(
    by_nation.rename(columns={**known.PROGRESS_LABELS, "nation": "Nation"}),
    hide_index=True,
    width="stretch",
    key="councils_progress_nation",
)
with st.expander("By region"):
    st.dataframe(
        by_region.rename(columns={**known.PROGRESS_LABELS, "region": "Region"}),
        hide_index=True,
        width="stretch",
        key="councils_progress_region",
    )
st.download_button(
    "Progress by nation and region (CSV)",
    known.progress_csv(by_nation, by_region),
    file_name="hikvision-foi-progress.csv",
    mime="text/csv",
    key="councils_progress_csv",
    on_click="ignore",
)

st.header("Take a batch")
st.markdown(
    "Councils still unknown in one nation or region, as one spreadsheet: each council's name and code, the link "
    "that opens its request on WhatDoTheyKnow, and the letter. A group can split the rows between volunteers."
)
nations = sorted({a.nation for a in found.current() if a.is_council})
regions = sorted({a.region for a in found.current() if a.is_council and a.region not in nations})
places = ["United Kingdom"] + nations + regions
place = st.selectbox("Nation or region", places, key="councils_batch_place")
batch = known.councils_to_ask(
    areas, found, nation=place if place in nations else "", region=place if place in regions else ""
)
st.markdown(f"**{len(batch)}** councils still unknown in {escape_markdown(place)}.")
st.download_button(
    f"Batch of {len(batch)} councils to ask (CSV)",
    asking.batch_csv(batch),
    file_name=f"hikvision-foi-batch-{place.lower().replace(' ', '-')}.csv",
    mime="text/csv",
    key="councils_batch_csv",
    on_click="ignore",
    disabled=not batch,
)
