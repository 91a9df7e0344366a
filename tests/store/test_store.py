"""The run store: written before the create, resumable after a crash, exports that hold its
numbers, delete and purge that leave nothing behind, and broken files that do not crash."""

import csv
import io
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import zipfile

import pytest

from skinapi import (
    AnalysisSettings,
    Client,
    InvalidTaskIdError,
    RetryPolicy,
    StoreError,
    preset_actions,
)
from skinapi.demo import DEMO_API_KEY
from skinapi.presentation import exports, report
from skinapi.runs.lifecycle import Run, run_analysis, run_from_store
from skinapi.statistics import tables
from skinapi.store import SCHEMA_VERSION, SqliteRunStore

from ..helpers import FAKE_KEY, Gate, ManualClock, free_port, record_run
from .conftest import every_file, execute_raw, kept_bytes

SETTINGS = AnalysisSettings.build(["redness", "pore"])


SQLITE_ONLY = pytest.mark.parametrize("store_kind", ["sqlite"])
"""What only a SQLite file has (its bytes on disk, its damage, its upgrades)."""


def recorded_run(store, client, photo, settings=SETTINGS, **labels):
    return record_run(store, client, photo, settings, **labels)


def test_the_run_is_stored_before_the_create_request(store, emulator, face_bytes):
    client = Client(FAKE_KEY, base_url=emulator.url)
    seen = {}
    run = Run(
        key="r",
        photo=face_bytes,
        file="face.jpg",
        source="upload",
        settings=SETTINGS,
        backend="emulator",
    )

    def on_progress(progress):
        if progress.phase == "uploading":
            seen["before"] = (store.get(run.id).state, emulator.creates)
        if progress.task_id and "stored" not in seen:
            seen["stored"] = store.get(run.id)

    run_analysis(run, client, store, on_progress=on_progress)
    assert seen["before"] == ("pending", 0)
    assert seen["stored"].task_id and seen["stored"].state == "running"
    final = store.get(run.id)
    assert final.state == "success" and final.units == 9 and final.result.task_id == final.task_id
    assert store.load_result(final).masks  # masks were saved as files


def test_killed_between_create_and_success_then_resumed_after_restart(tmp_path, face_bytes):
    port = free_port()
    emulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "skinapi",
            "emulator",
            "--port",
            str(port),
            "--processing-time",
            "1.5",
            "--polling-interval",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert "emulator on" in emulator.stdout.readline()
        photo = tmp_path / "face.jpg"
        photo.write_bytes(face_bytes)
        script = textwrap.dedent(
            f"""
            import os, signal
            from skinapi import AnalysisSettings, Client
            from skinapi.runs.lifecycle import Run, run_analysis
            from skinapi.store import RunStore, SqliteRunStore
            store = SqliteRunStore({str(tmp_path / "runs.sqlite3")!r})
            settings = AnalysisSettings.build(["redness", "pore"])
            photo = open({str(photo)!r}, "rb").read()
            run = Run(key="r", photo=photo, file="face.jpg", source="upload", settings=settings,
                      backend="emulator")
            client = Client({DEMO_API_KEY!r}, base_url="http://127.0.0.1:{port}")
            def kill_once_created(progress):
                if progress.task_id:
                    os.kill(os.getpid(), signal.SIGKILL)
            run_analysis(run, client, store, on_progress=kill_once_created)
            """
        )
        killed = subprocess.run([sys.executable, "-c", script], cwd=os.getcwd(), timeout=60)
        assert killed.returncode == -signal.SIGKILL
        store = SqliteRunStore(tmp_path / "runs.sqlite3")
        [interrupted] = store.pending()
        assert interrupted.state == "running" and interrupted.task_id
        client = Client(DEMO_API_KEY, base_url=f"http://127.0.0.1:{port}")
        outcome = run_analysis(run_from_store(store, interrupted), client, store)
        assert outcome.result.task_id == interrupted.task_id
        assert store.get(interrupted.id).state == "success" and not store.pending()
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


