"""The run store's SQLite schema, and the upgrades that bring an older history to it in place.

1 → 2: the demo/live column is `backend` (was `mode`); runs stopped before their create are
`unsent` (were `error` with the code NotSent). 2 → 3: cohorts — a run's `batch`, the photo's
`file` name within it, its `meta` columns (JSON) and a trial participant's `visit`. 3 → 4: where
a run was sent (`base_url`), and the backend that answered is named `emulator` (was `demo`).
4 → 5: the photos whose checks passed (`checked_photos`), so the same bytes are not checked
twice. 5 → 6: a history of a team's size — the columns History filters and sorts by
(`quality`, `overall`) beside the result they come from, each run's `file_bytes` (what its
files take, so the history's size is a sum, not a walk of every folder), thumbnails in a
table of their own (a scan of the runs no longer reads a photo per row), and indexes. 6 → 7: a
trial photo's capture `conditions` (JSON). 7 → 8: a team's deployment — who ran each run
(`person`), the append-only audit trail (`audit`) and the units reserved against the daily caps
(`spend`).

The app and the CLI may open a new or old history at the same moment: creating and upgrading
each happen in one write transaction that looks again once it holds the lock.
"""

from __future__ import annotations

import json
import sqlite3

from ..concerns import quality_of
from .base import schema_version_of

CHECKED_PHOTOS = """CREATE TABLE IF NOT EXISTS checked_photos (
    photo_hash TEXT NOT NULL, quality TEXT NOT NULL, checks_version TEXT NOT NULL,
    warnings TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (photo_hash, quality, checks_version)
)"""

THUMBNAILS = """CREATE TABLE IF NOT EXISTS thumbnails (
    run_id TEXT PRIMARY KEY, jpeg BLOB NOT NULL
)"""

INDEXES = (
    "CREATE INDEX IF NOT EXISTS runs_created ON runs (created)",
    "CREATE INDEX IF NOT EXISTS runs_state ON runs (state)",
    "CREATE INDEX IF NOT EXISTS runs_backend ON runs (backend, created)",
    "CREATE INDEX IF NOT EXISTS runs_quality ON runs (quality, created)",
    "CREATE INDEX IF NOT EXISTS runs_overall ON runs (overall, created)",
    "CREATE INDEX IF NOT EXISTS runs_file_bytes ON runs (file_bytes)",
)
"""History's filters and orders, and the run store's size (a sum over a small index)."""

AUDIT = """CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, person TEXT NOT NULL,
    action TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '{}'
)"""
SPEND = """CREATE TABLE IF NOT EXISTS spend (
    id TEXT PRIMARY KEY, day TEXT NOT NULL, person TEXT NOT NULL, units INTEGER NOT NULL,
    at REAL NOT NULL
)"""
TEAM = (
    AUDIT,
    SPEND,
    "CREATE INDEX IF NOT EXISTS audit_at ON audit (at)",
    "CREATE INDEX IF NOT EXISTS spend_day ON spend (day, person)",
    "CREATE INDEX IF NOT EXISTS runs_person ON runs (person, created)",
    # Append-only, in the database itself: no statement edits or removes an entry.
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
)

CREATE = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
    """CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY, created REAL NOT NULL, backend TEXT, api_version TEXT,
        settings TEXT, actions TEXT, source TEXT, photo_hash TEXT, task_id TEXT,
        state TEXT, result TEXT, duration REAL, units INTEGER DEFAULT 0,
        error_code TEXT, error_message TEXT, label TEXT DEFAULT '', note TEXT DEFAULT '',
        trial TEXT DEFAULT '', participant TEXT DEFAULT '', debug TEXT DEFAULT '{}',
        batch TEXT DEFAULT '', file TEXT DEFAULT '',
        meta TEXT DEFAULT '{}', visit TEXT DEFAULT '', base_url TEXT DEFAULT '',
        quality TEXT DEFAULT 'sd', overall REAL, file_bytes INTEGER,
        conditions TEXT DEFAULT '{}', person TEXT DEFAULT ''
    )""",
    CHECKED_PHOTOS,
    THUMBNAILS,
    *INDEXES,
    *TEAM,
)


def _fill_query_columns(db: sqlite3.Connection) -> None:
    """`quality` and `overall` of the runs stored before they were columns (their files'
    bytes are measured when the history's size is first asked for)."""
    filled = []
    for run_id, actions, result in db.execute("SELECT id, actions, result FROM runs"):
        try:
            overall = (json.loads(result) or {}).get("overall") if result else None
        except (ValueError, AttributeError):
            overall = None  # a damaged result is not sorted by, and still listed
        names = [a for a in (actions or "").split(",") if a]
        valid = isinstance(overall, int | float) and not isinstance(overall, bool)
        filled.append((quality_of(names), overall if valid else None, run_id))
    db.executemany("UPDATE runs SET quality = ?, overall = ? WHERE id = ?", filled)


UPGRADES: dict[int, tuple] = {
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
    5: (
        "ALTER TABLE runs ADD COLUMN quality TEXT DEFAULT 'sd'",
        "ALTER TABLE runs ADD COLUMN overall REAL",
        "ALTER TABLE runs ADD COLUMN file_bytes INTEGER",
        THUMBNAILS,
        "INSERT OR IGNORE INTO thumbnails SELECT id, thumbnail FROM runs "
        "WHERE thumbnail IS NOT NULL",
        "UPDATE runs SET thumbnail = NULL",
        _fill_query_columns,
        *INDEXES,
    ),
    6: ("ALTER TABLE runs ADD COLUMN conditions TEXT DEFAULT '{}'",),
    7: ("ALTER TABLE runs ADD COLUMN person TEXT DEFAULT ''", *TEAM),
}
"""The statements that take a run store from each version to the next."""


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
                    statement(db) if callable(statement) else db.execute(statement)
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
    return (schema_version_of(row[0]) if row else None) or 0


class _writing:
    """BEGIN IMMEDIATE … COMMIT (ROLLBACK on an error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, value, traceback):
        self.db.execute("ROLLBACK" if kind else "COMMIT")
        return False
