"""The emulator judges requests and photos by the contract's rules (skinapi/demo/rules.py), not
by the client's validation or photo pre-flight: what the client would block is sent here as raw
HTTP, and a mistake put into the client's checks does not change the emulator's answers."""

from __future__ import annotations

import ast
import io
import time

import pytest
import requests
from PIL import Image

from skinapi import concerns
from skinapi.concerns import CONCERNS, validation_problems
from skinapi.demo import rules
from skinapi.imaging import checks
from skinapi.imaging.checks import check_photo
from skinapi.imaging.photo import load_photo

from ..helpers import FAKE_KEY, ROOT, jpeg

AUTH = {"Authorization": f"Bearer {FAKE_KEY}"}


def upload(emulator, data: bytes) -> str:
    """Reserve and PUT `data` as the vendor's steps 1–2 do; the file_id."""
    entry = {"content_type": "image/jpeg", "file_name": "photo.jpg", "file_size": len(data)}
    reserved = requests.post(
        emulator.url + "/s2s/v2.0/file", json={"files": [entry]}, headers=AUTH, timeout=10
    ).json()["data"]["files"][0]
    put = reserved["requests"][0]
    requests.put(put["url"], data=data, headers=put["headers"], timeout=10).raise_for_status()
    return reserved["file_id"]


def create(emulator, body: dict, version: str = "v2.1") -> requests.Response:
    path = f"/s2s/{version}/task/skin-analysis"
    return requests.post(emulator.url + path, json=body, headers=AUTH, timeout=10)


def outcome(emulator, data: bytes, actions=("redness",)) -> str:
    """``success``, or the engine error the emulator ends a task on `data` with."""
    body = {"src_file_id": upload(emulator, data), "dst_actions": list(actions), "format": "json"}
    task_id = create(emulator, body).json()["data"]["task_id"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        poll = f"{emulator.url}/s2s/v2.1/task/skin-analysis/{task_id}"
        answer = requests.get(poll, headers=AUTH, timeout=10).json()["data"]
        if answer["task_status"] != "running":
            return answer.get("error") or answer["task_status"]
        time.sleep(0.02)
    raise AssertionError(f"task {task_id} still running after 30 s")


def encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


# -- photos ----------------------------------------------------------------------------------


def test_a_jpeg_the_clients_check_blocks_is_analysed_as_the_contract_accepts_jpegs(
    emulator, face_image
):
    """A JPEG followed by a second picture (MPO, as cameras write for previews or depth) is a
    JPG file, which the contract accepts. The client's check goes by Pillow's format name,
    "MPO", and blocks it; the emulator goes by the file's bytes and analyses it."""
    data = encoded(face_image, "MPO", save_all=True, append_images=[face_image.resize((360, 480))])
    assert check_photo(load_photo(data), "sd").engine_error == "error_decode_image"  # premise
    assert outcome(emulator, data) == "success"


def _client_needs_1000_px(monkeypatch):
    monkeypatch.setitem(concerns.MIN_SHORT_SIDE, "sd", 1000)


def _client_needs_a_face_95_percent_wide(monkeypatch):
    monkeypatch.setattr(checks, "MIN_FACE_RATIO", 0.95)


def _client_calls_every_face_dark(monkeypatch):
    monkeypatch.setattr(checks, "DARK_BLOCK", 250.0)


@pytest.mark.parametrize(
    "client_mistake",
    [_client_needs_1000_px, _client_needs_a_face_95_percent_wide, _client_calls_every_face_dark],
)
def test_a_mistake_in_the_clients_photo_check_is_not_the_emulators(
    emulator, face_bytes, monkeypatch, client_mistake
):
    client_mistake(monkeypatch)
    assert check_photo(load_photo(face_bytes), "sd").engine_error  # the client now blocks it
    assert outcome(emulator, face_bytes) == "success"


def _two_people(face: Image.Image) -> Image.Image:
    pair = Image.new("RGB", (1440, 960), (200, 200, 205))
    pair.paste(face, (0, 0))
    pair.paste(face, (720, 0))
    return pair


def _long_side_of_4200(face: Image.Image) -> Image.Image:
    tall = Image.new("RGB", (720, 4200), (200, 200, 205))
    tall.paste(face, (0, 1600))
    return tall


@pytest.mark.parametrize(
    "make, actions, expected",
    [
        (lambda f: jpeg(f), ["redness"], "success"),
        (lambda f: encoded(f, "PNG"), ["redness"], "success"),
        (lambda f: jpeg(f), ["hd_redness"], "error_below_min_image_size"),
        (lambda f: jpeg(f.resize((300, 400))), ["redness"], "error_below_min_image_size"),
        (lambda f: jpeg(_long_side_of_4200(f)), ["redness"], "error_exceed_max_image_size"),
        (lambda f: encoded(f, "GIF"), ["redness"], "error_decode_image"),
        (lambda f: encoded(f, "WEBP"), ["redness"], "error_decode_image"),
        (
            lambda f: jpeg(Image.new("RGB", (720, 960), (120, 160, 200))),
            ["redness"],
            "error_no_face",
        ),
        (lambda f: jpeg(_two_people(f)), ["redness"], "error_multiple_people"),
    ],
)
def test_photos_sent_past_the_client_get_the_contracts_verdicts(
    emulator, face_image, make, actions, expected
):
    assert outcome(emulator, make(face_image), actions) == expected


# -- requests --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, version",
    [
        ({"dst_actions": ["redness", "redness"]}, "v2.1"),  # a repeat counts once
        ({"miniserver_args": {"something_new": 1}}, "v2.1"),  # unknown options are ignored
        ({"pf_camera_kit": True}, "v2.0"),  # not a v2.0 field: ignored
    ],
)
def test_a_request_the_clients_validation_blocks_the_contract_accepts(
    emulator, face_bytes, changes, version
):
    body = {"src_file_id": upload(emulator, face_bytes), "dst_actions": ["redness"]} | changes
    args = body.get("miniserver_args", {})
    assert validation_problems(body["dst_actions"], "zip", version, args, body.get("pf_camera_kit"))
    answer = create(emulator, body, version)
    assert answer.status_code == 200, answer.text


