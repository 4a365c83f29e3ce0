"""The map's data files: named by content, written whole, old ones pruned."""

from __future__ import annotations

import json
import os

from geo.outputs.files import GENERATED_URL, KEEP_GENERATED, publish_json


def test_the_same_content_gets_the_same_address_and_new_content_a_new_one(tmp_path):
    first = publish_json({"name": ["Fictional Hall"]}, "sites", target=tmp_path)
    again = publish_json({"name": ["Fictional Hall"]}, "sites", target=tmp_path)
    other = publish_json({"name": ["Fictional Annex"]}, "sites", target=tmp_path)
    assert first == again != other
    assert first.startswith(GENERATED_URL + "/sites-")
    assert json.loads((tmp_path / first.rsplit("/", 1)[1]).read_text(encoding="utf-8")) == {"name": ["Fictional Hall"]}


def test_old_files_of_a_prefix_are_pruned_and_others_kept(tmp_path):
    boundary = publish_json({"layer": "ltla"}, "ltla", target=tmp_path)
    urls = []
    for n in range(KEEP_GENERATED + 5):
        urls.append(publish_json({"n": n}, "sites", target=tmp_path))
        path = tmp_path / urls[-1].rsplit("/", 1)[1]
        os.utime(path, (1_000_000 + n, 1_000_000 + n))  # strictly increasing ages
    kept = sorted(p.name for p in tmp_path.glob("sites-*.json"))
    assert len(kept) == KEEP_GENERATED
    assert urls[-1].rsplit("/", 1)[1] in kept and urls[0].rsplit("/", 1)[1] not in kept
    assert (tmp_path / boundary.rsplit("/", 1)[1]).exists()


def test_a_click_is_read_from_the_keys_in_the_tooltip():
    from geo.outputs.mapview import clicked_on

    assert clicked_on("hikmap:site:dwp-caxton-house,dwp-jobcentre-plus-offices:hikmap2 sites: A; B") == (
        "site",
        ["dwp-caxton-house", "dwp-jobcentre-plus-offices"],
    )
    assert clicked_on("hikmap:area:E09000033:hikmapCity of Westminster Nothing known yet") == ("area", ["E09000033"])
    assert clicked_on("A name that says hikmap:site:<b>:hikmap") == ("", [])
    assert clicked_on(None) == ("", [])


def test_vendor_files_are_copied_whole_when_first_maps_are_built_at_once(tmp_path):
    """Sessions run in threads: several first map builds copy Leaflet at the same time."""
    from concurrent.futures import ThreadPoolExecutor

    from geo.outputs.vendor import _PACKAGES, _data_dir, ensure_vendor_assets

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: ensure_vendor_assets(tmp_path), range(8)))  # raises if any copy failed
    for folder, (module_name, names) in _PACKAGES.items():
        source = _data_dir(module_name)
        for name in names:
            src = source / name
            for path in (p for p in src.rglob("*") if p.is_file()) if src.is_dir() else [src]:
                assert (tmp_path / folder / path.relative_to(source)).read_bytes() == path.read_bytes()
    assert not list(tmp_path.rglob(".*"))  # no temporary file left behind
