"""The source's own words beside every claim, "not given" in words, and the corrections list.

Pure parts (geo/) without Streamlit, then the pages headless (AppTest).
"""

from __future__ import annotations

import html
import json

import pandas as pd
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from geo.evidence.dataset import load_dataset
from geo.evidence.quotes import corrections_list, quotes_by_link
from geo.outputs import export
from geo.outputs.text import date_in_words, escape_markdown, one_line, quote_attribution, quote_text

DATA = load_dataset()
QUOTES = quotes_by_link(DATA.claim_sources, DATA.sources)
SUFFOLK_CLAIM = "suffolk-council-area-hikvision-undated"  # on Endeavour House: one source, a note, no count
SUFFOLK_SOURCE = "ipswich-star-ipswich-council-cctv-controlled-by-system"
SUFFOLK_AUTHORITY = "E10000029"


def fictional_quote(**changes):
    from geo.evidence.quotes import Quote

    values = {
        "claim": "fictional-claim",
        "source": "fictional-source",
        "quote": "Fictional Borough Council uses the cameras.",
        "checked": "2024-02-03",
        "note": "",
        "publisher": "The Fictional Gazette",
        "published": "2019-04-09",
        "title": "A fictional report",
    }
    values.update(changes)
    return Quote(**values)


@pytest.mark.parametrize(
    "value,words",
    [
        ("2019-04-09", "9 April 2019"),
        ("2019-04", "April 2019"),
        ("2019", "2019"),
        ("", ""),
        ("2019-13", "2019-13"),  # not a month: as it is
        ("soon", "soon"),
    ],
)
def test_dates_read_as_a_reader_says_them(value, words):
    assert date_in_words(value) == words


def test_a_quotation_says_who_published_it_when_and_when_it_was_checked():
    assert quote_attribution("The Fictional Gazette", "2019-04-09") == "The Fictional Gazette, 9 April 2019"
    assert quote_attribution("The Fictional Gazette", "") == "The Fictional Gazette, date not given"
    quote = fictional_quote(quote="Fictional\nBorough  Council", note="The source is a long list.")
    assert quote_text(quote) == (
        "“Fictional Borough Council” — The Fictional Gazette, 9 April 2019; "
        "read against the source on 3 February 2024. Note: The source is a long list."
    )
    assert one_line(" a\r\n\tb ") == "a b"


def test_every_link_of_the_shipped_data_has_its_quote_publisher_and_checked_date():
    assert len(QUOTES) == len(DATA.claim_sources) > 0
    for claim in DATA.claims.itertuples(index=False):
        for source in claim.sources:
            quote = QUOTES[(claim.id, source)]
            row = DATA.sources[DATA.sources["id"] == source].iloc[0]
            assert quote.publisher == row["publisher"] and quote.published == row["published"]
            assert quote.quote and len(quote.checked) == 10
    suffolk = QUOTES[(SUFFOLK_CLAIM, SUFFOLK_SOURCE)]
    assert "Hikvision cameras on Endeavour House" in suffolk.quote
    assert "Suffolk County Council" in suffolk.note


def test_the_popups_evidence_file_carries_each_sources_words_and_the_first_paint_file_none():
    from geo.outputs.mapview import DETAIL_KEYS, map_data

    payload = map_data(DATA.sites, DATA.claims, DATA.sources, DATA.vocabulary, quotes=QUOTES)
    assert "claims" in DETAIL_KEYS  # the quotes travel with the claims: the popups' file, not the first paint's
    by_id = dict(zip(DATA.claims["id"], payload["claims"]))
    for _claim_id, row in by_id.items():
        assert len(row[8]) == len(row[6])
        assert all(q is not None for q in row[8])
    words, cite, checked, note = by_id[SUFFOLK_CLAIM][8][0]
    assert "Hikvision cameras on Endeavour House" in words
    source = QUOTES[(SUFFOLK_CLAIM, SUFFOLK_SOURCE)]
    assert cite == quote_attribution(source.publisher, source.published) and "," in cite
    assert checked.startswith("read against the source on ")
    assert note == QUOTES[(SUFFOLK_CLAIM, SUFFOLK_SOURCE)].note
    # Without quotes (an import's preview of a package that has none), the source is shown alone.
    bare = map_data(DATA.sites, DATA.claims, DATA.sources, DATA.vocabulary)
    assert all(q is None for row in bare["claims"] for q in row[8])


