"""Press kit: the server-drawn PNG and the embed snippet."""

from __future__ import annotations

import html
import io
import re
from urllib.parse import parse_qs, urlparse

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from geo import settings
from geo.evidence.dataset import load_dataset
from geo.filters import Filters, apply_filters
from geo.foi.known import area_statuses
from geo.outputs import press, share
from geo.places.authorities import load_authorities
from geo.places.boundaries import load_boundaries


@pytest.fixture(scope="module")
def data():
    return load_dataset()

    return True


def _image(raw: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(raw))
    image.load()
    return image


def areas_of(data):
    return area_statuses(data.sites, data.claims, data.foi_requests, load_authorities(), data.vocabulary)


def colour_of(data, group: str, key: str) -> str:
    return data.vocabulary.term(group, key).colour


def _has_colour(image: Image.Image, hex_colour: str, tolerance: int = 6) -> bool:
    rgb = np.asarray(image.convert("RGB")).reshape(-1, 3).astype(int)
    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    return bool((np.abs(rgb - target).max(axis=1) <= tolerance).any())


@pytest.mark.boundaries
def test_png_of_a_selection_is_a_large_valid_image(data):
    filters = Filters(regions=("London",))
    selection = apply_filters(data.sites, data.claims, filters)
    raw = press.render_png(data, selection, filters, areas_of(data))
    assert raw.startswith(b"\x89PNG\r\n\x1a\n")
    image = _image(raw)
    assert image.format == "PNG"
    assert image.width >= 1600
    assert (image.width, image.height) == (press.WIDTH_PX, press.HEIGHT_PX)
    text = image.text["Description"]
    assert settings.SITE_TITLE in text
    assert f"Data as of {data.last_changed}" in text
    assert "Region: London" in text
    assert settings.BOUNDARY_ATTRIBUTION in text.replace("\n", " ")
    assert "Royal Mail" in text
    assert settings.MYSOCIETY_ATTRIBUTION in text.replace("\n", " ")
    assert "London" in text.split("\n")  # the inset that keeps the boroughs readable
    assert "Bodies by what is known of them" in text and "United Kingdom" in text
    assert press.NO_BOUNDARIES_MESSAGE not in text.replace("\n", " ")
    # the sites are drawn in their grade colours, the councils in theirs
    for grade in set(selection.sites["grade"]):
        assert _has_colour(image, colour_of(data, "grades", grade)), grade
    assert _has_colour(image, colour_of(data, "area_statuses", "unknown"))


@pytest.mark.boundaries
def test_hex_png_shows_every_council_as_one_hexagon(data):
    selection = apply_filters(data.sites, data.claims, Filters())
    areas = areas_of(data)
    image = _image(press.render_png(data, selection, None, areas, layout="hex"))
    assert (image.width, image.height) == (press.WIDTH_PX, press.HEIGHT_PX)
    text = image.text["Description"].replace("\n", " ")
    assert "One hexagon per council area" in text
    assert settings.HEX_ATTRIBUTION in text
    assert _has_colour(image, colour_of(data, "area_statuses", "unknown"))
    for state in {a.status for a in areas.values()}:
        assert _has_colour(image, colour_of(data, "area_statuses", state), tolerance=40), state


def test_png_refuses_an_unknown_layout(data):
    selection = apply_filters(data.sites, data.claims, Filters())
    with pytest.raises(ValueError, match="layout"):
        press.render_png(data, selection, layout="sideways")


@pytest.mark.boundaries
def test_png_names_the_publishers_of_the_cited_sources(data):
    selection = apply_filters(data.sites, data.claims, Filters())
    text = _image(press.render_png(data, selection)).text["Description"].replace("\n", " ")
    cited = {s for ids in data.claims["sources"] for s in ids}
    publishers = set(data.sources.loc[data.sources["id"].isin(cited), "publisher"])
    line = press.publishers_line(selection.claims, data.sources)
    assert line.startswith("Sources: ")
    # The most cited publishers are named; the rest are counted.
    counts = {}
    publisher_of = dict(zip(data.sources["id"], data.sources["publisher"]))
    for ids in data.claims["sources"]:
        for source_id in ids:
            counts[publisher_of[source_id]] = counts.get(publisher_of[source_id], 0) + 1
    ranked = sorted(counts, key=lambda n: (-counts[n], n.lower()))
    for publisher in ranked[:12]:
        assert publisher in line
    if len(ranked) > 12:
        assert f"and {len(ranked) - 12} more" in line
    assert publishers == set(counts)
    assert re.sub(r"\s+", " ", line) in re.sub(r"\s+", " ", text)


