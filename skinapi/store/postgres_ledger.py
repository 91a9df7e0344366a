"""The shared run store's team ledger in PostgreSQL: the append-only audit trail and the units
reserved against the daily spend caps (see `RunStore.audit` and `RunStore.reserve_units`).
What `sqlite_ledger` does for one file, for every replica and CLI process that shares the
database: a reservation holds a transaction-level advisory lock while it sums and inserts, so
two replicas reserving the last units of a cap at the same moment cannot both get them."""

from __future__ import annotations

import json
import time
import uuid

from ..errors import CapReached
from .base import AuditEntry, AuditQuery, Reservation, SpendCaps, Spent
from .guard import guarded
from .sql_filters import POSTGRES
from .sqlite_ledger import detail_of

SPEND_LOCK = 0x534B494E5350454E  # "SKINSPEN"
"""Held (for one transaction) by whoever reserves units."""


class PostgresLedger:
    _pool: object

    @guarded
    def audit(self, person: str, action: str, **detail) -> None:
        with self._pool.connection() as db:
            db.execute(
                "INSERT INTO audit (at, person, action, detail) VALUES (%s, %s, %s, %s)",
                (time.time(), person, action, json.dumps(detail, default=str)),
            )

    @guarded
    def audit_entries(self, query: AuditQuery) -> list[AuditEntry]:
        clauses, params = [], []
        if query.since is not None:
            clauses.append("at >= %s")
            params.append(query.since)
        if query.until is not None:
            clauses.append("at < %s")
            params.append(query.until)
        if query.person:
            clauses.append(POSTGRES.contains("person"))
            params.append(POSTGRES.needle(query.person))
        if query.actions:
            clauses.append("action = ANY(%s)")
            params.append(list(query.actions))
        limit = f" LIMIT {int(query.limit)}" if query.limit is not None else ""
        with self._pool.connection() as db:
            rows = db.execute(
                "SELECT at, person, action, detail FROM audit WHERE "
                f"{' AND '.join(clauses) or 'TRUE'} ORDER BY seq DESC{limit}",
                params,
            ).fetchall()
        return [AuditEntry(at, who, action, detail_of(text)) for at, who, action, text in rows]

    @guarded
    def reserve_units(self, person: str, units: int, caps: SpendCaps, *, day: str) -> Reservation:
        with self._pool.connection() as db, db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s)", (SPEND_LOCK,))
            spent = _spent(db, person, day)
            for cap, limit, used in (
                ("per-person", caps.per_person, spent.person),
                ("deployment", caps.per_deployment, spent.deployment),
            ):
                if limit is not None and used + units > limit:
                    raise CapReached(cap, limit, max(limit - used, 0), units)
            reservation = Reservation(uuid.uuid4().hex, units)
            db.execute(
                "INSERT INTO spend (id, day, person, units, at) VALUES (%s, %s, %s, %s, %s)",
                (reservation.id, day, person, units, time.time()),
            )
        return reservation

    @guarded
    def release_units(self, reservation: Reservation) -> None:
        with self._pool.connection() as db:
            db.execute("DELETE FROM spend WHERE id = %s", (reservation.id,))

    @guarded
    def spent(self, person: str, *, day: str) -> Spent:
        with self._pool.connection() as db:
            return _spent(db, person, day)

    @guarded
    def caps(self) -> SpendCaps | None:
        with self._pool.connection() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'spend_caps'").fetchone()
        if not row or not row[0]:
            return None
        values = json.loads(row[0])
        return SpendCaps(values.get("per_person"), values.get("per_deployment"))

    @guarded
    def set_caps(self, caps: SpendCaps) -> None:
        value = json.dumps({"per_person": caps.per_person, "per_deployment": caps.per_deployment})
        with self._pool.connection() as db:
            db.execute(
                "INSERT INTO meta VALUES ('spend_caps', %s) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                (value,),
            )


def _spent(db, person: str, day: str) -> Spent:
    mine, everyone = db.execute(
        "SELECT COALESCE(SUM(CASE WHEN person = %s THEN units END), 0), "
        "COALESCE(SUM(units), 0) FROM spend WHERE day = %s",
        (person, day),
    ).fetchone()
    return Spent(int(mine), int(everyone))
