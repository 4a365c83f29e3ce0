"""The visitor's filters, kept between the URL, the session and the sidebar's widgets.

On a first visit the filters come from the URL; then the session keeps them
across pages, and every change is written back to the URL so that a copied
link restores the view.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from geo.evidence.dataset import Dataset
from geo.filters import (
    DATE_RANGE_LABEL,
    MULTI_PARAMS,
    PARAM_BY_FIELD,
    PARAM_KEYS,
    RADIUS_CHOICES_KM,
    Filters,
    Selection,
    apply_filters,
    strip,
)
from geo.outputs.text import escape_markdown
from geo.places.postcodes import Location
from ui.loading import allowed_values, authorities, council_names, districts_table, geocode

FILTER_PARAM_KEYS = set(PARAM_KEYS)


def _url_filters(data: Dataset) -> Filters:
    # Every value of each parameter: kind=a&kind=b means kind=a,b (the published copy reads it so too).
    params = {k: st.query_params.get_all(k) for k in FILTER_PARAM_KEYS}
    filters, messages = Filters.from_params(params, allowed_values(data))
    for message in messages:
        st.toast(escape_markdown(message))  # the message repeats what the URL said
    return filters


def current_filters(data: Dataset) -> Filters:
    """The session's filters: from the URL on a first visit, then kept across pages."""
    if "filters" not in st.session_state:
        st.session_state["filters"] = _url_filters(data)
        st.session_state["filters_version"] = 0
    return st.session_state["filters"]


def _set_filters(filters: Filters) -> None:
    if filters != st.session_state.get("filters"):
        st.session_state["filters"] = filters
        st.session_state["filters_version"] = st.session_state.get("filters_version", 0) + 1


def write_filters_to_url(filters: Filters) -> None:
    """Put the filters in the URL (keeping other parameters) so the link restores this view."""
    others = {k: v for k, v in st.query_params.to_dict().items() if k not in FILTER_PARAM_KEYS}
    wanted = {**others, **filters.to_params()}
    if wanted != st.query_params.to_dict():
        st.query_params.from_dict(wanted)


def filter_sidebar(data: Dataset, page: str) -> Filters:
    """Lay out the filters in the sidebar and return what they select.

    Widget keys are prefixed by ``page``. Their values come from the session's
    filters whenever those changed elsewhere (another page, the reset button).
    """
    filters = current_filters(data)
    version = st.session_state["filters_version"]
    key = lambda name: f"{page}_filter_{name}"  # noqa: E731 - a tiny local naming helper
    if st.session_state.get(key("version")) != version:
        for name in MULTI_PARAMS:
            st.session_state[key(name)] = list(getattr(filters, name))
        st.session_state[key("text")] = filters.text
        st.session_state[key("near")] = filters.near
        st.session_state[key("radius_km")] = filters.radius_km
        st.session_state[key("dates")] = _date_tuple(filters)
        st.session_state[key("version")] = version

    allowed = allowed_values(data)
    districts = districts_table()
    spec = PARAM_BY_FIELD
    names = council_names()
    sidebar = st.sidebar
    sidebar.header("Filter")
    for name in ("text", "near"):
        sidebar.text_input(
            spec[name].label, key=key(name), placeholder=spec[name].placeholder, max_chars=spec[name].max_length
        )
    # Never disabled: Streamlit greys a disabled widget's label to 2.3:1, under WCAG's 4.5:1.
    sidebar.select_slider(spec["radius_km"].label, options=list(RADIUS_CHOICES_KM), key=key("radius_km"))
    sidebar.multiselect(spec["nations"].label, allowed["nations"], key=key("nations"))
    region_options = allowed["regions"]
    if st.session_state[key("nations")]:
        region_options = sorted(
            districts.loc[districts["nation"].isin(st.session_state[key("nations")]), "region"].unique()
        )
    sidebar.multiselect(
        spec["regions"].label,
        region_options + [r for r in st.session_state[key("regions")] if r not in region_options],
        key=key("regions"),
    )
    pool = authorities().current()
    if st.session_state[key("regions")]:
        pool = [a for a in pool if a.region in st.session_state[key("regions")]]
    elif st.session_state[key("nations")]:
        pool = [a for a in pool if a.nation in st.session_state[key("nations")]]
    council_options = sorted((a.gss_code for a in pool if a.gss_code in names), key=lambda c: names[c])
    council_options += [c for c in st.session_state[key("councils")] if c not in council_options]
    sidebar.multiselect(
        spec["councils"].label, council_options, key=key("councils"), format_func=lambda c: names.get(c, c)
    )
    for name in ("kinds", "vendors", "grades", "statuses"):
        labels = data.vocabulary.labels(spec[name].vocabulary)
        sidebar.multiselect(
            spec[name].label, allowed[name], key=key(name), format_func=lambda v, labels=labels: labels.get(v, v)
        )
    sidebar.date_input(DATE_RANGE_LABEL, key=key("dates"), format="YYYY-MM-DD")

    dates = st.session_state[key("dates")]
    date_from = dates[0].isoformat() if len(dates) > 0 and dates[0] else ""
    date_to = dates[1].isoformat() if len(dates) > 1 and dates[1] else ""
    chosen = Filters(
        **{name: tuple(st.session_state[key(name)]) for name in MULTI_PARAMS},
        date_from=date_from,
        date_to=date_to,
        text=strip(st.session_state[key("text")]),
        near=strip(st.session_state[key("near")]),
        radius_km=float(st.session_state[key("radius_km")]),
    )
    if sidebar.button("Reset all filters", key=key("reset"), disabled=not chosen.active, width="stretch"):
        chosen = Filters()
        _set_filters(chosen)
        write_filters_to_url(chosen)
        st.rerun()
    _set_filters(chosen)
    st.session_state[key("version")] = st.session_state["filters_version"]
    write_filters_to_url(chosen)
    return chosen


def _date_tuple(filters: Filters) -> tuple:

    return tuple(dt.date.fromisoformat(d) for d in (filters.date_from, filters.date_to) if d)


def select(data: Dataset, filters: Filters) -> tuple[Selection, Location | None, str]:
    """Apply the filters; geocode "near" offline. Returns (selection, near location, error message)."""
    near, message = None, ""
    if filters.near:
        result = geocode(filters.near)
        if isinstance(result, Location):
            near = result
        else:
            message = result
    point = (near.lat, near.lon) if near else None
    return apply_filters(data.sites, data.claims, filters, near_point=point), near, message
