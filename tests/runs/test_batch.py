"""Batch analysis (skinapi.runs.batch, `python -m skinapi batch`): the request budget on an injected
clock, then real HTTP over loopback against the emulator — resumes that never create a task
twice, blocked photos never sent, --max-units, 429 storms, the long window's reserve for tasks in
flight, the summary and results.csv against the store, exit codes, and hostile input."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import struct
import subprocess
import threading
import warnings
import zipfile
from pathlib import Path

import pytest

from skinapi import AnalysisSettings, RetryPolicy, StoreError
from skinapi.presentation.exports import batch_results_csv
from skinapi.runs.batch import (
    BatchInputError,
    RateLimits,
    collect_photos,
    plan_batch,
    read_meta,
    run_batch,
    standing_of,
)
from skinapi.runs.budget import RETURN_MARGIN, RequestBudget
from skinapi.store import RunStore, SqliteRunStore
from skinapi.store.states import UNCONFIRMED_MESSAGE

from ..helpers import (
    FAKE_KEY,
    ManualClock,
    face_image,
    jpeg,
    run_cli,
    test_client,
    wait_until,
)

SETTINGS = AnalysisSettings.build(["redness", "pore"])
QUICK = RateLimits.parse("100/1")
"""A budget that never holds a test back (the emulator's own limits are off unless asked)."""


def faces(count: int, start: int = 0) -> list[tuple[str, bytes]]:
    """Distinct photos of the test face: a row of black or white 8×8 blocks spells a number."""
    base = face_image()
    photos = []
    for index in range(start, start + count):
        image = base.copy()
        for bit in range(10):
            shade = 255 if index >> bit & 1 else 0
            image.paste((shade, shade, shade), (bit * 8, 0, bit * 8 + 8, 8))
        photos.append((f"face-{index:03d}.jpg", jpeg(image)))
    return photos


@pytest.fixture
def store(tmp_path) -> RunStore:
    return SqliteRunStore(tmp_path / "data" / "runs.sqlite3")


def creates(emulator) -> int:
    return emulator.stats()["creates"]


# -- the request budget, on an injected clock ------------------------------------------------


def test_each_window_gives_a_token_back_one_window_after_the_answer():
    clock = ManualClock()
    budget = RequestBudget(RateLimits.parse("2/1,3/10"), clock=clock)
    first, second = budget.try_take(), budget.try_take()
    assert first and second and budget.try_take() is None  # 2 per second
    for ticket in (first, second):
        budget.sending(ticket)
    clock.advance(0.1)
    budget.give_back(first)
    budget.give_back(second)
    assert budget.try_take() is None and budget.wait() == pytest.approx(1 + RETURN_MARGIN)
    clock.advance(1 + RETURN_MARGIN)
    third = budget.try_take()
    assert third is not None and budget.try_take() is None  # 3 per 10 s: one left, now held
    budget.give_back(third, sent=False)  # never sent: back at once
    assert budget.headroom(RateLimits.parse("3/10").windows[0]) == 1
    assert budget.requests == 2 and budget.left_in_window() == 1


def test_a_slow_answer_holds_its_token_from_the_send_and_a_retry_until_its_answer():
    clock = ManualClock()
    budget = RequestBudget(RateLimits.parse("1/1"), clock=clock)
    ticket = budget.try_take()
    budget.sending(ticket)
    clock.advance(5)  # the API worked 5 s on it: the request had reached it long before
    budget.give_back(ticket)
    retry = budget.try_take()  # back 0.5 s (arrival) + 1 s (window) after the send
    assert retry is not None
    clock.advance(5)  # a retry goes out after a pause of its own: only its answer is sure
    budget.give_back(retry)
    assert budget.wait() == pytest.approx(1 + RETURN_MARGIN)


def test_429s_in_a_row_pause_the_budget_longer_each_time_and_an_answer_ends_the_series():
    clock = ManualClock()
    budget = RequestBudget(RateLimits.parse("5/1"), clock=clock, sleep=clock.advance)
    budget.answered(rate_limited=True)
    assert budget.try_take() is None and budget.wait() == pytest.approx(1)
    clock.advance(1)
    budget.answered(rate_limited=True)
    assert budget.wait() == pytest.approx(2)
    assert budget.take() is not None and clock.now == pytest.approx(1003)  # slept on our clock
    budget.answered(rate_limited=False)
    budget.answered(rate_limited=True)
    assert budget.wait() == pytest.approx(1) and budget.rate_limited == 3


def test_rate_limits_parse_and_the_bound_of_a_batch():
    limits = RateLimits.parse(" 250/300 , 5/1")
    assert str(limits) == "5/1,250/300" and limits.shortest.requests == 5
    assert limits.bound(120) == pytest.approx(24.0)  # requests ÷ 5 per second
    assert RateLimits.parse("5/1,250/60").bound(800) == pytest.approx(190.0)  # the window's
    for bad in ("", "5", "5/0", "0/1", "x/1", "5/inf", "5/1,"):
        with pytest.raises(ValueError):
            RateLimits.parse(bad)


# -- running a batch against the emulator ----------------------------------------------------


def test_summary_and_results_csv_hold_the_stored_numbers(emulator, store):
    meta = read_meta(b"file,group,device\nface-000.jpg,A,=cmd()\nface-001.jpg,B,phone\n")
    plan = plan_batch(collect_photos(faces(3)), SETTINGS, meta)
    summary = run_batch(plan, test_client(emulator), store, batch="set", rate=QUICK)
    runs = {r.file: r for r in store.batch_runs("set")}
    assert summary.exit_code == 0 and summary.succeeded == 3 == len(runs)
    assert all(r.state == "success" and r.source == "batch" for r in runs.values())
    assert summary.units == sum(r.units for r in runs.values()) == 3 * SETTINGS.units
    assert summary.tasks_created == 3 == creates(emulator)
    assert summary.requests == emulator.api_requests()
    assert runs["face-001.jpg"].meta == {"group": "B", "device": "phone"}
    rows = list(
        csv.DictReader(
            io.StringIO(batch_results_csv(plan, store, batch="set", backend="emulator").decode())
        )
    )
    assert len(rows) == sum(len(r.result.scores) for r in runs.values())
    for row in rows:
        stored = runs[row["file"]].result.score(row["concern"], row["region"])
        assert float(row["raw_score"]) == pytest.approx(stored.raw_score, abs=0.005)
        assert (
            int(row["ui_score"]) == stored.ui_score and row["task_id"] == runs[row["file"]].task_id
        )
    assert {r["device"] for r in rows} == {"'=cmd()", "phone", ""}  # no formula reaches a sheet
    assert FAKE_KEY not in json.dumps(summary.to_dict()) + store.path.read_bytes().decode("latin-1")


def test_blocked_photos_are_never_sent_and_the_same_photo_twice_is_sent_once(emulator, store):
    small = jpeg(face_image().resize((300, 400)))
    photos = [*faces(2), ("small.jpg", small), ("copy.jpg", faces(1)[0][1]), ("notes.txt", b"x")]
    plan = plan_batch(collect_photos(photos), SETTINGS)
    assert [p.file for p in plan.sendable] == ["face-000.jpg", "face-001.jpg"]
    assert {b.file: b.reasons[0][:20] for b in plan.blocked} == {
        "small.jpg": "The short side is 30",
        "copy.jpg": "the same photo as fa",
    }
    assert plan.skipped == ["notes.txt"] and plan.units == 2 * SETTINGS.units
    summary = run_batch(plan, test_client(emulator), store, batch="b", rate=QUICK)
    reserves = [p for m, p in emulator.request_log if m == "POST" and "/file" in p]
    assert summary.succeeded == 2 and len(reserves) == 2 == creates(emulator)
    assert summary.to_dict()["blocked"][0] == {
        "file": "small.jpg",
        "reasons": [plan.blocked[0].reasons[0]],
    }


def test_a_stopped_batch_resumes_and_every_photo_ends_with_exactly_one_task(
    emulator_factory, store
):
    emulator = emulator_factory(processing_time=0.4, polling_interval=0.2)
    plan = plan_batch(collect_photos(faces(8)), SETTINGS)
    stop = threading.Event()
    seen = []

    def stop_after_the_first(progress):
        seen.append(progress)
        if progress.done >= 1:
            stop.set()

    client = test_client(emulator)
    first = run_batch(plan, client, store, batch="s", rate=RateLimits.parse("4/1"),
                      on_progress=stop_after_the_first, stop=stop)  # fmt: skip
    assert first.exit_code == 5 and 1 <= first.succeeded < 8
    last = seen[-1]  # what the progress bar ends on: the unsent are not counted as failed
    assert last.failed == 0 and last.done + last.not_sent == 8 and last.not_sent >= 1
    assert all(f["task_id"] is None for f in first.to_dict()["failed"])  # nothing half-made
    assert {r.state for r in store.batch_runs("s")} <= {"success", "unsent"}
    second = run_batch(plan, client, store, batch="s", rate=QUICK)
    assert second.exit_code == 0 and second.succeeded == 8
    assert second.already_done == first.succeeded and second.tasks_created == 8 - first.succeeded
    assert creates(emulator) == 8 == len({r.task_id for r in store.batch_runs("s") if r.task_id})
    third = run_batch(plan, client, store, batch="s", rate=QUICK)
    assert third.tasks_created == 0 and third.requests == 0 and creates(emulator) == 8


def test_a_task_left_in_flight_is_polled_again_and_an_unconfirmed_create_never_sent_again(
    emulator, store
):
    client = test_client(emulator)
    plan = plan_batch(collect_photos(faces(3)), SETTINGS)
    flying, lost, fresh = plan.sendable
    ids = {}
    for photo in (flying, lost):
        data = photo.read()
        ids[photo.file] = store.begin(
            photo=data, settings=SETTINGS, backend="emulator", source="batch",
            photo_hash=photo.photo_hash, batch="r", file=photo.file, base_url=client.base_url,
        )  # fmt: skip
    task = client.create_task(SETTINGS, src_file_id=client.upload_photo(flying.read()))
    store.update(ids[flying.file], state="running", task_id=task.task_id)
    store.update(ids[lost.file], state="sending")  # killed while its create was on the wire
    standing = standing_of(plan, store, batch="r", backend="emulator")
    assert standing.units == 2 * SETTINGS.units  # the one in flight, and the fresh one
    summary = run_batch(plan, client, store, batch="r", rate=QUICK)
    assert summary.resumed == 1 and summary.tasks_created == 1 and creates(emulator) == 2
    assert store.get(ids[flying.file]).state == "success"
    assert store.get(ids[lost.file]).state == "unconfirmed"
    [failure] = summary.to_dict()["failed"]
    assert failure["file"] == lost.file and failure["error"].startswith(UNCONFIRMED_MESSAGE)
    assert summary.exit_code == 5 and summary.succeeded == 2


def test_a_429_storm_still_ends_with_every_photo_done_once(emulator_factory, store):
    """With the transport's default number of attempts (quick pauses, for the test's sake).
    With 3, a photo's create once met nine 429s in a row in a loaded CI run: four photos'
    requests share the seeded storm in whatever order their threads send them."""
    emulator = emulator_factory(fault_429_rate=0.4, seed=7)
    client = test_client(emulator, retry=RetryPolicy(base_delay=0.01, max_delay=0.05))
    plan = plan_batch(collect_photos(faces(4)), SETTINGS)
    summary = run_batch(plan, client, store, batch="storm", rate=RateLimits.parse("20/0.05"))
    assert summary.exit_code == 0, summary.to_dict()["failed"]
    assert summary.succeeded == 4 and creates(emulator) == 4
    assert summary.rate_limited == emulator.stats()["rate_limited"] > 0
    assert summary.requests == emulator.api_requests()


def test_the_long_window_keeps_requests_for_the_tasks_in_flight(emulator_factory, store):
    """12 requests per 4 s, and tasks that expire after 2 s unpolled: spent greedily (5
    uploads, 5 creates, 2 polls) the window would leave 3 tasks unpolled for 3 s."""
    emulator = emulator_factory(
        rate_limit=True, rate_per_window=12, rate_window=4.0, task_expiry=2.0,
        processing_time=0.3, polling_interval=0.2,
    )  # fmt: skip
    plan = plan_batch(collect_photos(faces(5)), SETTINGS)
    client = test_client(emulator)
    summary = run_batch(plan, client, store, batch="w", rate=RateLimits.parse("5/1,12/4"))
    assert emulator.stats()["expired"] == 0 and summary.succeeded == 5, summary.to_dict()
    assert summary.rate_limited == emulator.stats()["rate_limited"]
    assert creates(emulator) == 5


@pytest.mark.parametrize(
    "config, code",
    [
        ({"fault_engine_error": "error_no_face"}, 4),
        ({"fault_task_timeout": True}, 5),
        ({"starting_units": 5}, 3),  # out of units: refused, and no other photo is sent
    ],
)
def test_exit_codes_say_what_went_wrong(emulator_factory, store, config, code):
    emulator = emulator_factory(**config)
    plan = plan_batch(collect_photos(faces(3)), SETTINGS)
    client = test_client(emulator)
    summary = run_batch(plan, client, store, batch="x", rate=QUICK)
    assert summary.exit_code == code, summary.to_dict()
    assert summary.succeeded == 0 and len(summary.failed) == 3
    if code == 3:  # refused, or (once a refusal is in) not sent at all
        assert creates(emulator) == 0 and {f.exit_code for f in summary.failed} == {3}
        assert all("units" in f.error for f in summary.failed)


# -- the command line ------------------------------------------------------------------------


def batch_cli(args, *, emulator, data_dir, key=FAKE_KEY, **popen):
    return run_cli(
        "batch", *args, "--base-url", emulator.url, "--actions", "redness,pore", key=key,
        data_dir=data_dir, popen=popen or None,
    )  # fmt: skip


def folder_of(tmp_path: Path, photos) -> Path:
    folder = tmp_path / "photos"
    for name, data in photos:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def test_cli_batch_prints_one_summary_writes_results_csv_and_resumes(emulator, tmp_path):
    folder = folder_of(tmp_path, [*faces(2), ("sub/face-9.jpg", faces(1, 9)[0][1])])
    (tmp_path / "meta.csv").write_text("file,group\nsub/face-9.jpg,B\n", encoding="utf-16")
    args = [folder, "--meta", tmp_path / "meta.csv", "--out", tmp_path / "out", "--yes"]
    done = batch_cli(args, emulator=emulator, data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["batch"] == "photos" and summary["succeeded"] == 3 and creates(emulator) == 3
    rows = list(csv.DictReader((tmp_path / "out" / "results.csv").open()))
    assert {r["file"] for r in rows} == {"face-000.jpg", "face-001.jpg", "sub/face-9.jpg"}
    assert {r["group"] for r in rows if r["file"] == "sub/face-9.jpg"} == {"B"}
    assert "plan: 3 photos" in done.stderr and "done: 3 of 3" in done.stderr.splitlines()[-1]
    again = batch_cli(args, emulator=emulator, data_dir=tmp_path / "data")
    assert again.returncode == 0 and json.loads(again.stdout)["tasks_created"] == 0
    assert creates(emulator) == 3


def test_cli_batch_killed_half_way_resumes_with_one_task_per_photo(emulator_factory, tmp_path):
    emulator = emulator_factory(processing_time=1.0, polling_interval=0.2, latency=0.05)
    folder = folder_of(tmp_path, faces(8))
    data = tmp_path / "data"
    child = batch_cli([folder, "--yes", "--out", tmp_path], emulator=emulator, data_dir=data,
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_until(
            lambda: (data / "runs.sqlite3").exists()
            and sum(1 for r in SqliteRunStore(data / "runs.sqlite3").batch_runs("photos") if r.task_id) >= 3,
            timeout=60, what="three tasks created",
        )  # fmt: skip
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    killed_at = creates(emulator)
    assert killed_at < 8
    done = batch_cli([folder, "--yes", "--out", tmp_path], emulator=emulator, data_dir=data)
    summary = json.loads(done.stdout)
    runs = SqliteRunStore(data / "runs.sqlite3").batch_runs("photos")
    unconfirmed = [r for r in runs if r.state == "unconfirmed"]
    assert summary["succeeded"] + len(unconfirmed) == 8
    assert done.returncode == (5 if unconfirmed else 0), done.stderr
    with_task = {r.photo_hash for r in runs if r.task_id}
    assert len(with_task) == len([r for r in runs if r.task_id])  # never two tasks for a photo
    assert len(with_task) <= creates(emulator) <= 8  # an unconfirmed create may have landed


def test_cli_max_units_refuses_before_any_request(emulator, tmp_path):
    folder = folder_of(tmp_path, faces(2))
    done = batch_cli([folder, "--max-units", "10", "--yes"], emulator=emulator, data_dir=tmp_path)
    assert done.returncode == 2 and "more than --max-units 10" in done.stderr
    assert emulator.request_log == [] and done.stdout == ""


def test_cli_without_yes_and_no_terminal_refuses_and_says_to_pass_yes(emulator, tmp_path):
    done = batch_cli([folder_of(tmp_path, faces(1))], emulator=emulator, data_dir=tmp_path)
    assert done.returncode == 2 and "--yes" in done.stderr and emulator.request_log == []


def test_cli_refused_key_exits_3_without_the_key_and_nothing_sendable_exits_2(emulator, tmp_path):
    folder = folder_of(tmp_path, faces(2))
    refused = batch_cli([folder, "--yes", "--out", tmp_path], emulator=emulator,
                        data_dir=tmp_path / "d", key="sk-wrong-secret-12345678")  # fmt: skip
    assert refused.returncode == 3 and "sk-wrong-secret" not in refused.stderr + refused.stdout
    assert creates(emulator) == 0 and len(json.loads(refused.stdout)["failed"]) == 2
    blocked = folder_of(tmp_path / "b", [("small.jpg", jpeg(face_image().resize((300, 400))))])
    nothing = batch_cli([blocked, "--yes"], emulator=emulator, data_dir=tmp_path / "d")
    assert (
        nothing.returncode == 2 and json.loads(nothing.stdout)["blocked"][0]["file"] == "small.jpg"
    )
    assert "can be sent" in nothing.stderr.splitlines()[-1]


# -- hostile input ---------------------------------------------------------------------------


def zip_bytes(entries: list[tuple[str, bytes]], compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP holding exactly these names, duplicates and all."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", compression) as archive:
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": that is the point
        for name, data, *stored in entries:
            kind = zipfile.ZIP_STORED if stored else compression
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=kind)
    return buffer.getvalue()


def central_entry(data: bytes, name: str) -> int:
    """Where `name`'s central directory header starts."""
    at = data.index(b"PK\x01\x02")
    while (
        data[at + 46 : at + 46 + struct.unpack("<H", data[at + 28 : at + 30])[0]] != name.encode()
    ):
        at = data.index(b"PK\x01\x02", at + 4)
    return at


def test_a_hostile_zip_yields_blocked_entries_never_a_crash_or_a_file(tmp_path, emulator, store):
    face = faces(1)[0][1]
    archive = zip_bytes([
        ("../../evil.jpg", face), ("/etc/abs.jpg", face), ("C:\\win.jpg", face),
        ("ok/face.jpg", face), ("ok/face.jpg", faces(1, 5)[0][1]), ("bomb.jpg", bytes(11 << 20)),
        ("big.jpg", face + bytes(10 << 20), "stored"),
        ("packed.jpg", bytes(300_000)), ("text.jpg", b"not an image"), ("readme.txt", b"hi"),
        ("__MACOSX/._face.jpg", b"fork"), ("locked.jpg", face), ("animation.gif", b"GIF89a"),
    ])  # fmt: skip
    locked = bytearray(archive)
    locked[central_entry(archive, "locked.jpg") + 8] |= 0x1  # the "encrypted" flag
    photos = collect_photos(bytes(locked))
    plan = plan_batch(photos, SETTINGS)
    assert [p.file for p in plan.sendable] == ["ok/face.jpg"] and plan.skipped == ["readme.txt"]
    reasons = {b.file: " ".join(b.reasons) for b in plan.blocked}
    for unsafe in ("../../evil.jpg", "/etc/abs.jpg", "C:/win.jpg"):
        assert "unsafe name" in reasons[unsafe]
    assert "has this name" in reasons["ok/face.jpg"]
    assert "not a photo" in reasons["bomb.jpg"] and "not a photo" in reasons["packed.jpg"]
    assert "under 10 MB" in reasons["big.jpg"]
    assert "Cannot read this photo" in reasons["text.jpg"] and "encrypted" in reasons["locked.jpg"]
    assert "GIF" in reasons["animation.gif"] or "JPG" in reasons["animation.gif"]
    summary = run_batch(plan, test_client(emulator), store, batch="z", rate=QUICK)
    assert summary.succeeded == 1 and creates(emulator) == 1
    assert not (tmp_path.parent / "evil.jpg").exists() and not Path("/etc/abs.jpg").exists()


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "not a readable ZIP"),
        (b"PK\x03\x04 truncated", "not a readable ZIP"),
    ],
)
def test_an_unreadable_zip_is_one_clear_error(data, words):
    with pytest.raises(BatchInputError, match=words):
        collect_photos(data)


