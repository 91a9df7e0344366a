"""Settings: the live connection, the demo emulator's timing and fault injection, and the daily
spend caps."""

import streamlit as st

from skinapi.client import DEFAULT_BASE_URL
from skinapi.errors import ENGINE_HINTS
from skinapi.ui import audit_log, spend_view
from skinapi.ui.access import require
from skinapi.ui.connection import (
    LIVE,
    demo_emulator,
    find_key,
    key_refusal,
    masked,
    show_balance,
)
from skinapi.ui.frame import enter_page
from skinapi.ui.state import remembered

enter_page()
require("admin")

st.title("Settings")
live, demo = st.columns(2, gap="large")

with live:
    st.header("Live YouCam API")
    key, source = find_key()
    remembered(
        st.text_input,
        "API key",
        key="settings_api_key",
        type="password",
        help="Kept in this browser session only; never written to disk, logs or exports.",
        **audit_log.on_change("API key"),
    )
    st.caption(f"In use: {masked(key)}" + (f" (from {source})" if source else ""))
    remembered(
        st.text_input,
        "Base URL",
        key="settings_base_url",
        placeholder=DEFAULT_BASE_URL,
        **audit_log.on_change("Base URL"),
    )
    if refusal := key_refusal():
        st.warning(refusal, icon=":material/key_off:")
    remembered(
        st.radio,
        "Default API version",
        ["v2.1", "v2.0"],
        key="settings_api_version",
        horizontal=True,
        **audit_log.on_change("Default API version"),
    )
    remembered(
        st.number_input,
        "Request timeout (s)",
        key="settings_timeout",
        value=30.0,
        min_value=5.0,
        max_value=300.0,
        step=5.0,
        **audit_log.on_change("Request timeout"),
    )
    if st.button("Test connection", key="do_test_connection", type="primary"):
        show_balance(LIVE, on_settings=True)  # this column's, whatever the sidebar says

with demo:
    st.header("Demo emulator")
    emulator = demo_emulator()
    config = emulator.config
    st.caption(
        f"Running on `{emulator.url}` (127.0.0.1 only). Its counts start again with the app: "
        "the History page keeps every run and its units."
    )
    stats = st.columns(3)
    stats[0].metric("Tasks created", emulator.creates)
    stats[1].metric("API requests", emulator.api_requests())
    stats[2].metric("Demo units left", f"{emulator.balance():g}")
    with st.form("settings_emulator"):
        processing = st.slider("Processing time (s)", 0.0, 20.0, float(config.processing_time), 0.5)
        interval = st.slider("Polling interval (s)", 0.2, 5.0, float(config.polling_interval), 0.1)
        st.markdown("**Fault injection**")
        latency = st.slider("Extra latency per request (s)", 0.0, 3.0, float(config.latency), 0.1)
        rate_429 = st.slider(
            "Share of requests answered 429", 0.0, 1.0, float(config.fault_429_rate), 0.05
        )
        rate_502 = st.slider(
            "Share of requests answered 502", 0.0, 1.0, float(config.fault_502_rate), 0.05
        )
        drop = st.slider(
            "Share of connections dropped", 0.0, 1.0, float(config.fault_drop_rate), 0.05
        )
        timeout = st.toggle("Polls answer 500 TaskTimeout", value=config.fault_task_timeout)
        codes = ["", *ENGINE_HINTS]
        engine_error = st.selectbox(
            "Every task fails with engine error",
            codes,
            index=codes.index(config.fault_engine_error)
            if config.fault_engine_error in codes
            else 0,
            format_func=lambda c: c or "— none —",
        )
        if st.form_submit_button("Apply to the emulator"):
            chosen = dict(
                processing_time=processing,
                polling_interval=interval,
                latency=latency,
                fault_429_rate=rate_429,
                fault_502_rate=rate_502,
                fault_drop_rate=drop,
                fault_task_timeout=timeout,
                fault_engine_error=engine_error,
            )
            emulator.configure(**chosen)
            audit_log.record("settings changed", setting="demo emulator", **chosen)
            st.success("Applied. New requests to the emulator use these settings.")

st.divider()
spend_view.caps_editor()
