"""History's export of every run its filters match, of any size: written a run at a time to a
file in the data folder (constant memory), then offered as a download when it is small enough
to hand to the browser (Streamlit holds a download in memory until the session ends)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import streamlit as st

from ..presentation.exports import query_name
from ..presentation.exports_selection import KINDS, write_selection
from ..store import RunQuery, RunStore
from .audit_log import audited, record
from .run_store import store_path

DOWNLOAD_LIMIT = 50_000_000
"""Bytes of an export offered as a download; a larger one is read from its folder."""


def export_matching(store: RunStore, query: RunQuery, matching: int) -> None:
    if not matching:
        return
    what = "the 1 matching run" if matching == 1 else f"all {matching:,} matching runs"
    with st.expander(f"Export {what}", icon=":material/download:"):
        st.caption(
            "Written a run at a time to the data folder, whatever the number of runs; a file "
            f"up to {DOWNLOAD_LIMIT // 1_000_000} MB is then offered as a download."
        )
        cells = st.columns(len(KINDS))
        for cell, (suffix, (title, _)) in zip(cells, KINDS.items(), strict=True):
            if cell.button(title, key=f"do_export_all_{suffix}", width="stretch"):
                st.session_state["history_export_file"] = str(
                    _written(store, query, matching, suffix)
                )
                record(
                    "export",
                    kind=suffix,
                    runs=matching,
                    file=st.session_state["history_export_file"],
                )
        written = Path(st.session_state.get("history_export_file") or "")
        if written.is_file():
            size = written.stat().st_size
            st.success(f"Saved {size / 1e6:.1f} MB to `{written}`.", icon=":material/check:")
            if size <= DOWNLOAD_LIMIT:
                st.download_button(
                    f"Download {written.name}",
                    audited("download", written.read_bytes, file=written.name),
                    written.name,
                    KINDS[written.suffix.lstrip(".")][1],
                    key="do_download_export",
                    on_click="ignore",
                )


def _written(store: RunStore, query: RunQuery, matching: int, suffix: str) -> Path:
    folder = Path(store_path()).parent / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    path = unused(folder / query_name(query, matching, f".{suffix}"))
    with path.open("wb") as out:
        write_selection(store, store.iterate(replace(query, offset=0, limit=None)), suffix, out)
    return path


def unused(path: Path) -> Path:
    """`path`, or `name-2.csv`, `name-3.csv`…: an earlier export of the same selection is kept."""
    stem, number, found = path.stem, 1, path
    while found.exists():
        number += 1
        found = path.with_name(f"{stem}-{number}{path.suffix}")
    return found
