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


# --- Asking a council ------------------------------------------------------------------------
REQUEST_TITLE = "Hikvision and Dahua surveillance equipment"
LAW_NAMES = {
    "foia": "the Freedom of Information Act 2000",
    "foisa": "the Freedom of Information (Scotland) Act 2002",
}


def letter_body(authority: Authority) -> str:
    """The request itself, in the project's own words, without greeting or signature.

    WhatDoTheyKnow puts its own "Dear ..." and "Yours faithfully," around this
    text (Alaveteli's ``default_letter``). The letter holds no postcode and no
    e-mail address, which that site would flag before sending.
    """
    law = LAW_NAMES[law_for(authority.nation)]
    return (
        f"I am writing under {law} to ask about surveillance equipment made by Hikvision or Dahua, "
        "including equipment made by either company but sold under another brand name.\n"
        "\n"
        "Please tell me:\n"
        "\n"
        "1. Whether the council owns, leases or operates any CCTV cameras, video recorders or other "
        "surveillance equipment made by Hikvision or Dahua. If it holds none, please say so.\n"
        "2. If it does, how many such devices there are, and at what kinds of site they are installed "
        "(for example council offices, libraries, leisure centres, car parks, depots, schools, or "
        "public-space CCTV). I am not asking for the exact position of any camera.\n"
        "3. When the equipment was bought or installed (the year is enough).\n"
        "4. Whether the council has decided or plans to replace or remove this equipment, and if so "
        "when.\n"
        "5. The contract or contracts under which the equipment was bought, installed or is maintained, "
        "and the name of the supplier or installer.\n"
        "\n"
        "If answering everything would exceed the cost limit, please answer questions 1 and 5 first and "
        "tell me how I could narrow the rest. Where figures are involved, a spreadsheet or CSV file "
        "would be most helpful."
    )


def full_letter(authority: Authority) -> str:
    """The request as a complete letter, to copy into an e-mail or save as text."""
    return (f"Subject: Freedom of information request: {REQUEST_TITLE}\n\n"
            f"Dear {authority.name},\n\n{letter_body(authority)}\n\nYours faithfully,\n\n[your name]\n")


def whatdotheyknow_url(authority: Authority, base: str | None = None) -> str:
    """A link that opens this request on WhatDoTheyKnow, or that site's search for the body.

    Alaveteli's route ``/new/:url_name`` accepts the body's numeric id as well
    as its address name (``RequestController#render_new_compose``) and fills
    the form from ``title`` and ``default_letter``. mySociety's table gives the
    numeric id (``wdtk_id``) of 376 of the 382 current councils; for the
    others the link is the site's authority search with the name filled in,
    never a guessed address.
    """
    from urllib.parse import urlencode

    from geo import settings

    base = (base or settings.WHATDOTHEYKNOW_URL).rstrip("/")
    if authority.wdtk_number:
        query = urlencode({"title": REQUEST_TITLE, "default_letter": letter_body(authority)})
        return f"{base}/new/{authority.wdtk_number}?{query}"
    return f"{base}/select_authority?{urlencode({'query': authority.name})}"


REQUEST_HISTORY_COLUMNS = ("id", "council", "sent", "due", "state", "answered", "finding", "url")


def request_history(code: str, foi_requests: pd.DataFrame, authorities: Authorities,
                    today: dt.date) -> pd.DataFrame:
    """The requests that tell about the current council ``code``: its own and its predecessors'.

    ``state`` is worked out today: ``asked``, ``overdue``, ``answered``,
    ``refused`` or ``withdrawn``; ``due`` is the last day to answer.
    """
    rows = []
    for request in foi_requests.itertuples(index=False) if len(foi_requests) else []:
        authority = authorities.get(request.authority) if request.authority else None
        if authority is None or code not in {s.gss_code for s in authorities.successors(authority)}:
            continue
        law = law_for(authority.nation, request.law)
        due = due_date(dt.date.fromisoformat(request.sent), law).isoformat() if request.sent else ""
        rows.append({"id": request.id, "council": authority.name, "sent": request.sent, "due": due,
                     "state": request_state(request.status, request.sent, law, today),
                     "answered": request.answered, "finding": request.finding, "url": request.url})
    return pd.DataFrame(rows, columns=list(REQUEST_HISTORY_COLUMNS)).sort_values("sent", ascending=False,
                                                                                 ignore_index=True)


def councils_to_ask(areas: dict[str, AreaState], authorities: Authorities, nation: str = "",
                    region: str = "") -> list[Authority]:
    """Current councils (every tier) with nothing known, in a nation or region, by name."""
    return sorted(
        (a for a in authorities.current()
         if a.is_council and a.gss_code and a.gss_code not in areas
         and (not nation or a.nation == nation) and (not region or a.region == region)),
        key=lambda a: a.name,
    )


BATCH_COLUMNS = ("council", "code", "nation", "region", "whatdotheyknow", "letter")


def batch_csv(councils: list[Authority]) -> bytes:
    """One row per council: name, GSS code, nation, region, WhatDoTheyKnow link and the letter.

    UTF-8 with a byte-order mark, and cells that a spreadsheet would run as a
    formula are neutralised, as in every export of the project.
    """
    from geo.export import spreadsheet_csv

    return spreadsheet_csv(BATCH_COLUMNS, ((council.name, council.gss_code, council.nation, council.region,
                                            whatdotheyknow_url(council), full_letter(council))
                                           for council in councils))