def test_the_csv_carries_the_quote_its_publisher_and_date_and_the_checked_date():
    raw = export.selection_csv(DATA.sites, DATA.claims, DATA.sources, QUOTES)
    table = pd.read_csv(pd.io.common.BytesIO(raw), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert {"quotes", "checked"} <= set(table.columns)
    row = table[table["claim_id"] == SUFFOLK_CLAIM].iloc[0]
    quote = QUOTES[(SUFFOLK_CLAIM, SUFFOLK_SOURCE)]
    assert row["quotes"] == quote_text(quote)
    assert quote_attribution(quote.publisher, quote.published) in row["quotes"]
    assert row["checked"] == quote.checked
    assert row["equipment_count"] == ""  # no number given: an empty cell, never 0
    # A claim with several sources: numbered, in the order of its sources.
    several = table[table["source_ids"].str.contains(";")].iloc[0]
    ids = several["source_ids"].split(";")
    assert several["quotes"].startswith("[1] “") and f"[{len(ids)}] “" in several["quotes"]
    assert len(several["checked"].split(";")) == len(ids)


def test_a_quote_that_looks_like_a_formula_is_text_in_the_csv():
    quote = fictional_quote(quote='=HYPERLINK("https://tracker.invalid")')
    claim = DATA.claims.iloc[[0]].assign(sources=[("fictional-source",)])
    site = DATA.sites[DATA.sites["id"] == claim.iloc[0]["site"]]
    raw = export.selection_csv(site, claim, DATA.sources, {(claim.iloc[0]["id"], "fictional-source"): quote})
    assert '“=HYPERLINK(""https://tracker.invalid"")”' in raw.decode("utf-8-sig")


def test_the_geojson_carries_each_sources_quote():
    collection = json.loads(export.selection_geojson(DATA.sites, DATA.claims, DATA.sources, QUOTES))
    found = [
        s
        for f in collection["features"]
        for c in f["properties"]["claims"]
        if c["id"] == SUFFOLK_CLAIM
        for s in c["sources"]
    ]
    assert found[0]["quote"] == QUOTES[(SUFFOLK_CLAIM, SUFFOLK_SOURCE)].quote
    assert found[0]["checked"] and found[0]["quote_note"]


def test_the_data_package_download_carries_the_quotes_and_the_corrections():
    import io
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(export.package_zip(DATA.directory, DATA.descriptor)))
    names = {n.split("/", 1)[1] for n in archive.namelist()}
    assert {"claim_sources.csv", "corrections.csv"} <= names
    root = archive.namelist()[0].split("/")[0]
    header = archive.read(f"{root}/claim_sources.csv").decode("utf-8").splitlines()[0]
    assert header.split(",") == ["claim", "source", "quote", "checked", "quote_note"]


def test_the_published_table_says_not_given_and_carries_the_quotes():
    from geo.outputs.publish.site import table_rows

    rows = table_rows(DATA)
    counts = dict(zip(DATA.claims["id"], DATA.claims["equipment_count"]))
    ids = [DATA.claims["id"].iloc[p] for p in rows["position"]]
    for claim_id, devices, sources, quotes in zip(ids, rows["devices"], rows["sources"], rows["quotes"]):
        count = counts[claim_id]
        assert devices == ("not given" if pd.isna(count) else str(int(count)))
        assert len(quotes) == len(sources)
    j = ids.index(SUFFOLK_CLAIM)
    assert rows["devices"][j] == "not given"
    assert "Hikvision cameras on Endeavour House" in rows["quotes"][j][0][0]
    assert not {"None", "nan", "NaN", "0", ""} & set(rows["devices"])


# --- Corrections ---------------------------------------------------------------------------------
def test_corrections_are_listed_newest_first_with_what_they_concern():
    found = corrections_list(DATA.corrections, DATA.sites, DATA.claims, DATA.sources, DATA.figures)
    assert len(found) == len(DATA.corrections) > 0
    assert [c.date for c in found] == sorted((c.date for c in found), reverse=True)
    thurrock = next(c for c in found if c.subject == "thurrock-council-area-hikvision-2019")
    assert thurrock.kind == "claim" and thurrock.site_id == "thurrock-council-area"
    # A subject the correction removed is found nowhere: listed, with no link.
    table = pd.DataFrame(
        [
            {"id": "a", "date": "2024-01-01", "subject": "gone-claim", "was": "w", "now": "n", "why": "y"},
            {"id": "b", "date": "2025-01-01", "subject": SUFFOLK_SOURCE, "was": "w", "now": "n", "why": "y"},
            {"id": "c", "date": "2025-01-01", "subject": "portcullis-house", "was": "w", "now": "n", "why": "y"},
        ]
    )
    listed = corrections_list(table, DATA.sites, DATA.claims, DATA.sources, DATA.figures)
    assert [(c.id, c.kind) for c in listed] == [("b", "source"), ("c", "site"), ("a", "")]


