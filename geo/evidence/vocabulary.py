"""The vocabulary of the data, defined once: kinds, grades, statuses and what colours an area.

Every coded value, its label, its one-sentence definition and how it is drawn
(a marker shape for a kind of body, a colour for an evidence grade or an area
status) is read from ``datapackage.json`` (``x-labels``, ``x-definitions``,
``x-shapes``, ``x-colours``, ``x-area-status`` and ``x-area-statuses``). The
map, its legend, the press image, the importer, the filters and the method
page all read it from here, so adding a kind of body means one entry in
``datapackage.json`` (and, for a new shape, one in :data:`SHAPES`).

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
    """One coded value: its key, label and definition, and how it is drawn."""

    key: str
    label: str
    definition: str = ""
    shape: str = ""
    colour: str = ""
    area_status: str = ""


@dataclass(frozen=True)
class SiteState:
    """A request state of WhatDoTheyKnow (Alaveteli), and the status (and finding) it means here.

    Read from ``foi_requests.wdtk_state`` in ``datapackage.json``: its ``x-labels`` are the
    site's own words, ``x-request-status`` and ``x-finding`` the mapping to ours.
    """

    key: str
    label: str
    definition: str
    status: str
    finding: str = ""


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
    findings: tuple[Term, ...]
    laws: tuple[Term, ...]
    exemptions: tuple[Term, ...] = ()  # why a request was refused
    wdtk_states: tuple[SiteState, ...] = ()  # WhatDoTheyKnow's request states -> ours

    def site_state(self, key: str) -> SiteState | None:
        """The WhatDoTheyKnow state ``key`` (``described_state``) and what it means here."""
        return next((s for s in self.wdtk_states if s.key == key), None)

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

    def grade_rank(self, grade: str) -> int:
        """0 for the strongest grade; unknown grades rank last."""
        keys = self.keys("grades")
        return keys.index(grade) if grade in keys else len(keys)

    def for_browser(self) -> dict:
        """What the map's script needs: labels, shapes (as outlines) and colours, as lists."""
        return {
            "kinds": [{"key": t.key, "label": t.label, "shape": t.shape} for t in self.kinds],
            "grades": [{"key": t.key, "label": t.label, "colour": t.colour} for t in self.grades],
            "statuses": [{"key": t.key, "label": t.label} for t in self.statuses],
            "areaStatuses": [{"key": t.key, "label": t.label, "colour": t.colour} for t in self.area_statuses],
            "precisions": [{"key": t.key, "label": t.label, "definition": t.definition} for t in self.precisions],
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
    return tuple(
        Term(
            key,
            labels.get(key, key),
            definitions.get(key, ""),
            shapes.get(key, ""),
            colours.get(key, ""),
            areas.get(key, ""),
        )
        for key in spec.get("constraints", {}).get("enum", [])
    )


def _site_states(descriptor: dict) -> tuple[SiteState, ...]:
    spec = _field(descriptor, "foi_requests", "wdtk_state")
    statuses, findings = spec.get("x-request-status", {}), spec.get("x-finding", {})
    return tuple(
        SiteState(
            key,
            spec.get("x-labels", {}).get(key, key),
            spec.get("x-definitions", {}).get(key, ""),
            statuses.get(key, ""),
            findings.get(key, ""),
        )
        for key in spec.get("constraints", {}).get("enum", [])
    )


def from_descriptor(descriptor: dict) -> Vocabulary:
    """The vocabulary of one ``datapackage.json`` (already read)."""
    areas = descriptor.get("x-area-statuses", {}).get("values", {})
    vocabulary = Vocabulary(
        kinds=_terms(descriptor, "sites", "kind"),
        grades=_terms(descriptor, "claims", "grade"),
        statuses=_terms(descriptor, "claims", "status"),
        area_statuses=tuple(Term(k, v["label"], v.get("definition", ""), colour=v["colour"]) for k, v in areas.items()),
        precisions=_terms(descriptor, "sites", "precision"),
        vendors=_terms(descriptor, "claims", "vendor"),
        source_kinds=_terms(descriptor, "sources", "kind"),
        request_statuses=_terms(descriptor, "foi_requests", "status"),
        findings=_terms(descriptor, "foi_requests", "finding"),
        laws=_terms(descriptor, "foi_requests", "law"),
        exemptions=_terms(descriptor, "foi_requests", "exemption"),
        wdtk_states=_site_states(descriptor),
    )
    _check(vocabulary)
    return vocabulary


def _check(vocabulary: Vocabulary) -> None:
    """Fail early, naming the entry, if a kind has no known shape or a colour is missing."""
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


@lru_cache(maxsize=4)
def load_vocabulary(directory: Path = settings.DATA_DIR) -> Vocabulary:
    """The vocabulary of the data package in ``directory``."""
    return from_descriptor(json.loads((Path(directory) / "datapackage.json").read_text(encoding="utf-8")))
