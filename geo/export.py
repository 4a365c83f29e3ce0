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
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo import settings

FORMULA_CHARACTERS = frozenset("=+-@")
# What the pages say of it, in one wording.
SPREADSHEET_NOTE = ("The CSV opens in a spreadsheet (UTF-8 with a byte-order mark). A cell that a spreadsheet could "
                    "run as a formula (one whose first character, after any blanks, is =, +, - or @, in any width) "
                    "gets a leading ' so that it is shown as text and never run.")
# A cell starting with one of these is neutralised whatever follows.
BLANK_STARTS = ("\t", "\r", "\n")
SAFE_URL_PREFIXES = ("https://", "http://")
CODE_LICENSE_FILE = settings.PROJECT_ROOT / "LICENSE"
DATA_LICENCE = "Creative Commons Attribution 4.0 International (CC BY 4.0)"
DATA_LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"

# One row per claim: (column name, what it holds). The CSV header uses these names.
CLAIM_EXPORT_COLUMNS = (
    "claim_id", "site_id", "site", "organisation", "kind", "authority", "precision", "district", "region", "nation",
    "vendor", "grade", "reported", "status", "equipment_count", "claim", "response", "source_ids", "source_urls",
)


def safe_url(url: object) -> str:
    """``url`` if it is an http(s) address, otherwise the empty string."""
    text = str(url or "").strip()
    return text if text.lower().startswith(SAFE_URL_PREFIXES) else ""


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


