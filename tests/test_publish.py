"""The published static site: what it writes, how it swaps in, and that data stays text.

The browser half (same selection as the app, no outside requests, phone
width) is in test_publish_browser.py.
"""

from __future__ import annotations

import html
import json
import os
import re

import pytest
from hostile import hostile_package

from geo import settings
from geo.evidence.dataset import load_dataset
from geo.outputs.publish import site as publishing

pytestmark = pytest.mark.boundaries

DATA = load_dataset()
NO_TILES = settings.TILE_SOURCES["none"]
PAGES = ("index.html", "table.html", "sources.html")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("published") / "site"
    report = publishing.publish(out, DATA, tiles=NO_TILES)
    return out, report


def test_publish_writes_every_view_with_its_assets(site):
    out, report = site
    assert out.is_symlink() and out.resolve() == report.version_dir.resolve()
    for name in PAGES:
        assert (out / name).is_file()
    for path in (
        "vendor/leaflet/leaflet.js",
        "vendor/markercluster/leaflet.markercluster.js",
        "vendor/topojson/topojson-client.min.js",
        "assets/sitelayer.js",
        "assets/filters.js",
        "assets/publish.js",
        "assets/publish.css",
        "assets/map.css",
        "downloads/hikvision-evidence.csv",
        "downloads/hikvision-evidence.geojson",
        "downloads/hikvision-evidence-data-package.zip",
    ):
        assert (out / path).is_file(), path
    # Only what the pages load: Leaflet, its cluster plugin and topojson-client, no jQuery or other leftovers.
    assert sorted(p.name for p in (out / "vendor").iterdir()) == ["leaflet", "markercluster", "topojson"]
    assert sorted(p.name for p in (out / "vendor" / "markercluster").iterdir()) == [
        "MarkerCluster.Default.css",
        "MarkerCluster.css",
        "leaflet.markercluster.js",
    ]
    assert (report.sites, report.claims, report.sources) == (len(DATA.sites), len(DATA.claims), len(DATA.sources))
    # The map data has every popup's claims, whatever the number of sites.
    # The first paint's file names the file of the popups' evidence, fetched when one opens.
    sites_json = next((out / "data").glob("sites-" + "[0-9a-f]" * 16 + ".json"))
    payload = json.loads(sites_json.read_text(encoding="utf-8"))
    assert payload["detail"] is True and "claims" not in payload and payload["details"].startswith("data/")
    details = json.loads((out / payload["details"]).read_text(encoding="utf-8"))
    assert len(details["claims"]) == len(DATA.claims) and len(details["claims_of"]) == len(DATA.sites)


def test_every_link_is_relative_and_every_request_stays_on_the_site(site):
    out, _ = site
    for name in PAGES:
        text = (out / name).read_text(encoding="utf-8")
        for attribute, url in re.findall(r'\b(src|href)="([^"]*)"', text):
            url = html.unescape(url)
            if attribute == "src" or name != "sources.html":
                assert not url.startswith(("/", "http:", "https:", "//")), (name, url)
        policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', text).group(1)
        policy = html.unescape(policy)
        assert "default-src 'self'" in policy and "script-src 'self'" in policy and "connect-src 'self'" in policy
        assert "http" not in policy  # no tiles configured: no outside host at all
        assert "<script>" not in text  # no inline script: data arrives as JSON files


@pytest.mark.parametrize("tiles", sorted(settings.TILE_SOURCES))
def test_the_policy_allows_no_inline_style_or_script(tiles):
    """An outside review found style-src 'unsafe-inline' while SECURITY.md said otherwise."""
    policy = publishing.content_security_policy(settings.TILE_SOURCES[tiles])
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "style-src 'self';" in policy and "script-src 'self';" in policy


def test_tiles_are_the_only_outside_host_allowed():
    policy = publishing.content_security_policy(settings.TILE_SOURCES["osm"])
    assert re.findall(r"https?://[^\s;]+", policy) == ["https://tile.openstreetmap.org"]
    assert "img-src 'self' data: https://tile.openstreetmap.org" in policy


def test_publishing_again_swaps_the_whole_site_and_keeps_one_previous_version(tmp_path):
    out = tmp_path / "site"
    first = publishing.publish(out, DATA, tiles=NO_TILES)
    second = publishing.publish(out, DATA, tiles=NO_TILES)
    third = publishing.publish(out, DATA, tiles=NO_TILES)
    assert out.resolve() == third.version_dir.resolve()
    versions = sorted(p.name for p in (tmp_path / ".site.versions").iterdir())
    assert versions == sorted([second.version_dir.name, third.version_dir.name])
    assert not first.version_dir.exists()
    assert [p.name for p in tmp_path.iterdir() if ".link-" in p.name] == []


