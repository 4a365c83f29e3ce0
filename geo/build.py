"""Build the dataset the app reads: sites with their location, district and claims.

``python -m geo build`` checks the package, geocodes every site's postcode
offline and writes ``data/build/sites.geojson`` atomically (a half-written
file never replaces a good one).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from geo import settings
from geo.areas import districts_by_code
from geo.atomic import write_text_atomically
from geo.datapackage import Package, Problem, check_package, load_package, split_multi

GRADE_ORDER = ("official", "documented", "reported")  # strongest first


class BuildError(RuntimeError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"the data package has {len(problems)} problem(s)")


def _geocode_in_chunks(postcodes: list[str], geocode: Callable[[list[str]], list], progress: bool, chunk: int = 5000) -> list:
    """Geocode in chunks so that a progress bar can follow long work."""
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(postcodes), desc="geocoding sites", unit="site")
    results: list = []
    for start in range(0, len(postcodes), chunk):
        results.extend(geocode(postcodes[start:start + chunk]))
        if bar is not None:
            bar.update(min(chunk, len(postcodes) - start))
    if bar is not None:
        bar.close()
    return results


def strongest_grade(grades: list[str]) -> str:
    return min(grades, key=GRADE_ORDER.index) if grades else ""


def site_features(package: Package, geocode: Callable[[list[str]], list], progress: bool = False) -> list[dict]:
    """GeoJSON features of every site, joined with geography and claims."""
    sites = package.table("sites").rows
    claims_by_site: dict[str, list[dict]] = {}
    for claim in package.table("claims").rows:
        claims_by_site.setdefault(claim["site"], []).append({
            "id": claim["id"],
            "vendor": claim["vendor"],
            "claim": claim["claim"],
            "grade": claim["grade"],
            "reported": claim["reported"],
            "status": claim["status"],
            "sources": split_multi(claim["sources"], ";"),
            "response": claim["response"],
        })
    with_postcode = [s["postcode"] for s in sites if s["postcode"]]
    located = iter(_geocode_in_chunks(with_postcode, geocode, progress))
    features = []
    for site in sites:
        lad_code = lad_name = region = nation = ""
        if site["postcode"]:
            location = next(located)
            lat, lon = location.lat, location.lon
            lad_code, lad_name, region, nation = location.lad_code, location.lad_name, location.region, location.nation
        else:
            lat, lon = float(site["lat"]), float(site["lon"])
        claims = sorted(claims_by_site.get(site["id"], []), key=lambda c: c["reported"], reverse=True)
        features.append({
            "type": "Feature",
            "id": site["id"],
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "id": site["id"],
                "name": site["name"],
                "organisation": site["organisation"],
                "kind": site["kind"],
                "address": site["address"],
                "postcode": site["postcode"],
                "precision": site["precision"],
                "location_source": site["location_source"],
                "note": site["note"],
                "lad_code": lad_code,
                "lad_name": lad_name,
                "region": region,
                "nation": nation,
                "grade": strongest_grade([c["grade"] for c in claims]),
                "claims": claims,
            },
        })
    _locate_by_boundaries([f for f in features if not f["properties"]["postcode"]], districts_by_code())
    return features


def _locate_by_boundaries(features: list[dict], districts: dict) -> None:
    """Fill the district of sites given by coordinates, from the district polygons.

    Without the boundary file these sites keep an empty district: filters by
    nation, region or council then leave them out, and the check says nothing
    false about where they are.
    """
    if not features:
        return
    import shapely

    from geo.areas import BoundariesUnavailable, load_boundaries

    try:
        polygons = load_boundaries("ltla")
    except BoundariesUnavailable as error:
        print(f"warning: {error}; {len(features)} site(s) given by coordinates have no district")
        return
    for feature in features:
        point = shapely.Point(feature["geometry"]["coordinates"])
        hits = polygons[polygons.contains(point)]
        if hits.empty:
            continue
        district = districts.get(hits.iloc[0]["code"])
        if district:
            feature["properties"].update(
                lad_code=district.lad_code, lad_name=district.lad_name,
                region=district.region, nation=district.nation,
            )


def build(directory: Path = settings.DATA_DIR, output: Path = settings.BUILT_SITES, progress: bool = False) -> dict:
    """Check, geocode and write the built dataset; return the GeoJSON written.

    Raises :class:`BuildError` (with every problem) if the package does not pass the check.
    """
    from geo.postcodes import get_directory

    directory_lookup = get_directory().lookup_many
    problems = check_package(directory, geocode=directory_lookup)
    if problems:
        raise BuildError(problems)
    package, _ = load_package(directory)
    collection = {
        "type": "FeatureCollection",
        "features": site_features(package, directory_lookup, progress=progress),
    }
    write_text_atomically(output, json.dumps(collection, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return collection