@pytest.mark.parametrize(
    "data, words",
    [
        (b"name,group\na.jpg,A\n", "no 'file' column"),
        (b"file,group\na.jpg,A\na.jpg,B\n", "names 'a.jpg' twice"),
        (b"file,group,group\na.jpg,A,B\n", "column 'group' twice"),
        (b"file,group\na.jpg,A,B\n", "more cells than columns"),
        (b"file,\x00group\n", "NUL"),
        (b"", "empty"),
        (b"file,group\n" + b"x" * (10 << 20), "over 10 MB"),
        (b'file,group\n"a.jpg,A\n', "cannot be read as CSV"),
    ],
)
def test_a_bad_meta_csv_is_one_clear_error(data, words):
    with pytest.raises(BatchInputError, match=words):
        read_meta(data)


def test_meta_csv_in_any_common_encoding_and_separator():
    text = "File;Gruppe;Gerät\nsub\\a.jpg;Ä;=1+1\n"
    for data in (text.encode("utf-8-sig"), text.encode("utf-16"), text.encode("cp1252")):
        meta = read_meta(data)
        assert meta.columns == ("Gruppe", "Gerät")
        assert meta.rows == {"sub/a.jpg": {"Gruppe": "Ä", "Gerät": "=1+1"}}


def test_cli_hostile_inputs_end_in_one_line_with_exit_2(emulator, tmp_path):
    not_zip = tmp_path / "photos.zip"
    not_zip.write_bytes(b"just text")
    bad_meta = tmp_path / "meta.csv"
    bad_meta.write_bytes(b"name\nx\n")
    folder = folder_of(tmp_path, faces(1))
    for args, words in [
        ([not_zip, "--yes"], "neither a folder nor a ZIP"),
        ([tmp_path / "missing", "--yes"], "missing does not exist"),
        ([folder, "--meta", bad_meta, "--yes"], "no 'file' column"),
        ([folder, "--rate", "5/0", "--yes"], "'5/0' allows no request"),
        ([folder, "--rate", "0/1", "--yes"], "'0/1' allows no request"),
        ([folder, "--rate", "five", "--yes"], "is not REQUESTS/SECONDS"),
        ([folder, "--out", not_zip, "--yes"], "is a file, not a folder"),
        ([folder, "--meta", tmp_path / "nope.csv", "--yes"], "Cannot read the meta CSV"),
    ]:
        done = batch_cli(args, emulator=emulator, data_dir=tmp_path / "d")
        assert done.returncode == 2 and words in done.stderr, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert emulator.request_log == []


