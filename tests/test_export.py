"""Exports: CSV (formula-safe, BOM), GeoJSON, the data package zip, and the sources views."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
import pytest

from geo.evidence import citations, licences
from geo.evidence.dataset import load_dataset
from geo.outputs import export
from geo.outputs.text import changelog_markdown, markdown_link


@pytest.fixture(scope="module")
def data():
    return load_dataset()


def _one_claim(text: str, response: str = "") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    sites = pd.DataFrame(
        [
            {
                "id": "fictional-site",
                "name": "Fictional Town Hall",
                "organisation": "+Fictional Council",
                "kind": "council",
                "authority": "",
                "authority_name": "",
                "area_codes": (),
                "address": "1 Nowhere Street",
                "postcode": "",
                "precision": "building",
                "location_source": "",
                "note": "",
                "lad_code": "E09000033",
                "lad_name": "Westminster",
                "region": "London",
                "nation": "England",
                "grade": "reported",
                "lat": 51.5,
                "lon": -0.13,
            }
        ]
    )
    claims = pd.DataFrame(
        [
            {
                "id": "fictional-claim",
                "site": "fictional-site",
                "vendor": "hikvision",
                "claim": text,
                "grade": "reported",
                "reported": "2024-01",
                "status": "reported",
                "equipment_count": None,
                "sources": ("fictional-source", "no-url-source"),
                "response": response,
            }
        ]
    )
    sources = pd.DataFrame(
        [
            {
                "id": "fictional-source",
                "title": "A title",
                "publisher": "A publisher",
                "published": "2024",
                "kind": "press",
                "url": "https://example.org/a(b)",
                "archive_url": "",
                "note": "",
            },
            {
                "id": "no-url-source",
                "title": "Unpublished",
                "publisher": "Someone",
                "published": "2024",
                "kind": "press",
                "url": "javascript:alert(1)",
                "archive_url": "",
                "note": "",
            },
        ]
    )
    return sites, claims, sources


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_starts_are_neutralised(start):
    cell = start + 'HYPERLINK("http://evil.example","x")'
    assert export.neutralise_cell(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell",
    [
        "Plain text",
        "2021-11-17",
        "",
        "a=b",
        "'quoted already",
        "12",
        "x\n=1",
        "\u2212 minus sign",
        "（＝ in brackets）",
    ],
)
def test_safe_cells_are_unchanged(cell):
    assert export.neutralise_cell(cell) == cell


# Shapes an outside review found passing the old guard: a leading line break or blank before the
# formula character, and the full-width forms that NFKC folds into = + - @.
@pytest.mark.parametrize(
    "cell",
    [
        '\n=HYPERLINK("http://evil.example")',
        "\r\n+1+1",
        " =sum(1)",
        "\u3000=1",
        "\xa0@SUM(1)",
        '＝HYPERLINK("http://evil.example")',
        "＋1",
        "－1",
        "＠SUM(1)",
        " \n ＝1",
        "﹦1",
    ],
)
def test_formulas_behind_blanks_or_in_full_width_are_neutralised(cell):
    assert export.neutralise_cell(cell) == "'" + cell


def _cells(raw: bytes) -> list[str]:
    import csv

    return [cell for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"))) for cell in row]


def test_every_spreadsheet_csv_the_project_writes_neutralises_every_shape():
    """The claims export, the councils' batch and the progress table: one writer, one rule."""
    from geo.foi import asking, known
    from geo.places.authorities import Authority

    hostile = ["\n=1+1", '＝HYPERLINK("http://evil.example")', " ＋1", "＠SUM(1)", "\t-1"]
    sites, claims, sources = _one_claim(hostile[0], response=hostile[1])
    sites["name"] = hostile[2]
    outputs = {"selection": export.selection_csv(sites, claims, sources)}
    council = Authority(
        code="FIC",
        gss_code="E07999999",
        name=hostile[3],
        nice_name=hostile[3],
        type="Non-metropolitan district",
        county="",
        nation="England",
        region=hostile[4],
        current=True,
        end_date="",
        replaced_by=(),
        wdtk_id="",
        lat=None,
        lon=None,
    )
    outputs["batch"] = asking.batch_csv([council])
    progress = pd.DataFrame(
        [
            {"nation": hostile[1], **dict.fromkeys(known.PROGRESS_COLUMNS, 1)},
            {"nation": "United Kingdom", **dict.fromkeys(known.PROGRESS_COLUMNS, 1)},
        ]
    )
    regions = progress.rename(columns={"nation": "region"})
    outputs["progress"] = known.progress_csv(progress, regions)
    for name, raw in outputs.items():
        cells = _cells(raw)
        assert raw.startswith(b"\xef\xbb\xbf"), name
        for cell in cells:
            assert export.neutralise_cell(cell) == cell, (name, cell)
        shown = [value for value in hostile if "'" + value in cells]
        assert shown, f"{name}: the hostile text should be there, neutralised"


def test_csv_has_bom_and_round_trips_through_pandas(data):
    raw = export.selection_csv(data.sites, data.claims, data.sources)
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns) == list(export.CLAIM_EXPORT_COLUMNS)
    assert len(table) == len(data.claims)
    assert set(table["claim_id"]) == set(data.claims["id"])
    # every claim carries its sources, and the URLs are http(s) only
    first = data.claims.iloc[0]
    row = table[table["claim_id"] == first["id"]].iloc[0]
    assert row["source_ids"].split(";") == list(first["sources"])
    assert all(u.startswith(("https://", "http://")) for u in row["source_urls"].split(";") if u)


