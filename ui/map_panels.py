"""The map page's panels: the layout switch, the sentence in words, the counts."""

from __future__ import annotations

import streamlit as st

from geo.filters import Filters, Selection
from geo.outputs.text import escape_markdown
from ui.loading import authorities, dataset


# --- The map page's panels ------------------------------------------------------------------
def map_layout(layouts: dict[str, str]) -> str:
    """The map's layout (``geo`` or ``hex``) from the URL's ``layout``."""
    wanted = st.query_params.get("layout", "geo")
    return wanted if wanted in layouts else "geo"


def map_layout_switch(layouts: dict[str, str], key: str) -> None:
    """Buttons that switch the layout, keeping it in the URL (the page reruns with it)."""
    current = map_layout(layouts)

    def switch() -> None:
        chosen = st.session_state.get(key) or "geo"
        if chosen == "geo":
            st.query_params.pop("layout", None)
        else:
            st.query_params["layout"] = chosen

    if st.session_state.get(key) != current:
        st.session_state[key] = current
    # wrap=True: on a narrow screen (320 px, or 200 % zoom) the options wrap instead of scrolling sideways.
    st.segmented_control(
        "Map",
        list(layouts),
        format_func=layouts.get,
        key=key,
        selection_mode="single",
        label_visibility="collapsed",
        on_change=switch,
        wrap=True,
    )


def status_line(selection: Selection, areas: dict, filters: Filters) -> str:
    """One sentence (Markdown) of what the selection shows: bodies by status, councils unknown in its places.

    The words after each number are each area status's ``words`` in the vocabulary.
    """
    from geo.evidence.counts import bodies, unknown_councils

    vocabulary = dataset().vocabulary
    found = bodies(selection.sites, selection.claims, vocabulary)
    unknown = len(unknown_councils(areas, authorities(), filters))
    counted = found["status"].value_counts()
    words = {t.key: t.words or t.label for t in vocabulary.area_statuses}
    parts = [f"**{counted.get(key, 0)}** {words[key]}" for key in vocabulary.body_statuses]
    bodies_text = "1 body" if len(found) == 1 else f"{len(found)} bodies"
    councils_text = "council is" if unknown == 1 else "councils are"
    return (
        f"{bodies_text} in view: " + ", ".join(parts) + f". **{unknown}** {councils_text} "
        f"{words[vocabulary.unknown_area_status]}."
    )


def publishers_line(selection: Selection) -> str:
    from geo.outputs.press import publishers_line as line

    return line(selection.claims, dataset().sources)


def council_known_line(code: str, areas: dict) -> str:
    """Markdown: what is known of the council (and the county council above it) with this code."""
    from geo.outputs.mapview import county_of_districts

    vocabulary = dataset().vocabulary
    found = authorities()
    parts = []
    for council_code in [code, county_of_districts(found).get(code, "")]:
        council = found.get(council_code) if council_code else None
        if council is None:
            continue
        state = areas.get(council_code)
        said = vocabulary.label("area_statuses", state.status if state else vocabulary.unknown_area_status)
        parts.append(f"{escape_markdown(council.name)}: **{escape_markdown(said)}**.")
    return " ".join(parts)


def counts_tables(selection: Selection, areas: dict, filters: Filters, key: str) -> None:
    """Counts by nation (shown) and by region (in an expander), as tables of numbers, headed in the vocabulary's words."""
    from geo.evidence.counts import bodies, count_headings, status_counts, unknown_councils

    vocabulary = dataset().vocabulary
    found = bodies(selection.sites, selection.claims, vocabulary)
    unknown = unknown_councils(areas, authorities(), filters)
    for by in ("nation", "region"):
        table = status_counts(found, unknown, by, vocabulary).rename(columns=count_headings(vocabulary, by))
        if by == "nation":
            st.dataframe(table, hide_index=True, width="stretch", key=f"{key}_{by}")
        else:
            with st.expander("By region"):
                st.dataframe(table, hide_index=True, width="stretch", key=f"{key}_{by}")
