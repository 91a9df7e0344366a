"""What many tests share: the test face and photos made from it, a free port, emulators, a
recorded run, Chromium's fake-camera clips and a Streamlit server for the browser tests."""

from __future__ import annotations

import contextlib
import functools
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from PIL import Image

from skinapi import AnalysisSettings, Client, RetryPolicy
from skinapi.demo import DEMO_API_KEY, Emulator, EmulatorConfig
from skinapi.runs.lifecycle import Run, run_analysis
from skinapi.store import RunStore

ROOT = Path(__file__).parent.parent
ASSETS = Path(__file__).parent / "assets"
FACE_PATH = ASSETS / "face.jpg"
"""NASA's public-domain portrait from scikit-image's astronaut.png, cropped to the face."""
SAMPLE = ROOT / "skinapi" / "assets" / "sample_face.jpg"
APP = str(ROOT / "app.py")
FAKE_KEY = "sk-test-not-a-real-key-1234567890"
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    # Chromium 15x starts the omnibox's WebUI popups (a renderer) for every window, headless
    # too: 0.5 CPU-s per browser context, a fifth of a page load (`python -m tests.browser_cpu`).
    "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup",
]
"""Chromium's switches for every browser the tests start (`chromium.launch(args=...)`)."""

FAST = dict(
    processing_time=0.05,
    polling_interval=0.01,
    send_polling_interval=True,
    interval_unit="s",
    rate_limit=False,
)
"""An emulator that answers at once: for tests of behaviour, not of timing."""
BACKGROUND = (196, 198, 204)


def jpeg(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, **kwargs)
    return buffer.getvalue()


def face_image() -> Image.Image:
    return Image.open(FACE_PATH).convert("RGB")


