"""What is known of each council, its requests, and the campaign's progress with the councils.

:func:`area_statuses` says, for each current council area, one of the area
statuses of ``datapackage.json`` (``x-area-statuses``): from the claims about
the council (each claim status has an ``x-area-status``) and from its
requests (a finding's ``x-area-status``, else that of the request's state in
``x-request-states``); the latest dated evidence wins, on the same date the
status listed first in ``tie-order``, and a request still waiting for an
answer (an area status with the role ``waiting``) counts only where nothing
else is known. A claim about a council that has since been merged colours its
successor's area, with a note. Which sites are a council's own is the
vocabulary's to say (kinds with the role ``council``): no key is written here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from geo.evidence.vocabulary import Vocabulary, load_vocabulary
from geo.foi.deadlines import due_date, law_for, request_state
from geo.places.authorities import Authorities, Authority


# --- Areas -------------------------------------------------------------------------------------
@dataclass
class AreaState:
    """What is known of one current council area, and the evidence behind it (plain text).

    ``status`` is an area status; a council of which nothing is known has no
    AreaState at all (:func:`area_statuses` leaves it out).
    """

    status: str = ""
    notes: list[str] = field(default_factory=list)
    _evidence: list[tuple[str, int, str]] = field(default_factory=list, repr=False)  # (date, tie rank, status)
    _pending: tuple[int, str] = (-1, "")  # (tie rank, status) of the most telling request still waiting


def _council_requests(
    foi_requests: pd.DataFrame, authorities: Authorities, vocabulary: Vocabulary, today: dt.date
) -> Iterator[tuple[Any, Authority, str, str]]:
    """Each request to a known authority, with that authority, the law it answers under and its state today."""
    for request in foi_requests.itertuples(index=False) if len(foi_requests) else []:
        authority = authorities.get(request.authority) if request.authority else None
        if authority is None:
            continue
        law = law_for(authority.nation, request.law, vocabulary)
        yield request, authority, law, request_state(request.status, request.sent, law, today, vocabulary)


def awaits_reading(request: Any, vocabulary: Vocabulary) -> bool:
    """A request on WhatDoTheyKnow with a response the campaign has not read yet (the answers queue holds it).

    Rows typed in or imported from a spreadsheet carry no site state: someone read those already.
    """
    return vocabulary.site_responded(getattr(request, "wdtk_state", "")) and not getattr(request, "read", "")


def _answer_date(request: Any) -> str:
    """When the answer came, or when the request went if that is all the data says."""
    if request.answered:
        return request.answered
    return f"sent {request.sent}" if request.sent else "date not given"


def _targets(authority: Authority, authorities: Authorities) -> list[tuple[Authority, str]]:
    """The current areas that show evidence about ``authority``, each with a note if it was merged."""
    if authority.current:
        return [(authority, "")]
    successors = authorities.successors(authority)
    names = " and ".join(s.name for s in successors)
    ended = f"until {authority.end_date}; " if authority.end_date else ""
    return [(s, f"{authority.name} ({ended}now part of {names})") for s in successors]


def area_statuses(
    sites: pd.DataFrame,
    claims: pd.DataFrame,
    foi_requests: pd.DataFrame,
    authorities: Authorities,
    vocabulary: Vocabulary,
    today: dt.date | None = None,
) -> dict[str, AreaState]:
    """Current council GSS code -> :class:`AreaState` (areas with nothing known are left out).

    Only claims about a council's own sites count (a government office in a
    council's area says nothing about the council).
    """
    today = today or dt.date.today()
    states: dict[str, AreaState] = {}

    def add(authority_code: str, date: str, status: str, label: str) -> None:
        authority = authorities.get(authority_code)
        if authority is None:
            return
        for target, merged in _targets(authority, authorities):
            state = states.setdefault(target.gss_code, AreaState())
            state._evidence.append((date, vocabulary.tie_rank(status), status))
            state.notes.append(f"{merged}: {label}" if merged else label)

    councils = sites[sites["kind"].map(vocabulary.is_council).astype(bool) & (sites["authority"] != "")]
    authority_of_site = dict(zip(councils["id"], councils["authority"]))
    for claim in claims.itertuples(index=False):
        code = authority_of_site.get(claim.site)
        if code:
            status = vocabulary.label("statuses", claim.status)
            add(
                code,
                claim.reported or "",
                vocabulary.area_status_of_claim(claim.status),
                f"{status} ({claim.reported or 'date not given'})",
            )
    for request, authority, law, state_now in _council_requests(foi_requests, authorities, vocabulary, today):
        found = vocabulary.request_area_status(state_now, request.finding)
        if not found:
            continue  # e.g. withdrawn: it says nothing of the council
        if vocabulary.has_role("area_statuses", found, "waiting"):
            rank = vocabulary.tie_rank(found)
            for target, _merged in _targets(authority, authorities):
                state = states.setdefault(target.gss_code, AreaState())
                if rank > state._pending[0]:
                    state._pending = (rank, found)
                due = due_date(dt.date.fromisoformat(request.sent), law).isoformat() if request.sent else "unknown"
                state.notes.append(f"FOI request sent {request.sent or '(date not given)'}, answer due {due}")
            continue
        label = (
            vocabulary.label("findings", request.finding)
            if request.finding
            else vocabulary.label("request_statuses", request.status)
        )
        if awaits_reading(request, vocabulary):
            label += ", not yet read"
        add(
            request.authority,
            request.answered or request.sent,
            found,
            f"FOI answer: {label} ({_answer_date(request)})",
        )
    for state in states.values():
        if state._evidence:
            # Latest date first (an undated piece sorts as oldest); then the more telling status.
            state.status = max(state._evidence, key=lambda e: (e[0], e[1]))[2]
        else:
            state.status = state._pending[1]
    unknown = vocabulary.unknown_area_status
    return {code: state for code, state in states.items() if state.status and state.status != unknown}


REQUEST_HISTORY_COLUMNS = (
    "id",
    "council",
    "sent",
    "due",
    "state",
    "answered",
    "finding",
    "url",
    "wdtk_state",
    "unread",
)


def request_history(
    code: str,
    foi_requests: pd.DataFrame,
    authorities: Authorities,
    today: dt.date,
    vocabulary: Vocabulary | None = None,
) -> pd.DataFrame:
    """The requests that tell about the current council ``code``: its own and its predecessors'.

    ``state`` is worked out today, one of ``x-request-states`` (``asked``,
    ``overdue``, ``answered``, ``refused``, ``withdrawn``); ``due`` is the last
    day to answer; ``unread`` is true for an answer on WhatDoTheyKnow the
    campaign has not read yet (:func:`awaits_reading`).
    """
    vocabulary = vocabulary or load_vocabulary()
    rows = []
    for request, authority, law, state in _council_requests(foi_requests, authorities, vocabulary, today):
        if code not in {s.gss_code for s in authorities.successors(authority)}:
            continue
        due = due_date(dt.date.fromisoformat(request.sent), law).isoformat() if request.sent else ""
        rows.append(
            {
                "id": request.id,
                "council": authority.name,
                "sent": request.sent,
                "due": due,
                "state": state,
                "answered": request.answered,
                "finding": request.finding,
                "url": request.url,
                "wdtk_state": getattr(request, "wdtk_state", ""),
                "unread": awaits_reading(request, vocabulary),
            }
        )
    return pd.DataFrame(rows, columns=list(REQUEST_HISTORY_COLUMNS)).sort_values(
        "sent", ascending=False, ignore_index=True
    )


def recent_answer(history: pd.DataFrame, vocabulary: Vocabulary, today: dt.date, months: int = 12) -> dict | None:
    """The newest request of a council's ``history`` answered (or refused) in the last ``months``, else None.

    Before asking a council again, read that answer: the same question, answered within the year.
    """
    from dateutil.relativedelta import relativedelta

    since = (today - relativedelta(months=months)).isoformat()
    answered_states = [
        s.key
        for s in vocabulary.request_states
        if s.area_status and not vocabulary.has_role("area_statuses", s.area_status, "waiting")
    ]
    answered = history[history["state"].isin(answered_states) & (history["answered"] >= since)]
    if answered.empty:
        return None
    return answered.sort_values("answered", ascending=False).iloc[0].to_dict()


def councils_to_ask(
    areas: dict[str, AreaState], authorities: Authorities, nation: str = "", region: str = ""
) -> list[Authority]:
    """Current councils (every tier) with nothing known, in a nation or region, by name."""
    return sorted(
        (
            a
            for a in authorities.current()
            if a.is_council
            and a.gss_code
            and a.gss_code not in areas
            and (not nation or a.nation == nation)
            and (not region or a.region == region)
        ),
        key=lambda a: a.name,
    )


# --- Progress --------------------------------------------------------------------------------
PROGRESS_COLUMNS = ("councils", "asked", "answered", "overdue", "equipment", "none", "unknown")
PROGRESS_LABELS = {
    "councils": "Councils",
    "asked": "Asked",
    "answered": "Answered",
    "overdue": "Overdue",
    "equipment": "Equipment reported",
    "none": "Say they have none",
    "unknown": "Still unknown",
}


def progress(
    areas: dict[str, AreaState],
    foi_requests: pd.DataFrame,
    authorities: Authorities,
    today: dt.date,
    by: str,
    vocabulary: Vocabulary | None = None,
) -> pd.DataFrame:
    """How far the campaign has got with the councils, per ``by`` (``nation`` or ``region``) and the UK.

    Per place, counts of current councils (every tier): ``asked`` (at least
    one request that says something of the council: not withdrawn),
    ``answered`` (a request answered or refused), ``overdue`` (a request in the
    late state: past its due date with no answer), ``equipment`` (an area
    status with the role ``equipment``: the evidence says equipment is or was
    there), ``none`` (the role ``none``: says it does not use it), ``unknown``
    (nothing known). A council can be both asked and answered; ``equipment``,
    ``none`` and ``unknown`` never overlap. The last row is the UK.
    """
    vocabulary = vocabulary or load_vocabulary()
    councils = [a for a in authorities.current() if a.is_council and a.gss_code]
    asked: set[str] = set()
    answered: set[str] = set()
    overdue: set[str] = set()
    for _request, authority, _law, state in _council_requests(foi_requests, authorities, vocabulary, today):
        found = vocabulary.request_area_status(state)
        if not found:
            continue  # withdrawn: never asked, as far as the council's question goes
        for target in authorities.successors(authority):
            asked.add(target.gss_code)
            if not vocabulary.has_role("area_statuses", found, "waiting"):
                answered.add(target.gss_code)
            elif vocabulary.has_role("request_states", state, "late"):
                overdue.add(target.gss_code)
    overdue -= answered  # an answer to one request settles the council's question
    status = {a.gss_code: (areas[a.gss_code].status if a.gss_code in areas else "") for a in councils}
    equipment = set(vocabulary.keys_with("area_statuses", "equipment"))
    none = set(vocabulary.keys_with("area_statuses", "none"))
    places = sorted({getattr(a, by) for a in councils})
    rows = []
    for place in places + ["United Kingdom"]:
        here = [a.gss_code for a in councils if place == "United Kingdom" or getattr(a, by) == place]
        rows.append(
            {
                by: place,
                "councils": len(here),
                "asked": sum(c in asked for c in here),
                "answered": sum(c in answered for c in here),
                "overdue": sum(c in overdue for c in here),
                "equipment": sum(status[c] in equipment for c in here),
                "none": sum(status[c] in none for c in here),
                "unknown": sum(status[c] == "" for c in here),
            }
        )
    return pd.DataFrame(rows, columns=[by, *PROGRESS_COLUMNS])


BODY_PROGRESS_COLUMNS = ("bodies", "asked", "answered", "overdue", "equipment", "none")


def body_progress(foi_requests: pd.DataFrame, vocabulary: Vocabulary, today: dt.date) -> pd.DataFrame:
    """The campaign's progress with bodies that are not councils, per kind of body, and in all.

    A body is an organisation by name (its requests' ``organisation``); columns as
    in :func:`progress`: ``asked``, ``answered``, ``overdue`` (no answer to any of
    its requests, one past its due date), ``equipment`` and ``none`` (an answer's
    finding). Its kind is its requests' ``kind`` (``other-public-body`` if none).
    """
    columns = ["kind", *BODY_PROGRESS_COLUMNS]
    if not len(foi_requests) or "kind" not in foi_requests:
        return pd.DataFrame(columns=columns)
    others = foi_requests[(foi_requests["authority"] == "") & (foi_requests["kind"] != "council")]
    states: dict[str, dict[str, set[str]]] = {}
    for request in others.itertuples(index=False):
        law = law_for(request.nation, request.law, vocabulary)
        state = request_state(request.status, request.sent, law, today, vocabulary)
        found = vocabulary.request_area_status(state)
        if not found:
            continue  # withdrawn: never asked
        kind = request.kind or "other-public-body"
        sets = states.setdefault(kind, {c: set() for c in BODY_PROGRESS_COLUMNS})
        name = request.organisation
        sets["bodies"].add(name)
        sets["asked"].add(name)
        if not vocabulary.has_role("area_statuses", found, "waiting"):
            sets["answered"].add(name)
        elif vocabulary.has_role("request_states", state, "late"):
            sets["overdue"].add(name)
        if request.finding in ("equipment", "none"):
            sets[request.finding].add(name)
    rows = []
    for kind in [k for k in vocabulary.keys("kinds") if k in states] + ["all"]:
        if kind == "all":
            merged = {c: set().union(*(s[c] for s in states.values())) for c in BODY_PROGRESS_COLUMNS}
        else:
            merged = states[kind]
        overdue = merged["overdue"] - merged["answered"]
        rows.append(
            {
                "kind": "All" if kind == "all" else vocabulary.label("kinds", kind),
                **{c: len(merged[c]) for c in BODY_PROGRESS_COLUMNS if c != "overdue"},
                "overdue": len(overdue),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def progress_csv(by_nation: pd.DataFrame, by_region: pd.DataFrame) -> bytes:
    """Both progress tables as one CSV: ``Level`` (UK, nation, region), ``Place``, then the counts.

    UTF-8 with a byte-order mark, headings in words.
    """
    from geo.outputs.export import spreadsheet_csv

    parts = []
    for table, by in ((by_nation, "nation"), (by_region, "region")):
        rows = table[table[by] != "United Kingdom"].rename(columns={by: "Place"})
        parts.append(rows.assign(Level=by))
    uk = by_nation[by_nation["nation"] == "United Kingdom"].rename(columns={"nation": "Place"}).assign(Level="UK")
    combined = pd.concat([uk, *parts], ignore_index=True)[["Level", "Place", *PROGRESS_COLUMNS]]
    named = combined.rename(columns=PROGRESS_LABELS)
    return spreadsheet_csv(list(named.columns), named.itertuples(index=False))
