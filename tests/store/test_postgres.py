"""What only the shared store has: a database that may be unreachable or refuse the password
(one clear line naming host and database, never the password), a schema made and versioned by
an owner without superuser rights, replicas opening a new store at the same moment."""

import subprocess
import sys

import pytest

from skinapi.errors import StoreError
from skinapi.store import open_store
from skinapi.store.postgres import SCHEMA_VERSION

from ..helpers import free_port, run_cli
from ..shared_store import OWNER, OWNER_PASSWORD

SECRET = "fake-Secret-pw-91c2"


def refused(url: str, monkeypatch, tmp_path) -> StoreError:
    monkeypatch.setenv("SKINSCOPE_DATABASE_URL", url)
    with pytest.raises(StoreError) as caught:
        open_store(tmp_path / "runs.sqlite3")
    return caught.value


def test_an_unreachable_database_is_one_line_naming_host_and_database_never_the_password(
    monkeypatch, tmp_path
):
    url = f"postgresql://team:{SECRET}@127.0.0.1:{free_port()}/skinscope_team"
    error = refused(url, monkeypatch, tmp_path)
    text = f"{error} {error.hint}"
    assert "cannot be reached" in text and "127.0.0.1" in text and "skinscope_team" in text
    assert SECRET not in text and "\n" not in str(error)
    listed = run_cli("runs", env={"SKINSCOPE_DATABASE_URL": url}, data_dir=tmp_path)
    assert listed.returncode != 0 and "Traceback" not in listed.stderr
    assert "skinscope_team" in listed.stderr and SECRET not in listed.stderr + listed.stdout
    assert len(listed.stderr.strip().splitlines()) <= 2  # the error and its hint


def test_a_refused_password_is_named_without_the_password(postgres_server, monkeypatch, tmp_path):
    url = postgres_server.url().replace(OWNER_PASSWORD, SECRET)
    error = refused(url, monkeypatch, tmp_path)
    assert "password authentication failed" in str(error) and SECRET not in str(error)
    assert OWNER_PASSWORD not in str(error)


def test_an_address_that_is_not_postgresql_is_refused_plainly(monkeypatch, tmp_path):
    error = refused(f"mysql://team:{SECRET}@db/runs", monkeypatch, tmp_path)
    assert "postgresql://" in str(error) and SECRET not in str(error)


def test_the_schema_is_made_by_an_owner_without_superuser_rights_and_versioned(
    database_url, postgres_server, tmp_path
):
    store = open_store(tmp_path / "runs.sqlite3")
    with store._pool.connection() as db:
        assert db.execute("SELECT current_user").fetchone() == (OWNER,)
        assert not db.execute(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()[0]
        (version,) = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        timeout = db.execute("SHOW statement_timeout").fetchone()[0]
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    store.close()
    assert version == str(SCHEMA_VERSION) and timeout == "30s"
    with pytest.raises(StoreError, match="schema version 99"):
        open_store(tmp_path / "runs.sqlite3")


def test_replicas_opening_a_new_shared_store_at_once_all_succeed(database_url, tmp_path):
    """Each creates or finds the schema under one advisory lock: none fails half-way."""
    opening = "import sys; from skinapi.store import open_store; open_store(sys.argv[1]).list()"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", opening, str(tmp_path / f"r{n}" / "runs.sqlite3")],
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(6)
    ]
    errors = [child.communicate(timeout=60)[1] for child in children]
    assert [child.returncode for child in children] == [0] * 6, errors
