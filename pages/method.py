"""How the data is gathered and checked, what its grades mean, corrections, licences."""

import streamlit as st

import ui
from geo import settings
from geo.evidence import licences
from geo.evidence.dataset import read_changelog
from geo.foi.deadlines import WORKING_DAYS_TO_ANSWER
from geo.outputs.feed import ATOM_TYPE, FEED_FILE, FOLLOW_TEXT
from geo.outputs.publish.site import correction_link
from geo.outputs.text import date_in_words, escape_markdown, markdown_link, one_line
from ui import loading

ui.ensure_entrypoint()

data = loading.dataset()


def laws() -> str:
    """Each law, who answers under it, and which days its clock leaves out, as a list (from the vocabulary)."""
    lines = []
    for law in data.vocabulary.laws:
        nations = list(law.nations)
        who = (
            f"bodies in {', '.join(nations[:-1])}{' and ' if len(nations) > 1 else ''}{nations[-1]}" if nations else ""
        )
        if law.has("uk-wide"):
            who += (", and " if who else "") + "UK-wide bodies"
        name = markdown_link(law.label, law.url) if law.url else f"**{escape_markdown(law.label)}**"
        lines.append(
            f"- {name}" + (f" ({escape_markdown(who)})" if who else "") + f": {escape_markdown(law.definition)}"
        )
    return "\n".join(lines)


def definitions(group: str) -> str:
    """The labels and definitions of one group of the vocabulary, as a list."""
    return "\n".join(
        f"- **{escape_markdown(term.label)}**: {escape_markdown(term.definition)}"
        for term in getattr(data.vocabulary, group)
    )


st.title("Method")
st.caption(f"Data last changed {data.last_changed} (version {data.version}).")

st.header("How the data is gathered and checked", anchor="gathered")
st.markdown(
    """
Every claim on the map comes from a published source: a parliamentary answer or committee report,
a government publication, a freedom of information answer, a news report or a campaign's research.
Each claim is written in the project's own words and says who reported it. It carries an evidence
grade, the date the source published it, its status (as far as a source says) and every source it rests on.

Sites are placed from their postcode, looked up offline in the ONS Postcode Directory. Where no
source names a building, the site stands at the organisation's headquarters and the map says so.
Addresses are taken from published pages and never guessed.

Before each release the whole data package is checked against its schema (`datapackage.json`):
every field's type and allowed values, every link between the tables, every source cited, and every
postcode found in the directory (`python -m geo check data`). The sources page lists every
publication and what cites it.
"""
)

st.header("Evidence grades", anchor="grades")
st.markdown(definitions("grades"))
st.markdown(
    "A claim's grade describes its evidence, not the site. The map shows each site with the strongest "
    "grade among its claims."
)

st.header("Status of the equipment", anchor="statuses")
st.markdown(definitions("statuses"))
st.markdown(
    "A status is what the source said at the date reported. A body's later statements are further claims, "
    "each with its own date, so the map shows how things changed."
)

st.header("Kinds of body", anchor="kinds")
st.markdown(definitions("kinds"))

st.header("What the colours of council areas mean", anchor="areas")
st.markdown(definitions("area_statuses"))
st.markdown(
    "A council's area takes the status of the latest dated evidence about the council itself: its own "
    "claims and the answers to freedom of information requests. A government office or a police station "
    "in its area says nothing about the council. A county council's evidence colours the districts below it, "
    "paler, where they have none of their own. A claim about a council that has since been merged keeps the "
    "name the council had then and colours the area of the council that replaced it, with a note. Figures "
    "that cover many bodies at once (such as a share of all councils) stay key figures and never colour an area."
)

