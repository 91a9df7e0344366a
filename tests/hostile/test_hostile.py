"""`python -m skinapi analyze` against a hostile API (tests/hostile_server.py), one misbehaviour
per URL prefix, each run in a subprocess with an expected exit code.

Every case must: exit with the documented code (0 success, 2 bad input and nothing sent, 3 the API
refused, 4 the engine failed, 5 transient / timed out / protocol violation); on failure print
its error as one line, the last on stderr (progress lines may precede it), all free of
control characters; never print a traceback or any 8-char
piece of the key; write no file outside --out (absolute and ../ names from the server point into
the case's own temporary folder, where a file would be seen); stay under 500 MB of peak RSS
(/usr/bin/time); end within --timeout + 10 s; never send the bearer header to upload or result
URLs; poll at most 5 times a second; never re-send a create except after a 429.

The subprocesses of all selected cases are started together by the `runs` fixture (a few at a
time, slow ones first) so the module stays quick even when cases hang until the 60 s kill; each
test then checks its own run and lists every problem it found.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..helpers import FACE_PATH, ROOT, free_port
from .hostile_server import CASES, KEY, HostileServer, State

TIMEOUT = 5.0
"""The CLI's --timeout in every case."""
HANG = 60.0
"""A child still running after this is killed and the case fails as a hang."""
RSS_LIMIT_MB = 500
ADDRESS_SPACE_KB = 3_000_000
"""A safety net (ulimit -v) so a child that buffers an endless download dies at 3 GB instead
of taking the machine with it; the RSS assertion is what judges it."""
WORKERS = 6
pytestmark = pytest.mark.xdist_group("hostile")  # one worker runs them all (see `runs`)
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
ZIP = ("--format", "zip")
ZIP_WORDS = ("zip", "archive", "deflate", "compress", "crc", "encrypt", "entr")
SIZE_WORDS = ("MB", "GB", "size", "large", "big", "limit", "bytes")
BAD_CHARS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\udc80-\udcff]")
"""C0 controls but newline, DEL, C1 controls (8-bit CSI) and undecodable bytes."""


def nothing_sent(s: State) -> str | None:
    return f"{s.requests} request(s) reached the server: {s.paths[:3]}" if s.requests else None


def created_once(s: State) -> str | None:
    return None if s.creates == 1 else f"{s.creates} creates: the create must go out exactly once"


def creates_at_most_retries(s: State) -> str | None:
    return None if 1 <= s.creates <= 5 else f"{s.creates} creates after 429s (1–5 expected)"


def polled_more_than_once(s: State) -> str | None:
    return None if len(s.polls) >= 2 else f"only {len(s.polls)} poll(s)"


def downloaded(s: State) -> str | None:
    return None if s.downloads else "no result download reached the server"


@dataclass(frozen=True)
class Expect:
    name: str
    exit: int
    why: str
    args: tuple[str, ...] = ()
    says: tuple[str, ...] = ()
    """On failure, stderr contains one of these (case-insensitive)."""
    check: Callable[[State], str | None] | None = None
    slow: bool = False
    """Takes seconds even when handled right (stalls, retries, big transfers): started first."""
    timeout: str = f"{TIMEOUT:g}"


def case(name, exit, why, **kwargs):
    return pytest.param(Expect(name, exit, why, **kwargs), id=name)


SANITISED = "a hostile name only used for a file name: neutralised, the file stays inside OUT"
BAD_TASK_ID = "a task_id becomes a URL path and a folder name: refuse it (ProtocolError) before use"

