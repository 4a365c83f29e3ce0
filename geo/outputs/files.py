"""Files served to the browser, named by their content (``static/generated/``).

The same content always gets the same address, so browsers cache it and a
repeat costs nothing; new content never overwrites what a page is reading.
The map's data (:func:`publish_json`) and its boundaries
(:func:`write_boundary_files`) are served this way, by the app and in the
published copy alike.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from geo import settings
from geo.atomic import write_text_atomically
from geo.places.boundaries import load_boundaries
from geo.places.hexes import hex_cartogram

GENERATED_DIR = settings.STATIC_DIR / "generated"


GENERATED_URL = f"{settings.STATIC_URL}/generated"


# Files kept per prefix: each data version or import preview adds one; old ones go.
KEEP_GENERATED = 20


def _publish_text(text: str, prefix: str, target: Path = GENERATED_DIR, url_prefix: str = GENERATED_URL) -> str:
    """Write ``text`` as ``<prefix>-<hash>.json`` under ``target`` (once); return its URL."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    path = target / f"{prefix}-{digest}.json"
    if path.exists():
        path.touch()  # recently used: kept by the pruning below
    else:
        write_text_atomically(path, text)
        older = sorted(
            target.glob(f"{prefix}-" + "[0-9a-f]" * 16 + ".json"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        for stale in older[KEEP_GENERATED:]:
            stale.unlink(missing_ok=True)
    return f"{url_prefix}/{path.name}"


def publish_json(value, prefix: str, target: Path = GENERATED_DIR, url_prefix: str = GENERATED_URL) -> str:
    """Serve ``value`` as a static JSON file named by its content; return its URL.

    The same content always gets the same address, so browsers cache it and a
    repeat costs nothing; new content never overwrites what a page is reading.
    """
    return _publish_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")), prefix, target, url_prefix)


def write_boundary_files(target: Path = GENERATED_DIR, url_prefix: str = GENERATED_URL) -> dict[str, str]:
    """Write simplified district, region and UK outline GeoJSON for the browser.

    Returns layer name -> URL (``url_prefix`` + file name). File names carry a
    hash of their content, so a browser cache never serves stale boundaries.
    Raises :class:`geo.places.boundaries.BoundariesUnavailable` when the boundary file is
    missing.
    """
    import shapely

    urls = {}
    # Tolerances in degrees: about 100 m for districts and counties, 200 m for the outlines.
    for layer, tolerance in (("ltla", 0.001), ("cty", 0.001), ("rgn", 0.002), ("uk", 0.002)):
        frame = load_boundaries(layer)
        geometry = frame.geometry.simplify(tolerance, preserve_topology=True)
        frame = frame.assign(geometry=shapely.set_precision(geometry.values, 0.0001))
        text = frame.to_json(drop_id=True, to_wgs84=True)
        urls[layer] = _publish_text(text, layer, target, url_prefix)
    urls["hex"] = publish_json(hex_cartogram(), "hex", target, url_prefix)
    return urls
