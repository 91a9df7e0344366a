"""The runs' files in S3-compatible storage: objects named only from the allow-list (whatever
else lies in the bucket is never listed, read or deleted), every read capped, and with both the
database and the bucket shared, nothing of a run on the machine that ran it."""

import pytest

from skinapi import AnalysisSettings
from skinapi.demo import DEMO_API_KEY
from skinapi.errors import StoreError
from skinapi.store import files, open_store

from ..helpers import FACE_PATH, record_run, run_cli, test_client

SETTINGS = AnalysisSettings.build(["redness", "pore"])


@pytest.fixture
def shared(database_url, files_url, tmp_path):
    store = open_store(tmp_path / "runs.sqlite3")
    yield store
    store.close()


def put_object(store, key: str, data: bytes) -> None:
    s3 = store.run_files
    s3._s3.put_object(Bucket=s3.bucket, Key=f"{s3.prefix}/{key}", Body=data)


def test_only_allow_listed_objects_are_a_runs_files(shared, emulator, face_bytes):
    run = record_run(shared, test_client(emulator), face_bytes, SETTINGS)
    put_object(shared, f"{run.id}/../escape.txt", b"x")
    put_object(shared, f"{run.id}/masks/evil.exe", b"x")
    put_object(shared, "not-a-run/photo.jpg", b"x")
    names = shared.run_files.names(run.id)
    assert "photo.jpg" in names and any(n.startswith("masks/") for n in names)
    assert all(files.FILE_NAME.fullmatch(name) for name in names)
    with pytest.raises(StoreError, match="never named"):
        shared.run_files.read(run.id, "../escape.txt")
    shared.purge()
    left = {key for key, _ in shared.run_files._listed(shared.run_files.prefix + "/")}
    assert left == {f"{shared.run_files.prefix}/not-a-run/photo.jpg"} | {
        f"{shared.run_files.prefix}/{run.id}/../escape.txt",
        f"{shared.run_files.prefix}/{run.id}/masks/evil.exe",
    }  # what SkinScope never wrote is left alone


def test_every_read_is_capped(shared, emulator, face_bytes, monkeypatch):
    run = record_run(shared, test_client(emulator), face_bytes, SETTINGS)
    monkeypatch.setitem(files.CAPS, files.MASKS, 1000)
    put_object(shared, f"{run.id}/masks/huge.png", b"\x89PNG" + b"0" * 5000)
    with pytest.raises(StoreError, match="over 1000 bytes"):
        shared.run_files.read(run.id, "masks/huge.png")


def test_an_unreachable_bucket_is_a_clear_error_without_the_secret(
    database_url, monkeypatch, tmp_path
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "fake-access")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-Secret-s3-key")
    monkeypatch.setenv("SKINSCOPE_FILES_URL", "s3://team-runs/skinscope")
    with pytest.raises(StoreError) as caught:
        open_store(tmp_path / "runs.sqlite3")
    assert "s3://team-runs/skinscope" in str(caught.value)
    assert "fake-Secret-s3-key" not in f"{caught.value} {caught.value.hint}"


def test_with_both_urls_nothing_of_a_run_is_written_to_the_data_folder(
    database_url, files_url, tmp_path
):
    data = tmp_path / "data"
    done = run_cli(
        "analyze", FACE_PATH, "--demo", "--actions", "redness,pore", key=DEMO_API_KEY,
        data_dir=data,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    store = open_store(data / "runs.sqlite3")
    (run,) = store.list()
    assert run.state == "success" and "photo.jpg" in store.run_files.names(run.id)
    assert not data.exists() or not any(data.rglob("*")), list(data.rglob("*"))
    store.close()
