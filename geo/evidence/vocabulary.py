"""The vocabulary of the data, defined once: kinds, grades, statuses, what colours an area, requests and laws.

Every coded value, its label, its one-sentence definition, how it is drawn (a
marker shape for a kind of body, a colour for an evidence grade or an area
status) and what the code may rely on (its *roles*) is read from
``datapackage.json``: a field's ``x-labels``, ``x-definitions``, ``x-shapes``,
``x-colours``, ``x-roles``, ``x-area-status`` and ``x-request-state``, the
laws' ``x-nations``, ``x-urls`` and ``x-days-not-counted``, and the groups
that are no field's values, ``x-area-statuses`` (with their headings, words
and tie order) and ``x-request-states``. The map, its legend, the press image,
the counts, the areas, the importer, the filters, the deadlines and the
method page all read it from here, so adding a kind, a claim status or an
area status means one entry in ``datapackage.json`` (and, for a new shape,
one in :data:`SHAPES`).

The code never tests a key: it asks for a role (the kinds that are councils,
the precision that stands for an area, the area status of a council of which
nothing is known ...), and :func:`from_descriptor` refuses, by name, a
descriptor where a role the code needs is missing.

Shapes are drawn from one definition everywhere: :data:`SHAPES` gives each
shape's outline as points on a unit scale (the browser, the legend's SVG and
matplotlib's markers all use it); ``None`` is a circle.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from geo import settings


def _regular(sides: int, radius: float = 1.0, turn: float = 0.0) -> tuple[tuple[float, float], ...]:
    """A regular polygon's corners, the first straight up (y grows downwards, as on screen)."""
    return tuple(
        (
            round(radius * math.sin(turn + 2 * math.pi * i / sides), 4),
            round(-radius * math.cos(turn + 2 * math.pi * i / sides), 4),
        )
        for i in range(sides)
    )


def _star(points: int = 5, outer: float = 1.25, inner: float = 0.5) -> tuple[tuple[float, float], ...]:
    corners = []
    for i in range(points * 2):
        radius = outer if i % 2 == 0 else inner
        angle = math.pi * i / points
        corners.append((round(radius * math.sin(angle), 4), round(-radius * math.cos(angle), 4)))
    return tuple(corners)


# Outlines on a unit scale (about one radius), y downwards. Sizes are balanced by eye:
# a star or a triangle needs to reach further than a square to look as big.
SHAPES: dict[str, tuple[tuple[float, float], ...] | None] = {
    "circle": None,
    "square": ((-0.85, -0.85), (0.85, -0.85), (0.85, 0.85), (-0.85, 0.85)),
    "diamond": ((0.0, -1.2), (1.2, 0.0), (0.0, 1.2), (-1.2, 0.0)),
    "triangle": ((0.0, -1.2), (1.1, 0.8), (-1.1, 0.8)),
    "triangle-down": ((-1.1, -0.8), (1.1, -0.8), (0.0, 1.2)),
    "star": _star(),
    "hexagon": _regular(6, 1.05),
    "pentagon": _regular(5, 1.1),
    "octagon": _regular(8, 1.0, math.pi / 8),
    "plus": (
        (-0.35, -1.05),
        (0.35, -1.05),
        (0.35, -0.35),
        (1.05, -0.35),
        (1.05, 0.35),
        (0.35, 0.35),
        (0.35, 1.05),
        (-0.35, 1.05),
        (-0.35, 0.35),
        (-1.05, 0.35),
        (-1.05, -0.35),
        (-0.35, -0.35),
    ),
    "cross": (
        (-0.75, -1.0),
        (0.0, -0.3),
        (0.75, -1.0),
        (1.0, -0.75),
        (0.3, 0.0),
        (1.0, 0.75),
        (0.75, 1.0),
        (0.0, 0.3),
        (-0.75, 1.0),
        (-1.0, 0.75),
        (-0.3, 0.0),
        (-1.0, -0.75),
    ),
    "house": ((0.0, -1.15), (0.95, -0.25), (0.95, 0.9), (-0.95, 0.9), (-0.95, -0.25)),
}