# -- a batch beside other writers of the same history ------------------------------------------


def test_the_same_batch_started_twice_at_once_is_refused_and_creates_once(emulator_factory, store):
    emulator = emulator_factory(processing_time=0.6, polling_interval=0.2)
    client = test_client(emulator)
    plan = plan_batch(collect_photos(faces(4)), SETTINGS)
    results = {}
    first = threading.Thread(
        target=lambda: results.setdefault("first", run_batch(plan, client, store, batch="b",
                                                             rate=QUICK)),
    )  # fmt: skip
    first.start()
    wait_until(lambda: creates(emulator) >= 1, timeout=30, what="the first batch's creates")
    with pytest.raises(BatchInputError, match="already running"):
        run_batch(
            plan, client, SqliteRunStore(store.path), batch="b", rate=QUICK
        )  # a second writer
    first.join(timeout=60)
    assert results["first"].succeeded == 4 and creates(emulator) == 4


def test_a_batch_name_holds_one_set_of_settings(emulator, store):
    client = test_client(emulator)
    plan = plan_batch(collect_photos(faces(2)), SETTINGS)
    run_batch(plan, client, store, batch="v21", rate=QUICK)
    other = plan_batch(collect_photos(faces(2)), AnalysisSettings.build(["redness", "pore"],
                                                                         api_version="v2.0"))  # fmt: skip
    with pytest.raises(BatchInputError, match="other settings") as refused:
        run_batch(other, client, store, batch="v21", rate=QUICK)
    assert "api_version 'v2.1', not 'v2.0'" in str(refused.value)  # what differs, named
    fewer = plan_batch(collect_photos(faces(2)), AnalysisSettings.build(["redness"]))
    with pytest.raises(BatchInputError, match=r"its 2 concerns, not these 1 \(without pore\)"):
        run_batch(fewer, client, store, batch="v21", rate=QUICK)
    assert creates(emulator) == 2
    assert run_batch(other, client, store, batch="v20", rate=QUICK).succeeded == 2


