"""Reading a campaigner's spreadsheet: CSV or Excel into the template's columns.

:func:`read_table` reads a CSV (UTF-8 with or without a byte-order mark, or
Windows-1252; comma, semicolon or tab separated) or the first sheet of an
``.xlsx`` workbook, within size, row and column limits, and keeps each row's
number as a spreadsheet shows it (the header is row 1). :func:`map_columns`
matches the header to the template's columns (:data:`TEMPLATE_COLUMNS`),
ignoring case, spaces and punctuation and accepting common other names.

A hostile file never costs the server
-------------------------------------
Five megabytes of .xlsx can hold a bomb: shared strings that expand to
hundreds of megabytes, a row of millions of cells, millions of tiny strings
(openpyxl reads every shared string, even read-only, and parses whole rows
before any column limit). So a workbook's archive is checked first, from its
directory alone (:func:`check_workbook_archive`: every member's declared size
and compression ratio, and their total), and then every file, CSV or Excel,
is parsed in a child process (this file run as a script, so it imports no
more than the standard library and openpyxl) with limits on its memory and
CPU time and a timeout, stopping at the row, column and text limits while it
reads. A file that breaks a limit is refused with a message; the server's
own process only ever holds the bytes of the upload and the rows read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 200
# A workbook's archive, from its directory: what its members may hold once expanded.
MAX_UNCOMPRESSED_BYTES = 40 * 1024 * 1024  # all members together
MAX_COMPRESSION_RATIO = 1000  # for a member larger than RATIO_FROM_BYTES once expanded
RATIO_FROM_BYTES = 1024 * 1024
MAX_MEMBERS = 1000
# The child process that parses the file.
MAX_TEXT_CHARS = 4 * MAX_BYTES  # all cells read, together
CHILD_MEMORY_BYTES = 1024 * 1024 * 1024  # address space (RLIMIT_AS)
CHILD_CPU_S = 20  # RLIMIT_CPU
CHILD_TIMEOUT_S = 40  # wall clock, then the child is killed

# The template, in the order of its columns.
TEMPLATE_COLUMNS: tuple[str, ...] = (
    "organisation",
    "authority_code",
    "foi_sent",
    "foi_answered",
    "foi_url",
    "foi_status",
    "foi_finding",
    "foi_outcome",
    "foi_note",
    "site_id",
    "site_name",
    "kind",
    "address",
    "postcode",
    "precision",
    "site_note",
    "vendor",
    "claim",
    "grade",
    "reported",
    "status",
    "equipment_count",
    "response",
    "source_title",
    "source_publisher",
    "source_published",
    "source_kind",
    "source_url",
    "source_note",
    "source_quote",
    "source_checked",
    "source_quote_note",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("organisation",)
TEMPLATE_FOI_COLUMNS = ("foi_sent", "foi_answered", "foi_url", "foi_status", "foi_finding", "foi_outcome", "foi_note")
TEMPLATE_CLAIM_COLUMNS = ("vendor", "claim", "grade", "reported", "status", "equipment_count", "response")
TEMPLATE_SITE_COLUMNS = ("site_id", "site_name", "kind", "address", "precision", "site_note")
TEMPLATE_SOURCE_COLUMNS = (
    "source_title",
    "source_publisher",
    "source_published",
    "source_kind",
    "source_url",
    "source_note",
)

# Other spellings of the template's columns. Keys are compared after
# :func:`_header_key` (lower case, letters and digits only).
_ALIASES: dict[str, tuple[str, ...]] = {
    "organisation": (
        "organisation",
        "organization",
        "org",
        "body",
        "publicbody",
        "council",
        "authority",
        "organisationname",
        "organizationname",
        "nameofbody",
        "councilname",
    ),
    "authority_code": (
        "authoritycode",
        "ladcode",
        "lad",
        "ladcd",
        "councilcode",
        "districtcode",
        "gsscode",
        "lacode",
        "gss",
    ),
    "foi_sent": ("foisent", "datesent", "sent", "requestsent", "foidate", "datefoisent", "foirequestsent"),
    "foi_answered": (
        "foianswered",
        "answered",
        "dateanswered",
        "answerdate",
        "datereplied",
        "replied",
        "responsedate",
        "dateofanswer",
    ),
    "foi_url": ("foiurl", "requesturl", "requestlink", "foilink", "whatdotheyknow", "wdtk", "wdtkurl"),
    "foi_status": ("foistatus", "requeststatus", "foirequeststatus"),
    "foi_finding": ("foifinding", "foiresultfound", "hashikvision", "equipmentfound"),
    "foi_outcome": ("foioutcome", "outcome", "answer", "result", "foiresult", "foianswer"),
    "foi_note": ("foinote", "requestnote", "foinotes"),
    "site_id": ("siteid",),
    "site_name": ("sitename", "site", "building", "buildingname", "placename"),
    "kind": ("kind", "sitekind", "kindofsite", "kindofbody", "type", "bodytype", "sitetype"),
    "address": ("address", "streetaddress", "siteaddress"),
    "postcode": ("postcode", "postalcode", "sitepostcode"),
    "precision": ("precision", "locationprecision"),
    "site_note": ("sitenote", "locationnote", "sitenotes"),
    "vendor": ("vendor", "manufacturer", "maker", "brand", "make"),
    "claim": ("claim", "finding", "whatwasfound"),
    "grade": ("grade", "evidencegrade"),
    "reported": ("reported", "datereported", "reporteddate", "claimdate"),
    "status": ("status", "claimstatus", "equipmentstatus"),
    "equipment_count": ("equipmentcount", "count", "cameras", "numberofcameras", "devices", "numberofdevices"),
    "response": ("response", "bodyresponse", "organisationresponse", "organizationresponse"),
    "source_title": ("sourcetitle", "source", "sourcename"),
    "source_publisher": ("sourcepublisher", "publisher"),
    "source_published": ("sourcepublished", "sourcedate", "published", "datepublished", "publisheddate"),
    "source_kind": ("sourcekind", "sourcetype"),
    "source_url": ("sourceurl", "sourcelink", "evidenceurl", "evidencelink", "url", "link"),
    "source_note": ("sourcenote", "sourcenotes"),
    "source_quote": ("sourcequote", "quote", "quotation", "sourcewords"),
    "source_checked": ("sourcechecked", "checked", "datechecked", "checkedon", "dateread", "readon"),
    "source_quote_note": ("sourcequotenote", "quotenote"),
}
_ALIAS_TO_COLUMN = {alias: column for column, aliases in _ALIASES.items() for alias in aliases}


class ImportFileError(ValueError):
    """The file as a whole cannot be read (too big, too many rows, not a table)."""


def _header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKC", name).casefold())


def _decode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), ("UTF-8 with byte-order mark" if data.startswith(b"\xef\xbb\xbf") else "UTF-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"the file is neither UTF-8 nor Windows-1252 text (byte {error.start} cannot be read); "
            "save it as 'CSV UTF-8' and try again"
        ) from None


def _cell_text(value: object) -> str:
    """A spreadsheet cell as text, the way the campaigner typed it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Collector:
    """Records as they are read, refusing at the row, column and text limits."""

    def __init__(self) -> None:
        self.records: list[tuple[int, list[str]]] = []
        self.chars = 0

    def add(self, number: int, cells: list[str]) -> bool:
        """Keep one record; False once there are enough to know the file is too long."""
        if len(cells) > MAX_COLUMNS:
            raise ImportFileError(f"row {number} has more than {MAX_COLUMNS} columns; the limit is {MAX_COLUMNS}")
        self.chars += sum(len(c) for c in cells)
        if self.chars > MAX_TEXT_CHARS:
            raise ImportFileError(
                f"the file holds more than {MAX_TEXT_CHARS:,} characters of text (by row "
                f"{number}); split it into smaller files"
            )
        self.records.append((number, cells))
        return len(self.records) <= MAX_ROWS + 1 + 1000  # header, limit, and room for blank lines


