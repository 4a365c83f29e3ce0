"""Which body a WhatDoTheyKnow request went to, in this project's terms.

A council is found by its WhatDoTheyKnow number (``wdtk_id`` in
``data/authorities.csv``, from mySociety's table) or, failing that, by its name
through the project's one name lookup (:meth:`geo.places.authorities.Authorities.match_name`),
never guessed. A council merged since keeps its own code (the map colours the
council that replaced it) and the request's note names the successor.

Any other body (a police force, an NHS body, a university, a department ...)
is an organisation: its kind comes from the body's tags on the site and its
name, its nation from the site's region tags where it has one. A body that
looks like a council (tagged ``local_council``, or named like one) but matches
no council in mySociety's table is reported by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geo.places.authorities import Authorities, Authority, normalise_name

# The site's tags (WhatDoTheyKnow's categories; see the reference notes) -> our kinds of body.
KIND_TAGS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "council",
        frozenset(
            {
                "local_council",
                "parish_council",
                "town_council",
                "community_council",
                "city_parish_council",
                "parish_meeting",
            }
        ),
    ),
    ("police", frozenset({"police", "police_force", "police_crime_commissioner", "police_crime_panel"})),
    ("prison", frozenset({"prison", "hmp_imb"})),
    ("nhs", frozenset({"nhs", "nhstrust", "pct", "nhswales", "nhsni", "commissioning_consortium", "sha", "specialha"})),
    ("university", frozenset({"university", "university_college", "hei", "fei"})),
    ("school", frozenset({"school", "academies", "academy_trust"})),
    ("government-department", frozenset({"department", "non_ministerial_department", "executive_agency"})),
)
# Words in a body's name, when its tags say nothing: the first kind whose pattern matches.
KIND_NAMES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "parliament",
        re.compile(r"\b(house of commons|house of lords|scottish parliament|senedd|northern ireland assembly)\b"),
    ),
    (
        "devolved-government",
        re.compile(r"\b(scottish government|welsh government|llywodraeth cymru|executive office)\b"),
    ),
    ("police", re.compile(r"\b(police|constabulary)\b")),
    ("prison", re.compile(r"\b(hm prison|prison service|hmp)\b")),
    ("nhs", re.compile(r"\b(nhs|health board|ambulance service)\b")),
    ("university", re.compile(r"\b(university|college)\b")),
    ("school", re.compile(r"\b(school|academy)\b")),
    ("council", re.compile(r"\b(council|cyngor|comhairle)\b")),
    ("government-department", re.compile(r"\b(department|ministry|office|agency)\b")),
)
NATION_TAGS = {
    "england": "England",
    "london": "England",
    "scotland": "Scotland",
    "wales": "Wales",
    "nhswales": "Wales",
    "ni": "Northern Ireland",
    "nhsni": "Northern Ireland",
}
OTHER_KIND = "other-public-body"


@dataclass(frozen=True)
class BodyMatch:
    """A body of the site in this project's terms.

    ``organisation`` is the name recorded; ``authority`` the council, if it is
    one in mySociety's table; ``unmatched`` is True for a body that looks like
    a council but is not in that table (it is reported by name).
    """

    organisation: str
    kind: str
    nation: str
    authority: Authority | None = None
    note: str = ""
    unmatched: bool = False


def tag_names(body: dict) -> set[str]:
    """The names of a body's tags (``[["local_council", null], ["charity", "123"]]`` -> names)."""
    names = set()
    for tag in body.get("tags") or []:
        if isinstance(tag, list | tuple) and tag and isinstance(tag[0], str):
            names.add(tag[0].casefold())
        elif isinstance(tag, str):
            names.add(tag.split(":", 1)[0].casefold())
    return names


def kind_of(name: str, tags: set[str]) -> str:
    """The kind of body from its tags, else from its name; ``other-public-body`` if neither says."""
    for kind, wanted in KIND_TAGS:
        if tags & wanted:
            if kind == "government-department" and tags & {"scotland", "wales", "ni"}:
                return "devolved-government"
            return kind
    key = normalise_name(name)
    for kind, pattern in KIND_NAMES:
        if pattern.search(key):
            return kind
    return OTHER_KIND


def nation_of(tags: set[str]) -> str:
    """The nation the site's region tags give (one only), else ""."""
    nations = {NATION_TAGS[t] for t in tags if t in NATION_TAGS}
    return nations.pop() if len(nations) == 1 else ""


class Matcher:
    """Matches the site's bodies against the authorities, remembering each answer."""

    def __init__(self, authorities: Authorities) -> None:
        self.authorities = authorities
        self.by_wdtk: dict[str, Authority] = {}
        for authority in authorities.by_code.values():
            # Two entries with one number (a council renamed): the current one is the body today.
            if authority.wdtk_number and (authority.wdtk_number not in self.by_wdtk or authority.current):
                self.by_wdtk[authority.wdtk_number] = authority
        self._seen: dict[tuple[str, str], BodyMatch] = {}

    def match(self, body: dict) -> BodyMatch:
        name = " ".join(str(body.get("name") or "").split())
        number = str(body.get("id") or "")
        key = (number, name)
        if key not in self._seen:
            self._seen[key] = self._match(name, number, tag_names(body))
        return self._seen[key]

    def _match(self, name: str, number: str, tags: set[str]) -> BodyMatch:
        kind = kind_of(name, tags)
        authority = self.by_wdtk.get(number) if re.fullmatch(r"[0-9]+", number) else None
        if authority is None and kind == "council":
            found = self.authorities.match_name(name)
            authority = found.authority if found.authority is not None and found.authority.is_council else None
        if authority is None:
            return BodyMatch(
                organisation=name or f"WhatDoTheyKnow body {number}",
                kind=kind,
                nation=nation_of(tags),
                unmatched=kind == "council",
            )
        note = ""
        if not authority.current:
            successors = self.authorities.successors(authority)
            ended = f" (until {authority.end_date})" if authority.end_date else ""
            note = f"{authority.name}{ended} is now part of {' and '.join(s.name for s in successors)}."
        if not authority.gss_code:
            # A few old councils have no GSS code: the request counts for the council that replaced it.
            successors = self.authorities.successors(authority)
            if len(successors) == 1:
                authority = successors[0]
        return BodyMatch(
            organisation=authority.name,
            kind="council" if authority.is_council else (kind if kind != "council" else OTHER_KIND),
            nation=authority.nation,
            authority=authority,
            note=note,
        )
