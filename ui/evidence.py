"""A site's evidence in the page: its place, its claims with grades and sources (all escaped)."""

from __future__ import annotations

import streamlit as st

from geo.outputs.text import escape_markdown, quote_parts
from ui.loading import dataset, quotes


def quote_markdown(quote) -> str:
    """A source's words as a Markdown block quotation, then who published them and when, all escaped.

    The quotation is kept on one line (a line break in untrusted text would end the block).
    """
    words, cite, checked, note = quote_parts(quote)
    lines = [f"> “{escape_markdown(words)}”", ">", f"> — {escape_markdown(cite)}"]
    if checked:
        lines[-1] += f" · {escape_markdown(checked)}"
    if note:
        lines += [">", f"> Note: {escape_markdown(note)}"]
    return "\n".join(lines)


# --- Sites and councils in detail --------------------------------------------------------------
def site_details(sites, claims) -> None:
    """Everything about the given sites and their claims, escaped (the popup's content, in the page)."""
    import pandas as pd

    from geo.outputs.text import markdown_link

    data = dataset()
    found = quotes()
    vocabulary = data.vocabulary
    for site in sites.itertuples(index=False):
        st.markdown(f"#### {escape_markdown(site.name)}")
        where = ", ".join(p for p in (site.address, site.postcode, site.authority_name or site.lad_name) if p)
        st.markdown(
            f"{escape_markdown(site.organisation)} · {escape_markdown(vocabulary.label('kinds', site.kind))} · "
            f"{escape_markdown(where)}"
        )
        precision = vocabulary.term("precisions", site.precision)
        st.markdown(f"Location: **{escape_markdown(precision.label if precision else site.precision)}**")
        if precision and not precision.has("exact"):  # not on the named building: say what it stands for
            st.info(precision.definition)
        for claim in claims[claims["site"] == site.id].itertuples(index=False):
            count = (
                " · number of devices not given"
                if pd.isna(claim.equipment_count)
                else f" · {int(claim.equipment_count)} devices"
            )
            st.markdown(
                f"**{escape_markdown(vocabulary.label('grades', claim.grade))}** · "
                f"{escape_markdown(vocabulary.label('vendors', claim.vendor))} · "
                f"{escape_markdown('reported ' + claim.reported if claim.reported else 'date not given')} · "
                f"{escape_markdown(vocabulary.label('statuses', claim.status))}{count}\n\n{escape_markdown(claim.claim)}"
            )
            if claim.response:
                st.markdown(f"*Response:* {escape_markdown(claim.response)}")
            for source_id in claim.sources:
                row = data.sources[data.sources["id"] == source_id]
                if row.empty:
                    continue
                link = markdown_link(row.iloc[0]["title"], row.iloc[0]["url"])
                st.markdown(f"- {link} ([about this source](sources?source={source_id}))")
                quote = found.get((claim.id, source_id))
                if quote is not None:
                    st.markdown(quote_markdown(quote))
