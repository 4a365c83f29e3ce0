"""Applying an import: the whole new package swapped in at once, with a backup and a change-log entry.

:func:`apply_import` writes the new package as one unit: a complete copy is
made next to the data directory; the report's tables are checked in memory
with :func:`geo.evidence.datapackage.check_package` and placed with
:func:`geo.evidence.build.site_features`, each postcode geocoded once (the
rows' postcodes were geocoded when the report was made and are not looked
up again); the changed tables, the change log, the descriptor and the built
dataset (``build/sites.geojson``) are written into the copy, which is then
exchanged with the live directory in one atomic ``renameat2`` call. A kill at
any moment leaves the old package or the new one, never a mix. A backup of
the old package goes to ``backups/`` (git-ignored), and ``CHANGELOG.md`` gets
an entry.

The import runs one way: ``rows`` makes the report, this module writes it;
what both need about the package (reading, writing a table, its fingerprint)
is the package's own (:mod:`geo.evidence.datapackage`).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from geo.evidence.datapackage import DESCRIPTOR, fingerprint, package_from_rows, package_lock, write_csv
from geo.importing.report import ImportReport

Progress = Callable[[int, int], None]


class ApplyError(RuntimeError):
    pass


@dataclass
class ApplyResult:
    version: str
    date: str
    backup: Path
    files: list[str]
    counts: dict[str, int]
    sites_built: int


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange_directories(a: Path, b: Path) -> None:
    """Swap two directories in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``)."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        raise ApplyError("this system cannot swap directories atomically (no renameat2)")
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        errno = ctypes.get_errno()
        raise ApplyError(f"could not swap {a} and {b}: {os.strerror(errno)}")


def _next_version(directory: Path) -> str:
    from geo.evidence.dataset import read_changelog

    entries = read_changelog(directory / "CHANGELOG.md")
    current = entries[0][1] if entries else "1.0.0"
    parts = (current.split(".") + ["0", "0"])[:3]
    try:
        major, minor = int(parts[0]), int(parts[1])
    except ValueError:
        return current + "-import"
    return f"{major}.{minor + 1}.0"


def _safe_filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._ -]", "_", Path(name).name)[:100] or "upload"


def _insert_changelog(text: str, entry: str) -> str:
    match = re.search(r"^## ", text, re.MULTILINE)
    if match is None:
        return text.rstrip("\n") + "\n\n" + entry
    return text[: match.start()] + entry + text[match.start() :]


def _copy_package(source: Path, target: Path) -> None:
    """A complete copy of the data directory; existing backups are hard-linked, not copied."""

    def ignore(directory: str, names: list[str]) -> list[str]:
        return ["backups"] if Path(directory) == source else []

    shutil.copytree(source, target, ignore=ignore, symlinks=True)
    backups = source / "backups"
    if backups.is_dir():
        for path in backups.rglob("*"):
            destination = target / "backups" / path.relative_to(backups)
            if path.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
            else:
                destination.parent.mkdir(parents=True, exist_ok=True)
                os.link(path, destination)


def apply_import(
    report: ImportReport,
    package_dir: Path,
    today: dt.date | None = None,
    progress: Progress | None = None,
    geocode: Callable[[list[str]], list] | None = None,
) -> ApplyResult:
    """Write the report's changes as one atomic unit; see the module docstring.

    Refuses (:class:`ApplyError`) unless every row was accepted, the package
    is unchanged since :func:`prepare_import` read it, and the new package
    passes the check. ``geocode`` defaults to the postcode directory; the
    report's own lookups are reused.
    """
    if not report.ok:
        raise ApplyError("nothing is written: the report has rejected rows or problems, or nothing to add")
    counts = report.diff.counts()
    listed = ", ".join(f"{n} {what}" for what, n in counts.items())
    return apply_tables(
        package_dir,
        report.tables,
        report.package_fingerprint,
        f"Imported from `{_safe_filename(report.filename)}`: {listed}.",
        counts,
        today=today,
        geocode=geocode,
        geocoded=report.geocoded,
        changed=report.changed_tables,
    )


