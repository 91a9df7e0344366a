"""Two app processes on two machines' worth of data folders, sharing one database and one
bucket, start the same batch of the same photos at the same moment: every photo's task is
created once, and each sees every run."""

import json
import subprocess

from skinapi.store import open_store

from ..runs.test_batch import batch_cli, creates, faces, folder_of

PHOTOS = 6


def test_two_replicas_on_one_batch_create_each_photos_task_once_and_both_see_every_run(
    database_url, files_url, emulator_factory, tmp_path
):
    emulator = emulator_factory(processing_time=0.3, polling_interval=0.1)
    folder = folder_of(tmp_path, faces(PHOTOS))
    replicas = [tmp_path / "replica-a", tmp_path / "replica-b"]
    started = [
        batch_cli(
            [folder, "--yes", "--out", data / "out"],
            emulator=emulator,
            data_dir=data,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for data in replicas
    ]
    answers = [child.communicate(timeout=120) for child in started]
    created = 0
    for child, (out, err) in zip(started, answers, strict=True):
        if child.returncode == 0:
            created += json.loads(out)["tasks_created"]
        else:  # the other held the batch's lease in the database
            assert "already running" in err, err
    assert creates(emulator) == PHOTOS == created
    again = batch_cli([folder, "--yes", "--out", tmp_path / "out"], emulator=emulator,
                      data_dir=replicas[1])  # fmt: skip
    assert again.returncode == 0 and json.loads(again.stdout)["tasks_created"] == 0
    seen = []
    for data in replicas:
        store = open_store(data / "runs.sqlite3")
        runs = store.batch_runs("photos")
        assert all(store.run_files.names(run.id) for run in runs)
        seen.append(sorted((run.id, run.state) for run in runs))
        store.close()
    assert seen[0] == seen[1] and len(seen[0]) == PHOTOS
    assert {state for _, state in seen[0]} == {"success"}
    assert creates(emulator) == PHOTOS
    for data in replicas:  # results.csv went to --out; nothing of a run to the data folder
        assert {p.name for p in data.iterdir()} <= {"out"}, list(data.rglob("*"))
