"""How the dashboard says what happened: errors with their hint and ids, the demo notice."""

from __future__ import annotations

import streamlit as st

DEMO_NOTICE = "Demo mode: scores come from SkinScope's demo engine, not from YouCam's AI."


HEADLINES = {
    "RateLimitError": "The API is busy: too many requests in a short time.",
    "AuthError": "The API key was refused.",
    "CreditInsufficientError": "There are not enough units left for this analysis.",
    "InvalidParametersError": "The API refused these analysis settings.",
    "InvalidTaskIdError": "The API no longer knows this task.",
    "TaskTimeoutError": "The analysis took too long on the API's side.",
    "ServerError": "The API had a server error.",
    "TransportError": "The API could not be reached.",
    "NotSentError": "The API could not be reached; nothing was sent, so nothing was billed.",
    "ProtocolError": "The API answered in a way SkinScope does not understand.",
    "DeadlineExceeded": "The analysis is still running at the API.",
    "EngineError": "The analysis engine could not analyse this photo.",
}


def show_error(error: dict) -> None:
    """An error as `SkinApiError.as_dict()` gives it: first what happened and what to do, in
    plain words; then the technical detail (the request, status, codes and ids) folded away."""
    message = error.get("message") or ""
    headline = HEADLINES.get(error.get("error") or "", message.rstrip(".") + ".")
    lines = [f"**{headline}**"]
    if error.get("hint") and error["hint"].rstrip(".") != message.rstrip("."):
        lines.append(error["hint"])
    st.error("  \n".join(lines), icon=":material/error:")
    details = [
        f"{name}: `{error[k]}`"
        for k, name in (
            ("error_code", "code"),
            ("status", "HTTP status"),
            ("task_id", "task"),
            ("request_id", "request id"),
        )
        if error.get(k)
    ]
    if message and message.rstrip(".") + "." != headline:
        details.insert(0, f"What the API said: {message}")
    if details:
        with st.expander("Technical details (for support)"):
            st.markdown("  \n".join(details))


def demo_notice() -> None:
    st.info(DEMO_NOTICE, icon=":material/science:")


RAW_SCORES_HELP = (
    "ui: the 1–100 score the vendor's apps show people, gently rescaled. raw: the model's own "
    "score, better to compare runs and reason with."
)
