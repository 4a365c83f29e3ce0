"""What cites each source: the claims, key figures and sites that rely on it (the sources page)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


# --- Views for the sources page ---------------------------------------------------
@dataclass(frozen=True)
class Citing:
    """What cites one source: claims (with their site), figures, and sites located by it."""

    claims: list[dict]  # {"id", "claim", "grade", "site_id", "site"}
    figures: list[dict]  # {"id", "statement"}
    sites: list[dict]  # {"id", "name"}: sites whose address the source gives

    @property
    def empty(self) -> bool:
        return not (self.claims or self.figures or self.sites)


def citations_by_source(sites: pd.DataFrame, claims: pd.DataFrame, figures: pd.DataFrame) -> dict[str, Citing]:
    """Source id -> what cites it (sources cited by nothing are absent)."""
    names = dict(zip(sites["id"], sites["name"]))
    found: dict[str, Citing] = {}

    def entry(source_id: str) -> Citing:
        return found.setdefault(source_id, Citing([], [], []))

    for claim in claims.itertuples(index=False):
        for source_id in claim.sources:
            entry(source_id).claims.append(
                {
                    "id": claim.id,
                    "claim": claim.claim,
                    "grade": claim.grade,
                    "site_id": claim.site,
                    "site": names.get(claim.site, claim.site),
                }
            )
    if len(figures) and "sources" in figures:
        for figure in figures.itertuples(index=False):
            for source_id in figure.sources:
                entry(source_id).figures.append({"id": figure.id, "statement": figure.statement})
    if "location_source" in sites:
        for site in sites.itertuples(index=False):
            if site.location_source:
                entry(site.location_source).sites.append({"id": site.id, "name": site.name})
    return found


def filter_sources(
    sources: pd.DataFrame,
    kinds: list[str] | tuple[str, ...] = (),
    publishers: list[str] | tuple[str, ...] = (),
    first: str = "",
) -> pd.DataFrame:
    """Sources of the chosen kinds and publishers (empty choice: all), newest first.

    ``first`` (a source id) is put at the top if it is in the result.
    """
    chosen = sources
    if kinds:
        chosen = chosen[chosen["kind"].isin(list(kinds))]
    if publishers:
        chosen = chosen[chosen["publisher"].isin(list(publishers))]
    chosen = chosen.sort_values(["published", "title"], ascending=[False, True], kind="stable")
    if first and first in set(chosen["id"]):
        chosen = pd.concat([chosen[chosen["id"] == first], chosen[chosen["id"] != first]])
    return chosen.reset_index(drop=True)