def test_csv_neutralises_a_formula_claim_and_organisation():
    sites, claims, sources = _one_claim('=HYPERLINK("http://evil.example","click")', response="@SUM(1)")
    raw = export.selection_csv(sites, claims, sources)
    table = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    row = table.iloc[0]
    assert row["claim"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["response"] == "'@SUM(1)"
    assert row["organisation"] == "'+Fictional Council"
    # no cell of the file begins with a formula character
    for cell in table.to_numpy().ravel():
        assert export.neutralise_cell(cell) == str(cell), cell
    # a non-http(s) URL is never exported
    assert row["source_urls"] == "https://example.org/a(b)"
    assert "javascript" not in raw.decode("utf-8-sig")


def test_csv_of_an_empty_selection_has_the_header_only(data):
    raw = export.selection_csv(data.sites.iloc[0:0], data.claims.iloc[0:0], data.sources)
    text = raw.decode("utf-8-sig")
    assert text.strip() == ",".join(export.CLAIM_EXPORT_COLUMNS)


def test_geojson_has_sites_with_their_claims(data):
    collection = json.loads(export.selection_geojson(data.sites, data.claims, data.sources))
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == len(data.sites)
    total_claims = sum(len(f["properties"]["claims"]) for f in collection["features"])
    assert total_claims == len(data.claims)
    feature = collection["features"][0]
    lon, lat = feature["geometry"]["coordinates"]
    assert 49 < lat < 61 and -9 < lon < 2.5
    for f in collection["features"]:
        for claim in f["properties"]["claims"]:
            for source in claim["sources"]:
                assert source["url"] == "" or source["url"].startswith(("https://", "http://"))


def test_geojson_keeps_text_as_is_and_drops_unsafe_urls():
    sites, claims, sources = _one_claim("=1+1")
    collection = json.loads(export.selection_geojson(sites, claims, sources))
    claim = collection["features"][0]["properties"]["claims"][0]
    assert claim["claim"] == "=1+1"
    assert [s["url"] for s in claim["sources"]] == ["https://example.org/a(b)", ""]


def test_package_zip_holds_the_whole_package(data):
    archive = zipfile.ZipFile(io.BytesIO(export.package_zip()))
    names = {n.split("/", 1)[1] for n in archive.namelist()}
    for resource in data.descriptor["resources"]:
        assert resource["path"] in names
    assert {"datapackage.json", "README.md", "CHANGELOG.md", "LICENSE.txt"} <= names
    licence = next(archive.read(n) for n in archive.namelist() if n.endswith("LICENSE.txt")).decode()
    assert "CC BY 4.0" in licence and "https://creativecommons.org/licenses/by/4.0/" in licence
    assert "CODE:" in licence
    assert "Royal Mail" in licence and "Office for National Statistics" in licence
    assert json.loads(next(archive.read(n) for n in archive.namelist() if n.endswith("datapackage.json")))


def test_code_licence_name(tmp_path):
    assert licences.code_licence_name(tmp_path / "missing") == "see the LICENSE file in the code repository"
    mit = tmp_path / "LICENSE"
    mit.write_text("MIT License\n\nCopyright (c) 2026 someone\n\nPermission is hereby granted, free of charge, ...")
    assert licences.code_licence_name(mit) == "MIT License"
    other = tmp_path / "OTHER"
    other.write_text("\n  Apache License\n  Version 2.0\n")
    assert licences.code_licence_name(other) == "Apache License"


def test_citations_by_source_finds_claims_figures_and_sites(data):
    found = citations.citations_by_source(data.sites, data.claims, data.figures)
    for claim in data.claims.itertuples(index=False):
        for source_id in claim.sources:
            assert claim.id in [c["id"] for c in found[source_id].claims]
    for figure in data.figures.itertuples(index=False):
        for source_id in figure.sources:
            assert figure.id in [f["id"] for f in found[source_id].figures]
    uncited = set(data.sources["id"]) - set(found)
    assert all(found[s].empty is False for s in found)
    assert uncited != set(data.sources["id"])


def test_filter_sources_by_kind_and_publisher_puts_the_requested_first(data):
    press = citations.filter_sources(data.sources, kinds=["press"])
    assert len(press) and set(press["kind"]) == {"press"}
    publisher = data.sources["publisher"].iloc[0]
    by_publisher = citations.filter_sources(data.sources, publishers=[publisher])
    assert set(by_publisher["publisher"]) == {publisher}
    last = citations.filter_sources(data.sources).iloc[-1]["id"]
    assert citations.filter_sources(data.sources, first=last).iloc[0]["id"] == last
    assert len(citations.filter_sources(data.sources, first=last)) == len(data.sources)
    # a requested source that the filters exclude is not added back
    not_press = data.sources[data.sources["kind"] != "press"]["id"].iloc[0]
    assert not_press not in set(citations.filter_sources(data.sources, kinds=["press"], first=not_press)["id"])


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://example.org/a(b)", "[A \\[title\\]](https://example.org/a%28b%29)"),
        ("http://example.org/x y", "[A \\[title\\]](http://example.org/x%20y)"),
        ("javascript:alert(1)", "A \\[title\\]"),
        ("", "A \\[title\\]"),
    ],
)
def test_markdown_link_only_for_http_urls(url, expected):
    assert markdown_link("A [title]", url) == expected


def test_changelog_markdown_keeps_bullets_and_escapes_the_rest():
    text = "- First release: 33 sources\n  and more `code` [x](javascript:alert(1))\n\nA <b>paragraph</b>\n- second"
    out = changelog_markdown(text)
    lines = out.split("\n")
    assert lines[0].startswith("- First release") and "and more" in lines[0]
    assert "\\`code\\`" in lines[0] and "\\[x\\]\\(javascript" in lines[0]
    assert lines[1] == ""
    assert lines[2] == "A \\<b\\>paragraph\\</b\\>"
    assert lines[3] == "- second"
