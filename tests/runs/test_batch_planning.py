"""A batch's plan: photos checked in worker processes agree with photos checked in threads,
bytes that passed before are not checked again, and Ctrl-C stops the checks at once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
from PIL import Image

from skinapi import AnalysisSettings
from skinapi.imaging import CHECKS_VERSION
from skinapi.runs.batch import collect_photos, plan_batch
from skinapi.runs.photo_judging import PROCESSES_FROM, _ctrl_c_held_while_workers_start
from skinapi.store import SqliteRunStore
from skinapi.store.ids import photo_hash

from ..helpers import FACE_PATH, jpeg, run_cli, wait_until

SETTINGS = AnalysisSettings.build(["redness", "pore"])


def distinct_faces(count: int) -> list[tuple[str, bytes]]:
    """The same face as `count` different files: bytes after the JPEG's end change its hash,
    and decoders stop at the end marker."""
    face = FACE_PATH.read_bytes()
    return [(f"face-{i:03d}.jpg", face + b"\0" * (i + 1)) for i in range(count)]


def mixed_set() -> list[tuple[str, bytes]]:
    wall = jpeg(Image.new("RGB", (720, 960), (180, 170, 160)))
    tiny = jpeg(Image.open(FACE_PATH).convert("RGB").resize((200, 260)))
    return [*distinct_faces(PROCESSES_FROM), ("wall.jpg", wall), ("tiny.jpg", tiny),
            ("broken.jpg", b"\xff\xd8 not a photo")]  # fmt: skip


def outcome(plan) -> tuple:
    return (
        [(p.file, p.photo_hash, p.warnings) for p in plan.sendable],
        [(b.file, b.reasons) for b in plan.blocked],
    )


def test_processes_and_threads_judge_a_mixed_set_alike():
    photos = collect_photos(mixed_set())
    in_processes = plan_batch(photos, SETTINGS, workers=2)
    in_threads = plan_batch(photos, SETTINGS, workers=1)
    assert outcome(in_processes) == outcome(in_threads)
    assert len(in_processes.sendable) == PROCESSES_FROM
    assert {b.file for b in in_processes.blocked} == {"wall.jpg", "tiny.jpg", "broken.jpg"}


def test_bytes_that_passed_before_are_not_checked_again(tmp_path):
    store = SqliteRunStore(tmp_path / "runs.sqlite3")
    wall = jpeg(Image.new("RGB", (720, 960), (180, 170, 160)))
    photos = collect_photos([("face.jpg", FACE_PATH.read_bytes()), ("wall.jpg", wall)])
    first = plan_batch(photos, SETTINGS, store=store)
    assert [p.file for p in first.sendable] == ["face.jpg"]
    face_hash = first.sendable[0].photo_hash
    assert store.passed_check(face_hash, "sd", CHECKS_VERSION) is not None
    # A pass on record is believed: the wall (which no check would pass) is not looked at.
    store.keep_passed_check(photo_hash(wall), "sd", CHECKS_VERSION, ["kept warning"])
    again = plan_batch(photos, SETTINGS, store=store)
    assert [(p.file, p.warnings) for p in again.sendable] == [
        ("face.jpg", first.sendable[0].warnings),
        ("wall.jpg", ("kept warning",)),
    ]
    store.close()


def test_ctrl_c_while_photos_are_checked_stops_the_plan_and_its_workers(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name, data in distinct_faces(120):
        (folder / name).write_bytes(data)
    cli = run_cli(
        "batch", folder, "--demo", "--preset", "sd-eyes", "--out", tmp_path / "out",
        key=None, data_dir=tmp_path / "data", env={"PYTHONFAULTHANDLER": "1"},
        popen=dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                   start_new_session=True),
    )  # fmt: skip
    wait_until(lambda: _workers_of(cli.pid) >= 2, timeout=30, what="two checking processes")
    os.killpg(cli.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
    interrupted = time.monotonic()
    try:
        stdout, stderr = cli.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(_stuck(cli))
    assert time.monotonic() - interrupted < 5
    assert cli.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted", stderr
    assert "Traceback" not in stderr and "checked 120 photos" not in stderr
    wait_until(lambda: not _group_alive(cli.pid), timeout=5, what="no process of the batch left")


def test_a_ctrl_c_while_a_worker_starts_is_raised_once_the_submit_has_returned():
    """A worker reads how to start from a pipe its caller writes after starting it; a Ctrl-C
    raised in between left it an empty pipe (it printed "EOFError: Ran out of input", once in
    a suite on three workers). The pool's own threads, which do not block SIGINT, take it here
    as they do in a batch."""
    pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"))
    try:
        pool.submit(os.getpid).result(timeout=60)  # the pool's threads are running now
        finished_inside = False
        with pytest.raises(KeyboardInterrupt):
            with _ctrl_c_held_while_workers_start(pool):
                os.kill(os.getpid(), signal.SIGINT)
                for _ in range(50):  # bytecodes run, where Python would raise the Ctrl-C
                    time.sleep(0.01)
                finished_inside = True
        assert finished_inside
    finally:
        pool.shutdown(cancel_futures=True)


def _stuck(cli: subprocess.Popen) -> str:
    """Why a batch did not stop (it hung once, in a suite run on three workers): its group's
    processes, and every thread's stack, which faulthandler prints on SIGABRT."""
    group = subprocess.run(
        ["ps", "-o", "pid,ppid,stat,etime,args", "-g", str(cli.pid)], capture_output=True, text=True
    ).stdout
    if cli.poll() is None:
        os.kill(cli.pid, signal.SIGABRT)
        try:
            cli.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):  # nothing of the group is left
        os.killpg(cli.pid, signal.SIGKILL)
    _, stderr = cli.communicate(timeout=10)
    return f"the batch did not stop within 30 s of Ctrl-C; its group:\n{group}\n{stderr[-6000:]}"


def _workers_of(pid: int) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        count += parent == pid and b"spawn_main" in cmdline
    return count


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
