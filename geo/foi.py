"""What is known of each council, and the law's clock for freedom-of-information requests.

Deadlines
---------
A public body must answer within 20 working days of the day it received the
request. What counts as a working day depends on the law it answers under:

* the Freedom of Information Act 2000 (bodies in England, Wales and Northern
  Ireland, and UK-wide bodies), section 10(6): every day except Saturdays,
  Sundays, Christmas Day, Good Friday and any day that is a bank holiday under
  the Banking and Financial Dealings Act 1971 in *any* part of the United
  Kingdom (so an English council's clock also stops on Scotland's 2 January
  and Northern Ireland's St Patrick's Day);
* the Freedom of Information (Scotland) Act 2002 (Scottish public bodies),
  section 73: every day except Saturdays, Sundays, Christmas Day and bank
  holidays in Scotland.

Bank holidays come from the maintained ``holidays`` library (each part of the
UK, with substitute days and one-off holidays), never from a hand-kept list.
The day received is taken to be the day the request was sent (by email or on
WhatDoTheyKnow, where the two are the same).

Areas
-----
:func:`area_statuses` says, for each current council area, one of the area
statuses of ``datapackage.json`` (``x-area-statuses``): from the claims about
the council (each claim status has an ``x-area-status``) and from its
requests; the latest dated evidence wins, and a request still waiting for an
answer counts only where nothing else is known. A claim about a council that
has since been merged colours its successor's area, with a note.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from geo.authorities import Authorities, Authority
from geo.vocabulary import Vocabulary

WORKING_DAYS_TO_ANSWER = 20
LAWS = ("foia", "foisa")
UK_PARTS = ("ENG", "NIR", "SCT", "WLS")  # subdivisions of the holidays library


@lru_cache(maxsize=64)
def _bank_holidays(part: str, year: int) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.country_holidays("GB", subdiv=part, years=year))


def _good_friday(year: int) -> dt.date:
    from dateutil.easter import easter

    return easter(year) - dt.timedelta(days=2)


def is_working_day(day: dt.date, law: str) -> bool:
    """Whether ``day`` counts towards the deadline under ``law`` (``foia`` or ``foisa``)."""
    if law not in LAWS:
        raise ValueError(f"unknown law {law!r}; expected one of {LAWS}")
    if day.weekday() >= 5 or (day.month, day.day) == (12, 25):
        return False
    if law == "foisa":
        return day not in _bank_holidays("SCT", day.year)
    if day == _good_friday(day.year):
        return False
    return not any(day in _bank_holidays(part, day.year) for part in UK_PARTS)


def due_date(received: dt.date, law: str) -> dt.date:
    """The 20th working day after the day the request was received: the last day to answer."""
    day, counted = received, 0
    while counted < WORKING_DAYS_TO_ANSWER:
        day += dt.timedelta(days=1)
        if is_working_day(day, law):
            counted += 1
    return day


def law_for(nation: str, given: str = "") -> str:
    """The law a body answers under: ``given`` if set, else FOISA for a Scottish body, FOIA otherwise."""
    if given:
        return given
    return "foisa" if nation == "Scotland" else "foia"


def request_state(status: str, sent: str, law: str, today: dt.date) -> str:
    """``asked`` or ``overdue`` for a request with no answer (by its due date), else its status."""
    if status != "sent":
        return status
    if not sent:
        return "asked"
    return "overdue" if today > due_date(dt.date.fromisoformat(sent), law) else "asked"


# --- Areas -------------------------------------------------------------------------------------
# When two pieces of evidence carry the same date, the more telling one wins.
_TIE_ORDER = ("removing", "in-use", "removed", "not-used", "answered")


@dataclass
class AreaState:
    """What is known of one current council area, and the evidence behind it (plain text)."""

    status: str = "unknown"
    notes: list[str] = field(default_factory=list)
    _evidence: list[tuple[str, int, str]] = field(default_factory=list, repr=False)  # (date, tie rank, status)
    _pending: str = ""


def _rank(status: str) -> int:
    return len(_TIE_ORDER) - _TIE_ORDER.index(status) if status in _TIE_ORDER else 0


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
    area_of = {t.key: t.area_status for t in vocabulary.statuses}
    states: dict[str, AreaState] = {}

    def add(authority_code: str, date: str, status: str, label: str) -> None:
        authority = authorities.get(authority_code)
        if authority is None:
            return
        for target, merged in _targets(authority, authorities):
            state = states.setdefault(target.gss_code, AreaState())
            state._evidence.append((date, _rank(status), status))
            state.notes.append(f"{merged}: {label}" if merged else label)

    councils = sites[(sites["kind"] == "council") & (sites["authority"] != "")]
    authority_of_site = dict(zip(councils["id"], councils["authority"]))
    for claim in claims.itertuples(index=False):
        code = authority_of_site.get(claim.site)
        if code:
            status = vocabulary.label("statuses", claim.status)
            add(code, claim.reported or "", area_of.get(claim.status, "in-use"),
                f"{status} ({claim.reported or 'date not given'})")
    if len(foi_requests):
        for request in foi_requests.itertuples(index=False):
            authority = authorities.get(request.authority) if request.authority else None
            if authority is None or request.status == "withdrawn":
                continue
            if request.status == "sent":
                law = law_for(authority.nation, request.law)
                state_now = request_state("sent", request.sent, law, today)
                for target, merged in _targets(authority, authorities):
                    state = states.setdefault(target.gss_code, AreaState())
                    if state._pending != "overdue":
                        state._pending = state_now
                    due = due_date(dt.date.fromisoformat(request.sent), law).isoformat() if request.sent else "unknown"
                    state.notes.append(f"FOI request sent {request.sent or '(date not given)'}, answer due {due}")
                continue
            found = {"equipment": "in-use", "none": "not-used"}.get(request.finding, "answered")
            label = vocabulary.label("findings", request.finding) if request.finding else vocabulary.label("request_statuses", request.status)
            add(request.authority, request.answered or request.sent, found, f"FOI answer: {label} ({request.answered or request.sent or 'date not given'})")
    for state in states.values():
        if state._evidence:
            # Latest date first (an undated piece sorts as oldest); then the more telling status.
            state.status = max(state._evidence, key=lambda e: (e[0], e[1]))[2]
        elif state._pending:
            state.status = state._pending
    return {code: state for code, state in states.items() if state.status != "unknown"}
