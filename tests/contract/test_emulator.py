"""The emulator's faithful behaviour: the contract's checks, limits, expiry and units."""

import time

import pytest
import requests

from skinapi import (
    AnalysisSettings,
    Client,
    EngineError,
    InvalidTaskIdError,
    RateLimitError,
    RetryPolicy,
)
from skinapi.demo import EmulatorConfig

from ..helpers import FAKE_KEY, ManualClock, jpeg


def post(emulator, path, body, key=FAKE_KEY):
    return requests.post(
        emulator.url + path, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=5
    )


@pytest.mark.parametrize("header", ["", FAKE_KEY, f"Bearer <{FAKE_KEY}>", "Bearer wrong"])
def test_malformed_or_wrong_keys_get_401(emulator, header):
    response = requests.get(
        emulator.url + "/s2s/v1.0/client/credit", headers={"Authorization": header}, timeout=5
    )
    assert response.status_code == 401 and response.json()["error_code"] == "InvalidApiKey"
    assert response.headers["x-request-id"]


@pytest.mark.parametrize(
    "actions, message",
    [
        (["redness", "hd_pore"], "cannot mix HD and SD dst_actions"),
        (["abc123"], "Not available dst_action abc123"),
    ],
)
def test_documented_request_errors(emulator, actions, message):
    response = post(
        emulator, "/s2s/v2.1/task/skin-analysis", {"src_file_id": "x", "dst_actions": actions}
    )
    assert response.status_code == 400
    assert response.json() == {"status": 400, "error": message, "error_code": "InvalidParameters"}


def test_pf_camera_kit_is_a_boolean_of_v21_only(client, emulator, face_bytes):
    """On v2.1 a pf_camera_kit that is not true or false is refused; v2.0 has no such field,
    so there it is ignored like any extra field."""
    body = {"src_file_id": client.upload_photo(face_bytes), "dst_actions": ["redness"]}
    v21, v20 = "/s2s/v2.1/task/skin-analysis", "/s2s/v2.0/task/skin-analysis"
    refused = post(emulator, v21, body | {"pf_camera_kit": "yes"})
    assert refused.status_code == 400 and refused.json()["error_code"] == "InvalidParameters"
    assert post(emulator, v21, body | {"pf_camera_kit": False}).status_code == 200
    assert post(emulator, v20, body | {"pf_camera_kit": True}).status_code == 200


def test_file_never_uploaded_fails_as_unknown_internal_error(client):
    slot = client.reserve_upload(file_name="a.jpg", content_type="image/jpeg", file_size=100)
    created = client.create_task(AnalysisSettings.build(["redness"]), src_file_id=slot.file_id)
    with pytest.raises(EngineError) as caught:
        client.wait(created.task_id, interval=0.01, timeout=5)
    assert caught.value.code == "unknown_internal_error"


def test_upload_must_match_the_declared_size(client, face_bytes):
    slot = client.reserve_upload(
        file_name="a.jpg", content_type="image/jpeg", file_size=len(face_bytes) + 1
    )
    with pytest.raises(Exception) as caught:
        client.upload(slot, face_bytes)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "make, code",
    [
        (lambda f: f.resize((300, 400)), "error_below_min_image_size"),
        (lambda f: f.point(lambda v: v // 4), "error_lighting_dark"),
        (lambda f: f.crop((-800, -300, 1520, 1260)), "error_src_face_too_small"),
        (lambda f: f.crop((0, -350, 720, 610)), "error_src_face_out_of_bound"),
    ],
)
def test_engine_errors_come_from_real_checks_of_the_photo(client, face_image, make, code):
    with pytest.raises(EngineError) as caught:
        client.analyze(jpeg(make(face_image)), AnalysisSettings.build(["redness"]))
    assert caught.value.code == code


def test_hd_needs_1080(client, face_bytes):
    with pytest.raises(EngineError) as caught:
        client.analyze(face_bytes, AnalysisSettings.build(["hd_redness"]))
    assert caught.value.code == "error_below_min_image_size"


def test_undecodable_upload(client):
    with pytest.raises(EngineError) as caught:
        data = b"\xff\xd8\xff" + b"not really a jpeg" * 10
        client.analyze(data, AnalysisSettings.build(["redness"]))
    assert caught.value.code == "error_decode_image"


def test_rate_limit_five_per_second_with_no_retry_after(emulator_factory):
    emulator = emulator_factory(rate_limit=True)
    statuses = []
    for _ in range(7):
        r = requests.get(
            emulator.url + "/s2s/v1.0/client/credit",
            headers={"Authorization": f"Bearer {FAKE_KEY}"},
            timeout=5,
        )
        statuses.append(r.status_code)
        assert "Retry-After" not in r.headers
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]


def test_rate_limit_window(emulator_factory):
    emulator = emulator_factory(
        rate_limit=True, rate_per_second=100, rate_per_window=4, rate_window=300
    )
    client = Client(FAKE_KEY, base_url=emulator.url, retry=RetryPolicy(attempts=1))
    for _ in range(4):
        client.credit_balance()
    with pytest.raises(RateLimitError):
        client.credit_balance()


def test_unpolled_task_expires(emulator_factory, face_bytes):
    clock = ManualClock()
    emulator = emulator_factory(task_expiry=0.2, clock=clock)
    client = Client(FAKE_KEY, base_url=emulator.url)
    file_id = client.upload_photo(face_bytes)
    created = client.create_task(AnalysisSettings.build(["redness"]), src_file_id=file_id)
    clock.advance(0.1)
    assert client.get_task(created.task_id).task_id == created.task_id  # polled in time
    clock.advance(0.4)
    with pytest.raises(InvalidTaskIdError):
        client.get_task(created.task_id)