EXPECT = [
    case("good_json", 0, "the contract played straight, JSON output and PNG masks"),
    case("good_zip", 0, "the contract played straight, a ZIP result", args=ZIP),
    # -- paths from the server -------------------------------------------------------------
    case("json_type_traversal", 0, SANITISED + " (type ../../../../escaped)"),
    case("json_region_traversal", 0, SANITISED + " (region ../../../../escaped)"),
    case("json_type_absolute", 0, SANITISED + " (type = an absolute path into tmp)"),
    case("json_type_nul", 0, SANITISED + " (type with a NUL byte)"),
    case("mask_url_traversal_name", 0, SANITISED + " (a mask URL whose name is ..%2F..%2Fescaped)"),
    case("task_id_absolute", 5, BAD_TASK_ID, says=("task_id",)),
    case("task_id_dotdot", 5, BAD_TASK_ID, says=("task_id",)),
    case("task_id_slash", 5, BAD_TASK_ID, says=("task_id",)),
    case("task_id_control_chars", 5, BAD_TASK_ID, says=("task_id",)),
    case("zip_score_key_traversal", 0, SANITISED + " (score_info.json key)", args=ZIP),
    case("zip_region_traversal", 0, SANITISED + " (score_info.json region)", args=ZIP),
    case(
        "zip_entry_dotdot",
        0,
        "ZIP entry ../../../../escaped.png: never extracted by name",
        args=ZIP,
    ),
    case(
        "zip_entry_absolute",
        0,
        "ZIP entry with an absolute name: never extracted by name",
        args=ZIP,
    ),
    # -- malformed answers -----------------------------------------------------------------
    case("error_message_list", 4, "an engine error all the same; the odd message shown safely"),
    case("error_message_dict", 4, "an engine error all the same; the odd message shown safely"),
    case("error_message_number", 4, "an engine error all the same; the odd message shown safely"),
    case("mask_urls_dict", 5, "malformed mask_urls", says=("mask_urls",)),
    case("mask_urls_number", 5, "malformed mask_urls", says=("mask_urls",)),
    case(
        "resize_image_dict",
        5,
        "resize_image mask_urls holds an object",
        says=("mask_urls", "resize_image"),
    ),
    case("reserve_files_string", 5, "upload reservation files is a string", says=("files",)),
    case("reserve_headers_list", 5, "upload request headers is a list", says=("headers",)),
    case(
        "interval_nan",
        0,
        "NaN is no interval: the default applies (issue 12: non-finite → default)",
        check=polled_more_than_once,
        slow=True,
    ),
    case(
        "interval_string",
        0,
        "'abc' is no interval: the default applies",
        check=polled_more_than_once,
        slow=True,
    ),
    case(
        "interval_negative",
        0,
        "a negative interval is no interval: the default applies",
        check=polled_more_than_once,
        slow=True,
    ),
    case(
        "interval_zero",
        0,
        "0 is no interval: the default applies, and never more than 5 polls a second",
        slow=True,
    ),
    case(
        "task_status_unknown",
        5,
        "task_status 'pending' is not in the contract",
        says=("task_status",),
    ),
    case("poll_non_json", 5, "a poll answered with text", says=("json",)),
    case("poll_json_array", 5, "a poll answered with a JSON array", says=("json", "object")),
    case("poll_data_missing", 5, "a poll answer without data", says=("data", "task_status")),
    case("create_task_id_missing", 5, "a create answer without task_id", says=("task_id",)),
    case(
        "create_task_id_number", 5, "a create answer whose task_id is a number", says=("task_id",)
    ),
    case("raw_score_string", 5, "raw_score is a string", says=("raw_score",)),
    case("reserve_html_200", 5, "an HTML page with 200 on the reservation", says=("json",)),
    case("create_html_200", 5, "an HTML page with 200 on the create", says=("json",)),
    # -- ZIP results -----------------------------------------------------------------------
    case("zip_encrypted", 5, "an encrypted entry cannot be read", args=ZIP, says=ZIP_WORDS),
    case("zip_deflate64", 5, "Deflate64 (method 9) is not supported", args=ZIP, says=ZIP_WORDS),
    case("zip_bad_crc", 5, "an entry fails its CRC", args=ZIP, says=ZIP_WORDS),
    case("zip_truncated", 5, "half a ZIP", args=ZIP, says=ZIP_WORDS),
    case("zip_not_a_zip", 5, "not a ZIP at all", args=ZIP, says=ZIP_WORDS),
    case(
        "zip_size_lie",
        5,
        "declares 1000 bytes, inflates to 300 MB: CRC fails, memory stays low",
        args=ZIP,
        says=ZIP_WORDS,
        slow=True,
        timeout="20",  # building the 300 MB ZIP is the server's own slow part
    ),
    case("zip_bomb_many_entries", 5, "5,003 entries", args=ZIP, says=ZIP_WORDS),
    case(
        "zip_bomb_huge_total",
        5,
        "12 × 100 MB of zeros",
        args=ZIP,
        says=ZIP_WORDS,
        slow=True,
        timeout="20",  # building the 1.2 GB ZIP is the server's own slow part
    ),
    case("zip_url_file_scheme", 5, "a file:// result URL is never opened", args=ZIP, slow=True),
    case("zip_url_ftp_scheme", 5, "an ftp:// result URL is never opened", args=ZIP, slow=True),
    case("mask_url_file_scheme", 5, "a file:// mask URL is never opened", slow=True),
    case("mask_redirect_file_scheme", 5, "a mask URL redirecting to file://", slow=True),
    case(
        "result_url_on_api_host",
        0,
        "a mask URL on the API's own host gets no bearer header",
        check=downloaded,
    ),
    case("upload_url_file_scheme", 5, "a file:// presigned upload URL is never used", slow=True),
    # -- time ------------------------------------------------------------------------------
    case("drip_poll", 5, "a poll body dripping a byte every 2 s: --timeout bounds it", slow=True),
    case("silent_poll", 5, "a poll that is never answered: --timeout bounds it", slow=True),
    case(
        "silent_create",
        5,
        "a create never answered: may have run, never re-sent",
        says=("billed",),
        check=created_once,
        slow=True,
    ),
    case(
        "slow_headers_reserve",
        5,
        "a header line every 2 s, never the end: --timeout bounds it",
        slow=True,
    ),
    # -- memory ----------------------------------------------------------------------------
    case(
        "mask_500mb",
        5,
        "a 500 MB mask (with Content-Length): refused at a size cap",
        says=SIZE_WORDS,
        slow=True,
    ),
    case(
        "mask_endless",
        5,
        "an endless mask (no Content-Length): refused at a size cap",
        says=SIZE_WORDS,
        slow=True,
    ),
    # -- key leaks -------------------------------------------------------------------------
    case("key_401_json_echo", 3, "401 whose JSON error echoes the key"),
    case("key_401_text_start", 3, "401 text body of 300 chars starting with the key"),
    case("key_401_text_repeated", 3, "401 text of key copies: masked before any truncation"),
    case("key_in_engine_message", 4, "an engine error_message quoting the key"),
    case("key_in_task_status", 5, "a task_status equal to the key", says=("task_status",)),
    case("key_in_request_id", 3, "an x-request-id equal to the key"),
    # -- terminal injection ----------------------------------------------------------------
    case("ansi_create_400", 3, "400 error text with ANSI, OSC, \\n, \\r, NUL, DEL, 8-bit CSI"),
    case("ansi_engine_error", 4, "engine error code and message with escapes"),
    case("ansi_request_id", 3, "an x-request-id with escapes"),
    # -- rate and billing ------------------------------------------------------------------
    case(
        "create_429_storm",
        5,
        "429 forever: retried a few times (429s were not executed)",
        check=creates_at_most_retries,
        slow=True,
    ),
    case(
        "create_502_after_execution",
        5,
        "502 after the create ran: may be billed, never re-sent",
        says=("billed",),
        check=created_once,
    ),
    case(
        "create_connection_dropped",
        5,
        "dropped after the create ran: may be billed, never re-sent",
        says=("billed",),
        check=created_once,
    ),
    # -- CLI numbers -----------------------------------------------------------------------
    case(
        "timeout_negative",
        2,
        "--timeout -5 is bad usage",
        check=nothing_sent,
        timeout="-5",
        says=("timeout",),
    ),
    case(
        "timeout_nan",
        2,
        "--timeout nan is bad usage",
        check=nothing_sent,
        timeout="nan",
        says=("timeout",),
    ),
    case(
        "timeout_inf",
        2,
        "--timeout inf is bad usage",
        check=nothing_sent,
        timeout="inf",
        says=("timeout",),
    ),
]


