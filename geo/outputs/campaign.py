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
