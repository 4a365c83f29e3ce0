"""Every UK local authority at every tier, and the many spellings of their names.

Two small committed tables, derived from mySociety's
``uk_local_authority_names_and_codes`` (CC BY 4.0, credit "mySociety") by
:func:`generate` (``python -m geo authorities``):

* ``data/authorities.csv``: each authority, current and past, with its
  register code, GSS code, names, type (county, district, unitary, London
  borough, metropolitan district, Scottish, Welsh and Northern Irish councils,
  combined authorities), the county above a district, nation, region, the
  authorities that replaced a past one, its WhatDoTheyKnow number, and a point
  inside its area (from the ONS boundaries where the area has one);
* ``data/authority_names.csv``: the spellings people use ("Perth & Kinross",
  "Cyngor Caerdydd", "LB Hammersmith and Fulham"), each with its authority.

GSS codes are recoded to the ones today's ONS boundaries and postcode
directory use (see :data:`geo.places.boundaries.DISTRICT_RECODES`).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from geo import settings
from geo.atomic import write_text_atomically
from geo.places.boundaries import DISTRICT_RECODES

AUTHORITY_FIELDS = (
    "code",
    "gss_code",
    "name",
    "nice_name",
    "type",
    "county",
    "nation",
    "region",
    "current",
    "end_date",
    "replaced_by",
    "wdtk_id",
    "lat",
    "lon",
    "point_source",
)
NAME_FIELDS = ("name", "authority")
COUNCIL_TYPES = (
    "County",
    "Non-metropolitan district",
    "Unitary authority",
    "Metropolitan district",
    "London borough",
    "City corporation",
    "Scottish unitary authority",
    "Welsh unitary authority",
    "NI district",
)


@dataclass(frozen=True)
class Authority:
    """One local authority, current or past (see the module docstring)."""

    code: str
    gss_code: str
    name: str
    nice_name: str
    type: str
    county: str
    nation: str
    region: str
    current: bool
    end_date: str
    replaced_by: tuple[str, ...]
    wdtk_id: str
    lat: float | None
    lon: float | None

    @property
    def wdtk_number(self) -> str:
        """The body's number on WhatDoTheyKnow if it is one (ASCII digits only; ``str.isdigit``
        would take "٣٤" too and put it in a link), else ""."""
        return self.wdtk_id if re.fullmatch(r"[0-9]+", self.wdtk_id) else ""

    @property
    def is_council(self) -> bool:
        """A council at some tier (not a combined authority or the Greater London Authority)."""
        return self.type in COUNCIL_TYPES


@dataclass(frozen=True)
class Authorities:
    """The table, with look-ups by register code and by GSS code."""

    by_code: dict[str, Authority]
    by_gss: dict[str, Authority]
    names: dict[str, tuple[str, ...]]  # normalised spelling -> register codes

    def get(self, gss_code: str) -> Authority | None:
        return self.by_gss.get(gss_code)

    def current(self) -> list[Authority]:
        return [a for a in self.by_code.values() if a.current]

    def match_name(self, text: str) -> NameMatch:
        """The authority a name (any common spelling) means, or the closest names when none or several do.

        Matching ignores case, accents, punctuation and "&"/"and" (see
        :func:`normalise_name`), then tries the name without the usual
        prefixes and suffixes of council names ("London Borough of", "Cyngor",
        "Borough Council", "CC" ...). Several authorities under one name (a
        county and the unitary that replaced it, say) resolve to the current
        one; if that leaves more than one, none is chosen and all are offered.
        Never a guess: a name that matches nothing returns no authority, only
        the closest names.
        """
        key = normalise_name(text)
        for attempt in _name_forms(key):
            codes = self.names.get(attempt)
            if codes:
                found = [self.by_code[c] for c in codes if c in self.by_code]
                current = [a for a in found if a.current] or found
                if len(current) == 1:
                    return NameMatch(current[0], ())
                return NameMatch(None, tuple(current))
        core = _name_forms(key)[-1]
        starting = [n for n in self.names if core and (n == core or n.startswith(core + " "))]
        close = starting + difflib.get_close_matches(core, list(self.names), n=8, cutoff=0.6)
        candidates: list[Authority] = []
        for name in close:
            for code in self.names[name]:
                authority = self.by_code.get(code)
                if authority is not None and authority not in candidates:
                    candidates.append(authority)
        candidates.sort(key=lambda a: not a.current)  # current ones first, keeping closeness order
        return NameMatch(None, tuple(candidates[:4]))

    def successors(self, authority: Authority) -> list[Authority]:
        """The current authorities that stand for ``authority`` today: itself, or those that replaced it."""
        if authority.current:
            return [authority]
        found: list[Authority] = []
        for code in authority.replaced_by:
            successor = self.by_code.get(code)
            if successor is not None:
                found += [s for s in self.successors(successor) if s not in found]
        return found


_NAME_PREFIXES = (
    "the ",
    "london borough of ",
    "royal borough of ",
    "lb ",
    "rb ",
    "cyngor ",
    "city of ",
    "council of the ",
    "borough of ",
    "county of ",
    "comhairle nan eilean ",
)
_NAME_SUFFIXES = (
    " metropolitan borough council",
    " county borough council",
    " borough council",
    " district council",
    " county council",
    " city council",
    " unitary authority",
    " council",
    " mbc",
    " cbc",
    " bc",
    " dc",
    " cc",
    " london borough",
    " borough",
    " city",
)


def _name_forms(key: str) -> list[str]:
    """``key`` and shorter forms of it, without the usual prefixes and suffixes, longest first."""
    forms = [key]
    current = key
    changed = True
    while changed:
        changed = False
        for prefix in _NAME_PREFIXES:
            if current.startswith(prefix) and len(current) > len(prefix):
                current, changed = current[len(prefix) :], True
        for suffix in _NAME_SUFFIXES:
            if current.endswith(suffix) and len(current) > len(suffix):
                current, changed = current[: -len(suffix)], True
        if changed:
            forms.append(current)
    return list(dict.fromkeys(forms))


@dataclass(frozen=True)
class NameMatch:
    """The result of :meth:`Authorities.match_name`: one authority, or candidates to offer."""

    authority: Authority | None
    candidates: tuple[Authority, ...]


def _parse(row: dict[str, str]) -> Authority:
    return Authority(
        code=row["code"],
        gss_code=row["gss_code"],
        name=row["name"],
        nice_name=row["nice_name"],
        type=row["type"],
        county=row["county"],
        nation=row["nation"],
        region=row["region"],
        current=row["current"] == "true",
        end_date=row["end_date"],
        replaced_by=tuple(c for c in row["replaced_by"].split(";") if c),
        wdtk_id=row["wdtk_id"],
        lat=float(row["lat"]) if row["lat"] else None,
        lon=float(row["lon"]) if row["lon"] else None,
    )


def normalise_name(text: str) -> str:
    """A council name reduced for matching: case, accents, '&', punctuation and spacing do not matter."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").casefold()
    text = text.replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@lru_cache(maxsize=2)
