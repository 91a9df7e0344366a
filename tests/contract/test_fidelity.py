"""The emulator behaves as the real API is documented and recorded to (tests/contract), not only
as our client expects: clients written from the vendor's examples run against it unmodified."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from skinapi import AnalysisSettings, Client, InvalidTaskIdError
from skinapi.concerns import HD_ACTIONS, SD_ACTIONS

from ..helpers import FACE_PATH, FAKE_KEY, ManualClock, jpeg, test_client

HERE = Path(__file__).parent.parent
AUTH = {"Authorization": f"Bearer {FAKE_KEY}"}


def api(emulator, method, path, body=None):
    return requests.request(method, emulator.url + path, json=body, headers=AUTH, timeout=10)


def test_resume_of_a_task_finished_long_ago_gets_fresh_urls(emulator_factory, face_bytes):
    clock = ManualClock()
    emulator = emulator_factory(clock=clock, processing_time=0.0)
    client = test_client(emulator, sleep=lambda s: None)
    settings = AnalysisSettings.build(["redness", "pore"])
    first = client.analyze(face_bytes, settings)
    clock.advance(3 * 3600)  # past the 2 minutes a running task may go unpolled, and past 2 h
    again = client.resume(first.task_id, settings)
    assert again.task_id == first.task_id and again.masks.keys() == first.masks.keys()
    clock.advance(25 * 3600)  # the vendor keeps results 24 h
    with pytest.raises(InvalidTaskIdError):
        client.get_task(first.task_id)


def test_result_urls_expire_and_each_poll_hands_out_fresh_ones(emulator_factory, face_bytes):
    clock = ManualClock()
    emulator = emulator_factory(clock=clock, processing_time=0.0)
    client = test_client(emulator)
    created = client.create_task(
        AnalysisSettings.build(["redness"]), src_file_id=client.upload_photo(face_bytes)
    )
    emulator_done = lambda: client.get_task(created.task_id).status == "success"  # noqa: E731
    assert _wait(emulator_done)
    url = client.get_task(created.task_id).results["output"][0]["mask_urls"][0]
    assert requests.get(url, timeout=5).status_code == 200
    clock.advance(2 * 3600 + 1)
    assert requests.get(url, timeout=5).status_code == 403  # expired
    fresh = client.get_task(created.task_id).results["output"][0]["mask_urls"][0]
    assert fresh != url and requests.get(fresh, timeout=5).status_code == 200


def test_an_unpolled_running_task_still_expires(emulator_factory, face_bytes):
    clock = ManualClock()
    emulator = emulator_factory(clock=clock, processing_time=5.0, task_expiry=120)
    client = test_client(emulator)
    created = client.create_task(
        AnalysisSettings.build(["redness"]), src_file_id=client.upload_photo(face_bytes)
    )
    clock.advance(121)
    with pytest.raises(InvalidTaskIdError):
        client.get_task(created.task_id)


def test_what_the_api_accepts_the_emulator_accepts(emulator_factory):
    emulator = emulator_factory(send_polling_interval=False)  # the default, as the vendor's
    file_id = _upload(emulator, "/s2s/v2.1/file/skin-analysis")
    for version, body in [
        ("v2.0", {"pf_camera_kit": True}),  # v2.1's field on v2.0: ignored
        ("v2.1", {"dst_actions": ["redness", "redness", "pore"]}),  # a repeat counts once
        ("v2.1", {"miniserver_args": {"enable_mask_overlay": False, "something_new": 1}}),
        ("v2.1", {"unknown_top_level_field": "x"}),
    ]:
        task = {"src_file_id": file_id, "dst_actions": ["redness"], "format": "json"} | body
        answer = api(emulator, "POST", f"/s2s/{version}/task/skin-analysis", task)
        assert answer.status_code == 200, (body, answer.text)
        assert set(answer.json()["data"]) == {"task_id"}  # no polling_interval by default


def test_answers_are_shaped_as_the_vendor_documents(emulator):
    assert api(emulator, "GET", "/s2s/v1.0/client/credit").json()["results"][0]["amount_dec"] > 0
    cost = api(emulator, "GET", "/s2s/v2.0/credit/feature-cost").json()
    assert cost["result"]["skus"][0]["amount"] == 9
    reply = api(emulator, "GET", "/s2s/v1.0/client/credit")
    assert reply.headers["x-request-id"].isdigit()
    client = test_client(emulator)
    result = client.analyze(FACE_PATH.read_bytes(), AnalysisSettings.build(["redness"]))
    assert api(emulator, "POST", "/s2s/v2.0/task/delete", {"task_id": result.task_id}).json() == {
        "status": 200
    }


def test_the_file_host_sends_no_request_id(emulator, face_bytes):
    slot = test_client(emulator).reserve_upload(
        file_name="f.jpg", content_type="image/jpeg", file_size=len(face_bytes)
    )
    put = requests.put(slot.url, data=face_bytes, headers=slot.headers, timeout=10)
    assert put.status_code == 200 and "x-request-id" not in put.headers


def test_a_404_does_not_count_against_the_rate_limit(emulator_factory):
    emulator = emulator_factory(rate_limit=True, rate_per_second=2, rate_per_window=100)
    for _ in range(5):
        assert api(emulator, "GET", "/s2s/v9/nothing").status_code == 404
    assert api(emulator, "GET", "/s2s/v1.0/client/credit").status_code == 200


def test_src_file_url_is_fetched(emulator_factory):
    photo = FACE_PATH.read_bytes()

    class Photo(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(photo)))
            self.end_headers()
            self.wfile.write(photo)

        def log_message(self, *args):
            pass

    host = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Photo)
    threading.Thread(target=host.serve_forever, daemon=True).start()
    try:
        emulator = emulator_factory()
        client = test_client(emulator)
        settings = AnalysisSettings.build(["redness"])
        url = f"http://127.0.0.1:{host.server_address[1]}/face.jpg"
        created = client.create_task(settings, src_file_url=url)
        result = client.resume(created.task_id, settings)
        assert result.scores and result.scores[0].type == "redness"
    finally:
        host.shutdown()


# -- clients written by others, from the vendor's examples, run unmodified -----------------

SOMEONE_ELSES_KEY = "sk-the-key-their-client-already-uses"
"""Not a key the emulator knows: the clients run against it in any-key mode, as someone who
points an existing client at `python -m skinapi emulator --any-key` does."""


def run_client(emulator, argv: list[str]) -> subprocess.CompletedProcess:
    """A client as its author runs it: the key and host from the environment, nothing else."""
    env = {
        "PATH": os.environ["PATH"],
        "YOUCAM_API_KEY": SOMEONE_ELSES_KEY,
        "YOUCAM_BASE_URL": emulator.url,
    }
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not shutil.which("curl"), reason="the vendor's guide uses curl")
@pytest.mark.skipif(
    not shutil.which("jq"),
    reason="the curl client reads JSON with jq, which is not installed (apt-get install jq)",
)
@pytest.mark.parametrize("fmt", ["json", "zip"])
@pytest.mark.parametrize("quality", ["sd", "hd"])
def test_the_vendors_curl_sequence(emulator_factory, tmp_path, fmt, quality):
    emulator = emulator_factory(any_key=True)
    photo = _photo_for(quality, tmp_path)
    actions = ",".join((SD_ACTIONS if quality == "sd" else HD_ACTIONS)[:4])
    script = str(HERE / "clients" / "curl_flow.sh")
    done = run_client(emulator, ["bash", script, str(photo), actions, fmt])
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert '"task_status":"success"' in done.stdout.replace(" ", "")


@pytest.mark.parametrize("fmt", ["json", "zip"])
@pytest.mark.parametrize("quality", ["sd", "hd"])
def test_a_requests_only_client_from_the_vendors_examples(emulator_factory, tmp_path, fmt, quality):
    emulator = emulator_factory(any_key=True)
    photo = _photo_for(quality, tmp_path)
    actions = ",".join((SD_ACTIONS if quality == "sd" else HD_ACTIONS)[:4])
    script = str(HERE / "clients" / "plain_requests.py")
    done = run_client(emulator, [sys.executable, script, str(photo), actions, fmt])
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary == {"task_status": "success", "scores": 4}


@pytest.mark.parametrize("version", ["v2.0", "v2.1"])
@pytest.mark.parametrize("fmt", ["json", "zip"])
@pytest.mark.parametrize("quality", ["sd", "hd"])
def test_our_client_in_both_versions(emulator, tmp_path, version, fmt, quality):
    photo = _photo_for(quality, tmp_path).read_bytes()
    actions = (SD_ACTIONS if quality == "sd" else HD_ACTIONS)[:4]
    settings = AnalysisSettings.build(actions, format=fmt, api_version=version)
    result = Client(
        FAKE_KEY, base_url=emulator.url, api_version=version, min_poll_interval=0.01
    ).analyze(photo, settings)
    assert {s.type for s in result.scores} == set(actions) and not result.missing


def _photo_for(quality: str, tmp_path: Path) -> Path:
    """The test face, large enough for HD (an upscale; the demo engine does not mind)."""
    from PIL import Image

    path = tmp_path / f"{quality}.jpg"
    image = Image.open(FACE_PATH).convert("RGB")
    if quality == "hd":
        image = image.resize((1080, 1440))
    path.write_bytes(jpeg(image))
    return path


def _upload(emulator, path: str) -> str:
    data = FACE_PATH.read_bytes()
    body = {"files": [{"content_type": "image/jpeg", "file_name": "f.jpg", "file_size": len(data)}]}
    entry = api(emulator, "POST", path, body).json()["data"]["files"][0]
    slot = entry["requests"][0]
    requests.put(slot["url"], data=data, headers=slot["headers"], timeout=10).raise_for_status()
    return entry["file_id"]


def _wait(condition, timeout: float = 10.0) -> bool:
    from ..helpers import wait_until

    return wait_until(condition, timeout=timeout, what="the emulator's task to finish")


def test_json_items_come_in_the_vendors_order(emulator, tmp_path):
    """The vendor's example lists a concern's whole-face item before its regions and the skin
    age before the overall score (tests/contract/task_poll_success_json_hd.json)."""
    client = test_client(emulator)
    settings = AnalysisSettings.build(["hd_pore", "hd_wrinkle"])
    photo = _photo_for("hd", tmp_path).read_bytes()
    created = client.create_task(settings, src_file_id=client.upload_photo(photo))
    state = client.wait(created.task_id, api_version="v2.1")
    output = state.results["output"]
    for concern in ("hd_pore", "hd_wrinkle"):
        regions = [i["region"] for i in output if i["type"] == concern]
        assert regions[0] == "whole" and len(regions) > 1
    kinds = [i["type"] for i in output]
    assert kinds.index("skin_age") < kinds.index("all")
