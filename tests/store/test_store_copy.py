"""`store copy` moves a machine's history into the shared store: every run with its id, row
and files, a second copy adds nothing, and the checksums of both sides match."""

import json

from skinapi import AnalysisSettings
from skinapi.bench import history_runs
from skinapi.store import SqliteRunStore, open_store

from ..helpers import record_run, run_cli


def test_store_copy_moves_a_history_once_with_matching_checksums(
    database_url, files_url, tmp_path, client, face_bytes
):
    data = tmp_path / "laptop"
    local = SqliteRunStore(data / "runs.sqlite3")
    analysed = record_run(local, client, face_bytes, AnalysisSettings.build(["redness", "pore"]))
    ids = [analysed.id, *local.add_runs(history_runs(11))]
    local.close()
    command = ("store", "copy", "--to", database_url, "--files", files_url)
    first = run_cli(*command, data_dir=data)  # from the SQLite history, whatever the URL says
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["runs"] == report["copied"] == 12 and report["already_there"] == 0
    assert report["files_copied"] > 12 and report["checksums_match"]  # masks too
    assert report["source_checksum"] == report["target_checksum"]
    again = json.loads(run_cli(*command, data_dir=data).stdout)
    assert again["copied"] == 0 and again["already_there"] == 12 and again["checksums_match"]
    shared = open_store(tmp_path / "elsewhere" / "runs.sqlite3")  # another machine
    assert sorted(r.id for r in shared.list()) == sorted(ids)
    run = shared.get(analysed.id)
    assert shared.load_result(run).masks and shared.photo(run.id)
    shared.close()
    listed = run_cli("runs", "--json", data_dir=tmp_path / "elsewhere")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 12
    assert "fake-db-password" not in first.stdout + first.stderr + listed.stdout
