"""A hostile YouCam Skin Analysis API on loopback: one URL prefix per misbehaviour.

`http://127.0.0.1:PORT/<case>` is a base URL that answers every request under it as the case
says. Case `good_json` (and `good_zip`) plays the contract straight: reserve → PUT → create → a
`running` poll → `success` with JSON output (or a ZIP) and small PNG masks. Every other case
deviates at one point through a hook in `CASES`:

    reserve / put / create / poll   (doc, ctx) → mutate the answer document in place (return
                                    None) or return an `Answer` that replaces it
    output                          (list, ctx) → mutate `data.results.output` (format=json)
    results                         (ctx) → the whole `data.results` of the success poll
    running_for                     seconds the task stays `running` (default: one poll)
    score_info / entries / zip      (…, ctx) → mutate score_info.json, the ZIP entry list, or
                                    return other ZIP bytes (format=zip)
    file                            (name, ctx) → an `Answer` for a result download, or None
    task_id                         (ctx) → the task_id the create answer carries

The server counts what each case received (`state(case)`), so tests can assert e.g. that a create
was never re-sent, that nothing was sent at all, or that no bearer header reached a result URL.
"""

from __future__ import annotations

import functools
import io
import json
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image

KEY = "hk_live_9fQ2xW7pL4mZ8rT1vB6nC3yD"
"""The fake API key the tests give the CLI; the server accepts only this one."""

INTERVAL = 0.2
"""The polling_interval (seconds) of the well-behaved flow: 5 polls a second at most."""

HOLD = 70.0
"""How long a stalling case (silence, drip, slow headers) stalls at most: past the tests' 60 s."""

MB = 1 << 20
TASK_ID = "task_5e0c1f3a9b7d4e21"
"""The task_id of the well-behaved flow (no case name in it, so messages cannot quote one)."""


# -- answers -----------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = -1
    """Content-Length: -1 → len(body) (bytes bodies), None → none (the body ends at close)."""
    raw: Callable | None = None
    """raw(handler, stop) takes over the connection instead (stalls, drops); `stop` is the
    server's shutdown event."""


def js(doc, status: int = 200, **headers: str) -> Answer:
    return Answer(status, json.dumps(doc).encode(), {"Content-Type": "application/json", **headers})


def text(body: str, status: int = 200, kind: str = "text/plain") -> Answer:
    return Answer(status, body.encode(), {"Content-Type": kind})


def api_error(status: int, message, code: str | None = None, **headers: str) -> Answer:
    doc = {"status": status, "error": message}
    if code:
        doc["error_code"] = code
    return js(doc, status, **headers)


def zeros(total: float, chunk: int = MB) -> Iterable[bytes]:
    """`total` bytes of zeros in 1 MB chunks, never held whole (float("inf"): endless)."""
    block, sent = bytes(chunk), 0
    while sent < total:
        piece = block if total - sent >= chunk else block[: int(total - sent)]
        sent += len(piece)
        yield piece


def stream(body: Iterable[bytes], length: int | None, kind: str = "image/png") -> Answer:
    return Answer(200, body, {"Content-Type": kind}, length)


# -- stalls (raw handlers) -----------------------------------------------------------------------


def silence(h, stop) -> None:
    """Read the request, answer nothing, hold the connection open."""
    stop.wait(HOLD)


def drop(h, stop) -> None:
    """Close the connection without a word (after the work was done)."""
    h.close_connection = True


def drip(h, stop) -> None:
    """Headers at once, then one byte of the body every 2 s."""
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    h.wfile.flush()
    h.wfile.write(b"{")
    deadline = time.monotonic() + HOLD
    while time.monotonic() < deadline and not stop.wait(2.0):
        h.wfile.write(b" ")
        h.wfile.flush()


def slow_headers(h, stop) -> None:
    """A status line, then one header line every 2 s, never the blank line."""
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    deadline, n = time.monotonic() + HOLD, 0
    while time.monotonic() < deadline and not stop.wait(2.0):
        h.wfile.write(f"X-Slow-{n}: x\r\n".encode())
        n += 1


# -- result files --------------------------------------------------------------------------------


@functools.cache
def png(color: tuple[int, int, int, int] = (220, 40, 40, 160)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (16, 16), color).save(buffer, "PNG")
    return buffer.getvalue()