def test_png_without_boundaries_still_renders_and_says_so(data):
    selection = apply_filters(data.sites, data.claims, Filters())
    image = _image(press.render_png(data, selection, with_boundaries=False))
    assert image.width >= 1600
    text = image.text["Description"].replace("\n", " ")
    assert press.NO_BOUNDARIES_MESSAGE in text
    assert _has_colour(image, "#fff4d6")  # the message box is on the image
    for grade in set(selection.sites["grade"]):
        assert _has_colour(image, colour_of(data, "grades", grade)), grade


def test_png_without_the_boundary_file(data, tmp_path, monkeypatch):
    """The real failure: HIKMAP_BOUNDARIES_DIR points at a folder without the file."""
    monkeypatch.setenv("HIKMAP_BOUNDARIES_DIR", str(tmp_path))
    load_boundaries.cache_clear()
    try:
        selection = apply_filters(data.sites, data.claims, Filters())
        image = _image(press.render_png(data, selection))
    finally:
        monkeypatch.undo()
        load_boundaries.cache_clear()
    assert press.NO_BOUNDARIES_MESSAGE in image.text["Description"].replace("\n", " ")


@pytest.mark.boundaries
def test_png_of_an_empty_selection_says_nothing_matches(data):
    filters = Filters(text="no site is described with these words")
    selection = apply_filters(data.sites, data.claims, filters)
    assert selection.site_count == 0
    text = _image(press.render_png(data, selection, filters)).text["Description"]
    assert "No sites match these filters." in text
    assert "Sources: none cited by this selection." in text


def test_publishers_line_limits_its_length(data):
    line = press.publishers_line(data.claims, data.sources, limit=2)
    assert line.count(",") == 1 and "more (see the sources page)" in line


def test_embed_snippet_carries_the_filters_and_the_view():
    filters = Filters(regions=("London",), grades=("official", "documented"), text="camera")
    snippet = share.embed_snippet("https://map.example.org/", filters)
    src = html.unescape(re.search(r'<iframe src="([^"]+)"', snippet).group(1))
    url = urlparse(src)
    assert (url.scheme, url.netloc, url.path) == ("https", "map.example.org", "/")
    query = parse_qs(url.query)
    assert query["embed"] == ["true"] and query["view"] == ["screenshot"]
    assert query["region"] == ["London"] and query["grade"] == ["official,documented"] and query["q"] == ["camera"]
    assert Filters.from_params({k: v[0] for k, v in query.items()})[0] == filters
    assert "CC BY 4.0" in snippet and "title=" in snippet


def test_with_a_published_copy_the_links_point_at_it_with_the_same_filters():
    filters = Filters(nations=("Scotland",), kinds=("council",))
    link, embed = share.view_links("https://news.example.org/hikvision-map/", filters, published=True)
    assert link == "https://news.example.org/hikvision-map/index.html?nation=Scotland&kind=council"
    embed_url = urlparse(embed)
    assert embed_url.path == "/hikvision-map/index.html"
    query = parse_qs(embed_url.query)
    assert query["view"] == ["embed"] and "embed" not in query
    assert Filters.from_params({k: v[0] for k, v in query.items()})[0] == filters
    snippet = share.embed_snippet("https://news.example.org/hikvision-map", filters, published=True)
    assert html.unescape(re.search(r'<iframe src="([^"]+)"', snippet).group(1)) == embed
    assert (
        share.view_links("https://news.example.org/m", Filters(), published=True)[0]
        == "https://news.example.org/m/index.html"
    )


@pytest.mark.parametrize("hostile", ['"><script>alert(1)</script>', "' onload='alert(1)", "a&b<c>"])
def test_embed_snippet_escapes_attribute_values(hostile):
    snippet = share.embed_snippet("http://localhost:8501", Filters(text=hostile))
    assert "<script" not in snippet
    for value in re.findall(r'(?:src|href)="([^"]*)"', snippet):
        assert not set(value) & set("\"'<>"), value
    src = html.unescape(re.search(r'src="([^"]+)"', snippet).group(1))
    assert parse_qs(urlparse(src).query)["q"] == [hostile]


