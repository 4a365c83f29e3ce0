"""The vocabulary is defined once, in datapackage.json, and every view knows every term.

A new kind of body, claim status or area status is one entry in the
descriptor plus the data: the tests at the end add a fictional one of each to
a scratch copy (``fictional.py``) and follow them through the check, the
build, the map data, the press image, the counts and their tables' headings,
the areas, the filters, the importer and the method page (the legend drawn in
the browser is in ``test_vocabulary_browser.py``). The chrome's colours are
defined once too (``geo.settings.CHROME``), and the Streamlit theme repeats
them exactly.
"""

from __future__ import annotations

import copy
import json
import re
import shutil

import pytest
from conftest import ROOT

from geo.evidence.datapackage import check_package
from geo.evidence.vocabulary import SHAPES, from_descriptor, load_vocabulary

VOCABULARY = load_vocabulary(ROOT / "data")
DESCRIPTOR = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "group",
    [
        "kinds",
        "grades",
        "statuses",
        "precisions",
        "vendors",
        "source_kinds",
        "request_statuses",
        "request_states",
        "findings",
        "laws",
        "area_statuses",
    ],
)
def test_every_term_has_a_label_and_a_definition(group):
    terms = getattr(VOCABULARY, group)
    assert terms
    for term in terms:
        assert (term.label and term.label != term.key) or group == "laws", (group, term.key)
        assert term.definition or group in ("laws", "vendors"), (group, term.key)


def test_every_kind_has_a_shape_and_every_colour_is_set():
    assert {t.shape for t in VOCABULARY.kinds} <= set(SHAPES)
    assert all(t.colour.startswith("#") for t in VOCABULARY.grades + VOCABULARY.area_statuses)
    assert {t.area_status for t in VOCABULARY.statuses} <= {t.key for t in VOCABULARY.area_statuses}


def test_a_kind_with_an_unknown_shape_is_refused_by_name():
    broken = copy.deepcopy(DESCRIPTOR)
    field = next(
        f for r in broken["resources"] if r["name"] == "sites" for f in r["schema"]["fields"] if f["name"] == "kind"
    )
    field["x-shapes"]["police"] = "dodecahedron"
    with pytest.raises(ValueError, match="kind 'police' has shape 'dodecahedron'"):
        from_descriptor(broken)


def test_the_browser_gets_every_term_it_draws():
    sent = VOCABULARY.for_browser()
    assert [k["key"] for k in sent["kinds"]] == VOCABULARY.keys("kinds")
    assert set(sent["shapes"]) == set(SHAPES)
    assert [a["key"] for a in sent["areaStatuses"]] == VOCABULARY.keys("area_statuses")


def test_the_code_asks_for_roles_and_the_descriptor_gives_them():
    assert VOCABULARY.keys_with("kinds", "council") == ["council"]
    assert VOCABULARY.key_with("precisions", "area") == "area"
    assert VOCABULARY.key_with("precisions", "unplaced") == "not-placed"
    assert VOCABULARY.keys_with("precisions", "exact") == ["building"]
    assert VOCABULARY.unknown_area_status == "unknown"
    assert VOCABULARY.body_statuses == ["in-use", "removing", "removed", "not-used"]
    assert VOCABULARY.count_columns == [*VOCABULARY.body_statuses, "unknown"]
    # Requests: the finding wins over an answer's own state; a waiting request's finding is none.
    assert VOCABULARY.request_area_status("answered", "equipment") == "in-use"
    assert VOCABULARY.request_area_status("refused", "") == "answered"
    assert VOCABULARY.request_area_status("withdrawn", "none") == ""
    assert VOCABULARY.request_state_of("sent") == "asked"
    # The laws: which nation answers under which, and the one for UK-wide bodies.
    assert [VOCABULARY.law_for(n) for n in ("England", "Scotland", "Wales", "Northern Ireland", "")] == [
        "foia",
        "foisa",
        "foia",
        "foia",
        "foia",
    ]


def test_the_grade_rank_is_the_vocabulary_order():
    assert [VOCABULARY.grade_rank(g) for g in VOCABULARY.keys("grades")] == list(range(len(VOCABULARY.grades)))
    assert VOCABULARY.strongest_grade(["reported", "official", "documented"]) == "official"
    assert VOCABULARY.strongest_grade([]) == ""


@pytest.mark.parametrize(
    "group, key, role",
    [
        ("sites", "precision", "area"),
        ("sites", "precision", "unplaced"),
        ("sites", "kind", "council"),
        ("foi_requests", "law", "uk-wide"),
    ],
)
def test_a_role_the_code_needs_is_refused_by_name_when_missing(group, key, role):
    broken = copy.deepcopy(DESCRIPTOR)
    field = next(
        f for r in broken["resources"] if r["name"] == group for f in r["schema"]["fields"] if f["name"] == key
    )
    field["x-roles"] = {k: [r for r in v if r != role] for k, v in field["x-roles"].items()}
    with pytest.raises(ValueError, match=role):
        from_descriptor(broken)


