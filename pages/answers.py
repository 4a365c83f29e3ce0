"""Answers to read: public answers on WhatDoTheyKnow that nobody has recorded yet, behind the import credential.

``python -m geo wdtk pull`` finds the requests; this page lists those with an
answer not yet read, newest first, and records what one says in a short form
(``geo.foi.wdtk.recording.record_answer``: the request's finding and, where
the answer says the body has the equipment or has none, a claim whose source is
the answer, with the answer's own words quoted in the link, written through the
importer's atomic apply and the check). Titles and snippets are the site's
text: shown as text, never markup.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from geo import settings
from geo.foi.wdtk.recording import (
    FINDINGS,
    QUOTE_LIMIT,
    SITE_KINDS,
    Answer,
    AnswerError,
    record_answer,
    waiting_answers,
)
from geo.foi.wdtk.state import load_records
from geo.importing import ApplyError
from geo.outputs.text import escape_markdown, markdown_link
from ui import loading
from ui.gate import signed_in

ui.ensure_entrypoint()

FINDING_WORDS = {
    "equipment": "Equipment found",
    "none": "Has none",
    "not-held": "Information not held",
    "refused": "Refused (give the exemption)",
}


def main() -> None:
    if not signed_in("Answers to read", key="answers", name="The answers queue"):
        return
    data = loading.dataset()
    vocabulary = data.vocabulary
    base = settings.wdtk_url()
    records = load_records(settings.cache_dir() / "wdtk" / "state.sqlite")
    queue = waiting_answers(data.foi_requests.to_dict("records"), records, vocabulary, base)
    done = st.session_state.pop("answers_done", None)
    if done:
        st.success(escape_markdown(done))
    st.markdown(
        "Public answers found on WhatDoTheyKnow by `python -m geo wdtk pull` that nobody has read yet, newest "
        "first. Open the answer, then record what it says: the map, the counts and the next published copy "
        "change when you save."
    )
    if not queue:
        st.info("No answer is waiting to be read. Run `python -m geo wdtk pull` to look for new ones.")
        return
    st.markdown(f"**{len(queue)}** answer{'s' if len(queue) != 1 else ''} waiting.")
    table = pd.DataFrame(
        [
            {
                "body": w.row["organisation"],
                "sent": w.row.get("sent", ""),
                "answered": w.responded,
                "status on the site": w.site_status,
                # A request typed into the data before any pull has no title in the cache yet.
                "request": w.title or "(title not read yet)",
            }
            for w in queue
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch", key="answers_table")  # cells are shown as text

    ids = [w.row["id"] for w in queue]
    chosen = st.selectbox(
        "Answer to read",
        ids,
        format_func=lambda i: next(
            f"{w.row['organisation']} — {w.responded or 'date not known'}" for w in queue if w.row["id"] == i
        ),
        key="answers_chosen",
    )
    waiting = next(w for w in queue if w.row["id"] == chosen)
    row = waiting.row
    with st.container(border=True, key="answers_answer"):
        st.subheader(escape_markdown(row["organisation"]), anchor=False)
        st.markdown(
            f"Sent {escape_markdown(row.get('sent') or 'date not known')} · answered "
            f"{escape_markdown(waiting.responded or 'date not known')} · on the site: "
            f"**{escape_markdown(waiting.site_status)}**"
        )
        if waiting.title:
            st.markdown(f"Request: {escape_markdown(waiting.title)}")
        if waiting.snippet:
            st.markdown("What the site quotes of the answer:")
            st.markdown("> " + escape_markdown(waiting.snippet))
        st.markdown(
            markdown_link("Read the answer on WhatDoTheyKnow", waiting.answer_url)
            + " · "
            + markdown_link("the whole request and its attachments", row["url"])
        )

    with st.form(key=f"answers_form_{chosen}", clear_on_submit=False, border=True):
        finding = st.radio(
            "What does the answer say?", FINDINGS, format_func=FINDING_WORDS.get, key="answers_finding", horizontal=True
        )
        # The makers the campaign asks about; 'other' would need the maker's name, which the form does not take.
        makers = [t for t in vocabulary.vendors if t.key != "other"]
        st.caption(
            "Makers: for equipment found, those the answer names; for 'has none', those the answer says the "
            "body has none of."
        )
        columns = st.columns(len(makers))
        chosen_makers: dict[str, bool] = {}
        counts: dict[str, int | None] = {}
        for column, maker in zip(columns, makers):
            with column:
                chosen_makers[maker.key] = st.checkbox(maker.label, key=f"answers_vendor_{maker.key}")
                counts[maker.key] = st.number_input(
                    f"{maker.label} devices (if given)",
                    min_value=0,
                    step=1,
                    value=None,
                    key=f"answers_count_{maker.key}",
                )
        kinds = st.multiselect("Kinds of site (if given)", SITE_KINDS, key="answers_site_kinds")
        removal = st.checkbox("The body plans to remove or replace it", key="answers_removal")
        exemptions = vocabulary.keys("exemptions")
        exemption = st.selectbox(
            "Exemption (for a refusal)",
            [""] + exemptions,
            format_func=lambda key: vocabulary.label("exemptions", key) if key else "—",
            key="answers_exemption",
        )
        quote = st.text_area(
            f"Quotation from the answer, word for word (required, at most {QUOTE_LIMIT} characters)",
            max_chars=QUOTE_LIMIT,
            help=(
                "Copy the passage of the body's answer that supports what you chose above, exactly as written: "
                "no summary, no changed words. It is published with the claim, as the answer's own words, "
                "dated today as the day it was read."
            ),
            key="answers_quote",
        )
        saved = st.form_submit_button("Save what the answer says", type="primary")
    if saved:
        answer = Answer(
            finding=finding,
            quote=quote,
            vendors={
                k: (int(counts[k]) if counts[k] is not None and finding == "equipment" else None)
                for k, on in chosen_makers.items()
                if on
            }
            if finding in ("equipment", "none")
            else {},
            exemption=exemption if finding == "refused" else "",
            site_kinds=tuple(kinds) if finding == "equipment" else (),
            removal_planned=removal and finding == "equipment",
            answered=waiting.responded,
        )
        try:
            with st.spinner("Writing the data and rebuilding the map…"):
                result = record_answer(settings.DATA_DIR, chosen, answer, records, base)
        except (AnswerError, ApplyError) as error:
            st.error(f"Nothing was written: {escape_markdown(str(error))}")
            return
        loading.dataset_cache_clear()
        st.session_state["answers_done"] = (
            f"Recorded the answer of {row['organisation']}: {FINDING_WORDS[finding].split(' (')[0].lower()}. "
            f"Data version {result.version} ({result.date})."
        )
        st.rerun()


main()
