"""One run lifecycle: a single run and a batch that meet the same answers leave the same
record, field for field (the transitions and the recorder are one, not two copies)."""

from __future__ import annotations

import re

import pytest

from skinapi import AnalysisSettings
from skinapi.runs.batch import RateLimits, collect_photos, plan_batch, run_batch
from skinapi.runs.lifecycle import Run, run_analysis
from skinapi.store import SqliteRunStore

from ..helpers import FACE_PATH, test_client

SETTINGS = AnalysisSettings.build(["redness", "pore"])
LIFECYCLE_FIELDS = (
    "state", "backend", "base_url", "api_version", "settings", "actions", "units", "error_code",
    "error_message", "photo_hash",
)  # fmt: skip


def _row(run, emulator) -> dict:
    row = {name: getattr(run, name) for name in LIFECYCLE_FIELDS}
    row["base_url"] = "the emulator's" if run.base_url == emulator.url else run.base_url
    if run.error_message:  # each task and answer has its own ids
        message = run.error_message.replace(run.task_id or "-", "<task_id>")
        row["error_message"] = re.sub(r"request id \d+", "request id <n>", message)
    row["task_id?"] = bool(run.task_id)
    row["result"] = run.result.to_dict() | {"task_id": None} if run.result else None
    row["masks"] = sorted(run.mask_files)
    return row


def _single(emulator, store, photo: bytes):
    run = Run(
        key="single",
        photo=photo,
        file="face.jpg",
        source="upload",
        settings=SETTINGS,
        backend="live",
    )
    run_analysis(run, test_client(emulator), store, timeout=30)
    return store.get(run.id)


def _batched(emulator, store, photo: bytes):
    plan = plan_batch(collect_photos([("face.jpg", photo)]), SETTINGS)
    assert plan.sendable, plan.blocked
    run_batch(plan, test_client(emulator), store, batch="b", rate=RateLimits.parse("100/1"),
              timeout=30)  # fmt: skip
    [stored] = store.batch_runs("b")
    return stored


@pytest.mark.parametrize(
    "faults",
    [{}, {"fault_engine_error": "error_src_face_too_small"}, {"fault_task_timeout": True}],
    ids=["success", "engine error", "task timeout"],
)
def test_a_single_run_and_a_batch_record_the_same_answers_alike(emulator_factory, tmp_path, faults):
    photo = plan_batch(collect_photos([("f.jpg", FACE_PATH.read_bytes())]), SETTINGS).sendable[0]
    data = photo.read()  # the batch sends the checked photo's bytes; the single run the same
    rows = []
    for how in (_single, _batched):
        emulator = emulator_factory(**faults)
        store = SqliteRunStore(tmp_path / how.__name__ / "runs.sqlite3")
        rows.append(_row(how(emulator, store, data), emulator))
    single, batched = rows
    assert single == batched
    # …and it is the record each answer calls for, not two copies of the same mistake.
    assert single["state"] == ("success" if not faults else "error")
    assert single["backend"] == "emulator" and single["base_url"] == "the emulator's"
    assert single["task_id?"] and (single["units"] > 0) == (not faults)
    assert (single["error_code"] is None) == (not faults)
