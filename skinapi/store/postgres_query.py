"""`RunQuery` in PostgreSQL: the same filters as SQLite (`sql_filters`), the same orders on
indexed columns, a page as LIMIT/OFFSET, every run in order through a server-side cursor read a
page at a time (constant memory at any size), counts and tallies as aggregates."""

from __future__ import annotations

import time
from collections.abc import Iterator

from . import sqlite_rows as rows
from .base import RunPage, RunQuery, RunRecord, RunTotals, Tally
from .sql_filters import POSTGRES, where_of

ITERATION_PAGE = 500
SUCCEEDED = "COUNT(*) FILTER (WHERE state = 'success')"


def _ordered(query: RunQuery) -> tuple[str, list]:
    where, params = where_of(query, POSTGRES)
    return (
        f"SELECT {rows.SELECTED} FROM runs WHERE {where} {POSTGRES.order_by(query.order)}",
        params,
    )


def page(db, query: RunQuery) -> RunPage:
    statement, params = _ordered(query)
    limit = None if query.limit is None else max(int(query.limit), 0)
    found = db.execute(
        statement + " LIMIT %s OFFSET %s", (*params, limit, max(int(query.offset), 0))
    )
    runs, unreadable = rows.decoded(found.fetchall())
    where, params = where_of(query, POSTGRES)
    (total,) = db.execute(f"SELECT COUNT(*) FROM runs WHERE {where}", params).fetchone()
    return RunPage(runs, int(total), unreadable)


def iterate(pool, query: RunQuery, unreadable: list[str]) -> Iterator[RunRecord]:
    """One statement through a server-side cursor: the database sorts once and hands the rows
    over `ITERATION_PAGE` at a time."""
    statement, params = _ordered(query)
    with pool.connection() as db, db.transaction(), db.cursor(name="iterate") as found:
        found.itersize = ITERATION_PAGE
        found.execute(statement, params)
        while batch := found.fetchmany(ITERATION_PAGE):
            readable, damaged = rows.decoded(batch)
            unreadable.extend(damaged)
            yield from readable


def totals(db, query: RunQuery) -> RunTotals:
    where, params = where_of(query, POSTGRES)
    count, succeeded, units, first, last = db.execute(
        f"SELECT COUNT(*), {SUCCEEDED}, COALESCE(SUM(units), 0), MIN(created), MAX(created) "
        f"FROM runs WHERE {where}",
        params,
    ).fetchone()
    return RunTotals(int(count), int(succeeded), int(units), first, last)


def tally(db, query: RunQuery, by: str) -> list[Tally]:
    """Per day in this machine's local time (its offset from UTC now), as the SQLite store."""
    where, params = where_of(query, POSTGRES)
    if by == "day":
        key, order = "to_char(to_timestamp(created + %s) AT TIME ZONE 'UTC', 'YYYY-MM-DD')", "DESC"
        params = [time.localtime().tm_gmtoff, *params]
    else:
        key, order = "COALESCE(label, '') COLLATE \"C\"", "ASC"  # SQLite's order
    return [
        Tally(str(name), int(succeeded), int(units))
        for name, succeeded, units in db.execute(
            f"SELECT {key} AS grouped, {SUCCEEDED}, COALESCE(SUM(units), 0) FROM runs "
            f"WHERE {where} GROUP BY grouped ORDER BY grouped {order}",
            params,
        )
    ]