def webcam_frame(scale: float = 1.0, size: tuple[int, int] = (1280, 720)) -> Image.Image:
    """The test face in a webcam frame, as a person sitting in front of a laptop: centred, its
    height `scale` times the frame's."""
    width, height = int(size[1] * 0.75 * scale), int(size[1] * scale)
    frame = Image.new("RGB", size, BACKGROUND)
    frame.paste(
        face_image().resize((width, height)), ((size[0] - width) // 2, (size[1] - height) // 2)
    )
    return frame


def moved_copy(image: Image.Image, dx: float = 0.0, dy: float = 0.0, scale: float = 1.0):
    """The photo (as an RGB array) shifted by (dx, dy) of its size and scaled about its centre,
    on the background: a participant who sits elsewhere than at their baseline."""
    import numpy as np

    width, height = image.size
    resized = image.resize((round(width * scale), round(height * scale)))
    frame = Image.new("RGB", image.size, BACKGROUND)
    left = round((width - resized.width) / 2 + dx * width)
    frame.paste(resized, (left, round((height - resized.height) / 2 + dy * height)))
    return np.asarray(frame)


def small_face_photo() -> Image.Image:
    """A large photo whose face fills far less than 60 % of the width (fixable by a crop)."""
    wide = Image.new("RGB", (2400, 1300), (205, 205, 210))
    wide.paste(face_image().resize((540, 720)), (900, 300))
    return wide


def quick_demo_env(monkeypatch, data_dir) -> None:
    """The environment the app's tests run it in: no key from this machine, its own history,
    the simple camera, and a quick demo emulator that names its polling interval."""
    monkeypatch.delenv("YOUCAM_API_KEY", raising=False)
    monkeypatch.setenv("SKINSCOPE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("SKINSCOPE_SIMPLE_CAMERA", "1")  # WebRTC needs a real server session
    quick = {"PROCESSING_TIME": "0.2", "POLLING_INTERVAL": "0.1", "SEND_POLLING_INTERVAL": "1",
             "RATE_LIMIT": "0"}  # fmt: skip
    for name, value in quick.items():
        monkeypatch.setenv(f"SKINSCOPE_EMULATOR_{name}", value)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gate:
    """A door in front of a local server: open, each connection to its port is carried
    through; closed, nothing listens there (a connection is refused, as when a host is down)
    and the connections it carried are cut."""

    def __init__(self, target_port: int):
        self.port, self.target = free_port(), target_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._listener: socket.socket | None = None
        self._carried: list[socket.socket] = []

    def open(self) -> Gate:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()
        return self

    def close(self) -> None:
        if self._listener is not None:
            # shutdown, not only close: a thread blocked in accept() keeps a closed socket
            # listening on Linux.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        for connection in self._carried:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self._carried.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                inside, _ = listener.accept()
            except OSError:
                return  # closed
            outside = socket.create_connection(("127.0.0.1", self.target))
            self._carried += [inside, outside]
            # The emulator answers only requests addressed to its own host (DNS rebinding).
            host = (f"Host: 127.0.0.1:{self.port}\r\n".encode(),
                    f"Host: 127.0.0.1:{self.target}\r\n".encode())  # fmt: skip
            for source, sink, swap in ((inside, outside, host), (outside, inside, None)):
                threading.Thread(target=self._pump, args=(source, sink, swap), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket, swap) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data.replace(*swap) if swap else data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


class ManualClock:
    """A clock that moves only when told: expiry and rate windows without sleeping."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def start_emulator(*, clock=None, **config) -> Emulator:
    """A fresh emulator accepting the demo key and FAKE_KEY, fast unless told otherwise."""
    values = {**FAST, "api_keys": frozenset({DEMO_API_KEY, FAKE_KEY}), **config}
    extra = {"clock": clock} if clock else {}
    return Emulator(EmulatorConfig(**values), **extra).start()


def test_client(emulator: Emulator, **kwargs) -> Client:
    kwargs.setdefault("retry", RetryPolicy(attempts=4, base_delay=0.01))
    return Client(FAKE_KEY, base_url=emulator.url, **kwargs)


test_client.__test__ = False  # a helper, not a test


def record_run(store: RunStore, client: Client, photo: bytes, settings: AnalysisSettings, **labels):
    """Run an analysis through the run lifecycle, recorded in `store`; the stored run."""
    run = Run(
        key="test",
        photo=photo,
        file=labels.pop("file", "photo.jpg"),
        source=labels.pop("source", "upload"),
        settings=settings,
        backend="emulator",
        **labels,
    )
    run_analysis(run, client, store)
    return store.get(run.id)


def record_sample_runs(data_dir: Path, *concerns: list[str]) -> None:
    """The sample photo analysed once per list of `concerns` through the run lifecycle, on an
    emulator of its own, into the SQLite run store in `data_dir` (a test server's): History and
    Compare get runs without a browser driving the Analyse page for each."""
    from skinapi.imaging.photo import sample_jpeg
    from skinapi.store import SqliteRunStore

    emulator = start_emulator(processing_time=0.05, polling_interval=0.01, rate_limit=False)
    store = SqliteRunStore(data_dir / "runs.sqlite3")
    client, photo = test_client(emulator), sample_jpeg()
    try:
        for actions in concerns:
            settings = AnalysisSettings.build(actions)
            record_run(store, client, photo, settings, file="sample.jpg")
    finally:
        store.close()
        emulator.stop()


def write_y4m(path: Path, frame: Image.Image, frames: int = 5) -> None:
    """A YUV4MPEG2 (4:2:0) clip of one still frame, for Chromium's fake camera."""
    width, height = frame.size
    y, cb, cr = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + planes)


def wait_until(condition, timeout: float = 30.0, every: float = 0.05, what: str = "a condition"):
    """Poll `condition` until it is true (its value is returned) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(every)
    raise TimeoutError(f"{what} did not hold within {timeout:g} s")


def serve_app(data_dir: Path, log_path: Path, **settings: str) -> tuple[subprocess.Popen, str]:
    """The app on a free loopback port with its own run store, no YouCam key from this machine,
    and `settings` as extra environment; (process, url) once it answers its health check."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOUCAM_")}
    hooks = str(Path(__file__).parent / "server_hooks")
    python_path = os.pathsep.join(filter(None, [hooks, env.get("PYTHONPATH")]))
    env |= {"SKINSCOPE_DATA_DIR": str(data_dir), "PYTHONPATH": python_path, **settings}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return requests.get(f"{url}/_stcore/health", timeout=1).ok
        except requests.ConnectionError:
            return False

    try:
        wait_until(healthy, timeout=60, every=0.2, what="streamlit's health check")
    except TimeoutError:
        server.kill()
        raise RuntimeError(
            f"streamlit did not become healthy within 60 s; see {log_path}"
        ) from None
    SERVERS[url] = (server, log_path)
    return server, url