@dataclass(frozen=True)
class Term:
    """One coded value: its key, label and definition, how it is drawn, and what it stands for.

    ``roles`` say what the code may rely on (a kind that is a council, the
    precision that stands for an area ...): the code asks for a role, never
    for a key, so a key can be renamed or added in ``datapackage.json`` alone.
    ``heading`` is a short column heading; ``words`` the short words a page
    uses for the value in a sentence (after a number of bodies for an area
    status, for a request's state, a precision's note under the press image);
    ``area_status`` is the area status a claim status, a finding or a request
    state gives a council's area; ``request_state`` the state a request status
    starts in.
    """

    key: str
    label: str
    definition: str = ""
    shape: str = ""
    colour: str = ""
    area_status: str = ""
    roles: frozenset[str] = frozenset()
    heading: str = ""
    words: str = ""
    request_state: str = ""

    def has(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Law(Term):
    """A law requests are answered under: who answers under it, where it is, which days do not count."""

    url: str = ""
    nations: tuple[str, ...] = ()  # bodies of these nations answer under it (role "uk-wide": UK-wide bodies too)
    bank_holidays_in: tuple[str, ...] = ()  # parts of the UK whose bank holidays stop the clock
    days_not_counted: tuple[str, ...] = ()  # named days that stop the clock (besides Saturdays and Sundays)


# Named days a law can leave out of its working days (see geo.foi.deadlines), and the parts of the
# UK whose bank holidays it can count (the subdivisions of the holidays library).
NAMED_DAYS = ("christmas-day", "good-friday")
UK_PARTS = ("ENG", "NIR", "SCT", "WLS")
NATIONS = ("England", "Northern Ireland", "Scotland", "Wales")
GROUPS = (
    "kinds",
    "grades",
    "statuses",
    "area_statuses",
    "precisions",
    "vendors",
    "source_kinds",
    "request_statuses",
    "request_states",
    "findings",
    "laws",
)


@dataclass(frozen=True)
class SiteState:
    """A request state of WhatDoTheyKnow (Alaveteli), and the status (and finding) it means here.

    Read from ``foi_requests.wdtk_state`` in ``datapackage.json``: its ``x-labels`` are the
    site's own words, ``x-request-status`` and ``x-finding`` the mapping to ours, ``x-roles``
    what the code asks of a state (``responded``: a response has arrived, to be read).
    """

    key: str
    label: str
    definition: str
    status: str
    finding: str = ""
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Vocabulary:
    """Every coded value of the data, in the order ``datapackage.json`` lists them."""

    kinds: tuple[Term, ...]
    grades: tuple[Term, ...]  # strongest first
    statuses: tuple[Term, ...]
    area_statuses: tuple[Term, ...]  # what colours a council's area
    precisions: tuple[Term, ...]
    vendors: tuple[Term, ...]
    source_kinds: tuple[Term, ...]
    request_statuses: tuple[Term, ...]
    request_states: tuple[Term, ...]  # a request's state today (worked out, never stored)
    findings: tuple[Term, ...]
    laws: tuple[Law, ...]
    tie_order: tuple[str, ...] = ()  # area statuses, the more telling first
    exemptions: tuple[Term, ...] = ()  # why a request was refused
    wdtk_states: tuple[SiteState, ...] = ()  # WhatDoTheyKnow's request states -> ours

    def site_state(self, key: str) -> SiteState | None:
        """The WhatDoTheyKnow state ``key`` (``described_state``) and what it means here."""
        return next((s for s in self.wdtk_states if s.key == key), None)

    def site_responded(self, key: str) -> bool:
        """Whether the WhatDoTheyKnow state ``key`` says a response has arrived (role ``responded``)."""
        state = self.site_state(key)
        return state is not None and "responded" in state.roles

    def labels(self, group: str) -> dict[str, str]:
        """Key -> label for one group (``"kinds"``, ``"grades"`` ...)."""
        return {t.key: t.label for t in getattr(self, group)}

    def keys(self, group: str) -> list[str]:
        return [t.key for t in getattr(self, group)]

    def term(self, group: str, key: str) -> Term | None:
        return next((t for t in getattr(self, group) if t.key == key), None)

    def label(self, group: str, key: str) -> str:
        term = self.term(group, key)
        return term.label if term else key

    # --- Roles -------------------------------------------------------------------------------
    def keys_with(self, group: str, role: str) -> list[str]:
        """The keys of ``group`` that have ``role`` (e.g. the kinds that are councils)."""
        return [t.key for t in getattr(self, group) if role in t.roles]

    def key_with(self, group: str, role: str) -> str:
        """The one key of ``group`` with ``role`` (e.g. the precision that stands for an area)."""
        keys = self.keys_with(group, role)
        if len(keys) != 1:
            raise ValueError(f"{group}: {len(keys)} values have the role {role!r}; exactly one must")
        return keys[0]

    def has_role(self, group: str, key: str, role: str) -> bool:
        term = self.term(group, key)
        return term is not None and role in term.roles

    def is_council(self, kind: str) -> bool:
        """Whether sites of this kind are a council's own (its area is coloured by them)."""
        return self.has_role("kinds", kind, "council")

    # --- Order --------------------------------------------------------------------------------
    def grade_rank(self, grade: str) -> int:
        """0 for the strongest grade; unknown grades rank last."""
        keys = self.keys("grades")
        return keys.index(grade) if grade in keys else len(keys)

    def strongest_grade(self, grades) -> str:
        """The strongest of ``grades`` ("" for none)."""
        return min(grades, key=self.grade_rank, default="")

    def tie_rank(self, area_status: str) -> int:
        """How telling an area status is when two pieces of evidence share a date: higher wins; unlisted 0."""
        order = self.tie_order
        return len(order) - order.index(area_status) if area_status in order else 0

    # --- Area statuses ----------------------------------------------------------------------
    @property
    def unknown_area_status(self) -> str:
        """The area status of a council of which nothing is known."""
        return self.key_with("area_statuses", "unknown")

    @property
    def body_statuses(self) -> list[str]:
        """The area statuses a body's claims can give it (counted per body), in the area statuses' order."""
        given = {t.area_status for t in self.statuses}
        return [t.key for t in self.area_statuses if t.key in given]

    @property
    def count_columns(self) -> list[str]:
        """The counts' columns: bodies by each status their claims give, then the councils unknown."""
        return [*self.body_statuses, self.unknown_area_status]

    def heading(self, area_status: str, breaks: bool = False) -> str:
        """A short column heading for an area status (its label if it has none).

        A heading may mark where a long word can break with a soft hyphen (U+00AD),
        for a narrow column (the press image's); ``breaks=False`` leaves them out.
        """
        term = self.term("area_statuses", area_status)
        heading = (term.heading or term.label) if term else area_status
        return heading if breaks else heading.replace("\u00ad", "")

    def area_status_of_claim(self, status: str) -> str:
        term = self.term("statuses", status)
        return term.area_status if term else ""

    # --- Requests ------------------------------------------------------------------------------
    def request_state_of(self, status: str) -> str:
        """The state a request with this stored status is in, before its deadline is looked at."""
        term = self.term("request_statuses", status)
        return term.request_state if term and term.request_state else status

    def request_area_status(self, state: str, finding: str = "") -> str:
        """What a request in ``state`` with ``finding`` makes of a council's area ("" for nothing)."""
        term = self.term("request_states", state)
        if term is None or not term.area_status:
            return ""
        found = self.term("findings", finding) if finding else None
        if found is not None and found.area_status and not self.has_role("area_statuses", term.area_status, "waiting"):
            return found.area_status
        return term.area_status

    def law(self, key: str) -> Law:
        law = next((t for t in self.laws if t.key == key), None)
        if law is None:
            raise ValueError(f"unknown law {key!r}; expected one of {tuple(self.keys('laws'))}")
        return law

    def law_for(self, nation: str, given: str = "") -> str:
        """The law a body answers under: ``given`` if set, else its nation's law, else the UK-wide one."""
        if given:
            return given
        for law in self.laws:
            if nation in law.nations:
                return law.key
        return self.key_with("laws", "uk-wide")

    def for_browser(self) -> dict:
        """What the map's script needs: labels, shapes (as outlines), colours and roles, as lists."""
        return {
            "kinds": [{"key": t.key, "label": t.label, "shape": t.shape} for t in self.kinds],
            "grades": [{"key": t.key, "label": t.label, "colour": t.colour} for t in self.grades],
            "statuses": [{"key": t.key, "label": t.label} for t in self.statuses],
            "areaStatuses": [
                {"key": t.key, "label": t.label, "colour": t.colour, "unknown": t.has("unknown")}
                for t in self.area_statuses
            ],
            "precisions": [
                {
                    "key": t.key,
                    "label": t.label,
                    "definition": t.definition,
                    # The marker stands for an area (drawn hollow); on the named building (no caveat).
                    "area": t.has("area"),
                    "exact": t.has("exact"),
                }
                for t in self.precisions
            ],
            "vendors": [{"key": t.key, "label": t.label} for t in self.vendors],
            "shapes": {name: [list(p) for p in points] if points else None for name, points in SHAPES.items()},
        }


def _field(descriptor: dict, resource: str, name: str) -> dict:
    for res in descriptor.get("resources", []):
        if res["name"] == resource:
            for spec in res["schema"]["fields"]:
                if spec["name"] == name:
                    return spec
    raise KeyError(f"{resource}.{name} is not in datapackage.json")


def _terms(descriptor: dict, resource: str, name: str) -> tuple[Term, ...]:
    spec = _field(descriptor, resource, name)
    labels, definitions = spec.get("x-labels", {}), spec.get("x-definitions", {})
    shapes, colours, areas = spec.get("x-shapes", {}), spec.get("x-colours", {}), spec.get("x-area-status", {})
    roles, states, words = spec.get("x-roles", {}), spec.get("x-request-state", {}), spec.get("x-words", {})
    return tuple(
        Term(
            key,
            labels.get(key, key),
            definitions.get(key, ""),
            shapes.get(key, ""),
            colours.get(key, ""),
            areas.get(key, ""),
            roles=frozenset(roles.get(key, ())),
            words=words.get(key, ""),
            request_state=states.get(key, ""),
        )
        for key in spec.get("constraints", {}).get("enum", [])
    )


def _site_states(descriptor: dict) -> tuple[SiteState, ...]:
    spec = _field(descriptor, "foi_requests", "wdtk_state")
    statuses, findings = spec.get("x-request-status", {}), spec.get("x-finding", {})
    roles = spec.get("x-roles", {})
    return tuple(
        SiteState(
            key,
            spec.get("x-labels", {}).get(key, key),
            spec.get("x-definitions", {}).get(key, ""),
            statuses.get(key, ""),
            findings.get(key, ""),
            frozenset(roles.get(key, ())),
        )
        for key in spec.get("constraints", {}).get("enum", [])
    )


def _laws(descriptor: dict) -> tuple[Law, ...]:
    spec = _field(descriptor, "foi_requests", "law")
    nations, urls, days = spec.get("x-nations", {}), spec.get("x-urls", {}), spec.get("x-days-not-counted", {})
    return tuple(
        Law(
            **{k: getattr(term, k) for k in ("key", "label", "definition", "roles")},
            url=urls.get(term.key, ""),
            nations=tuple(nations.get(term.key, ())),
            bank_holidays_in=tuple(days.get(term.key, {}).get("bank-holidays-in", ())),
            days_not_counted=tuple(days.get(term.key, {}).get("days", ())),
        )
        for term in _terms(descriptor, "foi_requests", "law")
    )


def _group(block: dict) -> tuple[Term, ...]:
    """Terms of a group that is not a field's values (``x-area-statuses``, ``x-request-states``)."""
    return tuple(
        Term(
            key,
            value["label"],
            value.get("definition", ""),
            colour=value.get("colour", ""),
            area_status=value.get("area-status", ""),
            roles=frozenset(value.get("roles", ())),
            heading=value.get("heading", ""),
            words=value.get("words", ""),
        )
        for key, value in block.get("values", {}).items()
    )


def from_descriptor(descriptor: dict) -> Vocabulary:
    """The vocabulary of one ``datapackage.json`` (already read)."""
    areas = descriptor.get("x-area-statuses", {})
    vocabulary = Vocabulary(
        kinds=_terms(descriptor, "sites", "kind"),
        grades=_terms(descriptor, "claims", "grade"),
        statuses=_terms(descriptor, "claims", "status"),
        area_statuses=_group(areas),
        precisions=_terms(descriptor, "sites", "precision"),
        vendors=_terms(descriptor, "claims", "vendor"),
        source_kinds=_terms(descriptor, "sources", "kind"),
        request_statuses=_terms(descriptor, "foi_requests", "status"),
        request_states=_group(descriptor.get("x-request-states", {})),
        findings=_terms(descriptor, "foi_requests", "finding"),
        laws=_laws(descriptor),
        tie_order=tuple(areas.get("tie-order", ())),
        exemptions=_terms(descriptor, "foi_requests", "exemption"),
        wdtk_states=_site_states(descriptor),
    )
    _check(vocabulary)
    return vocabulary


def _check(vocabulary: Vocabulary) -> None:
    """Fail early, naming the entry, where the code could not rely on the vocabulary.

    Every kind has a known shape; grades and area statuses have colours; each
    claim status, finding and request state gives a known area status; each
    request status starts in a known state; each role the code asks for is
    held by exactly one value (or, for councils and exact places, at least one).
    """
    for term in vocabulary.kinds:
        if term.shape not in SHAPES:
            raise ValueError(
                f"datapackage.json: kind {term.key!r} has shape {term.shape!r}, not one of {sorted(SHAPES)}"
            )
    for group in ("grades", "area_statuses"):
        for term in getattr(vocabulary, group):
            if not term.colour.startswith("#"):
                raise ValueError(f"datapackage.json: {group} value {term.key!r} has no colour")
    area_keys = {t.key for t in vocabulary.area_statuses}
    for term in vocabulary.statuses:
        if term.area_status not in area_keys:
            raise ValueError(f"datapackage.json: status {term.key!r} has no x-area-status among {sorted(area_keys)}")
    request_statuses, findings = set(vocabulary.keys("request_statuses")), set(vocabulary.keys("findings"))
    for state in vocabulary.wdtk_states:
        if state.status not in request_statuses or (state.finding and state.finding not in findings):
            raise ValueError(
                f"datapackage.json: WhatDoTheyKnow state {state.key!r} maps to status {state.status!r} and finding "
                f"{state.finding!r}: the status must be one of {sorted(request_statuses)}, the finding empty or one of "
                f"{sorted(findings)}"
            )
    for group in ("findings", "request_states"):
        for term in getattr(vocabulary, group):
            if term.area_status and term.area_status not in area_keys:
                raise ValueError(
                    f"datapackage.json: {group} value {term.key!r} gives area status {term.area_status!r}, "
                    f"not one of {sorted(area_keys)}"
                )
    states = set(vocabulary.keys("request_states"))
    for term in vocabulary.request_statuses:
        if vocabulary.request_state_of(term.key) not in states:
            raise ValueError(
                f"datapackage.json: request status {term.key!r} starts in no state of x-request-states "
                f"(give it an x-request-state among {sorted(states)})"
            )
    waiting = vocabulary.keys_with("request_states", "waiting")
    if not any(vocabulary.request_state_of(s) in waiting for s in vocabulary.keys("request_statuses")):
        raise ValueError("datapackage.json: no request status starts in the state that waits for an answer")
    unknown = [k for k in vocabulary.tie_order if k not in area_keys]
    if unknown:
        raise ValueError(f"datapackage.json: x-area-statuses tie-order names unknown statuses {unknown}")
    for group, role in (
        ("area_statuses", "unknown"),
        ("precisions", "area"),
        ("precisions", "unplaced"),
        ("precisions", "import-default"),
        ("request_states", "waiting"),
        ("request_states", "late"),
        ("laws", "uk-wide"),
    ):
        try:
            vocabulary.key_with(group, role)
        except ValueError as error:
            raise ValueError(f"datapackage.json: {error}") from None
    for group, role in (("kinds", "council"), ("precisions", "exact")):
        if not vocabulary.keys_with(group, role):
            raise ValueError(f"datapackage.json: no {group} value has the role {role!r}")
    if not any("responded" in state.roles for state in vocabulary.wdtk_states):
        # Without it no answer found on WhatDoTheyKnow would ever reach the answers queue.
        raise ValueError("datapackage.json: no WhatDoTheyKnow state (foi_requests.wdtk_state) has the role 'responded'")
    for law in vocabulary.laws:
        odd = [d for d in law.days_not_counted if d not in NAMED_DAYS] + [
            p for p in law.bank_holidays_in if p not in UK_PARTS
        ]
        odd += [n for n in law.nations if n not in NATIONS]
        if odd:
            raise ValueError(
                f"datapackage.json: law {law.key!r} names {odd}: days must be among {NAMED_DAYS}, "
                f"bank holidays among {UK_PARTS}, nations among {NATIONS}"
            )


def load_vocabulary(directory: Path | None = None) -> Vocabulary:
    """The vocabulary of the data package in ``directory`` (default: the configured one, ``settings.DATA_DIR``)."""
    return _load_vocabulary(Path(directory or settings.DATA_DIR).resolve())


@lru_cache(maxsize=4)
def _load_vocabulary(directory: Path) -> Vocabulary:
    return from_descriptor(json.loads((directory / "datapackage.json").read_text(encoding="utf-8")))
