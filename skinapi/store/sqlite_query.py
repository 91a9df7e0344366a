"""`RunQuery` in SQLite: its filters as a WHERE clause, its order as an ORDER BY on indexed
columns, its page as LIMIT/OFFSET; every run in order from one statement read a page at a time
(constant memory at any size); counts and tallies as aggregates. The database does the work: only a page is decoded."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from . import sqlite_rows as rows
from .base import RunPage, RunQuery, RunRecord, RunTotals, Tally
from .sql_filters import SQLITE, fold, where_of

ITERATION_PAGE = 500


def prepare(db: sqlite3.Connection) -> None:
    db.create_function("fold", 1, fold, deterministic=True)


def page(db: sqlite3.Connection, query: RunQuery) -> RunPage:
    where, params = where_of(query)
    limit = -1 if query.limit is None else max(int(query.limit), 0)
    found = db.execute(
        f"SELECT {rows.SELECTED} FROM runs WHERE {where} "
        f"{SQLITE.order_by(query.order)} LIMIT ? OFFSET ?",
        (*params, limit, max(int(query.offset), 0)),
    )
    runs, unreadable = rows.decoded(found)
    total = db.execute(f"SELECT COUNT(*) FROM runs WHERE {where}", params).fetchone()[0]
    return RunPage(runs, int(total), unreadable)


def iterate(db: sqlite3.Connection, query: RunQuery, unreadable: list[str]) -> Iterator[RunRecord]:
    """One statement read `ITERATION_PAGE` rows at a time: the database sorts once (spilling to
    its temporary files, not to our memory). Keyset pages re-sorted or re-scanned the history
    for every page: an export of 100,000 runs was quadratic (266 s for a CSV)."""
    where, params = where_of(query)
    found = db.execute(
        f"SELECT {rows.SELECTED} FROM runs WHERE {where} {SQLITE.order_by(query.order)}",
        params,
    )
    try:
        while batch := found.fetchmany(ITERATION_PAGE):
            readable, damaged = rows.decoded(batch)
            unreadable.extend(damaged)
            yield from readable
    finally:
        found.close()


def totals(db: sqlite3.Connection, query: RunQuery) -> RunTotals:
    where, params = where_of(query)
    count, succeeded, units, first, last = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(state = 'success'), 0), COALESCE(SUM(units), 0), "
        f"MIN(created), MAX(created) FROM runs WHERE {where}",
        params,
    ).fetchone()
    return RunTotals(int(count), int(succeeded), int(units), first, last)


def tally(db: sqlite3.Connection, query: RunQuery, by: str) -> list[Tally]:
    where, params = where_of(query)
    key, order = {
        "day": ("date(created, 'unixepoch', 'localtime')", "DESC"),
        "label": ("COALESCE(label, '')", "ASC"),
    }[by]
    return [
        Tally(str(name), int(succeeded), int(units))
        for name, succeeded, units in db.execute(
            f"SELECT {key} AS grouped, COALESCE(SUM(state = 'success'), 0), "
            f"COALESCE(SUM(units), 0) FROM runs WHERE {where} "
            f"GROUP BY grouped ORDER BY grouped {order}",
            params,
        )
    ]
