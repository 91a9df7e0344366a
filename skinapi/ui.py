"""The dashboard's Streamlit glue: connection, cached resources, the run flow and shared widgets.

The only module of `skinapi` that imports Streamlit; `import skinapi` never loads it.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import streamlit as st
from PIL import Image

from . import charts, overlay
from . import runs as recorded
from .client import DEFAULT_BASE_URL, Client, Progress
from .concerns import AnalysisSettings
from .emulator import DEMO_API_KEY, Emulator, EmulatorConfig
from .errors import DeadlineExceeded, InvalidTaskIdError, PhotoError, SkinApiError
from .photo import PhotoReport, check_photo, load_photo
from .results import AnalysisResult
from .store import RunStore, StoredRun, StoreError

DEMO, LIVE = "demo", "live"
DEMO_NOTICE = "Demo mode: scores come from SkinScope's demo engine, not from YouCam's AI."
PHASE_LABELS = {
    "checking": "Checking the photo…",
    "uploading": "Uploading the photo…",
    "creating": "Creating the analysis task…",
    "waiting": "Waiting for the analysis…",
    "downloading": "Downloading results and masks…",
    "done": "Analysis complete",
}


# -- page state ----------------------------------------------------------------------------


_router = {"has_run": False}


def router_ran() -> None:
    """Called by app.py once its st.navigation is in place."""
    _router["has_run"] = True


def routed_by_app() -> None:
    """Make sure a page runs inside app.py's navigation. When the first request after the server
    starts is a direct link to a page (a kiosk's bookmark of /live), Streamlit sees the pages/
    folder and runs the page file alone, in its older multipage mode: no sidebar, no connection,
    no page layout. That mode is switched off and the run repeated, this time through app.py."""
    from streamlit.runtime.pages_manager import PagesManager

    if not _router["has_run"] and PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def remembered(widget, *args, key: str, **kwargs):
    """Draw `widget` so that its value survives visits to other pages.

    Streamlit drops the state of widgets a page did not draw; the value is kept under its own
    key and handed back when the page is drawn again."""
    store = "kept_" + key
    if key not in st.session_state and store in st.session_state:
        st.session_state[key] = st.session_state[store]
    if key in st.session_state:
        for default in ("index", "value", "default"):
            kwargs.pop(default, None)
    value = widget(*args, key=key, **kwargs)
    st.session_state[store] = value
    return value


def remember_photo(source: str, data: bytes | None, name: str) -> tuple[bytes | None, str, bool]:
    """The photo from `source`, or the last one it gave when the widget came back empty after
    a page switch; the flag says the photo is a remembered one."""
    store = st.session_state.setdefault("photo_last", {})
    if data is not None:
        store[source] = (data, name)
        return data, name, False
    if source in store:
        data, name = store[source]
        return data, name, True
    return None, name, False


def forget_photo(source: str) -> None:
    st.session_state.setdefault("photo_last", {}).pop(source, None)


# -- connection ------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def demo_emulator() -> Emulator:
    """One emulator per process, on a free port of 127.0.0.1."""
    return Emulator(EmulatorConfig.from_env()).start()


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
    typed = st.session_state.get("settings_api_key")
    if typed:
        return typed, "typed in"
    if key := _secret("YOUCAM_API_KEY"):
        return key, "secrets.toml"
    if key := os.environ.get("YOUCAM_API_KEY"):
        return key, "environment"
    return None, None


def base_url() -> str:
    return (
        st.session_state.get("settings_base_url")
        or _secret("YOUCAM_BASE_URL")
        or os.environ.get("YOUCAM_BASE_URL")
        or DEFAULT_BASE_URL
    )


@dataclass(frozen=True)
class Connection:
    mode: str
    client: Client | None
    key_source: str | None
    base_url: str

    @property
    def label(self) -> str:
        return "Demo (emulator)" if self.mode == DEMO else "Live (YouCam API)"


def connection() -> Connection:
    key, source = find_key()
    mode = st.session_state.get("connection_mode") or (LIVE if key else DEMO)
    version = st.session_state.get("settings_api_version", "v2.1")
    timeout = float(st.session_state.get("settings_timeout", 30.0))
    if mode == DEMO:
        emulator = demo_emulator()
        return Connection(
            DEMO, _client(DEMO_API_KEY, emulator.url, version, timeout), None, emulator.url
        )
    url = base_url()
    client = _client(key, url, version, timeout) if key else None
    return Connection(LIVE, client, source, url)


def masked(key: str | None) -> str:
    return "not set" if not key else f"•••• {key[-4:]}" if len(key) > 12 else "••••"


def sidebar() -> Connection:
    key, source = find_key()
    with st.sidebar:
        st.markdown("### Connection")
        current = st.session_state.get("connection_mode") or (LIVE if key else DEMO)
        choice = st.radio(
            "Connection",
            [DEMO, LIVE],
            index=[DEMO, LIVE].index(current),
            format_func=lambda m: "Demo (emulator)" if m == DEMO else "Live (YouCam API)",
            label_visibility="collapsed",
            key="sidebar_connection",
        )
        st.session_state["connection_mode"] = choice
        if choice == DEMO:
            st.caption("No key needed. " + DEMO_NOTICE)
        elif key:
            st.caption(f"Key from {source}: {masked(key)}")
        else:
            st.warning(
                "No API key yet. Add one on the Settings page, in secrets.toml or as YOUCAM_API_KEY."
            )
        if history_problem():
            st.warning("The run history cannot be opened; see the History page.")
        running = [r for r in runs().values() if r.in_flight]
        if running:
            st.info(f"A task is in flight: `{running[0].task_id or 'starting'}`.")
            st.page_link(
                "pages/analyse.py", label="Follow it on Analyse", icon=":material/hourglass_top:"
            )
    return connection()


# -- the run store ---------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _store(path: str) -> RunStore:
    return RunStore(path)


def store_path() -> str:
    from .store import default_path

    return str(default_path())


def history() -> RunStore | None:
    """The run store, or None (with the reason in `history_problem`) when it is unusable."""
    try:
        return _store(store_path())
    except StoreError:
        return None


def history_problem() -> StoreError | None:
    try:
        _store(store_path())
    except StoreError as exc:
        return exc
    return None


def start_fresh_history() -> None:
    _store.clear()
    RunStore.fresh(store_path()).close()


def run_from_store(stored: StoredRun) -> Run:
    """A stored run as the session's Run, to open it in Results or resume it."""
    store = history()
    result = store.load_result(stored) if store else None
    try:
        photo = store.photo(stored.id) if store else b""
    except OSError:
        photo = b""
    error = None
    if stored.state in ("error", "expired"):
        error = {
            "message": stored.error_message or "The run failed.",
            "hint": "",
            "error_code": stored.error_code,
            "task_id": stored.task_id,
        }
    return Run(
        key=f"stored-{stored.id}",
        photo=photo,
        photo_name="photo.jpg",
        source=stored.source,
        settings=stored.analysis_settings,
        mode=stored.mode,
        state=stored.state if stored.state != "pending" else "interrupted",
        task_id=stored.task_id,
        result=result,
        error=error,
        duration=stored.duration,
        store_id=stored.id,
        label=stored.label,
    )


def open_in_results(stored: StoredRun) -> None:
    run = run_from_store(stored)
    runs()[run.key] = run
    st.session_state["current_run"] = run.key
    st.switch_page("pages/results.py")


def client_for(mode: str) -> Client | None:
    """The client for a stored run's mode, whatever the sidebar says now."""
    if mode == DEMO:
        emulator = demo_emulator()
        return _client(DEMO_API_KEY, emulator.url, "v2.1", 30.0)
    key, _ = find_key()
    return _client(key, base_url(), "v2.1", 30.0) if key else None


def resume_stored_runs() -> None:
    """Runs left pending or running by an earlier session (or a crash) are polled again by
    task_id — once per session, so a failing resume cannot loop."""
    store = history()
    if store is None:
        return
    tried = st.session_state.setdefault("history_resumed", set())
    for stored in store.pending():
        if stored.id in tried or any(r.store_id == stored.id for r in runs().values()):
            continue
        tried.add(stored.id)
        if not stored.task_id:
            recorded.mark_unsent(store, stored.id)
            continue
        client = client_for(stored.mode)
        if client is None:
            continue
        run = run_from_store(stored)
        run.state = "running"
        runs()[run.key] = run
        st.caption(f"Resuming run {stored.id} (task `{stored.task_id}`) left unfinished earlier.")
        execute(run, client)


# -- runs ------------------------------------------------------------------------------------


@dataclass
class Run:
    """One analysis as the session knows it; the task_id is stored before the first poll."""

    key: str
    photo: bytes
    photo_name: str
    source: str
    settings: AnalysisSettings
    mode: str
    state: str = "new"
    """new → uploading → running → success | error | stalled | interrupted."""
    task_id: str | None = None
    result: AnalysisResult | None = None
    error: dict | None = None
    started: float = field(default_factory=time.time)
    duration: float | None = None
    polls: int = 0
    store_id: str | None = None
    """The run's id in the run store, when the history is usable."""
    label: str = ""
    trial: str = ""
    participant: str = ""

    @property
    def in_flight(self) -> bool:
        return self.state in ("uploading", "running")

    @property
    def units(self) -> int:
        return self.settings.units if self.state == "success" else 0


def photo_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def run_key(photo: bytes, settings: AnalysisSettings, mode: str) -> str:
    return hashlib.sha256((photo_hash(photo) + repr(settings) + mode).encode()).hexdigest()[:16]


def runs() -> dict[str, Run]:
    return st.session_state.setdefault("runs", {})


def current_run() -> Run | None:
    key = st.session_state.get("current_run")
    return runs().get(key) if key else None


def execute(run: Run, client: Client) -> None:
    """Run (or resume, when the run has a task_id) inside an `st.status`, recording as it goes.
    A rerun that interrupts the wait leaves the run `running` with its task_id: the next script
    run resumes it instead of creating another task."""
    resuming = run.task_id is not None
    label = "Resuming the analysis…" if resuming else PHASE_LABELS["checking"]
    with st.status(label, expanded=True) as status:
        line = st.empty()

        def on_progress(p: Progress) -> None:
            if p.phase == "waiting" and p.polls:
                run.polls = p.polls
                line.markdown(
                    f"Task `{p.task_id}` · {p.elapsed:.1f} s elapsed · poll {p.polls} · "
                    f"every {p.interval:g} s"
                )
            status.update(label=PHASE_LABELS[p.phase])

        def on_created(task_id: str) -> None:
            run.task_id = task_id
            run.state = "running"

        start = time.monotonic()
        store = history()
        try:
            if resuming:
                run.state = "running"
                if store and run.store_id and (stored := store.get(run.store_id)):
                    result = recorded.resume_recorded(
                        client, store, stored, on_progress=on_progress
                    )
                else:
                    result = client.resume(run.task_id, run.settings, on_progress=on_progress)
            else:
                run.state = "uploading"
                if store:
                    run.store_id = store.begin(
                        photo=run.photo,
                        settings=run.settings,
                        mode=run.mode,
                        source=run.source,
                        photo_hash=photo_hash(run.photo),
                        label=run.label,
                        trial=run.trial,
                        participant=run.participant,
                    )
                    result = recorded.analyze_recorded(
                        client,
                        store,
                        run.store_id,
                        run.photo,
                        run.settings,
                        file_name=run.photo_name,
                        on_progress=on_progress,
                        on_task_created=on_created,
                    )
                else:
                    result = client.analyze(
                        run.photo,
                        run.settings,
                        file_name=run.photo_name,
                        on_progress=on_progress,
                        on_task_created=on_created,
                    )
        except DeadlineExceeded as exc:
            run.state, run.error = "stalled", _error_dict(exc)
            status.update(label="Still running on the API's side", state="error")
            return
        except InvalidTaskIdError as exc:
            run.state, run.error = "error", _error_dict(exc)
            run.error["message"] = recorded.EXPIRED_MESSAGE
            status.update(label="The task expired", state="error")
            return
        except SkinApiError as exc:
            run.state, run.error = "error", _error_dict(exc)
            status.update(label="The analysis failed", state="error")
            return
        run.result, run.state = result, "success"
        run.duration = (run.duration or 0.0) + time.monotonic() - start
        line.markdown(f"Task `{run.task_id}` · {run.duration:.1f} s · {run.polls} polls")
        status.update(label=PHASE_LABELS["done"], state="complete", expanded=False)


def mark_interrupted(run: Run) -> None:
    """A run stopped before its create request (a rerun hit the upload): nothing was billed.
    The task_id is stored the instant the create returns, with no Streamlit call in between,
    so a run still 'uploading' on a later script run never reached the create."""
    run.state = "interrupted"
    store = history()
    if store and run.store_id:
        recorded.mark_unsent(store, run.store_id)


def _error_dict(exc: SkinApiError) -> dict:
    return exc.as_dict() | {"text": str(exc)}


def show_error(error: dict) -> None:
    lines = [f"**{error['message'].rstrip('.')}.**"]
    if error.get("hint") and error["hint"].rstrip(".") != error["message"].rstrip("."):
        lines.append(error["hint"])
    details = [
        f"{name} `{error[k]}`"
        for k, name in (("error_code", "code"), ("task_id", "task"), ("request_id", "request id"))
        if error.get(k)
    ]
    if details:
        lines.append(" · ".join(details))
    st.error("  \n".join(lines), icon=":material/error:")


# -- photos ----------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=32)
def inspect_photo(data: bytes, mode: str) -> tuple[PhotoReport | None, str | None]:
    """(report, None) or (None, why it cannot be read)."""
    try:
        return check_photo(load_photo(data), mode), None
    except PhotoError as exc:
        return None, str(exc)


# -- overlays --------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=8)
def _layers(task_id: str, _result: AnalysisResult, _base: bytes) -> tuple[np.ndarray, dict]:
    base = np.asarray(Image.open(io.BytesIO(_base)).convert("RGB"))
    if max(base.shape[:2]) > 1600:
        scale = 1600 / max(base.shape[:2])
        base = np.asarray(
            Image.fromarray(base).resize(
                (round(base.shape[1] * scale), round(base.shape[0] * scale)),
                Image.Resampling.BILINEAR,
            )
        )
    return base, overlay.decode_layers(_result.masks, (base.shape[1], base.shape[0]))


def overlay_base(run: Run) -> bytes:
    """The photo the masks are drawn on: the engine's resized copy when given, else the upload."""
    return run.result.resized_image or run.photo


@st.cache_data(show_spinner=False, max_entries=64)
def overlay_image(
    task_id: str,
    keys: tuple[str, ...],
    colours: tuple[tuple[str, str], ...],
    opacity: float,
    _run: Run,
) -> bytes:
    base, layers = _layers(task_id, _run.result, overlay_base(_run))
    return overlay.to_jpeg(overlay.composite(base, layers, list(keys), dict(colours), opacity))


def blended_layers(run: Run, keys: list[str]) -> list[tuple[str, np.ndarray]]:
    _, layers = _layers(run.task_id, run.result, overlay_base(run))
    return [(k, layers[k].blended) for k in keys if k in layers and layers[k].blended is not None]


def base_image(run: Run) -> np.ndarray:
    return _layers(run.task_id, run.result, overlay_base(run))[0]


def wipe(run: Run, overlay_jpeg: bytes, position: int) -> np.ndarray:
    """Masks left of `position` % of the width, the original right of it, a line between."""
    base = base_image(run)
    painted = np.asarray(Image.open(io.BytesIO(overlay_jpeg)).convert("RGB"))
    split = int(base.shape[1] * position / 100)
    out = base.copy()
    out[:, :split] = painted[:, :split]
    out[:, max(split - 2, 0) : split + 2] = 255
    return out


def delete_runs_everywhere(store: RunStore, stored_runs: list[StoredRun]) -> list[str]:
    """Delete each run's task at the API, then locally; a run whose API delete fails is kept."""
    failures = []
    for run in stored_runs:
        if run.task_id:
            client = client_for(run.mode)
            if client is None:
                failures.append(
                    f"Run {run.id}: live mode needs an API key to delete its task; kept."
                )
                continue
            try:
                client.delete_task(run.task_id)
            except InvalidTaskIdError:
                pass  # the API no longer has it: nothing is left to delete there
            except SkinApiError as exc:
                failures.append(
                    f"Run {run.id}: the API did not delete its task ({exc}); kept locally."
                )
                continue
        store.delete(run.id)
    return failures


def show_balance() -> None:
    conn = connection()
    if conn.client is None:
        st.warning("No API key: type one on the Settings page, or switch to Demo in the sidebar.")
        return
    try:
        balance = conn.client.credit_balance()
    except SkinApiError as exc:
        show_error(_error_dict(exc))
    else:
        st.success(f"Connected to {conn.label} at {conn.base_url}: {balance:g} units left.")


# -- live camera -----------------------------------------------------------------------------


LIVE_VIDEO_KEY = "live-camera"


def _loopback_ice() -> None:
    """With SKINSCOPE_WEBRTC_LOOPBACK=1 the server offers 127.0.0.1 as its only ICE candidate
    (aioice leaves loopback out), so the camera works in a machine or namespace whose only
    network is loopback: the browser tests run that way."""
    if os.environ.get("SKINSCOPE_WEBRTC_LOOPBACK") != "1":
        return
    import aioice.ice

    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def live_camera(state):
    """The real-time camera (streamlit-webrtc, no ICE servers: it needs no internet), drawing the
    guidance on every frame; None when streamlit-webrtc is not installed."""
    try:
        import av
        from streamlit_webrtc import WebRtcMode, webrtc_streamer
    except ImportError:
        st.caption("Live guidance needs streamlit-webrtc; using the simple camera.")
        return None
    _loopback_ice()

    def on_frame(frame):
        started = time.perf_counter()
        rgb = frame.to_ndarray(format="rgb24")
        preview = state.on_frame(rgb)
        state.frame_ms = 1000 * (time.perf_counter() - started)
        # The preview goes back at most 640 px wide: encoding it costs the server a fraction
        # of full size, which leaves the browser's encoder room to keep sending 720p.
        if preview.shape[1] > 640:
            height = round(preview.shape[0] * 640 / preview.shape[1])
            preview = cv2.resize(preview, (640, height), interpolation=cv2.INTER_AREA)
        return av.VideoFrame.from_ndarray(preview, format="rgb24")

    return webrtc_streamer(
        key=LIVE_VIDEO_KEY,
        mode=WebRtcMode.SENDRECV,
        rtc_configuration={"iceServers": []},
        media_stream_constraints={
            "video": {
                "width": {"ideal": 540},
                "height": {"ideal": 720},
                "aspectRatio": {"ideal": 0.75},
                "resizeMode": "crop-and-scale",
                "frameRate": {"ideal": 15, "max": 15},
            },
            "audio": False,
        },
        video_frame_callback=on_frame,
        async_processing=True,
    )


_photo_camera = st.components.v2.component(
    "skinscope_photo_camera",
    js=(Path(__file__).parent / "assets" / "still_camera.js").read_text(),
)
PHOTO_CAMERA_IDEAL = (1920, 1080)


@dataclass(frozen=True)
class PhotoCamera:
    """What the browser's photo camera reported: its size, or why it could not open."""

    size: tuple[int, int] | None
    label: str
    error: str | None
    still: dict | None
    """The last still taken: request number, base64 JPEG, width, height."""


def photo_camera(request: int | None, camera_known: bool) -> PhotoCamera:
    """The browser-side photo camera of the Live trial: it opens the camera at up to 1080p and
    takes a still for each new `request` number (see assets/still_camera.js)."""
    width, height = PHOTO_CAMERA_IDEAL
    result = _photo_camera(
        key="live-photo-camera",
        data={
            "request": request,
            "width": width,
            "height": height,
            "videoKey": LIVE_VIDEO_KEY,
            "cameraKnown": camera_known,
        },
        default={"camera": None, "still": None},
        on_camera_change=lambda: None,
        on_still_change=lambda: None,
        height=1,
    )
    camera = result.camera or {}
    size = (camera["width"], camera["height"]) if camera.get("width") else None
    return PhotoCamera(size, camera.get("label", ""), camera.get("error"), result.still)


def kiosk_view(run: Run) -> None:
    """Large, high-contrast results for the participant: three numbers, the radar, the masks."""
    result = run.result
    skin_type = next((z.label for z in result.skin_types if z.region == "whole"), "—")
    numbers = [
        ("Overall", f"{result.overall:.0f}" if result.overall is not None else "—"),
        ("Skin age", f"{result.skin_age:.0f}" if result.skin_age is not None else "—"),
        ("Skin type", skin_type),
    ]
    cells = "".join(
        f'<div style="flex:1;background:#1E1B2E;color:#fff;border-radius:16px;padding:18px 24px">'
        f'<div style="font-size:22px;opacity:.8">{name}</div>'
        f'<div style="font-size:64px;font-weight:700;line-height:1.1">{value}</div></div>'
        for name, value in numbers
    )
    st.markdown(
        f'<div style="display:flex;gap:16px;margin-bottom:24px">{cells}</div>',
        unsafe_allow_html=True,
    )
    chart, photo = st.columns([1.2, 1])
    figure = charts.result_radar(result)
    # Labels readable from a metre away need room beside the circle, or the side ones are cut.
    figure.update_layout(font={"size": 18}, height=560, margin={"l": 130, "r": 130})
    chart.plotly_chart(figure, key=f"kiosk_radar_{run.key}", config={"displayModeBar": False})
    ranked = sorted(result.headline_scores(), key=lambda s: s.raw_score)
    keys = [s.key for s in ranked if s.mask_key in result.masks][:2]
    if keys:
        photo.image(
            overlay_image(run.task_id, tuple(keys), (), 0.6, run),
            width="stretch",
            caption="Where to look first: " + ", ".join(s.label for s in ranked[:2]),
        )