def test_the_published_corrections_page_lists_each_correction_escaped_and_linked(tmp_path):
    from dataclasses import replace

    from geo import settings
    from geo.outputs.publish.site import corrections_page, sources_page

    hostile = DATA.corrections.copy()
    hostile.loc[0, "was"] = "<script>window.hikmapPwned=1</script> Fictional"
    data = replace(DATA, corrections=hostile)
    page = corrections_page(data, settings.TILE_SOURCES["none"])
    assert "<script>window" not in page and html.escape("<script>window.hikmapPwned=1</script>") in page
    for row in DATA.corrections.itertuples(index=False):
        assert f'id="correction-{row.id}"' in page
        for text in (row.now, row.why):
            assert html.escape(text, quote=True) in page
    assert "What the map said" in page and "What it says now" in page and "Why" in page
    assert 'href="table.html?q=Thurrock+Council' in page
    assert 'aria-current="page">Corrections<' in page
    assert 'href="corrections.html"' in sources_page(DATA, settings.TILE_SOURCES["none"])
    assert "<script>" not in page.split("</main>")[0].split("<main")[1]  # no inline script in the body


# --- The pages (AppTest) -------------------------------------------------------------------------
def test_the_data_table_says_not_given_and_shows_the_sources_words():
    app = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=60)
    app.run()
    assert not app.exception
    table = app.dataframe[0].value
    devices = set(table["Devices"].astype(str))
    assert "not given" in devices
    assert not {"None", "nan", "NaN", "<NA>", "0", ""} & devices
    assert not any(c == c.lower() and "_" in c for c in table.columns)  # labels, never field names
    suffolk = table[table["Claim"] == DATA.claims.set_index("id").loc[SUFFOLK_CLAIM, "claim"]].iloc[0]
    assert suffolk["The sources' words"] == quote_text(QUOTES[(SUFFOLK_CLAIM, SUFFOLK_SOURCE)])


def test_the_method_page_lists_the_corrections_newest_first():
    app = AppTest.from_file(str(ROOT / "pages" / "method.py"), default_timeout=60)
    app.run()
    assert not app.exception
    text = "\n".join(m.value for m in app.markdown)
    found = corrections_list(DATA.corrections, DATA.sites, DATA.claims, DATA.sources, DATA.figures)
    positions = []
    for c in found:
        entry = f"- **What the map said:** {escape_markdown(one_line(c.was))}"
        assert entry in text
        assert f"- **Why:** {escape_markdown(one_line(c.why))}" in text
        positions.append(text.index(entry))
    assert positions == sorted(positions)
    assert "(data?q=Thurrock+Council" in text

    # No field name of the data package reaches readers (the change log, which names them, is a download).
    fields = {f["name"] for r in DATA.descriptor["resources"] for f in r["schema"]["fields"] if "_" in f["name"]}
    assert "equipment_count" in fields
    shown = text + "\n".join(e.value for e in (*app.caption, *app.header, *app.subheader))
    assert [f for f in sorted(fields) if f in shown] == []


def test_the_councils_page_shows_the_quote_as_a_quotation_with_publisher_and_date():
    app = AppTest.from_file(str(ROOT / "pages" / "councils.py"), default_timeout=60)
    app.query_params["authority"] = SUFFOLK_AUTHORITY
    app.run()
    assert not app.exception
    text = "\n".join(m.value for m in app.markdown)
    quote = QUOTES[(SUFFOLK_CLAIM, SUFFOLK_SOURCE)]
    assert f"> “{escape_markdown(one_line(quote.quote))}”" in text
    assert f"> — {escape_markdown(quote_attribution(quote.publisher, quote.published))}" in text
    assert escape_markdown(f"read against the source on {date_in_words(quote.checked)}") in text
    assert f"> Note: {escape_markdown(quote.note)}" in text
    assert "number of devices not given" in text
