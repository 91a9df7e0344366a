"""The emulator's answers have the shapes of the vendor's samples and recorded answers
(tests/contract/*.json, each with its source): score_info.json nesting and precision, a mask per
skin-type zone, the price list's task URLs, the legacy v1.1 upload, and any-key mode."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import requests
from PIL import Image

from skinapi import AnalysisSettings, Client
from skinapi.concerns import HD_ACTIONS

from ..helpers import FACE_PATH, FAKE_KEY, jpeg, test_client
from .contract_replay import document

AUTH = {"Authorization": f"Bearer {FAKE_KEY}"}
SAMPLE_INFO = document("score_info_hd.json")["body"]
JSON_HD_OUTPUT = document("task_poll_success_json_hd.json")["body"]["data"]["results"]["output"]
LEGACY = document("upload_reserve_v11_legacy_observed.json")


def hd_photo() -> bytes:
    """The test face at HD size (an upscale; the demo engine does not mind)."""
    return jpeg(Image.open(FACE_PATH).convert("RGB").resize((1080, 1440)))


def finished(emulator, actions, fmt: str):
    client = test_client(emulator)
    settings = AnalysisSettings.build(actions, format=fmt)
    created = client.create_task(settings, src_file_id=client.upload_photo(hd_photo()))
    return client.wait(created.task_id, api_version="v2.1", interval=0.01)


def test_hd_score_info_nests_only_where_the_vendors_sample_does(emulator):
    state = finished(emulator, [a for a in HD_ACTIONS if a in SAMPLE_INFO], "zip")
    url = state.results["url"] if isinstance(state.results, dict) else state.results
    archive = zipfile.ZipFile(io.BytesIO(requests.get(url, timeout=10).content))
    info = json.loads(archive.read("skinanalysisResult/score_info.json"))
    for concern, published in SAMPLE_INFO.items():
        if concern in ("all", "skin_age"):
            continue
        ours = info[concern]
        assert ("raw_score" in ours) == ("raw_score" in published), concern
        if "raw_score" not in published:
            assert ours.keys() == published.keys(), concern
    raws = [v["raw_score"] for v in info.values() if isinstance(v, dict) and "raw_score" in v]
    # Full floats as in the sample (72.011962890625), not rounded to one or two decimals.
    assert sum(round(raw, 2) != raw for raw in raws) >= len(raws) // 2


def test_json_answers_keep_two_decimals_and_a_mask_per_skin_type_zone(emulator):
    state = finished(emulator, ["hd_pore", "hd_skin_type"], "json")
    output = state.results["output"]
    zones = [i for i in output if i["type"] == "hd_skin_type"]
    published = [i for i in JSON_HD_OUTPUT if i["type"] == "hd_skin_type"]
    assert [(z["region"], z.keys()) for z in zones] == [(p["region"], p.keys()) for p in published]
    for zone in zones:
        assert requests.get(zone["mask_urls"][0], timeout=10).status_code == 200
    assert all(round(i["raw_score"], 2) == i["raw_score"] for i in output if "raw_score" in i)
    result = test_client(emulator).fetch_result(state, AnalysisSettings.build(["hd_skin_type"]))
    assert {f"hd_skin_type:{z}" for z in ("whole", "t_zone", "u_zone")} <= result.masks.keys()


def test_the_price_list_names_the_task_url_as_the_vendors_example(emulator):
    answer = requests.get(emulator.url + "/s2s/v2.0/credit/feature-cost", headers=AUTH, timeout=5)
    published = document("feature_cost.json")["body"]["result"]["skus"][0]
    sku = answer.json()["result"]["skus"][0]
    assert sku.keys() == published.keys()
    assert sku["run_task_url"] == emulator.url + "/s2s/v2.0/task/skin-analysis"
    assert {s.run_task_url for s in test_client(emulator).feature_cost()} == {sku["run_task_url"]}


def test_the_legacy_v11_upload_answers_under_result_and_its_file_id_runs_a_task(emulator):
    photo = FACE_PATH.read_bytes()
    asked = {
        "content_type": "image/jpeg",
        "file_name": "skin_analysis.jpg",
        "file_size": len(photo),
    }
    answer = requests.post(
        emulator.url + LEGACY["request"]["path"], json={"files": [asked]}, headers=AUTH, timeout=5
    ).json()
    recorded = LEGACY["body"]
    assert answer.keys() == recorded.keys() and answer["status"] == 200
    entry, recorded_entry = answer["result"]["files"][0], recorded["result"]["files"][0]
    assert entry.keys() == recorded_entry.keys()
    slot, recorded_slot = entry["requests"][0], recorded_entry["requests"][0]
    assert (
        slot.keys() == recorded_slot.keys()
        and slot["headers"].keys() == recorded_slot["headers"].keys()
    )
    requests.put(slot["url"], data=photo, headers=slot["headers"], timeout=10).raise_for_status()
    client = Client(FAKE_KEY, base_url=emulator.url, api_version="v2.0", min_poll_interval=0.01)
    settings = AnalysisSettings.build(["redness"], api_version="v2.0")
    created = client.create_task(settings, src_file_id=entry["file_id"])
    assert client.fetch_result(client.wait(created.task_id, interval=0.01), settings).scores


@pytest.mark.parametrize(
    "files, status",
    [
        ([], 400),
        ([{"content_type": "image/gif", "file_name": "a.gif", "file_size": 10}], 400),
        ([{"content_type": "image/jpeg", "file_name": "a.jpg", "file_size": 10**9}], 413),
        ([{"content_type": "image/jpeg", "file_name": "a" * 300, "file_size": 10}], 400),
        ([{"content_type": ["image/jpeg"], "file_name": "a.jpg", "file_size": 10}], 400),
    ],
)
def test_the_legacy_upload_refuses_what_the_current_ones_refuse(emulator, files, status):
    for path in ("/s2s/v1.1/file/skin-analysis", "/s2s/v2.0/file"):
        answer = requests.post(emulator.url + path, json={"files": files}, headers=AUTH, timeout=5)
        assert answer.status_code == status, (path, answer.text)


def test_any_key_mode_takes_any_key_and_keeps_units_per_key(emulator_factory, face_bytes):
    strict = emulator_factory()
    credit = "/s2s/v1.0/client/credit"
    mine, theirs = "sk-anything-a-client-already-has", "another-key"
    refused = requests.get(strict.url + credit, headers={"Authorization": f"Bearer {mine}"})
    assert refused.status_code == 401
    emulator = emulator_factory(any_key=True)
    for key in (mine, theirs):
        ok = requests.get(emulator.url + credit, headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 200
    empty = requests.get(emulator.url + credit, headers={"Authorization": "Bearer "}, timeout=5)
    assert empty.status_code == 401
    Client(mine, base_url=emulator.url, min_poll_interval=0.01).analyze(
        face_bytes, AnalysisSettings.build(["redness"])
    )
    assert emulator.balance(mine) == emulator.balance(theirs) - 9
