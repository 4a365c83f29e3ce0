"""The committed data: the built file is current, and the campaign text cites real sources."""

import json

from conftest import ROOT
from geo.build import build
from geo.campaign import CITATION_RE
from geo.dataset import load_dataset, read_changelog


def test_committed_build_is_what_the_build_makes(tmp_path):
    # The app reads data/build/sites.geojson: it must match the CSVs it was built from.
    fresh = build(ROOT / "data", tmp_path / "sites.geojson")
    committed = json.loads((ROOT / "data" / "build" / "sites.geojson").read_text(encoding="utf-8"))
    assert committed == fresh


def test_campaign_text_cites_only_sources_in_the_package():
    dataset = load_dataset()
    cited = CITATION_RE.findall((ROOT / "data" / "campaign.md").read_text(encoding="utf-8"))
    assert cited, "the campaign text cites nothing"
    assert set(cited) <= set(dataset.sources["id"])


def test_change_log_names_the_package_version():
    entries = read_changelog(ROOT / "data" / "CHANGELOG.md")
    descriptor = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    assert entries and entries[0][1] == descriptor["version"]


def test_district_table_is_what_the_script_generates(tmp_path):
    from geo.areas import NATIONS, generate_districts

    rows = generate_districts(tmp_path / "districts.csv")
    assert (tmp_path / "districts.csv").read_text(encoding="utf-8") == (ROOT / "data" / "districts.csv").read_text(encoding="utf-8")
    assert len(rows) == 361
    assert {r.nation for r in rows} == set(NATIONS)
    assert len({r.region for r in rows}) == 12  # nine English regions + Scotland, Wales, Northern Ireland
    # The ONS file's quirks are recoded to the codes the postcode directory uses.
    codes = {r.lad_code: r.lad_name for r in rows}
    assert codes["S12000049"] == "Glasgow City" and codes["S12000050"] == "North Lanarkshire"
    assert "S12000046" not in codes and "S12000044" not in codes
