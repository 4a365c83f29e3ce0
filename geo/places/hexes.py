"""The hex cartogram: one equal hexagon per district (Open Innovations' layout, MIT licence).

``data/hexes.csv`` is derived once from Open Innovations' HexJSON
(:func:`generate_hexes`); :func:`hex_cartogram` turns it into GeoJSON in
plain x/y units for Leaflet's ``CRS.Simple`` and matplotlib.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from geo import settings
from geo.atomic import write_text_atomically
from geo.places.boundaries import DISTRICT_RECODES


@dataclass(frozen=True)
class Hex:
    """One district's cell in the hex cartogram (``odd-r`` layout, ``r`` growing northwards)."""

    code: str
    name: str
    q: int
    r: int


HEX_FIELDS = ("code", "name", "q", "r")


def load_hexes(path: Path = settings.HEXES_CSV) -> list[Hex]:
    """The committed hex cartogram table (361 rows), in code order."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return [Hex(row["code"], row["name"], int(row["q"]), int(row["r"])) for row in csv.DictReader(handle)]


def generate_hexes(source: Path | None = None, path: Path = settings.HEXES_CSV) -> list[Hex]:
    """Write ``data/hexes.csv`` from Open Innovations' HexJSON (codes recoded to today's)."""
    import json

    source = source or settings.boundaries_dir() / settings.HEX_FILENAME
    hexes = json.loads(Path(source).read_text(encoding="utf-8"))["hexes"]
    rows = sorted(
        (
            Hex(DISTRICT_RECODES.get(code, code), cell["n"], int(cell["q"]), int(cell["r"]))
            for code, cell in hexes.items()
        ),
        key=lambda h: h.code,
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEX_FIELDS)
    writer.writerows([h.code, h.name, h.q, h.r] for h in rows)
    write_text_atomically(path, out.getvalue())
    return rows


def hex_cartogram(path: Path = settings.HEXES_CSV) -> dict:
    """The hex cartogram of the 361 districts as GeoJSON in plain x/y units (one hexagon each).

    From ``data/hexes.csv`` (Open Innovations' ``odd-r`` layout: pointy-topped
    hexagons, odd rows shifted right, ``r`` growing northwards). Drawn in a
    flat coordinate system (Leaflet's ``CRS.Simple``, matplotlib's axes):
    x along a row, y up the rows, in hexagon radii.
    """
    width = math.sqrt(3)
    features = []
    for cell in load_hexes(path):
        cx = cell.q * width + (width / 2 if cell.r & 1 else 0.0)
        cy = cell.r * 1.5
        ring = [
            [round(cx + math.cos(math.radians(90 + 60 * k)), 4), round(cy + math.sin(math.radians(90 + 60 * k)), 4)]
            for k in range(7)
        ]
        features.append(
            {
                "type": "Feature",
                "properties": {"code": cell.code, "name": cell.name, "x": round(cx, 4), "y": round(cy, 4)},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "features": features}
