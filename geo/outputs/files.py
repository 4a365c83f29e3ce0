"""Files served to the browser, named by their content (``static/generated/``).

The same content always gets the same address, so browsers cache it and a
repeat costs nothing; new content never overwrites what a page is reading.
The map's data (:func:`publish_json`), its boundaries
(:func:`write_boundary_files`) and, in the app, its script
(``sitelayer.js``, :func:`publish_text`) are served this way.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from geo import settings
from geo.atomic import write_text_atomically
from geo.places.boundaries import browser_topology
from geo.places.hexes import hex_cartogram

GENERATED_DIR = settings.STATIC_DIR / "generated"


GENERATED_URL = f"{settings.STATIC_URL}/generated"


# Files kept per prefix: each data version or import preview adds one; old ones go.
KEEP_GENERATED = 20


def publish_text(
    text: str, prefix: str, target: Path = GENERATED_DIR, url_prefix: str = GENERATED_URL, suffix: str = ".json"
) -> str:
    """Write ``text`` as ``<prefix>-<hash><suffix>`` under ``target`` (once); return its URL."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    path = target / f"{prefix}-{digest}{suffix}"
    if path.exists():
        path.touch()  # recently used: kept by the pruning below
    else:
        write_text_atomically(path, text)
        older = sorted(
            target.glob(f"{prefix}-" + "[0-9a-f]" * 16 + suffix), key=lambda p: p.stat().st_mtime, reverse=True
        )
        for stale in older[KEEP_GENERATED:]:
            stale.unlink(missing_ok=True)
    return f"{url_prefix}/{path.name}"


def publish_json(value, prefix: str, target: Path = GENERATED_DIR, url_prefix: str = GENERATED_URL) -> str:
    """Serve ``value`` as a static JSON file named by its content; return its URL.

    The same content always gets the same address, so browsers cache it and a
    repeat costs nothing; new content never overwrites what a page is reading.
    """
    return publish_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")), prefix, target, url_prefix)


def write_boundary_files(target: Path = GENERATED_DIR, url_prefix: str = GENERATED_URL) -> dict[str, str]:
    """Write the boundary topology and the hex cartogram for the browser.

    Returns ``{"topology": URL, "hex": URL}`` (``url_prefix`` + file name):
    one TopoJSON file holds the districts (with their regions) and the county
    names (:func:`geo.places.boundaries.browser_topology`); the browser meshes
    the regions' lines and the coast from the districts' own arcs. File
    names carry a hash of their content, so a browser cache never serves stale
    boundaries. Raises :class:`geo.places.boundaries.BoundariesUnavailable`
    when the boundary file is missing.
    """
    return {
        "topology": publish_json(browser_topology(), "boundaries", target, url_prefix),
        "hex": publish_json(hex_cartogram(), "hex", target, url_prefix),
    }
