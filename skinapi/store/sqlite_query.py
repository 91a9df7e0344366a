"""`RunQuery` in SQLite: its filters as a WHERE clause, its order as an ORDER BY on indexed
columns, its page as LIMIT/OFFSET; every run in order from one statement read a page at a time
(constant memory at any size); counts and tallies as aggregates. The database does the work: only a page is decoded."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from ..concerns import CONCERNS
from . import sqlite_rows as rows
from .base import RunPage, RunQuery, RunRecord, RunTotals, Tally

_ORDER_KEYS = {
    "newest": ("created", "DESC"),
    "oldest": ("created", "ASC"),
    "overall_high": ("COALESCE(overall, -1)", "DESC"),
    "overall_low": ("COALESCE(overall, 1000)", "ASC"),
    "label": ("COALESCE(label, '') COLLATE NOCASE", "ASC"),
}
"""Each order's sort key; ties go newest first (then by id, so every run has one place)."""
ITERATION_PAGE = 500


def fold(text) -> str:
    """Case-insensitive matching beyond ASCII (SQLite's own lower() knows only A–Z)."""
    return (text or "").casefold()


def prepare(db: sqlite3.Connection) -> None:
    db.create_function("fold", 1, fold, deterministic=True)


def where_of(query: RunQuery) -> tuple[str, list]:
    clauses, params = [], []
    if query.since is not None:
        clauses.append("created >= ?")
        params.append(query.since)
    if query.until is not None:
        clauses.append("created < ?")
        params.append(query.until)
    chosen = (
        ("backend", query.backends),
        ("quality", tuple(q.lower() for q in query.qualities)),
        ("api_version", query.versions),
        ("state", query.states),
    )
    for column, values in chosen:
        if values:
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params += values
    if query.text:
        clauses.append("(instr(fold(label), ?) > 0 OR instr(fold(note), ?) > 0)")
        params += [fold(query.text)] * 2
    if query.label:
        clauses.append("instr(fold(label), ?) > 0")
        params.append(fold(query.label))
    for concern in query.concerns:
        names = [name for name, c in CONCERNS.items() if c.label == concern] or [concern]
        clauses.append(
            "(" + " OR ".join(["instr(',' || actions || ',', ?) > 0"] * len(names)) + ")"
        )
        params += [f",{name}," for name in names]
    if query.trial is not None:
        clauses.append("trial = ?")
        params.append(query.trial)
    if query.person is not None:
        clauses.append("person = ?")
        params.append(query.person)
    return " AND ".join(clauses) or "1", params


def page(db: sqlite3.Connection, query: RunQuery) -> RunPage:
    where, params = where_of(query)
    key, direction = _ORDER_KEYS[query.order]
    limit = -1 if query.limit is None else max(int(query.limit), 0)
    found = db.execute(
        f"SELECT {rows.SELECTED} FROM runs WHERE {where} "
        f"ORDER BY {key} {direction}, created DESC, id DESC LIMIT ? OFFSET ?",
        (*params, limit, max(int(query.offset), 0)),
    )
    runs, unreadable = rows.decoded(found)
    total = db.execute(f"SELECT COUNT(*) FROM runs WHERE {where}", params).fetchone()[0]
    return RunPage(runs, int(total), unreadable)


def iterate(db: sqlite3.Connection, query: RunQuery) -> Iterator[RunRecord]:
    """One statement read `ITERATION_PAGE` rows at a time: the database sorts once (spilling to
    its temporary files, not to our memory). Keyset pages re-sorted or re-scanned the history
    for every page: an export of 100,000 runs was quadratic (266 s for a CSV)."""
    where, params = where_of(query)
    key, direction = _ORDER_KEYS[query.order]
    found = db.execute(
        f"SELECT {rows.SELECTED} FROM runs WHERE {where} "
        f"ORDER BY {key} {direction}, created DESC, id DESC",
        params,
    )
    try:
        while batch := found.fetchmany(ITERATION_PAGE):
            yield from rows.decoded(batch)[0]
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
