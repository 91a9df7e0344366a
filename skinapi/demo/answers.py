"""The emulator's answer documents: JSON bodies, a JSON task's output list, a result ZIP."""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile
from urllib.parse import urlsplit

from .engine import EngineOutput, mask_file_name


def json_output(result: EngineOutput, actions, miniserver_args: dict, base: str) -> list[dict]:
    """The `results.output` list of a JSON task, in the vendor's example's order (a concern's
    whole-face item before its regions, skin age before the overall score); file paths start
    with `base` (the emulator signs them on each poll)."""
    overlay = bool(miniserver_args.get("enable_mask_overlay"))

    def mask_url(action, region):
        name = mask_file_name(action, region or "whole")
        return f"{base}/{name.replace('.png', '.jpg') if overlay else name}"

    output = []
    scores = sorted(
        result.scores,
        key=lambda item: (result.scores.index(next(i for i in result.scores if i["type"] == item["type"])),
                          item["region"] not in (None, "whole")),
    )  # fmt: skip
    for item in scores:
        entry = {k: v for k, v in item.items() if not (k == "region" and v is None)}
        entry["mask_urls"] = [mask_url(item["type"], item["region"])]
        output.append(entry)
    skin_type_action = next((a for a in actions if a.endswith("skin_type")), None)
    for zone in result.skin_types:
        entry = {
            "type": skin_type_action,
            "region": zone["region"],
            "skin_type": zone["skin_type"],
        }
        if zone["region"] == "whole":
            entry["mask_urls"] = [mask_url(skin_type_action, "whole")]
        output.append(entry)
    output.append({"type": "skin_age", "score": result.skin_age})
    output.append({"type": "all", "score": result.overall})
    output.append({"type": "resize_image", "mask_urls": [f"{base}/resize_image.jpg"]})
    return output


def result_zip(result: EngineOutput, actions: tuple[str, ...]) -> bytes:
    info: dict[str, object] = {}
    masks = dict(result.masks)
    for item in result.scores:
        action, region = item["type"], item["region"]
        name = mask_file_name(action, region or "whole")
        name = name if name in masks else name.replace(".png", ".jpg")
        entry = {
            "raw_score": item["raw_score"],
            "ui_score": item["ui_score"],
            "output_mask_name": name,
        }
        if region is None:
            info[action] = entry
        else:
            info.setdefault(action, {})[region] = entry  # type: ignore[index]
    skin_type_action = next((a for a in actions if a.endswith("skin_type")), "skin_type")
    for zone in result.skin_types:
        action = skin_type_action
        entry = {"skin_type": zone["skin_type"]}
        if zone["region"] == "whole":
            entry["output_mask_name"] = f"{action}.png"
        info.setdefault(action, {})[zone["region"]] = entry  # type: ignore[index]
    info["all"] = {"score": result.overall}
    info["skin_age"] = result.skin_age
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("skinanalysisResult/score_info.json", json.dumps(info, indent=1))
        for name, data in masks.items():
            archive.writestr(f"skinanalysisResult/{name}", data)
    return buffer.getvalue()


def json_answer(status: int, body: dict) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def ok(data: dict):
    return json_answer(200, {"status": 200, "data": data})


def error(status: int, code: str, message: str):
    return json_answer(status, {"status": status, "error": message, "error_code": code})


MAX_SOURCE_BYTES = 25 * 1024 * 1024


def fetch_source(url: str) -> bytes | None:
    """The photo a task names with `src_file_url`: http(s) only, capped, within 10 s; None when
    it cannot be fetched (the task then fails with error_download_image, as the API's does)."""
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - scheme checked
            data = answer.read(MAX_SOURCE_BYTES + 1)
    except (OSError, ValueError):
        return None
    return data if len(data) <= MAX_SOURCE_BYTES else None


def feature_cost() -> dict:
    """The unit price list, shaped as the vendor's example (tests/contract/feature_cost.json):
    `result`, not `data`, with the documented tiers."""
    tiers = ((("SD", "1~4"), 9), (("SD", "5~8"), 12), (("SD", "9~12"), 14), (("SD", "13~16"), 16),
             (("HD", "1~4"), 12), (("HD", "5~8"), 16), (("HD", "9~12"), 20), (("HD", "13~16"), 22))  # fmt: skip
    return {
        "status": 200,
        "result": {
            "skus": [
                {
                    "description": f"AI Skin Analysis for {quality} {count} concerns",
                    "amount": amount,
                    "unit": "result_image",
                    "proc_unit": 1,
                }  # fmt: skip
                for (quality, count), amount in tiers
            ]
        },
    }