st.header("Freedom of information requests and their deadlines", anchor="foi")
st.markdown(
    """
Most councils are on the map as "nothing known yet" until someone asks them. The Councils page gives
each one a ready request in the project's own words: whether the council owns or operates equipment made
by Hikvision or Dahua (including equipment sold under another brand name), how many devices and at what
kinds of site, when they were bought, any plan to replace them, and the contract or supplier. It asks for
kinds of site, never the position of a camera.
"""
)
st.markdown(
    f"**The deadline.** A public body must answer within {WORKING_DAYS_TO_ANSWER} working days of the day it "
    "received the request. The project counts from the day the request was sent (by e-mail or on WhatDoTheyKnow, "
    "the two are the same day) and works the due date out itself, so a request turns *overdue* on the map, on "
    "the council's panel and in the progress figures without anyone editing the data. What counts as a working "
    "day depends on the law the body answers under:"
)
st.markdown(laws())
st.markdown(
    """
The bank holidays of each part of the UK come from the maintained `holidays` library, with substitute
days and one-off holidays, not from a hand-kept list.
"""
)
st.markdown("What a request's state means, worked out each day from its status, the date sent and the law:")
st.markdown(definitions("request_states"))
st.markdown(
    """
**WhatDoTheyKnow.** The "Open this request on WhatDoTheyKnow" link opens mySociety's public FOI site
with the council chosen and the title and letter filled in; you sign in, read it, add your name and send
it there, where the request and the answer are published for everyone. The link uses the council's
WhatDoTheyKnow number from mySociety's table of local authorities; where that number is not known, the
link opens the site's search with the council's name instead. The project holds no e-mail addresses of
councils.

A council's area shows an unanswered request only while nothing else is known of it: evidence of
equipment, or a statement that there is none, stays on the map, and the council's panel lists the
request beside it.
"""
)

st.header("Location precision", anchor="precision")
st.markdown(definitions("precisions"))

st.header("Kinds of source", anchor="source-kinds")
st.markdown(definitions("source_kinds"))

st.header("Corrections", anchor="corrections")
st.markdown(
    "If a claim is wrong, out of date or unfair to the organisation concerned, please open an issue on the "
    "project's issue tracker. Give the claim's id (it is in the CSV download) and a link to the evidence. "
    "Each error found and fixed is listed here, newest first, with what the map said, what it says now and why; "
    "the list travels with the data package."
)
found = loading.corrections()
if not found:
    st.info("No correction so far.")
for correction in found:
    href, words = correction_link(correction, published=False)
    about = f" · [{escape_markdown(words)}]({href})" if href else ""
    st.markdown(
        f"**{escape_markdown(date_in_words(correction.date))}**{about}\n\n"
        f"- **What the map said:** {escape_markdown(one_line(correction.was))}\n"
        f"- **What it says now:** {escape_markdown(one_line(correction.now))}\n"
        f"- **Why:** {escape_markdown(one_line(correction.why))}"
    )

st.header("Changes to the data", anchor="changes")
# The change log is written for those who reuse the data: it names the package's files and fields,
# which this page does not show its readers. What changed for them is in the corrections above and
# the feed below; the change log itself is a download (and is in the data package).
entries = read_changelog(settings.DATA_DIR / "CHANGELOG.md")
if not entries:
    st.info("The change log is empty.")
else:
    st.markdown(
        "Each release of the data, newest first. What each one changed is in its change log, written for those "
        "who reuse the data (it names the package's files and fields), in the download below and in the data "
        "package."
    )
    st.markdown("\n".join(f"- {escape_markdown(f'{date} — version {version}')}" for date, version, _ in entries))
    st.download_button(
        "Download the change log (Markdown)",
        data=(settings.DATA_DIR / "CHANGELOG.md").read_bytes(),
        file_name="hikvision-evidence-changelog.md",
        mime="text/markdown",
        key="method_changelog_download",
    )

st.header("Follow changes", anchor="feed")
published = settings.publish_url()
st.markdown(
    "Every correction, every new version of the data, every answer to a freedom of information request and "
    "every claim as it is read against its sources, as an Atom feed for any feed reader."
)
if published:
    st.markdown(
        markdown_link(FOLLOW_TEXT, f"{published}/{FEED_FILE}")
        + " · each council with evidence has its own feed, offered on the published table filtered to it."
    )
else:
    st.download_button(
        "Download the feed of changes (Atom)",
        data=loading.feed(),
        file_name="hikvision-evidence-changes.xml",
        mime=ATOM_TYPE,
        key="method_feed_download",
    )

st.header("Licences and attributions", anchor="licences")
st.markdown(
    f"""
- **The data** (the tables, the wording of claims and figures, the campaign text):
  [{licences.DATA_LICENCE}]({licences.DATA_LICENCE_URL}). Credit "Hikvision in UK public buildings evidence map".
  The publications it cites remain under their own copyright.
- **The code**: {escape_markdown(licences.code_licence_name())} (the LICENSE file of the code repository).
- **Boundaries**: {escape_markdown(settings.BOUNDARY_ATTRIBUTION)}
- **Postcodes**: {escape_markdown(settings.POSTCODE_ATTRIBUTION)}
"""
)
