"""The History page measured in a process of its own, as the app's server would hold it: `python
-m skinapi bench history` fills a throwaway history and runs this module on it, so its figures
(and its peak memory) are the page's, not the filling's. Prints one JSON document."""

from __future__ import annotations

import functools
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from ..presentation.exports_selection import KINDS, write_selection
from ..store import RunQuery, open_store

RERUNS = 5
LABELS = ("trial 3", "study B", "batch 12", "trial 5", "study A")
"""Label filters typed in turn (the bench's labels; see bench.HISTORY_LABELS)."""


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(data: Path, app: Path, exports: bool) -> dict:
    import os

    from streamlit.testing.v1 import AppTest

    os.environ["SKINSCOPE_DATA_DIR"] = str(data)
    figures: dict = {}
    start = time.perf_counter()
    store = open_store(data / "runs.sqlite3")
    store.totals(RunQuery())
    store.query(RunQuery(limit=50))
    figures["open_s"] = time.perf_counter() - start
    at = AppTest.from_file(str(app), default_timeout=600)
    at.run()
    at.switch_page("pages/history.py")
    figures["first_render_s"] = _timed(at.run)
    figures["rerun_s"] = statistics.median(_timed(at.run) for _ in range(RERUNS))
    figures["rows_shown"] = len(at.dataframe[0].value) if at.dataframe else 0
    figures["filter_s"] = statistics.median(
        _timed(at.text_input(key="history_label").set_value(text).run) for text in LABELS
    )
    figures["filtered_rows_shown"] = len(at.dataframe[0].value) if at.dataframe else 0
    at.text_input(key="history_label").set_value("").run()
    last = int(at.number_input(key="history_page").max)
    figures["last_page_s"] = _timed(at.number_input(key="history_page").set_value(last).run)
    figures["exceptions"] = [str(e.value)[:200] for e in at.exception]
    figures["render_peak_mb"] = _peak_mb()
    if exports:
        for kind in KINDS:
            with tempfile.TemporaryFile() as out:
                every_run = store.iterate(RunQuery())
                took = _timed(functools.partial(write_selection, store, every_run, kind, out))
                figures[f"export_{kind}_s"] = took
                figures[f"export_{kind}_mb"] = out.tell() / 1e6
        figures["export_peak_mb"] = _peak_mb()
    return figures


if __name__ == "__main__":
    folder, app_path, with_exports = sys.argv[1:4]
    print(json.dumps(measure(Path(folder), Path(app_path), with_exports == "exports")))
