"""Text in the data never runs: the server-side views, exports and the check (no browser).

The browser half of the corpus test is ``test_hostile_browser.py``.
"""

from __future__ import annotations

import csv
import html
import html.parser
import io
import json
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from hostile import hostile_package
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from jinja2 import Template
from PIL import Image

from geo.evidence.datapackage import check_package
from geo.evidence.dataset import load_dataset
from geo.filters import Filters, apply_filters
from geo.foi.known import area_statuses
from geo.outputs import export, press, share
from geo.outputs.files import publish_json
from geo.outputs.mapview import build_map, map_data, safe_script_json
from geo.outputs.text import escape_markdown
from geo.places.authorities import load_authorities

TEMPLATE_DELIMITERS = ("{{", "{%", "{#")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    marker = folder / "server-side-template-ran"
    data_dir, values = hostile_package(folder, marker)
    return data_dir, values, marker


def areas_of(data):
    return area_statuses(data.sites, data.claims, data.foi_requests, load_authorities(), data.vocabulary)


@pytest.fixture(scope="module")
def hostile_data(hostile):
    data_dir = hostile[0]
    return load_dataset(data_dir, data_dir / "build" / "sites.geojson")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.sampled_from("{}%#<>&/\\\"' a\u2028\u2029\u202e")),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(alphabet="{%#<a"), inner, max_size=4),
    max_leaves=20,
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(json_values)
def test_safe_script_json_is_inert_for_templates_and_html_and_means_the_same(value):
    text = safe_script_json(value)
    assert not any(d in text for d in TEMPLATE_DELIMITERS)
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == value
    assert Template(text).render() == text  # a template pass finds nothing to do


def test_the_check_accepts_odd_text_and_the_build_keeps_it_literally(hostile, hostile_data):
    data_dir, values, _ = hostile
    assert check_package(data_dir) == []
    names = set(hostile_data.sites["name"])
    assert names & set(values), "the corpus reached the built sites"


@pytest.mark.parametrize("table, field", [("sources.csv", "url"), ("sources.csv", "archive_url")])
@pytest.mark.parametrize(
    "address",
    [
        "javascript:window.hikmapPwned=1",
        "data:text/html,<script>1</script>",
        "JAVASCRIPT:alert(1)",
        " https://example.org/a b",
    ],
)
def test_the_check_refuses_addresses_that_are_not_http(tmp_path, table, field, address):
    data = tmp_path / "data"
    shutil.copytree(Path(__file__).resolve().parent.parent / "data", data, ignore=shutil.ignore_patterns("backups"))
    path = data / table
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    rows[2][field] = address
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    problems = [str(p) for p in check_package(data)]
    assert any(p.startswith(f"{table}:4: {field}: ") and "http(s)" in p for p in problems), problems


def test_the_map_page_carries_no_data_text_and_nothing_is_evaluated(hostile, hostile_data, tmp_path):
    from streamlit_folium import _get_map_string

    _data_dir, values, marker = hostile
    payload = map_data(
        hostile_data.sites,
        hostile_data.claims,
        hostile_data.sources,
        hostile_data.vocabulary,
        areas=areas_of(hostile_data),
    )
    url = publish_json(payload, "sites", target=tmp_path)
    fmap = build_map(url, site_count=len(hostile_data.sites), selected=[0, 2], boundary_urls={})
    page = fmap.get_root().render()  # folium's full render: the path that evaluated data before
    script = _get_map_string(fmap)  # what streamlit-folium sends
    for text in (page, script):
        for value in values:
            assert value not in text
        assert "Fictional" not in text
    assert not marker.exists(), "a template in the data ran on the server"
    # The file the browser fetches holds each value exactly.
    served = json.loads((tmp_path / url.rsplit("/", 1)[1]).read_text(encoding="utf-8"))
    assert served["name"] == list(hostile_data.sites["name"])
    assert set(values) & set(served["name"])


