"""The run store's SQLite schema, and the upgrades that bring an older history to it in place.

1 → 2: the demo/live column is `backend` (was `mode`); runs stopped before their create are
`unsent` (were `error` with the code NotSent). 2 → 3: cohorts — a run's `batch`, the photo's
`file` name within it, its `meta` columns (JSON) and a trial participant's `visit`. 3 → 4: where
a run was sent (`base_url`), and the backend that answered is named `emulator` (was `demo`).
4 → 5: the photos whose checks passed (`checked_photos`), so the same bytes are not checked
twice.

The app and the CLI may open a new or old history at the same moment: creating and upgrading
each happen in one write transaction that looks again once it holds the lock.
"""

from __future__ import annotations

import sqlite3

CHECKED_PHOTOS = """CREATE TABLE IF NOT EXISTS checked_photos (
    photo_hash TEXT NOT NULL, quality TEXT NOT NULL, checks_version TEXT NOT NULL,
    warnings TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (photo_hash, quality, checks_version)
)"""

CREATE = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
    """CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY, created REAL NOT NULL, backend TEXT, api_version TEXT,
        settings TEXT, actions TEXT, source TEXT, photo_hash TEXT, task_id TEXT,
        state TEXT, result TEXT, duration REAL, units INTEGER DEFAULT 0,
        error_code TEXT, error_message TEXT, label TEXT DEFAULT '', note TEXT DEFAULT '',
        trial TEXT DEFAULT '', participant TEXT DEFAULT '', debug TEXT DEFAULT '{}',
        thumbnail BLOB, batch TEXT DEFAULT '', file TEXT DEFAULT '',
        meta TEXT DEFAULT '{}', visit TEXT DEFAULT '', base_url TEXT DEFAULT ''
    )""",
    "CREATE INDEX IF NOT EXISTS runs_created ON runs (created)",
    "CREATE INDEX IF NOT EXISTS runs_state ON runs (state)",
    CHECKED_PHOTOS,
)

UPGRADES: dict[int, tuple[str, ...]] = {
    1: (
        "ALTER TABLE runs RENAME COLUMN mode TO backend",
        "UPDATE runs SET state = 'unsent' WHERE state = 'error' AND error_code = 'NotSent'",
    ),
    2: (
        "ALTER TABLE runs ADD COLUMN batch TEXT DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN file TEXT DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN meta TEXT DEFAULT '{}'",
        "ALTER TABLE runs ADD COLUMN visit TEXT DEFAULT ''",
    ),
    3: (
        "ALTER TABLE runs ADD COLUMN base_url TEXT DEFAULT ''",
        "UPDATE runs SET backend = 'emulator' WHERE backend = 'demo'",
    ),
    4: (CHECKED_PHOTOS,),
}
"""The statements that take a history from each version to the next."""


def create(db: sqlite3.Connection, version: int) -> None:
    with _writing(db):
        for statement in CREATE:
            db.execute(statement)
        db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(version),))


def upgrade(db: sqlite3.Connection, version: int) -> int:
    """Run every upgrade from `version` on; returns the version the history is now at (a
    version with no upgrade, e.g. a newer SkinScope's, is left as it is)."""
    while version in UPGRADES:
        with _writing(db):
            now = _version(db)
            if now == version:  # not upgraded by another process meanwhile
                for statement in UPGRADES[version]:
                    db.execute(statement)
                db.execute(
                    "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version + 1),)
                )
                now = version + 1
        version = now
    return version


def meta_value(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _version(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row and str(row[0]).isdigit() else 0


class _writing:
    """BEGIN IMMEDIATE … COMMIT (ROLLBACK on an error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, value, traceback):
        self.db.execute("ROLLBACK" if kind else "COMMIT")
        return False