def _read_csv(data: bytes) -> tuple[list[tuple[int, list[str]]], str]:
    text, encoding = _decode(data)
    if "\x00" in text:
        raise ImportFileError("the file contains NUL bytes: it is not a CSV text file")
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        delimiter = ";" if ";" in first_line else ("\t" if "\t" in first_line else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    kept = _Collector()
    try:
        for number, cells in enumerate(reader, start=1):
            if not kept.add(number, cells):
                break
    except csv.Error as error:
        raise ImportFileError(f"row {len(kept.records) + 1} cannot be read as CSV: {error}") from None
    return kept.records, encoding


def check_workbook_archive(data: bytes) -> None:
    """Refuse a workbook whose members would expand too far, from the archive's directory alone.

    Nothing is decompressed here. Python's zipfile stops each member at its
    declared size (and fails on a CRC mismatch), so declared sizes bound what
    opening it can cost.
    """
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileError(f"the file cannot be read as an Excel .xlsx workbook ({error})") from None
    if len(members) > MAX_MEMBERS:
        raise ImportFileError(f"the workbook holds {len(members):,} parts; a spreadsheet has a few dozen")
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise ImportFileError(
                f"the workbook's part {member.filename[:80]!r} expands {ratio:,.0f} times "
                f"(to {member.file_size / 1024 / 1024:,.0f} MB): this is not an ordinary spreadsheet"
            )
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ImportFileError(
            f"the workbook expands to {total / 1024 / 1024:,.0f} MB; the limit is "
            f"{MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB. Save it as CSV UTF-8, or split it."
        )


def _read_xlsx(data: bytes) -> tuple[list[tuple[int, list[str]]], str]:
    import openpyxl

    check_workbook_archive(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportFileError(f"the file cannot be read as an Excel .xlsx workbook ({error})") from None
    try:
        sheet = workbook.worksheets[0]
        kept = _Collector()
        for number, values in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1), start=1):
            cells = [_cell_text(v) for v in values]
            while cells and cells[-1] == "":
                cells.pop()
            if not kept.add(number, cells):
                break
    finally:
        workbook.close()
    return kept.records, "Excel workbook (first sheet)"


