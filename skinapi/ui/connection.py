"""The connection: demo (the embedded emulator) or live (YouCam's API with the user's key).
The only module of the dashboard that starts the demo server."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

import streamlit as st

from ..backends import EMULATOR
from ..client import DEFAULT_BASE_URL, Client, api_key_problem, base_url_problem
from ..demo import DEMO_API_KEY, Emulator, EmulatorConfig
from ..errors import SkinApiError
from ..names import one_line
from .messages import show_error
from .state import kept

DEMO, LIVE = "demo", "live"
"""The sidebar's connection modes."""
BACKEND_LABELS = {DEMO: "Demo (emulator)", LIVE: "Live (YouCam API)"}
BACKEND_OF_MODE = {DEMO: EMULATOR, LIVE: LIVE}


@st.cache_resource(show_spinner=False)
def demo_emulator() -> Emulator:
    """One emulator per process, on a free port of 127.0.0.1; its settings from the
    environment, or the defaults (with the reason kept) when those cannot be read."""
    try:
        config = EmulatorConfig.from_env()
    except ValueError as exc:
        _config_problem.append(str(exc))
        config = EmulatorConfig()
    return Emulator(config).start()


_config_problem: list[str] = []


def emulator_config_problem() -> str | None:
    """Why the demo emulator runs on its defaults, if it does."""
    return _config_problem[-1] if _config_problem else None


@st.cache_resource(show_spinner=False, max_entries=4)
def _client(api_key: str, base_url: str, api_version: str, timeout: float) -> Client:
    return Client(api_key, base_url=base_url, api_version=api_version, timeout=(5.0, timeout))


def _secret(name: str) -> str | None:
    try:
        value = st.secrets.get(name)
    except Exception:  # no secrets.toml, or an unreadable one: the app runs without it
        return None
    return str(value) if value else None


TYPED = "the Settings page"


def find_key() -> tuple[str | None, str | None]:
    """The live API key and where it came from, in words that follow "from" ("Key from the
    environment"); the key itself is never displayed."""
    typed = kept("settings_api_key")
    if typed:
        return typed, TYPED
    if key := _secret("YOUCAM_API_KEY"):
        return key, "secrets.toml"
    if key := os.environ.get("YOUCAM_API_KEY"):
        return key, "the environment"
    return None, None


def configured_base_url() -> str:
    """The base URL the deployment names (secrets, else the environment, else YouCam's)."""
    return _secret("YOUCAM_BASE_URL") or os.environ.get("YOUCAM_BASE_URL") or DEFAULT_BASE_URL


def base_url() -> str:
    return (kept("settings_base_url") or configured_base_url()).strip()


def _same_url(url: str) -> str:
    return url.strip().rstrip("/").lower()


def _may_carry_the_servers_key(url: str) -> bool:
    parts = urlsplit(url.strip())
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    return parts.scheme == "https" or (parts.scheme == "http" and loopback)


def allowed_base_urls() -> set[str]:
    """Where the server's own key may go: the configured base URL and the admin's allow-list
    (YOUCAM_ALLOWED_BASE_URLS, comma-separated, in secrets or the environment); https only,
    but for this machine's loopback."""
    listed = _secret("YOUCAM_ALLOWED_BASE_URLS") or os.environ.get("YOUCAM_ALLOWED_BASE_URLS")
    urls = [configured_base_url(), *(listed or "").split(",")]
    return {_same_url(u) for u in urls if u.strip() and _may_carry_the_servers_key(u)}


def key_refusal() -> str | None:
    """Why no live key is sent, if none is: the key found cannot be sent at all, or the
    server's key would go to a base URL typed in this session — a visitor who types their own
    host must not receive the team's key. A key typed in the same session goes wherever its
    typist says."""
    key, source = find_key()
    if key is not None and (problem := api_key_problem(key)):
        fix = (
            "it is typed again on Settings"
            if source == TYPED
            else f"the key in {source} is corrected, or you type your own on Settings"
        )
        return f"The API key from {source} {problem}. Live runs wait until {fix}."
    if problem := base_url_problem(url := base_url()):
        fix = (
            "it is corrected on Settings"
            if kept("settings_base_url")
            else "the deployment's YOUCAM_BASE_URL (secrets.toml or the environment) is corrected"
        )
        return f"The base URL {_as_code(url)} {problem}. Live runs wait until {fix}."
    typed_url = kept("settings_base_url")
    if not typed_url or kept("settings_api_key") or not key:
        return None
    if _same_url(typed_url) in allowed_base_urls():
        return None
    return (  # as code, so that a typed URL is text here and never a link
        f"The server's key is sent only to {_as_code(configured_base_url())} (and the admin's "
        f"`YOUCAM_ALLOWED_BASE_URLS`), not to {_as_code(typed_url)}: type your own key above "
        "to use it, or clear the base URL."
    )


def _as_code(text: str) -> str:
    return "`" + one_line(text, 200).replace("`", "'") + "`"


@dataclass(frozen=True)
class Connection:
    mode: str
    """``demo`` or ``live``, as the sidebar says."""
    client: Client | None
    key_source: str | None
    base_url: str

    @property
    def backend(self) -> str:
        """Who will answer this connection's runs: ``emulator`` or ``live``."""
        return BACKEND_OF_MODE[self.mode]

    @property
    def label(self) -> str:
        return BACKEND_LABELS[self.mode]


def chosen_mode() -> str:
    key, _ = find_key()
    return st.session_state.get("connection_backend") or (LIVE if key else DEMO)


def connection() -> Connection:
    backend = chosen_mode()
    version = kept("settings_api_version", "v2.1")
    timeout = float(kept("settings_timeout", 30.0))
    if backend == DEMO:
        emulator = demo_emulator()
        return Connection(
            DEMO, _client(DEMO_API_KEY, emulator.url, version, timeout), None, emulator.url
        )
    key, source = find_key()
    url = base_url()
    if key_refusal():
        key = None
    return Connection(LIVE, _client(key, url, version, timeout) if key else None, source, url)


def client_for(backend: str) -> Client | None:
    """The client for a stored run's backend (or a connection mode), whatever the sidebar
    says now."""
    if backend in (DEMO, EMULATOR):
        return _client(DEMO_API_KEY, demo_emulator().url, "v2.1", 30.0)
    key, _ = find_key()
    return _client(key, base_url(), "v2.1", 30.0) if key and not key_refusal() else None


def masked(key: str | None) -> str:
    return "not set" if not key else f"•••• {key[-4:]}" if len(key) > 12 else "••••"


def show_balance(backend: str | None = None, *, on_settings: bool = False) -> None:
    """Test a connection by reading its unit balance: `backend`'s, else the sidebar's. Why a
    key cannot be sent is said here, except on Settings, which says it just above."""
    backend = backend or chosen_mode()
    client = client_for(backend)
    url = demo_emulator().url if backend in (DEMO, EMULATOR) else base_url()
    if client is None:
        refusal = key_refusal() if backend not in (DEMO, EMULATOR) else None
        where = "above" if on_settings else "on Settings"
        if refusal and on_settings:
            st.warning("Not tested: correct the problem above first.")
        else:
            st.warning(
                refusal or f"No API key: type one {where}, in secrets.toml or YOUCAM_API_KEY."
            )
        return
    try:
        balance = client.credit_balance()
    except SkinApiError as exc:
        show_error(exc.as_dict())
    else:
        name = BACKEND_LABELS[DEMO if backend == EMULATOR else backend]
        st.success(f"Connected to {name} at {url}: {balance:g} units left.")