def test_a_failed_publish_leaves_the_served_site_untouched(tmp_path, monkeypatch):
    out = tmp_path / "site"
    good = publishing.publish(out, DATA, tiles=NO_TILES)
    before = (out / "index.html").read_bytes()

    def half_then_fail(target, *args, **kwargs):
        (target / "index.html").write_text("half-written", encoding="utf-8")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(publishing, "build_site", half_then_fail)
    with pytest.raises(OSError, match="simulated"):
        publishing.publish(out, DATA, tiles=NO_TILES)
    assert out.resolve() == good.version_dir.resolve()
    assert (out / "index.html").read_bytes() == before
    assert [p.name for p in (tmp_path / ".site.versions").iterdir()] == [good.version_dir.name]


def test_publish_refuses_a_folder_it_did_not_write(tmp_path):
    out = tmp_path / "someone-elses"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(publishing.PublishError, match="was not written by"):
        publishing.publish(out, DATA, tiles=NO_TILES)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me" and not out.is_symlink()


def test_hostile_text_is_escaped_in_the_pages_and_literal_in_the_data(tmp_path):
    marker = tmp_path / "server-side-template-ran"
    data_dir, values = hostile_package(tmp_path, marker)
    hostile = load_dataset(data_dir, data_dir / "build" / "sites.geojson")
    out = tmp_path / "site"
    publishing.publish(out, hostile, tiles=NO_TILES)
    for name in PAGES:
        text = (out / name).read_text(encoding="utf-8")
        assert "<script>window.hikmapPwned" not in text and "<img src=x" not in text and "<svg onload" not in text
        assert 'href="javascript:' not in text.lower() and 'href="data:' not in text.lower()
    sources = (out / "sources.html").read_text(encoding="utf-8")
    shown = [v for v in values if html.escape(v, quote=True) in sources]
    assert shown, "the corpus reached the sources page, escaped"
    assert not marker.exists()
    table = json.loads(next((out / "data").glob("table-*.json")).read_text(encoding="utf-8"))
    assert set(values) & set(table["claim"]), "the table's data holds the values literally"


