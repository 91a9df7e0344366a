"""DNS rebinding and cross-site websockets: a browser on a page elsewhere reaches the app only
under a host name the deployment named. Streamlit refuses the websocket (`/_stcore/stream`, the
one door to the app's script, its units and its data) when the Host is not in
`server.allowedHosts` or the Origin is foreign; nginx, as `deploy/shared-store/nginx.conf`
configures it, closes any request whose Host is not the team's unanswered (444)."""

from __future__ import annotations

import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import tomllib

import pytest

from ..helpers import ROOT, free_port, serve_app, stop_app, wait_until

TEAM_HOST = "skinscope.example.com"  # the server_name in deploy/shared-store/nginx.conf
FOREIGN = "rebind.attacker.test"
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app as the image runs it: its host names from STREAMLIT_SERVER_ALLOWED_HOSTS. A foreign
    Origin makes Streamlit look up the machine's external address; the proxy variables send
    that look-up to a closed loopback port instead of the internet."""
    work = tmp_path_factory.mktemp("rebinding")
    closed = f"http://127.0.0.1:{free_port()}"
    _, url = serve_app(
        work / "data",
        work / "server.log",
        STREAMLIT_SERVER_ALLOWED_HOSTS=f"localhost 127.0.0.1 {TEAM_HOST}",
        http_proxy=closed,
        https_proxy=closed,
        HTTP_PROXY=closed,
        HTTPS_PROXY=closed,
        no_proxy="127.0.0.1,localhost",
        NO_PROXY="127.0.0.1,localhost",
    )
    yield int(url.rsplit(":", 1)[1])
    assert not stop_app(url)


def exchange(port: int, request: str) -> str:
    """The first line of the answer to `request` on 127.0.0.1:`port` ('' when the connection is
    closed without one)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request.encode())
        answer = b""
        while b"\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode()


def upgrade(port: int, host: str, origin: str | None) -> str:
    """The status line that answers a browser's websocket upgrade to the app's stream."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /_stcore/stream HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *([f"Origin: {origin}"] if origin else []),
    ]
    return exchange(port, "\r\n".join(lines) + "\r\n\r\n")


def status(line: str) -> int | None:
    found = re.match(r"HTTP/1\.[01] (\d{3})", line)
    return int(found[1]) if found else None


def test_the_apps_own_names_open_the_websocket(app):
    for host in (f"127.0.0.1:{app}", f"localhost:{app}", f"{TEAM_HOST}:{app}"):
        assert status(upgrade(app, host, f"http://{host}")) == 101, host


def test_a_rebound_host_name_is_refused(app):
    """DNS rebinding: the attacker's page and its websocket carry the attacker's name in both
    Host and Origin (same-origin to the browser); only the Host allow-list can tell."""
    host = f"{FOREIGN}:{app}"
    assert status(upgrade(app, host, f"http://{host}")) == 403
    assert status(upgrade(app, host, None)) == 403


def test_a_foreign_origin_is_refused_on_the_apps_own_name(app):
    """Cross-site websocket hijacking: a page elsewhere opens a websocket to the app's own
    address; the browser names the page's origin."""
    assert status(upgrade(app, f"127.0.0.1:{app}", f"http://{FOREIGN}")) == 403
    assert status(upgrade(app, f"{TEAM_HOST}:{app}", f"https://{FOREIGN}")) == 403


def test_the_project_config_names_only_loopback_hosts():
    """`streamlit run app.py` on a machine: the websocket answers loopback names only."""
    probe = (
        "from streamlit import config; config.get_config_options(force_reparse=True); "
        "print(' '.join(config.get_option('server.allowedHosts')))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert sorted(shown.stdout.split()) == ["127.0.0.1", "::1", "localhost"]


@pytest.fixture(scope="module")
def proxy(app, tmp_path_factory):
    """nginx with the shipped configuration, its two replicas both this test's app."""
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light; .ci/run installs it)")
    work = tmp_path_factory.mktemp("nginx")
    port = free_port()
    conf = (ROOT / "deploy" / "shared-store" / "nginx.conf").read_text()
    assert conf.count("listen 8501") == 2 and f" {TEAM_HOST};" in conf
    conf = re.sub(r"server app-\d:8501;", f"server 127.0.0.1:{app};", conf)
    conf = conf.replace("listen 8501", f"listen 127.0.0.1:{port}")
    conf = conf.replace(
        "http {", f"http {{\n    access_log off;\n    client_body_temp_path {work};", 1
    )
    (work / "nginx.conf").write_text(conf)
    directives = f"daemon off; pid {work}/nginx.pid; error_log {work}/error.log;"
    server = subprocess.Popen(
        [NGINX, "-p", str(work), "-c", str(work / "nginx.conf"), "-g", directives],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            assert server.poll() is None, (work / "error.log").read_text()
            return False

    wait_until(listening, timeout=10, what="nginx")
    yield port
    server.terminate()
    server.wait(timeout=10)


def get(port: int, host: str, path: str = "/_stcore/health") -> str:
    return exchange(port, f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")


def test_the_proxy_answers_the_teams_host_only(proxy):
    assert status(get(proxy, TEAM_HOST)) == 200
    assert status(get(proxy, f"localhost:{proxy}", "/")) == 200
    for host in (FOREIGN, f"{FOREIGN}:{proxy}", f"127.0.0.1:{proxy}"):
        for path in ("/_stcore/health", "/", "/_stcore/stream"):
            assert get(proxy, host, path) == "", (host, path)  # 444: closed unanswered


def test_the_proxy_passes_the_teams_websocket_and_streamlit_still_checks_origin(proxy):
    host = f"{TEAM_HOST}:{proxy}"
    assert status(upgrade(proxy, host, f"http://{host}")) == 101
    assert status(upgrade(proxy, host, f"http://{FOREIGN}")) == 403
    assert upgrade(proxy, f"{FOREIGN}:{proxy}", f"http://{FOREIGN}:{proxy}") == ""


def test_the_container_binds_every_interface_only_inside_it():
    """The image's command binds 0.0.0.0 and names its hosts; the project's config stays on
    loopback (tests/app checks it as Streamlit reads it)."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert '"--server.address=0.0.0.0"' in dockerfile
    assert "STREAMLIT_SERVER_ALLOWED_HOSTS=" in dockerfile
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
