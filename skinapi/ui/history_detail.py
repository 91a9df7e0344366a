"""History's detail pane: the selected runs' photos larger than the table's thumbnails, each
with the facts that tell it apart (photo file, participant and visit, SD/HD, version, backend,
who ran it, state, overall)."""

from __future__ import annotations

import streamlit as st

from ..errors import StoreError
from ..imaging.photo import preview_jpeg
from ..names import markdown_text, shown_moment
from ..statistics.tables import BACKEND_LABELS
from ..store import RunRecord, RunStore
from ..store.states import STATE_LABELS
from .run_store import run_store

SHOWN = 4
"""Runs the pane shows at most (Compare takes up to four); the rest are in the table."""


def detail_pane(picked: list[RunRecord], store: RunStore) -> None:
    """One card per selected run, up to `SHOWN`: only these photos are read from the store."""
    shown = picked[:SHOWN]
    with st.container(border=True, key="history_detail"):
        if len(picked) > SHOWN:
            st.caption(f"The first {SHOWN} of the {len(picked)} selected runs.")
        if len(shown) == 1:
            photo_cell, facts_cell = st.columns([1, 1.3], gap="medium")
            with photo_cell:
                _photo(shown[0], store, width=360)
            with facts_cell:
                st.markdown(facts(shown[0]))
            return
        for cell, run in zip(st.columns(len(shown), gap="small"), shown, strict=True):
            with cell:
                _photo(run, store, width=300)
                st.markdown(facts(run))


def _photo(run: RunRecord, store: RunStore, width: int) -> None:
    preview = _preview(run.id, width)
    if preview is None:
        preview = store.thumbnails([run.id]).get(run.id)
    if not preview:
        st.caption("The photo of this run is no longer on this machine.")
        return
    st.image(preview, width=width, alt=f"Photo {run.file or run.id}, as sent for analysis")


@st.cache_data(max_entries=64, show_spinner=False)
def _preview(run_id: str, width: int) -> bytes | None:
    """A run's photo at `width`, made once: a run's photo never changes, and an HD original
    decoded on every rerun (typing a filter with a run selected) cost History its speed."""
    store = run_store()
    if store is None:
        return None
    try:
        return preview_jpeg(store.photo(run_id), width)
    except StoreError:
        return None


def facts(run: RunRecord) -> str:
    """The run's key facts as markdown lines; what a user typed is shown as typed."""
    when = shown_moment(run.created)
    overall = "—" if run.overall is None else f"{run.overall:.0f}"
    who = " · ".join(
        markdown_text(part)
        for part in (
            run.participant and f"participant {run.participant}",
            run.visit and f"visit {run.visit}",
        )
        if part
    )
    lines = [
        f"**{markdown_text(run.file or 'Run ' + run.id)}**",
        f"{when} · {STATE_LABELS.get(run.state, run.state)} · overall {overall}",
        f"{run.quality.upper()} × {len(run.actions)} concerns · {run.api_version} · "
        f"{BACKEND_LABELS.get(run.backend, run.backend)}",
        who,
        f"run by {markdown_text(run.person)}" if run.person else "",
        f"label {markdown_text(run.label)}" if run.label else "",
    ]
    return "  \n".join(line for line in lines if line)
