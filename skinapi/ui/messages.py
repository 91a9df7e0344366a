"""How the dashboard says what happened: errors with their hint and ids, the demo notice."""

from __future__ import annotations

import streamlit as st

DEMO_NOTICE = "Demo mode: scores come from SkinScope's demo engine, not from YouCam's AI."


def show_error(error: dict) -> None:
    """An error as `SkinApiError.as_dict()` gives it: what happened, what to do, the ids."""
    lines = [f"**{error['message'].rstrip('.')}.**"]
    if error.get("hint") and error["hint"].rstrip(".") != error["message"].rstrip("."):
        lines.append(error["hint"])
    details = [
        f"{name} `{error[k]}`"
        for k, name in (("error_code", "code"), ("task_id", "task"), ("request_id", "request id"))
        if error.get(k)
    ]
    if details:
        lines.append(" · ".join(details))
    st.error("  \n".join(lines), icon=":material/error:")


def demo_notice() -> None:
    st.info(DEMO_NOTICE, icon=":material/science:")