def _records_here(data: bytes, kind: str) -> tuple[list[tuple[int, list[str]]], str]:
    return _read_xlsx(data) if kind == "xlsx" else _read_csv(data)


def _child_main() -> int:
    """Run as a script (``sheets.py KIND MEMORY_BYTES CPU_S``): limit this process, read the file
    from standard input, print the records as JSON."""
    import resource

    kind, memory_bytes, cpu_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
    data = sys.stdin.buffer.read()
    try:
        records, encoding = _records_here(data, kind)
        answer = {"records": records, "encoding": encoding}
    except ImportFileError as error:
        answer = {"error": str(error)}
    except MemoryError:
        answer = {"error": "memory"}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    return 0


def _read_in_child(
    data: bytes,
    kind: str,
    memory_bytes: int = CHILD_MEMORY_BYTES,
    cpu_s: int = CHILD_CPU_S,
    timeout_s: float = CHILD_TIMEOUT_S,
) -> tuple[list[tuple[int, list[str]]], str]:
    """Parse ``data`` in a child process with memory and time limits (see the module docstring)."""
    limits = (
        f"the file could not be read within the limits set for a spreadsheet "
        f"({memory_bytes // 1024 // 1024} MB of memory, {cpu_s} s): save it as CSV UTF-8, "
        "or split it into smaller files"
    )
    command = [sys.executable, "-I", str(Path(__file__).resolve()), kind, str(memory_bytes), str(cpu_s)]
    try:
        # -I: isolated (no user site, no environment, no current folder): the standard library and openpyxl only.
        done = subprocess.run(command, input=data, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise ImportFileError(limits) from None
    if done.returncode != 0:  # killed at its CPU limit, or failed to allocate outside Python's reach
        raise ImportFileError(limits)
    answer = json.loads(done.stdout.decode("utf-8"))
    if "error" in answer:
        raise ImportFileError(limits if answer["error"] == "memory" else answer["error"])
    return [(number, cells) for number, cells in answer["records"]], answer["encoding"]


def read_table(data: bytes, filename: str) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    """Header, data records (spreadsheet row number, cells) and the encoding read.

    Raises :class:`ImportFileError` with a message for the campaigner when the
    file as a whole cannot be used. The file is parsed in a child process
    (see the module docstring).
    """
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            f"the file is {len(data) / 1024 / 1024:.1f} MB; the limit is {MAX_BYTES // 1024 // 1024} MB. "
            "Split it into smaller files."
        )
    name = filename.lower()
    if name.endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("old Excel .xls files are not read: save it as .xlsx or as CSV UTF-8")
    kind = "xlsx" if name.endswith(".xlsx") or data.startswith(b"PK\x03\x04") else "csv"
    if kind == "xlsx":
        check_workbook_archive(data)  # cheap, and refuses the obvious bombs before any process starts
    records, encoding = _read_in_child(data, kind)
    while records and not any(c.strip() for c in records[0][1]):
        records.pop(0)
    if not records:
        raise ImportFileError("the file is empty: it has no header row")
    _header_row, header = records[0]
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(f"the header has {len(header)} columns; the limit is {MAX_COLUMNS}")
    body = records[1:]
    data_rows = sum(1 for _, cells in body if any(c.strip() for c in cells))
    if data_rows > MAX_ROWS or len(body) > MAX_ROWS + 1000:
        shown = f"{data_rows}" if len(records) <= MAX_ROWS + 1000 else f"more than {MAX_ROWS}"
        raise ImportFileError(f"the file has {shown} rows; the limit is {MAX_ROWS}. Split it into smaller files.")
    return [h.strip() for h in header], body, encoding


@dataclass
class ColumnMap:
    index: dict[str, int]  # template column -> position in the file
    columns: dict[str, str]  # header as written -> template column
    extra: list[str]
    missing_required: list[str]
    absent: list[str]


def map_columns(header: Sequence[str]) -> ColumnMap:
    """Match the file's column names to the template's, ignoring case, spaces and punctuation."""
    index: dict[str, int] = {}
    columns: dict[str, str] = {}
    extra: list[str] = []
    for position, name in enumerate(header):
        column = _ALIAS_TO_COLUMN.get(_header_key(name))
        if column is None or column in index:
            extra.append(name if column is None else f"{name} (a second {column} column)")
            continue
        index[column] = position
        columns[name] = column
    extra = [e if e else f"(unnamed column {header.index(e) + 1})" for e in extra]
    missing = [c for c in REQUIRED_COLUMNS if c not in index]
    absent = [c for c in TEMPLATE_COLUMNS if c not in index and c not in REQUIRED_COLUMNS]
    return ColumnMap(index, columns, extra, missing, absent)


if __name__ == "__main__":
    raise SystemExit(_child_main())
