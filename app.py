"""SkinScope: what YouCam's AI Skin Analysis says about a face. Router and shared frame."""

import streamlit as st

from skinapi.ui import frame

st.set_page_config(page_title="SkinScope", page_icon=":material/biotech:", layout="wide")

# One flat list: sections given as a dict put <div> wrappers between the sidebar's <ul> and its
# <li>s, which screen readers (and axe's list rules) read as a broken list.
PAGES = [
    st.Page("pages/analyse.py", title="Analyse", icon=":material/photo_camera:", default=True),
    st.Page("pages/results.py", title="Results", icon=":material/radar:"),
    st.Page("pages/live.py", title="Live trial", icon=":material/videocam:"),
    st.Page("pages/history.py", title="History", icon=":material/history:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("pages/batch.py", title="Batch", icon=":material/photo_library:"),
    st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
]

navigation = st.navigation(PAGES)
frame.start(navigation.url_path)
navigation.run()
