"""The import credential's sign-in, shared by the pages behind it (Import, Answers).

One credential, one throttle per server process (``geo.gate``); signing in on
one page signs the session in on every page behind it.
"""

from __future__ import annotations

import math

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from geo import settings
from geo.gate import SignInThrottle, client_address, parse_networks, token_problem


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


def signed_in(title: str, key: str, name: str) -> bool:
    """True once this session has given the right credential; lays out the page's title and the sign-in otherwise.

    ``key`` prefixes the page's widget keys (``import``, ``answers``); ``name`` is what is switched off
    without a credential ("Import", "The answers queue").
    """
    token = configured_token()
    st.title(title)
    problem = token_problem(token)
    if problem:
        st.info(f"{name} is switched off: {problem}.")
        return False
    if st.session_state.get("import_authenticated"):
        return True
    st.text_input("Import token", type="password", key=f"{key}_token_input", max_chars=512)
    if st.button("Sign in", key=f"{key}_sign_in"):
        client = client_address(st.context.ip_address, st.context.headers.get_all("X-Forwarded-For"), trusted_proxies())
        # Checked even while this address is told to wait: the right token always works.
        result = sign_in_throttle().attempt(client, st.session_state.get(f"{key}_token_input", ""), token)
        if result.accepted:
            st.session_state["import_authenticated"] = True
            st.rerun()
        st.error(f"That token is not right. Please wait {math.ceil(result.wait_s)} s before the next try.")
    return False