def test_the_command_publishes_and_says_where(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "public"
    env = {**os.environ, "HIKMAP_TILES": "none"}
    result = subprocess.run(
        [sys.executable, "-m", "geo", "publish", str(out)],
        cwd=settings.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert f"to {out}" in result.stderr and (out / "index.html").is_file()


def _broken_copy(tmp_path):
    """A copy of the data package that the check refuses (a claim cites a source that does not exist)."""
    import shutil

    data_dir = tmp_path / "data"
    shutil.copytree(settings.DATA_DIR, data_dir, ignore=shutil.ignore_patterns("backups"))
    links = data_dir / "claim_sources.csv"
    lines = links.read_text(encoding="utf-8").splitlines(keepends=True)
    claim = lines[1].split(",")[0]
    broken = f"{claim},no-such-source-fictional,A fictional quote.,2026-11-30,A fictional test row.\n"
    links.write_text("".join(lines + [broken]), encoding="utf-8")
    return data_dir


def test_a_package_the_check_refuses_is_never_published(tmp_path):
    out = tmp_path / "site"
    good = publishing.publish(out, DATA, tiles=NO_TILES)
    before = (out / "index.html").read_bytes()
    data_dir = _broken_copy(tmp_path)
    broken = load_dataset(data_dir, data_dir / "build" / "sites.geojson")
    with pytest.raises(publishing.PublishError, match="no-such-source-fictional"):
        publishing.publish(out, broken, tiles=NO_TILES)
    assert out.resolve() == good.version_dir.resolve()
    assert (out / "index.html").read_bytes() == before
    assert [p.name for p in (tmp_path / ".site.versions").iterdir()] == [good.version_dir.name]


def test_the_command_refuses_a_package_the_check_refuses(tmp_path):
    import subprocess
    import sys

    data_dir = _broken_copy(tmp_path)
    out = tmp_path / "public"
    env = {**os.environ, "HIKMAP_TILES": "none"}
    result = subprocess.run(
        [sys.executable, "-m", "geo", "publish", str(out), "--data", str(data_dir)],
        cwd=settings.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "claim_sources.csv" in result.stderr and "nothing was published" in result.stderr
    assert not out.exists() and not (tmp_path / ".public.versions").exists()


def test_the_hosting_example_in_security_md_sends_the_pages_own_policy():
    text = (settings.PROJECT_ROOT / "SECURITY.md").read_text(encoding="utf-8")
    policy = publishing.content_security_policy(settings.TILE_SOURCES["osm"])
    assert f'add_header Content-Security-Policy "{policy}" always;' in text
    for header in ('X-Content-Type-Options "nosniff"', 'Referrer-Policy "no-referrer"', "Content-Disposition"):
        assert f"add_header {header}" in text


def test_the_feeds_are_published_and_every_page_links_the_whole_maps(site):
    import xml.etree.ElementTree as ET

    from geo.outputs import feed
    from geo.places.authorities import load_authorities

    out, _ = site
    atom = "{http://www.w3.org/2005/Atom}"
    whole = ET.fromstring((out / "feed.xml").read_bytes())
    assert whole.tag == f"{atom}feed" and len(whole.findall(f"{atom}entry")) > len(DATA.claims)
    # Without HIKMAP_PUBLISH_URL the links are relative to the feed: the site's pages beside it.
    assert whole.find(f"{atom}link[@rel='alternate']").get("href") == "index.html"
    authorities = load_authorities()
    expected = {
        code
        for code in feed.council_codes(feed.load_changes(DATA, authorities))
        if (a := authorities.get(code)) is not None and a.current and a.is_council
    }
    assert "E06000034" in expected  # Thurrock: its claim and its correction
    assert {p.stem for p in (out / "feeds").iterdir()} == expected
    for code in expected:
        root = ET.fromstring((out / "feeds" / f"{code}.xml").read_bytes())
        assert root.find(f"{atom}id").text.endswith(f":feed/council/{code}") and root.findall(f"{atom}entry")
        assert root.find(f"{atom}link[@rel='alternate']").get("href") == f"../table.html?council={code}"
    alternate = '<link rel="alternate" type="application/atom+xml" title="Changes: Hikvision cameras in UK public buildings" href="feed.xml">'
    for name in PAGES:
        text = (out / name).read_text(encoding="utf-8")
        head = text.split("</head>", 1)[0]
        assert head.count(alternate) == 1, name
        assert '<a href="feed.xml" type="application/atom+xml">Follow changes (Atom feed)</a>' in text
    # The map and the table offer a council's feed when filtered to it (publish.js fills the place).
    for name in ("index.html", "table.html"):
        config = json.loads(
            re.search(r'id="hikmap-page">(.*?)</script>', (out / name).read_text(encoding="utf-8")).group(1)
        )
        assert config["councilFeeds"]["E06000034"] == ["feeds/E06000034.xml", "Thurrock Council"]
        assert set(config["councilFeeds"]) == expected


def test_with_a_publish_url_the_feeds_links_are_absolute(tmp_path, monkeypatch):
    import xml.etree.ElementTree as ET

    monkeypatch.setenv("HIKMAP_PUBLISH_URL", "https://news.example.org/hikvision-map/")
    out = tmp_path / "site"
    publishing.publish(out, DATA, tiles=NO_TILES)
    atom = "{http://www.w3.org/2005/Atom}"
    root = ET.fromstring((out / "feeds" / "E06000034.xml").read_bytes())
    hrefs = [link.get("href") for link in root.iter(f"{atom}link")]
    assert "https://news.example.org/hikvision-map/feeds/E06000034.xml" in hrefs
    assert all(h.startswith("https://news.example.org/hikvision-map/") for h in hrefs)
    # The pages themselves stay relative: the folder works from any path.
    assert 'href="feed.xml"' in (out / "index.html").read_text(encoding="utf-8")


def test_an_archived_copy_is_offered_beside_the_source_escaped_and_http_only(tmp_path):
    import csv

    from conftest import scratch_data

    data_dir = scratch_data(tmp_path / "scratch")
    archived = "https://web.archive.org/web/20990101000000/https://example.org/fictional?a=1&b=2"
    path = data_dir / "sources.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    reader = csv.DictReader(lines)
    rows = list(reader)
    rows[0]["archive_url"] = archived
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    data = load_dataset(data_dir, data_dir / "build" / "sites.geojson")
    out = tmp_path / "site"
    publishing.publish(out, data, tiles=NO_TILES)
    text = (out / "sources.html").read_text(encoding="utf-8")
    item = re.search(rf'<li id="source-{re.escape(rows[0]["id"])}".*?</li>', text).group(0)
    assert f'<a href="{html.escape(archived, quote=True)}" rel="noopener noreferrer">archived copy</a>' in item
    assert text.count(">archived copy</a>") == 1
