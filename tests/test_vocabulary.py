"""The vocabulary is defined once, in datapackage.json, and every view knows every term.

A new kind of body is one entry in the descriptor (its value, label,
definition and shape) plus the data: the last test adds a fictional kind to a
scratch copy and follows it through the check, the build, the map data, the
press image, the import template, the filters and the method page's text.
"""

from __future__ import annotations

import copy
import json
import shutil

import matplotlib.pyplot
import pytest

from conftest import ROOT
from geo import foi, press
from geo.datapackage import check_package
from geo.dataset import load_dataset
from geo.filters import Filters, allowed_values, apply_filters
from geo.mapview import map_data
from geo.vocabulary import SHAPES, from_descriptor, load_vocabulary

VOCABULARY = load_vocabulary(ROOT / "data")
DESCRIPTOR = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("group", ["kinds", "grades", "statuses", "precisions", "vendors", "source_kinds",
                                   "request_statuses", "findings", "laws", "area_statuses"])
def test_every_term_has_a_label_and_a_definition(group):
    terms = getattr(VOCABULARY, group)
    assert terms
    for term in terms:
        assert term.label and term.label != term.key or group == "laws", (group, term.key)
        assert term.definition or group in ("laws", "vendors"), (group, term.key)


def test_every_kind_has_a_shape_and_every_colour_is_set():
    assert {t.shape for t in VOCABULARY.kinds} <= set(SHAPES)
    assert all(t.colour.startswith("#") for t in VOCABULARY.grades + VOCABULARY.area_statuses)
    assert {t.area_status for t in VOCABULARY.statuses} <= {t.key for t in VOCABULARY.area_statuses}


def test_a_kind_with_an_unknown_shape_is_refused_by_name():
    broken = copy.deepcopy(DESCRIPTOR)
    field = next(f for r in broken["resources"] if r["name"] == "sites" for f in r["schema"]["fields"] if f["name"] == "kind")
    field["x-shapes"]["police"] = "dodecahedron"
    with pytest.raises(ValueError, match="kind 'police' has shape 'dodecahedron'"):
        from_descriptor(broken)


def test_the_browser_gets_every_term_it_draws():
    sent = VOCABULARY.for_browser()
    assert [k["key"] for k in sent["kinds"]] == VOCABULARY.keys("kinds")
    assert set(sent["shapes"]) == set(SHAPES)
    assert [a["key"] for a in sent["areaStatuses"]] == VOCABULARY.keys("area_statuses")


@pytest.mark.boundaries
def test_a_new_kind_is_one_entry_in_the_descriptor(tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(ROOT / "data", data_dir, ignore=shutil.ignore_patterns("backups"))
    descriptor = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    field = next(f for r in descriptor["resources"] if r["name"] == "sites" for f in r["schema"]["fields"]
                 if f["name"] == "kind")
    field["constraints"]["enum"].append("fire-service")
    field["x-labels"]["fire-service"] = "Fire and rescue service"
    field["x-definitions"]["fire-service"] = "A fire and rescue service: its stations or estate."
    field["x-shapes"]["fire-service"] = "diamond"
    (data_dir / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    with (data_dir / "sites.csv").open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split(",")
    site = {c: "" for c in header} | {
        "id": "example-fire-station", "name": "Example Fire Station (fictional)",
        "organisation": "Fictional Fire and Rescue Service", "kind": "fire-service",
        "postcode": "M1 1AE", "precision": "building",
    }
    with (data_dir / "sites.csv").open("a", encoding="utf-8") as handle:
        handle.write(",".join(site[c] for c in header) + "\n")
    with (data_dir / "claims.csv").open(encoding="utf-8") as handle:
        claim_header = handle.readline().rstrip("\n").split(",")
    claim = {c: "" for c in claim_header} | {
        "id": "example-fire-claim", "site": "example-fire-station", "vendor": "hikvision",
        "claim": "A fictional claim for the test.", "grade": "reported", "reported": "2024", "status": "reported",
    }
    with (data_dir / "claims.csv").open("a", encoding="utf-8") as handle:
        handle.write(",".join(claim[c] for c in claim_header) + "\n")
    source = load_dataset().sources["id"].iloc[0]
    with (data_dir / "claim_sources.csv").open("a", encoding="utf-8") as handle:
        handle.write(f"example-fire-claim,{source},Cameras watch the Fictional Fire Station.,2026-11-30,\n")

    assert check_package(data_dir) == []
    from geo.build import build

    build(data_dir, data_dir / "build" / "sites.geojson")
    data = load_dataset(data_dir, data_dir / "build" / "sites.geojson")
    vocabulary = data.vocabulary
    assert vocabulary.label("kinds", "fire-service") == "Fire and rescue service"
    # The map: its shape and label travel with the data.
    payload = map_data(data.sites, data.claims, data.sources, vocabulary)
    kinds = payload["vocab"]["kinds"]
    at = [k["key"] for k in kinds].index("fire-service")
    position = list(data.sites["id"]).index("example-fire-station")
    assert payload["kind"][position] == at and kinds[at]["shape"] == "diamond"
    # The filters accept it.
    assert "fire-service" in allowed_values(vocabulary)["kinds"]
    chosen = apply_filters(data.sites, data.claims, Filters(kinds=("fire-service",)))
    assert list(chosen.sites["id"]) == ["example-fire-station"]
    # The press image draws it in its legend.
    from geo.authorities import load_authorities

    areas = foi.area_statuses(data.sites, data.claims, data.foi_requests, load_authorities(), vocabulary)
    png = press.render_png(data, chosen, Filters(kinds=("fire-service",)), areas, layout="geo")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    figure = press.render_figure(data, chosen, Filters(kinds=("fire-service",)), areas, layout="geo")
    texts = [text.get_text() for text in press.drawn_texts(figure)]
    matplotlib.pyplot.close(figure)
    assert "Fire and rescue service" in texts
    # The import takes it (the importer reads the same vocabulary from the package).
    from geo.importing import prepare_import
    from geo.postcodes import get_directory

    sheet = ("organisation,kind,site_name,postcode,vendor,claim,grade,reported,status,source_title,"
             "source_publisher,source_kind,source_url,source_published,source_quote,source_checked\r\n"
             "Example Fire Authority (fictional),fire-service,Example Station (fictional),SW1A 2AA,hikvision,"
             "A fictional claim.,reported,2026-10-20,reported,Fictional report,Example Publisher,press,"
             "https://www.example.org/fire,2026-10-20,Cameras at the Example Fire Authority's station.,"
             "2026-10-21\r\n").encode("utf-8")
    report = prepare_import(sheet, "upload.csv", data_dir, geocode=get_directory().lookup_many)
    assert report.fatal == [] and [r.accepted for r in report.rows] == [True], [
        (i.row, i.field, i.message) for i in report.issues]
    # And the method page lists every kind's definition from the same place.
    method = (ROOT / "pages" / "method.py").read_text(encoding="utf-8")
    assert 'definitions("kinds")' in method