# --- Progress --------------------------------------------------------------------------------
PROGRESS_COLUMNS = ("councils", "asked", "answered", "overdue", "equipment", "none", "unknown")
PROGRESS_LABELS = {
    "councils": "Councils", "asked": "Asked", "answered": "Answered", "overdue": "Overdue",
    "equipment": "Equipment reported", "none": "Say they have none", "unknown": "Still unknown",
}


def progress(areas: dict[str, AreaState], foi_requests: pd.DataFrame, authorities: Authorities,
             today: dt.date, by: str) -> pd.DataFrame:
    """How far the campaign has got with the councils, per ``by`` (``nation`` or ``region``) and the UK.

    Per place, counts of current councils (every tier): ``asked`` (at least
    one request sent, not withdrawn), ``answered`` (a request answered or
    refused), ``overdue`` (a request past its due date with no answer),
    ``equipment`` (the evidence says equipment is or was there: in use, being
    removed or removed), ``none`` (says it does not use it), ``unknown``
    (nothing known). A council can be both asked and answered; ``equipment``,
    ``none`` and ``unknown`` never overlap. The last row is the UK.
    """
    councils = [a for a in authorities.current() if a.is_council and a.gss_code]
    asked: set[str] = set()
    answered: set[str] = set()
    overdue: set[str] = set()
    for request in foi_requests.itertuples(index=False) if len(foi_requests) else []:
        authority = authorities.get(request.authority) if request.authority else None
        if authority is None or request.status == "withdrawn":
            continue
        state = request_state(request.status, request.sent, law_for(authority.nation, request.law), today)
        for target in authorities.successors(authority):
            asked.add(target.gss_code)
            if state in ("answered", "refused"):
                answered.add(target.gss_code)
            elif state == "overdue":
                overdue.add(target.gss_code)
    overdue -= answered  # an answer to one request settles the council's question
    status = {a.gss_code: (areas[a.gss_code].status if a.gss_code in areas else "unknown") for a in councils}
    places = sorted({getattr(a, by) for a in councils})
    rows = []
    for place in places + ["United Kingdom"]:
        here = [a.gss_code for a in councils if place == "United Kingdom" or getattr(a, by) == place]
        rows.append({
            by: place,
            "councils": len(here),
            "asked": sum(c in asked for c in here),
            "answered": sum(c in answered for c in here),
            "overdue": sum(c in overdue for c in here),
            "equipment": sum(status[c] in ("in-use", "removing", "removed") for c in here),
            "none": sum(status[c] == "not-used" for c in here),
            "unknown": sum(status[c] == "unknown" for c in here),
        })
    return pd.DataFrame(rows, columns=[by, *PROGRESS_COLUMNS])


def progress_csv(by_nation: pd.DataFrame, by_region: pd.DataFrame) -> bytes:
    """Both progress tables as one CSV: ``Level`` (UK, nation, region), ``Place``, then the counts.

    UTF-8 with a byte-order mark, headings in words.
    """
    from geo.export import spreadsheet_csv

    parts = []
    for table, by in ((by_nation, "nation"), (by_region, "region")):
        rows = table[table[by] != "United Kingdom"].rename(columns={by: "Place"})
        parts.append(rows.assign(Level=by))
    uk = by_nation[by_nation["nation"] == "United Kingdom"].rename(columns={"nation": "Place"}).assign(Level="UK")
    combined = pd.concat([uk, *parts], ignore_index=True)[["Level", "Place", *PROGRESS_COLUMNS]]
    named = combined.rename(columns=PROGRESS_LABELS)
    return spreadsheet_csv(list(named.columns), named.itertuples(index=False))


# --- Finding a council -----------------------------------------------------------------------
@dataclass(frozen=True)
class CouncilSearch:
    """What a search for a council found.

    ``councils``: the councils meant (a postcode gives its district or
    unitary council and, in two-tier areas, the county council above it);
    ``candidates``: the closest names when nothing matched for certain;
    ``message``: why nothing was found, in words.
    """

    councils: tuple[Authority, ...] = ()
    candidates: tuple[Authority, ...] = ()
    message: str = ""


def find_council(query: str, authorities: Authorities, geocode) -> CouncilSearch:
    """The council a visitor means by ``query``: any common spelling of its name, or a postcode.

    ``geocode(postcode)`` returns a location with ``lad_code`` or raises
    :class:`geo.postcodes.PostcodeError`. Text shaped like a postcode is looked
    up as one; anything else is matched by name (never guessed: a name that
    matches nothing gives only the closest names).
    """
    from geo.postcodes import PostcodeError, normalise_postcode

    text = " ".join(query.split())
    if not text:
        return CouncilSearch()
    try:
        postcode = normalise_postcode(text)
    except PostcodeError:
        postcode = ""
    if postcode:
        try:
            location = geocode(postcode)
        except PostcodeError as error:
            return CouncilSearch(message=f"{error.postcode}: {error.reason}")
        district = authorities.get(location.lad_code)
        if district is None:
            return CouncilSearch(message=f"{postcode} is in {location.lad_name}, which is not a UK council here.")
        county = authorities.by_code.get(district.county) if district.county else None
        return CouncilSearch(councils=(district,) + ((county,) if county is not None and county.current else ()))
    match = authorities.match_name(text)
    if match.authority is not None:
        return CouncilSearch(councils=(match.authority,))
    if match.candidates:
        return CouncilSearch(candidates=match.candidates, message=f"No council is called “{text}” for certain.")
    return CouncilSearch(message=f"No UK council matches “{text}”.")
