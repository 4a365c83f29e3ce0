"""Build the dataset the app reads: sites with their location, district and claims.

``python -m geo build`` checks the package, places every site (its postcode
geocoded offline, its coordinates, or a point inside its authority's area),
joins its claims and their sources, and writes ``data/build/sites.geojson``
atomically (a half-written file never replaces a good one).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from geo import settings
from geo.atomic import write_text_atomically
from geo.evidence.datapackage import Package, Problem, check_package, links, load_package
from geo.evidence.vocabulary import from_descriptor
from geo.places.authorities import Authorities, Authority, load_authorities
from geo.places.districts import districts_by_code


class BuildError(RuntimeError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"the data package has {len(problems)} problem(s)")


def _geocode_in_chunks(
    postcodes: list[str], geocode: Callable[[list[str]], list], progress: bool, chunk: int = 5000
) -> list:
    """Geocode in chunks so that a progress bar can follow long work."""
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(postcodes), desc="geocoding sites", unit="site")
    results: list = []
    for start in range(0, len(postcodes), chunk):
        results.extend(geocode(postcodes[start : start + chunk]))
        if bar is not None:
            bar.update(min(chunk, len(postcodes) - start))
    if bar is not None:
        bar.close()
    return results


def _claims_by_site(package: Package) -> dict[str, list[dict]]:
    sources_of = links(package, "claim_sources", "claim", "source")
    claims_by_site: dict[str, list[dict]] = {}
    for claim in package.table("claims").rows:
        claims_by_site.setdefault(claim["site"], []).append(
            {
                "id": claim["id"],
                "vendor": claim["vendor"],
                "claim": claim["claim"],
                "grade": claim["grade"],
                "reported": claim["reported"],
                "status": claim["status"],
                "equipment_count": int(claim["equipment_count"]) if claim["equipment_count"] else None,
                "sources": sources_of.get(claim["id"], []),
                "response": claim["response"],
            }
        )
    for claims in claims_by_site.values():
        claims.sort(key=lambda c: c["reported"], reverse=True)  # newest first; undated last
    return claims_by_site


def area_codes(authority: Authority | None, lad_code: str, authorities: Authorities) -> list[str]:
    """Current authority codes a site is about or in: what the council filter matches.

    For a site that stands for an authority: that authority (as it was) and the
    current ones that stand for it today. For a place: its district and the
    county council above it.
    """
    codes: list[str] = []
    if authority is not None:
        codes.append(authority.gss_code)
        codes += [s.gss_code for s in authorities.successors(authority)]
    elif lad_code:
        codes.append(lad_code)
        district = authorities.get(lad_code)
        county = authorities.by_code.get(district.county) if district and district.county else None
        if county is not None and county.current:
            codes.append(county.gss_code)
    return list(dict.fromkeys(c for c in codes if c))


def site_features(
    package: Package,
    geocode: Callable[[list[str]], list],
    progress: bool = False,
    authorities: Authorities | None = None,
) -> list[dict]:
    """GeoJSON features of every site, joined with geography and claims.

    A site is placed by its postcode, its coordinates, or (standing for an
    area) the point inside its authority's area. Its district is the one its
    postcode or point lies in; an area site takes its region and nation from
    its authority and has a district only when the authority is one.
    """
    authorities = authorities or load_authorities()
    vocabulary = from_descriptor(package.descriptor)
    areas = set(vocabulary.keys_with("precisions", "area"))
    unplaced = set(vocabulary.keys_with("precisions", "unplaced"))
    districts = districts_by_code()
    sites = package.table("sites").rows
    claims_by_site = _claims_by_site(package)
    with_postcode = [s["postcode"] for s in sites if s["postcode"]]
    located = iter(_geocode_in_chunks(with_postcode, geocode, progress))
    features: list[dict[str, Any]] = []
    to_locate: list[dict[str, Any]] = []
    for site in sites:
        authority = authorities.get(site["authority"]) if site["authority"] else None
        lad_code = lad_name = region = nation = ""
        if site["postcode"]:
            location = next(located)
            lat, lon = location.lat, location.lon
            lad_code, lad_name, region, nation = location.lad_code, location.lad_name, location.region, location.nation
        elif site["precision"] in unplaced:
            lat = lon = None  # listed and counted, not on the map
            if authority is not None:
                region, nation = authority.region, authority.nation
        elif site["precision"] in areas and authority is not None:
            lat, lon = _area_point(authority, authorities)
            region, nation = authority.region, authority.nation
            if authority.gss_code in districts:
                lad_code, lad_name = authority.gss_code, districts[authority.gss_code].lad_name
        else:
            lat, lon = float(site["lat"]), float(site["lon"])
        claims = claims_by_site.get(site["id"], [])
        feature: dict[str, Any] = {
            "type": "Feature",
            "id": site["id"],
            "geometry": None if lat is None else {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "id": site["id"],
                "name": site["name"],
                "organisation": site["organisation"],
                "kind": site["kind"],
                "authority": site["authority"],
                "authority_name": authority.name if authority else "",
                "address": site["address"],
                "postcode": site["postcode"],
                "precision": site["precision"],
                "location_source": site["location_source"],
                "note": site["note"],
                "lad_code": lad_code,
                "lad_name": lad_name,
                "region": region,
                "nation": nation,
                "grade": vocabulary.strongest_grade(c["grade"] for c in claims),
                "claims": claims,
            },
        }
        features.append(feature)
        if not site["postcode"] and site["precision"] not in areas | unplaced:
            to_locate.append(feature)
    _locate_by_boundaries(to_locate, districts)
    for feature, site in zip(features, sites):
        authority = authorities.get(site["authority"]) if site["precision"] in areas and site["authority"] else None
        feature["properties"]["area_codes"] = area_codes(authority, feature["properties"]["lad_code"], authorities)
    return features


def _area_point(authority: Authority, authorities: Authorities) -> tuple[float, float]:
    """Where the marker of a site standing for ``authority``'s area goes (a point inside it)."""
    for candidate in [authority] + authorities.successors(authority):
        if candidate.lat is not None and candidate.lon is not None:
            return candidate.lat, candidate.lon
    raise ValueError(f"authority {authority.gss_code} ({authority.name}) has no point to place an area marker")


