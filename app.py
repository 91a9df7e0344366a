"""SkinScope: what YouCam's AI Skin Analysis says about a face. Router and shared frame."""

import streamlit as st

from skinapi.ui import access, frame

st.set_page_config(page_title="SkinScope", page_icon=":material/biotech:", layout="wide")

# One flat list: sections given as a dict put <div> wrappers between the sidebar's <ul> and its
# <li>s, which screen readers (and axe's list rules) read as a broken list. The role is the
# least one a page is listed for; every page checks it again as it starts.
PAGES = [
    access.PageEntry("pages/analyse.py", "Analyse", ":material/photo_camera:", "operator"),
    access.PageEntry("pages/results.py", "Results", ":material/radar:"),
    access.PageEntry("pages/live.py", "Live trial", ":material/videocam:", "operator"),
    access.PageEntry("pages/history.py", "History", ":material/history:"),
    access.PageEntry("pages/compare.py", "Compare", ":material/compare:"),
    access.PageEntry("pages/batch.py", "Batch", ":material/photo_library:", "operator"),
    access.PageEntry("pages/settings.py", "Settings", ":material/settings:", "admin"),
    access.PageEntry("pages/audit.py", "Audit", ":material/policy:", "admin"),
]

navigation = access.navigation(PAGES)
frame.start(navigation.url_path)
navigation.run()
