"""Names from a server or a user that reach the file system, and text that leaves the program.

Everything that becomes part of a path goes through `safe_name`, and files are only written
with `write_inside`, which checks the resolved path; text for a terminal goes through
`one_line`, text for a spreadsheet through `csv_cell`, a user's text inside the dashboard's
Markdown through `markdown_text`, and a moment shown to a person through `shown_day` or
`shown_moment` (one way of writing dates: "7 Dec 2026, 14:05")."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

MAX_NAME = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Whole escape sequences first; then C0/C1 controls and the bidirectional controls (U+061C,
# U+200E/F, U+202A–E, U+2066–9) by which a name can show itself reversed, e.g. "gpj.exe".
_CONTROL = re.compile(
    r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+!|~$:.-])")
_TASK_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._:=-]{0,199}$")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_name(text: str, *, fallback: str = "file", max_length: int = MAX_NAME) -> str:
    """`text` as one file name: letters, digits, dot, dash and underscore only, no separators,
    never dots alone, at most `max_length` characters."""
    name = _UNSAFE.sub("_", str(text)).strip("._") or fallback
    return name[:max_length].rstrip("._") or fallback


def write_inside(folder: Path, name: str, data: bytes) -> Path:
    """Write `data` as `folder/name`, refusing any path that would leave `folder`."""
    root = folder.resolve()
    path = (root / name).resolve()
    if path.parent != root:
        raise ValueError(f"refused to write {name!r} outside {root}")
    path.write_bytes(data)
    return path


def is_task_id(value: object) -> bool:
    """A task id we can put in a URL path and a folder name: no separators, no dots alone."""
    return isinstance(value, str) and bool(_TASK_ID.match(value)) and ".." not in value


def task_end(task_id: str | None) -> str:
    """A task as a page names it beside other words: its last ten characters (the whole id is
    in History's table and every export)."""
    return f"…{(task_id or '')[-10:]}"


def one_line(text: str, limit: int = 400) -> str:
    """Text for a terminal: control characters and escape sequences out, one line, bounded."""
    flat = _CONTROL.sub(" ", str(text))
    flat = re.sub(r"\s+", " ", flat).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def csv_cell(value: object) -> object:
    """A cell a spreadsheet will not run as a formula: text starting with = + - @, a tab or a
    carriage return gets a leading apostrophe. Numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def markdown_text(text: object, limit: int = 200) -> str:
    """A name typed by a user or read from a file (a label, a participant, a photo's path),
    shown in Markdown as typed: one line, bounded, every Markdown character escaped, so that
    `**x**`, a link or a heading stays text."""
    return _MARKDOWN.sub(r"\\\1", one_line(str(text), limit))


UNKNOWN_DATE = "an unknown date"
"""What a time no calendar shows (a damaged row) is said to be, rather than raising."""


def shown_day(moment: float) -> str:
    """A stored time as people read a day, "7 Dec 2026"."""
    local = _local(moment)
    return UNKNOWN_DATE if local is None else f"{local.day} {local:%b %Y}"


def shown_moment(moment: float, seconds: bool = False) -> str:
    """`shown_day` with the local time: "7 Dec 2026, 14:05" (or 14:05:09)."""
    local = _local(moment)
    if local is None:
        return UNKNOWN_DATE
    return f"{local.day} {local:%b %Y}, {local:%H:%M:%S}"[: None if seconds else -3]


def _local(moment: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(moment)
    except (OverflowError, OSError, ValueError):
        return None
