"""The dataset as the app uses it: built sites, claims, sources and figures as tables.

Everything here is pure pandas, so pages can cache it and tests can use it
without Streamlit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo import settings
from geo.datapackage import load_package

CHANGELOG_HEADING = re.compile(r"^## (\d{4}-\d{2}-\d{2}) — (\S+)\s*$", re.MULTILINE)

SITE_COLUMNS = [
    "id", "name", "organisation", "kind", "address", "postcode", "precision", "location_source",
    "note", "lad_code", "lad_name", "region", "nation", "grade", "lat", "lon",
]
CLAIM_COLUMNS = ["id", "site", "vendor", "claim", "grade", "reported", "status", "sources", "response"]


@dataclass(frozen=True)
class Dataset:
    """All the campaign's evidence, one table per kind of record.

    ``sites`` has one row per site (WGS84 ``lat``/``lon``, district, region,
    nation, strongest ``grade``); ``claims`` one row per claim, with ``sources``
    as a tuple of source ids; ``sources`` and ``figures`` as in the package.
    """

    sites: pd.DataFrame
    claims: pd.DataFrame
    sources: pd.DataFrame
    figures: pd.DataFrame
    foi_requests: pd.DataFrame
    descriptor: dict
    last_changed: str  # ISO date of the newest change-log entry
    version: str

    def field_labels(self, resource: str, field: str) -> dict[str, str]:
        """Human labels of an enum field's values, from ``datapackage.json``."""
        return dict(self._field(resource, field).get("x-labels", {}))

    def field_definitions(self, resource: str, field: str) -> dict[str, str]:
        return dict(self._field(resource, field).get("x-definitions", {}))

    def enum(self, resource: str, field: str) -> list[str]:
        return list(self._field(resource, field).get("constraints", {}).get("enum", []))

    def _field(self, resource: str, field: str) -> dict:
        for res in self.descriptor.get("resources", []):
            if res["name"] == resource:
                for spec in res["schema"]["fields"]:
                    if spec["name"] == field:
                        return spec
        raise KeyError(f"{resource}.{field}")


def read_changelog(path: Path) -> list[tuple[str, str, str]]:
    """(date, version, text) for each change-log entry, newest first."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    matches = list(CHANGELOG_HEADING.finditer(text))
    entries = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        entries.append((match.group(1), match.group(2), text[match.end():end].strip()))
    return sorted(entries, key=lambda e: e[0], reverse=True)


def load_dataset(directory: Path = settings.DATA_DIR, built: Path = settings.BUILT_SITES) -> Dataset:
    """Read the built sites and the package's tables (no geocoding, no network)."""
    collection = json.loads(Path(built).read_text(encoding="utf-8"))
    site_rows, claim_rows = [], []
    for feature in collection["features"]:
        props = dict(feature["properties"])
        lon, lat = feature["geometry"]["coordinates"]
        claims = props.pop("claims")
        site_rows.append({**{c: props.get(c, "") for c in SITE_COLUMNS if c not in ("lat", "lon")}, "lat": lat, "lon": lon})
        for claim in claims:
            claim_rows.append({**claim, "site": props["id"], "sources": tuple(claim["sources"])})
    sites = pd.DataFrame(site_rows, columns=SITE_COLUMNS)
    for column in SITE_COLUMNS:
        if column not in ("lat", "lon"):
            sites[column] = sites[column].fillna("").astype(str)
    sites[["lat", "lon"]] = sites[["lat", "lon"]].astype(float)
    claims = pd.DataFrame(claim_rows, columns=CLAIM_COLUMNS)
    package, problems = load_package(directory)
    if problems:
        raise ValueError("data package cannot be read: " + "; ".join(map(str, problems[:5])))
    tables = {name: pd.DataFrame(t.rows, columns=[f["name"] for f in t.fields]).fillna("") for name, t in package.tables.items()}
    changelog = read_changelog(Path(directory) / "CHANGELOG.md")
    last_changed, version = (changelog[0][0], changelog[0][1]) if changelog else ("", package.descriptor.get("version", ""))
    return Dataset(
        sites=sites,
        claims=claims,
        sources=tables.get("sources", pd.DataFrame()),
        figures=tables.get("figures", pd.DataFrame()),
        foi_requests=tables.get("foi_requests", pd.DataFrame()),
        descriptor=package.descriptor,
        last_changed=last_changed,
        version=version,
    )