def claims_table(sites: pd.DataFrame, claims: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """One row per claim with its site's details and its sources (columns :data:`CLAIM_EXPORT_COLUMNS`).

    ``source_ids`` and ``source_urls`` are ``;``-separated (in the package
    they are rows of ``claim_sources.csv``); a source without an http(s)
    address contributes no URL.
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
        rows.append({
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
        })
    table = pd.DataFrame(rows, columns=list(CLAIM_EXPORT_COLUMNS))
    if table.empty:
        return table
    table = table.sort_values("reported", ascending=False, kind="stable")
    return table.sort_values("site", kind="stable").reset_index(drop=True)


def selection_csv(sites: pd.DataFrame, claims: pd.DataFrame, sources: pd.DataFrame) -> bytes:
    """The selection as CSV, one row per claim: UTF-8 with a byte-order mark, formulas neutralised."""
    table = claims_table(sites, claims, sources)
    return spreadsheet_csv(CLAIM_EXPORT_COLUMNS, table.itertuples(index=False))


def selection_geojson(sites: pd.DataFrame, claims: pd.DataFrame, sources: pd.DataFrame) -> bytes:
    """The selection as a GeoJSON FeatureCollection (WGS84): one Point per site, its claims inside.

    Each claim lists its sources as ``{id, title, publisher, url}`` (``url``
    only when it is an http(s) address). Text is kept as it is: JSON is data,
    not a spreadsheet.
    """
    source_rows = {row.id: row for row in sources.itertuples(index=False)} if len(sources) else {}

    def source_info(source_id: str) -> dict:
        row = source_rows.get(source_id)
        if row is None:
            return {"id": source_id}
        return {"id": source_id, "title": row.title, "publisher": row.publisher, "url": safe_url(row.url)}

    claims_by_site: dict[str, list[dict]] = {}
    for claim in claims.itertuples(index=False):
        claims_by_site.setdefault(claim.site, []).append({
            "id": claim.id, "vendor": claim.vendor, "claim": claim.claim, "grade": claim.grade,
            "reported": claim.reported, "status": claim.status, "response": claim.response,
            "equipment_count": None if pd.isna(claim.equipment_count) else int(claim.equipment_count),
            "sources": [source_info(s) for s in claim.sources],
        })
    features = []
    for site in sites.itertuples(index=False):
        properties = {
            "id": site.id, "name": site.name, "organisation": site.organisation, "kind": site.kind,
            "authority": site.authority, "authority_name": site.authority_name,
            "address": site.address, "postcode": site.postcode, "precision": site.precision,
            "note": site.note, "district_code": site.lad_code, "district": site.lad_name,
            "region": site.region, "nation": site.nation, "grade": site.grade,
            "claims": claims_by_site.get(site.id, []),
        }
        features.append({
            "type": "Feature",
            # A site not placed on the map has no geometry (allowed by GeoJSON).
            "geometry": None if pd.isna(site.lat) else {"type": "Point", "coordinates": [round(float(site.lon), 6), round(float(site.lat), 6)]},
            "properties": properties,
        })
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False, indent=1).encode("utf-8")


def code_licence_name(path: Path = CODE_LICENSE_FILE) -> str:
    """The code's licence as named by the first line of the project's LICENSE file.

    ``"MIT License"`` for the usual MIT text; the file's first line otherwise;
    a pointer to the file when there is none yet (never a guess).
    """
    if not path.is_file():
        return "see the LICENSE file in the code repository"
    text = path.read_text(encoding="utf-8", errors="replace")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if "MIT" in first or "Permission is hereby granted, free of charge" in text:
        return "MIT License"
    return first[:120] or "see the LICENSE file in the code repository"


def licence_text(code_licence: str | None = None) -> str:
    """The LICENSE text shipped in the data package zip."""
    code_licence = code_licence or code_licence_name()
    return (
        "Hikvision equipment in UK public buildings: an evidence map\n\n"
        f"DATA: {DATA_LICENCE}\n{DATA_LICENCE_URL}\n\n"
        "The data (the tables, the wording of claims and figures, campaign.md) may be shared and\n"
        "adapted for any purpose, provided you give appropriate credit, link to the licence and\n"
        "say if changes were made. The publications listed in sources.csv remain under their own\n"
        "copyright: the data cites them and does not republish them.\n\n"
        f"CODE: {code_licence}.\n\n"
        "THIRD-PARTY DATA used by the app (Open Government Licence v3.0):\n"
        f"- {settings.BOUNDARY_ATTRIBUTION}\n"
        f"- {settings.POSTCODE_ATTRIBUTION}\n"
    )


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


# --- Views for the sources page ---------------------------------------------------
@dataclass(frozen=True)
class Citing:
    """What cites one source: claims (with their site), figures, and sites located by it."""

    claims: list[dict]  # {"id", "claim", "grade", "site_id", "site"}
    figures: list[dict]  # {"id", "statement"}
    sites: list[dict]  # {"id", "name"}: sites whose address the source gives

    @property
    def empty(self) -> bool:
        return not (self.claims or self.figures or self.sites)


def citations_by_source(sites: pd.DataFrame, claims: pd.DataFrame, figures: pd.DataFrame) -> dict[str, Citing]:
    """Source id -> what cites it (sources cited by nothing are absent)."""
    names = dict(zip(sites["id"], sites["name"]))
    found: dict[str, Citing] = {}

    def entry(source_id: str) -> Citing:
        return found.setdefault(source_id, Citing([], [], []))

    for claim in claims.itertuples(index=False):
        for source_id in claim.sources:
            entry(source_id).claims.append({
                "id": claim.id, "claim": claim.claim, "grade": claim.grade,
                "site_id": claim.site, "site": names.get(claim.site, claim.site),
            })
    if len(figures) and "sources" in figures:
        for figure in figures.itertuples(index=False):
            for source_id in figure.sources:
                entry(source_id).figures.append({"id": figure.id, "statement": figure.statement})
    if "location_source" in sites:
        for site in sites.itertuples(index=False):
            if site.location_source:
                entry(site.location_source).sites.append({"id": site.id, "name": site.name})
    return found


def filter_sources(sources: pd.DataFrame, kinds: list[str] | tuple[str, ...] = (),
                   publishers: list[str] | tuple[str, ...] = (), first: str = "") -> pd.DataFrame:
    """Sources of the chosen kinds and publishers (empty choice: all), newest first.

    ``first`` (a source id) is put at the top if it is in the result.
    """
    chosen = sources
    if kinds:
        chosen = chosen[chosen["kind"].isin(list(kinds))]
    if publishers:
        chosen = chosen[chosen["publisher"].isin(list(publishers))]
    chosen = chosen.sort_values(["published", "title"], ascending=[False, True], kind="stable")
    if first and first in set(chosen["id"]):
        chosen = pd.concat([chosen[chosen["id"] == first], chosen[chosen["id"] != first]])
    return chosen.reset_index(drop=True)


def markdown_link(text: str, url: str, escape) -> str:
    """A Markdown link to an http(s) ``url`` (else the escaped text alone).

    ``escape`` is :func:`geo.campaign.escape_markdown`; characters that would
    end the link target early are percent-encoded.
    """
    target = safe_url(url)
    label = escape(text)
    if not target:
        return label
    for char, code in (("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E"), (" ", "%20"), ("\\", "%5C")):
        target = target.replace(char, code)
    return f"[{label}]({target})"


def changelog_markdown(text: str, escape) -> str:
    """A change-log entry as safe Markdown: its ``- `` bullets kept, every other character escaped.

    ``escape`` is :func:`geo.campaign.escape_markdown`. Continuation lines of a
    bullet are joined to it; blank lines separate paragraphs.
    """
    blocks: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            if blocks and blocks[-1] != "":
                blocks.append("")
            continue
        if stripped.startswith(("- ", "* ")):
            blocks.append("- " + escape(stripped[2:].strip()))
        elif blocks and blocks[-1]:
            blocks[-1] += " " + escape(stripped)
        else:
            blocks.append(escape(stripped))
    return "\n".join(blocks).strip()
