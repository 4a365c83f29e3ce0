"""A scratch data package whose vocabulary has one more kind, claim status and area status.

Each is one entry in the copy's ``datapackage.json`` and nothing else: no code
knows their keys. The data gains a fictional fire station with a claim in the
new status, and a claim in the same status about the estate of a real council
of which nothing is known yet, so that its area takes the new area status.
The rows say they are fictional; the copy lives in a test's scratch folder and
is never published.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import scratch_data

KIND, KIND_LABEL = "fire-service", "Fire and rescue service"
KIND_DEFINITION = "A fire and rescue service (fictional kind, for a test): its stations or estate."
STATUS, STATUS_LABEL = "review-announced", "Review announced (fictional)"
STATUS_DEFINITION = "The body has announced a review of the equipment (a fictional status, for a test)."
AREA, AREA_LABEL = "under-review", "Use under review (fictional)"
AREA_DEFINITION = "The council has announced a review of the equipment (a fictional area status, for a test)."
AREA_HEADING, AREA_WORDS = "Reviewing", "reviewing their equipment"
AREA_COLOUR = "#8C564B"
TODAY = dt.date(2026, 11, 27)


def _field(descriptor: dict, resource: str, name: str) -> dict:
    return next(
        f for r in descriptor["resources"] if r["name"] == resource for f in r["schema"]["fields"] if f["name"] == name
    )


def add_terms(descriptor: dict) -> None:
    """The three new terms, each one entry (and the status's place in the tie order, in the same entry's block)."""
    kind = _field(descriptor, "sites", "kind")
    kind["constraints"]["enum"].append(KIND)
    kind["x-labels"][KIND] = KIND_LABEL
    kind["x-definitions"][KIND] = KIND_DEFINITION
    kind["x-shapes"][KIND] = "diamond"
    status = _field(descriptor, "claims", "status")
    status["constraints"]["enum"].append(STATUS)
    status["x-labels"][STATUS] = STATUS_LABEL
    status["x-definitions"][STATUS] = STATUS_DEFINITION
    status["x-area-status"][STATUS] = AREA
    values = descriptor["x-area-statuses"]["values"]
    # After "removed": the area statuses' order is that of the legend and of the counts' columns.
    items = list(values.items())
    at = [k for k, _ in items].index("removed") + 1
    new = {
        "label": AREA_LABEL,
        "colour": AREA_COLOUR,
        "definition": AREA_DEFINITION,
        "heading": AREA_HEADING,
        "words": AREA_WORDS,
    }
    descriptor["x-area-statuses"]["values"] = dict(items[:at] + [(AREA, new)] + items[at:])


def fictional_package(folder: Path) -> tuple[Path, str]:
    """The scratch package (built) and the GSS code of the council whose area takes the new status."""
    from geo.evidence.counts import unknown_councils
    from geo.evidence.dataset import load_dataset
    from geo.foi.known import area_statuses
    from geo.places.authorities import load_authorities

    data = load_dataset()
    authorities = load_authorities()
    areas = area_statuses(data.sites, data.claims, data.foi_requests, authorities, data.vocabulary, today=TODAY)
    council = unknown_councils(areas, authorities)["code"].iloc[0]
    source = data.sources["id"].iloc[0]
    sites = [
        {
            "id": "example-fire-station",
            "name": "Example Fire Station (fictional)",
            "organisation": "Fictional Fire and Rescue Service",
            "kind": KIND,
            "postcode": "M1 1AE",
            "precision": "building",
        },
        {
            "id": "example-council-estate",
            "name": "Example council estate (fictional test row)",
            "organisation": "Example Borough Council (fictional test row)",
            "kind": "council",
            "authority": council,
            "precision": "area",
        },
    ]
    claims = [
        {
            "id": "example-fire-claim",
            "site": "example-fire-station",
            "vendor": "hikvision",
            "claim": "A fictional claim for the test.",
            "grade": "reported",
            "reported": "2026-10-01",
            "status": STATUS,
            "sources": [source],
        },
        {
            "id": "example-council-claim",
            "site": "example-council-estate",
            "vendor": "hikvision",
            "claim": "A fictional claim for the test about a council's estate.",
            "grade": "reported",
            "reported": "2026-10-01",
            "status": STATUS,
            "sources": [source],
        },
    ]
    return scratch_data(folder, sites, claims, descriptor=add_terms), council