def test_expired_task_is_recorded_as_expired(store, emulator_factory, face_bytes):
    clock = ManualClock()
    emulator = emulator_factory(task_expiry=0.1, processing_time=0.05, clock=clock)
    client = Client(FAKE_KEY, base_url=emulator.url)
    run_id = store.begin(
        photo=face_bytes, settings=SETTINGS, backend="emulator", source="upload", photo_hash="h"
    )
    file_id = client.upload_photo(face_bytes)
    created = client.create_task(SETTINGS, src_file_id=file_id)
    store.update(run_id, task_id=created.task_id, state="running")
    clock.advance(0.3)  # past task_expiry with no poll
    outcome = run_analysis(run_from_store(store, store.get(run_id)), client, store)
    assert outcome.state == "expired" and outcome.error["error_code"] == "InvalidTaskId"
    stored = store.get(run_id)
    assert stored.state == "expired" and "expired" in stored.error_message


def test_compare_three_runs_and_every_export_holds_the_stored_numbers(store, client, face_bytes):
    runs = [
        recorded_run(store, client, face_bytes, label="A"),
        recorded_run(
            store,
            client,
            face_bytes,
            AnalysisSettings.build(preset_actions("eyes", "sd")),
            label="B",
        ),
        recorded_run(
            store, client, face_bytes, AnalysisSettings.build(["redness"], format="zip"), label="C"
        ),
    ]
    stored_scores = {
        (r.id, s.type, s.region or "whole"): s.ui_score for r in runs for s in r.result.scores
    }

    table = tables.deltas(runs)
    assert {row["Concern"] for row in table} >= {"Redness", "Pores", "Dark circles"}
    redness = next(row for row in table if row["Concern"] == "Redness")
    assert redness["Run 1 score"] == redness["Run 3 score"] and redness["Run 2 score"] is None
    assert tables.mixing_warnings(runs) == []

    rows = list(csv.DictReader(io.StringIO(exports.runs_csv(runs).decode())))
    assert {
        (row["run_id"], row["concern"], row["region"]): int(row["ui_score"]) for row in rows
    } == stored_scores

    as_json = json.loads(exports.runs_json(runs))
    assert [r["run_id"] for r in as_json] == [r.id for r in runs]
    assert as_json[0]["result"]["overall"] == runs[0].result.overall

    bundle = zipfile.ZipFile(io.BytesIO(exports.bundle_zip(store, runs)))
    names = bundle.namelist()
    assert "scores.csv" in names and all(f"{r.id}/photo.jpg" in names for r in runs)
    assert (
        any(n.startswith(f"{runs[0].id}/masks/") for n in names)
        and f"{runs[0].id}/overlay.jpg" in names
    )

    page = report.html_report(store, runs[0]).decode()
    assert "<svg" in page and "data:image/jpeg;base64," in page and "<script" not in page
    assert f">{runs[0].result.scores[0].ui_score}<" in page

    debug = zipfile.ZipFile(io.BytesIO(exports.debug_bundle(store, runs[2])))
    summary = json.loads(debug.read("summary.json"))
    assert (
        summary["task_id"] == runs[2].task_id
        and summary["x_request_ids"]
        and summary["poll_timeline"]
    )
    assert "raw_result.zip" in debug.namelist()
    everything = b"".join(debug.read(n) for n in debug.namelist())
    assert FAKE_KEY.encode() not in everything


def test_delete_removes_files_and_calls_the_api_delete(store, client, emulator, face_bytes):
    run = recorded_run(store, client, face_bytes)
    assert "photo.jpg" in store.run_files.names(run.id)
    client.delete_task(run.task_id)
    store.delete(run.id)
    assert not store.run_files.names(run.id) and store.get(run.id) is None
    assert ("POST", "/s2s/v2.0/task/delete") in emulator.request_log
    with pytest.raises(InvalidTaskIdError):
        client.get_task(run.task_id)


def test_purge_leaves_nothing_behind(store, client, face_bytes):
    recorded_run(store, client, face_bytes)
    recorded_run(store, client, face_bytes)
    store.purge()
    assert store.list() == [] and not every_file(store)
    assert FAKE_KEY.encode() not in kept_bytes(store)


def test_the_key_is_never_stored(store, client, face_bytes):
    recorded_run(store, client, face_bytes)
    assert FAKE_KEY.encode() not in kept_bytes(store)