def test_units_are_charged_on_success_only(client, face_image, face_bytes):
    start = client.credit_balance()
    with pytest.raises(EngineError):
        client.analyze(jpeg(face_image.resize((300, 400))), AnalysisSettings.build(["redness"]))
    assert client.credit_balance() == start
    client.analyze(
        face_bytes, AnalysisSettings.build(["redness", "pore", "acne", "texture", "moisture"])
    )
    assert client.credit_balance() == start - 12


def test_v20_endpoint_works(client, face_bytes):
    result = client.analyze(face_bytes, AnalysisSettings.build(["redness"], api_version="v2.0"))
    assert result.api_version == "v2.0"


def test_latency_fault_slows_every_answer(emulator_factory):
    emulator = emulator_factory(latency=0.2)
    client = Client(FAKE_KEY, base_url=emulator.url)
    start = time.perf_counter()
    client.credit_balance()
    assert time.perf_counter() - start >= 0.2


def test_config_from_environment():
    config = EmulatorConfig.from_env(
        {
            "SKINSCOPE_EMULATOR_LATENCY": "0.5",
            "SKINSCOPE_EMULATOR_FAULT_TASK_TIMEOUT": "true",
            "SKINSCOPE_EMULATOR_FAULT_ENGINE_ERROR": "error_no_face",
        }
    )
    assert (
        config.latency == 0.5
        and config.fault_task_timeout
        and config.fault_engine_error == "error_no_face"
    )


def test_blank_photo_is_error_no_face(client):
    from PIL import Image

    with pytest.raises(EngineError) as caught:
        client.analyze(
            jpeg(Image.new("RGB", (720, 960), (120, 160, 200))), AnalysisSettings.build(["redness"])
        )
    assert caught.value.code == "error_no_face"


def test_file_of_10_mb_or_more_is_exceed_max_filesize(client):
    import io

    import numpy as np
    from PIL import Image

    noise = Image.fromarray(
        np.random.default_rng(1).integers(0, 255, (2200, 1700, 3), dtype=np.uint8)
    )
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    assert buffer.tell() >= 10 * 1024 * 1024
    with pytest.raises(EngineError) as caught:
        client.analyze(buffer.getvalue(), AnalysisSettings.build(["redness"]))
    assert caught.value.code == "exceed_max_filesize"


def _raw(emulator, request: bytes, *, read: bool = True) -> bytes:
    """Bytes on a socket to the emulator, as a hand-written (or hostile) client sends them."""
    import socket

    with socket.create_connection(("127.0.0.1", emulator.port), timeout=10) as connection:
        connection.sendall(request)
        if not read:
            return b""
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        return answer


def test_the_request_log_stays_bounded_however_many_long_paths_arrive(emulator):
    """10,000 GETs of 4 KB paths grew the app's process by half a gigabyte."""
    from skinapi.demo.request_log import MAX_ENTRIES, MAX_PATH

    session = requests.Session()
    before = len(emulator.request_log)
    long_path = "/s2s/v2.0/task/skin-analysis/" + "x" * 4000
    for n in range(MAX_ENTRIES + 500):
        emulator.request_log.append(("GET", f"{long_path}{n}"))  # as the handler records it
    session.get(emulator.url + "/s2s/v1.0/client/credit", timeout=10)
    log = emulator.request_log
    assert len(log) == before + MAX_ENTRIES + 501  # counts every request
    assert len(list(log)) <= MAX_ENTRIES and all(len(p) <= MAX_PATH for _, p in log)
    assert log[len(log) - 1 :] == [("GET", "/s2s/v1.0/client/credit")]  # the newest, by count
    assert emulator.api_requests() == before + MAX_ENTRIES + 501


def test_a_chunked_body_is_refused_not_read_as_a_second_request(emulator):
    body = b'{"files": []}'
    hidden = b"GET /s2s/v1.0/client/credit HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = _raw(emulator, (
        f"POST /s2s/v2.0/file/skin-analysis HTTP/1.1\r\nHost: 127.0.0.1:{emulator.port}\r\n"
        "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
        f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n" + hidden
    ))  # fmt: skip
    assert answer.startswith(b"HTTP/1.1 411") and answer.count(b"HTTP/1.1") == 1
    assert not [p for _, p in emulator.request_log if "credit" in p or "file" in p]


def test_a_client_that_stalls_or_resets_costs_a_thread_for_a_while_and_no_traceback(
    emulator_factory, capfd, monkeypatch
):
    import socket
    import struct

    from skinapi.demo import handler

    monkeypatch.setattr(handler, "SOCKET_TIMEOUT", 0.3)
    emulator = emulator_factory()  # its handler takes the timeout above
    stalled = socket.create_connection(("127.0.0.1", emulator.port))
    stalled.sendall(b"POST /s2s/v2.0/file HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and no more
    reset = socket.create_connection(("127.0.0.1", emulator.port))
    reset.sendall(b"GET /s2s/v1.0/client/credit HTTP/1.1\r\n")
    reset.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    reset.close()  # RST
    time.sleep(1.0)
    assert stalled.recv(1024) == b""  # the emulator gave up on it and closed
    stalled.close()
    assert requests.get(emulator.url + "/s2s/v1.0/client/credit", timeout=10).status_code == 401
    assert "Traceback" not in capfd.readouterr().err