# -- running the CLI ---------------------------------------------------------------------------


@dataclass
class Run:
    code: int | None
    stdout: str
    stderr: str
    wall: float
    rss_kb: int | None
    hung: bool
    case_dir: Path
    out: Path
    before: set[str]
    after: set[str]


def child_env() -> dict[str, str]:
    proxies = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("YOUCAM_", "SKINSCOPE_")) and k.lower() not in proxies
    }
    return env | {"YOUCAM_API_KEY": KEY, "NO_PROXY": "127.0.0.1,localhost"}


def tree(folder: Path) -> set[str]:
    found = set()
    for parent, dirs, files in os.walk(folder):
        for name in dirs + files:
            found.add(str(Path(parent, name).relative_to(folder)))
    return found


def decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def spawn(argv: list[str], *, env: dict[str, str], rss_file: Path | None, limit: float):
    """Run argv (under ulimit -v and /usr/bin/time); kill its whole process group on a hang.
    Returns (exit code or None, stdout, stderr, wall seconds, peak RSS in KB or None)."""
    if TIME and rss_file is not None:
        argv = [TIME, "-o", str(rss_file), "-f", "%M", *argv]
    argv = ["sh", "-c", f'ulimit -v {ADDRESS_SPACE_KB} && exec "$@"', "sh", *argv]
    started = time.monotonic()
    child = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    try:
        stdout, stderr = child.communicate(timeout=limit)
        code: int | None = child.returncode
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        stdout, stderr = child.communicate()
        code = None
    wall = time.monotonic() - started
    rss = None
    if rss_file is not None and rss_file.exists():
        lines = rss_file.read_text().split()
        rss = int(lines[-1]) if lines and lines[-1].isdigit() else None
    return code, decode(stdout), decode(stderr), wall, rss


