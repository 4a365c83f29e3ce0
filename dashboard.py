"""Entry point: ``streamlit run dashboard.py``. Sets up the page and the navigation."""

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent

st.set_page_config(
    page_title="Hikvision in UK public buildings: the evidence map",
    # A local image: a Material icon or emoji here would be fetched from a third-party host.
    page_icon=str(HERE / "static" / "favicon.png"),
    layout="wide",
)

pages = [
    st.Page(HERE / "pages" / "map.py", title="Map", icon=":material/map:", url_path="map", default=True),
    st.Page(HERE / "pages" / "data.py", title="Data", icon=":material/table:", url_path="data"),
    st.Page(HERE / "pages" / "councils.py", title="Councils", icon=":material/account_balance:", url_path="councils"),
    st.Page(HERE / "pages" / "sources.py", title="Sources", icon=":material/menu_book:", url_path="sources"),
    st.Page(HERE / "pages" / "method.py", title="Method", icon=":material/info:", url_path="method"),
    st.Page(HERE / "pages" / "import.py", title="Import", icon=":material/upload_file:", url_path="import"),
    st.Page(HERE / "pages" / "answers.py", title="Answers", icon=":material/inbox:", url_path="answers"),
]
navigation = st.navigation(pages, position="top")
navigation.run()