def test_the_press_png_draws_hostile_text_literally(hostile_data):
    filters = Filters(text="$x^2$ {{ 7*7 }} <b>")
    selection = apply_filters(hostile_data.sites, hostile_data.claims, Filters())
    raw = press.render_png(hostile_data, selection, filters, areas_of(hostile_data))
    image = Image.open(io.BytesIO(raw))
    image.load()
    drawn = image.info["Description"]
    assert "“$x^2$ {{ 7*7 }} <b>”" in drawn
    publishers = set(hostile_data.sources["publisher"])
    assert any(p[:20] in drawn for p in publishers if p.startswith(("{{", "<", "$"))), drawn


class _Attributes(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_the_embed_snippet_keeps_filter_text_inside_its_attribute():
    text = '"><script>window.hikmapPwned=1</script>{{ 7*7 }}'
    snippet = share.embed_snippet("https://maps.example.org/app", Filters(text=text))
    parser = _Attributes()
    parser.feed(snippet)
    assert [t for t, _ in parser.tags] == ["iframe", "p", "a"]
    src = parser.tags[0][1]["src"]
    assert parse_qs(urlparse(src).query)["q"] == [text]


def test_exports_neutralise_formulas_and_keep_text(hostile_data):
    selection = apply_filters(hostile_data.sites, hostile_data.claims, Filters())
    raw = export.selection_csv(selection.sites, selection.claims, hostile_data.sources)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    for row in rows[1:]:
        for cell in row:
            assert export.neutralise_cell(cell) == cell, cell  # nothing left a spreadsheet would run
    assert any(cell.startswith("'=HYPERLINK(") for row in rows for cell in row)
    geojson = json.loads(export.selection_geojson(selection.sites, selection.claims, hostile_data.sources))
    assert [f["properties"]["name"] for f in geojson["features"]] == list(selection.sites["name"])


def test_the_data_page_table_shows_each_value_as_text(hostile, monkeypatch):
    import streamlit
    from streamlit.testing.v1 import AppTest

    from geo import settings

    data_dir, values, marker = hostile
    monkeypatch.setattr(settings, "DATA_DIR", data_dir)
    monkeypatch.setattr(settings, "BUILT_SITES", data_dir / "build" / "sites.geojson")
    streamlit.cache_data.clear()  # the committed dataset may be cached by an earlier AppTest
    root = Path(__file__).resolve().parent.parent
    at = AppTest.from_file(str(root / "pages" / "data.py"), default_timeout=60)
    at.run()
    streamlit.cache_data.clear()
    assert not at.exception
    table = at.dataframe[0].value
    shown = set(table["Site"]) | set(table["Claim"]) | set(table["Organisation"])
    assert set(values) & shown
    assert not marker.exists()


# The find-and-replace patterns of mdast-util-gfm-autolink-literal, as Streamlit's Markdown bundle
# has them: they run on text nodes after backslash escapes and entities are decoded.
GFM_WEB_ADDRESS = re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE | re.ASCII)
GFM_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)", re.ASCII)
ADDRESSES = [
    "https://evil.example/login",
    "http://evil.example",
    "HTTPS://EVIL.EXAMPLE/x",
    "www.evil.example",
    "WWW.evil.example/path",
    "someone@evil.example",
    "see (https://evil.example) now",
    "x.https://evil.example",
    "mailto:someone@evil.example",
]


def rendered_text(markdown: str) -> str:
    """What the renderer's text nodes hold: backslash escapes and entities decoded."""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown))


@pytest.mark.parametrize("address", ADDRESSES)
def test_escaped_text_holds_no_shape_the_markdown_renderer_would_link(address):
    text = f"Fictional note {address} end"
    shown = rendered_text(escape_markdown(text))
    assert not GFM_WEB_ADDRESS.search(shown) and not GFM_EMAIL.search(shown), shown
    assert shown.replace("\u2060", "") == text  # the reader sees the text as written


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("hw.tps:/@ax-_+ ")))
def test_no_escaped_text_can_become_a_link(text):
    shown = rendered_text(escape_markdown(text))
    assert not GFM_WEB_ADDRESS.search(shown) and not GFM_EMAIL.search(shown), shown
    assert shown.replace("\u2060", "") == text
