"""Two CLI processes (on one machine's history, or on two machines sharing the team's store)
analyse the same photo with the same settings at the same moment: one task is created, and the
second adopts the first one's result — or, when it gives up waiting, says the photo is being
analysed elsewhere and sends nothing."""

import json
import subprocess
import time

from skinapi.store import RunQuery

from ..helpers import FACE_PATH, ManualClock, run_cli


def analyze_cli(emulator, data_dir, *extra, stderr=subprocess.PIPE):
    return run_cli(
        "analyze", FACE_PATH, "--actions", "redness,pore", "--skip-checks", *extra,
        base_url=emulator.url, data_dir=data_dir,
        popen={"stdout": subprocess.PIPE, "stderr": stderr, "text": True},
    )  # fmt: skip


def wait_until(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def data_dirs(tmp_path, store_kind):
    """SQLite: one machine's data folder for both; PostgreSQL + S3: a folder each."""
    if store_kind == "sqlite":
        return [tmp_path / "data"] * 2
    return [tmp_path / "replica-a", tmp_path / "replica-b"]


def test_the_same_photo_analysed_twice_at_once_creates_one_task_and_both_get_its_result(
    open_test_store, store_kind, emulator_factory, tmp_path
):
    clock = ManualClock()  # the task runs until the clock moves: both overlap, however slow
    emulator = emulator_factory(clock=clock, processing_time=1.0, polling_interval=0.1)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    started = [
        analyze_cli(emulator, data, stderr=log.open("w"))
        for data, log in zip(data_dirs(tmp_path, store_kind), logs, strict=True)
    ]
    waiting = "waiting: the same analysis of this photo is running elsewhere"
    wait_until(lambda: any(waiting in log.read_text() for log in logs))
    wait_until(lambda: emulator.stats()["creates"] > 0)
    clock.advance(5)
    outs = [child.communicate(timeout=60)[0] for child in started]
    errs = [log.read_text() for log in logs]
    assert [child.returncode for child in started] == [0, 0], errs
    assert emulator.stats()["creates"] == 1
    assert json.loads(outs[0]) == json.loads(outs[1])
    adopted = [err for err in errs if "ran elsewhere at the same moment" in err]
    assert len(adopted) == 1 and waiting in adopted[0], errs
    store = open_test_store(tmp_path / "data")
    assert [run.state for run in store.iterate(RunQuery())] == ["success"]


def test_a_second_analysis_that_gives_up_waiting_says_so_and_sends_nothing(
    open_test_store, store_kind, emulator_factory, tmp_path
):
    emulator = emulator_factory(processing_time=30, polling_interval=0.1)
    first_dir, second_dir = data_dirs(tmp_path, store_kind)
    first = analyze_cli(emulator, first_dir)
    try:
        deadline = time.monotonic() + 20
        while emulator.stats()["creates"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        second = analyze_cli(emulator, second_dir, "--timeout", "0.3")
        out, err = second.communicate(timeout=30)
        assert first.poll() is None  # still analysing: it holds the lease throughout
    finally:
        first.kill()  # its task stays in the history, resumable by task_id
        first.communicate()
    assert second.returncode != 0 and not out
    assert "being analysed with the same settings by another window or process" in err, err
    assert emulator.stats()["creates"] == 1


def test_the_same_photo_sent_to_two_urls_at_once_is_two_tasks_and_neither_waits(
    emulator_factory, tmp_path
):
    """A task is known only where it was created: another host's run is not one to adopt."""
    clocks = [ManualClock(), ManualClock()]
    emulators = [
        emulator_factory(clock=c, processing_time=1.0, polling_interval=0.1) for c in clocks
    ]
    started = [analyze_cli(e, tmp_path / "data") for e in emulators]
    wait_until(lambda: all(e.stats()["creates"] == 1 for e in emulators))  # both sent at once
    for clock in clocks:
        clock.advance(5)
    answers = [child.communicate(timeout=60) for child in started]
    assert [child.returncode for child in started] == [0, 0], answers
    assert not any("elsewhere" in err for _, err in answers)
