"""The Audit page's work: the trail's filters (dates, person, actions) as the store's query,
the newest entries first up to a limit, and a CSV of every entry the filters match."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, datetime, timedelta

import streamlit as st

from ..errors import StoreError
from ..names import csv_cell, one_line, shown_moment
from ..store import AUDIT_ACTIONS, AuditEntry, AuditQuery, RunStore
from .audit_log import audited
from .state import remembered

LIMITS = (100, 500, 2000)
"""How many of the newest matching entries the page shows."""
COLUMNS = ("time", "person", "action", "detail")


def filters() -> AuditQuery:
    """What the admin filters by, as the query the store answers (no limit yet)."""
    dates, person, actions = st.columns([1.4, 1.2, 2])
    days = remembered(
        dates.date_input,
        "Dates",
        value=(date.today() - timedelta(days=30), date.today()),
        key="audit_dates",
    )
    start_day, end_day = (*days, date.today())[:2] if days else (date.today(), date.today())
    who = remembered(person.text_input, "Person contains", key="audit_person")
    chosen = remembered(
        actions.multiselect, "Actions", list(AUDIT_ACTIONS), key="audit_actions", placeholder="all"
    )
    return AuditQuery(
        since=_midnight(start_day),
        until=_midnight(end_day + timedelta(days=1)),
        person=who.strip(),
        actions=tuple(chosen),
    )


def _midnight(day: date) -> float:
    return datetime.combine(day, datetime.min.time()).timestamp()


def when(at: float) -> str:
    return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S")


def detail_text(detail: dict) -> str:
    """For the CSV: JSON, which a script reads back."""
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)


def detail_words(detail: dict) -> str:
    """For the table: `task id: … · units: 22`, which a person reads across."""
    return " · ".join(
        f"{one_line(key).replace('_', ' ')}: {_words(value)}"
        for key, value in sorted(detail.items())
    )


def _words(value) -> str:
    """A detail's value as people read it: a list as its items, not Python's brackets, and
    nothing (a cap that is off, a field never set) as "none", not Python's None."""
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return one_line(", ".join("none" if v is None else str(v) for v in value))
    return one_line(str(value))


def rows(entries: list[AuditEntry], detail=detail_text, time=when) -> list[dict]:
    """The entries as table rows; the CSV keeps year-first times, which sort as text."""
    return [
        {
            "time": time(e.at),
            # A name from an identity provider: no right-to-left override to pass for another's
            "person": one_line(e.person),
            "action": e.action,
            "detail": detail(e.detail),
        }
        for e in entries
    ]


def audit_csv(entries: list[AuditEntry]) -> bytes:
    """The entries as CSV (newest first), no cell a spreadsheet would run as a formula."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows(entries):
        writer.writerow([csv_cell(row[c]) for c in COLUMNS])
    return out.getvalue().encode("utf-8")


def audit_view(store: RunStore) -> None:
    query = filters()
    limit_cell, count_cell = st.columns([1, 4])
    limit = remembered(limit_cell.selectbox, "Show the newest", LIMITS, key="audit_limit")
    try:
        entries = store.audit_entries(replace(query, limit=limit + 1))
    except StoreError as exc:
        st.error(f"The audit trail cannot be read: {exc}")
        return
    more = len(entries) > limit
    entries = entries[:limit]
    count_cell.markdown(
        f"<div style='padding-top:2.1rem'>{len(entries)}{'+' if more else ''} "
        f"entr{'y' if len(entries) == 1 else 'ies'}, newest first"
        f"{f' (the newest {limit}; narrow the filters or download the CSV for all)' if more else ''}"
        "</div>",
        unsafe_allow_html=True,
    )
    if not entries:
        st.info("No audit entries match these filters.", icon=":material/manage_search:")
        return
    st.dataframe(
        rows(entries, detail_words, lambda at: shown_moment(at, seconds=True)),
        hide_index=True,
        width="stretch",
        key="audit_table",
        column_config={
            "time": st.column_config.TextColumn("Time", width="medium"),
            "action": st.column_config.TextColumn("Action", width="small"),
            "person": st.column_config.TextColumn("Person"),
            "detail": st.column_config.TextColumn("Detail", width="large"),
        },
    )
    st.download_button(
        "Download these entries (CSV)",
        audited(
            "download",
            lambda: audit_csv(store.audit_entries(query)),
            file="audit trail",
            actions=list(query.actions),
            person=query.person,
        ),
        f"skinscope-audit-{date.today():%Y%m%d}.csv",
        "text/csv",
        key="do_audit_csv",
        icon=":material/download:",
        on_click="ignore",
        help="Every entry the filters match, not only those shown.",
    )