SERVERS: dict[str, tuple[subprocess.Popen, Path]] = {}
"""Each test server by its url: its process and log, for `server_stacks`."""


def stop_app(url: str) -> list[str]:
    """Stop the test server at `url`; every traceback its log holds (the pages caught it or
    not, a traceback in the log is a bug), each with its last line, for a test to fail on."""
    server, log_path = SERVERS.pop(url.rstrip("/"))
    server.terminate()
    server.wait(timeout=10)
    log = log_path.read_text(errors="replace")
    found = []
    for block in log.split("Traceback (most recent call last):")[1:]:
        lines = [line for line in block.splitlines() if line and not line.startswith(" ")]
        found.append(f"{log_path}: Traceback … {lines[0] if lines else ''}")
    return found


def server_stacks(url: str) -> str:
    """Every thread's stack in the test server at `url` (by SIGUSR1, see server_hooks), and the
    end of its log."""
    server, log_path = SERVERS.get(url.rstrip("/"), (None, None))
    if server is None or server.poll() is not None:
        return f"(no running test server at {url})"
    server.send_signal(signal.SIGUSR1)
    time.sleep(1)
    return log_path.read_text(errors="replace")[-12_000:]


def run_cli(
    *args, key: str | None = FAKE_KEY, base_url: str | None = None, data_dir=None,
    env: dict[str, str] | None = None, timeout: float = 120, popen: dict | None = None,
):  # fmt: skip
    """`python -m skinapi ARGS` in a fresh interpreter, as a user runs it: none of this
    machine's YOUCAM_* or emulator settings; `key`, `base_url` and `data_dir` (the history) as
    its environment says them, then `env`. With `popen` (Popen's keywords), the process is
    returned running."""
    child = {
        k: v for k, v in os.environ.items() if not k.startswith(("YOUCAM_", "SKINSCOPE_EMULATOR_"))
    }
    if key:
        child["YOUCAM_API_KEY"] = key
    if base_url:
        child["YOUCAM_BASE_URL"] = base_url
    if data_dir:
        child["SKINSCOPE_DATA_DIR"] = str(data_dir)
    child |= env or {}
    argv = [sys.executable, "-m", "skinapi", *map(str, args)]
    if popen is not None:
        return subprocess.Popen(argv, cwd=ROOT, env=child, **popen)
    return subprocess.run(
        argv, cwd=ROOT, env=child, capture_output=True, text=True, timeout=timeout
    )


def _scan_installed_components_once() -> None:
    """Each AppTest's first run has Streamlit read the metadata of every installed package in
    search of custom components (0.18 s here, about 200 times a suite). The packages do not
    change while the tests run, so each test process reads them once and AppTest is given the
    same answer; the scan itself is Streamlit's own."""
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    if not hasattr(scan, "cache_info"):
        manifest_scanner.scan_component_manifests = functools.cache(scan)


def app_test(page: str | None = None, **secrets: str):
    """The dashboard (or one `page` file alone) under AppTest, not yet run, with these secrets (and never this machine's
    secrets.toml: a placeholder makes it a secrets file without a key)."""
    from streamlit.testing.v1 import AppTest

    _scan_installed_components_once()
    at = AppTest.from_file(str(ROOT / page) if page else APP, default_timeout=60)
    at.secrets["placeholder"] = "no key here"
    for name, value in secrets.items():
        at.secrets[name] = value
    return at
