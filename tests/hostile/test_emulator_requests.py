"""The emulator against requests no well-behaved client sends, as a client written by someone
else (plain `requests` and raw sockets, not SkinScope's client) could: each answered as the
contract says, nothing dropped, nothing held without end, no key's uploads or units mixed with
another's. Each case was found by a hostile-input hunt and reproduced before it was fixed."""

import http.server
import json
import socket
import threading
import time

import pytest
import requests

from skinapi.demo import emulator as emulator_module
from skinapi.demo import work
from skinapi.demo.rules import judge_photo

from ..helpers import FAKE_KEY, ManualClock, wait_until

AUTH = {"Authorization": f"Bearer {FAKE_KEY}"}
CREATE = "/s2s/v2.1/task/skin-analysis"


def call(emulator, method: str, path: str, key: str = FAKE_KEY, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.request(method, emulator.url + path, headers=headers, timeout=10, **kwargs)


def reserve(emulator, key: str = FAKE_KEY, size: int = 1000) -> str:
    files = [{"content_type": "image/jpeg", "file_name": "f.jpg", "file_size": size}]
    answer = call(emulator, "POST", "/s2s/v2.1/file/skin-analysis", key, json={"files": files})
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["files"][0]["file_id"]


def upload(emulator, photo: bytes, key: str = FAKE_KEY) -> str:
    files = [{"content_type": "image/jpeg", "file_name": "f.jpg", "file_size": len(photo)}]
    answer = call(emulator, "POST", "/s2s/v2.1/file/skin-analysis", key, json={"files": files})
    reserved = answer.json()["data"]["files"][0]
    put = reserved["requests"][0]
    assert requests.put(put["url"], data=photo, headers=put["headers"], timeout=10).ok
    return reserved["file_id"]


def create(emulator, key: str = FAKE_KEY, **source) -> requests.Response:
    return call(emulator, "POST", CREATE, key, json={"dst_actions": ["redness"], **source})


def raw(emulator, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        return answer


def test_json_nested_a_hundred_thousand_deep_is_a_400_not_a_dropped_connection(emulator):
    answer = call(emulator, "POST", CREATE, data="[" * 100_000 + "]" * 100_000)
    assert answer.status_code == 400 and answer.json()["error_code"] == "BadRequest"


def test_a_content_length_of_a_non_ascii_digit_is_answered(emulator):
    request = (
        f"POST /s2s/v2.0/file HTTP/1.1\r\nHost: 127.0.0.1:{emulator.port}\r\n"
        f"Authorization: Bearer {FAKE_KEY}\r\nContent-Length: \xb2\r\n\r\n{{}}"
    ).encode("latin-1")
    assert raw(emulator, request).startswith(b"HTTP/1.1 400")


def test_a_key_in_angle_brackets_is_refused_even_when_any_key_is_taken(emulator_factory):
    emulator = emulator_factory(any_key=True)
    assert call(emulator, "GET", "/s2s/v1.0/client/credit", "<my-real-key>").status_code == 401
    assert call(emulator, "GET", "/s2s/v1.0/client/credit", "my-real-key").status_code == 200


def test_a_success_nobody_polled_is_paid_for_once_and_then_expires(emulator_factory, face_bytes):
    """The contract: an expired task's poll 'answers 400 InvalidTaskId even though it ran and
    its units were spent'. The balance used to stay whole."""
    clock = ManualClock()
    emulator = emulator_factory(clock=clock, task_expiry=60)
    start = emulator.balance(FAKE_KEY)
    task_id = create(emulator, src_file_id=upload(emulator, face_bytes)).json()["data"]["task_id"]
    clock.advance(1)  # past the processing time; no poll
    wait_until(lambda: emulator.balance(FAKE_KEY) < start, timeout=20, what="the charge")
    assert emulator.balance(FAKE_KEY) == start - 9
    clock.advance(120)
    poll = call(emulator, "GET", f"{CREATE}/{task_id}")
    assert poll.status_code == 400 and poll.json()["error_code"] == "InvalidTaskId"
    assert emulator.balance(FAKE_KEY) == start - 9


def test_a_task_a_poll_calls_running_cannot_be_deleted(emulator_factory, face_bytes):
    clock = ManualClock()
    emulator = emulator_factory(clock=clock, processing_time=5)
    task_id = create(emulator, src_file_id=upload(emulator, face_bytes)).json()["data"]["task_id"]
    task = emulator._tasks._tasks[task_id]  # what no answer shows: the engine's work is done
    wait_until(lambda: task.future.done(), timeout=20, what="the engine's work")
    assert call(emulator, "GET", f"{CREATE}/{task_id}").json()["data"]["task_status"] == "running"
    refused = call(emulator, "POST", "/s2s/v2.0/task/delete", json={"task_id": task_id})
    assert refused.status_code == 400 and refused.json()["error_code"] == "OperationInvalid"
    clock.advance(6)
    assert call(emulator, "GET", f"{CREATE}/{task_id}").json()["data"]["task_status"] in (
        "success",
        "running",  # the engine not done yet on a very slow machine
    )


def test_one_keys_upload_is_not_another_keys_to_analyse_or_to_push_out(emulator_factory):
    emulator = emulator_factory(any_key=True)
    alices = reserve(emulator, "alice")
    taken = create(emulator, "mallory", src_file_id=alices)
    assert taken.status_code == 400 and taken.json()["error_code"] == "InvalidParameters"
    for _ in range(70):
        reserve(emulator, "mallory")
    kept = create(emulator, "alice", src_file_id=alices)
    assert kept.status_code == 200, kept.text  # reserved, never uploaded: the task itself fails


def test_rate_limits_count_per_address_too_and_remember_a_bounded_number(
    emulator_factory, monkeypatch
):
    emulator = emulator_factory(any_key=True, rate_limit=True, clock=ManualClock())
    statuses = [  # all in the same second of the emulator's clock
        call(emulator, "GET", "/s2s/v1.0/client/credit", f"key-{n}").status_code for n in range(7)
    ]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]  # 5 a second from one address

    clock = ManualClock()
    limiter = emulator_module.RateLimiter(clock, lambda: emulator.config)
    monkeypatch.setattr(limiter, "MAX_TRACKED", 10)
    admitted = 0
    for n in range(100):
        clock.advance(1)
        admitted += limiter.admit(f"key {n}")
    assert admitted == 10 and len(limiter._hits) == 10  # the window (300 s) is still open
    clock.advance(301)
    assert limiter.admit("key late") and len(limiter._hits) == 1  # the idle were forgotten


def test_a_timeout_answered_to_polls_does_not_charge_a_success_twice(emulator_factory, face_bytes):
    """TaskTimeout is a poll's answer: the task succeeded and `resume` fetches it later, so its
    units are spent once, at success, whatever the polls said."""
    clock = ManualClock()
    emulator = emulator_factory(clock=clock, fault_task_timeout=True)
    start = emulator.balance(FAKE_KEY)
    task_id = create(emulator, src_file_id=upload(emulator, face_bytes)).json()["data"]["task_id"]
    clock.advance(1)
    wait_until(lambda: emulator.balance(FAKE_KEY) < start, timeout=20, what="the charge")
    assert call(emulator, "GET", f"{CREATE}/{task_id}").status_code == 500
    emulator.configure(fault_task_timeout=False)
    assert call(emulator, "GET", f"{CREATE}/{task_id}").json()["data"]["task_status"] == "success"
    assert emulator.balance(FAKE_KEY) == start - 9


def test_a_request_line_with_an_absolute_url_is_refused_not_routed_past_the_checks(emulator):
    request = (
        f"POST http://127.0.0.1:{emulator.port}{CREATE} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{emulator.port}\r\nContent-Length: 900000\r\n\r\n"
    ).encode()
    assert raw(emulator, request).startswith(b"HTTP/1.1 400")


def test_the_size_a_jpeg_header_states_is_read_without_decoding():
    import io

    from PIL import Image

    from skinapi.demo.rules import declared_size

    for options in ({}, {"progressive": True}, {"exif": Image.Exif()}):
        out = io.BytesIO()
        Image.new("RGB", (1234, 567)).save(out, "JPEG", **options)
        assert declared_size(out.getvalue()) == (1234, 567)
        assert declared_size(out.getvalue()[:20]) is None  # cut before the frame header
    assert declared_size(b"\xff\xd8" + b"\xff" * 10_000) is None  # fill bytes only


def test_a_photo_too_large_to_decode_is_too_large_not_undecodable():
    """An 8000 px PNG is refused as the contract's error_exceed_max_image_size from its header;
    it was error_decode_image, as the decoder's own cap came first."""
    header = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR"
    huge = header + (8000).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00" + b"\x00" * 64
    assert judge_photo(huge, "sd").error == "error_exceed_max_image_size"
    narrow = header + (300).to_bytes(4, "big") + (8000).to_bytes(4, "big") + b"\x00" * 64
    assert judge_photo(narrow, "sd").error == "error_below_min_image_size"


@pytest.mark.parametrize("method", ["OPTIONS", "PATCH", "HEAD"])
def test_every_method_gets_the_apis_json_answer_and_request_id(emulator, method):
    answer = call(emulator, method, CREATE)
    assert answer.status_code == 404 and "x-request-id" in answer.headers
    assert answer.headers["Content-Type"] == "application/json"
    if method == "HEAD":
        assert answer.content == b""
    else:
        assert json.loads(answer.content)["error_code"] == "NotFound"


@pytest.mark.parametrize(
    "target, headers, status",
    [
        (f"POST {CREATE}", "", 401),  # no key (with a body under the API's 1 MB)
        (
            "PUT /upload/file_0000?X-Signature=x",
            "Content-Type: image/jpeg\r\n",
            403,
        ),  # no such file
        ("POST /anything", "", 413),  # no body goes there
        ("POST /_emulator/stats", "", 413),
        ("POST /files/x/y", "", 413),
    ],
)
def test_a_body_nobody_may_send_is_refused_before_it_is_read(emulator, target, headers, status):
    """Up to 25 MB was read first, for a 401 or a 403 (or nothing) to follow."""
    length = 900_000 if status == 401 else 20_000_000
    request = (
        f"{target} HTTP/1.1\r\nHost: 127.0.0.1:{emulator.port}\r\n{headers}"
        f"Content-Length: {length}\r\n\r\n"  # and none of it sent
    ).encode()
    started = time.monotonic()
    assert raw(emulator, request).startswith(f"HTTP/1.1 {status}".encode())
    assert time.monotonic() - started < 5


def test_connections_past_the_cap_are_closed_at_once_and_the_rest_served(
    emulator_factory, monkeypatch
):
    monkeypatch.setattr(emulator_module._QuietServer, "MAX_CONNECTIONS", 4)
    emulator = emulator_factory()
    idle = [socket.create_connection(("127.0.0.1", emulator.port)) for _ in range(4)]
    try:
        time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as extra:
            assert extra.recv(1) == b""  # closed without a thread or an answer
    finally:
        for connection in idle:
            connection.close()

    def served():  # once the closed connections' threads have ended and freed their places
        try:
            return call(emulator, "GET", "/s2s/v1.0/client/credit").ok
        except requests.ConnectionError:
            return False

    wait_until(served, timeout=10, what="a place for a new connection")


@pytest.mark.parametrize("slow", ["headers", "body"])
def test_a_source_url_that_trickles_ends_the_task_at_the_deadline(
    emulator_factory, monkeypatch, slow
):
    """Two such tasks held both engine workers, and every task behind them, for as long as the
    host kept sending a byte at a time: of its body, or (each read within its timeout) of its
    headers."""

    class Trickle(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n")
            for _ in range(100):
                self.wfile.write(b"X-Slow: 1\r\n" if slow == "headers" else b"")
                self.wfile.flush()
                time.sleep(0.1)
                if slow == "body":
                    break
            self.wfile.write(b"\r\n")
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)

        def log_message(self, *args):
            pass

    monkeypatch.setattr(work, "SOURCE_DEADLINE_S", 0.5)
    host = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    host.daemon_threads = True
    threading.Thread(target=host.serve_forever, daemon=True).start()
    try:
        emulator = emulator_factory()
        url = f"http://127.0.0.1:{host.server_address[1]}/face.jpg"
        task_id = create(emulator, src_file_url=url).json()["data"]["task_id"]

        def ended():
            data = call(emulator, "GET", f"{CREATE}/{task_id}").json()["data"]
            return data if data["task_status"] != "running" else None

        ended_as = wait_until(ended, timeout=5, every=0.1, what="the task's end")
        assert ended_as["error"] == "error_download_image"
    finally:
        host.shutdown()
        host.server_close()
