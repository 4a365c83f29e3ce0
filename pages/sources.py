"""Every source, what it is, and what in the data cites it. Linked as ``sources?source=<id>``."""

import re

import streamlit as st

import ui
from geo import settings
from geo.evidence import citations
from geo.outputs.text import escape_markdown, markdown_link, safe_url
from ui import loading

ui.ensure_entrypoint()

data = loading.dataset()
kind_labels = data.vocabulary.labels("source_kinds")
grade_labels = data.vocabulary.labels("grades")
citing = citations.citations_by_source(data.sites, data.claims, data.figures)
requested = str(st.query_params.get("source", "")).strip()
by_id = {row.id: row for row in data.sources.itertuples(index=False)}

# Static style (no data text): the source a link asked for stands out.
st.html(
    "<style>.st-key-sources_requested { background: "
    + settings.CHROME["highlight"]
    + "; border-radius: 0.5rem; }</style>"
)


def anchor_of(source_id: str) -> str:
    """The HTML id of a source's heading (the data check already limits ids to a-z, 0-9, -)."""
    return "source-" + re.sub(r"[^a-z0-9-]", "", source_id)


def show_source(row, anchor: str | bool) -> None:
    st.subheader(escape_markdown(row.title), anchor=anchor)
    date = row.published or "date not known"
    st.markdown(
        f"{escape_markdown(row.publisher)} · {escape_markdown(date)} · "
        f"{escape_markdown(kind_labels.get(row.kind, row.kind))}"
    )
    links = []
    if safe_url(row.url):
        links.append(markdown_link("Read the source", row.url))
    else:
        links.append("No web address (unpublished source).")
    if safe_url(row.archive_url):
        links.append(markdown_link("Archived copy", row.archive_url))
    st.markdown(" · ".join(links))
    if row.note:
        st.markdown(f"*Note:* {escape_markdown(row.note)}")
    cited = citing.get(row.id)
    if cited is None or cited.empty:
        st.caption("Cited only in the campaign text, or not cited by any claim, figure or site.")
        return
    lines = []
    for claim in cited.claims:
        grade = grade_labels.get(claim["grade"], claim["grade"])
        lines.append(
            f"- **{escape_markdown(claim['site'])}** ({escape_markdown(grade)}): {escape_markdown(claim['claim'])}"
        )
    for figure in cited.figures:
        lines.append(f"- Key figure: {escape_markdown(figure['statement'])}")
    for site in cited.sites:
        lines.append(f"- The address of **{escape_markdown(site['name'])}**")
    st.markdown("**Cited by**\n\n" + "\n".join(lines))


st.title("Sources")
st.caption(
    f"Every publication the data cites ({len(data.sources)} sources), with the claims, key figures and "
    "sites that rely on it. Each source keeps its own copyright; the data cites it and does not republish it."
)

if requested:
    row = by_id.get(requested)
    if row is None:
        st.warning(f"No source has the id “{escape_markdown(requested[:100])}”. All sources are listed below.")
    else:
        with st.container(border=True, key="sources_requested"):
            st.markdown("**The source you followed a link to**")
            show_source(row, anchor="requested-source")

column_a, column_b = st.columns(2)
kinds = column_a.multiselect(
    "Kind of source",
    data.vocabulary.keys("source_kinds"),
    key="sources_kinds",
    format_func=lambda k: kind_labels.get(k, k),
)
publishers = column_b.multiselect(
    "Publisher",
    sorted(set(data.sources["publisher"]), key=str.lower),
    key="sources_publishers",
)
chosen = citations.filter_sources(data.sources, kinds, publishers)
st.markdown(f"**{len(chosen)}** of {len(data.sources)} sources, newest first.")
for row in chosen.itertuples(index=False):
    with st.container(border=True):
        show_source(row, anchor=anchor_of(row.id))
