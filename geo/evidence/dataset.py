"""The dataset as the app uses it: built sites, claims, sources and figures as tables.

Everything here is pure pandas, so pages can cache it and tests can use it
without Streamlit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo import settings
from geo.evidence.datapackage import links, load_package
from geo.evidence.quotes import CLAIM_SOURCE_COLUMNS, CORRECTION_COLUMNS
from geo.evidence.vocabulary import Vocabulary, from_descriptor

CHANGELOG_HEADING = re.compile(r"^## (\d{4}-\d{2}-\d{2}) — (\S+)\s*$", re.MULTILINE)

# Columns of the built tables the app works with (the package's own columns, plus what the build adds).
BUILT_SITE_COLUMNS = [
    "id",
    "name",
    "organisation",
    "kind",
    "authority",
    "authority_name",
    "address",
    "postcode",
    "precision",
    "location_source",
    "note",
    "lad_code",
    "lad_name",
    "region",
    "nation",
    "grade",
    "area_codes",
    "lat",
    "lon",
]
BUILT_CLAIM_COLUMNS = [
    "id",
    "site",
    "vendor",
    "claim",
    "grade",
    "reported",
    "status",
    "equipment_count",
    "sources",
    "response",
]


@dataclass(frozen=True)
class Dataset:
    """All the campaign's evidence, one table per kind of record.

    ``sites`` has one row per site (WGS84 ``lat``/``lon``, district, region,
    nation, strongest ``grade``, and ``area_codes``: the current authorities
    it is about or in); ``claims`` one row per claim, with ``sources`` as a
    tuple of source ids; ``figures`` likewise; ``sources`` and
    ``foi_requests`` as in the package. ``vocabulary`` holds every coded
    value's label, shape and colour. ``claim_sources`` holds each
    claim-source link's quote, checked date and note
    (:func:`geo.evidence.quotes.quotes_by_link`); ``corrections`` the
    package's corrections (:func:`geo.evidence.quotes.corrections_list`).
    """

    sites: pd.DataFrame
    claims: pd.DataFrame
    sources: pd.DataFrame
    figures: pd.DataFrame
    foi_requests: pd.DataFrame
    descriptor: dict
    vocabulary: Vocabulary
    last_changed: str  # ISO date of the newest change-log entry
    version: str
    directory: Path = settings.DATA_DIR  # the package it was read from
    claim_sources: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CLAIM_SOURCE_COLUMNS))
    corrections: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CORRECTION_COLUMNS))


def read_changelog(path: Path) -> list[tuple[str, str, str]]:
    """(date, version, text) for each change-log entry, newest first."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    matches = list(CHANGELOG_HEADING.finditer(text))
    entries = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        entries.append((match.group(1), match.group(2), text[match.end() : end].strip()))
    return sorted(entries, key=lambda e: e[0], reverse=True)


def site_frames(features: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sites and claims tables of built features (:func:`geo.evidence.build.site_features`).

    The app reads them from the built file; the importer's preview makes them
    from the candidate's own features, so both draw the same frames.
    """
    site_rows, claim_rows = [], []
    for feature in features:
        props = dict(feature["properties"])
        # A site that is not placed has no geometry: NaN coordinates, never on the map.
        lon, lat = feature["geometry"]["coordinates"] if feature["geometry"] else (float("nan"), float("nan"))
        claims = props.pop("claims")
        site_rows.append(
            {
                **{c: props.get(c, "") for c in BUILT_SITE_COLUMNS if c not in ("lat", "lon", "area_codes")},
                "area_codes": tuple(props.get("area_codes", ())),
                "lat": lat,
                "lon": lon,
            }
        )
        for claim in claims:
            claim_rows.append(
                {
                    **claim,
                    "site": props["id"],
                    "sources": tuple(claim["sources"]),
                    "equipment_count": claim.get("equipment_count"),
                }
            )
    sites = pd.DataFrame(site_rows, columns=BUILT_SITE_COLUMNS)
    for column in BUILT_SITE_COLUMNS:
        if column not in ("lat", "lon", "area_codes"):
            sites[column] = sites[column].fillna("").astype(str)
    sites[["lat", "lon"]] = sites[["lat", "lon"]].astype(float)
    claims = pd.DataFrame(claim_rows, columns=BUILT_CLAIM_COLUMNS)
    return sites, claims


def load_dataset(directory: Path = settings.DATA_DIR, built: Path = settings.BUILT_SITES) -> Dataset:
    """Read the built sites and the package's tables (no geocoding, no network)."""
    collection = json.loads(Path(built).read_text(encoding="utf-8"))
    sites, claims = site_frames(collection["features"])
    package, problems = load_package(directory)
    if problems:
        raise ValueError("data package cannot be read: " + "; ".join(map(str, problems[:5])))
    tables = {
        name: pd.DataFrame(t.rows, columns=[f["name"] for f in t.fields]).fillna("")
        for name, t in package.tables.items()
    }
    figures = tables.get("figures", pd.DataFrame(columns=["id"]))
    sources_of_figure = links(package, "figure_sources", "figure", "source")
    figures = figures.assign(sources=[tuple(sources_of_figure.get(i, ())) for i in figures["id"]])
    changelog = read_changelog(Path(directory) / "CHANGELOG.md")
    last_changed, version = (
        (changelog[0][0], changelog[0][1]) if changelog else ("", package.descriptor.get("version", ""))
    )
    return Dataset(
        sites=sites,
        claims=claims,
        sources=tables.get("sources", pd.DataFrame()),
        figures=figures,
        foi_requests=tables.get("foi_requests", pd.DataFrame()),
        descriptor=package.descriptor,
        vocabulary=from_descriptor(package.descriptor),
        last_changed=last_changed,
        version=version,
        directory=Path(directory),
        claim_sources=tables.get("claim_sources", pd.DataFrame(columns=CLAIM_SOURCE_COLUMNS)),
        corrections=tables.get("corrections", pd.DataFrame(columns=CORRECTION_COLUMNS)),
    )
