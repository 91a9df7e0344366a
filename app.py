"""SkinScope: what YouCam's AI Skin Analysis says about a face. Router and shared frame."""

import streamlit as st

from skinapi.ui import access, frame

st.set_page_config(page_title="SkinScope", page_icon=":material/biotech:", layout="wide")

PAGES = {
    "Analysis": [
        st.Page("pages/analyse.py", title="Analyse", icon=":material/photo_camera:", default=True),
        st.Page("pages/results.py", title="Results", icon=":material/radar:"),
    ],
    "Live trials": [st.Page("pages/live.py", title="Live trial", icon=":material/videocam:")],
    "Product testing": [
        st.Page("pages/history.py", title="History", icon=":material/history:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
        st.Page("pages/batch.py", title="Batch", icon=":material/photo_library:"),
    ],
    "Setup": [st.Page("pages/settings.py", title="Settings", icon=":material/settings:")],
}

# Which pages each role sees listed; every page checks its role again as it starts.
PAGE_ROLES = {
    "Analyse": "operator",
    "Live trial": "operator",
    "Batch": "operator",
    "Settings": "admin",
    "Audit": "admin",
}

navigation = access.navigation(PAGES, PAGE_ROLES)
frame.start(navigation.url_path)
navigation.run()
