"""A selection of runs of any size written as CSV, a ZIP bundle or an HTML table straight to a
file, a run at a time: the runs come from `RunStore.iterate` (a page at a time), so a
100,000-run export takes the memory of one page, not of the history."""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from ..store import RunRecord, RunStore
from . import exports, report

KINDS = {
    "csv": ("CSV (a row per concern)", "text/csv"),
    "zip": ("ZIP bundle (photos, masks, overlays)", "application/zip"),
    "html": ("HTML table", "text/html"),
}
"""Each kind of export by its file suffix: what a page calls it, and its media type."""


def write_selection(store: RunStore, runs: Iterable[RunRecord], kind: str, out: BinaryIO) -> None:
    if kind == "zip":
        exports.write_bundle_zip(store, runs, out)
        return
    chunks = exports.runs_csv_chunks(runs) if kind == "csv" else report.runs_report_chunks(runs)
    for chunk in chunks:
        out.write(chunk)
