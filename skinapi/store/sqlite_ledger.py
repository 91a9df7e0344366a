"""The SQLite run store's team ledger: the append-only audit trail and the units reserved
against the daily spend caps (see `RunStore.audit` and `RunStore.reserve_units`)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path

from ..errors import CapReached
from .base import AuditEntry, AuditQuery, Reservation, SpendCaps, Spent
from .guard import guarded
from .sql_filters import SQLITE
from .sqlite_schema import meta_value

_RESERVING = threading.Lock()
"""One reserver at a time per process: a store's connection is shared by threads (a batch's),
and one connection holds one transaction."""


class SqliteLedger:
    path: Path
    _db: sqlite3.Connection

    @guarded
    def audit(self, person: str, action: str, **detail) -> None:
        self._db.execute(
            "INSERT INTO audit (at, person, action, detail) VALUES (?, ?, ?, ?)",
            (time.time(), person, action, json.dumps(detail, default=str)),
        )

    @guarded
    def audit_entries(self, query: AuditQuery) -> list[AuditEntry]:
        clauses, params = [], []
        if query.since is not None:
            clauses.append("at >= ?")
            params.append(query.since)
        if query.until is not None:
            clauses.append("at < ?")
            params.append(query.until)
        if query.person:
            clauses.append(SQLITE.contains("person"))  # as History's filter: any case, any script
            params.append(SQLITE.needle(query.person))
        if query.actions:
            clauses.append(f"action IN ({', '.join('?' * len(query.actions))})")
            params.extend(query.actions)
        limit = f" LIMIT {int(query.limit)}" if query.limit is not None else ""
        rows = self._db.execute(
            "SELECT at, person, action, detail FROM audit WHERE "
            f"{' AND '.join(clauses) or '1'} ORDER BY seq DESC{limit}",
            params,
        )
        return [
            AuditEntry(at, person, action, detail_of(detail)) for at, person, action, detail in rows
        ]

    @guarded
    def reserve_units(self, person: str, units: int, caps: SpendCaps, *, day: str) -> Reservation:
        with _RESERVING:
            return self._reserve(person, units, caps, day)

    def _reserve(self, person: str, units: int, caps: SpendCaps, day: str) -> Reservation:
        # BEGIN IMMEDIATE takes the database's write lock before the sums are read: a second
        # reserver (another process or replica on this file) waits, then sees this one.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            spent = self._spent(person, day)
            for cap, limit, used in (
                ("per-person", caps.per_person, spent.person),
                ("deployment", caps.per_deployment, spent.deployment),
            ):
                if limit is not None and used + units > limit:
                    raise CapReached(cap, limit, max(limit - used, 0), units)
            reservation = Reservation(uuid.uuid4().hex, units)
            self._db.execute(
                "INSERT INTO spend (id, day, person, units, at) VALUES (?, ?, ?, ?, ?)",
                (reservation.id, day, person, units, time.time()),
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return reservation

    @guarded
    def release_units(self, reservation: Reservation) -> None:
        self._db.execute("DELETE FROM spend WHERE id = ?", (reservation.id,))

    @guarded
    def spent(self, person: str, *, day: str) -> Spent:
        return self._spent(person, day)

    def _spent(self, person: str, day: str) -> Spent:
        mine, everyone = self._db.execute(
            "SELECT COALESCE(SUM(CASE WHEN person = ? THEN units END), 0), "
            "COALESCE(SUM(units), 0) FROM spend WHERE day = ?",
            (person, day),
        ).fetchone()
        return Spent(int(mine), int(everyone))

    @guarded
    def caps(self) -> SpendCaps | None:
        text = meta_value(self._db, "spend_caps")
        if not text:
            return None
        values = json.loads(text)
        return SpendCaps(values.get("per_person"), values.get("per_deployment"))

    @guarded
    def set_caps(self, caps: SpendCaps) -> None:
        value = json.dumps({"per_person": caps.per_person, "per_deployment": caps.per_deployment})
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('spend_caps', ?)", (value,))


def detail_of(text: str) -> dict:
    """An audit entry's detail; a damaged one is shown as what it was, not dropped."""
    try:
        detail = json.loads(text or "{}")
    except ValueError:
        return {"unreadable": text[:200]}
    return detail if isinstance(detail, dict) else {"value": detail}
