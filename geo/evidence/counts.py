"""Counting bodies by what is known of them, for the map's side panel, the press image and the summary.

A *body* is a council (by its authority code) or another organisation (by
name). Its status is that of its latest dated claim in the selection, mapped
to an area status (``x-area-status`` of ``claims.status``): in use, being
removed, removed, or says it does not use it. Councils with nothing known are
counted too: they are the ones still to ask.
"""

from __future__ import annotations

import pandas as pd

from geo.evidence.vocabulary import Vocabulary
from geo.filters import Filters
from geo.foi.known import AreaState
from geo.places.authorities import Authorities

BODY_STATUSES = ("in-use", "removing", "removed", "not-used")
NOT_PLACED = "Not placed yet (no address)"
COUNT_COLUMNS = BODY_STATUSES + ("unknown",)


def bodies(sites: pd.DataFrame, claims: pd.DataFrame, vocabulary: Vocabulary) -> pd.DataFrame:
    """One row per body in the selection: ``body``, ``name``, ``kind``, ``nation``, ``region``, ``status``.

    ``status`` comes from the body's latest dated claim (undated claims count
    as oldest; on the same date the more telling status wins, as for areas).
    A body's nation and region are those of its first site.
    """
    from geo.foi.known import _rank  # the same tie-break as council areas

    columns = ["body", "name", "kind", "nation", "region", "status"]
    if sites.empty:
        return pd.DataFrame(columns=columns)
    area_of = {t.key: t.area_status for t in vocabulary.statuses}
    keyed = sites.assign(
        body=[
            a if k == "council" and a else f"org:{o}"
            for k, a, o in zip(sites["kind"], sites["authority"], sites["organisation"])
        ]
    )
    body_of_site = dict(zip(keyed["id"], keyed["body"]))
    latest: dict[str, tuple[str, int, str]] = {}
    for claim in claims.itertuples(index=False):
        body = body_of_site.get(claim.site)
        if body is None:
            continue
        status = area_of.get(claim.status, "in-use")
        evidence = (claim.reported or "", _rank(status), status)
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


def status_counts(found: pd.DataFrame, unknown: pd.DataFrame, by: str) -> pd.DataFrame:
    """Counts per ``by`` (``nation`` or ``region``) and for the UK: bodies by status, and councils unknown.

    Columns: ``by``, ``bodies`` (with any claim), then :data:`COUNT_COLUMNS`.
    The last row is the UK total.
    """
    places = sorted((set(found[by]) | set(unknown[by])) - {""})
    if (found[by] == "").any():
        places.append(NOT_PLACED)  # bodies with no address yet: no nation or region to count them in
    rows = []
    for place in places + ["United Kingdom"]:
        if place == NOT_PLACED:
            here = found[found[by] == ""]
        else:
            here = found if place == "United Kingdom" else found[found[by] == place]
        still = unknown if place == "United Kingdom" else unknown[unknown[by] == place]
        row = {by: place, "bodies": int((here["status"] != "").sum())}
        for status in BODY_STATUSES:
            row[status] = int((here["status"] == status).sum())
        row["unknown"] = len(still)
        rows.append(row)
    return pd.DataFrame(rows, columns=[by, "bodies", *COUNT_COLUMNS])
