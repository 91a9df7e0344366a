"""A damaged or unusable history never takes the app down: every page renders, History says what
is wrong and offers the way out, and a paid result that cannot be saved is not lost."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from skinapi import AnalysisSettings, Client
from skinapi.demo import DEMO_API_KEY
from skinapi.runs.lifecycle import Run, run_analysis
from skinapi.store import RunStore, SqliteRunStore
from skinapi.ui import run_store as ui_run_store
from skinapi.ui.connection import demo_emulator

from ..helpers import FACE_PATH, app_test, quick_demo_env, record_run

PAGES = ["analyse", "results", "history", "compare", "live", "settings"]
SETTINGS = AnalysisSettings.build(["redness", "pore"])


def demo_client(emulator) -> Client:
    return Client(DEMO_API_KEY, base_url=emulator.url)


def history_with_runs(folder: Path, emulator, count: int = 2) -> RunStore:
    store = SqliteRunStore(folder / "runs.sqlite3")
    for _ in range(count):
        record_run(store, demo_client(emulator), FACE_PATH.read_bytes(), SETTINGS)
    return store


def damage(kind: str, folder: Path, emulator) -> Path:
    """Make the history in `folder` damaged in one way; the data dir to point the app at."""
    path = folder / "runs.sqlite3"
    if kind == "data_dir_is_a_file":
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "notes.txt").write_text("not a folder")
        return folder / "notes.txt"
    if kind == "random_bytes":
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(64 * 1024))
        return folder
    store = history_with_runs(folder, emulator)
    run_ids = [r.id for r in store.list()]
    store.close()
    with sqlite3.connect(path) as db:  # fold the write-ahead log into the file first
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if kind == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    elif kind == "corrupted_pages":
        data = bytearray(path.read_bytes())
        data[4096:12288] = os.urandom(8192)  # pages 2 and 3: the tables' own pages
        path.write_bytes(bytes(data))
    elif kind == "invalid_json_row":
        with sqlite3.connect(path) as db:
            db.execute("UPDATE runs SET result = '{not json' WHERE id = ?", (run_ids[0],))
    elif kind == "missing_column":
        with sqlite3.connect(path) as db:
            db.execute("ALTER TABLE runs DROP COLUMN label")
    elif kind == "schema_text":
        with sqlite3.connect(path) as db:
            db.execute("UPDATE meta SET value = 'abc' WHERE key = 'schema_version'")
    elif kind == "schema_future":
        with sqlite3.connect(path) as db:
            db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    elif kind == "missing_run_folder":
        shutil.rmtree(folder / "runs" / run_ids[0])
    return folder


# Damage that leaves the history unusable: History explains it and offers a fresh start.
UNUSABLE = ["random_bytes", "truncated", "corrupted_pages", "missing_column", "schema_text",
            "schema_future", "data_dir_is_a_file"]  # fmt: skip
# Damage to one run: the others are shown, the damaged one is named.
PARTIAL = ["invalid_json_row", "missing_run_folder"]


@pytest.fixture(autouse=True)
def fresh_app_state(monkeypatch, tmp_path):
    quick_demo_env(monkeypatch, tmp_path / "data")  # each test points the app at its own dir
    demo_emulator.clear()
    ui_run_store._store.clear()
    emulator = demo_emulator()
    yield emulator
    emulator.stop()
    demo_emulator.clear()
    ui_run_store._store.clear()


def open_app(data_dir: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("SKINSCOPE_DATA_DIR", str(data_dir))
    return app_test().run()


@pytest.mark.parametrize("kind", UNUSABLE + PARTIAL)
def test_every_page_renders_with_a_damaged_history(kind, tmp_path, monkeypatch, fresh_app_state):
    data_dir = damage(kind, tmp_path / "data", fresh_app_state)
    at = open_app(data_dir, monkeypatch)
    for page in PAGES:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (kind, page, at.exception)
        assert at.title[0].value
    at.switch_page("pages/history.py").run()
    if kind in UNUSABLE:
        assert at.error and at.button(key="do_fresh_history"), kind
    else:
        assert at.dataframe and "do_fresh_history" not in [b.key for b in at.button]
        assert len(at.dataframe[0].value) == (1 if kind == "invalid_json_row" else 2)


@pytest.mark.parametrize("kind", ["random_bytes", "corrupted_pages", "schema_future"])
def test_start_fresh_keeps_the_old_file_and_the_app_works_again(
    kind, tmp_path, monkeypatch, fresh_app_state
):
    data_dir = damage(kind, tmp_path / "data", fresh_app_state)
    at = open_app(data_dir, monkeypatch)
    at.switch_page("pages/history.py").run()
    at.button(key="do_fresh_history").click().run()
    assert not at.exception and any("No runs yet" in i.value for i in at.info)
    assert list(data_dir.glob("runs.sqlite3.broken-*"))
    at.switch_page("pages/analyse.py").run()
    at.radio(key="analyse_source").set_value("sample").run()
    at.button(key="do_run").click().run()
    assert not at.exception and at.title[0].value == "Results"


def test_a_failed_read_is_the_sessions_and_the_runs_not_every_sessions_for_good(
    tmp_path, monkeypatch, fresh_app_state
):
    """The history fails to read (a column gone) and is then mended: the session that met the
    failure reads it again on its next run, and another session was never told it is broken."""
    data_dir = damage("missing_column", tmp_path / "data", fresh_app_state)
    first = open_app(data_dir, monkeypatch)
    first.switch_page("pages/history.py").run()
    assert first.button(key="do_fresh_history")
    with sqlite3.connect(data_dir / "runs.sqlite3") as db:
        db.execute("ALTER TABLE runs ADD COLUMN label TEXT NOT NULL DEFAULT ''")
    second = open_app(data_dir, monkeypatch)
    second.switch_page("pages/history.py").run()
    first.run()
    for session in (second, first):
        assert not session.exception, session.exception
        assert "do_fresh_history" not in [b.key for b in session.button]
        assert len(session.dataframe[0].value) == 2


def test_a_run_whose_folder_is_gone_still_exports(tmp_path, fresh_app_state):
    from skinapi.presentation import exports, report

    store = history_with_runs(tmp_path, fresh_app_state)
    runs = store.list()
    shutil.rmtree(store.files / runs[0].id)
    import io
    import zipfile

    bundle = zipfile.ZipFile(io.BytesIO(exports.bundle_zip(store, runs)))
    assert runs[0].id in bundle.read("MISSING.txt").decode()
    assert f"{runs[1].id}/photo.jpg" in bundle.namelist()
    page = report.html_report(store, runs[0]).decode()
    assert "no longer on this machine" in page


@contextmanager
def mounted(folder: Path, *options: str):
    """A small tmpfs at `folder` (root only): a full disk or a read-only folder, for real."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(folder)],
                          capture_output=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()[:80]}): needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_a_full_disk_after_the_create_keeps_the_paid_result(tmp_path, fresh_app_state):
    with mounted(tmp_path / "small", "size=160k") as folder:
        store = SqliteRunStore(folder / "runs.sqlite3")
        filler = folder / "filler"
        run = Run(
            key="r",
            photo=FACE_PATH.read_bytes(),
            file="face.jpg",
            source="upload",
            settings=SETTINGS,
            backend="emulator",
        )

        def fill_the_disk(progress):
            if progress.task_id and not filler.exists():
                try:
                    filler.write_bytes(b"\0" * (1024 * 1024))
                except OSError:
                    pass  # the disk is now full, as intended

        outcome = run_analysis(run, demo_client(fresh_app_state), store, on_progress=fill_the_disk)
        assert outcome.state == "success" and run.result.scores
        assert run.not_saved and "disk" in run.not_saved.lower()
        stored = store.get(run.id)
        assert stored is None or stored.state != "running"


def test_start_fresh_on_a_read_only_folder_says_so(tmp_path, monkeypatch, fresh_app_state):
    folder = tmp_path / "ro"
    with mounted(folder, "size=1m"):
        (folder / "runs.sqlite3").write_bytes(b"garbage" * 100)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        at = open_app(folder, monkeypatch)
        at.switch_page("pages/history.py").run()
        at.button(key="do_fresh_history").click().run()
        assert not at.exception
        assert any("Cannot start a fresh run store" in e.value for e in at.error)
        for page in PAGES:
            at.switch_page(f"pages/{page}.py").run()
            assert not at.exception, page
