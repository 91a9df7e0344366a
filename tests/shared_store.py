"""The shared store's servers for the tests, started offline: PostgreSQL from the `pgserver`
wheel's own binaries (or Debian's `postgresql`) as an unprivileged user — `initdb` refuses root —
and S3 from `moto_server`. One server of each per test session (per xdist worker); each test gets
a schema of its own, created by a database owner without superuser rights."""

from __future__ import annotations

import glob
import importlib.util
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .helpers import free_port

OWNER, OWNER_PASSWORD = "skinscope", "fake-db-password-7f3a"
"""The store's database owner: no superuser rights; a fake password."""
START_DEADLINE_S = 30


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def postgres_binaries() -> Path | None:
    """pgserver's bundled PostgreSQL 16 (found without importing pgserver, whose Python API
    changes folder permissions), else Debian's newest."""
    spec = importlib.util.find_spec("pgserver")
    if spec and spec.origin:
        bundled = Path(spec.origin).parent / "pginstall" / "bin"
        if (bundled / "postgres").exists():
            return bundled
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return Path(debian[-1]).parent if debian else None


def _as_server_user() -> dict:
    if os.geteuid() != 0:
        return {}
    return {"user": "nobody", "group": "nogroup", "extra_groups": []}


@dataclass
class PostgresServer:
    process: subprocess.Popen
    root: Path
    port: int

    def url(self, schema: str | None = None) -> str:
        url = f"postgresql://{OWNER}:{OWNER_PASSWORD}@127.0.0.1:{self.port}/{OWNER}"
        return url + (f"?options={quote(f'-csearch_path={schema}')}" if schema else "")

    def admin(self):
        import psycopg

        return psycopg.connect(
            host=str(self.root / "sock"), port=self.port, user="postgres", dbname="postgres",
            autocommit=True,
        )  # fmt: skip

    def fresh_schema(self) -> str:
        """A schema of the owner's own, for one test: its runs and its leases apart."""
        import psycopg

        name = f"t_{secrets.token_hex(6)}"
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f"CREATE SCHEMA {name}")
        return self.url(name)

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.root, ignore_errors=True)


def _reachable(binaries: Path, root: Path, user: dict) -> Path:
    """`binaries`, or a copy of their installation in `root` when the server's user cannot
    reach them (a checkout under root's own 0700 home, as a CI clone may be)."""
    try:
        subprocess.run([binaries / "postgres", "--version"], check=True, capture_output=True,
                       timeout=30, **user)  # fmt: skip
        return binaries
    except (OSError, subprocess.SubprocessError):
        # The wheel's binaries find their libraries at $ORIGIN/../../../pgserver.libs: the copy
        # keeps that shape (root/pgserver/pginstall/bin beside root/pgserver.libs).
        install = root / "pgserver" / "pginstall"
        for part in ("bin", "lib", "share"):
            if (binaries.parent / part).is_dir():
                shutil.copytree(binaries.parent / part, install / part, symlinks=True)
        libs = binaries.parent.parent.parent / "pgserver.libs"
        if libs.is_dir():
            shutil.copytree(libs, root / "pgserver.libs", symlinks=True)
        for folder in (p for p in root.rglob("*") if p.is_dir()):
            folder.chmod(0o755)
        return install / "bin"


def start_postgres(binaries: Path) -> PostgresServer:
    """initdb and postgres as `nobody` (when we are root) in a folder of their own: a 0711
    parent, the data and the socket folder owned by the server's user; loopback only, no fsync."""
    root = Path(tempfile.mkdtemp(prefix="skinscope-pg-"))
    os.chmod(root, 0o711)
    user = _as_server_user()
    binaries = _reachable(binaries, root, user)
    for folder in ("data", "sock"):
        (root / folder).mkdir()
        if user:
            shutil.chown(root / folder, "nobody", "nogroup")
    subprocess.run(
        [binaries / "initdb", "-D", root / "data", "-U", "postgres", "--no-sync",
         "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
        check=True, capture_output=True, cwd=root, **user,
    )  # fmt: skip
    port = free_port()
    process = subprocess.Popen(
        [binaries / "postgres", "-D", root / "data", "-p", str(port),
         "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={root / 'sock'}",
         "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
         "-c", "max_connections=300"],
        stdout=subprocess.DEVNULL, stderr=open(root / "server.log", "wb"), cwd=root, **user,
    )  # fmt: skip
    server = PostgresServer(process, root, port)
    deadline = time.monotonic() + START_DEADLINE_S
    while True:
        try:
            with server.admin() as db:
                db.execute(f"CREATE ROLE {OWNER} LOGIN PASSWORD '{OWNER_PASSWORD}' NOSUPERUSER")
                db.execute(f"CREATE DATABASE {OWNER} OWNER {OWNER}")
            return server
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                log = (root / "server.log").read_text(errors="replace")[-2000:]
                server.stop()
                raise RuntimeError(f"PostgreSQL did not start: {log}") from None
            time.sleep(0.05)


@dataclass
class S3Server:
    process: subprocess.Popen
    url: str
    bucket: str = "skinscope-tests"

    def environment(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "fake-access-key",
            "AWS_SECRET_ACCESS_KEY": "fake-secret-key",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def stop(self) -> None:
        stop_process(self.process)


def start_s3() -> S3Server:
    import requests

    port = free_port()
    moto = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [moto, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_DEADLINE_S
    while True:
        try:
            requests.get(url + "/moto-api/", timeout=1)
            break
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.05)
    server = S3Server(process, url)
    requests.put(f"{url}/{server.bucket}", timeout=5).raise_for_status()  # moto takes any key
    return server
