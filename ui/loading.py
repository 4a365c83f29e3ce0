"""Data loaded once and cached for every session (``st.cache_data`` / ``st.cache_resource``).

What depends on today's date (a request turns overdue without any edit) is
cached per day and per data version.
"""

from __future__ import annotations

import datetime as dt
import logging

import streamlit as st

from geo import settings
from geo.evidence.dataset import Dataset, load_dataset
from geo.places.boundaries import BoundariesUnavailable
from geo.places.districts import load_districts
from geo.places.postcodes import Location, PostcodeError

log = logging.getLogger("hikmap")


@st.cache_data(show_spinner=False)
def dataset() -> Dataset:
    """The built dataset, read once per process (and again only after a rebuild)."""
    return load_dataset(settings.DATA_DIR, settings.BUILT_SITES)


@st.cache_data(show_spinner=False)
def quotes() -> dict:
    """(claim id, source id) -> the source's words for it (:func:`geo.evidence.quotes.quotes_by_link`)."""
    from geo.evidence.quotes import quotes_by_link

    data = dataset()
    return quotes_by_link(data.claim_sources, data.sources)


@st.cache_data(show_spinner=False)
def corrections() -> list:
    """Every correction, newest first, with its subject found (:func:`geo.evidence.quotes.corrections_list`)."""
    from geo.evidence.quotes import corrections_list

    data = dataset()
    return corrections_list(data.corrections, data.sites, data.claims, data.sources, data.figures)


@st.cache_data(show_spinner=False)
def districts_table():
    import pandas as pd

    return pd.DataFrame([d.__dict__ for d in load_districts()])


@st.cache_resource(show_spinner="Loading the postcode directory…")
def postcode_directory():
    from geo.places.postcodes import get_directory

    return get_directory()


@st.cache_data(show_spinner=False, max_entries=256)
def geocode(postcode: str) -> Location | str:
    """A Location, or the error message for this postcode."""
    try:
        return postcode_directory().lookup(postcode)
    except PostcodeError as error:
        return f"{error.postcode}: {error.reason}"


def area_statuses(data: Dataset) -> dict:
    """What is known of each council area today (a request turns overdue without any edit)."""
    return _area_statuses(dt.date.today().isoformat(), data.last_changed + data.version)


@st.cache_data(show_spinner=False, max_entries=4)
def _area_statuses(today: str, data_key: str) -> dict:
    from geo.foi.known import area_statuses as compute

    data = dataset()
    return compute(
        data.sites, data.claims, data.foi_requests, authorities(), data.vocabulary, today=dt.date.fromisoformat(today)
    )


def map_data_url() -> str:
    """Address of the dataset's map data file (written once per data version and day)."""
    data = dataset()
    return _map_data_url(dt.date.today().isoformat(), data.last_changed + data.version)


@st.cache_data(show_spinner=False, max_entries=4)
def _map_data_url(today: str, data_key: str) -> str:
    from geo.evidence.quotes import quotes_by_link
    from geo.outputs.mapview import county_of_districts, map_data, publish_map_data

    data = dataset()
    payload = map_data(
        data.sites,
        data.claims,
        data.sources,
        data.vocabulary,
        areas=area_statuses(data),
        county_of=county_of_districts(authorities()),
        quotes=quotes_by_link(data.claim_sources, data.sources),
    )
    return publish_map_data(payload)


@st.cache_resource(show_spinner=False)
def authorities():
    from geo.places.authorities import load_authorities

    return load_authorities()


def feed() -> bytes:
    """The Atom feed of the data's changes, without links (the app offers it as a download)."""
    data = dataset()
    return _feed(data.last_changed + data.version)


@st.cache_data(show_spinner=False, max_entries=2)
def _feed(data_key: str) -> bytes:
    from geo.outputs.feed import atom, load_changes

    return atom(load_changes(dataset(), authorities()))


def dataset_cache_clear() -> None:
    dataset.clear()
    quotes.clear()
    corrections.clear()
    _feed.clear()
    _map_data_url.clear()
    _area_statuses.clear()


@st.cache_resource(show_spinner=False)
def boundary_urls() -> tuple[dict[str, str], str]:
    """URLs of the boundary files served to the browser, and a message for visitors if they are missing.

    The message says what is missing in words; the server's paths go to the log only.
    """
    from geo.outputs.files import write_boundary_files

    try:
        return write_boundary_files(), ""
    except BoundariesUnavailable as error:
        log.warning("boundaries not drawn: %s", error)
        return {}, error.public


@st.cache_resource(show_spinner=False)
def place_frames() -> dict[str, tuple[float, float, float, float]]:
    """The frame of every council, region and nation a filter can name (from the boundaries, or the councils' points)."""
    from geo.places.frames import place_frames as frames

    return frames(authorities())


def council_names() -> dict[str, str]:
    """GSS code -> name of every current council (districts, unitaries and county councils)."""
    return {a.gss_code: a.nice_name for a in authorities().current() if a.is_council and a.gss_code}


def allowed_values(data: Dataset) -> dict[str, list[str]]:
    from geo.filters import allowed_values as allowed

    return allowed(data.vocabulary)
