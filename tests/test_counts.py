"""Counting bodies by what is known of them, and the councils still unknown (geo.evidence.counts)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo.evidence.counts import bodies, not_placed, status_counts, unknown_councils
from geo.evidence.dataset import load_dataset
from geo.filters import Filters, apply_filters
from geo.foi.known import area_statuses
from geo.places.authorities import load_authorities

DATA = load_dataset()
AUTHORITIES = load_authorities()
AREAS = area_statuses(
    DATA.sites, DATA.claims, DATA.foi_requests, AUTHORITIES, DATA.vocabulary, today=dt.date(2026, 11, 27)
)
COUNCILS = [a for a in AUTHORITIES.current() if a.is_council and a.gss_code]


def test_unknown_councils_are_the_current_councils_with_nothing_known():
    unknown = unknown_councils(AREAS, AUTHORITIES)
    assert set(unknown["code"]) == {a.gss_code for a in COUNCILS} - set(AREAS)
    assert len(unknown) == len(COUNCILS) - len(set(AREAS) & {a.gss_code for a in COUNCILS})


@pytest.mark.parametrize(
    "filters, column, chosen",
    [
        (Filters(regions=("London",)), "region", {"London"}),
        (Filters(nations=("Scotland", "Wales")), "nation", {"Scotland", "Wales"}),
    ],
)
def test_unknown_councils_follow_the_places_the_filters_select(filters, column, chosen):
    unknown = unknown_councils(AREAS, AUTHORITIES, filters)
    everywhere = unknown_councils(AREAS, AUTHORITIES)
    assert len(unknown) > 0 and set(unknown[column]) == chosen
    assert len(unknown) == int(everywhere[column].isin(chosen).sum())


def test_a_council_filter_counts_that_council_alone():
    code = unknown_councils(AREAS, AUTHORITIES)["code"].iloc[0]
    assert list(unknown_councils(AREAS, AUTHORITIES, Filters(councils=(code,)))["code"]) == [code]
    known = next(iter(AREAS))
    assert unknown_councils(AREAS, AUTHORITIES, Filters(councils=(known,))).empty


def test_filters_about_evidence_do_not_change_the_councils_unknown():
    assert len(unknown_councils(AREAS, AUTHORITIES, Filters(kinds=("police",), text="anything"))) == len(
        unknown_councils(AREAS, AUTHORITIES)
    )


def test_the_uk_row_is_the_sum_of_the_nations_and_the_not_placed():
    chosen = apply_filters(DATA.sites, DATA.claims, Filters())
    found = bodies(chosen.sites, chosen.claims, DATA.vocabulary)
    table = status_counts(found, unknown_councils(AREAS, AUTHORITIES), "nation", DATA.vocabulary).set_index("nation")
    uk = table.loc["United Kingdom"]
    rest = table.drop(index="United Kingdom")
    for column in DATA.vocabulary.count_columns:
        assert int(rest[column].sum()) == int(uk[column]), column
    assert int(uk["unknown"]) == len(COUNCILS) - len(set(AREAS) & {a.gss_code for a in COUNCILS})
    if (found["nation"] == "").any():
        assert not_placed(DATA.vocabulary) in table.index
        assert int(table.loc[not_placed(DATA.vocabulary), "unknown"]) == 0


def _tiny(claims: list[tuple[str, str, str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    sites = pd.DataFrame(
        [
            {
                "id": "s1",
                "kind": "police",
                "authority": "",
                "organisation": "Example Fictional Police",
                "nation": "England",
                "region": "London",
            }
        ]
    )
    return sites, pd.DataFrame(
        [{"site": "s1", "status": status, "reported": reported, "id": key} for key, status, reported in claims]
    )


def test_a_body_takes_the_status_of_its_latest_claim():
    sites, claims = _tiny([("c1", "confirmed", "2024-01-01"), ("c2", "removed", "2025-06-01")])
    assert bodies(sites, claims, DATA.vocabulary)["status"].tolist() == ["removed"]
    sites, claims = _tiny([("c1", "removed", "2024-01-01"), ("c2", "confirmed", "2025-06-01")])
    assert bodies(sites, claims, DATA.vocabulary)["status"].tolist() == ["in-use"]
