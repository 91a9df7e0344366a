"""History at team scale under AppTest: one page of runs (and only its thumbnails) from the
store's query, page navigation and filters answered by the database, and no Arrow conversion
warning or traceback in the log of any page."""

import contextlib
import logging
import os
import re
from datetime import datetime
from pathlib import Path

import pytest

from skinapi.bench import history_runs
from skinapi.names import markdown_text
from skinapi.presentation import exports
from skinapi.store import RunQuery, SqliteRunStore

from ..helpers import app_test
from .test_app import PAGES

pytestmark = pytest.mark.usefixtures("quick_emulator")
RUNS = 300


@pytest.fixture
def history():
    store = SqliteRunStore(Path(os.environ["SKINSCOPE_DATA_DIR"]) / "runs.sqlite3")
    store.add_runs(history_runs(RUNS))
    yield store
    store.close()


def shown_ids(at) -> list[str]:
    return list(at.dataframe[0].value["Run"])


def test_history_shows_one_page_with_its_thumbnails_only_and_pages_through(history):
    from skinapi.ui.run_store import _store, store_path

    at = app_test().run()
    at.switch_page("pages/history.py").run()
    served = _store(store_path())  # the app's own store, opened by the page
    statements = []
    served._db.set_trace_callback(statements.append)
    at.run()
    assert not at.exception, at.exception
    first = history.query(RunQuery(limit=50))
    assert shown_ids(at) == [r.id for r in first.runs]
    table = at.dataframe[0].value  # runs told apart by photo, person and visit (issue 24)
    for column in ("File", "Participant", "Visit", "Quality", "Version", "Backend", "Person"):
        assert column in table.columns, column
    assert list(table["File"]) == [r.file for r in first.runs]
    assert any(f"{RUNS:,} of {RUNS:,} runs" in c.value for c in at.caption)
    thumbnail_reads = [s for s in statements if "FROM thumbnails" in s]
    assert thumbnail_reads and all(s.count("'") <= 2 * 50 for s in thumbnail_reads)
    assert not [s for s in statements if re.search(r"FROM runs WHERE 1 ORDER BY", s)]

    at.number_input(key="history_page").set_value(3).run()
    assert shown_ids(at) == [r.id for r in history.query(RunQuery(offset=100, limit=50)).runs]
    at.selectbox(key="history_order").set_value("overall_high").run()
    assert at.number_input(key="history_page").value == 1  # a new order starts at its top
    best = history.query(RunQuery(order="overall_high", limit=50)).runs
    assert shown_ids(at) == [r.id for r in best]
    at.text_input(key="history_label").set_value("Study").run()
    studies = history.totals(RunQuery(text="study")).runs
    assert 0 < studies < RUNS
    assert any(f"{studies:,} of {RUNS:,} runs" in c.value for c in at.caption)
    assert all("study" in label.lower() for label in at.dataframe[0].value["Label"])


def test_history_filters_by_person_and_shows_the_selection_large_with_its_report(history):
    at = app_test().run()
    at.switch_page("pages/history.py").run()
    at.text_input(key="history_person").set_value("OTTO").run()
    otto = history.query(RunQuery(person="otto", limit=50))
    assert 0 < otto.total < RUNS
    assert shown_ids(at) == [r.id for r in otto.runs]
    assert set(at.dataframe[0].value["Person"]) == {"otto@example.com"}
    assert any(f"{otto.total:,} of {RUNS:,} runs" in c.value for c in at.caption)

    at.session_state["history_table"] = {"selection": {"rows": [0, 1, 2], "columns": []}}
    at.run()
    assert not at.exception, at.exception
    picked = otto.runs[:3]
    # The detail pane: one card per selected run, its photo larger than the table's.
    pane = next(c for c in at.main.children.values() if getattr(c, "key", "") == "history_detail")
    markdown = " ".join(m.value for m in pane.markdown)
    for run in picked:
        assert markdown_text(run.file) in markdown and run.participant in markdown
    assert markdown_text("run by otto@example.com") in markdown
    assert "SD × 15 concerns · v2.1" in markdown
    photos = [img for image in pane.get("image") for img in image.proto.imgs]
    assert [p.alt for p in photos] == [f"Photo {r.file}, as sent for analysis" for r in picked]
    downloads = {d.proto.label: d.proto for d in at.get("download_button")}
    assert "HTML report" in downloads  # a selection of several runs gets one report too
    first, last = (
        datetime.fromtimestamp(t).strftime("%Y-%m-%d")
        for t in (min(r.created for r in picked), max(r.created for r in picked))
    )
    csv_name = exports.runs_name(picked, ".csv")
    assert csv_name.startswith(f"skinscope-{first}_to_{last}-") and csv_name.endswith("-3-runs.csv")


class Caught(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@contextlib.contextmanager
def streamlit_log():
    """Streamlit's loggers do not propagate: a handler on each of them reads what a server's
    log would show (INFO and up, tracebacks formatted)."""
    caught = Caught()
    loggers = [
        logging.getLogger(name)
        for name in list(logging.Logger.manager.loggerDict)
        if name.startswith("streamlit")
    ]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(caught)
        logger.setLevel(logging.INFO)
    try:
        yield caught.lines
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(caught)
            logger.setLevel(level)


def test_no_page_logs_an_arrow_conversion_or_a_traceback(history):
    at = app_test().run()  # loads every logger a page uses
    at.switch_page("pages/history.py").run()
    with streamlit_log() as lines:
        for page in PAGES:
            at.switch_page(page).run()
            assert not at.exception, (page, at.exception)
    assert not [line for line in lines if "Arrow" in line or "Traceback" in line], lines


def test_the_log_catcher_sees_an_arrow_conversion():
    """The check above can fail: a column of mixed types is logged with its traceback."""
    from streamlit.testing.v1 import AppTest

    def mixed_column():
        import streamlit as st

        st.dataframe([{"Overall": ""}, {"Overall": 71}])

    at = AppTest.from_function(mixed_column).run()
    with streamlit_log() as lines:
        at.run()
    assert any("Arrow" in line for line in lines) and any("Traceback" in line for line in lines)


def test_filters_that_match_nothing_say_so_and_offer_no_empty_export(history):
    at = app_test().run()
    at.switch_page("pages/history.py").run()
    at.text_input(key="history_label").set_value("no label is this").run()
    assert not at.exception
    assert any("No stored run matches these filters" in i.value for i in at.info)
    assert all("Run" not in table.value.columns for table in at.dataframe)  # the ledger's stay
    assert not [e for e in at.expander if "Export" in e.label]


def test_a_label_of_spaces_is_no_label_and_a_note_is_trimmed(history):
    run = history.query(RunQuery(limit=1)).runs[0]
    at = app_test().run()
    at.switch_page("pages/history.py").run()
    at.session_state["history_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    next(t for t in at.text_input if t.label == "Label or tag").set_value("   ")
    next(t for t in at.text_area if t.label == "Note").set_value("  seen twice  ")
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception
    saved = history.get(run.id)
    assert saved.label == "" and saved.note == "seen twice"


def test_saving_a_note_keeps_a_label_longer_than_a_typed_one_may_be(history):
    run = history.query(RunQuery(limit=1)).runs[0]
    long_label = "batch " + "x" * 120  # a batch's name, or the CLI's --label, has no cap
    history.update(run.id, label=long_label)
    at = app_test().run()
    at.switch_page("pages/history.py").run()
    at.session_state["history_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    next(t for t in at.text_area if t.label == "Note").set_value("checked")
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception
    assert history.get(run.id).label == long_label and history.get(run.id).note == "checked"
