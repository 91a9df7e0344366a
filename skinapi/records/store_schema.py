"""The run store's SQLite schema, and the upgrades that bring an older history to it in place.

1 → 2: the demo/live column is `backend` (was `mode`); runs stopped before their create are
`unsent` (were `error` with the code NotSent). 2 → 3: cohorts — a run's `batch`, the photo's
`file` name within it, its `meta` columns (JSON) and a trial participant's `visit`.
"""

from __future__ import annotations

import sqlite3

CREATE = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE runs (
    id TEXT PRIMARY KEY, created REAL NOT NULL, backend TEXT, api_version TEXT,
    settings TEXT, actions TEXT, source TEXT, photo_hash TEXT, task_id TEXT,
    state TEXT, result TEXT, duration REAL, units INTEGER DEFAULT 0,
    error_code TEXT, error_message TEXT, label TEXT DEFAULT '', note TEXT DEFAULT '',
    trial TEXT DEFAULT '', participant TEXT DEFAULT '', debug TEXT DEFAULT '{}',
    thumbnail BLOB, batch TEXT DEFAULT '', file TEXT DEFAULT '',
    meta TEXT DEFAULT '{}', visit TEXT DEFAULT ''
);
CREATE INDEX runs_created ON runs (created);
CREATE INDEX runs_state ON runs (state);
"""

UPGRADES = {
    1: """
        BEGIN;
        ALTER TABLE runs RENAME COLUMN mode TO backend;
        UPDATE runs SET state = 'unsent' WHERE state = 'error' AND error_code = 'NotSent';
        UPDATE meta SET value = '2' WHERE key = 'schema_version';
        COMMIT;
    """,
    2: """
        BEGIN;
        ALTER TABLE runs ADD COLUMN batch TEXT DEFAULT '';
        ALTER TABLE runs ADD COLUMN file TEXT DEFAULT '';
        ALTER TABLE runs ADD COLUMN meta TEXT DEFAULT '{}';
        ALTER TABLE runs ADD COLUMN visit TEXT DEFAULT '';
        UPDATE meta SET value = '3' WHERE key = 'schema_version';
        COMMIT;
    """,
}
"""The script that takes a history from each version to the next, in one transaction."""


def create(db: sqlite3.Connection, version: int) -> None:
    db.executescript(CREATE)
    db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(version),))


def upgrade(db: sqlite3.Connection, version: int) -> int:
    """Run every upgrade from `version` on; returns the version the history is now at (a
    version with no upgrade, e.g. a newer SkinScope's, is left as it is)."""
    while version in UPGRADES:
        db.executescript(UPGRADES[version])
        version += 1
    return version
