"""The Atom feed of changes (geo/outputs/feed.py): Atom as a parser reads it, its entries, stable ids,
a byte-identical feed from an unchanged package, hostile text as text, one feed per council."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from conftest import ROOT, scratch_data
from hostile import hostile_package

from geo.evidence.dataset import load_dataset, read_changelog
from geo.outputs import feed
from geo.places.authorities import load_authorities

A = "{http://www.w3.org/2005/Atom}"
DATA = load_dataset()
AUTHORITIES = load_authorities()
# A council with no claim in the shipped data: the scratch package's fictional answer gives it a feed.
QUIET_COUNCIL = "E06000017"
ARCHIVED = "https://web.archive.org/web/20990101000000/https://example.org/fictional-archived-page"


def parse(text: bytes) -> ET.Element:
    return ET.fromstring(text)


def entries(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{A}entry")


def text_of(element: ET.Element, name: str) -> str:
    child = element.find(f"{A}{name}")
    assert child is not None, name
    return child.text or ""


def assert_atom(text: bytes) -> ET.Element:
    """An Atom document: the namespace, the feed's id/title/updated/author, and each entry's id/title/updated,
    dates as RFC 3339, ids unique, the feed's updated its newest entry's."""
    assert text.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = parse(text)
    assert root.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert text_of(root, name).strip(), name
    assert root.find(f"{A}author/{A}name") is not None
    ids, times = [], []
    for entry in entries(root):
        ids.append(text_of(entry, "id"))
        assert text_of(entry, "title").strip()
        times.append(dt.datetime.fromisoformat(text_of(entry, "updated")))
        content = entry.find(f"{A}content")
        assert content is not None and content.get("type") == "text" and list(content) == []
        for link in entry.findall(f"{A}link"):
            assert link.get("href", "").startswith(("https://", "http://", "table.html", "sources.html", "../"))
    assert len(ids) == len(set(ids))
    # tag: URIs (RFC 4151), the feed's and its entries' of one tagging entity and date.
    prefix = text_of(root, "id").split(":", 2)
    assert prefix[0] == "tag" and all(i.startswith(f"tag:{prefix[1]}:") for i in ids)
    updated = dt.datetime.fromisoformat(text_of(root, "updated"))
    assert updated.tzinfo is not None
    if times:
        assert updated == max(times)
    return root


@pytest.fixture(scope="module")
def changes():
    return feed.load_changes(DATA, AUTHORITIES)


def test_the_feed_is_atom_with_every_correction_release_and_read_claim(changes):
    root = assert_atom(feed.atom(changes))
    assert text_of(root, "id") == "tag:hikvision-uk-public-buildings,2026-11-26:feed"
    by_id = {text_of(e, "id"): e for e in entries(root)}
    with (ROOT / "data" / "corrections.csv").open(encoding="utf-8", newline="") as handle:
        corrections = list(csv.DictReader(handle))
    assert corrections, "the shipped data has corrections"
    for row in corrections:
        entry = by_id[f"tag:hikvision-uk-public-buildings,2026-11-26:correction/{row['id']}"]
        assert text_of(entry, "updated") == f"{row['date']}T00:00:00+00:00"
        assert text_of(entry, "title").startswith("Correction: ") and row["subject"] in text_of(entry, "title")
        content = text_of(entry, "content")
        for field in ("was", "now", "why"):
            assert row[field] in content
    for date, version, _ in read_changelog(ROOT / "data" / "CHANGELOG.md"):
        entry = by_id[f"tag:hikvision-uk-public-buildings,2026-11-26:release/{version}"]
        assert text_of(entry, "updated").startswith(date) and version in text_of(entry, "title")
    thurrock = by_id["tag:hikvision-uk-public-buildings,2026-11-26:claim/thurrock-council-area-hikvision-2019"]
    assert text_of(thurrock, "title") == "Thurrock Council: Hikvision, removal promised"
    assert "Read against its sources on 2026-12-03" in text_of(thurrock, "content")
    assert "we no longer use Hikvision as a supplier" in text_of(thurrock, "content")  # the source's own words
    claims = [i for i in by_id if ":claim/" in i]
    assert len(claims) == len(DATA.claims)  # every claim of the shipped data has a checked link
    # Newest first; the release 2.1.0 and its corrections share a date.
    dates = [text_of(e, "updated") for e in entries(root)]
    assert dates == sorted(dates, reverse=True)
    # No published copy given: no links at all.
    assert root.findall(f".//{A}link") == []


def test_an_unchanged_package_writes_a_byte_identical_feed(changes):
    first = feed.atom(changes, site_url="")
    again = feed.atom(feed.load_changes(load_dataset(), load_authorities()), site_url="")
    assert first == again
    council = feed.atom(changes, council="E06000034", council_name="Thurrock Council", site_url="../")
    assert council == feed.atom(changes, council="E06000034", council_name="Thurrock Council", site_url="../")


def test_updated_is_the_newest_entrys_date_never_now():
    old = feed.Entry("correction", "b", dt.date(2020, 5, 1), "Fictional old", "Fictional")
    new = feed.Entry("claim", "a", dt.date(2021, 2, 3), "Fictional new", "Fictional")
    changes = feed.Changes("fictional-package", dt.date(2019, 1, 1), (new, old), dt.date(2022, 1, 1))
    root = assert_atom(feed.atom(changes))
    assert text_of(root, "updated") == "2021-02-03T00:00:00+00:00"
    assert text_of(root, "id") == "tag:fictional-package,2019-01-01:feed"
    # A feed with no entries is dated by the change log, not by the clock.
    empty = feed.Changes("fictional-package", dt.date(2019, 1, 1), (), dt.date(2022, 1, 1))
    assert text_of(parse(feed.atom(empty)), "updated") == "2022-01-01T00:00:00+00:00"


def test_links_are_absolute_under_the_publish_url_relative_otherwise_and_only_http(changes):
    absolute = parse(feed.atom(changes, site_url="https://news.example.org/map"))
    hrefs = [link.get("href") for link in absolute.iter(f"{A}link")]
    assert hrefs and all(h.startswith("https://news.example.org/map/") for h in hrefs)
    assert absolute.find(f"{A}link[@rel='self']").get("href") == "https://news.example.org/map/feed.xml"
    relative = parse(feed.atom(changes, council="E06000034", site_url="../"))
    assert relative.find(f"{A}link[@rel='self']").get("href") == "../feeds/E06000034.xml"
    assert relative.find(f"{A}link[@rel='alternate']").get("href") == "../table.html?council=E06000034"
    # A page of the site needs a site; an address elsewhere must be http(s).
    hostile = feed.Entry("answer", "x", dt.date(2021, 1, 1), "Fictional", "Fictional", "javascript:alert(1)")
    other = feed.Entry("answer", "y", dt.date(2021, 1, 1), "Fictional", "Fictional", "https://example.org/answer")
    root = parse(feed.atom(feed.Changes("fictional", dt.date(2019, 1, 1), (hostile, other), None), site_url=""))
    assert [link.get("href") for link in root.iter(f"{A}link")] == [
        "feed.xml",
        "index.html",
        "https://example.org/answer",
    ]
    with pytest.raises(ValueError):
        feed.atom(feed.Changes("fictional", dt.date(2019, 1, 1), (), None), site_url="ftp://example.org/")


def test_each_council_feed_holds_only_that_councils_changes(changes):
    codes = feed.council_codes(changes)
    assert "E06000034" in codes and QUIET_COUNCIL not in codes
    root = assert_atom(feed.atom(changes, council="E06000034", council_name="Thurrock Council"))
    ids = [text_of(e, "id").split(":", 2)[2] for e in entries(root)]
    assert ids == ["correction/2026-12-03-thurrock-status", "claim/thurrock-council-area-hikvision-2019"]
    assert text_of(root, "title").startswith("Thurrock Council: ")
    assert text_of(root, "id").endswith(":feed/council/E06000034")
    # Every entry of every council's feed is in the whole feed, under the same id.
    whole = {text_of(e, "id") for e in entries(parse(feed.atom(changes)))}
    for code in codes:
        assert {text_of(e, "id") for e in entries(parse(feed.atom(changes, council=code)))} <= whole


def test_xml_forbidden_characters_become_replacement_characters():
    entry = feed.Entry("claim", "c", dt.date(2021, 1, 1), "Fictional \x01 title \x0b", "Fictional \x00 body \ufffe")
    root = parse(feed.atom(feed.Changes("fictional", dt.date(2019, 1, 1), (entry,), None)))
    assert text_of(entries(root)[0], "title") == "Fictional \ufffd title \ufffd"
    assert text_of(entries(root)[0], "content") == "Fictional \ufffd body \ufffd"


def test_hostile_text_is_text_in_the_feed(tmp_path):
    data_dir, values = hostile_package(tmp_path, tmp_path / "template-ran")
    hostile = load_dataset(data_dir, data_dir / "build" / "sites.geojson")
    changes = feed.load_changes(hostile, AUTHORITIES)
    text = feed.atom(changes, site_url="")
    root = assert_atom(text)
    # Nothing but Atom's own elements, whatever the data says: no markup got in.
    allowed = {"feed", "id", "title", "updated", "author", "name", "link", "generator", "rights", "subtitle"}
    allowed |= {"entry", "content", "lang"}
    assert {element.tag.removeprefix(A) for element in root.iter()} <= allowed
    words = "\n".join(text_of(e, "title") + "\n" + text_of(e, "content") for e in entries(root))
    found = [v for v in values if v in words]
    assert found == values  # each value, literally, as text
    assert b"<script>" not in text and b"<img src=x" not in text and b"<svg onload" not in text
    assert all(not link.get("href", "").lower().startswith(("javascript:", "data:")) for link in root.iter(f"{A}link"))
    assert not (tmp_path / "template-ran").exists()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A copy of the data with a fictional claim, a correction of it, an answer and an archived source."""
    folder = tmp_path_factory.mktemp("feed-scratch")
    data = scratch_data(
        folder,
        sites=[
            {
                "id": "fictional-feed-hall",
                "name": "Fictional Feed Test Hall",
                "organisation": "Fictional Feed Test Body",
                "kind": "other-public-body",
                "address": "1 Fictional Street",
                "postcode": "CF10 3NQ",
                "precision": "building",
                "note": "Fictional test record",
            }
        ],
        claims=[
            {
                "id": "fictional-feed-claim",
                "site": "fictional-feed-hall",
                "vendor": "other",
                "claim": "A fictional claim for a test of the feed.",
                "grade": "reported",
                "reported": "2024",
                "status": "reported",
                "sources": ["intercept-2019-hikvision-uk-parliament"],
            }
        ],
    )

    def append(name: str, row: dict) -> None:
        with (data / name).open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        with (data / name).open("a", encoding="utf-8", newline="") as handle:
            csv.DictWriter(handle, fieldnames=header, lineterminator="\n").writerow(row)

    append(
        "corrections.csv",
        {
            "id": "2026-11-30-fictional-feed",
            "date": "2026-11-30",
            "subject": "fictional-feed-claim",
            "was": "A fictional earlier wording.",
            "now": "A fictional later wording.",
            "why": "A fictional reason, for a test.",
        },
    )
    append(
        "foi_requests.csv",
        {
            "id": "fictional-feed-request",
            "organisation": "Fictional Test Council (a test row, not the council's words)",
            "authority": QUIET_COUNCIL,
            "sent": "2026-10-01",
            "answered": "2026-10-20",
            "url": "https://example.org/fictional-request",
            "status": "answered",
            "finding": "none",
            "outcome": "A fictional outcome.",
            "note": "Fictional test row.",
        },
    )
    sources = (data / "sources.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    with (data / "sources.csv").open("w", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(sources)
        writer = csv.DictWriter(handle, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        for row in reader:
            if row["id"] == "intercept-2019-hikvision-uk-parliament":
                row["archive_url"] = ARCHIVED
            writer.writerow(row)
    check = subprocess.run(
        [sys.executable, "-m", "geo", "check", str(data)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert check.returncode == 0, check.stdout + check.stderr
    return data


def test_a_new_change_adds_an_entry_and_keeps_every_other_id(scratch, changes):
    before = {text_of(e, "id") for e in entries(parse(feed.atom(changes)))}
    data = load_dataset(scratch, scratch / "build" / "sites.geojson")
    after_changes = feed.load_changes(data, AUTHORITIES)
    root = assert_atom(feed.atom(after_changes))
    after = {text_of(e, "id"): e for e in entries(root)}
    tag = "tag:hikvision-uk-public-buildings,2026-11-26:"
    assert set(after) - before == {
        tag + "claim/fictional-feed-claim",
        tag + "correction/2026-11-30-fictional-feed",
        tag + "answer/fictional-feed-request",
    }
    assert before <= set(after)
    answer = after[tag + "answer/fictional-feed-request"]
    assert text_of(answer, "updated") == "2026-10-20T00:00:00+00:00"
    assert text_of(answer, "title") == (
        "Fictional Test Council (a test row, not the council's words) answered a freedom of information request: "
        "has none"
    )
    assert "Finding: Has none." in text_of(answer, "content") and "A fictional outcome." in text_of(answer, "content")
    correction = after[tag + "correction/2026-11-30-fictional-feed"]
    assert text_of(correction, "title") == "Correction: the claim about Fictional Feed Test Body (fictional-feed-claim)"
    # The answer gives the quiet council a feed of its own, and the fictional hall's claim goes to Cardiff's.
    assert QUIET_COUNCIL in feed.council_codes(after_changes)
    quiet = parse(feed.atom(after_changes, council=QUIET_COUNCIL))
    assert [text_of(e, "id") for e in entries(quiet)] == [tag + "answer/fictional-feed-request"]
    cardiff = {text_of(e, "id") for e in entries(parse(feed.atom(after_changes, council="W06000015")))}
    assert {tag + "claim/fictional-feed-claim", tag + "correction/2026-11-30-fictional-feed"} <= cardiff


def test_the_command_writes_a_feed_to_a_file(tmp_path, scratch):
    out = tmp_path / "changes.xml"
    env = {"HIKMAP_PUBLISH_URL": "https://news.example.org/map"}
    result = subprocess.run(
        [sys.executable, "-m", "geo", "feed", "--data", str(scratch), "--output", str(out), "--council", QUIET_COUNCIL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, **env},
    )
    assert result.returncode == 0, result.stderr
    root = assert_atom(out.read_bytes())
    assert root.find(f"{A}link[@rel='self']").get("href") == f"https://news.example.org/map/feeds/{QUIET_COUNCIL}.xml"
    assert len(entries(root)) == 1
    refused = subprocess.run(
        [sys.executable, "-m", "geo", "feed", "--council", "E99999999"], cwd=ROOT, capture_output=True, text=True
    )
    assert refused.returncode == 1 and "no feed" in refused.stderr


def test_the_popups_sources_carry_an_archived_copy_only_when_http(scratch):
    from geo.outputs.mapview import map_data

    data = load_dataset(scratch, scratch / "build" / "sites.geojson")
    payload = map_data(data.sites, data.claims, data.sources, data.vocabulary)
    assert payload["sources"]["intercept-2019-hikvision-uk-parliament"][3] == ARCHIVED
    assert all(len(s) == 4 for s in payload["sources"].values())
    odd = data.sources.assign(archive_url="javascript:alert(1)")
    payload = map_data(data.sites, data.claims, odd, data.vocabulary)
    assert {s[3] for s in payload["sources"].values()} == {""}