@functools.cache
def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 170, 150)).save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass
class Entry:
    """One ZIP member as it goes on the wire: every header field can be made to lie."""

    name: str
    comp: bytes
    crc: int
    size: int
    method: int = 8
    flag: int = 0


def entry(name: str, data: bytes, **fields) -> Entry:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Entry(
        name, packer.compress(data) + packer.flush(), zlib.crc32(data), len(data), **fields
    )


@functools.cache
def _deflated_zeros(size: int) -> tuple[bytes, int]:
    packer, crc, parts = zlib.compressobj(6, zlib.DEFLATED, -15), 0, []
    for chunk in zeros(size):
        parts.append(packer.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    parts.append(packer.flush())
    return b"".join(parts), crc


_cache_lock = threading.Lock()


def zeros_entry(name: str, size: int, **fields) -> Entry:
    with _cache_lock:  # computed once, then shared (300 MB deflates to ~300 KB)
        comp, crc = _deflated_zeros(size)
    return Entry(name, comp, crc, size, **fields)


def build_zip(entries: list[Entry]) -> bytes:
    """A ZIP written by hand, so headers can say what the data is not."""
    local, central = bytearray(), bytearray()
    for item in entries:
        name, offset = item.name.encode(), len(local)
        fields = (item.flag, item.method, 0, 0x21, item.crc, len(item.comp), item.size, len(name))
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, *fields, 0) + name + item.comp
        central += struct.pack("<IHH", 0x02014B50, 20, 20)
        central += struct.pack("<HHHHIIIHHHHHII", *fields, 0, 0, 0, 0, 0, offset) + name
    count = len(entries)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), len(local), 0)
    return bytes(local + central + end)


def score_info() -> dict:
    return {
        "redness": {"raw_score": 72.0, "ui_score": 77, "output_mask_name": "redness_output.png"},
        "pore": {"raw_score": 60.5, "ui_score": 61, "output_mask_name": "pore_output.png"},
        "all": {"score": 75.7},
        "skin_age": 37,
    }


def output(base: str) -> list[dict]:
    files = f"{base}/files"
    return [
        {"type": "redness", "raw_score": 72.0, "ui_score": 77,
         "mask_urls": [f"{files}/redness_output.png"]},
        {"type": "pore", "region": "whole", "raw_score": 60.5, "ui_score": 61,
         "mask_urls": [f"{files}/pore_output.png"]},
        {"type": "all", "score": 75.7},
        {"type": "skin_age", "score": 37},
        {"type": "resize_image", "mask_urls": [f"{files}/resize_image.jpg"]},
    ]  # fmt: skip


# -- the cases -----------------------------------------------------------------------------------

ESC = "\x1b[31mRED\x1b[0m\x1b]0;owned\x07 line one\nline two\rback\x00nul\x7fdel\x9b2J csi"
"""Terminal injection: SGR, an OSC title, newline, carriage return, NUL, DEL and 8-bit CSI."""
TRAVERSAL = "../../../../escaped"
"""From OUT/<task_id>/ this climbs into the case's own temporary folder (OUT is 4 deep)."""


def _set(key: str, value) -> Callable:
    """A hook that sets data[key] (value may be a function of ctx)."""

    def hook(doc, ctx):
        doc["data"][key] = value(ctx) if callable(value) else value

    return hook


def _drop(doc: dict, key: str = "data") -> None:
    del doc[key]


def _when(status: str, hook: Callable) -> Callable:
    """A poll hook that only applies to the poll answer with this task_status."""

    def wrapped(doc, ctx):
        if isinstance(doc, dict) and doc.get("data", {}).get("task_status") == status:
            return hook(doc, ctx)

    return wrapped


def _engine_error(message, code="error_no_face") -> Callable:
    def hook(doc, ctx):
        doc["data"] = {"task_status": "error", "error": code, "error_message": message}

    return _when("success", hook)


def _item(index: int, **changes) -> Callable:
    """An output hook changing item `index` (values may be functions of ctx)."""

    def hook(items, ctx):
        items[index].update({k: v(ctx) if callable(v) else v for k, v in changes.items()})

    return hook


def _mask(which: str, answer: Callable[[], Answer]) -> Callable:
    return lambda name, ctx: answer() if which in name else None