def test_a_corrupt_file_gives_a_clear_error_and_a_way_out(tmp_path):
    path = tmp_path / "runs.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as caught:
        SqliteRunStore(path)
    assert "cannot be read" in str(caught.value) and "fresh run store" in str(caught.value)
    fresh = SqliteRunStore.fresh(path)
    assert fresh.list() == [] and list(tmp_path.glob("runs.sqlite3.broken-*"))


def test_an_old_schema_gives_a_clear_error(tmp_path):
    path = tmp_path / "runs.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('schema_version', '0');"
    )
    db.close()
    with pytest.raises(StoreError) as caught:
        SqliteRunStore(path)
    assert "schema version 0" in str(caught.value)


def test_a_version_1_history_is_upgraded_in_place(tmp_path):
    """A history written before the demo/live column became `backend` and unsent runs got their
    own state: every run reads back, nothing is lost."""
    path = tmp_path / "runs.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        INSERT INTO meta VALUES ('schema_version', '1');
        CREATE TABLE runs (
            id TEXT PRIMARY KEY, created REAL NOT NULL, mode TEXT, api_version TEXT,
            settings TEXT, actions TEXT, source TEXT, photo_hash TEXT, task_id TEXT,
            state TEXT, result TEXT, duration REAL, units INTEGER DEFAULT 0,
            error_code TEXT, error_message TEXT, label TEXT DEFAULT '', note TEXT DEFAULT '',
            trial TEXT DEFAULT '', participant TEXT DEFAULT '', debug TEXT DEFAULT '{}',
            thumbnail BLOB
        );
        """
    )
    settings = json.dumps(SETTINGS.to_dict())
    result = {
        "task_id": "task_1", "api_version": "v2.1", "format": "json", "overall": 71.5,
        "skin_age": 30,
        "concerns": [{"type": "redness", "region": None, "raw_score": 60.5, "ui_score": 74,
                      "mask": None, "mask_key": "redness:whole"}],
        "skin_types": [], "mask_files": {"redness:whole": "redness_whole.png"},
        "skin_type_mask_key": None,
    }  # fmt: skip
    db.execute(
        "INSERT INTO runs (id, created, mode, api_version, settings, actions, source, photo_hash,"
        " task_id, state, result, units) VALUES ('a', 1, 'live', 'v2.1', ?, 'redness,pore',"
        " 'upload', 'h', 'task_1', 'success', ?, 9)",
        (settings, json.dumps(result)),
    )
    db.execute(
        "INSERT INTO runs (id, created, mode, api_version, settings, actions, source, photo_hash,"
        " state, error_code, error_message) VALUES ('b', 2, 'demo', 'v2.1', ?, 'redness,pore',"
        " 'upload', 'h', 'error', 'NotSent', 'Interrupted')",
        (settings,),
    )
    db.commit()
    db.close()
    store = SqliteRunStore(path)
    done, unsent = store.get("a"), store.get("b")
    assert done.backend == "live" and done.result.overall == 71.5
    assert done.result.scores[0].mask_key == "redness:whole"
    assert done.mask_files == {"redness:whole": "redness_whole.png"}
    assert unsent.backend == "emulator" and unsent.state == "unsent"  # renamed in version 4
    assert done.batch == "" and done.meta == {} and done.visit == ""  # 2 → 3 added cohorts
    store.close()
    reopened = SqliteRunStore(path)  # upgraded once, opens again as the current version
    assert reopened.get("a").backend == "live"
    assert reopened._meta("schema_version") == str(SCHEMA_VERSION)


def test_a_batch_run_keeps_its_file_meta_and_visit(store):
    run_id = store.begin(
        photo=b"not a photo", settings=SETTINGS, backend="emulator", source="batch",
        photo_hash="h", batch="set-a", file="dark/01.jpg", meta={"group": "dark", "n": "3"},
        visit="baseline",
    )  # fmt: skip
    stored = store.get(run_id)
    assert (stored.batch, stored.file, stored.visit) == ("set-a", "dark/01.jpg", "baseline")
    assert stored.meta == {"group": "dark", "n": "3"}
    assert [r.id for r in store.batch_runs("set-a")] == [run_id]
    assert store.batch_runs("other") == []
    assert [(name, count) for name, count, _ in store.batches()] == [("set-a", 1)]


def test_a_trial_run_keeps_its_capture_conditions_and_a_damaged_one_reads_as_none(store):
    conditions = {"camera": "FaceTime HD", "resolution": "1280×720", "skin": "clean face"}
    trial = dict(trial="Serum", participant="P-001", visit="baseline", photo_hash="h")
    run_id = store.begin(
        photo=b"not a photo",
        settings=SETTINGS,
        backend="emulator",
        source="camera",
        conditions=conditions,
        **trial,
    )
    assert store.get(run_id).conditions == conditions
    store.update(run_id, conditions={"room": "Room 2"})
    assert store.get(run_id).conditions == {"room": "Room 2"}
    execute_raw(store, "UPDATE runs SET conditions = 'not json' WHERE id = ?", (run_id,))
    assert store.get(run_id).conditions == {}  # the run is still listed


def test_compare_puts_the_changes_first_and_blanks_what_is_missing(store, client, face_bytes):
    runs = [
        recorded_run(store, client, face_bytes),
        recorded_run(store, client, face_bytes, AnalysisSettings.build(["redness"])),
    ]
    rows = tables.deltas(runs)
    assert list(rows[0])[:4] == ["Concern", "Region", "Δ raw 2−1", "Δ score 2−1"]
    shown = tables.blanks(rows)
    pores = next(r for r in shown if r["Concern"] == "Pores")
    assert pores["Δ raw 2−1"] == "—" and pores["Run 2 score"] == "—" and pores["Run 1 score"] != "—"
    redness = next(r for r in shown if r["Concern"] == "Redness")
    assert redness["Δ score 2−1"][0] in "+-" and redness["Δ raw 2−1"][0] in "+-"  # 0 is +0
    assert redness["Run 2 score"][0] not in "+-"  # a score is not a change
    for column in shown[0]:  # one type per column, or Arrow cannot convert it
        assert len({type(row[column]) for row in shown}) == 1, column


def test_demo_versions_are_said_to_differ_by_construction_and_do_not_differ(
    store, client, face_bytes
):
    """Issue 24: v2.0 beside v2.1 in demo mode is zero by construction, said so at the
    comparison; the statement is true (every change is zero) and not made for live runs."""
    from PIL import ImageEnhance

    from skinapi.statistics.demo_limits import zero_by_construction

    from ..helpers import face_image, jpeg

    versions = [
        recorded_run(
            store, client, face_bytes, AnalysisSettings.build(["redness", "pore"], api_version=v)
        )
        for v in ("v2.1", "v2.0")
    ]
    for run in versions:  # record_run files them as the emulator's
        assert run.backend == "emulator"
    assert {row["Δ raw 2−1"] for row in tables.deltas(versions)} == {0.0}
    said = zero_by_construction(versions)
    assert said.startswith("In demo mode, v2.0 and v2.1 are scored by the same engine")
    assert "zero by construction" in said and "live key" in said
    darker = jpeg(ImageEnhance.Brightness(face_image()).enhance(0.8))
    other_photo = recorded_run(store, client, darker, versions[1].settings)
    assert "none from this setting" in zero_by_construction([versions[0], other_photo])
    same = [versions[0], recorded_run(store, client, face_bytes, versions[0].settings)]
    assert zero_by_construction(same) is None
    versions[1].backend = "live"
    assert zero_by_construction(versions) is None


def test_download_names_say_what_the_file_is():
    name = exports.download_name(0, "Serum week 1/../x", "task_ABCDEFGHIJKLMNOP", ".csv")
    assert name.startswith("skinscope-19") and name.endswith("-task_ABCDEFG.csv")
    assert "Serum_week_1" in name and "/" not in name


def test_the_report_reads_like_the_app(store, client, face_bytes):
    run = recorded_run(
        store, client, face_bytes, AnalysisSettings.build(["redness", "pore", "skin_type"])
    )
    store.update(run.id, note="Morning light, no make-up")
    run = store.get(run.id)
    page = report.html_report(store, run).decode()
    assert f"Overall {run.result.overall:.0f}<" in page  # rounded as the app shows it
    assert "Morning light, no make-up" in page
    assert "T-zone" in page and "t_zone" not in page  # labels people read, not keys
    assert page.count("<figure>") == 2  # one thumbnail per concern with a mask
    assert "<script" not in page


def test_csv_columns_say_what_they_hold(store, client, face_bytes):
    run = recorded_run(store, client, face_bytes, label="A")
    store.update(run.id, note="n1")
    header, first = list(csv.reader(io.StringIO(exports.runs_csv([store.get(run.id)]).decode())))[
        :2
    ]
    row = dict(zip(header, first, strict=True))
    assert row["run_label"] == "A" and row["run_note"] == "n1" and row["concern_name"] == "Redness"


OPEN_STORE = (
    "import sys; from skinapi.store import SqliteRunStore; SqliteRunStore(sys.argv[1]).list()"
)


@pytest.mark.parametrize("start_version", [None, 2])
def test_processes_opening_one_new_or_old_history_at_once_all_succeed(tmp_path, start_version):
    """The app and a CLI batch may open the same history at the same moment: creating or
    upgrading it happens once, and nobody sees half of it ('table meta already exists')."""
    path = tmp_path / "runs.sqlite3"
    if start_version == 2:
        import sqlite3

        from skinapi.store import sqlite_schema as store_schema

        db = sqlite3.connect(path, isolation_level=None)
        store_schema.create(db, 2)
        later_indexes = ("runs_backend", "runs_quality", "runs_overall", "runs_file_bytes")
        for index in (*later_indexes, "runs_person"):
            db.execute(f"DROP INDEX {index}")
        for table in ("thumbnails", "audit", "spend"):
            db.execute(f"DROP TABLE {table}")  # with the audit trail's triggers
        # version 2 had none of these, and kept thumbnails in the runs
        for column in ("batch", "file", "meta", "visit", "base_url", "quality", "overall",
                       "file_bytes", "conditions", "person"):  # fmt: skip
            db.execute(f"ALTER TABLE runs DROP COLUMN {column}")
        db.execute("ALTER TABLE runs ADD COLUMN thumbnail BLOB")
        db.close()
    children = [
        subprocess.Popen([sys.executable, "-c", OPEN_STORE, str(path)], stderr=subprocess.PIPE)
        for _ in range(8)
    ]
    errors = [child.communicate(timeout=60)[1].decode() for child in children]
    assert [child.returncode for child in children] == [0] * 8, errors
    assert SqliteRunStore(path)._meta("schema_version") == str(SCHEMA_VERSION)


def test_a_run_id_from_a_damaged_history_never_becomes_a_path(store, tmp_path):
    """The ids are read back from a file on disk: one that climbs out of the data folder is
    refused, and a delete never reaches outside it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the history's")
    hostile = "../outside"  # files live in tmp_path / "runs"
    execute_raw(
        store,
        "INSERT INTO runs (id, created, backend, api_version, settings, actions, source, "
        "photo_hash, state) VALUES (?, 0, 'demo', 'v2.1', '{}', '', 'upload', 'h', 'error')",
        (hostile,),
    )
    with pytest.raises(StoreError, match="never writes"):
        store.delete(hostile)
    with pytest.raises(StoreError, match="never writes"):
        store.photo(hostile)
    assert (outside / "keep.txt").exists()


