"""The source's own words behind each claim, and the corrections made to the data.

Each claim-source link carries the passage of the source that supports the
claim (``quote``, verbatim), the day the claim was last read against it
(``checked``) and, when the quote does not name the body or needs a word of
explanation, ``quote_note``. Corrections (``corrections.csv``) say what the
map said, what it says now and why. Both are plain data here; the outputs
wing decides how they are shown (always escaped, always as quotations).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

CLAIM_SOURCE_COLUMNS = ["claim", "source", "quote", "checked", "quote_note"]
CORRECTION_COLUMNS = ["id", "date", "subject", "was", "now", "why"]


@dataclass(frozen=True)
class Quote:
    """One claim-source link's quotation, with what a reader needs to weigh it."""

    claim: str
    source: str
    quote: str
    checked: str  # YYYY-MM-DD, or "" when not known
    note: str
    publisher: str
    published: str  # as precise as the source is: YYYY, YYYY-MM or YYYY-MM-DD, or ""
    title: str


def quotes_by_link(claim_sources: pd.DataFrame, sources: pd.DataFrame) -> dict[tuple[str, str], Quote]:
    """(claim id, source id) -> its :class:`Quote`, for every link that has a quote.

    A link without a quote (a scratch package, an import's preview) has no
    entry: callers show the source alone.
    """
    by_id = {row.id: row for row in sources.itertuples(index=False)} if len(sources) else {}
    found: dict[tuple[str, str], Quote] = {}
    if claim_sources is None or claim_sources.empty or "quote" not in claim_sources.columns:
        return found
    for row in claim_sources.itertuples(index=False):
        quote = str(row.quote or "").strip()
        if not quote:
            continue
        source = by_id.get(row.source)
        found[(row.claim, row.source)] = Quote(
            claim=row.claim,
            source=row.source,
            quote=quote,
            checked=str(getattr(row, "checked", "") or ""),
            note=str(getattr(row, "quote_note", "") or "").strip(),
            publisher=str(source.publisher) if source is not None else "",
            published=str(source.published) if source is not None else "",
            title=str(source.title) if source is not None else row.source,
        )
    return found


@dataclass(frozen=True)
class Correction:
    """One correction, with what its subject is today (for a link to it, where it still exists)."""

    id: str
    date: str
    subject: str
    was: str
    now: str
    why: str
    kind: str  # "claim", "site", "source", "figure", or "" when the record no longer exists
    site_id: str  # the site a claim or site subject is on today, else ""
    site_name: str


def corrections_list(
    corrections: pd.DataFrame,
    sites: pd.DataFrame,
    claims: pd.DataFrame,
    sources: pd.DataFrame,
    figures: pd.DataFrame,
) -> list[Correction]:
    """Every correction, newest first (by date; the file's order within a day), with its subject found.

    A subject is looked up among today's claims, sites, sources and figures, in
    that order; one that a correction removed is found nowhere (``kind`` "").
    """
    if corrections is None or corrections.empty:
        return []
    site_names = dict(zip(sites["id"], sites["name"])) if len(sites) else {}
    site_of_claim = dict(zip(claims["id"], claims["site"])) if len(claims) else {}
    source_ids = set(sources["id"]) if len(sources) else set()
    figure_ids = set(figures["id"]) if len(figures) and "id" in figures.columns else set()
    found = []
    for row in corrections.itertuples(index=False):
        subject = str(row.subject)
        kind, site_id = "", ""
        if subject in site_of_claim:
            kind, site_id = "claim", site_of_claim[subject]
        elif subject in site_names:
            kind, site_id = "site", subject
        elif subject in source_ids:
            kind = "source"
        elif subject in figure_ids:
            kind = "figure"
        found.append(
            Correction(
                id=str(row.id),
                date=str(row.date),
                subject=subject,
                was=str(row.was),
                now=str(row.now),
                why=str(row.why),
                kind=kind,
                site_id=site_id,
                site_name=str(site_names.get(site_id, "")),
            )
        )
    # Stable: within a day, the file's order.
    return sorted(found, key=lambda c: c.date, reverse=True)