def _locate_by_boundaries(features: list[dict], districts: dict) -> None:
    """Fill the district of sites given by coordinates, from the district polygons (one spatial join).

    Without the boundary file these sites keep an empty district: filters by
    nation, region or council then leave them out, and the check says nothing
    false about where they are.
    """
    if not features:
        return
    import geopandas as gpd

    from geo.places.boundaries import BoundariesUnavailable, load_boundaries

    try:
        polygons = load_boundaries("ltla")
    except BoundariesUnavailable as error:
        print(f"warning: {error}; {len(features)} site(s) given by coordinates have no district")
        return
    points = gpd.GeoDataFrame(
        {"position": range(len(features))},
        geometry=gpd.points_from_xy(
            [f["geometry"]["coordinates"][0] for f in features], [f["geometry"]["coordinates"][1] for f in features]
        ),
        crs="EPSG:4326",
    )
    joined = gpd.sjoin(points, polygons[["code", "geometry"]], how="inner", predicate="within")
    for position, code in zip(joined["position"], joined["code"]):
        district = districts.get(code)
        if district:
            features[position]["properties"].update(
                lad_code=district.lad_code,
                lad_name=district.lad_name,
                region=district.region,
                nation=district.nation,
            )


def write_built(collection: dict, output: Path) -> None:
    """Write the built dataset (GeoJSON) atomically: a half-written file never replaces a good one."""
    write_text_atomically(output, json.dumps(collection, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def build(
    directory: Path = settings.DATA_DIR,
    output: Path = settings.BUILT_SITES,
    progress: bool = False,
    geocode: Callable[[list[str]], list] | None = None,
) -> dict:
    """Check, geocode and write the built dataset; return the GeoJSON written.

    The package is read once, and each postcode geocoded once (the check's
    lookups are remembered for placing the sites). ``geocode`` defaults to the
    postcode directory. Raises :class:`BuildError` (with every problem) if the
    package does not pass the check.
    """
    from geo.places.postcodes import get_directory, remembering

    lookup = remembering(geocode or get_directory().lookup_many)
    package, _ = load_package(directory)
    problems = check_package(package, geocode=lookup)
    if problems:
        raise BuildError(problems)
    collection = {
        "type": "FeatureCollection",
        "features": site_features(package, lookup, progress=progress),
    }
    write_built(collection, output)
    return collection
