"""Leases in the shared store: PostgreSQL session-level advisory locks, one connection per held
lease. Every machine that shares the database sees them; a holder that ends, however it ends,
lets go — the server drops a closed connection's locks at once, and TCP keepalives (see
`postgres_connect.connect`) end the session of a machine that vanished within half a minute.

Keys are 64-bit digests of the store's schema, the lease's kind and its name, so two teams'
stores in one database never share a lease. Asking whether a lease is held reads `pg_locks`
and takes nothing, so the check never makes a holder miss its lease."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from . import postgres_connect
from .guard import guarded
from .leases import try_often
from .postgres_connect import Address, connect, failure

HELD = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1)"
)


class PostgresLeases:
    def __init__(self, url: str, address: Address, pool, namespace: str):
        self.url = url
        self.address = address
        self._pool = pool
        self.namespace = namespace

    def problem(self, exc: Exception):
        return postgres_connect.problem(self.address, exc)

    def key(self, kind: str, name: str) -> int:
        digest = hashlib.blake2b(
            f"{self.namespace}\0{kind}\0{name}".encode(), digest_size=8
        ).digest()
        return int.from_bytes(digest, "big", signed=True)

    @contextmanager
    def hold(self, kind: str, name: str) -> Iterator[bool]:
        """The lease on a connection of its own, held until the context ends (closing the
        connection lets go of it). Raises StoreError when the database cannot be reached."""
        import psycopg

        key = self.key(kind, name)
        connection = connect(self.url, self.address)
        held = False
        try:
            try:
                held = try_often(
                    lambda: connection.execute(
                        "SELECT pg_try_advisory_lock(%s)", (key,)
                    ).fetchone()[0]
                )
            except psycopg.Error as exc:
                raise failure(self.address, exc) from None
            yield held
        finally:
            _let_go(connection, key if held else None)

    @guarded
    def busy(self, kind: str, name: str) -> bool:
        unsigned = self.key(kind, name) & 0xFFFFFFFFFFFFFFFF
        with self._pool.connection() as db:
            (held,) = db.execute(HELD, (unsigned >> 32, unsigned & 0xFFFFFFFF)).fetchone()
        return bool(held)


def _let_go(connection, key: int | None) -> None:
    """Unlock at once (a closed connection's locks go only when the server has seen it close,
    a moment later: a check right after would still find the lease held), then close."""
    import psycopg

    try:
        if key is not None:
            connection.execute("SELECT pg_advisory_unlock(%s)", (key,))
    except psycopg.Error:
        pass  # closing the connection lets go of it all the same
    finally:
        connection.close()
