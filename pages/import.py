"""Import page: campaigners upload FOI results and claims; nothing changes until they confirm.

The logic is in ``geo.importing``; this page only gates access, shows the
report and asks for confirmation. All text from the upload reaches the page
through ``st.dataframe`` (rendered as text) or escaped Markdown.
"""

from __future__ import annotations

import hashlib
import math

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError
from streamlit_folium import st_folium

import ui
from geo import settings
from geo.gate import SignInThrottle, client_address, parse_networks, token_problem
from geo.importing import MAX_BYTES, MAX_ROWS, ApplyError, ImportReport, apply_import, prepare_import
from geo.outputs.text import escape_markdown
from ui import loading

ui.ensure_entrypoint()

TEMPLATE = settings.PROJECT_ROOT / "data" / "templates" / "foi-import-template.csv"


def configured_token() -> str:
    """The import credential: Streamlit secret ``import_token``, else ``HIKMAP_IMPORT_TOKEN``; empty if none."""
    try:
        token = st.secrets.get("import_token", "")
    except StreamlitSecretNotFoundError:  # no secrets file at all: not configured there
        token = ""
    return str(token).strip() or settings.import_token()


@st.cache_resource(show_spinner=False)
def sign_in_throttle() -> SignInThrottle:
    """One throttle per server process, shared by every browser session (see geo.gate)."""
    return SignInThrottle()


@st.cache_resource(show_spinner=False)
def trusted_proxies():
    return parse_networks(settings.trusted_proxies())


def gate() -> bool:
    """True once this session has given the right credential; lays out the sign-in otherwise."""
    token = configured_token()
    st.title("Import FOI results")
    problem = token_problem(token)
    if problem:
        st.info(f"Import is switched off: {problem}.")
        return False
    if st.session_state.get("import_authenticated"):
        return True
    st.text_input("Import token", type="password", key="import_token_input", max_chars=512)
    if st.button("Sign in", key="import_sign_in"):
        client = client_address(st.context.ip_address, st.context.headers.get_all("X-Forwarded-For"), trusted_proxies())
        # Checked even while this address is told to wait: the right token always works.
        result = sign_in_throttle().attempt(client, st.session_state.get("import_token_input", ""), token)
        if result.accepted:
            st.session_state["import_authenticated"] = True
            st.rerun()
        st.error(f"That token is not right. Please wait {math.ceil(result.wait_s)} s before the next try.")
    return False


def issues_table(report: ImportReport) -> pd.DataFrame:
    rows = []
    for result in report.rows:
        if result.accepted:
            rows.append({"row": result.row, "result": "accepted", "field": "", "reason": "; ".join(result.records)})
        for issue in result.issues:
            rows.append({"row": issue.row, "result": "rejected", "field": issue.field, "reason": issue.message})
    for number in report.blank_rows:
        rows.append({"row": number, "result": "blank, skipped", "field": "", "reason": ""})
    return pd.DataFrame(rows, columns=["row", "result", "field", "reason"]).sort_values("row", kind="stable")


def preview_map(report: ImportReport, data, boundary_urls: dict[str, str]) -> None:
    """The new and changed sites on a map: the build's own frames of them (``report.preview``), drawn as the map draws."""
    from geo.evidence.dataset import site_frames
    from geo.evidence.quotes import quotes_by_link
    from geo.outputs.mapview import build_map, map_data, publish_map_data, selection_bounds

    if not report.preview:
        st.caption("No new or changed site to show on a map.")
        return
    sites, claims = site_frames(report.preview)
    sources = pd.DataFrame(report.tables["sources"])
    quotes = quotes_by_link(pd.DataFrame(report.tables.get("claim_sources", [])), sources)
    payload = map_data(sites, claims, sources, data.vocabulary, areas=loading.area_statuses(data), quotes=quotes)
    fmap = build_map(
        publish_map_data(payload, "import-preview"),
        site_count=len(sites),
        boundary_urls=boundary_urls,
        bounds=selection_bounds(sites),
    )
    st_folium(fmap, height=380, width=None, returned_objects=[], key="import_preview_map")


