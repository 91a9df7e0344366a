"""Two CLI processes (on one machine's history, or on two machines sharing the team's store)
analyse the same photo with the same settings at the same moment: one task is created, and the
second adopts the first one's result — or, when it gives up waiting, says the photo is being
analysed elsewhere and sends nothing."""

import json
import subprocess
import time

from skinapi.store import RunQuery

from ..helpers import FACE_PATH, run_cli


def analyze_cli(emulator, data_dir, *extra):
    return run_cli(
        "analyze", FACE_PATH, "--actions", "redness,pore", "--skip-checks", *extra,
        base_url=emulator.url, data_dir=data_dir,
        popen={"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True},
    )  # fmt: skip


def data_dirs(tmp_path, store_kind):
    """SQLite: one machine's data folder for both; PostgreSQL + S3: a folder each."""
    if store_kind == "sqlite":
        return [tmp_path / "data"] * 2
    return [tmp_path / "replica-a", tmp_path / "replica-b"]


def test_the_same_photo_analysed_twice_at_once_creates_one_task_and_both_get_its_result(
    open_test_store, store_kind, emulator_factory, tmp_path
):
    emulator = emulator_factory(processing_time=1.2, polling_interval=0.1)
    started = [analyze_cli(emulator, data) for data in data_dirs(tmp_path, store_kind)]
    answers = [child.communicate(timeout=60) for child in started]
    assert [child.returncode for child in started] == [0, 0], answers
    assert emulator.stats()["creates"] == 1
    results = [json.loads(out) for out, _ in answers]
    assert results[0] == results[1]
    adopted = [err for _, err in answers if "ran elsewhere at the same moment" in err]
    assert len(adopted) == 1, answers
    store = open_test_store(tmp_path / "data")
    assert [run.state for run in store.iterate(RunQuery())] == ["success"]


def test_a_second_analysis_that_gives_up_waiting_says_so_and_sends_nothing(
    open_test_store, store_kind, emulator_factory, tmp_path
):
    emulator = emulator_factory(processing_time=2.5, polling_interval=0.1)
    first_dir, second_dir = data_dirs(tmp_path, store_kind)
    first = analyze_cli(emulator, first_dir)
    deadline = time.monotonic() + 20
    while emulator.stats()["creates"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    second = analyze_cli(emulator, second_dir, "--timeout", "0.3")
    out, err = second.communicate(timeout=30)
    assert second.returncode != 0 and not out
    assert "being analysed with the same settings by another window or process" in err, err
    assert first.wait(timeout=30) == 0
    assert emulator.stats()["creates"] == 1