def test_an_area_status_without_its_role_is_refused_and_the_check_says_so(tmp_path):
    broken = copy.deepcopy(DESCRIPTOR)
    del broken["x-area-statuses"]["values"]["unknown"]["roles"]
    with pytest.raises(ValueError, match="'unknown'"):
        from_descriptor(broken)
    data_dir = tmp_path / "data"
    shutil.copytree(ROOT / "data", data_dir, ignore=shutil.ignore_patterns("backups", "build"))
    (data_dir / "datapackage.json").write_text(json.dumps(broken), encoding="utf-8")
    problems = check_package(data_dir)
    assert [(p.file, p.field) for p in problems] == [("datapackage.json", "*")]
    assert "the vocabulary cannot be read" in problems[0].message and "unknown" in problems[0].message


# --- Chrome colours -----------------------------------------------------------------------------
def test_the_streamlit_theme_is_the_chrome_of_the_settings():
    import tomllib

    from geo import settings

    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["theme"]
    assert theme["primaryColor"] == settings.CHROME["primary"]
    assert theme["textColor"] == settings.CHROME["text"]


HEX = re.compile(r"#[0-9A-Fa-f]{6}\b|#[0-9A-Fa-f]{3}\b")


@pytest.mark.parametrize(
    "path",
    [
        "geo/outputs/mapview.py",
        "geo/outputs/press.py",
        "geo/outputs/sitelayer.js",
        "geo/outputs/publish/assets/publish.css",
        "geo/outputs/publish/assets/publish.js",
        "pages/councils.py",
        "pages/sources.py",
        "ui/map_panels.py",
        "ui/council_panel.py",
    ],
)
def test_no_view_writes_a_colour_of_its_own(path):
    """Every colour is the chrome's (settings.CHROME) or a coded value's (datapackage.json)."""
    text = (ROOT / path).read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("#", "//", "/*", "*")))
    assert HEX.findall(code) == []


def test_every_chrome_colour_the_stylesheets_use_is_defined():
    from geo import settings
    from geo.outputs.mapview import map_css

    used = set(re.findall(r"var\(--hikmap-([a-z-]+)\)", map_css()))
    used |= set(re.findall(r"var\(--hikmap-([a-z-]+)\)", (ROOT / "geo/outputs/publish/assets/publish.css").read_text()))
    script = (ROOT / "geo/outputs/sitelayer.js").read_text(encoding="utf-8")
    used |= set(re.findall(r"\bC\.([a-z]+)\b", script)) | set(re.findall(r'\bC\["([a-z-]+)"\]', script))
    assert used and used <= set(settings.CHROME)
    assert all(re.fullmatch(r"#[0-9A-Fa-f]{6}", colour) for colour in settings.CHROME.values())


# --- A new kind, claim status and area status: one entry each, and every view has them ----------
@pytest.fixture(scope="module")
def fictional(tmp_path_factory):
    from fictional import fictional_package

    from geo.evidence.dataset import load_dataset

    data_dir, council = fictional_package(tmp_path_factory.mktemp("fictional-vocabulary"))
    return load_dataset(data_dir, data_dir / "build" / "sites.geojson"), council


@pytest.fixture
def fictional_app(fictional, monkeypatch):
    """The app's pages on the fictional package (AppTest runs them in this process)."""
    import streamlit as st

    from geo import settings

    data, _ = fictional
    monkeypatch.setattr(settings, "DATA_DIR", data.directory)
    monkeypatch.setattr(settings, "BUILT_SITES", data.directory / "build" / "sites.geojson")
    monkeypatch.setenv("HIKMAP_TILES", "none")
    st.cache_data.clear()
    yield
    st.cache_data.clear()  # the next test reads the real data again


def _areas(data):
    from fictional import TODAY

    from geo.foi.known import area_statuses
    from geo.places.authorities import load_authorities

    return area_statuses(data.sites, data.claims, data.foi_requests, load_authorities(), data.vocabulary, today=TODAY)


@pytest.mark.boundaries
def test_the_new_terms_pass_the_check_and_colour_the_council_area(fictional):
    import fictional as f

    data, council = fictional
    assert check_package(data.directory) == []
    vocabulary = data.vocabulary
    assert vocabulary.label("kinds", f.KIND) == f.KIND_LABEL
    assert vocabulary.area_status_of_claim(f.STATUS) == f.AREA
    assert f.AREA in vocabulary.body_statuses  # counted per body, because a claim status gives it
    assert _areas(data)[council].status == f.AREA


@pytest.mark.boundaries
def test_the_map_data_and_its_legend_carry_the_new_terms(fictional):
    import fictional as f

    from geo.outputs.mapview import map_data

    data, council = fictional
    payload = map_data(data.sites, data.claims, data.sources, data.vocabulary, areas=_areas(data))
    kinds, areas = payload["vocab"]["kinds"], payload["vocab"]["areaStatuses"]
    at = [k["key"] for k in kinds].index(f.KIND)
    assert kinds[at] == {"key": f.KIND, "label": f.KIND_LABEL, "shape": "diamond"}
    assert payload["kind"][list(data.sites["id"]).index("example-fire-station")] == at
    area_at = [a["key"] for a in areas].index(f.AREA)
    assert areas[area_at]["label"] == f.AREA_LABEL and areas[area_at]["colour"] == f.AREA_COLOUR
    assert payload["areas"][council][0] == area_at
    assert [s["label"] for s in payload["vocab"]["statuses"]].count(f.STATUS_LABEL) == 1