def _results(value) -> Callable:
    return _when("success", lambda doc, ctx: doc["data"].update(results=value(ctx)))


def _poll_always(answer: Callable[[], Answer]) -> Callable:
    return lambda doc, ctx: answer()


def _add_entry(name: Callable, mask_of: str) -> Callable:
    """A ZIP with an extra PNG entry named `name(ctx)`, which `mask_of`'s output_mask_name uses."""

    def info_hook(info, ctx):
        info[mask_of]["output_mask_name"] = name(ctx)

    def entries_hook(entries, ctx):
        entries.append(entry(name(ctx), png((0, 0, 255, 255))))

    return {"score_info": info_hook, "entries": entries_hook}


def _lie_about_size(entries, ctx):
    entries[1] = zeros_entry(entries[1].name, 300 * MB)
    entries[1].size = 1000  # the header says 1000 bytes; the data inflates to 300 MB


def _patch(**fields) -> Callable:
    def hook(entries, ctx):
        for key, value in fields.items():
            setattr(entries[1], key, value(getattr(entries[1], key)))

    return hook


def _key_copies(ctx) -> Answer:
    """300 chars: 10 filler, then the key again and again one dot apart. A body cut at 64, 100,
    120, 128, 150, 160, 200, 250 or 256 chars before the key is masked keeps ≥ 8 of its chars."""
    body = "x" * 10
    while len(body) < 300:
        body += KEY + "."
    return text(body[:300], 401)


