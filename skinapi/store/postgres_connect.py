"""Reaching the shared run store's PostgreSQL: where it is (named without the password), a
pool of connections with a statement timeout each, and a clear one-line error when it cannot
be reached or used. psycopg is imported only here and only when a database URL is set."""

from __future__ import annotations

import os
import re

from ..errors import StoreError

STATEMENT_TIMEOUT_S = float(os.environ.get("SKINSCOPE_DATABASE_STATEMENT_TIMEOUT", "30"))
"""No statement of ours runs longer: a stuck database is an error, never a frozen page."""
CONNECT_TIMEOUT_S = 5
POOL_SIZE = int(os.environ.get("SKINSCOPE_DATABASE_POOL_SIZE", "8"))
UNREACHABLE_HINT = (
    "Check that the database server is up and SKINSCOPE_DATABASE_URL names it "
    "(postgresql://user:password@host:port/database); unset it to use this machine's run store."
)


class Address:
    """Which database a URL names, for messages: host, port, database and user, never the
    password."""

    def __init__(self, url: str):
        from psycopg.conninfo import conninfo_to_dict

        try:
            parts = conninfo_to_dict(url)
        except Exception:  # psycopg's parser says why in words that may quote the password
            raise StoreError(
                "SKINSCOPE_DATABASE_URL is not a PostgreSQL address",
                hint="Write it as postgresql://user:password@host:port/database.",
            ) from None
        self.password = str(parts.get("password") or "")
        self.host = str(parts.get("host") or "localhost")
        self.port = str(parts.get("port") or "5432")
        self.database = str(parts.get("dbname") or parts.get("user") or "")
        self.user = str(parts.get("user") or "")

    def __str__(self) -> str:
        return f"database {self.database!r} on {self.host}:{self.port}"

    def scrubbed(self, text: str) -> str:
        """One line of `text` with the password (and any ``password=…``) taken out."""
        line = " ".join(str(text).split())
        line = re.sub(r"(password\s*=\s*)\S+", r"\1***", line, flags=re.IGNORECASE)
        return line.replace(self.password, "***") if self.password else line


def failure(address: Address, exc: BaseException, doing: str = "cannot be used", hint=None):
    reason = address.scrubbed(str(exc) or type(exc).__name__)
    return StoreError(f"The shared run store ({address}) {doing} ({reason:.200})", hint=hint)


def unreachable(address: Address, exc: BaseException) -> StoreError:
    return failure(address, exc, "cannot be reached", UNREACHABLE_HINT)


def configure(connection) -> None:
    connection.execute(
        "SELECT set_config('statement_timeout', %s, false), set_config('lock_timeout', %s, false)",
        (f"{int(STATEMENT_TIMEOUT_S * 1000)}", f"{int(STATEMENT_TIMEOUT_S * 1000)}"),
    )


def connect(url: str, address: Address):
    """One connection of its own (a lease's, or the schema's first look), configured."""
    import psycopg

    try:
        connection = psycopg.connect(
            url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
        )
        configure(connection)
    except psycopg.Error as exc:
        raise unreachable(address, exc) from None
    return connection


def pool(url: str):
    """Connections shared by every thread of this process (Streamlit's sessions, a batch's
    workers), each checked before it is lent."""
    from psycopg_pool import ConnectionPool

    made = ConnectionPool(
        url,
        min_size=1,
        max_size=POOL_SIZE,
        kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S},
        configure=configure,
        check=ConnectionPool.check_connection,
        timeout=CONNECT_TIMEOUT_S * 2,
        open=False,
        name="skinscope",
    )
    made.open(wait=False)
    return made


def problem(address: Address, exc: Exception) -> StoreError | None:
    """A failing database or file store names the database, never its password."""
    import psycopg
    from psycopg_pool import PoolTimeout

    if isinstance(exc, psycopg.OperationalError | PoolTimeout):
        return unreachable(address, exc)
    if isinstance(exc, psycopg.Error):
        return failure(address, exc)
    if isinstance(exc, OSError):
        return StoreError(
            f"The shared run store's files cannot be written or read ({exc.strerror or exc})",
            hint="Free disk space, or check SKINSCOPE_FILES_URL and its credentials.",
        )
    return None
