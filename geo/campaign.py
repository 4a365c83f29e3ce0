"""The campaign text beside the map: Markdown with numbered citations.

``data/campaign.md`` cites sources as ``[^source-id]``. :func:`render_campaign`
numbers them in order of first use and turns each into a link to that source
on the sources page, and lists the numbered sources for the end of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

CITATION_RE = re.compile(r"\[\^([a-z0-9][a-z0-9-]*)\]")


@dataclass(frozen=True)
class Citation:
    number: int
    source_id: str
    title: str
    publisher: str
    url: str


# Streamlit's Markdown (remark-gfm) turns bare web addresses and e-mail addresses into links
# after escapes and entities are decoded, so escaping cannot stop it; these are the patterns
# its transform looks for (mdast-util-gfm-autolink-literal). A WORD JOINER (U+2060: invisible,
# zero width, read by no screen reader) placed inside each shape breaks it.
WORD_JOINER = "\u2060"
_AUTOLINK_SHAPES = (
    re.compile(r"(?i)(https?:)(?=//)"),  # "https:" + "//": the joiner goes before the slashes
    re.compile(r"(?i)(www)(?=\.)"),  # "www" + ".": the joiner goes before the dot
    re.compile(r"(@)"),  # an e-mail address: the joiner goes after the "@"
)


def break_autolinks(text: str) -> str:
    """``text`` with a word joiner inside every shape that Markdown would turn into a link."""
    for shape in _AUTOLINK_SHAPES:
        text = shape.sub(lambda m: m.group(1) + WORD_JOINER, text)
    return text


def escape_markdown(text: str) -> str:
    """Text shown literally by st.markdown (and every other element that renders Markdown).

    Covers emphasis, links and images, headings (``#`` and setext ``=``/``-``
    underlines), lists, tables, HTML and entities, LaTeX (``$``) and
    strikethrough (``~``). A colon becomes the entity ``&#58;``: Streamlit
    turns ``:material/name:`` into an icon and ``:red[...]`` into colour even
    when the colon is escaped with a backslash, but not an entity. Bare web
    and e-mail addresses, which the renderer links whatever the escaping, get
    an invisible word joiner (:func:`break_autolinks`).
    """
    escaped = re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~&$=^])", r"\\\1", break_autolinks(text))
    return escaped.replace(":", "&#58;")


def render_campaign(text: str, sources: pd.DataFrame, sources_page: str = "sources") -> tuple[str, list[Citation]]:
    """Markdown with ``[^id]`` replaced by numbered links, and the citations in order.

    Raises KeyError naming an id that is not in ``sources``.
    """
    by_id = {row.id: row for row in sources.itertuples(index=False)}
    numbers: dict[str, int] = {}
    citations: list[Citation] = []

    def link(match: re.Match) -> str:
        source_id = match.group(1)
        if source_id not in by_id:
            raise KeyError(f"campaign text cites unknown source {source_id!r}")
        if source_id not in numbers:
            numbers[source_id] = len(numbers) + 1
            row = by_id[source_id]
            url = row.url if str(row.url).startswith(("https://", "http://")) else ""
            citations.append(Citation(numbers[source_id], source_id, row.title, row.publisher, url))
        return f"[[{numbers[source_id]}]]({sources_page}?source={source_id})"

    return CITATION_RE.sub(link, text), citations
