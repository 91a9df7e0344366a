"""The participant's PDF report, offered where their before/after is shown."""

from __future__ import annotations

import streamlit as st

from ..names import safe_name
from ..presentation.participant_pdf import participant_report
from ..store import RunRecord
from . import audit_log
from .run_store import ask_run_store


def report_button(visits: list[RunRecord], key: str) -> None:
    who = visits[-1].participant

    def made() -> bytes:
        report = ask_run_store(lambda store: participant_report(store, visits))
        if report is None:
            raise RuntimeError("The run store cannot be read: the report has no photos to show.")
        return report

    st.download_button(
        "Participant report (PDF)",
        audit_log.audited("download", made, file="participant report", participant=who),
        f"skinscope-{safe_name(visits[-1].trial)}-{safe_name(who)}.pdf",
        "application/pdf",
        key=f"{key}_report",
        icon=":material/picture_as_pdf:",
        on_click="ignore",
        help="Their visits, photos, radar and change, for them to keep: nobody else's data.",
    )
