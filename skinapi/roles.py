"""Who may do what: the three roles, and the mapping from a signed-in person's claims to a role.

The mapping is configuration (the ``[access]`` section of ``secrets.toml``)::

    [access]
    claim = "email"                  # the OIDC claim matched; "groups" for a group claim
    admin = ["ana@example.com"]
    operator = ["@example.com"]      # "@domain": everyone of that e-mail domain
    viewer = ["*"]                   # everyone who signs in

A person matched by several lists has the highest of their roles; a person matched by none has
no role and sees only why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")
"""Lowest first: each role may do what the ones before it may."""

ROLE_DUTIES: dict[Role, str] = {
    "viewer": "results, history, compare and exports",
    "operator": "results, history, compare and exports, and run analyses, batches and live "
    "trials (spends units), label runs and delete them here",
    "admin": "everything: runs, settings, emulator faults, deletes at the API, purge, caps and "
    "the audit trail",
}

DEFAULT_CLAIM = "email"


def allows(role: Role | None, needed: Role) -> bool:
    """Whether `role` may do what `needed` may."""
    return role is not None and ROLES.index(role) >= ROLES.index(needed)


def _values(claim: object) -> list[str]:
    if isinstance(claim, str):
        return [claim.strip().lower()]
    if isinstance(claim, Iterable):
        return [str(value).strip().lower() for value in claim]
    return []


def _matches(entry: str, value: str) -> bool:
    entry = entry.strip().lower()
    if entry == "*":
        return True
    if entry.startswith("@"):
        return value.endswith(entry)
    return entry == value


def role_for(user: Mapping[str, object], access: Mapping[str, object]) -> Role | None:
    """The highest role whose list in `access` (the ``[access]`` section) matches the person's
    claim (`access["claim"]`, e-mail by default); None when no list does."""
    values = _values(user.get(str(access.get("claim") or DEFAULT_CLAIM)))
    if not values:
        return None
    for role in reversed(ROLES):
        entries = access.get(role) or []
        if isinstance(entries, str):
            entries = [entries]
        if any(_matches(str(entry), value) for entry in entries for value in values):
            return role
    return None
