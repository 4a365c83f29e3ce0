"""The app's pages run headless (AppTest): logic and widgets, without a browser."""

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from geo.evidence.dataset import load_dataset
from geo.filters import Filters, apply_filters

DATA = load_dataset()
ALL = f"**{len(DATA.sites)}** of {len(DATA.sites)} sites · **{len(DATA.claims)}** of {len(DATA.claims)} claims"


def counts_line(filters: Filters) -> str:
    chosen = apply_filters(DATA.sites, DATA.claims, filters)
    return f"**{chosen.site_count}** of {len(DATA.sites)} sites · **{chosen.claim_count}** of {len(DATA.claims)} claims"


@pytest.fixture
def home(monkeypatch, tmp_path):
    monkeypatch.setenv("HIKMAP_TILES", "none")
    app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    return app


def markdown_text(app) -> str:
    return "\n".join(m.value for m in app.markdown)


def test_home_page_runs_and_shows_the_sites_and_campaign_text(home):
    home.run()
    assert not home.exception
    assert home.title[0].value == "Hikvision cameras in UK public buildings"
    text = markdown_text(home)
    assert ALL in text
    assert "Why Hikvision?" in text
    # Citations are numbered links to the sources page.
    assert "[[1]](sources?source=" in text
    # Key figures come from figures.csv, each linked to its source.
    assert "**73% of local authorities**" in text
    assert "(sources?source=in2thebargain-2023-bbw-sector-figures)" in text


def test_filters_from_the_url_are_applied(home):
    home.query_params["region"] = "Wales"
    home.run()
    assert not home.exception
    assert counts_line(Filters(regions=("Wales",))) + " match the filters." in markdown_text(home)
    assert home.sidebar.multiselect(key="map_filter_regions").value == ["Wales"]


def test_repeated_url_parameters_mean_a_comma_list(home):
    """kind=council&kind=police is kind=council,police, as in the published copy (geo/filters.py)."""
    home.query_params["kind"] = ["council", "police"]
    home.query_params["from"] = "20230101"  # not YYYY-MM-DD: ignored with a message, in both
    home.run()
    assert not home.exception
    assert counts_line(Filters(kinds=("council", "police"))) + " match the filters." in markdown_text(home)
    assert home.sidebar.multiselect(key="map_filter_kinds").value == ["council", "police"]
    assert any("20230101" in t.value and "not a date" in t.value for t in home.toast)  # escaped Markdown


def test_the_filters_are_applied_once_per_run(home, monkeypatch):
    """The map is cached on what it shows (the selection, the frame), not on the filters' URL form re-applied."""
    import streamlit as st

    import ui.filter_state

    calls = []

    def counted(*args, **kwargs):
        calls.append(args[2])
        return apply_filters(*args, **kwargs)

    monkeypatch.setattr(ui.filter_state, "apply_filters", counted)
    st.cache_data.clear()  # a cold map cache: the run builds the map
    home.query_params["region"] = "Wales"
    home.run()
    assert not home.exception
    assert calls == [Filters(regions=("Wales",))]
    home.sidebar.multiselect(key="map_filter_kinds").set_value(["council"]).run()
    assert calls[1:] == [Filters(regions=("Wales",), kinds=("council",))]


def test_changing_a_filter_updates_counts_and_url(home):
    home.run()
    home.sidebar.text_input(key="map_filter_text").input("Ministry of Justice").run()
    assert counts_line(Filters(text="Ministry of Justice")) in markdown_text(home)
    assert home.query_params["q"] == ["Ministry of Justice"] or home.query_params["q"] == "Ministry of Justice"
    # The reset button is proved in the real browser (tests/test_map_browser.py).


def test_near_a_postcode_says_what_is_known_of_that_council(home):
    home.query_params["near"] = "sw1h9na"
    home.query_params["km"] = "1"
    home.run()
    assert not home.exception
    text = markdown_text(home)
    assert "is in **Westminster** (London, England)" in text
    assert "City of Westminster: **Nothing known yet**." in text
    assert "site(s) within 1 km" in text


def test_a_bad_near_postcode_is_a_clear_error(home):
    home.query_params["near"] = "ZZ9 9ZZ"
    home.run()
    assert not home.exception
    assert any("ZZ9 9ZZ" in e.value and "unknown postcode" in e.value for e in home.error)


def test_petition_button_only_when_configured(home, monkeypatch):
    home.run()
    assert not list(home.get("link_button"))
    monkeypatch.setenv("HIKMAP_PETITION_URL", "https://petition.example.org/ban-hikvision")
    app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    app.run()
    buttons = app.get("link_button")
    assert len(buttons) == 1
    assert buttons[0].proto.url == "https://petition.example.org/ban-hikvision"