def test_a_create_that_never_reached_the_api_is_an_error_not_unconfirmed(
    store, emulator, face_bytes
):
    """The connection for the create was refused: nothing can have been billed, so the run is
    a plain failure that may be run again, not one that must never be created again."""
    gate = Gate(emulator.port).open()
    client = Client(FAKE_KEY, base_url=gate.url, retry=RetryPolicy(attempts=2, base_delay=0.01))
    run = Run(
        key="r",
        photo=face_bytes,
        file="face.jpg",
        source="upload",
        settings=SETTINGS,
        backend="emulator",
    )

    def close_before_the_create(progress):
        if progress.phase == "creating":
            gate.close()

    outcome = run_analysis(run, client, store, on_progress=close_before_the_create)
    assert outcome.state == "error" and emulator.creates == 0
    stored = store.get(run.id)
    assert stored.state == "error" and "nothing was billed" in outcome.error["hint"]


def test_runs_recorded_at_once_never_share_an_id_or_overwrite_a_photo(tmp_path, monkeypatch):
    """Ids carry 64 random bits and the record comes before the files: 4 writers × 250 runs
    all land; and when ids are forced to collide, a taken id is refused or drawn again, and
    no run's photo is ever another's."""
    from concurrent.futures import ThreadPoolExecutor

    from skinapi.store import sql_store

    path = tmp_path / "runs.sqlite3"
    SqliteRunStore(path).close()

    def write(writer: int, count: int) -> list[tuple[str, bytes]]:
        store, made = SqliteRunStore(path), []
        for n in range(count):
            photo = f"photo {writer}-{n}".encode()
            try:
                made.append((store.begin(photo=photo, settings=SETTINGS, backend="emulator",
                                         source="batch", photo_hash=str(n)), photo))  # fmt: skip
            except StoreError:
                pass  # forced collisions: refused after three draws, nothing written
        return made

    with ThreadPoolExecutor(4) as pool:
        made = [r for part in pool.map(write, range(4), [250] * 4) for r in part]
    assert len(made) == 1000 == len({run_id for run_id, _ in made})

    draws, lock = itertools.count(), threading.Lock()

    def crowded_id() -> str:  # forty ids for 120 runs
        with lock:
            return f"20261205-120000-{next(draws) % 40:016x}"

    monkeypatch.setattr(sql_store, "new_run_id", crowded_id)
    crowded = tmp_path / "crowded"
    crowded.mkdir()
    path = crowded / "runs.sqlite3"
    with ThreadPoolExecutor(4) as pool:
        made = [r for part in pool.map(write, range(4), [30] * 4) for r in part]
    store = SqliteRunStore(path)
    assert 0 < len(made) <= 40 and len({run_id for run_id, _ in made}) == len(made)
    assert all(store.photo(run_id) == photo for run_id, photo in made)
    assert len(store.list()) == len(made)