def main() -> None:
    if not gate():
        return

    st.markdown(
        "Upload a CSV or Excel (.xlsx) file in the template below: one row per public body, "
        "with its freedom-of-information request, and the claim and source if equipment was found. "
        f"Up to {MAX_ROWS:,} rows and {MAX_BYTES // 1024 // 1024} MB. Nothing changes until you confirm."
    )
    st.download_button(
        "Download the template (CSV)",
        TEMPLATE.read_bytes(),
        file_name=TEMPLATE.name,
        mime="text/csv",
        key="import_template",
    )
    # A new key after each apply empties the uploader, so one file is never applied twice.
    upload = st.file_uploader(
        "Spreadsheet",
        type=["csv", "xlsx"],
        key=f"import_file_{st.session_state.get('import_applied', 0)}",
        max_upload_size=MAX_BYTES // 1024 // 1024,
    )
    done = st.session_state.get("import_done")
    if done:
        st.success(done)
    if upload is None:
        return
    data_bytes = upload.getvalue()
    digest = hashlib.sha256(data_bytes + upload.name.encode("utf-8", "replace")).hexdigest()
    cached = st.session_state.get("import_report")
    if cached is None or cached[0] != digest:
        bar = st.progress(0.0, text="Geocoding postcodes…")

        def progress(done_count: int, total: int) -> None:
            bar.progress(done_count / total if total else 1.0, text=f"Geocoding postcodes: {done_count} of {total}")

        report = prepare_import(
            data_bytes,
            upload.name,
            settings.DATA_DIR,
            geocode=loading.postcode_directory().lookup_many,
            progress=progress,
        )
        bar.empty()
        st.session_state["import_report"] = (digest, report)
    else:
        report = cached[1]

    st.subheader("Report")
    for message in report.fatal:
        st.error(f"File rejected: {escape_markdown(message)}")
    for problem in report.package_problems:
        st.error(f"The current data has a problem; fix it before importing: {escape_markdown(problem)}")
    if report.fatal:
        return
    (st.success if not report.rejected else st.warning)(escape_markdown(report.summary()))
    renamed = {h: c for h, c in report.columns.items() if h != c}
    if renamed or report.extra_columns:
        st.dataframe(
            pd.DataFrame(
                [{"column in the file": h, "read as": c} for h, c in renamed.items()]
                + [{"column in the file": e, "read as": "(ignored: not in the template)"} for e in report.extra_columns]
            ),
            hide_index=True,
            width="stretch",
            key="import_columns_table",
        )
    st.dataframe(issues_table(report), hide_index=True, width="stretch", key="import_rows_table")

    if report.duplicates:
        st.subheader("Possible duplicates (not merged)")
        st.caption(
            "These new sites share a postcode with a site already on the map and have a similar name. "
            "If one is the same place, give its id in the site_id column instead."
        )
        st.dataframe(
            pd.DataFrame([d.__dict__ for d in report.duplicates]),
            hide_index=True,
            width="stretch",
            key="import_duplicates_table",
        )

    st.subheader("Preview: new and changed sites")
    preview_map(report, loading.dataset(), loading.boundary_urls()[0])
    diff = report.diff
    for title, rows, key in (
        ("New sites", diff.new_sites, "sites"),
        ("Changed sites", diff.changed_sites, "changed"),
        ("New claims", diff.new_claims, "claims"),
        ("New FOI requests", diff.new_foi_requests, "foi"),
        ("New sources", diff.new_sources, "sources"),
    ):
        if rows:
            st.markdown(f"**{title}** ({len(rows)})")
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"import_diff_{key}")

    if not report.ok:
        st.info("Nothing can be applied until every row is accepted. Fix the file and upload it again.")
        return
    if st.button("Confirm and apply the import", key="import_apply", type="primary"):
        try:
            with st.spinner("Writing the data and rebuilding the map…"):
                result = apply_import(report, settings.DATA_DIR)
        except ApplyError as error:
            st.error(f"Nothing was written: {escape_markdown(str(error))}")
            return
        loading.dataset_cache_clear()
        st.session_state.pop("import_report", None)
        st.session_state["import_applied"] = st.session_state.get("import_applied", 0) + 1
        counts = ", ".join(f"{n} {what}" for what, n in result.counts.items())
        st.session_state["import_done"] = (
            f"Imported: {counts}. Data version {result.version} ({result.date}); "
            f"wrote {', '.join(result.files)}; backup kept in backups/{result.backup.name}."
        )
        st.rerun()


main()
