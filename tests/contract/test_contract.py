"""The client, the CLI and the Results page against the vendor's published answers (replayed by
tests/contract_replay.py from tests/contract/*.json, each with its source), for both result
formats, SD and HD, full and partial answers, and the documented errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from skinapi import (
    AnalysisSettings,
    AuthError,
    Client,
    CreditInsufficientError,
    EngineError,
    InvalidParametersError,
    InvalidTaskIdError,
    RateLimitError,
    RetryPolicy,
    TaskTimeoutError,
)
from skinapi.concerns import SD_ACTIONS

from ..helpers import FACE_PATH, FAKE_KEY, app_test, run_cli
from .contract_replay import ReplayServer, document

RUNNING = "task_poll_running.json"
JSON_HD = {"reserve": "upload_reserve_v20_file.json", "create": "task_create_v21.json",
           "polls": [RUNNING, "task_poll_success_json_hd.json"]}  # fmt: skip
HD_ASKED = ["hd_wrinkle", "hd_pore", "hd_acne", "hd_skin_type"]
SD_PARTIAL = JSON_HD | {"create": "task_create_v20.json",
                        "polls": [RUNNING, "task_poll_success_json_sd_truncated.json"]}  # fmt: skip
ZIP_SD = JSON_HD | {
    "polls": [RUNNING, "task_poll_success_zip.json"],
    "score_info": "score_info_sd.json",
}
ZIP_HD = ZIP_SD | {"score_info": "score_info_hd.json"}
SD_IN_ZIP = [k for k in document("score_info_sd.json")["body"] if k not in ("all", "skin_age")]
HD_IN_ZIP = [k for k in document("score_info_hd.json")["body"] if k not in ("all", "skin_age")]


def client(url: str, version: str = "v2.1") -> Client:
    return Client(FAKE_KEY, base_url=url, api_version=version, sleep=lambda s: None,
                  retry=RetryPolicy(attempts=2, base_delay=0.001))  # fmt: skip


@pytest.mark.parametrize("version", ["v2.1", "v2.0"])
def test_the_vendors_json_hd_example_is_read_whole(version):
    with ReplayServer(JSON_HD) as replay:
        settings = AnalysisSettings.build(HD_ASKED, api_version=version)
        result = client(replay.url, version).analyze(FACE_PATH.read_bytes(), settings)
    expected = [i for i in document("task_poll_success_json_hd.json")["body"]["data"]["results"]["output"]
                if "raw_score" in i]  # fmt: skip
    assert [(s.type, s.region, s.raw_score, s.ui_score) for s in result.scores] == [
        (i["type"], i.get("region"), i["raw_score"], i["ui_score"]) for i in expected
    ]
    assert result.overall is not None and result.skin_age is not None and result.skin_types
    assert result.missing == [] and len(result.masks) == len(expected) + 3  # + 3 skin types
    zones = {f"hd_skin_type:{z}" for z in ("whole", "t_zone", "u_zone")}
    assert zones <= result.masks.keys() and result.skin_type_mask_key == "hd_skin_type:whole"
    assert result.resized_image


def test_a_partial_answer_is_a_success_that_names_what_is_missing():
    with ReplayServer(SD_PARTIAL) as replay:
        settings = AnalysisSettings.build(SD_ACTIONS, api_version="v2.0")
        result = client(replay.url, "v2.0").analyze(FACE_PATH.read_bytes(), settings)
    assert {s.type for s in result.scores} == {"texture", "pore"}
    assert (
        len(result.missing) == 14 and "redness" in result.missing and "pore" not in result.missing
    )


@pytest.mark.parametrize(
    "flow, asked", [(ZIP_SD, SD_IN_ZIP), (ZIP_HD, HD_IN_ZIP)], ids=["sd", "hd"]
)
def test_the_vendors_zip_examples_with_a_bare_url(flow, asked):
    with ReplayServer(flow) as replay:
        settings = AnalysisSettings.build(asked, format="zip")
        result = client(replay.url).analyze(FACE_PATH.read_bytes(), settings)
    info = document(flow["score_info"])["body"]
    assert result.overall == info["all"]["score"] and result.missing == []
    assert {s.type for s in result.scores} == set(asked)
    flat = [k for k, v in info.items() if isinstance(v, dict) and "raw_score" in v]
    for name in flat:
        assert result.score(name, None).raw_score == info[name]["raw_score"]
    assert result.masks


@pytest.mark.parametrize("name, amount", [("credit_balance.json", 10.04),
                                          ("credit_balance_observed.json", 1040)])  # fmt: skip
def test_the_balance_in_both_recorded_shapes(name, amount):
    with ReplayServer({"credit": name}) as replay:
        assert client(replay.url).credit_balance() == pytest.approx(amount)


ERRORS = [
    ("error_400_invalid_parameters_file.json", "reserve", InvalidParametersError),
    ("error_401_invalid_api_key_observed.json", "reserve", AuthError),
    ("error_400_credit_insufficiency.json", "create", CreditInsufficientError),
    ("error_400_mix_hd_sd.json", "create", InvalidParametersError),
    ("error_400_unknown_dst_action.json", "create", InvalidParametersError),
    ("error_401_invalid_api_key.json", "create", AuthError),
    ("error_429_too_many_requests.json", "create", RateLimitError),
    ("error_400_invalid_task_id.json", "poll", InvalidTaskIdError),
    ("error_500_task_timeout.json", "poll", TaskTimeoutError),
    ("task_poll_error.json", "poll", EngineError),
]


@pytest.mark.parametrize("name, step, error", ERRORS, ids=[e[0] for e in ERRORS])
def test_each_documented_error_becomes_its_own_exception(name, step, error):
    flow = JSON_HD | {{"reserve": "reserve", "create": "create"}.get(step, "polls"): name}
    if step == "poll":
        flow["polls"] = [name]
    with ReplayServer(flow) as replay, pytest.raises(error) as caught:
        client(replay.url).analyze(FACE_PATH.read_bytes(), AnalysisSettings.build(HD_ASKED))
    assert FAKE_KEY not in str(caught.value)


def cli(url: str, *args: str) -> subprocess.CompletedProcess:
    return run_cli("analyze", FACE_PATH, "--base-url", url, *args, timeout=60)


def test_the_cli_prints_a_partial_answer_with_its_missing_list():
    with ReplayServer(SD_PARTIAL) as replay:
        done = cli(replay.url, "--preset", "sd-all", "--api-version", "v2.0")
    assert done.returncode == 0, done.stderr
    document_ = json.loads(done.stdout)
    assert len(document_["missing"]) == 14 and len(document_["concerns"]) == 2
    assert "partial answer" in done.stderr.splitlines()[-1]


def test_the_cli_reads_the_vendors_zip_example():
    with ReplayServer(ZIP_HD) as replay:
        done = cli(replay.url, "--actions", ",".join(HD_IN_ZIP), "--format", "zip", "--skip-checks")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["missing"] == []


def test_the_results_page_shows_a_recorded_live_answer_and_its_gaps(monkeypatch, tmp_path):

    monkeypatch.setenv("SKINSCOPE_DATA_DIR", str(tmp_path / "data"))
    with ReplayServer(SD_PARTIAL) as replay:
        at = app_test()
        at.session_state["settings_api_key"] = FAKE_KEY
        at.session_state["settings_base_url"] = replay.url
        at.run()
        at.radio(key="analyse_source").set_value("sample").run()
        at.radio(key="analyse_api_version").set_value("v2.0").run()
        at.button(key="do_run").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Results"
    assert any("partial answer" in w.value and "14 of the 16" in w.value for w in at.warning)
    assert at.get("plotly_chart")


def test_the_v21_feature_path_reservation_and_v20_task_examples():
    flow = JSON_HD | {"reserve": "upload_reserve_v21_file_skin_analysis.json",
                      "create": "task_create_v20.json"}  # fmt: skip
    with ReplayServer(flow) as replay:
        result = client(replay.url, "v2.0").analyze(
            FACE_PATH.read_bytes(), AnalysisSettings.build(HD_ASKED, api_version="v2.0")
        )
    assert result.task_id == document("task_create_v20.json")["body"]["data"]["task_id"]


def test_delete_answers_as_documented():
    with ReplayServer({"delete": "delete.json"}) as replay:
        client(replay.url).delete_task("grH0CvsgXuAIHLUzD0V1Ol34hoet3R1tvdbtiVHrDb6")
    with (
        ReplayServer({"delete": "delete_error_400.json"}) as replay,
        pytest.raises(InvalidParametersError),
    ):
        client(replay.url).delete_task("grH0CvsgXuAIHLUzD0V1Ol34hoet3R1tvdbtiVHrDb6")


def test_the_observed_error_fragment_reads_as_an_engine_error():
    from skinapi.schema import Answer, task_state

    fragment = document("task_poll_error_observed_fragment.json")["body"]
    state = task_state(Answer(fragment, "a recorded poll's data"), "t")
    assert state.status == "error" and state.error_code == "error_large_face_angle"


def test_the_vendors_price_list_matches_our_unit_table():
    from skinapi.concerns import unit_cost

    skus = document("feature_cost.json")["body"]["result"]["skus"]
    assert [s["amount"] for s in skus] == [unit_cost(["redness"]), unit_cost(["redness"] * 5)]


def test_every_recorded_answer_is_used_by_a_test():
    from .contract_replay import CONTRACT

    here = Path(__file__).read_text()
    unused = [p.name for p in sorted(CONTRACT.glob("*.json")) if p.name not in here]
    assert unused == []


def test_a_server_with_only_the_feature_upload_path_is_found_and_remembered(emulator):
    """The client tries the next documented reservation path on a 404 and keeps the one that
    worked: a server that serves only /s2s/v2.1/file/skin-analysis works from the first run."""
    from ..helpers import test_client

    real, tried = emulator.handle, []

    def only_the_feature_path(method, path, headers, body, **caller):
        if "/file" in path and path.startswith("/s2s/"):
            tried.append(path)
        if path in ("/s2s/v2.0/file", "/s2s/v2.0/file/skin-analysis"):
            return 404, {"Content-Type": "application/json"}, b'{"status": 404}'
        return real(method, path, headers, body, **caller)

    emulator.handle = only_the_feature_path
    ours = test_client(emulator)
    settings = AnalysisSettings.build(["redness"])
    assert ours.analyze(FACE_PATH.read_bytes(), settings).scores
    assert tried == [
        "/s2s/v2.0/file",
        "/s2s/v2.0/file/skin-analysis",
        "/s2s/v2.1/file/skin-analysis",
    ]
    tried.clear()
    assert ours.analyze(FACE_PATH.read_bytes(), settings).scores
    assert tried == ["/s2s/v2.1/file/skin-analysis"]  # remembered: no 404s the second time


def test_the_hd_score_info_is_read_flat_and_nested_at_full_precision():
    """The vendor's HD sample has flat concerns (hd_redness) beside ones nested under `whole`
    (hd_texture, hd_acne) and by region, all with full-precision raw scores; each is read."""
    with ReplayServer(ZIP_HD) as replay:
        settings = AnalysisSettings.build(HD_IN_ZIP, format="zip")
        result = client(replay.url).analyze(FACE_PATH.read_bytes(), settings)
    info = document("score_info_hd.json")["body"]
    assert (
        result.score("hd_redness").raw_score == info["hd_redness"]["raw_score"] == 72.011962890625
    )
    assert result.score("hd_texture").raw_score == info["hd_texture"]["whole"]["raw_score"]
    assert result.score("hd_pore", "nose").raw_score == info["hd_pore"]["nose"]["raw_score"]
    assert {"hd_redness:whole", "hd_texture:whole", "hd_pore:nose"} <= result.masks.keys()


def test_a_reservation_in_the_legacy_result_envelope_is_read():
    flow = JSON_HD | {"reserve": "upload_reserve_v11_legacy_observed.json"}
    with ReplayServer(flow) as replay:
        result = client(replay.url).analyze(
            FACE_PATH.read_bytes(), AnalysisSettings.build(HD_ASKED)
        )
        uploads = [r for r in replay.requests if r[1].startswith("/upload")]
    assert result.scores and len(uploads) == 1


def test_the_vendors_price_list_is_read_with_its_task_urls():
    with ReplayServer({"feature_cost": "feature_cost.json"}) as replay:
        skus = client(replay.url).feature_cost()
    published = document("feature_cost.json")["body"]["result"]["skus"]
    assert [(s.description, s.amount, s.unit) for s in skus] == [
        (p["description"], p["amount"], p["unit"]) for p in published
    ]
    # The replay points absolute URLs at itself and keeps their last segment.
    assert all(s.run_task_url.endswith("/skin-analysis") for s in skus)
