"""The law's clock for freedom-of-information requests.

A public body must answer within :data:`WORKING_DAYS_TO_ANSWER` working days
of the day it received the request. Which law a body answers under, and what
counts as a working day under it, is data: each law of ``foi_requests.law``
in ``datapackage.json`` names the nations whose bodies answer under it
(``x-nations``; the law with the role ``uk-wide`` also binds UK-wide bodies),
its section (``x-urls``, ``x-definitions``) and the days that stop its clock
besides Saturdays and Sundays (``x-days-not-counted``: named days such as
Christmas Day and Good Friday, and the parts of the UK whose bank holidays
count). Today:

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

A law is given by its key (read from the configured package's vocabulary) or
as a :class:`geo.evidence.vocabulary.Law`.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from geo.evidence.vocabulary import Law, Vocabulary, load_vocabulary

WORKING_DAYS_TO_ANSWER = 20


@lru_cache(maxsize=64)
def _bank_holidays(part: str, year: int) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.country_holidays("GB", subdiv=part, years=year))


def _good_friday(year: int) -> dt.date:
    from dateutil.easter import easter

    return easter(year) - dt.timedelta(days=2)


def _law(law: str | Law) -> Law:
    return law if isinstance(law, Law) else load_vocabulary().law(law)


def is_working_day(day: dt.date, law: str | Law) -> bool:
    """Whether ``day`` counts towards the deadline under ``law`` (``foia``, ``foisa`` ...)."""
    rule = _law(law)
    if day.weekday() >= 5:
        return False
    if "christmas-day" in rule.days_not_counted and (day.month, day.day) == (12, 25):
        return False
    if "good-friday" in rule.days_not_counted and day == _good_friday(day.year):
        return False
    return not any(day in _bank_holidays(part, day.year) for part in rule.bank_holidays_in)


def due_date(received: dt.date, law: str | Law) -> dt.date:
    """The last day to answer: the :data:`WORKING_DAYS_TO_ANSWER`-th working day after ``received``."""
    rule = _law(law)
    day, counted = received, 0
    while counted < WORKING_DAYS_TO_ANSWER:
        day += dt.timedelta(days=1)
        if is_working_day(day, rule):
            counted += 1
    return day


def law_for(nation: str, given: str = "", vocabulary: Vocabulary | None = None) -> str:
    """The law a body answers under: ``given`` if set, else its nation's (FOISA for a Scottish body), else FOIA."""
    return (vocabulary or load_vocabulary()).law_for(nation, given)


def law_name(law: str, vocabulary: Vocabulary | None = None) -> str:
    """The law's name as a sentence uses it: "the Freedom of Information Act 2000"."""
    return "the " + (vocabulary or load_vocabulary()).label("laws", law)


def request_state(status: str, sent: str, law: str | Law, today: dt.date, vocabulary: Vocabulary | None = None) -> str:
    """A request's state today: the state its status starts in (``x-request-state``), and for a
    request still waiting for an answer, the late state (``overdue``) once its due date has passed."""
    vocabulary = vocabulary or load_vocabulary()
    state = vocabulary.request_state_of(status)
    if not sent or not vocabulary.has_role("request_states", state, "waiting"):
        return state
    late = today > due_date(dt.date.fromisoformat(sent), law)
    return vocabulary.key_with("request_states", "late") if late else state