def apply_tables(
    package_dir: Path,
    tables: dict[str, list[dict[str, str]]],
    expected_fingerprint: str,
    change: str,
    counts: dict[str, int],
    today: dt.date | None = None,
    geocode: Callable[[list[str]], list] | None = None,
    geocoded: dict[str, object] | None = None,
    changed: list[str] | None = None,
) -> ApplyResult:
    """Write new ``tables`` (resource name -> every row) as one atomic unit, with the change-log line ``change``.

    The one way code changes the package (the import, the WhatDoTheyKnow pull, the
    answers queue); see the module docstring. Tables not in ``tables`` stay as they
    are; ``changed`` names the tables to write (default: those whose rows differ).
    Refused (:class:`ApplyError`) if the package's :func:`fingerprint` is no longer
    ``expected_fingerprint`` (someone wrote it meanwhile) or the new package fails the check.
    """
    from geo.evidence.build import site_features, write_built
    from geo.evidence.datapackage import check_package, load_package
    from geo.places.postcodes import get_directory, remembering

    package_dir = Path(package_dir).resolve()
    parent = package_dir.parent
    with package_lock(package_dir):  # one writer at a time (an import, an archive run, the pull, the answers queue)
        if fingerprint(package_dir) != expected_fingerprint:
            raise ApplyError("the data changed since this report was made: upload the file again")
        for stale in parent.glob(f".{package_dir.name}.import-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by an apply that was killed
        date = (today or dt.date.today()).isoformat()
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
        work = parent / f".{package_dir.name}.import-{stamp}"
        try:
            _copy_package(package_dir, work)
            descriptor_path = work / DESCRIPTOR
            descriptor_text = descriptor_path.read_text(encoding="utf-8")
            descriptor = json.loads(descriptor_text)
            paths = {r["name"]: r["path"] for r in descriptor.get("resources", [])}
            backup = work / "backups" / stamp
            backup.mkdir(parents=True)
            for name in [DESCRIPTOR, "CHANGELOG.md"] + list(paths.values()):
                if (package_dir / name).is_file():
                    shutil.copy2(package_dir / name, backup / name)
            version = _next_version(package_dir)
            current, _ = load_package(package_dir)
            rows = {name: table.rows for name, table in current.tables.items()} | tables
            if changed is None:
                changed = [n for n, t in current.tables.items() if n in tables and tables[n] != t.rows]
            # The new package, checked and placed in memory before anything of it is written.
            candidate = package_from_rows({**descriptor, "version": version}, rows, work)
            lookup = remembering(geocode or get_directory().lookup_many, geocoded or {})
            problems = check_package(candidate, geocode=lookup)
            if problems:
                raise ApplyError("the new package does not pass the check: " + "; ".join(str(p) for p in problems[:10]))
            collection = {"type": "FeatureCollection", "features": site_features(candidate, lookup)}
            written = []
            for name in changed:
                table = candidate.table(name)
                write_csv(work / table.path, [f["name"] for f in table.fields], rows[name])
                written.append(table.path)
            changelog = work / "CHANGELOG.md"
            old_text = changelog.read_text(encoding="utf-8") if changelog.exists() else "# Change log\n\n"
            entry = f"## {date} — {version}\n\n- {change}\n\n"
            changelog.write_text(_insert_changelog(old_text, entry), encoding="utf-8")
            descriptor_path.write_text(
                re.sub(
                    r'("version":\s*")[^"]*(")', lambda m: m.group(1) + version + m.group(2), descriptor_text, count=1
                ),
                encoding="utf-8",
            )
            written += ["CHANGELOG.md", DESCRIPTOR]
            write_built(collection, work / "build" / "sites.geojson")
            written.append("build/sites.geojson")
            if fingerprint(package_dir) != expected_fingerprint:
                raise ApplyError("the data changed while the import was being written: nothing was changed")
            exchange_directories(work, package_dir)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        shutil.rmtree(work, ignore_errors=True)  # now the old package (its backup is kept)
    return ApplyResult(
        version=version,
        date=date,
        backup=package_dir / "backups" / stamp,
        files=written,
        counts=counts,
        sites_built=len(collection["features"]),
    )
