"""The connection: demo (the embedded emulator) or live (YouCam's API with the user's key).
The only module of the dashboard that starts the demo server."""

from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

from ..backends import EMULATOR
from ..client import DEFAULT_BASE_URL, Client
from ..demo import DEMO_API_KEY, Emulator, EmulatorConfig
from ..errors import SkinApiError
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


def find_key() -> tuple[str | None, str | None]:
    """The live API key and where it came from; the key itself is never displayed."""
    typed = kept("settings_api_key")
    if typed:
        return typed, "typed in"
    if key := _secret("YOUCAM_API_KEY"):
        return key, "secrets.toml"
    if key := os.environ.get("YOUCAM_API_KEY"):
        return key, "environment"
    return None, None


def base_url() -> str:
    return (
        kept("settings_base_url")
        or _secret("YOUCAM_BASE_URL")
        or os.environ.get("YOUCAM_BASE_URL")
        or DEFAULT_BASE_URL
    )


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
    return Connection(LIVE, _client(key, url, version, timeout) if key else None, source, url)


def client_for(backend: str) -> Client | None:
    """The client for a stored run's backend (or a connection mode), whatever the sidebar
    says now."""
    if backend in (DEMO, EMULATOR):
        return _client(DEMO_API_KEY, demo_emulator().url, "v2.1", 30.0)
    key, _ = find_key()
    return _client(key, base_url(), "v2.1", 30.0) if key else None


def masked(key: str | None) -> str:
    return "not set" if not key else f"•••• {key[-4:]}" if len(key) > 12 else "••••"


def show_balance(backend: str | None = None) -> None:
    """Test a connection by reading its unit balance: `backend`'s, else the sidebar's."""
    backend = backend or chosen_mode()
    client = client_for(backend)
    url = demo_emulator().url if backend in (DEMO, EMULATOR) else base_url()
    if client is None:
        st.warning("No API key: type one above, put it in secrets.toml or YOUCAM_API_KEY.")
        return
    try:
        balance = client.credit_balance()
    except SkinApiError as exc:
        show_error(exc.as_dict())
    else:
        name = BACKEND_LABELS[DEMO if backend == EMULATOR else backend]
        st.success(f"Connected to {name} at {url}: {balance:g} units left.")
