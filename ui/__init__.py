"""Streamlit glue shared by the pages (logic lives in ``geo/``, and pages stay thin).

``loading`` caches the data for every session, ``filter_state`` keeps the
visitor's filters between the URL, the session and the sidebar, and the
panels belong to the pages that show them: ``map_panels``, ``evidence`` (a
site's claims and sources) and ``council_panel``.
"""

from __future__ import annotations

import streamlit as st


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