def test_a_mistake_in_the_clients_validation_is_not_the_emulators(
    emulator, face_bytes, monkeypatch
):
    monkeypatch.setattr(concerns, "RESULT_FORMATS", ("zip",))
    assert validation_problems(["redness"], "json", "v2.1", {}, None)  # the client now blocks it
    body = {"src_file_id": upload(emulator, face_bytes), "dst_actions": ["redness"]}
    assert create(emulator, body | {"format": "json"}).status_code == 200


@pytest.mark.parametrize(
    "changes, message",
    [
        # The client names the repeat first; the API's documented answer is the mix.
        ({"dst_actions": ["redness", "redness", "hd_pore"]}, "cannot mix HD and SD dst_actions"),
        ({"dst_actions": ["hd_pore", "abc123", "redness"]}, "Not available dst_action abc123"),
        ({"format": "xml"}, None),
        ({"pf_camera_kit": "yes"}, None),  # v2.1's field is a boolean
        ({"miniserver_args": ["enable_mask_overlay"]}, None),  # an object
        ({"miniserver_args": {"opacity_dark_background_hd_pore": 2}}, None),
        ({"src_file_url": 5}, None),  # with src_file_id left out below
    ],
)
def test_a_parameter_problem_gets_the_contracts_error(emulator, face_bytes, changes, message):
    body = {"src_file_id": upload(emulator, face_bytes), "dst_actions": ["redness"]} | changes
    if "src_file_url" in changes:
        del body["src_file_id"]
    answer = create(emulator, body)
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "InvalidParameters"
    if message:
        assert answer.json() == {"status": 400, "error": message, "error_code": "InvalidParameters"}


def test_the_contracts_actions_are_the_client_catalogues():
    """Written down twice on purpose (the contract's list here, the client's catalogue in
    skinapi.concerns); the demo engine scores only what the catalogue knows."""
    assert set(rules.SD_ACTIONS) | set(rules.HD_ACTIONS) == set(CONCERNS)
    assert all(CONCERNS[a].quality == q for a, q in rules.QUALITY_OF_ACTION.items())


# -- the emulator's own sources --------------------------------------------------------------

CLIENT_CHECKS = {
    "skinapi.imaging.checks": None,
    "skinapi.client": None,
    "skinapi.concerns": {
        "validation_problems",
        "AnalysisSettings",
        "RESULT_FORMATS",
        "API_VERSIONS",
        "MIN_SHORT_SIDE",
        "MAX_LONG_SIDE",
        "MAX_FILE_BYTES",
        "MINISERVER_BOOL_ARGS",
        "MINISERVER_COLOR_ARGS",
        "MINISERVER_OPACITY_ARGS",
        "UNIT_TABLE",
        "unit_cost",
    },
    "skinapi.imaging.photo": {"MIN_FACE_RATIO"},
}
"""What the emulator must not take from the client, by module (None: nothing of it at all)."""
CLIENT_CHECK_CALLS = {"check_photo", "validation_problems", "validate"}


def client_checks_used(source: str, package: str = "skinapi.demo") -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")  # level 1 is the package itself, 2 its parent
                anchor = parts[: len(parts) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            imported = [(base, alias.name) for alias in node.names]
            imported += [(f"{base}.{alias.name}", None) for alias in node.names]
        elif isinstance(node, ast.Attribute) and node.attr in CLIENT_CHECK_CALLS:
            found.append(f".{node.attr}")
            continue
        else:
            continue
        for module, name in imported:
            if module in CLIENT_CHECKS:
                banned = CLIENT_CHECKS[module]
                if banned is None or name in banned:
                    found.append(f"{module}.{name}" if name else module)
    return found


def test_the_demo_package_uses_neither_the_clients_validation_nor_its_photo_check():
    used = {
        path.name: client_checks_used(path.read_text())
        for path in sorted((ROOT / "skinapi" / "demo").glob("*.py"))
    }
    assert {name: found for name, found in used.items() if found} == {}


@pytest.mark.parametrize(
    "source",
    [
        "from ..imaging.checks import check_photo",
        "from ..imaging import checks",
        "import skinapi.imaging.checks",
        "from ..concerns import CONCERNS, validation_problems",
        "from skinapi.concerns import MIN_SHORT_SIDE",
        "settings.validate()",
    ],
)
def test_the_source_check_sees_each_way_of_using_the_client(source):
    assert client_checks_used(source)


def test_only_an_engine_error_the_contract_documents_can_be_injected(monkeypatch):
    """`--fault-engine-error bogus` was taken, every task then failed with a code no client
    knows, and the Settings page's picker raised on it."""
    from skinapi.demo import EmulatorConfig
    from skinapi.demo.config import ENGINE_ERROR_CODES

    from ..helpers import app_test

    assert len(ENGINE_ERROR_CODES) == 18 and "error_src_face_too_small" in ENGINE_ERROR_CODES
    with pytest.raises(ValueError, match="not an engine error the API documents"):
        EmulatorConfig(fault_engine_error="bogus")
    monkeypatch.setenv("SKINSCOPE_EMULATOR_FAULT_ENGINE_ERROR", "bogus")
    with pytest.raises(ValueError):
        EmulatorConfig.from_env()
    at = app_test().run()
    at.switch_page("pages/settings.py").run()
    assert not at.exception
    assert any("default settings" in w.value for w in at.sidebar.warning)
