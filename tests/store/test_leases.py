"""Who works on a stored run: a run is leased from before its record exists until it ends, a
crash lets go of the lease, and a new window resumes only the runs no one is on."""

import subprocess
import sys
import textwrap
import threading

import pytest
from streamlit.testing.v1 import AppTest

from skinapi import AnalysisSettings, Client, preset_actions
from skinapi.demo import DEMO_API_KEY
from skinapi.runs.batch_ledger import batch_lock
from skinapi.runs.lifecycle import Run, run_analysis, run_from_store
from skinapi.store import RunStore, SqliteRunStore
from skinapi.store.leases import batch_busy, run_busy, run_lease

from ..helpers import FAKE_KEY, SAMPLE, app_test

SETTINGS = AnalysisSettings.build(["redness", "pore"])


def test_a_run_is_leased_from_before_its_record_until_it_ends(store, emulator_factory, face_bytes):
    emulator = emulator_factory(processing_time=0.4, polling_interval=0.1)
    run = Run(
        key="r",
        photo=face_bytes,
        file="face.jpg",
        source="upload",
        settings=SETTINGS,
        backend="emulator",
    )
    seen = []

    def on_progress(progress):
        seen.append((progress.phase, run_busy(store, run.id)))

    run_analysis(run, Client(FAKE_KEY, base_url=emulator.url), store, on_progress=on_progress)
    assert store.get(run.id).state == "success"
    phases = {phase for phase, _ in seen}
    assert {"uploading", "creating", "waiting"} <= phases
    assert all(busy for _, busy in seen), seen
    assert not run_busy(store, run.id)


def test_a_crashed_process_lets_go_of_its_lease(store, tmp_path, face_bytes):
    """Another process (on this machine, or on another one sharing the database) holds the
    lease until it dies, however it dies."""
    run_id = store.begin(
        photo=face_bytes, settings=SETTINGS, backend="emulator", source="cli", photo_hash="x"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from skinapi.store.leases import run_lease
            from skinapi.store import open_store
            with run_lease(open_store({str(tmp_path / "runs.sqlite3")!r}), {run_id!r}) as held:
                print(held, flush=True)
                time.sleep(60)
            """)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "True"
        assert run_busy(store, run_id)
        with run_lease(store, run_id) as held:
            assert not held
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert not run_busy(store, run_id)
    with run_lease(store, run_id) as held:
        assert held


def test_a_batch_lock_marks_the_batch_busy(store):
    assert not batch_busy(store, "set A")
    with batch_lock(store, "set A"):
        assert batch_busy(store, "set A") and not batch_busy(store, "set B")
    assert not batch_busy(store, "set A")


def unfinished_run(store: RunStore, emulator, *, created: bool, batch: str = "") -> str:
    """A run as another window leaves it while it works: created (task_id, running) or with
    its create still out (sending, no task_id)."""
    settings = AnalysisSettings.build(preset_actions("all", "sd"))
    photo = SAMPLE.read_bytes()
    run_id = store.begin(
        photo=photo, settings=settings, backend="emulator", source="sample", photo_hash="h",
        batch=batch,
    )  # fmt: skip
    if created:
        client = Client(DEMO_API_KEY, base_url=emulator.url)
        task_id = client.create_task(settings, src_file_id=client.upload_photo(photo)).task_id
        store.update(run_id, task_id=task_id, state="running")
    else:
        store.update(run_id, state="sending")
    return run_id


def open_app() -> AppTest:
    return app_test().run()


def task_polls(emulator) -> int:
    return sum(1 for method, path in emulator.request_log if method == "GET" and "/task/" in path)


@pytest.mark.parametrize("created", [True, False], ids=["created", "create in flight"])
@pytest.mark.parametrize("owner", ["another window", "a running batch"])
def test_a_new_window_leaves_alone_a_run_someone_is_on(quick_emulator, tmp_path, created, owner):
    store = SqliteRunStore(tmp_path / "data" / "runs.sqlite3")
    batch = "set A" if owner == "a running batch" else ""
    run_id = unfinished_run(store, quick_emulator, created=created, batch=batch)
    state = store.get(run_id).state
    release = threading.Event()
    holding = threading.Event()

    def hold():
        lease = batch_lock(store, batch) if batch else run_lease(store, run_id)
        with lease:
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        polls = task_polls(quick_emulator)
        at = open_app()
        assert not at.exception
        assert store.get(run_id).state == state, "a run someone is on was taken over"
        assert task_polls(quick_emulator) == polls
    finally:
        release.set()
        holder.join(10)
    at = open_app()  # the owner is gone: a new window takes the run over
    assert not at.exception
    assert store.get(run_id).state == ("success" if created else "unconfirmed")


def test_a_resume_leaves_a_task_another_holder_follows_alone(quick_emulator, store):
    """The check and the resume are one step: a run whose lease is held is not polled, even
    when the caller got past an earlier check (two windows at the same moment)."""
    run_id = unfinished_run(store, quick_emulator, created=True)
    stored = store.get(run_id)
    client = Client(DEMO_API_KEY, base_url=quick_emulator.url)
    with run_lease(store, run_id) as held:
        assert held is True
        polls = task_polls(quick_emulator)
        outcome = run_analysis(run_from_store(store, stored), client, store)
        assert outcome.state == "running" and task_polls(quick_emulator) == polls
        assert store.get(run_id).state == "running"
    outcome = run_analysis(run_from_store(store, stored), client, store)
    assert outcome.state == "success" and store.get(run_id).state == "success"