CASES: dict[str, dict] = {
    "good_json": {},
    "good_zip": {},
    # Paths from the server.
    "json_type_traversal": {"output": _item(0, type=TRAVERSAL)},
    "json_region_traversal": {"output": _item(1, region=TRAVERSAL)},
    "json_type_absolute": {"output": _item(0, type=lambda c: f"{c.trap}/escaped_abs")},
    "json_type_nul": {"output": _item(0, type="redness\x00escaped")},
    "mask_url_traversal_name": {
        "output": _item(0, mask_urls=lambda c: [f"{c.base}/files/..%2F..%2F..%2F..%2Fescaped.png"])
    },
    "task_id_absolute": {"task_id": lambda c: f"{c.trap}/escaped_task"},
    "task_id_dotdot": {"task_id": lambda c: "../../../../escaped_task"},
    "task_id_slash": {"task_id": lambda c: "task/escaped_task"},
    "task_id_control_chars": {"task_id": lambda c: "task_\x1b[2J\x1b[31mred\ncr\r"},
    "zip_score_key_traversal": {"score_info": lambda i, c: i.update({TRAVERSAL: i.pop("redness")})},
    "zip_region_traversal": {"score_info": lambda i, c: i.update(pore={TRAVERSAL: i["pore"]})},
    "zip_entry_dotdot": _add_entry(lambda c: TRAVERSAL + ".png", "pore"),
    "zip_entry_absolute": _add_entry(lambda c: f"{c.trap}/escaped_zip_abs.png", "pore"),
    # Malformed answers.
    "error_message_list": {"poll": _engine_error(["no", "face"])},
    "error_message_dict": {"poll": _engine_error({"detail": "no face", "score": 1})},
    "error_message_number": {"poll": _engine_error(42)},
    "mask_urls_dict": {"output": _item(0, mask_urls=lambda c: {"0": f"{c.base}/files/a.png"})},
    "mask_urls_number": {"output": _item(0, mask_urls=7)},
    "resize_image_dict": {
        "output": _item(4, mask_urls=lambda c: [{"url": f"{c.base}/files/r.jpg"}])
    },
    "reserve_files_string": {"reserve": _set("files", "file_hostile_1")},
    "reserve_headers_list": {
        "reserve": lambda d, c: d["data"]["files"][0]["requests"][0].update(
            headers=[["Content-Type", "image/jpeg"]]
        )
    },
    "interval_nan": {"poll": _when("running", _set("polling_interval", float("nan")))},
    "interval_string": {"poll": _when("running", _set("polling_interval", "abc"))},
    "interval_negative": {"poll": _when("running", _set("polling_interval", -1))},
    "interval_zero": {
        "create": _set("polling_interval", 0),
        "poll": _set("polling_interval", 0),
        "running_for": 2.0,
    },
    "task_status_unknown": {"poll": _set("task_status", "pending")},
    "poll_non_json": {"poll": _poll_always(lambda: text("OK, still running"))},
    "poll_json_array": {"poll": _poll_always(lambda: js(["running"]))},
    "poll_data_missing": {"poll": lambda d, c: _drop(d)},
    "create_task_id_missing": {"create": lambda d, c: _drop(d["data"], "task_id")},
    "create_task_id_number": {"create": _set("task_id", 12345)},
    "raw_score_string": {"output": _item(0, raw_score="72.0")},
    "reserve_html_200": {
        "reserve": lambda d, c: text("<html>\n<h1>Welcome</h1>\n</html>", 200, "text/html")
    },
    "create_html_200": {
        "create": lambda d, c: text("<html>\n<h1>Welcome</h1>\n</html>", 200, "text/html")
    },
    # ZIP results.
    "zip_encrypted": {"entries": _patch(flag=lambda f: f | 0x1)},
    "zip_deflate64": {"entries": _patch(method=lambda m: 9)},
    "zip_bad_crc": {"entries": _patch(crc=lambda crc: crc ^ 0xDEADBEEF)},
    "zip_truncated": {"zip": lambda data, c: data[: len(data) // 2]},
    "zip_not_a_zip": {"zip": lambda data, c: b"PK\x03\x04" + b"\xff" * 600},
    "zip_size_lie": {"entries": _lie_about_size},
    "zip_bomb_many_entries": {
        "entries": lambda e, c: e.extend(
            entry(f"skinanalysisResult/m{i}.png", b"x") for i in range(5000)
        )
    },
    "zip_bomb_huge_total": {
        "entries": lambda e, c: e.extend(
            zeros_entry(f"skinanalysisResult/bomb{i}.png", 100 * MB) for i in range(12)
        )
    },
    "zip_url_file_scheme": {"results": lambda c: {"url": "file:///etc/passwd"}},
    "zip_url_ftp_scheme": {"results": lambda c: {"url": "ftp://127.0.0.1/result.zip"}},
    "mask_url_file_scheme": {"output": _item(0, mask_urls=["file:///etc/passwd"])},
    "mask_redirect_file_scheme": {
        "file": _mask("redness", lambda: Answer(302, b"", {"Location": "file:///etc/passwd"}))
    },
    "result_url_on_api_host": {
        "output": _item(
            0, mask_urls=lambda c: [f"{c.base}/s2s/v2.1/task/skin-analysis/redness.png"]
        )
    },
    "upload_url_file_scheme": {
        "reserve": lambda d, c: d["data"]["files"][0]["requests"][0].update(
            url=f"file://{c.trap}/escaped_upload"
        )
    },
    # Time.
    "drip_poll": {"poll": _poll_always(lambda: Answer(raw=drip))},
    "silent_poll": {"poll": _poll_always(lambda: Answer(raw=silence))},
    "silent_create": {"create": lambda d, c: Answer(raw=silence)},
    "slow_headers_reserve": {"reserve": lambda d, c: Answer(raw=slow_headers)},
    # Memory.
    "mask_500mb": {"file": _mask("redness", lambda: stream(zeros(500 * MB), 500 * MB))},
    "mask_endless": {"file": _mask("redness", lambda: stream(zeros(4096 * MB), None))},
    # Key leaks.
    "key_401_json_echo": {
        "reserve": lambda d, c: api_error(401, f"Invalid API key {KEY}", "InvalidApiKey")
    },
    "key_401_text_start": {
        "reserve": lambda d, c: text((KEY + " is not a valid key. " * 20)[:300], 401)
    },
    "key_401_text_repeated": {"reserve": lambda d, c: _key_copies(c)},
    "key_in_engine_message": {"poll": _engine_error(f"the key {KEY} saw no face")},
    "key_in_task_status": {"poll": _set("task_status", KEY)},
    "key_in_request_id": {
        "create": lambda d, c: api_error(
            400, "Not available dst_action", "InvalidParameters", **{"x-request-id": KEY}
        )
    },
    # Terminal injection.
    "ansi_create_400": {"create": lambda d, c: api_error(400, ESC, "InvalidParameters")},
    "ansi_engine_error": {"poll": _engine_error(ESC, code="error_inference\x1b[2J")},
    "ansi_request_id": {
        "create": lambda d, c: api_error(
            400,
            "Not available dst_action",
            "InvalidParameters",
            **{"x-request-id": "req\x1b[31m-red\x1b]0;owned\x07"},
        )
    },
    # Rate and billing.
    "create_429_storm": {"create": lambda d, c: api_error(429, "Too Many Requests")},
    "create_502_after_execution": {
        "create": lambda d, c: text("<html>\n<h1>502 Bad Gateway</h1>\n</html>", 502, "text/html")
    },
    "create_connection_dropped": {"create": lambda d, c: Answer(raw=drop)},
    # CLI numbers: the server must never hear of these.
    "timeout_negative": {},
    "timeout_nan": {},
    "timeout_inf": {},
}


# -- the server ----------------------------------------------------------------------------------


TASK_PATHS = ("/s2s/v2.1/task/skin-analysis", "/s2s/v2.0/task/skin-analysis")


@dataclass
class State:
    """What one case's prefix received."""

    trap: str = ""
    """A folder inside the test's tmp dir that absolute paths from the server point into."""
    requests: int = 0
    reserves: int = 0
    puts: int = 0
    creates: int = 0
    created_at: float | None = None
    format: str = "zip"
    polls: list[float] = field(default_factory=list)
    downloads: int = 0
    bearer_elsewhere: list[str] = field(default_factory=list)
    """Non-API paths (upload, result files) that received an Authorization header."""
    paths: list[str] = field(default_factory=list)


@dataclass
class Ctx:
    case: str
    base: str
    state: State
    n: int = 0
    """The poll's number (1 = first) for poll hooks."""

    @property
    def trap(self) -> str:
        return self.state.trap


class HostileServer:
    """`with HostileServer() as server:` — `server.url(case)` is that case's base URL."""

    def __init__(self):
        self._lock = threading.Lock()
        self._states: dict[str, State] = {}
        self.stop = threading.Event()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, case: str) -> str:
        return f"http://127.0.0.1:{self.port}/{case}"

    def prepare(self, case: str, trap: str) -> State:
        with self._lock:
            self._states[case] = State(trap=trap)
            return self._states[case]

    def state(self, case: str) -> State:
        with self._lock:
            return self._states.setdefault(case, State())

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self._http.shutdown()
        self._http.server_close()

    # -- routing ------------------------------------------------------------------------------

    def answer(self, h: BaseHTTPRequestHandler, body: bytes) -> Answer:
        _, case, rest = (h.path.split("?")[0] + "/").split("/", 2)
        rest = "/" + rest[:-1]
        if case not in CASES:
            return api_error(404, f"no such case {case!r}")
        hooks, state = CASES[case], self.state(case)
        ctx = Ctx(case, self.url(case), state)
        api = rest.startswith("/s2s/")
        with self._lock:
            state.requests += 1
            state.paths.append(f"{h.command} {rest}")
            is_file = h.command == "GET" and (
                rest.startswith("/files/") or rest.endswith((".png", ".jpg", ".zip"))
            )
            is_upload = rest.startswith("/upload/")
            if (is_file or is_upload) and h.headers.get("Authorization"):
                state.bearer_elsewhere.append(f"{h.command} {rest}")
        if is_file:
            with self._lock:
                state.downloads += 1
            return self._file(rest.rsplit("/", 1)[-1], hooks, ctx)
        if h.command == "PUT" and is_upload:
            with self._lock:
                state.puts += 1
            return self._hook(hooks, "put", {"status": 200}, ctx)
        if not api:
            return api_error(404, "not found")
        if h.headers.get("Authorization") != f"Bearer {KEY}":
            return api_error(401, "Invalid API key", "InvalidApiKey")
        request = _json(body)
        if h.command == "POST" and rest in ("/s2s/v2.0/file", "/s2s/v2.0/file/skin-analysis"):
            with self._lock:
                state.reserves += 1
            return self._hook(hooks, "reserve", self._reserve(request, ctx), ctx)
        task_path = next((p for p in TASK_PATHS if rest == p or rest.startswith(p + "/")), None)
        if task_path and h.command == "POST" and rest == task_path:
            with self._lock:
                state.creates += 1
                state.created_at = time.monotonic()
                state.format = (
                    str(request.get("format", "zip")) if isinstance(request, dict) else "zip"
                )
            task_id = hooks["task_id"](ctx) if "task_id" in hooks else TASK_ID
            doc = {"status": 200, "data": {"task_id": task_id, "polling_interval": INTERVAL}}
            return self._hook(hooks, "create", doc, ctx)
        if task_path and h.command == "GET":
            with self._lock:
                state.polls.append(time.monotonic())
                ctx.n = len(state.polls)
            return self._hook(hooks, "poll", self._poll(hooks, ctx), ctx)
        return api_error(404, f"no route {h.command} {rest}", "NotFound")

    def _hook(self, hooks: dict, point: str, doc, ctx: Ctx) -> Answer:
        if point in hooks:
            replaced = hooks[point](doc, ctx)
            if replaced is not None:
                doc = replaced
        return doc if isinstance(doc, Answer) else js(doc)

    @staticmethod
    def _reserve(request, ctx: Ctx) -> dict:
        files = request.get("files") if isinstance(request, dict) else None
        first = files[0] if isinstance(files, list) and files and isinstance(files[0], dict) else {}
        kind = first.get("content_type", "image/jpeg")
        file = {
            "content_type": kind,
            "file_name": first.get("file_name", "photo.jpg"),
            "file_id": "file_hostile_1",
            "requests": [
                {"method": "PUT", "url": f"{ctx.base}/upload/file_hostile_1",
                 "headers": {"Content-Type": kind}}
            ],
        }  # fmt: skip
        return {"status": 200, "data": {"files": [file]}}

    def _poll(self, hooks: dict, ctx: Ctx) -> dict:
        state = ctx.state
        running_for = hooks.get("running_for")
        if running_for is not None:
            running = time.monotonic() - (state.created_at or 0) < running_for
        else:
            running = ctx.n == 1
        if running:
            return {"status": 200, "data": {"task_status": "running", "polling_interval": INTERVAL}}
        if "results" in hooks:
            results = hooks["results"](ctx)
        elif state.format == "zip":
            results = {"url": f"{ctx.base}/files/result.zip"}
        else:
            items = output(ctx.base)
            if "output" in hooks:
                hooks["output"](items, ctx)
            results = {"output": items}
        return {"status": 200, "data": {"task_status": "success", "results": results}}

    def _file(self, name: str, hooks: dict, ctx: Ctx) -> Answer:
        if "file" in hooks and (answer := hooks["file"](name, ctx)) is not None:
            return answer
        if name.endswith(".zip"):
            return Answer(200, self._zip(hooks, ctx), {"Content-Type": "application/zip"})
        if name.endswith(".jpg"):
            return Answer(200, jpeg(), {"Content-Type": "image/jpeg"})
        return Answer(200, png(), {"Content-Type": "image/png"})

    @staticmethod
    def _zip(hooks: dict, ctx: Ctx) -> bytes:
        info = score_info()
        if "score_info" in hooks:
            hooks["score_info"](info, ctx)
        entries = [
            entry("skinanalysisResult/score_info.json", json.dumps(info).encode()),
            entry("skinanalysisResult/redness_output.png", png()),
            entry("skinanalysisResult/pore_output.png", png((40, 40, 220, 160))),
        ]
        if "entries" in hooks:
            hooks["entries"](entries, ctx)
        data = build_zip(entries)
        return hooks["zip"](data, ctx) if "zip" in hooks else data


def _json(body: bytes):
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _handler(server: HostileServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection; bodies may end at close

        def _serve(self):
            try:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                answer = server.answer(self, body)
                if answer.raw is not None:
                    answer.raw(self, server.stop)
                    return
                self.send_response(answer.status)
                self.send_header(
                    "x-request-id", answer.headers.pop("x-request-id", "req-hostile-1")
                )
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                length = answer.length
                if length == -1:
                    length = len(answer.body)  # type: ignore[arg-type]
                if length is not None:
                    self.send_header("Content-Length", str(length))
                self.end_headers()
                for chunk in [answer.body] if isinstance(answer.body, bytes) else answer.body:
                    if server.stop.is_set():
                        break
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                pass  # the client gave up: that is often the point

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

        def log_message(self, format, *args):
            pass

    return Handler
