"""Streamlit glue shared by the pages: cached loading and the filter sidebar.

Logic lives in ``geo/``; this module only caches it for Streamlit and lays
out the widgets that several pages share.
"""

from __future__ import annotations

import datetime as dt
import logging

import streamlit as st

from geo import settings
from geo.areas import BoundariesUnavailable, load_districts
from geo.campaign import escape_markdown
from geo.dataset import Dataset, load_dataset
from geo.filters import MULTI_PARAMS, RADIUS_CHOICES_KM, SCALAR_PARAMS, Filters, Selection, apply_filters
from geo.postcodes import Location, PostcodeError

FILTER_PARAM_KEYS = set(MULTI_PARAMS.values()) | set(SCALAR_PARAMS.values())
log = logging.getLogger("hikmap")


def ensure_entrypoint() -> None:
    """Run every page through ``dashboard.py``, even on a first visit by direct link.

    Streamlit 1.67 keeps its old multipage mode for a project with a ``pages/``
    folder until some run of the entrypoint has called ``st.navigation``: until
    then a direct link such as ``/sources`` runs ``pages/sources.py`` alone,
    without the app's navigation and page setup. Each page calls this first: it
    switches that mode off (a private flag, checked by tests/test_evidence_browser.py)
    and reruns, which goes through the entrypoint to the same page.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


@st.cache_data(show_spinner=False)
def dataset() -> Dataset:
    """The built dataset, read once per process (and again only after a rebuild)."""
    return load_dataset(settings.DATA_DIR, settings.BUILT_SITES)


@st.cache_data(show_spinner=False)
def districts_table():
    import pandas as pd

    return pd.DataFrame([d.__dict__ for d in load_districts()])


@st.cache_resource(show_spinner="Loading the postcode directory…")
def postcode_directory():
    from geo.postcodes import get_directory

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
    from geo.foi import area_statuses as compute

    data = dataset()
    return compute(data.sites, data.claims, data.foi_requests, authorities(), data.vocabulary,
                   today=dt.date.fromisoformat(today))


def map_data_url() -> str:
    """Address of the dataset's map data file (written once per data version and day)."""
    data = dataset()
    return _map_data_url(dt.date.today().isoformat(), data.last_changed + data.version)


@st.cache_data(show_spinner=False, max_entries=4)
def _map_data_url(today: str, data_key: str) -> str:
    from geo.mapview import county_of_districts, map_data, publish_json

    data = dataset()
    payload = map_data(data.sites, data.claims, data.sources, data.vocabulary,
                       areas=area_statuses(data), county_of=county_of_districts(authorities()))
    return publish_json(payload, "sites")


@st.cache_resource(show_spinner=False)
def authorities():
    from geo.authorities import load_authorities

    return load_authorities()


def dataset_cache_clear() -> None:
    dataset.clear()
    _map_data_url.clear()
    _area_statuses.clear()


@st.cache_resource(show_spinner=False)
def boundary_urls() -> tuple[dict[str, str], str]:
    """URLs of the boundary files served to the browser, and a message for visitors if they are missing.

    The message says what is missing in words; the server's paths go to the log only.
    """
    from geo.mapview import write_boundary_files

    try:
        return write_boundary_files(), ""
    except BoundariesUnavailable as error:
        log.warning("boundaries not drawn: %s", error)
        return {}, error.public


def council_names() -> dict[str, str]:
    """GSS code -> name of every current council (districts, unitaries and county councils)."""
    return {a.gss_code: a.nice_name for a in authorities().current() if a.is_council and a.gss_code}


def allowed_values(data: Dataset) -> dict[str, list[str]]:
    from geo.filters import allowed_values as allowed

    return allowed(data.vocabulary)


