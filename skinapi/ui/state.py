"""Session state: that pages run inside app.py's navigation, widget values kept across page
visits, the last photo of each source, and the session's runs."""

from __future__ import annotations

import streamlit as st

from ..runs.lifecycle import Run


def remembered(widget, *args, key: str, **kwargs):
    """Draw `widget` so that its value survives visits to other pages.

    Streamlit drops the state of widgets a page did not draw; the value is kept under its own
    key (``kept_<key>``) and handed back when the page is drawn again."""
    store = "kept_" + key
    if key not in st.session_state and store in st.session_state:
        st.session_state[key] = st.session_state[store]
    if key in st.session_state:
        for default in ("index", "value", "default"):
            kwargs.pop(default, None)
    value = widget(*args, key=key, **kwargs)
    st.session_state[store] = value
    return value


def kept(key: str, default=None):
    """The value a `remembered` widget last had, even while its page is not drawn."""
    return st.session_state.get(key, st.session_state.get("kept_" + key, default))


def remember_photo(source: str, data: bytes | None, name: str) -> tuple[bytes | None, str, bool]:
    """The photo from `source`, or the last one it gave when the widget came back empty after
    a page switch; the flag says the photo is a remembered one."""
    store = st.session_state.setdefault("photo_last", {})
    if data is not None:
        store[source] = (data, name)
        return data, name, False
    if source in store:
        data, name = store[source]
        return data, name, True
    return None, name, False


def forget_photo(source: str) -> None:
    st.session_state.setdefault("photo_last", {}).pop(source, None)


def runs() -> dict[str, Run]:
    """The session's runs by key (`runs.lifecycle.run_key`, or a series' own key)."""
    return st.session_state.setdefault("runs", {})


def current_run() -> Run | None:
    key = st.session_state.get("current_run")
    return runs().get(key) if key else None
