"""The law's clock for freedom-of-information requests.

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
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

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


LAW_NAMES = {
    "foia": "the Freedom of Information Act 2000",
    "foisa": "the Freedom of Information (Scotland) Act 2002",
}