def _url_filters(data: Dataset) -> Filters:
    params = {k: st.query_params.get(k, "") for k in FILTER_PARAM_KEYS}
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
    labels = {group: data.vocabulary.labels(group) for group in ("kinds", "vendors", "grades", "statuses")}
    names = council_names()
    sidebar = st.sidebar
    sidebar.header("Filter")
    sidebar.text_input("Search", key=key("text"), placeholder="Organisation, place, claim…", max_chars=200)
    sidebar.text_input("Near a postcode", key=key("near"), placeholder="e.g. SW1H 9NA", max_chars=16)
    # Never disabled: Streamlit greys a disabled widget's label to 2.3:1, under WCAG's 4.5:1.
    sidebar.select_slider("Distance from the postcode (km)", options=list(RADIUS_CHOICES_KM), key=key("radius_km"))
    sidebar.multiselect("Nation", allowed["nations"], key=key("nations"))
    region_options = allowed["regions"]
    if st.session_state[key("nations")]:
        region_options = sorted(districts.loc[districts["nation"].isin(st.session_state[key("nations")]), "region"].unique())
    sidebar.multiselect("Region", region_options + [r for r in st.session_state[key("regions")] if r not in region_options],
                        key=key("regions"))
    pool = authorities().current()
    if st.session_state[key("regions")]:
        pool = [a for a in pool if a.region in st.session_state[key("regions")]]
    elif st.session_state[key("nations")]:
        pool = [a for a in pool if a.nation in st.session_state[key("nations")]]
    council_options = sorted((a.gss_code for a in pool if a.gss_code in names), key=lambda c: names[c])
    council_options += [c for c in st.session_state[key("councils")] if c not in council_options]
    sidebar.multiselect("Council", council_options, key=key("councils"), format_func=lambda c: names.get(c, c))
    for name, title in (("kinds", "Kind of body"), ("vendors", "Vendor"), ("grades", "Evidence grade"), ("statuses", "Status")):
        sidebar.multiselect(title, allowed[name], key=key(name), format_func=lambda v, n=name: labels[n].get(v, v))
    sidebar.date_input("Reported between", key=key("dates"), format="YYYY-MM-DD")

    dates = st.session_state[key("dates")]
    date_from = dates[0].isoformat() if len(dates) > 0 and dates[0] else ""
    date_to = dates[1].isoformat() if len(dates) > 1 and dates[1] else ""
    chosen = Filters(
        **{name: tuple(st.session_state[key(name)]) for name in MULTI_PARAMS},
        date_from=date_from,
        date_to=date_to,
        text=st.session_state[key("text")].strip(),
        near=st.session_state[key("near")].strip(),
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
    import datetime as dt

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


# --- The map page's panels ------------------------------------------------------------------
def map_layout(layouts: dict[str, str]) -> str:
    """The map's layout (``geo`` or ``hex``) from the URL's ``layout``."""
    wanted = st.query_params.get("layout", "geo")
    return wanted if wanted in layouts else "geo"


def map_layout_switch(layouts: dict[str, str], key: str) -> None:
    """Buttons that switch the layout, keeping it in the URL (the page reruns with it)."""
    current = map_layout(layouts)

    def switch() -> None:
        chosen = st.session_state.get(key) or "geo"
        if chosen == "geo":
            st.query_params.pop("layout", None)
        else:
            st.query_params["layout"] = chosen

    if st.session_state.get(key) != current:
        st.session_state[key] = current
    # wrap=True: on a narrow screen (320 px, or 200 % zoom) the options wrap instead of scrolling sideways.
    st.segmented_control("Map", list(layouts), format_func=layouts.get, key=key, selection_mode="single",
                         label_visibility="collapsed", on_change=switch, wrap=True)


def places_named(filters: Filters) -> list[tuple[float, float]]:
    """Points that frame the councils, regions and nations a filter names (for framing the map).

    The corners of each named area's boundary; without the boundary file, a
    point inside each council of those areas.
    """
    from geo.areas import area_extents

    named = [*filters.councils, *filters.regions, *filters.nations]
    try:
        extents = area_extents()
    except BoundariesUnavailable:
        extents = {}
    points: list[tuple[float, float]] = []
    for name in named:
        if name in extents:
            south, west, north, east = extents[name]
            points += [(south, west), (north, east)]
    unframed = {n for n in named if n not in extents}
    for authority in authorities().current():
        if authority.lat is None or not authority.is_council:
            continue
        if {authority.gss_code, authority.region, authority.nation} & unframed:
            points.append((authority.lat, authority.lon))
    return points


def status_line(selection: Selection, areas: dict, filters: Filters) -> str:
    """One sentence (Markdown) of what the selection shows: bodies by status, councils unknown in its places."""
    from geo.counts import bodies, unknown_councils

    found = bodies(selection.sites, selection.claims, dataset().vocabulary)
    unknown = len(unknown_councils(areas, authorities(), filters))
    counted = found["status"].value_counts()
    parts = [f"**{counted.get(key, 0)}** {text}" for key, text in (
        ("in-use", "with equipment reported or confirmed"), ("removing", "removing it"),
        ("removed", "that have removed it"), ("not-used", "saying they do not use it"))]
    bodies_text = "1 body" if len(found) == 1 else f"{len(found)} bodies"
    councils_text = "council is" if unknown == 1 else "councils are"
    return (f"{bodies_text} in view: " + ", ".join(parts) + f". **{unknown}** {councils_text} still unknown: "
            "nobody has asked them yet.")


def publishers_line(selection: Selection) -> str:
    from geo.press import publishers_line as line

    return line(selection.claims, dataset().sources)


def council_known_line(code: str, areas: dict) -> str:
    """Markdown: what is known of the council (and the county council above it) with this code."""
    from geo.mapview import county_of_districts

    vocabulary = dataset().vocabulary
    found = authorities()
    parts = []
    for council_code in [code, county_of_districts(found).get(code, "")]:
        council = found.get(council_code) if council_code else None
        if council is None:
            continue
        state = areas.get(council_code)
        said = vocabulary.label("area_statuses", state.status if state else "unknown")
        parts.append(f"{escape_markdown(council.name)}: **{escape_markdown(said)}**.")
    return " ".join(parts)


def counts_tables(selection: Selection, areas: dict, filters: Filters, key: str) -> None:
    """Counts by nation (shown) and by region (in an expander), as tables of numbers."""
    from geo.counts import bodies, status_counts, unknown_councils

    found = bodies(selection.sites, selection.claims, dataset().vocabulary)
    unknown = unknown_councils(areas, authorities(), filters)
    headings = {"bodies": "Bodies", "in-use": "In use", "removing": "Removing", "removed": "Removed",
                "not-used": "Say not used", "unknown": "Councils unknown"}
    for by, title in (("nation", "Nation"), ("region", "Region")):
        table = status_counts(found, unknown, by=by).rename(columns={by: title, **headings})
        if by == "nation":
            st.dataframe(table, hide_index=True, width="stretch", key=f"{key}_{by}")
        else:
            with st.expander("By region"):
                st.dataframe(table, hide_index=True, width="stretch", key=f"{key}_{by}")


# --- Sites and councils in detail --------------------------------------------------------------
def site_details(sites, claims) -> None:
    """Everything about the given sites and their claims, escaped (the popup's content, in the page)."""
    import pandas as pd

    from geo.export import markdown_link

    data = dataset()
    vocabulary = data.vocabulary
    for site in sites.itertuples(index=False):
        st.markdown(f"#### {escape_markdown(site.name)}")
        where = ", ".join(p for p in (site.address, site.postcode, site.authority_name or site.lad_name) if p)
        st.markdown(f"{escape_markdown(site.organisation)} · {escape_markdown(vocabulary.label('kinds', site.kind))} · "
                    f"{escape_markdown(where)}")
        precision = vocabulary.term("precisions", site.precision)
        st.markdown(f"Location: **{escape_markdown(precision.label if precision else site.precision)}**")
        if precision and site.precision != "building":
            st.info(precision.definition)
        for claim in claims[claims["site"] == site.id].itertuples(index=False):
            count = "" if pd.isna(claim.equipment_count) else f" · {int(claim.equipment_count)} devices"
            st.markdown(
                f"**{escape_markdown(vocabulary.label('grades', claim.grade))}** · "
                f"{escape_markdown(vocabulary.label('vendors', claim.vendor))} · "
                f"{escape_markdown('reported ' + claim.reported if claim.reported else 'date not given')} · "
                f"{escape_markdown(vocabulary.label('statuses', claim.status))}{count}\n\n{escape_markdown(claim.claim)}"
            )
            if claim.response:
                st.markdown(f"*Response:* {escape_markdown(claim.response)}")
            for source_id in claim.sources:
                row = data.sources[data.sources["id"] == source_id]
                if row.empty:
                    continue
                link = markdown_link(row.iloc[0]["title"], row.iloc[0]["url"], escape_markdown)
                st.markdown(f"- {link} ([about this source](sources?source={source_id}))")


STATE_WORDS = {"asked": "waiting for an answer", "overdue": "overdue: no answer by the due date",
               "answered": "answered", "refused": "refused", "withdrawn": "withdrawn"}


def council_panel(code: str, areas: dict, key: str) -> None:
    """One council: what is known, its FOI requests, and a ready request to send ("Ask this council").

    ``code`` is a GSS code or a register code of any current or past authority.
    """
    from geo import foi
    from geo.export import markdown_link

    data = dataset()
    found = authorities()
    council = found.get(code) or found.by_code.get(code)
    if council is None:
        st.warning("No UK local authority has that code.")
        return
    today = dt.date.today()
    st.markdown(f"### {escape_markdown(council.name)}")
    place = ", ".join(p for p in (council.region if council.region != council.nation else "", council.nation) if p)
    st.markdown(f"{escape_markdown(council.type)} · {escape_markdown(place)}")
    if not council.current:
        successors = found.successors(council)
        st.info(f"{escape_markdown(council.name)} no longer exists"
                + (f" (it ended on {council.end_date})" if council.end_date else "") + ". Its area is now part of "
                + ", ".join(f"[{escape_markdown(s.name)}](councils?authority={s.gss_code})" for s in successors) + ".")
        return
    county = found.by_code.get(council.county) if council.county else None
    if county is not None and county.current:
        st.markdown(f"County council above it: [{escape_markdown(county.name)}](councils?authority={county.gss_code})")
    state = areas.get(council.gss_code)
    status = state.status if state else "unknown"
    term = data.vocabulary.term("area_statuses", status)
    st.markdown(f"What is known: **{escape_markdown(term.label if term else status)}**. "
                f"{escape_markdown(term.definition) if term else ''}")
    codes = {council.gss_code} | {a.gss_code for a in found.by_code.values()
                                  if not a.current and council in found.successors(a)}
    own = data.sites[(data.sites["kind"] == "council") & data.sites["authority"].isin(codes)]
    if not own.empty:
        with st.expander(f"Evidence about the council ({len(data.claims[data.claims['site'].isin(own['id'])])} claims)"):
            site_details(own, data.claims)
    others = data.sites[(data.sites["kind"] != "council")
                        & data.sites["area_codes"].map(lambda c: council.gss_code in c)]
    if not others.empty:
        names = sorted(set(others["organisation"]))
        st.markdown(f"Other public bodies with claims in this area: {escape_markdown(', '.join(names))}. "
                    "(They say nothing about the council's own equipment.)")

    st.markdown("#### Freedom of information requests")
    history = foi.request_history(council.gss_code, data.foi_requests, found, today)
    if history.empty:
        st.markdown("No request to this council is recorded yet.")
    for request in history.itertuples(index=False):
        words = STATE_WORDS.get(request.state, request.state)
        line = f"Sent {request.sent or '(date not given)'}"
        if request.due:
            line += f", answer due by {request.due}"
        line += f": **{escape_markdown(words)}**"
        if request.answered:
            line += f" (answered {request.answered})"
        if request.finding:
            line += f"; finding: {escape_markdown(data.vocabulary.label('findings', request.finding))}"
        if request.url:
            line += " · " + markdown_link("the request", request.url, escape_markdown)
        st.markdown(f"- {line}")

    st.markdown("#### Ask this council")
    law = foi.LAW_NAMES[foi.law_for(council.nation)]
    due = foi.due_date(today, foi.law_for(council.nation))
    st.markdown(
        f"A ready request, under {law}. Sent today, the answer would be due by **{due:%-d %B %Y}** "
        "(20 working days; see the method page). Send it on WhatDoTheyKnow, where the request and the "
        "answer are published for everyone, or copy it into an e-mail to the council's FOI team. "
        "Campaigners then record the request on the import page, so the map shows the council as asked."
    )
    if council.wdtk_number:
        st.link_button("Open this request on WhatDoTheyKnow", foi.whatdotheyknow_url(council), type="primary")
    else:
        st.link_button(f"Find {escape_markdown(council.name)} on WhatDoTheyKnow", foi.whatdotheyknow_url(council))
        st.caption("This council's WhatDoTheyKnow page is not known here; search for it there, "
                   "then paste the letter below.")
    st.code(foi.full_letter(council), language=None, wrap_lines=True)
    st.download_button("Download the letter (.txt)", foi.full_letter(council).encode("utf-8"),
                       file_name=f"foi-request-{council.code.lower()}.txt", mime="text/plain",
                       key=f"{key}_letter_{council.code}", on_click="ignore")