def run_case(server: HostileServer, exp: Expect, base: Path) -> Run:
    case_dir = base / exp.name
    case_dir.mkdir()
    out = case_dir / "d1" / "d2" / "d3" / "d4" / "out"
    server.prepare(exp.name, trap=str(case_dir))
    before = tree(case_dir)
    argv = [
        sys.executable, "-m", "skinapi", "analyze", str(FACE_PATH),
        "--actions", "redness,pore", "--out", str(out), "--timeout", exp.timeout,
        "--base-url", server.url(exp.name), *exp.args,
        # The photo checks are the same for every case and tested elsewhere; skipping them
        # leaves each child only the part under test, at a third of the CPU.
        "--skip-checks",
    ]  # fmt: skip
    code, stdout, stderr, wall, rss = spawn(
        argv, env=child_env(), rss_file=base / f"{exp.name}.rss", limit=HANG
    )
    after = tree(case_dir)
    for parent, _, files in os.walk(case_dir):  # judged from `after`; spare the disk
        for name in files:
            path = Path(parent, name)
            if path.is_file() and not path.is_symlink() and path.stat().st_size > 20 * 2**20:
                path.unlink()
    return Run(code, stdout, stderr, wall, rss, code is None, case_dir, out, before, after)


@pytest.fixture(scope="module")
def server():
    with HostileServer() as hostile:
        yield hostile


@pytest.fixture(scope="module")
def runs(request, server, tmp_path_factory) -> dict[str, Future]:
    """Start every selected case at once (WORKERS at a time, slow cases first)."""
    selected = [
        item.callspec.params["exp"]
        for item in request.session.items
        if getattr(item, "module", None) is sys.modules[__name__]
        and "exp" in getattr(getattr(item, "callspec", None), "params", {})
    ]
    base = tmp_path_factory.mktemp("hostile")
    pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="hostile-cli")
    futures = {
        exp.name: pool.submit(run_case, server, exp, base)
        for exp in sorted(selected, key=lambda exp: not exp.slow)
    }
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


# -- judging a run -------------------------------------------------------------------------------


def key_pieces(text: str) -> list[str]:
    return sorted({KEY[i : i + 8] for i in range(len(KEY) - 7) if KEY[i : i + 8] in text})


def stderr_problems(
    stderr: str, words: tuple[str, ...], *, failed: bool, ignore: str = "\0"
) -> list[str]:
    problems = []
    if bad := sorted(set(BAD_CHARS.findall(stderr))):
        problems.append(f"control characters on stderr: {bad!r}")
    if failed:
        # Progress lines may come first (the README documents them); the error is one line,
        # the last, and the only one that says "error:".
        lines = stderr.splitlines()
        errors = [line for line in lines if line.startswith("error:")]
        if not stderr.endswith("\n") or not lines or not lines[-1].startswith("error:"):
            problems.append(f"stderr does not end with one error line: {stderr[-300:]!r}")
        elif len(errors) != 1:
            problems.append(f"stderr has {len(errors)} error lines, not one: {stderr[-300:]!r}")
        said = stderr.replace(ignore, "").lower()
        if words and not any(w.lower() in said for w in words):
            problems.append(f"stderr names none of {words}: {stderr.strip()[-200:]!r}")
    return problems


