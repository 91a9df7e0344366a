import atexit
import os
import shutil
import signal
import tempfile

import pytest

from skinapi.demo import Emulator

from .helpers import FACE_PATH, face_image, quick_demo_env, start_emulator, test_client

# `analyze` and `batch` record into the run store: CLI children write into this session's own
# history, never the developer's (a child environment without SKINSCOPE_* falls back on
# XDG_DATA_HOME). Tests that need a history of their own still set SKINSCOPE_DATA_DIR.
_DATA_HOME = tempfile.mkdtemp(prefix="skinscope-tests-")
atexit.register(shutil.rmtree, _DATA_HOME, ignore_errors=True)
os.environ["XDG_DATA_HOME"] = _DATA_HOME
os.environ["SKINSCOPE_DATA_DIR"] = os.path.join(_DATA_HOME, "skinscope")
# The CLIs and servers the tests start keep their compiled bytecode, as any machine does after a
# first run: this one sets PYTHONDONTWRITEBYTECODE, so each child compiled SkinScope again.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
os.environ["PYTHONPYCACHEPREFIX"] = os.path.join(_DATA_HOME, "bytecode")
# A suite started in the background (`cmd &` in a script) inherits SIGINT ignored, and Python
# keeps it ignored, as it should for a background job: the Ctrl-C tests then sent a Ctrl-C that
# nothing heard (seen in a CI run started that way). They test a terminal's Ctrl-C, so this
# process, and through it the CLIs it starts, take SIGINT as a terminal's job does.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def face_bytes() -> bytes:
    return FACE_PATH.read_bytes()


@pytest.fixture(name="face_image")
def face_image_fixture():
    return face_image()


@pytest.fixture
def quick_emulator(monkeypatch, tmp_path):
    """For the app under AppTest: a fresh demo emulator and history for the test, quick but
    not instant, with no key from this machine — what the app builds through its cached
    `demo_emulator`."""
    from skinapi.ui.connection import demo_emulator

    quick_demo_env(monkeypatch, tmp_path / "data")
    demo_emulator.clear()
    emulator = demo_emulator()
    yield emulator
    emulator.stop()
    demo_emulator.clear()


@pytest.fixture
def emulator_factory():
    started = []

    def make(*, clock=None, **config) -> Emulator:
        emulator = start_emulator(clock=clock, **config)
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(emulator_factory) -> Emulator:
    return emulator_factory()


@pytest.fixture
def client(emulator):
    return test_client(emulator)


_UNGROUPED = pytest.StashKey[bool]()


@pytest.hookimpl(trylast=True)  # after pytest-xdist has named each test's group
def pytest_collection_modifyitems(config, items):
    """The browser tests (the longest groups) go first, so the workers start them at once and
    share out everything else behind them."""
    if getattr(config.option, "loadgroup", False):
        for item in items:
            if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
                item.stash[_UNGROUPED] = True
    in_browser = [item.get_closest_marker("browser") is not None for item in items]
    items[:] = [i for i, b in zip(items, in_browser, strict=True) if b] + [
        i for i, b in zip(items, in_browser, strict=True) if not b
    ]


def pytest_runtest_setup(item):
    """A test of an xdist group that pytest-xdist did not name fails: the group's tests would be
    spread over the workers, each starting the group's servers and browser again (pytest 9.2
    with pytest-xdist 3.8 did so, silently)."""
    if item.stash.get(_UNGROUPED, False):
        pytest.fail(
            "pytest-xdist did not put this test in its xdist_group: install the versions in "
            "requirements-dev.txt",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL for the session (per worker); tests take a schema of their own."""
    from .shared_store import postgres_binaries, start_postgres

    binaries = postgres_binaries()
    if binaries is None:
        pytest.skip(
            "no PostgreSQL binaries: neither the pgserver wheel (requirements-dev.txt) nor "
            "Debian's postgresql is installed"
        )
    server = start_postgres(binaries)
    yield server
    server.stop()


@pytest.fixture
def database_url(postgres_server, monkeypatch) -> str:
    """A fresh schema in the session's PostgreSQL, named by SKINSCOPE_DATABASE_URL for this
    test and the processes it starts."""
    url = postgres_server.fresh_schema()
    monkeypatch.setenv("SKINSCOPE_DATABASE_URL", url)
    return url


@pytest.fixture(scope="session")
def s3_server():
    """One S3 (moto_server) for the session (per worker); tests take a prefix of their own."""
    from .shared_store import start_s3

    server = start_s3()
    yield server
    server.stop()


@pytest.fixture
def files_url(s3_server, monkeypatch) -> str:
    """A fresh prefix in the session's S3 bucket, named by SKINSCOPE_FILES_URL (with the AWS
    variables) for this test and the processes it starts."""
    import secrets

    for name, value in s3_server.environment().items():
        monkeypatch.setenv(name, value)
    url = f"s3://{s3_server.bucket}/t_{secrets.token_hex(6)}"
    monkeypatch.setenv("SKINSCOPE_FILES_URL", url)
    return url
