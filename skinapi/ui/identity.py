"""Who this session belongs to: the signed-in person (Streamlit's `st.user`, with ``[auth]`` in
secrets) and their role, or the one person of single-user mode. `access` decides what they may
see; the audit trail (`audit_log`) and runs record their name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from ..roles import Role, role_for

SINGLE_USER = "local user"
"""The person of single-user mode, in the audit trail and on runs."""


@dataclass(frozen=True)
class Person:
    name: str
    """What the audit trail and runs record: the e-mail, else the OIDC subject."""
    role: Role | None
    signed_in: bool
    """False in single-user mode (no ``[auth]``)."""


def section(name: str) -> Mapping | None:
    try:
        value = st.secrets.get(name)
    except Exception:  # no secrets file, or an unreadable one: as if the section were absent
        return None
    return value if isinstance(value, Mapping) else None


def auth_configured() -> bool:
    return bool(section("auth"))


def providers() -> list[str | None]:
    """The sign-in choices: None for a provider given directly in ``[auth]`` (a plain
    `st.login()`), then each named ``[auth.NAME]``."""
    auth = section("auth") or {}
    named = [name for name, value in auth.items() if isinstance(value, Mapping)]
    return ([None] if "client_id" in auth else []) + named


def person() -> Person:
    """The person this session belongs to, with their role."""
    if not auth_configured():
        return Person(SINGLE_USER, "admin", signed_in=False)
    if not st.user.get("is_logged_in"):
        return Person("", None, signed_in=False)
    user = {key: st.user.get(key) for key in st.user}
    name = str(user.get("email") or user.get("sub") or "")
    return Person(name, role_for(user, section("access") or {}), signed_in=True)