def run_problems(exp: Expect, run: Run, state: State) -> list[str]:
    problems: list[str] = []
    last = run.stderr.strip().splitlines()[-1:] or [""]
    if run.hung:
        problems.append(f"hung: still running after {HANG:g} s; last stderr {last[0][:160]!r}")
    elif run.code != exp.exit:
        problems.append(f"exit {run.code}, expected {exp.exit}; last stderr {last[0][:200]!r}")
    if "Traceback" in run.stderr + run.stdout:
        problems.append(f"traceback: {last[0][:200]!r}")
    if pieces := key_pieces(run.stderr + run.stdout):
        problems.append(f"key pieces printed: {pieces[:3]}")
    if not run.hung:  # the case's name is in its URLs: it must not answer for `says`
        problems += stderr_problems(run.stderr, exp.says, failed=run.code != 0, ignore=exp.name)

    out_rel = run.out.relative_to(run.case_dir)
    allowed = {str(p) for p in out_rel.parents if str(p) != "."} | {str(out_rel)}
    outside = sorted(
        p
        for p in run.after - run.before
        if p not in allowed and not p.startswith(str(out_rel) + "/")
    )
    if outside:
        problems.append(f"wrote outside --out: {[str(run.case_dir / p) for p in outside[:4]]}")
    if strays := sorted(str(p) for p in ROOT.glob("*escaped*")):
        problems.append(f"wrote into the working directory: {strays}")

    if run.rss_kb is not None and run.rss_kb > RSS_LIMIT_MB * 1024:
        problems.append(f"peak RSS {run.rss_kb // 1024} MB > {RSS_LIMIT_MB} MB")
    if not run.hung and run.wall > TIMEOUT + 10:
        problems.append(f"took {run.wall:.1f} s > --timeout {TIMEOUT:g} + 10 s")

    if state.bearer_elsewhere:
        problems.append(f"Authorization sent to non-API URLs: {state.bearer_elsewhere[:3]}")
    if len(state.polls) >= 3:
        rate = (len(state.polls) - 1) / max(state.polls[-1] - state.polls[0], 1e-6)
        if rate > 5.5:
            problems.append(f"{len(state.polls)} polls at {rate:.1f}/s (> 5 per second)")
    if state.creates > 1 and exp.name != "create_429_storm":
        problems.append(f"the create was sent {state.creates} times")
    if exp.check and (problem := exp.check(state)):
        problems.append(problem)

    if run.code == 0:
        problems += document_problems(run)
    return problems


def document_problems(run: Run) -> list[str]:
    try:
        document = json.loads(run.stdout)
    except ValueError:
        return [f"stdout is not one JSON document: {run.stdout[:120]!r}"]
    if not isinstance(document, dict):
        return [f"stdout is not a JSON object: {run.stdout[:120]!r}"]
    problems = []
    out = run.out.resolve()
    for item in document.get("concerns", []):
        mask = item.get("mask")
        if mask is None:
            continue
        path = Path(mask).resolve()  # `after`, not the disk: big files are gone by now
        home = run.case_dir.resolve()
        saved = path.is_relative_to(out) and str(path.relative_to(home)) in run.after
        if not saved:
            problems.append(f"mask path {mask!r} is not a file inside --out")
    return problems


@pytest.mark.parametrize("exp", EXPECT)
def test_misbehaving_api(exp: Expect, runs, server):
    run = runs[exp.name].result()
    problems = run_problems(exp, run, server.state(exp.name))
    assert not problems, f"{exp.name} ({exp.why}):\n  " + "\n  ".join(problems)


def test_every_server_case_has_an_expectation():
    assert {p.values[0].name for p in EXPECT} == set(CASES)


def test_the_harness_itself(runs, server):
    """The well-behaved case really runs end to end, saves its masks and is measured."""
    if "good_json" not in runs:
        pytest.skip("good_json is not selected")
    run = runs["good_json"].result()
    assert run.code == 0, run.stderr
    state = server.state("good_json")
    assert state.puts == 1 and state.creates == 1 and len(state.polls) >= 2
    assert len([p for p in run.after if p.endswith(".png")]) >= 2
    if TIME is None:
        pytest.skip("/usr/bin/time is missing: peak RSS is not asserted anywhere")
    assert run.rss_kb and run.rss_kb > 10_000


# -- the emulator command --------------------------------------------------------------------


@pytest.fixture
def busy_port():
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


@pytest.mark.parametrize("how", ["port_in_use", "port_70000", "processing_time_abc"])
def test_emulator_refuses_bad_settings_in_one_line(how, request):
    env = child_env()
    if how == "port_in_use":
        port = request.getfixturevalue("busy_port")
    elif how == "port_70000":
        port = 70000
    else:
        port = free_port()
        env["SKINSCOPE_EMULATOR_PROCESSING_TIME"] = "abc"
    code, stdout, stderr, wall, _ = spawn(
        [sys.executable, "-m", "skinapi", "emulator", "--port", str(port)],
        env=env, rss_file=None, limit=10.0,
    )  # fmt: skip
    problems = []
    if code is None:
        problems.append("still running after 10 s (it should exit on its own)")
    elif code == 0:
        problems.append("exit 0")
    if "Traceback" in stderr:
        problems.append(f"traceback: {stderr.strip().splitlines()[-1][:200]!r}")
    if code is not None:
        problems += stderr_problems(stderr, (), failed=True)
    assert not problems, f"emulator {how}:\n  " + "\n  ".join(problems)
