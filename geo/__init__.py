"""Offline UK geography and the evidence data package behind the campaign map.

Everything that is not page layout lives here, so that it can be used from the
command line (``python -m geo``) and tested without Streamlit.
"""