def test_a_run_with_damaged_meta_is_still_found_and_not_paid_for_again(emulator, store):
    client = test_client(emulator)
    plan = plan_batch(collect_photos(faces(2)), SETTINGS)
    run_batch(plan, client, store, batch="m", rate=QUICK)
    damaged = store.batch_runs("m")[0]
    store._db.execute("UPDATE runs SET meta = 'not json' WHERE id = ?", (damaged.id,))
    assert [r.id for r in store.batch_runs("m")].count(damaged.id) == 1
    again = run_batch(plan, client, store, batch="m", rate=QUICK)
    assert again.tasks_created == 0 and creates(emulator) == 2


def test_a_run_deleted_while_its_batch_runs_is_reported_not_silently_lost(emulator, store):
    run_id = store.begin(photo=b"x", settings=SETTINGS, backend="emulator", source="batch",
                         photo_hash="h", batch="d")  # fmt: skip
    store.delete(run_id)
    with pytest.raises(StoreError, match="no longer in the run store"):
        store.update(run_id, task_id="task_1")


def test_a_long_window_smaller_than_one_photo_still_lets_the_batch_finish(emulator, store):
    """`--rate 100/0.5,4/2`: each photo needs about six requests, more than the long window
    holds; the batch goes one photo at a time instead of waiting for ever."""
    plan = plan_batch(collect_photos(faces(2)), SETTINGS)
    stop, ended = threading.Event(), []
    rate = RateLimits.parse("100/0.5,4/2")
    batch = threading.Thread(target=lambda: ended.append(run_batch(
        plan, test_client(emulator), store, batch="tight", rate=rate, stop=stop,
    )))  # fmt: skip
    batch.start()
    batch.join(30)
    stop.set()  # a batch that hangs is stopped, and the test fails below
    batch.join(30)
    [summary] = ended
    assert summary.exit_code == 0 and summary.succeeded == 2, summary.to_dict()["failed"]


def test_a_folder_s_pipes_and_sockets_are_listed_as_blocked_never_read(tmp_path):
    """A FIFO named *.jpg hung the batch (a read waits for a writer for ever)."""
    import socket as sockets

    folder = folder_of(tmp_path, faces(1))
    os.mkfifo(folder / "pipe.jpg")
    listener = sockets.socket(sockets.AF_UNIX)
    listener.bind(str(folder / "socket.png"))
    try:
        by_file = {p.file: p for p in collect_photos(folder)}
        assert "named pipe" in by_file["pipe.jpg"].problem
        assert "socket" in by_file["socket.png"].problem
        plan = plan_batch(list(by_file.values()), SETTINGS)
        assert [p.file for p in plan.sendable] == ["face-000.jpg"]
        assert {b.file for b in plan.blocked} == {"pipe.jpg", "socket.png"}
    finally:
        listener.close()
