"""Command line: ``python -m geo {geocode,check,build,districts,authorities,hexes,fetch-boundaries,import,publish,feed,sources,wdtk}``.

Others script against these commands; keep their input, output and exit
status stable.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from geo import settings


def cmd_geocode(args: argparse.Namespace) -> int:
    """Print one JSON object per postcode; exit 1 if any is not found.

    If the reader of standard output goes away (``… | head -1``), stop quietly
    with status 141 (128 + SIGPIPE), as a command killed by SIGPIPE would.
    """
    import os

    from geo.places.postcodes import PostcodeError, get_directory

    raws: list[str] = []
    for item in args.postcodes:
        if item == "-":
            # A file saved by a spreadsheet may start with a byte-order mark.
            raws.extend(sys.stdin.read().removeprefix("\ufeff").splitlines())
        else:
            raws.append(item)
    results = get_directory().lookup_many(raws)
    out = sys.stdout
    all_found = True
    try:
        for raw, result in zip(raws, results):
            if isinstance(result, PostcodeError):
                all_found = False
                record = {"postcode": raw, "error": str(result.reason)}
            else:
                record = result.to_dict()
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    except BrokenPipeError:
        # Python's recipe: point stdout at devnull so that the flush at exit does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 141  # 128 + SIGPIPE (13), what a shell reports for a command SIGPIPE killed
    return 0 if all_found else 1


def cmd_check(args: argparse.Namespace) -> int:
    from geo.evidence.datapackage import check_package
    from geo.places.postcodes import get_directory

    problems = check_package(Path(args.directory), geocode=get_directory().lookup_many)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {args.directory}", file=sys.stderr)
        return 1
    print(f"{args.directory}: no problems", file=sys.stderr)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from geo.evidence.build import BuildError, build

    try:
        collection = build(Path(args.directory), Path(args.output), progress=True)
    except BuildError as error:
        for problem in error.problems:
            print(problem)
        print(f"not built: {error}", file=sys.stderr)
        return 1
    print(f"wrote {len(collection['features'])} sites to {args.output}", file=sys.stderr)
    return 0


def cmd_districts(args: argparse.Namespace) -> int:
    from geo.places.districts import generate_districts

    rows = generate_districts()
    print(f"wrote {len(rows)} districts to {settings.DISTRICTS_CSV}", file=sys.stderr)
    return 0


def cmd_authorities(args: argparse.Namespace) -> int:
    from geo.places.authorities import generate

    authorities, names = generate()
    print(
        f"wrote {authorities} authorities to {settings.AUTHORITIES_CSV} and {names} names to "
        f"{settings.AUTHORITY_NAMES_CSV}",
        file=sys.stderr,
    )
    return 0


def cmd_hexes(args: argparse.Namespace) -> int:
    from geo.places.hexes import generate_hexes

    rows = generate_hexes()
    print(f"wrote {len(rows)} hexes to {settings.HEXES_CSV}", file=sys.stderr)
    return 0


def cmd_fetch_boundaries(args: argparse.Namespace) -> int:
    from geo.places.boundaries import BoundariesUnavailable, fetch_boundaries

    try:
        path = fetch_boundaries()
    except BoundariesUnavailable as error:
        print(f"fetch-boundaries: {error}", file=sys.stderr)
        return 1
    print(f"boundaries ready: {path}", file=sys.stderr)
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from geo.evidence.dataset import load_dataset
    from geo.outputs.publish.site import PublishError, publish

    try:
        data = load_dataset(Path(args.data), Path(args.data) / "build" / "sites.geojson")
        report = publish(Path(args.out_dir), data, app_url=settings.app_url())
    except PublishError as error:
        print(f"publish: {error}", file=sys.stderr)
        return 1
    print(
        f"published {report.sites} sites, {report.claims} claims and {report.sources} sources to {report.out_dir} "
        f"(-> {report.version_dir.name}); boundaries {'drawn' if report.boundaries else 'not available'}",
        file=sys.stderr,
    )
    return 0


def cmd_feed(args: argparse.Namespace) -> int:
    """Write the Atom feed of the package's changes (or one council's) to a file, or to standard output."""
    from geo.atomic import write_bytes_atomically
    from geo.evidence.dataset import load_dataset
    from geo.outputs.feed import atom, council_codes, load_changes
    from geo.places.authorities import load_authorities

    data_dir = Path(args.data)
    try:
        data = load_dataset(data_dir, data_dir / "build" / "sites.geojson")
    except (OSError, ValueError) as error:
        print(
            f"feed: cannot read the data in {data_dir} (run `python -m geo build {data_dir}`): {error}", file=sys.stderr
        )
        return 1
    authorities = load_authorities()
    changes = load_changes(data, authorities)
    council = args.council.strip()
    name = ""
    if council:
        authority = authorities.get(council)
        if council not in council_codes(changes):
            print(f"feed: no claim or answer is about the council {council!r}: no feed for it", file=sys.stderr)
            return 1
        name = authority.name if authority is not None else council
    publish_url = settings.publish_url()
    text = atom(changes, council=council, council_name=name, site_url=publish_url or None)
    if args.output == "-":
        sys.stdout.buffer.write(text)
        sys.stdout.flush()
    else:
        write_bytes_atomically(Path(args.output), text)
        print(f"wrote the feed{f' of {name}' if name else ''} to {args.output}", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from geo.importing import ApplyError, apply_import, prepare_import

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as error:
        print(f"cannot read {path}: {error.strerror}", file=sys.stderr)
        return 1
    report = prepare_import(data, path.name, Path(args.data))
    print(report.text())
    clean = not report.fatal and not report.package_problems and bool(report.rows) and not report.rejected
    if not args.apply:
        return 0 if clean else 1
    if not clean:
        print("not applied: fix the rejected rows and run again", file=sys.stderr)
        return 1
    try:
        result = apply_import(report, Path(args.data))
    except ApplyError as error:
        print(f"not applied: {error}", file=sys.stderr)
        return 1
    print(
        f"applied: version {result.version} ({result.date}); wrote {', '.join(result.files)}; "
        f"backup in {result.backup}; {result.sites_built} sites built"
    )
    return 0


def cmd_wdtk_pull(args: argparse.Namespace) -> int:
    """Find, read and record the public requests about the equipment on WhatDoTheyKnow; print the run's report.

    Exit 0 when the run had no error, 1 otherwise (what it could read is recorded all the same).
    """
    import datetime as dt

    from geo.foi.wdtk.client import Client, WdtkError
    from geo.foi.wdtk.pull import pull
    from geo.foi.wdtk.state import State
    from geo.importing import ApplyError

    try:
        since = dt.date.fromisoformat(args.since) if args.since else None
        client = Client.from_settings()
        user = settings.wdtk_user()
    except ValueError as error:
        print(f"wdtk pull: {error}", file=sys.stderr)
        return 2
    if client.base == settings.WHATDOTHEYKNOW_URL and not settings.contact():
        print(
            "wdtk pull: set HIKMAP_CONTACT (an e-mail or web address) so that WhatDoTheyKnow can reach whoever "
            "runs this pull; it goes in the User-Agent of every request",
            file=sys.stderr,
        )
        return 2
    state = State(settings.cache_dir() / "wdtk" / "state.sqlite")
    try:
        report = pull(Path(args.data), client, state, campaign_user=user, since=since)
    except (WdtkError, ApplyError) as error:
        print(f"wdtk pull: nothing written: {error}", file=sys.stderr)
        return 1
    finally:
        state.close()
        client.close()
    print(report.text())
    return 1 if report.errors else 0


def _progress(done: int, total: int, words: str) -> None:
    print(f"{done}/{total} {words}", file=sys.stderr, flush=True)


def cmd_sources_check(args: argparse.Namespace) -> int:
    """Exit 0 when every link works (moved ones included), 1 when any is dead: a scheduled job can alert."""
    import datetime as dt

    from geo.atomic import write_bytes_atomically
    from geo.evidence.datapackage import load_package
    from geo.evidence.linkcheck import (
        DEAD,
        REPORT_COLUMNS,
        addresses,
        checker,
        report_json,
        report_rows,
        report_text,
    )
    from geo.outputs.export import spreadsheet_csv

    package, _problems = load_package(Path(args.data))
    table = package.tables.get("sources")
    if table is None or not table.header:
        print(f"sources check: no sources.csv in {args.data}", file=sys.stderr)
        return 2
    try:
        check = checker()
    except ValueError as error:
        print(f"sources check: {error}", file=sys.stderr)
        return 2
    items = addresses(zip(table.lines, table.rows))
    results = check.check_all(
        items, progress=lambda done, total, r: _progress(done, total, f"{r.outcome:7} {r.address.url}")
    )
    today = dt.date.today().isoformat()
    sys.stdout.write(report_text(results, today))
    if args.report:
        out = Path(args.report)
        if out.suffix.lower() == ".json":
            data = (json.dumps(report_json(results, today), ensure_ascii=False, indent=1) + "\n").encode("utf-8")
        else:
            data = spreadsheet_csv(REPORT_COLUMNS, report_rows(results))
        write_bytes_atomically(out, data)
        print(f"report written to {out}", file=sys.stderr)
    return 1 if any(r.outcome == DEAD for r in results) else 0


def cmd_sources_archive(args: argparse.Namespace) -> int:
    """Exit 0 unless a source failed or the package check found a problem after the write."""
    from geo.evidence.datapackage import check_package
    from geo.evidence.wayback import FAILED, archive_sources, wayback

    try:
        client = wayback()
    except ValueError as error:
        print(f"sources archive: {error}", file=sys.stderr)
        return 2
    try:
        report = archive_sources(
            Path(args.data),
            client,
            dry_run=args.dry_run,
            progress=lambda done, total, o: _progress(done, total, f"{o.result:10} {o.url}"),
        )
    except FileNotFoundError as error:
        print(f"sources archive: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(report.text(dry_run=args.dry_run))
    status = 1 if report.of(FAILED) else 0
    if report.recorded:
        problems = check_package(Path(args.data))
        for problem in problems:
            print(problem)
        if problems:
            print(f"{len(problems)} problem(s) in {args.data} after recording the copies", file=sys.stderr)
            return 1
        print(f"{args.data}: no problems", file=sys.stderr)
    return status


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m geo", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)

    geocode = commands.add_parser("geocode", help="postcodes to WGS84 and district, one JSON object per line")
    geocode.add_argument(
        "postcodes", nargs="+", metavar="POSTCODE", help="postcodes, or - to read them from standard input, one a line"
    )
    geocode.set_defaults(run=cmd_geocode)

    check = commands.add_parser("check", help="validate a data package; print FILE:LINE: FIELD: message")
    check.add_argument("directory", nargs="?", default=str(settings.DATA_DIR), metavar="DIR")
    check.set_defaults(run=cmd_check)

    build = commands.add_parser("build", help="validate, geocode and write the built dataset the app reads")
    build.add_argument("directory", nargs="?", default=str(settings.DATA_DIR), metavar="DIR")
    build.add_argument("--output", default=str(settings.BUILT_SITES))
    build.set_defaults(run=cmd_build)

    districts = commands.add_parser("districts", help="regenerate data/districts.csv from the ONS boundaries")
    districts.set_defaults(run=cmd_districts)

    authorities = commands.add_parser(
        "authorities", help="regenerate data/authorities.csv and authority_names.csv from mySociety's tables"
    )
    authorities.set_defaults(run=cmd_authorities)

    hexes = commands.add_parser("hexes", help="regenerate data/hexes.csv from Open Innovations' hex cartogram")
    hexes.set_defaults(run=cmd_hexes)

    fetch = commands.add_parser(
        "fetch-boundaries",
        help="download the pinned ONS boundaries, hex cartogram and mySociety tables into the cache (once)",
    )
    fetch.set_defaults(run=cmd_fetch_boundaries)

    publisher = commands.add_parser(
        "publish", help="write the public views as static files into OUT_DIR (swapped in whole)"
    )
    publisher.add_argument("out_dir", metavar="OUT_DIR", help="folder (a link to the newest version) to publish into")
    publisher.add_argument("--data", default=str(settings.DATA_DIR), help="the data package (default: data/)")
    publisher.set_defaults(run=cmd_publish)

    feed = commands.add_parser(
        "feed", help="write the Atom feed of the data's changes (or one council's); links need HIKMAP_PUBLISH_URL"
    )
    feed.add_argument("--data", default=str(settings.DATA_DIR), metavar="DIR", help="the data package (default: data/)")
    feed.add_argument("--output", default="-", metavar="FILE", help="file to write (default: standard output)")
    feed.add_argument("--council", default="", metavar="CODE", help="one council's feed (its GSS code)")
    feed.set_defaults(run=cmd_feed)

    importer = commands.add_parser(
        "import", help="check a campaigner's CSV/XLSX of FOI results and claims; --apply writes it"
    )
    importer.add_argument("file", metavar="FILE", help="CSV (UTF-8 or Windows-1252) or .xlsx in the import template")
    importer.add_argument("--apply", action="store_true", help="write the import (refused if any row is rejected)")
    importer.add_argument("--data", default=str(settings.DATA_DIR), metavar="DIR", help="data package to import into")
    importer.set_defaults(run=cmd_import)

    wdtk = commands.add_parser("wdtk", help="WhatDoTheyKnow: the public FOI requests about Hikvision and Dahua")
    wdtk_commands = wdtk.add_subparsers(dest="wdtk_command", required=True)
    wdtk_pull = wdtk_commands.add_parser(
        "pull",
        help="find, read and record every public request about Hikvision or Dahua (HIKMAP_WDTK_URL; resumable)",
    )
    wdtk_pull.add_argument(
        "--data", default=str(settings.DATA_DIR), metavar="DIR", help="the data package to record in"
    )
    wdtk_pull.add_argument("--since", metavar="YYYY-MM-DD", help="only requests with events from this day on")
    wdtk_pull.set_defaults(run=cmd_wdtk_pull)

    sources = commands.add_parser(
        "sources", help="check the sources' links, or find and record their Wayback Machine copies (needs the internet)"
    )
    sources_commands = sources.add_subparsers(dest="sources_command", required=True)
    checking = sources_commands.add_parser(
        "check", help="each address's status and redirects; a report of dead and moved links; exit 1 if any is dead"
    )
    checking.add_argument("--data", default=str(settings.DATA_DIR), metavar="DIR", help="data package (default: data/)")
    checking.add_argument(
        "--report", metavar="FILE", help="also write the report for a spreadsheet (.csv) or a script (.json)"
    )
    checking.set_defaults(run=cmd_sources_check)
    archiving = sources_commands.add_parser(
        "archive", help="find (or ask for) a Wayback Machine copy of each source without one; record it in archive_url"
    )
    archiving.add_argument(
        "--data", default=str(settings.DATA_DIR), metavar="DIR", help="data package (default: data/)"
    )
    archiving.add_argument(
        "--dry-run", action="store_true", help="only look for existing copies: save nothing, write nothing"
    )
    archiving.set_defaults(run=cmd_sources_archive)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
