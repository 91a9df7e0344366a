"""ZIP results: both score_info nestings, safe reading, and the catalogue's validation."""

import io
import json
import zipfile

import pytest

from skinapi import ProtocolError, RequestValidationError, unit_cost
from skinapi.concerns import HD_ACTIONS, SD_ACTIONS, AnalysisSettings
from skinapi.results import MAX_ZIP_ENTRIES, parse_zip, zip_url


def make_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


SCORE_INFO = {
    "redness": {"raw_score": 72.0, "ui_score": 77, "output_mask_name": "redness_output.png"},
    "hd_pore": {
        "forehead": {
            "raw_score": 60.5,
            "ui_score": 70,
            "output_mask_name": "hd_pore_output_forehead.png",
        },
        "whole": {"raw_score": 65.0, "ui_score": 72, "output_mask_name": "hd_pore_output_all.png"},
    },
    "hd_texture": {
        "whole": {"raw_score": 50.0, "ui_score": 60, "output_mask_name": "hd_texture_output.png"}
    },
    "all": {"score": 75.7},
    "skin_age": 37,
}


def test_score_info_flat_and_regional():
    data = make_zip(
        {
            "skinanalysisResult/score_info.json": json.dumps(SCORE_INFO).encode(),
            "skinanalysisResult/redness_output.png": b"\x89PNGred",
            "skinanalysisResult/hd_pore_output_forehead.png": b"\x89PNGfh",
        }
    )
    result = parse_zip(data, task_id="t", api_version="v2.1")
    assert result.overall == 75.7 and result.skin_age == 37
    assert result.score("redness").raw_score == 72.0
    assert result.score("hd_pore", "forehead").ui_score == 70
    assert result.score("hd_texture", "whole").ui_score == 60
    assert result.masks == {"redness:whole": b"\x89PNGred", "hd_pore:forehead": b"\x89PNGfh"}


def test_path_traversal_and_unexpected_files_are_ignored():
    data = make_zip(
        {
            "skinanalysisResult/score_info.json": json.dumps(SCORE_INFO).encode(),
            "../../etc/redness_output.png": b"evil",
            "/abs/redness_output.png": b"evil",
            "skinanalysisResult/run.sh": b"rm -rf /",
        }
    )
    result = parse_zip(data, task_id="t", api_version="v2.1")
    assert result.masks == {}


def test_too_many_entries_is_refused():
    files = {f"f{i}.png": b"" for i in range(MAX_ZIP_ENTRIES + 1)}
    files["score_info.json"] = b"{}"
    with pytest.raises(ProtocolError):
        parse_zip(make_zip(files), task_id="t", api_version="v2.1")


@pytest.mark.parametrize(
    "data", [b"not a zip", make_zip({"a.png": b""})], ids=["not-a-zip", "only-a-png"]
)  # ids, not the bytes: a ZIP holds the time it was made, so workers collected different ids
def test_broken_zip_is_a_protocol_error(data):
    with pytest.raises(ProtocolError):
        parse_zip(data, task_id="t", api_version="v2.1")


def test_zip_url_accepts_both_shapes():
    assert zip_url("http://x/r.zip") == zip_url({"url": "http://x/r.zip"}) == "http://x/r.zip"
    with pytest.raises(ProtocolError):
        zip_url({"output": []})


def test_catalogue_has_sixteen_of_each():
    assert len(SD_ACTIONS) == len(HD_ACTIONS) == 16
    assert "hd_dark_circle" in HD_ACTIONS and "dark_circle_v2" in SD_ACTIONS


@pytest.mark.parametrize(
    "count, sd, hd", [(1, 9, 12), (4, 9, 12), (5, 12, 16), (9, 14, 20), (16, 16, 22)]
)
def test_unit_table(count, sd, hd):
    assert unit_cost(SD_ACTIONS[:count]) == sd and unit_cost(HD_ACTIONS[:count]) == hd


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"actions": []}, "at least one"),
        ({"actions": ["redness", "hd_pore"]}, "cannot be mixed"),
        ({"actions": ["abc123"]}, "Unknown concern 'abc123'"),
        ({"actions": ["redness", "redness"]}, "repeated: redness"),
        ({"actions": ["redness"], "format": "xml"}, "Format must be"),
        (
            {"actions": ["redness"], "miniserver_args": {"nope": 1}},
            "Unknown miniserver_args option",
        ),
        (
            {
                "actions": ["hd_pore"],
                "miniserver_args": {"color_dark_background_hd_pore": "#3D3D3D"},
            },
            "RRGGBB",
        ),
        (
            {"actions": ["hd_pore"], "miniserver_args": {"opacity_dark_background_hd_pore": 1.5}},
            "0 to 1",
        ),
        (
            {"actions": ["redness"], "api_version": "v2.0", "pf_camera_kit": True},
            "only in API v2.1",
        ),
    ],
)
def test_each_violation_has_its_own_message(kwargs, words):
    actions = kwargs.pop("actions")
    with pytest.raises(RequestValidationError) as caught:
        AnalysisSettings.build(actions, **kwargs)
    assert words in str(caught.value)
