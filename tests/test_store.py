"""The run store: written before the create, resumable after a crash, exports that hold its
numbers, delete and purge that leave nothing behind, and broken files that do not crash."""

import csv
import io
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import zipfile

import pytest

from skinapi import AnalysisSettings, Client, InvalidTaskIdError, exports, preset_actions
from skinapi.emulator import DEMO_API_KEY
from skinapi.runs import analyze_recorded, resume_recorded
from skinapi.store import RunStore, StoreError

from .conftest import FAKE_KEY

SETTINGS = AnalysisSettings.build(["redness", "pore"])


@pytest.fixture
def store(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite3")
    yield store
    store.close()


def recorded_run(store, client, photo, settings=SETTINGS, **kwargs):
    run_id = store.begin(
        photo=photo, settings=settings, mode="demo", source="upload", photo_hash="h", **kwargs
    )
    analyze_recorded(client, store, run_id, photo, settings)
    return store.get(run_id)


def test_the_run_is_stored_before_the_create_request(store, emulator, face_bytes):
    client = Client(FAKE_KEY, base_url=emulator.url)
    seen = {}

    def on_created(task_id):
        seen["creates"] = emulator.creates
        seen["stored"] = store.get(run_id)

    run_id = store.begin(
        photo=face_bytes, settings=SETTINGS, mode="demo", source="upload", photo_hash="h"
    )
    assert store.get(run_id).state == "pending" and emulator.creates == 0
    analyze_recorded(client, store, run_id, face_bytes, SETTINGS, on_task_created=on_created)
    assert seen["stored"].task_id and seen["stored"].state == "running"
    final = store.get(run_id)
    assert (
        final.state == "success" and final.units == 9 and final.result["task_id"] == final.task_id
    )
    assert store.load_result(final).masks  # masks were saved as files


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_killed_between_create_and_success_then_resumed_after_restart(tmp_path, face_bytes):
    port = _free_port()
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
            from skinapi.runs import analyze_recorded
            from skinapi.store import RunStore
            store = RunStore({str(tmp_path / "runs.sqlite3")!r})
            settings = AnalysisSettings.build(["redness", "pore"])
            photo = open({str(photo)!r}, "rb").read()
            run_id = store.begin(photo=photo, settings=settings, mode="demo", source="upload", photo_hash="h")
            client = Client({DEMO_API_KEY!r}, base_url="http://127.0.0.1:{port}")
            analyze_recorded(client, store, run_id, photo, settings,
                             on_task_created=lambda task_id: os.kill(os.getpid(), signal.SIGKILL))
            """
        )
        killed = subprocess.run([sys.executable, "-c", script], cwd=os.getcwd(), timeout=60)
        assert killed.returncode == -signal.SIGKILL
        store = RunStore(tmp_path / "runs.sqlite3")
        [interrupted] = store.pending()
        assert interrupted.state == "running" and interrupted.task_id
        client = Client(DEMO_API_KEY, base_url=f"http://127.0.0.1:{port}")
        result = resume_recorded(client, store, interrupted)
        assert result.task_id == interrupted.task_id
        assert store.get(interrupted.id).state == "success" and not store.pending()
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


def test_expired_task_is_recorded_as_expired(store, emulator_factory, face_bytes):
    emulator = emulator_factory(task_expiry=0.1, processing_time=0.05)
    client = Client(FAKE_KEY, base_url=emulator.url)
    run_id = store.begin(
        photo=face_bytes, settings=SETTINGS, mode="demo", source="upload", photo_hash="h"
    )
    file_id = client.upload_photo(face_bytes)
    store.update(
        run_id, task_id=client.create_task(SETTINGS, src_file_id=file_id).task_id, state="running"
    )
    import time

    time.sleep(0.3)
    with pytest.raises(InvalidTaskIdError):
        resume_recorded(client, store, store.get(run_id))
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
        (r.id, c["type"], c["region"] or "whole"): c["ui_score"]
        for r in runs
        for c in r.result["concerns"]
    }

    from skinapi import compare

    table = compare.deltas(runs)
    assert {row["Concern"] for row in table} >= {"Redness", "Pores", "Dark circles"}
    redness = next(row for row in table if row["Concern"] == "Redness")
    assert redness["Run 1 ui"] == redness["Run 3 ui"] and redness["Run 2 ui"] is None
    assert compare.mixing_warnings(runs) == []

    rows = list(csv.DictReader(io.StringIO(exports.runs_csv(runs).decode())))
    assert {
        (row["run_id"], row["concern"], row["region"]): int(row["ui_score"]) for row in rows
    } == stored_scores

    as_json = json.loads(exports.runs_json(runs))
    assert [r["run_id"] for r in as_json] == [r.id for r in runs]
    assert as_json[0]["result"]["overall"] == runs[0].result["overall"]

    bundle = zipfile.ZipFile(io.BytesIO(exports.bundle_zip(store, runs)))
    names = bundle.namelist()
    assert "scores.csv" in names and all(f"{r.id}/photo.jpg" in names for r in runs)
    assert (
        any(n.startswith(f"{runs[0].id}/masks/") for n in names)
        and f"{runs[0].id}/overlay.jpg" in names
    )

    report = exports.html_report(store, runs[0]).decode()
    assert "<svg" in report and "data:image/jpeg;base64," in report and "<script" not in report
    assert f">{runs[0].result['concerns'][0]['ui_score']}<" in report

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
    folder = store.files / run.id
    assert folder.exists()
    client.delete_task(run.task_id)
    store.delete(run.id)
    assert not folder.exists() and store.get(run.id) is None
    assert ("POST", "/s2s/v2.0/task/delete") in emulator.request_log
    with pytest.raises(InvalidTaskIdError):
        client.get_task(run.task_id)


def test_purge_leaves_nothing_behind(store, client, face_bytes):
    recorded_run(store, client, face_bytes)
    recorded_run(store, client, face_bytes)
    store.purge()
    assert store.list() == [] and not store.files.exists()
    assert FAKE_KEY.encode() not in store.path.read_bytes()


def test_the_key_is_never_stored(store, client, face_bytes):
    recorded_run(store, client, face_bytes)
    blobs = store.path.read_bytes() + b"".join(
        p.read_bytes() for p in store.files.rglob("*") if p.is_file()
    )
    wal = store.path.with_name(store.path.name + "-wal")
    if wal.exists():
        blobs += wal.read_bytes()
    assert FAKE_KEY.encode() not in blobs


def test_a_corrupt_file_gives_a_clear_error_and_a_way_out(tmp_path):
    path = tmp_path / "runs.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as caught:
        RunStore(path)
    assert "cannot be read" in str(caught.value) and "fresh history" in str(caught.value)
    fresh = RunStore.fresh(path)
    assert fresh.list() == [] and list(tmp_path.glob("runs.sqlite3.broken-*"))


def test_an_old_schema_gives_a_clear_error(tmp_path):
    path = tmp_path / "runs.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('schema_version', '0');"
    )
    db.close()
    with pytest.raises(StoreError) as caught:
        RunStore(path)
    assert "schema version 0" in str(caught.value)
