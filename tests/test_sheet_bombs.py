"""Hostile spreadsheets never cost the server: refused from the archive's directory, or parsed in a
child process with memory and time limits (geo.importing.sheets), in the app and the command alike.

The cases are an outside review's: shared strings that expand to 400 MB, a row of two million
cells, five million tiny shared strings.
"""

from __future__ import annotations

import io
import resource
import subprocess
import sys

import hostile
import pytest

from geo.importing import sheets
from geo.importing.sheets import ImportFileError, read_table

ROOT = hostile.ROOT


@pytest.fixture
def no_child(monkeypatch):
    """Fail if a child process is started: these files must be refused before any parsing."""

    def refuse(*args, **kwargs):
        raise AssertionError("a child process was started for a file the archive check should refuse")

    monkeypatch.setattr(sheets.subprocess, "run", refuse)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize(
    "build, words",
    [
        (hostile.shared_strings_bomb, "expands"),
        (hostile.wide_row_bomb, "expands"),
        (hostile.tiny_strings_bomb, "expands"),
    ],
    ids=["shared-strings-400-mb", "row-of-two-million-cells", "five-million-tiny-strings"],
)
def test_the_reviews_bombs_are_refused_from_the_archive_directory(build, words, no_child):
    data = build()
    assert len(data) <= sheets.MAX_BYTES  # each passes the upload's size limit
    before = peak_rss_mb()
    with pytest.raises(ImportFileError, match=words):
        read_table(data, "fictional-results.xlsx")
    assert peak_rss_mb() - before < 50  # the server's process never expanded it


@pytest.fixture(scope="module")
def full_workbook() -> bytes:
    """An ordinary workbook at the row limit, 40 columns wide (about 700 KB)."""
    rows = [["organisation", "claim"] + [f"extra {k}" for k in range(38)]]
    rows += [
        [f"Fictional Body {n}", f"Fictional claim {n}"] + [f"cell {n} {k}" for k in range(38)]
        for n in range(sheets.MAX_ROWS)
    ]
    return _xlsx(rows)


def test_a_workbook_inside_the_archive_limits_is_parsed_in_a_child_within_its_limits(monkeypatch, full_workbook):
    """Below every declared-size limit, the child's own limits hold: its CPU time and its memory."""
    started = []
    real = subprocess.run
    monkeypatch.setattr(sheets.subprocess, "run", lambda *a, **k: started.append(a[0]) or real(*a, **k))
    sheets.check_workbook_archive(full_workbook)  # nothing suspicious in its directory
    with pytest.raises(ImportFileError, match="within the limits set for a spreadsheet"):
        sheets._read_in_child(full_workbook, "xlsx", cpu_s=1)
    with pytest.raises(ImportFileError, match="within the limits set for a spreadsheet"):
        sheets._read_in_child(full_workbook, "xlsx", memory_bytes=64 * 1024 * 1024)
    header, body, _ = read_table(full_workbook, "fictional-results.xlsx")  # the real limits: read whole
    assert header[:2] == ["organisation", "claim"] and len(body) == sheets.MAX_ROWS
    assert body[-1][1][0] == f"Fictional Body {sheets.MAX_ROWS - 1}"
    assert started and all(command[1] == "-I" for command in started)


def test_a_row_of_two_million_cells_the_directory_cannot_see_is_refused_by_the_childs_limits():
    data = hostile.wide_row_with_references()
    assert len(data) <= sheets.MAX_BYTES
    sheets.check_workbook_archive(data)  # an ordinary-looking archive
    before = peak_rss_mb()
    with pytest.raises(ImportFileError, match="within the limits set for a spreadsheet"):
        read_table(data, "fictional-results.xlsx")
    assert peak_rss_mb() - before < 100  # the child paid, not the server


def test_a_csv_row_wider_than_the_limit_is_refused_while_reading():
    line = ",".join(["x"] * (sheets.MAX_COLUMNS + 5))
    data = ("organisation,claim\n" + line + "\n").encode()
    with pytest.raises(ImportFileError, match=f"row 2 has more than {sheets.MAX_COLUMNS} columns"):
        read_table(data, "fictional.csv")


def test_text_beyond_the_limit_is_refused_while_reading():
    """Shared strings referenced many times can multiply text without growing the file."""
    cells = '<c t="s"><v>0</v></c>' * 100
    rows = [f'<row r="{n}">{cells}</row>' for n in range(1, 11)]
    data = hostile.workbook(rows, ["<si><t>", "B" * 30_000, "</t></si>"])  # 10 rows x 100 cells x 30,000 characters
    sheets.check_workbook_archive(data)
    with pytest.raises(ImportFileError, match="characters of text"):
        read_table(data, "fictional.xlsx")


def test_the_command_refuses_a_bomb_the_same_way(tmp_path):
    path = tmp_path / "fictional-results.xlsx"
    path.write_bytes(hostile.shared_strings_bomb(100))
    result = subprocess.run(
        [sys.executable, "-m", "geo", "import", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "expands" in result.stdout + result.stderr


def _xlsx(rows: list[list[str]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
