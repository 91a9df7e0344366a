"""A process killed around the billed create request leaves a precise record: before it went out
→ unsent (nothing was billed); while it was out → unconfirmed (may have been billed: look it up);
after its answer → running with the task_id, which is resumed and finished, never created again."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest
import requests

from skinapi import Client
from skinapi.demo import DEMO_API_KEY
from skinapi.runs.lifecycle import mark_interrupted, run_analysis, run_from_store
from skinapi.store import RunStore, SqliteRunStore
from skinapi.store.states import NOT_SENT_MESSAGE, UNCONFIRMED_MESSAGE

from ..helpers import FACE_PATH, ROOT, free_port, wait_until

# The child starts a recorded analysis and is killed (SIGKILL, no clean-up) at one moment.
CHILD = textwrap.dedent(
    """
    import os, signal, sys, threading
    from skinapi import AnalysisSettings, Client
    from skinapi.runs.lifecycle import Run, run_analysis
    from skinapi.store import RunStore, SqliteRunStore
    moment, db, url, photo = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    store = SqliteRunStore(db)
    run = Run(key="r", photo=open(photo, "rb").read(), file="face.jpg", source="upload",
              settings=AnalysisSettings.build(["redness", "pore"]), backend="emulator")
    kill = lambda: os.kill(os.getpid(), signal.SIGKILL)
    update = store.update
    def watched(run_id, **fields):
        update(run_id, **fields)
        if moment == "during" and fields.get("state") == "sending":
            threading.Timer(0.2, kill).start()  # the create is on the wire (0.5 s latency)
        if moment == "after" and fields.get("task_id"):
            kill()
    store.update = watched
    def progress(p):
        if moment == "before" and p.phase == "creating":
            kill()
    run_analysis(run, Client("skinscope-demo-key", base_url=url), store, on_progress=progress)
    """
)


@pytest.fixture(scope="module")
def slow_emulator():
    """The emulator in its own process, answering every request after 0.5 s."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "skinapi", "emulator", "--port", str(port), "--latency", "0.5",
         "--processing-time", "0.5", "--polling-interval", "0.2"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert "emulator on" in server.stdout.readline()
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


def killed_at(moment: str, tmp_path, url: str) -> RunStore:
    db = tmp_path / "runs.sqlite3"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, moment, str(db), url, str(FACE_PATH)],
        cwd=ROOT, timeout=60, capture_output=True, text=True,
    )  # fmt: skip
    assert child.returncode == -signal.SIGKILL, child.stderr[-500:]
    return SqliteRunStore(db)


def test_killed_before_the_create_is_unsent(tmp_path, slow_emulator):
    store = killed_at("before", tmp_path, slow_emulator)
    [stored] = store.pending()
    assert stored.state == "pending" and stored.task_id is None
    mark_interrupted(store, stored)  # what the app does with it on its next start
    stored = store.get(stored.id)
    assert stored.state == "unsent" and stored.error_message == NOT_SENT_MESSAGE


def test_killed_while_the_create_is_out_may_have_been_billed(tmp_path, slow_emulator):
    creates_before = _creates(slow_emulator)
    store = killed_at("during", tmp_path, slow_emulator)
    [stored] = store.pending()
    assert stored.state == "sending" and stored.task_id is None
    mark_interrupted(store, stored)
    stored = store.get(stored.id)
    assert stored.state == "unconfirmed" and stored.error_message == UNCONFIRMED_MESSAGE
    assert "nothing was billed" not in stored.error_message
    # The create did reach the API: the record was right not to say "nothing was billed".
    wait_until(lambda: _creates(slow_emulator) == creates_before + 1, timeout=10)


def test_killed_after_the_create_resumes_the_same_task(tmp_path, slow_emulator):
    creates_before = _creates(slow_emulator)
    store = killed_at("after", tmp_path, slow_emulator)
    [stored] = store.pending()
    assert stored.state == "running" and stored.task_id
    client = Client(DEMO_API_KEY, base_url=slow_emulator)
    outcome = run_analysis(run_from_store(store, stored), client, store)
    assert outcome.state == "success" and outcome.result.task_id == stored.task_id
    assert store.get(stored.id).state == "success"
    assert _creates(slow_emulator) == creates_before + 1


def _creates(url: str) -> int:
    """Tasks the emulator process has created (its own /_emulator/stats, not part of the API)."""
    return int(requests.get(f"{url}/_emulator/stats", timeout=5).json()["creates"])