def test_the_unfinished_runs_are_found_through_the_state_index(tmp_path):
    """Every page's rerun asks for them: it used to read and decode the whole history."""
    store = SqliteRunStore(tmp_path / "runs.sqlite3")
    ids = [
        store.begin(photo=b"x", settings=SETTINGS, backend="emulator", source="cli",
                    photo_hash=str(n))
        for n in range(4)
    ]  # fmt: skip
    store.update(ids[0], state="running", task_id="t0")
    store.update(ids[1], state="error")
    store.update(ids[2], state="success")
    assert {r.id for r in store.pending()} == {ids[0], ids[3]}  # running, and pending
    plan = store._db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM runs WHERE state IN ('pending', 'running')"
    ).fetchall()
    assert "runs_state" in str(plan)


def test_the_history_table_has_one_type_per_column(tmp_path):
    """A mixed Overall column ('' and numbers) failed Arrow's conversion on every render."""
    import pyarrow

    from skinapi.results import AnalysisResult

    store = SqliteRunStore(tmp_path / "runs.sqlite3")
    first = store.begin(photo=b"x", settings=SETTINGS, backend="emulator", source="cli",
                        photo_hash="a")  # fmt: skip
    store.save_result(first, AnalysisResult("t", "v2.1", "json", overall=71.5), duration=1.0,
                      units=1)  # fmt: skip
    store.begin(photo=b"y", settings=SETTINGS, backend="emulator", source="cli", photo_hash="b")
    rows = tables.table_rows(store.list(), {})
    pyarrow.Table.from_pylist(rows)  # raised ArrowTypeError before
    assert sorted(r["Overall"] for r in rows if r["Overall"] is not None) == [72]


def test_a_new_run_store_opened_by_four_at_once_opens_for_all(tmp_path):
    """Two commands starting on a new data folder: SQLite answered the second one's switch to
    write-ahead logging with an immediate "database is locked" (1 in 7 tries before)."""
    from concurrent.futures import ThreadPoolExecutor

    for trial in range(25):
        path = tmp_path / str(trial) / "runs.sqlite3"
        path.parent.mkdir()
        start = threading.Barrier(4)

        def open_it(path=path, start=start) -> None:
            start.wait()
            SqliteRunStore(path).close()

        with ThreadPoolExecutor(4) as pool:
            for opened in [pool.submit(open_it) for _ in range(4)]:
                opened.result()  # raises the StoreError if one failed
