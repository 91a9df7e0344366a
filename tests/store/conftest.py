"""Every store test runs against each run store: this machine's SQLite history with its files
in the data folder, and the team's PostgreSQL (a schema of the test's own in the session's
server) with its files in S3 (a prefix of the test's own in the session's bucket)."""

import pytest

STORES = ["sqlite", "postgres"]


@pytest.fixture
def open_test_store(request, store_kind, tmp_path, monkeypatch):
    """Opens the run store of the test's kind (`store_kind`) in its data folder, as the app
    and the CLI do (`open_store`); closes what it opened."""
    from skinapi.store import open_store

    if store_kind == "postgres":
        request.getfixturevalue("database_url")
        request.getfixturevalue("files_url")
    else:
        monkeypatch.delenv("SKINSCOPE_DATABASE_URL", raising=False)
        monkeypatch.delenv("SKINSCOPE_FILES_URL", raising=False)
    opened = []

    def open_one(data=None):
        opened.append(open_store((data or tmp_path) / "runs.sqlite3"))
        return opened[-1]

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture(params=STORES)
def store_kind(request) -> str:
    return request.param


@pytest.fixture
def store(open_test_store):
    return open_test_store()


def execute_raw(store, statement: str, params: tuple = ()) -> None:
    """A statement behind the store's back (``?`` placeholders), as damage or another program
    would write it."""
    if hasattr(store, "_pool"):
        with store._pool.connection() as db:
            db.execute(statement.replace("?", "%s"), params)
    else:
        import sqlite3

        with sqlite3.connect(store.path) as db:
            db.execute(statement, params)


def every_file(store) -> dict[str, bytes]:
    """Every file the store's file store holds, runs' or not, by its path or key."""
    files = store.run_files
    if hasattr(files, "root"):
        found = [p for p in files.root.rglob("*") if p.is_file()]
        return {str(p.relative_to(files.root)): p.read_bytes() for p in found}
    start = f"{files.prefix}/"
    return {
        key[len(start) :]: files._s3.get_object(Bucket=files.bucket, Key=key)["Body"].read()
        for key, _ in files._listed(start)
    }


def kept_bytes(store) -> bytes:
    """Everything the store keeps: its database's rows (or file) and its runs' files."""
    files = b"".join(every_file(store).values())
    if not hasattr(store, "_pool"):
        wal = store.path.with_name(store.path.name + "-wal")
        return store.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"") + files
    with store._pool.connection() as db:
        rows = [
            str(row).encode()
            for table in ("runs", "thumbnails", "checked_photos", "meta")
            for row in db.execute(f"SELECT t::text FROM {table} t")
        ]
    return b"".join(rows) + files
