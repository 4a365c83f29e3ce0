"""Counting bodies by what is known of them, for the map's side panel, the press image and the summary.

A *body* is a council (a site of a kind with the role ``council``, by its
authority code) or another organisation (by name). Its status is that of its
latest dated claim in the selection, mapped to an area status
(``x-area-status`` of ``claims.status``): today in use, being removed,
removed, or says it does not use it. Councils with nothing known are counted
too: they are the ones still to ask. The columns, their order and their
headings are the vocabulary's (:attr:`geo.evidence.vocabulary.Vocabulary.count_columns`,
``heading`` of each area status), so a new status is counted, and headed,
wherever it is listed in ``datapackage.json``.
"""

from __future__ import annotations

import pandas as pd

from geo.evidence.vocabulary import Vocabulary
from geo.filters import Filters
from geo.foi.known import AreaState
from geo.places.authorities import Authorities

UNITED_KINGDOM = "United Kingdom"


def not_placed(vocabulary: Vocabulary) -> str:
    """The row that counts bodies with no address yet (so no nation or region): the unplaced precision's label."""
    return vocabulary.label("precisions", vocabulary.key_with("precisions", "unplaced"))


def bodies(sites: pd.DataFrame, claims: pd.DataFrame, vocabulary: Vocabulary) -> pd.DataFrame:
    """One row per body in the selection: ``body``, ``name``, ``kind``, ``nation``, ``region``, ``status``.

    ``status`` comes from the body's latest dated claim (undated claims count
    as oldest; on the same date the more telling status wins, as for areas).
    A body's nation and region are those of its first site.
    """
    columns = ["body", "name", "kind", "nation", "region", "status"]
    if sites.empty:
        return pd.DataFrame(columns=columns)
    keyed = sites.assign(
        body=[
            a if vocabulary.is_council(k) and a else f"org:{o}"
            for k, a, o in zip(sites["kind"], sites["authority"], sites["organisation"])
        ]
    )
    body_of_site = dict(zip(keyed["id"], keyed["body"]))
    latest: dict[str, tuple[str, int, str]] = {}
    for claim in claims.itertuples(index=False):
        body = body_of_site.get(claim.site)
        if body is None:
            continue
        status = vocabulary.area_status_of_claim(claim.status)
        evidence = (claim.reported or "", vocabulary.tie_rank(status), status)
        if body not in latest or evidence[:2] > latest[body][:2]:
            latest[body] = evidence
    first = keyed.drop_duplicates("body")
    return pd.DataFrame(
        {
            "body": first["body"],
            "name": first["organisation"],
            "kind": first["kind"],
            "nation": first["nation"],
            "region": first["region"],
            "status": [latest.get(b, ("", 0, ""))[2] for b in first["body"]],
        },
        columns=columns,
    ).reset_index(drop=True)


def unknown_councils(
    areas: dict[str, AreaState], authorities: Authorities, filters: Filters | None = None
) -> pd.DataFrame:
    """Current councils (every tier) of which nothing is known: ``code``, ``name``, ``nation``, ``region``.

    With ``filters``, only those in the places it selects (its nations, regions and
    councils): a view of London counts London's unknown councils. The other filters
    (kind, grade, text ...) select evidence, and an unknown council has none.
    """
    rows = [
        {"code": a.gss_code, "name": a.nice_name, "nation": a.nation, "region": a.region}
        for a in authorities.current()
        if a.is_council and a.gss_code and a.gss_code not in areas
    ]
    unknown = pd.DataFrame(rows, columns=["code", "name", "nation", "region"])
    if filters is not None:
        for column, chosen in (("nation", filters.nations), ("region", filters.regions), ("code", filters.councils)):
            if chosen:
                unknown = unknown[unknown[column].isin(chosen)]
    return unknown.reset_index(drop=True)


def status_counts(found: pd.DataFrame, unknown: pd.DataFrame, by: str, vocabulary: Vocabulary) -> pd.DataFrame:
    """Counts per ``by`` (``nation`` or ``region``) and for the UK: bodies by status, and councils unknown.

    Columns: ``by``, ``bodies`` (with any claim), then the vocabulary's
    :attr:`~geo.evidence.vocabulary.Vocabulary.count_columns` (the body
    statuses, then the unknown area status, counting councils). The last row
    is the UK total; bodies with no nation or region are counted in a row of
    their own (:func:`not_placed`) before it.
    """
    unplaced = not_placed(vocabulary)
    places = sorted((set(found[by]) | set(unknown[by])) - {""})
    if (found[by] == "").any():
        places.append(unplaced)  # bodies with no address yet: no nation or region to count them in
    rows = []
    for place in places + [UNITED_KINGDOM]:
        if place == unplaced:
            here = found[found[by] == ""]
        else:
            here = found if place == UNITED_KINGDOM else found[found[by] == place]
        still = unknown if place == UNITED_KINGDOM else unknown[unknown[by] == place]
        row = {by: place, "bodies": int((here["status"] != "").sum())}
        for status in vocabulary.body_statuses:
            row[status] = int((here["status"] == status).sum())
        row[vocabulary.unknown_area_status] = len(still)
        rows.append(row)
    return pd.DataFrame(rows, columns=[by, "bodies", *vocabulary.count_columns])


def count_headings(vocabulary: Vocabulary, by: str) -> dict[str, str]:
    """Column -> heading for a table of :func:`status_counts` (each status's ``heading``)."""
    return {
        by: by.capitalize(),
        "bodies": "Bodies",
        **{column: vocabulary.heading(column) for column in vocabulary.count_columns},
    }
