"""One council in the page: what is known, its requests, and a ready request to send."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from geo.outputs.text import escape_markdown
from ui.evidence import site_details
from ui.loading import authorities, dataset


def council_panel(code: str, areas: dict, key: str) -> None:
    """One council: what is known, its FOI requests, and a ready request to send ("Ask this council").

    ``code`` is a GSS code or a register code of any current or past authority.
    """
    from geo.foi import asking, deadlines, known
    from geo.outputs.text import markdown_link

    data = dataset()
    vocabulary = data.vocabulary
    found = authorities()
    council = found.get(code) or found.by_code.get(code)
    if council is None:
        st.warning("No UK local authority has that code.")
        return
    today = dt.date.today()
    st.markdown(f"### {escape_markdown(council.name)}")
    place = ", ".join(p for p in (council.region if council.region != council.nation else "", council.nation) if p)
    st.markdown(f"{escape_markdown(council.type)} · {escape_markdown(place)}")
    if not council.current:
        successors = found.successors(council)
        st.info(
            f"{escape_markdown(council.name)} no longer exists"
            + (f" (it ended on {council.end_date})" if council.end_date else "")
            + ". Its area is now part of "
            + ", ".join(f"[{escape_markdown(s.name)}](councils?authority={s.gss_code})" for s in successors)
            + "."
        )
        return
    county = found.by_code.get(council.county) if council.county else None
    if county is not None and county.current:
        st.markdown(f"County council above it: [{escape_markdown(county.name)}](councils?authority={county.gss_code})")
    state = areas.get(council.gss_code)
    status = state.status if state else vocabulary.unknown_area_status
    term = vocabulary.term("area_statuses", status)
    st.markdown(
        f"What is known: **{escape_markdown(term.label if term else status)}**. "
        f"{escape_markdown(term.definition) if term else ''}"
    )
    codes = {council.gss_code} | {
        a.gss_code for a in found.by_code.values() if not a.current and council in found.successors(a)
    }
    is_council = data.sites["kind"].map(vocabulary.is_council).astype(bool)
    own = data.sites[is_council & data.sites["authority"].isin(codes)]
    if not own.empty:
        with st.expander(
            f"Evidence about the council ({len(data.claims[data.claims['site'].isin(own['id'])])} claims)"
        ):
            site_details(own, data.claims)
    others = data.sites[~is_council & data.sites["area_codes"].map(lambda c: council.gss_code in c)]
    if not others.empty:
        names = sorted(set(others["organisation"]))
        st.markdown(
            f"Other public bodies with claims in this area: {escape_markdown(', '.join(names))}. "
            "(They say nothing about the council's own equipment.)"
        )

    st.markdown("#### Freedom of information requests")
    history = known.request_history(council.gss_code, data.foi_requests, found, today, vocabulary)
    if history.empty:
        st.markdown("No request to this council is recorded yet.")
    for request in history.itertuples(index=False):
        state_term = vocabulary.term("request_states", request.state)
        words = (state_term.words or state_term.label) if state_term else request.state
        line = f"Sent {request.sent or '(date not given)'}"
        if request.due:
            line += f", answer due by {request.due}"
        line += f": **{escape_markdown(words)}**"
        if request.answered:
            line += f" (answered {request.answered})"
        if request.unread:
            line += ", not yet read by the campaign"
        if request.finding:
            line += f"; finding: {escape_markdown(vocabulary.label('findings', request.finding))}"
        site_state = vocabulary.site_state(request.wdtk_state) if request.wdtk_state else None
        if site_state is not None:
            line += f" · on WhatDoTheyKnow: {escape_markdown(site_state.label)}"
        if request.url:
            line += " · " + markdown_link("the request", request.url)
        st.markdown(f"- {line}")

    st.markdown("#### Ask this council")
    recent = known.recent_answer(history, vocabulary, today)
    if recent is not None:
        st.warning(
            f"{escape_markdown(recent['council'])} answered this question on {recent['answered']}, less than "
            "12 months ago. Read that answer before asking again"
            + (": " + markdown_link("the answer", recent["url"]) if recent["url"] else "")
            + ". A new request would most likely get the same answer."
        )
    elif (history["state"].isin(vocabulary.keys_with("request_states", "waiting"))).any():
        waiting = history[history["state"].isin(vocabulary.keys_with("request_states", "waiting"))].iloc[0]
        st.info(
            f"A request to this council is already waiting for its answer (due by {waiting['due']})"
            + (": " + markdown_link("the request", waiting["url"]) if waiting["url"] else "")
            + "."
        )
    law = deadlines.law_for(council.nation, vocabulary=vocabulary)
    due = deadlines.due_date(today, vocabulary.law(law))
    st.markdown(
        f"A ready request, under {escape_markdown(deadlines.law_name(law, vocabulary))}. Sent today, the answer "
        f"would be due by **{due:%-d %B %Y}** ({deadlines.WORKING_DAYS_TO_ANSWER} working days; see the method "
        "page). Send it on WhatDoTheyKnow, where the request and the "
        "answer are published for everyone, or copy it into an e-mail to the council's FOI team. "
        "Campaigners then record the request on the import page, so the map shows the council as asked."
    )
    if council.wdtk_number:
        st.link_button("Open this request on WhatDoTheyKnow", asking.whatdotheyknow_url(council), type="primary")
    else:
        st.link_button(f"Find {escape_markdown(council.name)} on WhatDoTheyKnow", asking.whatdotheyknow_url(council))
        st.caption(
            "This council's WhatDoTheyKnow page is not known here; search for it there, then paste the letter below."
        )
    st.code(asking.full_letter(council), language=None, wrap_lines=True)
    st.download_button(
        "Download the letter (.txt)",
        asking.full_letter(council).encode("utf-8"),
        file_name=f"foi-request-{council.code.lower()}.txt",
        mime="text/plain",
        key=f"{key}_letter_{council.code}",
        on_click="ignore",
    )
