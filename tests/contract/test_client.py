"""The client over real HTTP against the emulator on loopback."""

import http.server
import inspect
import math
import re
import threading
import time

import pytest

from skinapi import (
    AnalysisSettings,
    ApiStatusError,
    AuthError,
    Client,
    CreditInsufficientError,
    DeadlineExceeded,
    EngineError,
    InvalidParametersError,
    InvalidTaskIdError,
    NotSentError,
    ProtocolError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TaskTimeoutError,
    TransportError,
    preset_actions,
)
from skinapi.client import interval_seconds
from skinapi.schema import TaskState

from ..helpers import FACE_PATH, FAKE_KEY, Gate, free_port

SD_ALL = AnalysisSettings.build(preset_actions("all", "sd"))


def settings(*actions, **kwargs):
    return AnalysisSettings.build(actions or ("redness", "pore"), **kwargs)


def test_json_result_has_every_concern_with_masks_downloaded(client, face_bytes):
    result = client.analyze(face_bytes, SD_ALL)
    assert {s.type for s in result.scores} == set(SD_ALL.actions) - {"skin_type"}
    assert all(1 <= s.ui_score <= 100 and 1 <= s.raw_score <= 100 for s in result.scores)
    assert {z.region for z in result.skin_types} == {"whole", "t_zone", "u_zone"}
    assert all(result.masks[s.mask_key][:4] == b"\x89PNG" for s in result.scores)
    assert 1 <= result.overall <= 100 and result.skin_age > 0
    assert result.resized_image[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize("shape", ["object", "string"])
def test_zip_result_matches_json_result_in_both_documented_shapes(
    emulator_factory, face_bytes, shape
):
    emulator = emulator_factory(zip_results_shape=shape)
    client = Client(FAKE_KEY, base_url=emulator.url)
    as_zip = client.analyze(face_bytes, settings("redness", "pore", "skin_type", format="zip"))
    as_json = client.analyze(face_bytes, settings("redness", "pore", "skin_type"))
    assert as_zip.format == "zip"
    pairs = {(s.type, s.region or "whole"): s.ui_score for s in as_json.scores}
    assert {(s.type, s.region or "whole"): s.ui_score for s in as_zip.scores} == pairs
    assert as_zip.skin_types == as_json.skin_types
    assert set(as_zip.masks) >= {"redness:whole", "pore:whole"}


def test_hd_regional_scores_for_pores_and_wrinkles(client, face_image):
    from ..helpers import jpeg

    photo = jpeg(face_image.resize((1080, 1440)))
    result = client.analyze(photo, settings("hd_pore", "hd_wrinkle", "hd_redness", format="zip"))
    assert {s.region for s in result.regional_scores("hd_pore")} == {"forehead", "nose", "cheek"}
    assert len(result.regional_scores("hd_wrinkle")) == 6
    assert result.score("hd_pore", "whole") is not None
    assert "hd_pore:forehead" in result.masks


@pytest.mark.parametrize("unit", ["ms", "s"])
def test_polling_follows_the_servers_interval_in_ms_and_seconds(emulator_factory, face_bytes, unit):
    emulator = emulator_factory(processing_time=0.9, polling_interval=0.2, interval_unit=unit)
    polled_at = []

    def sleep(seconds):  # every poll follows a sleep: the interval runs from the last poll
        assert 0 < seconds <= 0.2
        time.sleep(seconds)
        polled_at.append(time.monotonic())

    Client(FAKE_KEY, base_url=emulator.url, sleep=sleep).analyze(face_bytes, settings())
    gaps = [b - a for a, b in zip(polled_at, polled_at[1:], strict=False)]
    assert gaps and all(0.2 - 0.002 <= gap < 0.2 + 0.06 for gap in gaps), gaps
    assert len(polled_at) <= math.ceil(0.9 / 0.2) + 1


def test_interval_unit_rule():
    assert interval_seconds(1500) == 1.5
    assert interval_seconds(2) == 2.0
    assert interval_seconds(None) is None
    assert interval_seconds(10**9) == 30.0
    assert interval_seconds("2") is None


def test_bad_key_is_an_auth_error_that_never_shows_the_key(emulator, face_bytes):
    key = "sk-wrong-key-that-must-not-leak"
    client = Client(key, base_url=emulator.url)
    with pytest.raises(AuthError) as caught:
        client.analyze(face_bytes, settings())
    assert caught.value.status == 401 and caught.value.error_code == "InvalidApiKey"
    assert caught.value.request_id
    assert key not in str(caught.value) and key not in repr(caught.value.as_dict())
    assert key not in repr(client)


def test_the_bearer_key_is_never_sent_to_the_presigned_url(client, emulator, face_bytes):
    slot = client.reserve_upload(
        file_name="a.jpg", content_type="image/jpeg", file_size=len(face_bytes)
    )
    client.upload(slot, face_bytes)  # the emulator refuses a PUT that carries Authorization
    client.session.headers["Authorization"] = "Bearer " + FAKE_KEY
    with pytest.raises(ApiStatusError) as caught:
        client.upload(slot, face_bytes)
    assert caught.value.status == 400 and "upload" in caught.value.hint


def test_unknown_file_is_invalid_parameters(client):
    with pytest.raises(InvalidParametersError) as caught:
        client.create_task(settings(), src_file_id="file_does_not_exist")
    assert "src_file_id" in caught.value.message


def test_credit_insufficiency(emulator_factory, face_bytes):
    client = Client(FAKE_KEY, base_url=emulator_factory(starting_units=5).url)
    with pytest.raises(CreditInsufficientError) as caught:
        client.analyze(face_bytes, settings())
    assert caught.value.error_code == "CreditInsufficiency" and caught.value.exit_code == 3


def test_rate_limit_error_after_retries_are_spent(emulator_factory):
    emulator = emulator_factory(fault_429_rate=1.0)
    client = Client(
        FAKE_KEY, base_url=emulator.url, retry=RetryPolicy(attempts=3, base_delay=0.001)
    )
    with pytest.raises(RateLimitError):
        client.credit_balance()
    assert emulator.api_requests() == 3


def test_unknown_task_is_invalid_task_id(client):
    with pytest.raises(InvalidTaskIdError) as caught:
        client.get_task("task_nope")
    assert caught.value.task_id == "task_nope"


def test_task_timeout_is_not_retried(emulator_factory, face_bytes):
    emulator = emulator_factory(fault_task_timeout=True)
    client = Client(
        FAKE_KEY, base_url=emulator.url, retry=RetryPolicy(attempts=5, base_delay=0.001)
    )
    answered = []
    with pytest.raises(TaskTimeoutError) as caught:
        client.analyze(face_bytes, settings(), on_progress=lambda p: answered.append(p.polls))
    assert caught.value.task_id
    polls_sent = sum(1 for m, p in emulator.request_log if "/task/skin-analysis/" in p)
    assert polls_sent == max(answered) + 1  # the 500 TaskTimeout poll was sent once


def test_engine_error_carries_the_code_and_a_hint(emulator_factory, face_bytes):
    client = Client(
        FAKE_KEY, base_url=emulator_factory(fault_engine_error="error_lighting_dark").url
    )
    with pytest.raises(EngineError) as caught:
        client.analyze(face_bytes, settings())
    assert caught.value.code == "error_lighting_dark"
    assert "light" in caught.value.hint and caught.value.exit_code == 4


def test_dropped_create_is_a_transport_error_and_is_not_resent(emulator_factory, face_bytes):
    emulator = emulator_factory()
    client = Client(
        FAKE_KEY, base_url=emulator.url, retry=RetryPolicy(attempts=5, base_delay=0.001)
    )
    file_id = client.upload_photo(face_bytes)
    emulator.configure(fault_drop_rate=1.0)
    with pytest.raises(TransportError) as caught:
        client.create_task(settings(), src_file_id=file_id)
    assert emulator.creates == 1
    assert "billed" in caught.value.hint


def test_a_create_whose_connection_was_refused_goes_again_and_creates_one_task(
    emulator_factory, face_bytes
):
    """Refused before a connection existed, the create cannot have reached the API: unlike a
    dropped one, it is sent again."""
    emulator = emulator_factory()
    gate = Gate(emulator.port).open()
    client = Client(FAKE_KEY, base_url=gate.url, retry=RetryPolicy(attempts=6, base_delay=0.1))
    file_id = client.upload_photo(face_bytes)
    gate.close()
    threading.Timer(0.25, gate.open).start()
    with client.recording() as trace:
        created = client.create_task(settings(), src_file_id=file_id)
    gate.close()
    assert created.task_id and emulator.creates == 1
    assert len(trace) >= 2  # refused at least once, then sent


def test_a_create_that_never_connects_says_nothing_was_billed(face_bytes):
    client = Client(
        FAKE_KEY, base_url=f"http://127.0.0.1:{free_port()}",
        retry=RetryPolicy(attempts=3, base_delay=0.001),
    )  # fmt: skip
    with client.recording() as trace, pytest.raises(NotSentError) as caught:
        client.create_task(settings(), src_file_id="file_1")
    assert len(trace) == 3
    assert "nothing was billed" in caught.value.hint and FAKE_KEY not in str(caught.value)


def test_polls_retry_dropped_connections(emulator_factory, face_bytes):
    emulator = emulator_factory(
        processing_time=0.2, polling_interval=0.02, fault_drop_rate=0.3, seed=3
    )
    client = Client(
        FAKE_KEY, base_url=emulator.url, retry=RetryPolicy(attempts=8, base_delay=0.001)
    )
    created = []
    try:
        result = client.analyze(face_bytes, settings(), on_task_created=created.append)
    except TransportError:
        assert emulator.creates <= 1  # the create itself was dropped: not re-sent
    else:
        assert result.task_id == created[0] and emulator.creates == 1


def test_429_and_502_storms_never_duplicate_a_create(emulator_factory, face_bytes):
    emulator = emulator_factory(fault_429_rate=0.3, fault_502_rate=0.3, seed=7)
    client = Client(
        FAKE_KEY, base_url=emulator.url, retry=RetryPolicy(attempts=10, base_delay=0.001)
    )
    successes = 0
    for _ in range(8):
        before = emulator.creates
        try:
            client.analyze(face_bytes, settings())
            successes += 1
        except ServerError:
            pass  # a 502 on the create: it ran, and the client must not send it again
        assert emulator.creates - before <= 1
    assert successes >= 2


def test_deadline_keeps_the_task_id_and_resume_finishes_it(emulator_factory, face_bytes):
    # The deadline falls after the create (even on a busy machine) and before the task ends.
    emulator = emulator_factory(processing_time=1.5, polling_interval=0.05)
    client = Client(FAKE_KEY, base_url=emulator.url)
    with pytest.raises(DeadlineExceeded) as caught:
        client.analyze(face_bytes, settings(), timeout=0.8)
    task_id = caught.value.task_id
    assert task_id and task_id in str(caught.value)
    result = client.resume(task_id, settings())
    assert result.task_id == task_id and emulator.creates == 1


def test_malformed_answer_is_a_protocol_error(serve):
    def garbage(handler):
        handler.answer(200, b"<html>gateway</html>")

    client = Client(FAKE_KEY, base_url=serve(garbage))
    with pytest.raises(ProtocolError):
        client.credit_balance()


def test_nothing_is_sent_for_an_invalid_request(client, emulator, face_bytes):
    from skinapi import RequestValidationError

    bad = AnalysisSettings(actions=("redness", "hd_pore"))
    with pytest.raises(RequestValidationError):
        client.analyze(face_bytes, bad)
    assert emulator.request_log == []


def test_delete_and_balance(client, face_bytes):
    before = client.credit_balance()
    result = client.analyze(face_bytes, settings("redness"))
    assert client.credit_balance() == before - 9
    client.delete_task(result.task_id)
    with pytest.raises(InvalidTaskIdError):
        client.get_task(result.task_id)


def test_unreachable_server_is_a_transport_error():
    client = Client(
        FAKE_KEY, base_url="http://127.0.0.1:9", retry=RetryPolicy(attempts=2, base_delay=0.001)
    )
    with pytest.raises(TransportError) as caught:
        client.credit_balance()
    assert FAKE_KEY not in str(caught.value)


def test_retries_are_narrated_as_progress(emulator_factory, face_bytes):
    emulator = emulator_factory(fault_429_rate=0.5, seed=3)
    notes = []
    client = Client(
        FAKE_KEY, base_url=emulator.url, retry=RetryPolicy(attempts=10, base_delay=0.001)
    )
    client.analyze(
        face_bytes,
        settings(),
        on_progress=lambda p: notes.append(p.note) if p.phase == "retrying" else None,
    )
    assert notes and all(re.fullmatch(
        r"Rate limited by the API — retrying in \d+\.\d s \(attempt \d+ of 10\)", n) for n in notes
    )  # fmt: skip


def test_a_results_files_download_together_each_kept_under_its_own_name_and_recorded(client):
    """The masks download a few at a time on worker threads: each lands under its own concern,
    and each download is in the caller's recording (the debug bundle), as one after another
    were."""
    import requests

    from skinapi.results import parse_json_output

    with client.recording() as trace:
        result = client.analyze(FACE_PATH.read_bytes(), SD_ALL)
    state = client.get_task(result.task_id)
    _, urls = parse_json_output(
        state.results["output"], task_id=result.task_id, api_version=SD_ALL.api_version
    )
    assert len(urls) > 4 and len(set(map(len, result.masks.values()))) > 1
    for key, url in urls.items():
        kept = result.resized_image if key == "resize_image" else result.masks[key]
        assert kept == requests.get(url, timeout=10).content, key
    downloads = [e for e in trace if e["method"] == "GET" and "/task/" not in e["url"]]
    assert len(downloads) == len(urls)


@pytest.fixture
def serve():
    """A loopback HTTP server whose GETs `answer(handler)` decides (`handler.answer(status,
    body)`); its base URL is returned. Stopped when the test ends."""
    servers = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.server.answer(self)

        def answer(self, status: int, body: bytes = b"") -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    def start(answer) -> str:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.answer = answer
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()


def succeeded_with_files_at(base: str, concerns) -> TaskState:
    """A task that succeeded with one mask per concern at `base`/<concern>.png."""
    output = [
        {"type": c, "ui_score": 50, "raw_score": 50.0, "mask_urls": [f"{base}/{c}.png"]}
        for c in concerns
    ]
    return TaskState("t" * 40, "success", 1.0, {"output": output})


def test_a_failed_download_leaves_the_results_other_files_unfetched(serve):
    """The first file refused (404) ends the result's downloads at once: the files still queued
    are never asked for, and those on their way (a second each) are not waited for."""
    concerns = preset_actions("all", "sd")
    asked, served = [], []

    def storage(handler):
        asked.append(handler.path)
        if handler.path == f"/{concerns[0]}.png":
            handler.answer(404)
            return
        time.sleep(1.0)
        handler.answer(200, b"png")
        served.append(handler.path)

    base = serve(storage)
    client = Client(FAKE_KEY, base_url=base, retry=RetryPolicy(attempts=1))
    with pytest.raises(ApiStatusError):
        client.tasks.fetch_result(succeeded_with_files_at(base, concerns), SD_ALL)
    assert served == []
    # Those still under way never hold up the process's exit.
    still = [t for t in threading.enumerate() if t.name == "skinapi-parallel" and t.is_alive()]
    assert still and all(t.daemon for t in still)
    assert f"/{concerns[0]}.png" in asked and len(asked) < len(concerns) // 2, asked


def test_retries_of_parallel_downloads_are_told_on_the_callers_thread(serve):
    """A file that fails once (503) is fetched again; the retry is told to the caller's
    listener on the caller's thread (a page draws it there), and the result is whole."""
    concerns = preset_actions("all", "sd")
    failed_once = set()

    def storage(handler):
        if handler.path not in failed_once:
            failed_once.add(handler.path)
            handler.answer(503)
            return
        handler.answer(200, handler.path.encode())

    base = serve(storage)
    client = Client(FAKE_KEY, base_url=base, retry=RetryPolicy(attempts=3, base_delay=0.01))
    told = []
    with client.retries_told_to(lambda note: told.append(threading.current_thread())):
        result = client.tasks.fetch_result(succeeded_with_files_at(base, concerns), SD_ALL)
    assert len(told) == len(concerns) and set(told) == {threading.current_thread()}
    assert all(
        mask == f"/{c}.png".encode()
        for c, mask in zip(concerns, result.masks.values(), strict=True)
    )


def test_the_connection_pool_holds_a_batchs_workers_downloading_at_once():
    """A batch's workers share one client, each downloading its files four at a time: the
    pool keeps that many connections per host (requests' default of 10 warned on stderr for
    each one it dropped, and connected again)."""
    from skinapi.resources.tasks import PARALLEL_DOWNLOADS
    from skinapi.runs.batch import run_batch

    workers = inspect.signature(run_batch).parameters["workers"].default
    session = Client(FAKE_KEY)._http.session
    for scheme in ("http://", "https://"):
        pool = session.get_adapter(f"{scheme}storage.example").poolmanager
        assert pool.connection_pool_kw["maxsize"] >= workers * PARALLEL_DOWNLOADS + workers
