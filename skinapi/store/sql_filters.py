"""`RunQuery`'s filters as a WHERE clause, for each SQL database that keeps runs: one home for
what a filter means, whichever store asks (SQLite writes ``?`` and folds case with its own
function; PostgreSQL writes ``%s`` and folds case with ``lower``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..concerns import CONCERNS
from .base import RunQuery


def fold(text) -> str:
    """Case-insensitive matching beyond ASCII (SQLite's own lower() knows only A–Z)."""
    return (text or "").casefold()


@dataclass(frozen=True)
class Dialect:
    mark: str
    """A parameter's placeholder."""
    finds: str
    """"{haystack} holds the parameter, ignoring case", with the parameter's placeholder."""
    folded: str
    """A text column ({column}) with its case folded."""
    needle: Callable[[str], str]
    """The text a `finds` parameter is given as."""
    label_order: str
    """The label's sort key: case ignored as SQLite's NOCASE ignores it (A–Z only)."""

    def order_by(self, order: str) -> str:
        """Each order's sort key; ties go newest first (then by id, so every run has one
        place)."""
        key, direction = {
            "newest": ("created", "DESC"),
            "oldest": ("created", "ASC"),
            "overall_high": ("COALESCE(overall, -1)", "DESC"),
            "overall_low": ("COALESCE(overall, 1000)", "ASC"),
            "label": (self.label_order, "ASC"),
        }[order]
        return f"ORDER BY {key} {direction}, created DESC, id DESC"

    def contains(self, column: str) -> str:
        return self.finds.format(haystack=self.folded.format(column=column))


def _without_nul(text: str) -> str:
    """PostgreSQL's text holds no NUL, and refuses a parameter with one: typed, it finds
    what the rest of the text finds."""
    return text.replace("\x00", "")


SQLITE = Dialect(
    "?",
    "instr({haystack}, ?) > 0",
    "fold({column})",
    lambda text: fold(_without_nul(text)),  # typed alike, found alike in either store
    "COALESCE(label, '') COLLATE NOCASE",
)
POSTGRES = Dialect(
    "%s",
    "strpos({haystack}, lower(%s)) > 0",
    "lower({column})",
    _without_nul,
    "lower(COALESCE(label, '')) COLLATE \"C\"",
)


def where_of(query: RunQuery, dialect: Dialect = SQLITE) -> tuple[str, list]:
    mark = dialect.mark
    clauses, params = [], []
    if query.since is not None:
        clauses.append(f"created >= {mark}")
        params.append(query.since)
    if query.until is not None:
        clauses.append(f"created < {mark}")
        params.append(query.until)
    chosen = (
        ("backend", query.backends),
        ("quality", tuple(q.lower() for q in query.qualities)),
        ("api_version", query.versions),
        ("state", query.states),
    )
    for column, values in chosen:
        if values:
            clauses.append(f"{column} IN ({', '.join([mark] * len(values))})")
            params += values
    if query.text:
        label, note = dialect.contains("label"), dialect.contains("note")
        clauses.append(f"({label} OR {note})")
        params += [dialect.needle(query.text)] * 2
    if query.label:
        clauses.append(dialect.contains("label"))
        params.append(dialect.needle(query.label))
    for concern in query.concerns:
        names = [name for name, c in CONCERNS.items() if c.label == concern] or [concern]
        listed = dialect.finds.format(haystack="',' || actions || ','")  # names are lower case
        clauses.append("(" + " OR ".join([listed] * len(names)) + ")")
        params += [f",{name}," for name in names]
    if query.trial is not None:
        clauses.append(f"trial = {mark}")
        params.append(_without_nul(query.trial))  # as no stored trial name holds one
    if query.person:
        clauses.append(dialect.contains("person"))
        params.append(dialect.needle(query.person))
    return " AND ".join(clauses) or "1 = 1", params