@pytest.mark.boundaries
def test_the_counts_and_their_headings_have_a_column_for_the_new_status(fictional):
    import fictional as f

    from geo.evidence.counts import bodies, count_headings, status_counts, unknown_councils
    from geo.places.authorities import load_authorities

    data, _ = fictional
    vocabulary = data.vocabulary
    found = bodies(data.sites, data.claims, vocabulary)
    assert set(found.loc[found["name"].str.contains("fictional", case=False), "status"]) == {f.AREA}
    table = status_counts(found, unknown_councils(_areas(data), load_authorities()), "nation", vocabulary)
    assert f.AREA in table.columns
    uk = table.set_index("nation").loc["United Kingdom"]
    assert int(uk[f.AREA]) == 2  # the fire service and the council
    assert count_headings(vocabulary, "nation")[f.AREA] == f.AREA_HEADING


@pytest.mark.boundaries
def test_the_press_image_draws_the_new_terms_in_its_legend_and_counts(fictional):
    import fictional as f

    from geo.filters import Filters, apply_filters
    from geo.outputs import press

    data, _ = fictional
    chosen = apply_filters(data.sites, data.claims, Filters())
    figure = press.render_figure(data, chosen, Filters(), _areas(data), layout="geo")
    try:
        figure.canvas.draw()
        texts = [text.get_text() for text in press.drawn_texts(figure)]
        assert press.text_outside(figure) == []
    finally:
        import matplotlib.pyplot

        matplotlib.pyplot.close(figure)
    assert f.KIND_LABEL in texts  # the kinds' legend
    assert f.AREA_LABEL in texts  # the council areas' legend
    assert any(f.AREA_HEADING in t for t in texts)  # the counts' heading


@pytest.mark.boundaries
def test_the_filters_accept_the_new_kind_and_status(fictional):
    import fictional as f

    from geo.filters import Filters, allowed_values, apply_filters

    data, _ = fictional
    allowed = allowed_values(data.vocabulary)
    assert f.KIND in allowed["kinds"] and f.STATUS in allowed["statuses"]
    chosen = apply_filters(data.sites, data.claims, Filters(kinds=(f.KIND,)))
    assert list(chosen.sites["id"]) == ["example-fire-station"]
    chosen = apply_filters(data.sites, data.claims, Filters(statuses=(f.STATUS,)))
    assert sorted(chosen.claims["id"]) == ["example-council-claim", "example-fire-claim"]


@pytest.mark.boundaries
def test_the_import_takes_the_new_kind_and_status(fictional):
    import fictional as f

    from geo.importing import prepare_import
    from geo.places.postcodes import get_directory

    data, _ = fictional
    sheet = (
        "organisation,kind,site_name,postcode,vendor,claim,grade,reported,status,source_title,"
        "source_publisher,source_kind,source_url,source_published,source_quote,source_checked\r\n"
        f"Example Fire Authority (fictional),{f.KIND},Example Station (fictional),SW1A 2AA,hikvision,"
        f"A fictional claim.,reported,2026-10-20,{f.STATUS},Fictional report,Example Publisher,press,"
        "https://www.example.org/fire,2026-10-20,Cameras at the Example Fire Authority's station.,2026-10-21\r\n"
    ).encode()
    report = prepare_import(sheet, "upload.csv", data.directory, geocode=get_directory().lookup_many)
    assert report.fatal == [] and [r.accepted for r in report.rows] == [True], report.text()
    assert report.preview[0]["properties"]["kind"] == f.KIND


@pytest.mark.boundaries
def test_the_method_page_defines_the_new_terms(fictional_app):
    import fictional as f
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "pages" / "method.py"), default_timeout=60)
    app.run()
    assert not app.exception
    text = "\n".join(m.value for m in app.markdown)
    from geo.outputs.text import escape_markdown

    for label, definition in (
        (f.KIND_LABEL, f.KIND_DEFINITION),
        (f.STATUS_LABEL, f.STATUS_DEFINITION),
        (f.AREA_LABEL, f.AREA_DEFINITION),
    ):
        assert f"**{escape_markdown(label)}**: {escape_markdown(definition)}" in text


@pytest.mark.boundaries
def test_the_map_page_counts_and_words_the_new_status(fictional_app):
    import fictional as f
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    app.run()
    assert not app.exception
    nations = next(d for d in app.dataframe if d.value.columns[0] == "Nation")
    assert f.AREA_HEADING in list(nations.value.columns)
    uk = nations.value.set_index("Nation").loc["United Kingdom"]
    assert int(uk[f.AREA_HEADING]) == 2
    text = "\n".join(m.value for m in app.markdown)
    assert f"**2** {f.AREA_WORDS}" in text  # the sentence in words
