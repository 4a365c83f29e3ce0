"""The committed data: the built file is current, and the campaign text cites real sources."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from geo.evidence.build import build
from geo.evidence.dataset import load_dataset, read_changelog
from geo.outputs.campaign import CITATION_RE


@pytest.mark.boundaries
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


@pytest.mark.boundaries
def test_district_table_is_what_the_script_generates(tmp_path):
    from geo.places.districts import NATIONS, generate_districts

    rows = generate_districts(tmp_path / "districts.csv")
    assert (tmp_path / "districts.csv").read_text(encoding="utf-8") == (ROOT / "data" / "districts.csv").read_text(
        encoding="utf-8"
    )
    assert len(rows) == 361
    assert {r.nation for r in rows} == set(NATIONS)
    assert len({r.region for r in rows}) == 12  # nine English regions + Scotland, Wales, Northern Ireland
    # The ONS file's quirks are recoded to the codes the postcode directory uses.
    codes = {r.lad_code: r.lad_name for r in rows}
    assert codes["S12000049"] == "Glasgow City" and codes["S12000050"] == "North Lanarkshire"
    assert "S12000046" not in codes and "S12000044" not in codes


def frictionless(package: Path) -> subprocess.CompletedProcess:
    """The standard validator (Frictionless 5, pinned), as a user would run it."""
    command = Path(sys.executable).parent / "frictionless"
    return subprocess.run(
        [str(command), "validate", str(package / "datapackage.json")], capture_output=True, text=True, timeout=300
    )


def test_the_package_passes_the_standard_validator():
    result = frictionless(ROOT / "data")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_standard_validator_catches_a_broken_link_between_tables(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("backups", "build"))
    with (data / "claim_sources.csv").open("a", encoding="utf-8") as handle:
        handle.write("no-such-claim,no-such-source\n")
    result = frictionless(data)
    assert result.returncode != 0 and "foreign-key" in result.stdout


@pytest.mark.boundaries
def test_authority_tables_are_what_the_script_generates(tmp_path):
    from geo.places.authorities import generate, load_authorities

    rows, names = generate(path=tmp_path / "authorities.csv", names_path=tmp_path / "authority_names.csv")
    for name in ("authorities.csv", "authority_names.csv"):
        assert (tmp_path / name).read_text(encoding="utf-8") == (ROOT / "data" / name).read_text(encoding="utf-8")
    current = list(load_authorities().current())
    assert len(current) == 397 and rows > len(current) and names > rows


@pytest.mark.boundaries
def test_hex_table_is_what_the_script_generates(tmp_path):
    from geo.places.districts import load_districts
    from geo.places.hexes import generate_hexes

    hexes = generate_hexes(path=tmp_path / "hexes.csv")
    assert (tmp_path / "hexes.csv").read_text(encoding="utf-8") == (ROOT / "data" / "hexes.csv").read_text(
        encoding="utf-8"
    )
    assert {h.code for h in hexes} == {d.lad_code for d in load_districts()}
    assert len({(h.q, h.r) for h in hexes}) == len(hexes) == 361  # one cell each, none shared