def load_authorities(
    path: Path = settings.AUTHORITIES_CSV, names_path: Path = settings.AUTHORITY_NAMES_CSV
) -> Authorities:
    """The committed tables (no network)."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        rows = [_parse(row) for row in csv.DictReader(handle)]
    names: dict[str, tuple[str, ...]] = {}
    with Path(names_path).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = normalise_name(row["name"])
            if row["authority"] not in names.get(key, ()):
                names[key] = names.get(key, ()) + (row["authority"],)
    return Authorities(
        by_code={a.code: a for a in rows},
        by_gss={a.gss_code: a for a in rows if a.gss_code},
        names=names,
    )


# --- Generating the committed tables ------------------------------------------------------
def _interior_points() -> dict[str, tuple[float, float]]:
    """GSS code -> (lat, lon) of a point inside each current ONS area that has one."""
    from geo.places.boundaries import BoundariesUnavailable, load_boundaries

    points: dict[str, tuple[float, float]] = {}
    try:
        layers = [load_boundaries(layer) for layer in ("ltla", "cty", "cauth", "rgn")]
    except BoundariesUnavailable as error:
        print(f"warning: {error}; every point comes from mySociety")
        return points
    for frame in layers:
        for code, geometry in zip(frame["code"], frame.geometry):
            point = geometry.representative_point()
            points.setdefault(code, (round(point.y, 5), round(point.x, 5)))
    return points


def generate(
    source_dir: Path | None = None,
    path: Path = settings.AUTHORITIES_CSV,
    names_path: Path = settings.AUTHORITY_NAMES_CSV,
) -> tuple[int, int]:
    """Write both tables from mySociety's files in ``source_dir``; return their row counts.

    ``source_dir`` holds ``mysociety-uk-local-authorities.csv`` and
    ``mysociety-la-name-lookup.csv`` (default: the boundaries folder).
    """
    source_dir = Path(source_dir or settings.boundaries_dir())
    with (source_dir / settings.MYSOCIETY_AUTHORITIES_FILENAME).open(encoding="utf-8", newline="") as handle:
        raw = list(csv.DictReader(handle))
    with (source_dir / settings.MYSOCIETY_NAMES_FILENAME).open(encoding="utf-8", newline="") as handle:
        raw_names = list(csv.DictReader(handle))
    points = _interior_points()
    rows = []
    for record in sorted(raw, key=lambda r: r["local-authority-code"]):
        gss = DISTRICT_RECODES.get(record["gss-code"], record["gss-code"])
        current = record["current-authority"] == "True"
        lat: float | None
        lon: float | None
        if current and gss in points:
            lat, lon, point_source = *points[gss], "ons"
        elif record["lat"] and record["long"]:
            lat, lon, point_source = round(float(record["lat"]), 5), round(float(record["long"]), 5), "mysociety"
        else:
            lat = lon = None  # written as empty cells
            point_source = ""
        wdtk = record["wdtk-id"]
        rows.append(
            {
                "code": record["local-authority-code"],
                "gss_code": gss,
                "name": record["official-name"],
                "nice_name": record["nice-name"],
                "type": record["local-authority-type-name"],
                "county": record["county-la"],
                "nation": record["nation"],
                "region": record["region"] or record["nation"],
                "current": "true" if current else "false",
                "end_date": record["end-date"],
                "replaced_by": ";".join(c.strip() for c in record["replaced-by"].split(",") if c.strip()),
                "wdtk_id": str(int(float(wdtk))) if wdtk else "",
                "lat": lat,
                "lon": lon,
                "point_source": point_source,
            }
        )
    known = {r["code"] for r in rows}
    names = sorted(
        {
            (n["la-name"].strip(), n["local-authority-code"])
            for n in raw_names
            if n["la-name"].strip() and n["local-authority-code"] in known
        }
    )
    write_text_atomically(path, _csv_text(AUTHORITY_FIELDS, rows))
    write_text_atomically(names_path, _csv_text(NAME_FIELDS, [dict(zip(NAME_FIELDS, n)) for n in names]))
    load_authorities.cache_clear()
    return len(rows), len(names)


def _csv_text(header: tuple[str, ...], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
