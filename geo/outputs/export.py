"""Taking the evidence away: the claims table, CSV, GeoJSON and the data package zip.

Also the small tabular views the data and sources pages show (the claims
table, which claims, figures and sites cite each source), so that those pages
stay thin and this logic is tested without Streamlit.

Spreadsheet safety
------------------
A spreadsheet runs a cell as a formula when its text begins with ``=``,
``+``, ``-`` or ``@``; some skip leading blanks and line breaks first, and
some read the full-width forms (``＝ ＋ － ＠``) as the same characters. Text
in this data comes from outside, so :func:`neutralise_cell` prefixes a
single quote ``'`` to every cell whose first non-blank character, after
Unicode normalisation (NFKC), is one of those, and to every cell that begins
with a tab or a line break: the spreadsheet then shows the text as text. The
quote is visible in the CSV itself; it is the price of safety, and the
untouched text stays in the data package's own CSV files and the GeoJSON.
Every CSV meant for a spreadsheet is written by :func:`spreadsheet_csv`.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from geo import settings
from geo.evidence.licences import licence_text
from geo.evidence.quotes import Quote
from geo.outputs.text import quote_text, safe_url

FORMULA_CHARACTERS = frozenset("=+-@")
# What the pages say of it, in one wording.
SPREADSHEET_NOTE = (
    "The CSV opens in a spreadsheet (UTF-8 with a byte-order mark). A cell that a spreadsheet could "
    "run as a formula (one whose first character, after any blanks, is =, +, - or @, in any width) "
    "gets a leading ' so that it is shown as text and never run."
)
# A cell starting with one of these is neutralised whatever follows.
BLANK_STARTS = ("\t", "\r", "\n")

# One row per claim: (column name, what it holds). The CSV header uses these names.
CLAIM_EXPORT_COLUMNS = (
    "claim_id",
    "site_id",
    "site",
    "organisation",
    "kind",
    "authority",
    "precision",
    "district",
    "region",
    "nation",
    "vendor",
    "grade",
    "reported",
    "status",
    "equipment_count",
    "claim",
    "response",
    "source_ids",
    "source_urls",
    "quotes",
    "checked",
)


def neutralise_cell(value: object) -> str:
    """Cell text a spreadsheet cannot run as a formula (see the module docstring)."""
    text = "" if value is None else str(value)
    if text.startswith(BLANK_STARTS) or is_formula(text):
        return "'" + text
    return text


def is_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula: its first non-blank character,
    after NFKC normalisation (which folds full-width ``＝`` into ``=``), starts one."""
    first = unicodedata.normalize("NFKC", text).lstrip()[:1]
    return first in FORMULA_CHARACTERS