def test_with_a_published_copy_share_and_embed_point_at_it(home, monkeypatch):
    monkeypatch.setenv("HIKMAP_PUBLISH_URL", "https://news.example.org/hikvision-map")
    home.query_params["region"] = "London"
    home.switch_page("pages/data.py")
    home.run()
    assert not home.exception
    codes = [c.value for c in home.code]
    assert "https://news.example.org/hikvision-map/index.html?region=London" in codes
    assert any("hikvision-map/index.html?region=London&amp;view=embed" in c for c in codes)
    assert "on the published map" in markdown_text(home)


def test_the_sentence_in_words_counts_bodies_in_good_english(home):
    from geo.evidence.counts import bodies

    filters = Filters(text="Ministry of Justice")
    chosen = apply_filters(DATA.sites, DATA.claims, filters)
    assert len(bodies(chosen.sites, chosen.claims, DATA.vocabulary)) == 1  # the premise of this test
    home.query_params["q"] = "Ministry of Justice"
    home.run()
    assert not home.exception
    assert "In words: 1 body in view: **1** with equipment reported or confirmed" in markdown_text(home)


def test_a_council_name_in_a_did_you_mean_button_is_escaped(monkeypatch):
    """A button's label is Markdown: a name with **bold** or :red[...] shows as it is written."""
    import dataclasses

    from geo.foi import asking
    from geo.outputs.text import escape_markdown
    from geo.places.authorities import load_authorities

    real = load_authorities().get("E06000066")
    odd = dataclasses.replace(real, code="FICTION", name="**Fictional** :red[Borough] https://evil.example Council")
    monkeypatch.setattr(
        asking, "find_council", lambda *args: asking.CouncilSearch(candidates=(odd,), message="No council")
    )
    app = AppTest.from_file(str(ROOT / "pages" / "councils.py"), default_timeout=60)
    app.run()
    app.text_input(key="councils_search").input("Fictional").run()
    assert not app.exception
    labels = [b.label for b in app.button if b.key == "councils_candidate_FICTION"]
    assert labels == [escape_markdown(odd.name)]


def test_a_council_whose_public_answer_is_unread_says_so_and_never_that_it_said_nothing():
    """Knowsley's request on WhatDoTheyKnow is answered, but the campaign could not read the answer."""
    (request,) = DATA.foi_requests[DATA.foi_requests["id"] == "wdtk-advanced-cctv-35"].itertuples(index=False)
    app = AppTest.from_file(str(ROOT / "pages" / "councils.py"), default_timeout=60)
    app.query_params["authority"] = request.authority
    app.run()
    assert not app.exception
    text = markdown_text(app)
    assert "FOI answered, no finding recorded" in text and "nothing either way" not in text
    (line,) = [m.value for m in app.markdown if m.value.startswith(f"- Sent {request.sent}")]
    assert "**answered**, not yet read by the campaign" in line
    assert "on WhatDoTheyKnow: Partially successful" in line
    assert "(answered " not in line  # no day of answer is known, and none is made up


def test_the_method_page_offers_the_feed_as_a_download_without_a_published_copy(monkeypatch):
    import xml.etree.ElementTree as ET

    monkeypatch.delenv("HIKMAP_PUBLISH_URL", raising=False)
    app = AppTest.from_file(str(ROOT / "pages" / "method.py"), default_timeout=60)
    app.run()
    assert not app.exception
    buttons = app.get("download_button")
    assert [b.proto.label for b in buttons] == [
        "Download the change log (Markdown)",
        "Download the feed of changes (Atom)",
    ]
    assert "method_feed_download" in buttons[1].proto.id
    from ui import loading

    root = ET.fromstring(loading.feed())
    assert root.tag == "{http://www.w3.org/2005/Atom}feed" and root.findall("{http://www.w3.org/2005/Atom}entry")
    assert "feed.xml" not in markdown_text(app)


def test_the_method_page_links_the_published_feed(monkeypatch):
    monkeypatch.setenv("HIKMAP_PUBLISH_URL", "https://news.example.org/hikvision-map")
    app = AppTest.from_file(str(ROOT / "pages" / "method.py"), default_timeout=60)
    app.run()
    assert not app.exception
    from geo.outputs.text import markdown_link

    link = markdown_link("Follow changes (Atom feed)", "https://news.example.org/hikvision-map/feed.xml")
    assert link.endswith("](https://news.example.org/hikvision-map/feed.xml)") and link in markdown_text(app)
    assert [b.proto.label for b in app.get("download_button")] == ["Download the change log (Markdown)"]
