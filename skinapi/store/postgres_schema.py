"""The shared run store's PostgreSQL schema, and the upgrades that bring an older one to it.

The same tables as the SQLite history (`sqlite_schema`), in PostgreSQL's types: a run's JSON
stays text, decoded by the same code whichever store read it (`sqlite_rows.stored`). Everything
here is created by the database's owner, who needs no superuser rights: tables and indexes in
the schema the connection's search path names (``public`` by default; ``?options=-csearch_path=…``
in the URL puts a team's runs in a schema of their own).

Replicas and CLI processes may open a new or old store at the same moment: creating and
upgrading happen in one transaction that first takes a transaction-level advisory lock, so one
does the work and the others find it done. A new table (an audit trail, spend reservations) is
an entry in `UPGRADES` and one more `VERSION`.
"""

from __future__ import annotations

from ..errors import StoreError
from .base import schema_version_of

VERSION = 2
"""What `CREATE` makes; `UPGRADES` takes an older store to it."""
MIGRATION_LOCK = 0x534B494E53434F50  # "SKINSCOP": one key, whatever the schema
"""Held (for one transaction) by whoever creates or upgrades the schema."""

TEAM = (
    """CREATE TABLE IF NOT EXISTS audit (
        seq BIGSERIAL PRIMARY KEY, at DOUBLE PRECISION NOT NULL, person TEXT NOT NULL,
        action TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '{}'
    )""",
    """CREATE TABLE IF NOT EXISTS spend (
        id TEXT PRIMARY KEY, day TEXT NOT NULL, person TEXT NOT NULL, units INTEGER NOT NULL,
        at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS audit_at ON audit (at)",
    "CREATE INDEX IF NOT EXISTS spend_day ON spend (day, person)",
    "CREATE INDEX IF NOT EXISTS runs_person ON runs (person, created)",
    # Append-only, in the database itself: no statement edits or removes an entry.
    """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$""",
    "DROP TRIGGER IF EXISTS audit_no_change ON audit",
    "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
)
"""Who did what, and what each person has reserved today (`postgres_ledger`)."""

CREATE = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
    """CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY, created DOUBLE PRECISION NOT NULL, backend TEXT,
        api_version TEXT, settings TEXT, actions TEXT, source TEXT, photo_hash TEXT,
        task_id TEXT, state TEXT, result TEXT, duration DOUBLE PRECISION,
        units INTEGER DEFAULT 0, error_code TEXT, error_message TEXT, label TEXT DEFAULT '',
        note TEXT DEFAULT '', trial TEXT DEFAULT '', participant TEXT DEFAULT '',
        debug TEXT DEFAULT '{}', batch TEXT DEFAULT '', file TEXT DEFAULT '',
        meta TEXT DEFAULT '{}', visit TEXT DEFAULT '', base_url TEXT DEFAULT '',
        quality TEXT DEFAULT 'sd', overall DOUBLE PRECISION, file_bytes BIGINT,
        conditions TEXT DEFAULT '{}', person TEXT DEFAULT ''
    )""",
    """CREATE TABLE IF NOT EXISTS checked_photos (
        photo_hash TEXT NOT NULL, quality TEXT NOT NULL, checks_version TEXT NOT NULL,
        warnings TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (photo_hash, quality, checks_version)
    )""",
    "CREATE TABLE IF NOT EXISTS thumbnails (run_id TEXT PRIMARY KEY, jpeg BYTEA NOT NULL)",
    "CREATE INDEX IF NOT EXISTS runs_created ON runs (created)",
    "CREATE INDEX IF NOT EXISTS runs_state ON runs (state)",
    "CREATE INDEX IF NOT EXISTS runs_backend ON runs (backend, created)",
    "CREATE INDEX IF NOT EXISTS runs_quality ON runs (quality, created)",
    "CREATE INDEX IF NOT EXISTS runs_overall ON runs (overall, created)",
    "CREATE INDEX IF NOT EXISTS runs_label ON runs "
    """((lower(COALESCE(label, '')) COLLATE "C"), created)""",
    "CREATE INDEX IF NOT EXISTS runs_photo ON runs (photo_hash)",
    "CREATE INDEX IF NOT EXISTS runs_batch ON runs (batch)",
    "CREATE INDEX IF NOT EXISTS runs_task ON runs (task_id)",
    *TEAM,
)

UPGRADES: dict[int, tuple[str, ...]] = {
    1: ("ALTER TABLE runs ADD COLUMN IF NOT EXISTS person TEXT DEFAULT ''", *TEAM),
}
"""The statements that take a store from each version to the next. 1 → 2: a team's
deployment — who ran each run (`person`), the audit trail and the units reserved."""


def bring_to_current_version(connection, address) -> None:
    """Create a new store, upgrade an older one, refuse a newer one."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        (exists,) = connection.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()
        if not exists:
            for statement in CREATE:
                connection.execute(statement)
            connection.execute("INSERT INTO meta VALUES ('schema_version', %s)", (str(VERSION),))
        version = _version(connection)
        while version in UPGRADES:
            for statement in UPGRADES[version]:
                connection.execute(statement)
            version += 1
            connection.execute(
                "UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(version),)
            )
    if version != VERSION:
        raise StoreError(
            f"The shared run store ({address}) has schema version {version}; this SkinScope "
            f"reads version {VERSION}",
            hint="Run the newest SkinScope on every machine that shares the store.",
        )


def _version(connection) -> int:
    row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return (schema_version_of(row[0]) if row else None) or 0