def spreadsheet_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV for a spreadsheet: UTF-8 with a byte-order mark, CRLF, every cell (header too) neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise_cell(h) for h in header])
    for row in rows:
        writer.writerow([neutralise_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def claims_table(
    sites: pd.DataFrame,
    claims: pd.DataFrame,
    sources: pd.DataFrame,
    quotes: dict[tuple[str, str], Quote] | None = None,
) -> pd.DataFrame:
    """One row per claim with its site's details and its sources (columns :data:`CLAIM_EXPORT_COLUMNS`).

    ``source_ids`` and ``source_urls`` are ``;``-separated (in the package
    they are rows of ``claim_sources.csv``); a source without an http(s)
    address contributes no URL. ``quotes`` (:func:`geo.evidence.quotes.quotes_by_link`)
    gives each source's words for the claim: ``quotes`` holds them one a line,
    in the order of ``source_ids`` and numbered when there are several, each
    as “words” — publisher, date; when it was read against the source, and
    its note (:func:`geo.outputs.text.quote_text`), numbered by the source's
    place in ``source_ids``; ``checked`` the dates the claim was last read
    against each source (``YYYY-MM-DD``, ``;``-separated, in the order of
    ``source_ids``, empty for a source without a quote). An empty ``equipment_count`` means the sources give no
    number.
    Rows are ordered by site name, then by date reported (newest first).
    """
    by_site = sites.set_index("id")
    urls = {row.id: safe_url(row.url) for row in sources.itertuples(index=False)} if len(sources) else {}
    rows = []
    for claim in claims.itertuples(index=False):
        if claim.site not in by_site.index:
            continue
        site = by_site.loc[claim.site]
        ids = list(claim.sources)
        found = [(quotes or {}).get((claim.id, i)) for i in ids]
        numbered = len(ids) > 1
        rows.append(
            {
                "claim_id": claim.id,
                "site_id": claim.site,
                "site": site["name"],
                "organisation": site["organisation"],
                "kind": site["kind"],
                "authority": site["authority_name"],
                "precision": site["precision"],
                "district": site["lad_name"],
                "region": site["region"],
                "nation": site["nation"],
                "vendor": claim.vendor,
                "grade": claim.grade,
                "reported": claim.reported,
                "status": claim.status,
                "equipment_count": "" if pd.isna(claim.equipment_count) else str(int(claim.equipment_count)),
                "claim": claim.claim,
                "response": claim.response,
                "source_ids": ";".join(ids),
                "source_urls": ";".join(u for u in (urls.get(i, "") for i in ids) if u),
                "quotes": "\n".join(
                    (f"[{n}] " if numbered else "") + quote_text(q)
                    for n, q in enumerate(found, start=1)
                    if q is not None
                ),
                "checked": ";".join(q.checked if q is not None else "" for q in found) if any(found) else "",
            }
        )
    table = pd.DataFrame(rows, columns=list(CLAIM_EXPORT_COLUMNS))
    if table.empty:
        return table
    table = table.sort_values("reported", ascending=False, kind="stable")
    return table.sort_values("site", kind="stable").reset_index(drop=True)


def selection_csv(
    sites: pd.DataFrame,
    claims: pd.DataFrame,
    sources: pd.DataFrame,
    quotes: dict[tuple[str, str], Quote] | None = None,
) -> bytes:
    """The selection as CSV, one row per claim: UTF-8 with a byte-order mark, formulas neutralised.

    With ``quotes``, each claim carries its sources' words and when they were checked (:func:`claims_table`).
    """
    table = claims_table(sites, claims, sources, quotes)
    return spreadsheet_csv(CLAIM_EXPORT_COLUMNS, table.itertuples(index=False))


def selection_geojson(
    sites: pd.DataFrame,
    claims: pd.DataFrame,
    sources: pd.DataFrame,
    quotes: dict[tuple[str, str], Quote] | None = None,
) -> bytes:
    """The selection as a GeoJSON FeatureCollection (WGS84): one Point per site, its claims inside.

    Each claim lists its sources as ``{id, title, publisher, url}`` (``url``
    only when it is an http(s) address), with ``quote``, ``checked`` and
    ``quote_note`` where ``quotes`` has the link. Text is kept as it is: JSON
    is data, not a spreadsheet.
    """
    source_rows = {row.id: row for row in sources.itertuples(index=False)} if len(sources) else {}

    def source_info(claim_id: str, source_id: str) -> dict:
        row = source_rows.get(source_id)
        info = {"id": source_id}
        if row is not None:
            info.update(title=row.title, publisher=row.publisher, url=safe_url(row.url))
        quote = (quotes or {}).get((claim_id, source_id))
        if quote is not None:
            info.update(quote=quote.quote, checked=quote.checked, quote_note=quote.note)
        return info

    claims_by_site: dict[str, list[dict]] = {}
    for claim in claims.itertuples(index=False):
        claims_by_site.setdefault(claim.site, []).append(
            {
                "id": claim.id,
                "vendor": claim.vendor,
                "claim": claim.claim,
                "grade": claim.grade,
                "reported": claim.reported,
                "status": claim.status,
                "response": claim.response,
                "equipment_count": None if pd.isna(claim.equipment_count) else int(claim.equipment_count),
                "sources": [source_info(claim.id, s) for s in claim.sources],
            }
        )
    features = []
    for site in sites.itertuples(index=False):
        properties = {
            "id": site.id,
            "name": site.name,
            "organisation": site.organisation,
            "kind": site.kind,
            "authority": site.authority,
            "authority_name": site.authority_name,
            "address": site.address,
            "postcode": site.postcode,
            "precision": site.precision,
            "note": site.note,
            "district_code": site.lad_code,
            "district": site.lad_name,
            "region": site.region,
            "nation": site.nation,
            "grade": site.grade,
            "claims": claims_by_site.get(site.id, []),
        }
        features.append(
            {
                "type": "Feature",
                # A site not placed on the map has no geometry (allowed by GeoJSON).
                "geometry": None
                if pd.isna(site.lat)
                else {"type": "Point", "coordinates": [round(float(site.lon), 6), round(float(site.lat), 6)]},
                "properties": properties,
            }
        )
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False, indent=1).encode("utf-8")


def package_zip(directory: Path = settings.DATA_DIR, descriptor: dict | None = None) -> bytes:
    """The whole data package as a zip: datapackage.json, every resource's CSV, README, CHANGELOG, LICENSE.

    Files are stored under ``<package name>/``. A resource missing from
    ``directory`` is taken from the code's own data folder (the district table
    is reference data of the code); a resource found nowhere is left out.
    """
    directory = Path(directory)
    if descriptor is None:
        descriptor = json.loads((directory / "datapackage.json").read_text(encoding="utf-8"))
    root = str(descriptor.get("name") or "data-package")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(directory / "datapackage.json", f"{root}/datapackage.json")
        for resource in descriptor.get("resources", []):
            name = Path(str(resource.get("path", ""))).name  # never a path outside the folder
            if not name:
                continue
            for candidate in (directory / name, settings.PROJECT_ROOT / "data" / name):
                if candidate.is_file():
                    archive.write(candidate, f"{root}/{name}")
                    break
        for extra in ("README.md", "CHANGELOG.md", "campaign.md"):
            if (directory / extra).is_file():
                archive.write(directory / extra, f"{root}/{extra}")
        archive.writestr(f"{root}/LICENSE.txt", licence_text())
    return buffer.getvalue()
