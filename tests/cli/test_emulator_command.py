"""`python -m skinapi emulator` as someone pointing an existing client at it runs it: with
`--any-key` (or SKINSCOPE_EMULATOR_ANY_KEY=1) any non-empty key works, else only the demo key."""

from __future__ import annotations

import socket
import subprocess

import pytest
import requests

from ..helpers import run_cli

SOMEONE_ELSES_KEY = "sk-a-key-their-client-already-uses"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    "flags, env, status",
    [
        (["--any-key"], {}, 200),
        ([], {"SKINSCOPE_EMULATOR_ANY_KEY": "1"}, 200),
        ([], {}, 401),
    ],
    ids=["flag", "environment", "default"],
)
def test_the_emulator_command_takes_any_key_only_when_asked(flags, env, status):
    port = free_port()
    server = run_cli(
        "emulator", "--port", port, *flags, env=env,
        popen={"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True},
    )  # fmt: skip
    try:
        banner = server.stdout.readline()
        assert f"127.0.0.1:{port}" in banner, server.stderr.read() if server.poll() else banner
        assert ("any non-empty key" in banner) == (status == 200)
        answer = requests.get(
            f"http://127.0.0.1:{port}/s2s/v1.0/client/credit",
            headers={"Authorization": f"Bearer {SOMEONE_ELSES_KEY}"},
            timeout=5,
        )
        assert answer.status_code == status
    finally:
        server.terminate()
        server.wait(timeout=10)
