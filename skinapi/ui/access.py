"""Who is using the dashboard, and whether they may: Streamlit's own sign-in (`st.login`,
`st.user`, `st.logout`, an ``[auth]`` section in secrets) and the roles of `skinapi.roles`.

With ``[auth]`` configured, a visitor who has not signed in sees the sign-in page and nothing
else, on every URL path (`gate`, called by the frame before anything is drawn); a signed-in
person without a role sees why, and nothing else. Without ``[auth]`` the dashboard is one
person's tool (single-user mode, that person an admin), allowed only on a loopback bind.
Each page starts with `require(role)`: the check is on the server, not in hidden buttons.
"""

from __future__ import annotations

from typing import NamedTuple

import streamlit as st

from ..roles import ROLE_DUTIES, Role, allows
from .audit_log import record
from .identity import SINGLE_USER, Person, auth_configured, person, providers

__all__ = ["SINGLE_USER", "Person", "auth_configured", "person", "providers"]

LOOPBACK = ("127.", "localhost", "::1", "[::1]")


def bound_to_loopback() -> bool:
    address = str(st.get_option("server.address") or "")
    return address.startswith(LOOPBACK)


def gate() -> Person:
    """Called before the frame draws anything: stops the script on a sign-in page, a role
    refusal or a single-user mode refused on a bind other than loopback."""
    if not auth_configured():
        if not bound_to_loopback():
            st.title("SkinScope needs sign-in here")
            st.error(
                f"This server listens on {st.get_option('server.address') or 'every interface'} "
                "without sign-in: anyone who reaches it could spend the team's units. Configure "
                "[auth] in .streamlit/secrets.toml (see the README, Deploy for a team), or bind "
                'server.address = "127.0.0.1".'
            )
            st.stop()
        return person()
    who = person()
    if not who.signed_in:
        sign_in_page()
        st.stop()
    if who.role is None:
        st.title("No role yet")
        st.warning(
            f"You are signed in as `{shown(who.name)}`, but this deployment gives that account no role. "
            "Ask an admin to add you to [access] in its secrets (viewer, operator or admin)."
        )
        st.button("Sign out", on_click=st.logout, key="access_sign_out")
        st.stop()
    return who


def shown(name: str) -> str:
    """A claim for a code span: never markdown, a link or a line break."""
    return " ".join(name.replace("`", "'").split())


def sign_in_page() -> None:
    st.title("SkinScope")
    st.write("Sign in to see results, history and runs of this team's deployment.")
    for provider in providers():
        label = f"Sign in with {provider.title()}" if provider else "Sign in"
        args = (provider,) if provider else ()
        st.button(
            label,
            key=f"access_login_{provider or 'default'}",
            type="primary",
            on_click=st.login,
            args=args,
        )


def may(needed: Role) -> bool:
    """Whether the signed-in person's role allows `needed`: asked before drawing an action
    and again when it is clicked (a dialog's button outlives the check that opened it)."""
    return allows(person().role, needed)


def require(needed: Role) -> Person:
    """The first call of every page: stops it, saying why, unless the person's role allows
    `needed` (a page run alone, as a direct link may be, goes through the `gate` too)."""
    who = gate()
    if allows(who.role, needed):
        return who
    _audit_denial(who, needed)
    st.title("Not allowed")
    st.warning(
        f"This page needs the {needed} role; you are a {who.role}, who may see "
        f"{ROLE_DUTIES[who.role]}. An admin can change roles in [access]."
    )
    st.stop()
    raise AssertionError("unreachable")  # st.stop raises


def _audit_denial(who: Person, needed: Role) -> None:
    """Each visit refused (a rerun of the same refusal is not another)."""
    page = str(st.session_state.get("frame_page") or "")
    if st.session_state.get("access_denied") != (page, needed):
        st.session_state["access_denied"] = (page, needed)
        record("role denied", person=who.name, role=who.role, needed=needed, page=page)


def sidebar_identity(who: Person) -> None:
    """Who is signed in, or that this is single-user mode."""
    if not who.signed_in:
        st.caption("Single-user mode: no sign-in, on this computer only (127.0.0.1).")
        return
    st.caption(f"Signed in as `{shown(who.name)}` · {who.role}")
    st.button("Sign out", on_click=st.logout, key="access_sidebar_sign_out")


class PageEntry(NamedTuple):
    path: str
    title: str
    icon: str
    role: Role = "viewer"
    """The least role the page is listed for."""


def navigation(pages: list[PageEntry]):
    """`st.navigation` listing the pages this person's role allows, the first of them the
    default. The others stay registered, hidden, so that links to them still resolve — and
    open on `require`'s refusal. Before sign-in, or without a role, no page is registered:
    `gate` then draws the only thing shown, whatever the URL path."""
    who = person()
    if who.role is None:
        return st.navigation([st.Page(sign_in_page, title="Sign in")], position="hidden")
    listed = [allows(who.role, entry.role) for entry in pages]
    first = listed.index(True) if any(listed) else 0
    return st.navigation(
        [
            st.Page(
                entry.path,
                title=entry.title,
                icon=entry.icon,
                default=index == first,
                visibility="visible" if is_listed else "hidden",
            )
            for index, (entry, is_listed) in enumerate(zip(pages, listed, strict=True))
        ]
    )