@pytest.mark.parametrize("base", ["javascript:alert(1)", "ftp://example.org", ""])
def test_embed_snippet_refuses_non_http_bases(base):
    with pytest.raises(ValueError):
        share.embed_snippet(base, Filters())


@pytest.mark.parametrize(
    "page_url, base",
    [
        ("http://127.0.0.1:8501/data?region=London", "http://127.0.0.1:8501"),
        ("https://example.org/hikmap/data", "https://example.org/hikmap"),
        ("https://example.org/", "https://example.org"),
        ("javascript:alert(1)", ""),
        ("", ""),
    ],
)
def test_app_base_url(page_url, base):
    assert share.app_base_url(page_url) == base


def _text_boxes(fig):
    """(text, window extent) of every visible, non-empty text in ``fig``."""
    renderer = fig.canvas.get_renderer()
    return [(t.get_text(), t.get_window_extent(renderer)) for t in press.drawn_texts(fig)]


LAYOUT_CASES = [
    pytest.param("geo", Filters(), True, False, id="geo-all"),
    pytest.param("hex", Filters(), True, False, id="hex-all"),
    pytest.param(
        "geo",
        Filters(regions=("London",), kinds=("council", "government-department")),
        True,
        False,
        id="geo-filtered",
    ),
    pytest.param("geo", Filters(), False, False, id="geo-no-boundaries"),
    pytest.param("hex", Filters(), False, False, id="hex-no-boundaries"),
    pytest.param("geo", Filters(text="no site is described with these words"), True, False, id="geo-empty"),
    # Once requests are pulled from WhatDoTheyKnow every area status can be on the map at once.
    pytest.param("geo", Filters(), True, True, id="geo-every-area-status"),
    pytest.param("hex", Filters(), True, True, id="hex-every-area-status"),
]


@pytest.mark.boundaries
@pytest.mark.parametrize(("layout", "filters", "with_boundaries", "every_status"), LAYOUT_CASES)
def test_every_text_of_the_png_is_inside_it_and_none_overlaps_another(
    data, layout, filters, with_boundaries, every_status
):
    """A credit cut off at the bottom edge, or two headings drawn over each other, is a broken image."""
    selection = apply_filters(data.sites, data.claims, filters)
    areas = areas_of(data)
    if every_status:  # in memory only: each status given to one council nothing is known of
        from geo.foi.known import AreaState, councils_to_ask

        statuses = [t.key for t in data.vocabulary.area_statuses]
        for council, status in zip(councils_to_ask(areas, load_authorities()), statuses):
            areas[council.gss_code] = AreaState(status=status)
        assert {a.status for a in areas.values()} >= set(statuses) - {data.vocabulary.unknown_area_status}
    with matplotlib.rc_context({"text.parse_math": False}):
        fig = press.render_figure(data, selection, filters, areas, layout=layout, with_boundaries=with_boundaries)
        try:
            fig.canvas.draw()  # positions as in the saved image
            assert press.text_outside(fig) == []
            boxes = _text_boxes(fig)
        finally:
            plt.close(fig)
    # The credits for what is drawn are all there, and so inside the image.
    text = "\n".join(t for t, _ in boxes).replace("\n", " ")
    for credit in ("ONS Postcode Directory", "Royal Mail", "mySociety", "CC BY 4.0"):
        assert credit in text
    assert text.count(settings.OS_STATEMENT) == 1  # said once, whichever ONS products are drawn
    assert ("Open Innovations" in text) == (layout == "hex")
    assert ("Office for National Statistics licensed" in text) == (layout == "geo" and with_boundaries)
    overlapping = [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1 :] if box_a.overlaps(box_b)]
    assert overlapping == []


def test_the_filter_line_uses_the_labels_people_read(data):
    filters = Filters(regions=("London",), kinds=("government-department",), statuses=("removal-promised",))
    described = press.describe_filters(filters, {}, data.vocabulary)
    assert "Region: London" in described
    assert f"Kind: {data.vocabulary.label('kinds', 'government-department')}" in described
    assert "government-department" not in described
    assert f"Status: {data.vocabulary.label('statuses', 'removal-promised')}" in described
