"""The emulator's answer documents: JSON bodies and errors, a JSON task's output list, a result
ZIP, the unit price list."""

from __future__ import annotations

import io
import json
import zipfile

from .engine import EngineOutput, mask_file_name
from .rules import UNIT_TIERS

NESTED_IN_SCORE_INFO = ("hd_texture", "hd_acne", "hd_pore", "hd_wrinkle")
"""The concerns the vendor's HD score_info.json nests by region (texture and acne under
`whole` only); every other concern, SD or HD, is one flat entry."""
JSON_DECIMALS = 2
"""JSON answers carry scores to 1–2 decimals in the vendor's examples and in recorded live
answers; score_info.json carries them in full."""


def json_output(result: EngineOutput, actions, miniserver_args: dict, base: str) -> list[dict]:
    """The `results.output` list of a JSON task, in the vendor's example's order (a concern's
    whole-face item before its regions, skin age before the overall score); file paths start
    with `base` (the emulator signs them on each poll)."""
    overlay = bool(miniserver_args.get("enable_mask_overlay"))

    def mask_url(action, region):
        name = mask_file_name(action, region or "whole")
        return f"{base}/{name.replace('.png', '.jpg') if overlay else name}"

    first_of_type: dict[str, int] = {}
    for position, item in enumerate(result.scores):
        first_of_type.setdefault(item["type"], position)
    scores = sorted(
        result.scores,
        key=lambda item: (first_of_type[item["type"]], item["region"] not in (None, "whole")),
    )
    output = []
    for item in scores:
        entry = {k: v for k, v in item.items() if not (k == "region" and v is None)}
        entry["raw_score"] = round(item["raw_score"], JSON_DECIMALS)
        entry["mask_urls"] = [mask_url(item["type"], item["region"])]
        output.append(entry)
    skin_type_action = next((a for a in actions if a.endswith("skin_type")), None)
    for zone in result.skin_types:
        output.append(
            {
                "type": skin_type_action,
                "region": zone["region"],
                "skin_type": zone["skin_type"],
                "mask_urls": [mask_url(skin_type_action, zone["region"])],
            }
        )
    output.append({"type": "skin_age", "score": result.skin_age})
    output.append({"type": "all", "score": round(result.overall, JSON_DECIMALS)})
    output.append({"type": "resize_image", "mask_urls": [f"{base}/resize_image.jpg"]})
    return output


def result_zip(result: EngineOutput, actions: tuple[str, ...]) -> bytes:
    """The result ZIP: `score_info.json` shaped as the vendor's samples
    (tests/contract/score_info_hd.json), with full-precision raw scores, and the masks its file
    list names (one skin-type mask, the whole face's)."""
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
        if action in NESTED_IN_SCORE_INFO:
            info.setdefault(action, {})[region or "whole"] = entry  # type: ignore[index]
        else:
            info[action] = entry
    skin_type_action = next((a for a in actions if a.endswith("skin_type")), "skin_type")
    for zone in result.skin_types:
        action = skin_type_action
        entry = {"skin_type": zone["skin_type"]}
        if zone["region"] == "whole":
            entry["output_mask_name"] = mask_file_name(action, "whole")
        else:
            masks.pop(mask_file_name(action, zone["region"]), None)
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


def feature_cost(run_task_url: str) -> dict:
    """The unit price list, shaped as the vendor's example (tests/contract/feature_cost.json):
    `result`, not `data`, with the documented tiers, each naming the task path it prices."""
    skus = []
    for quality in ("SD", "HD"):
        smallest = 1
        for up_to, sd_units, hd_units in UNIT_TIERS:
            skus.append(
                {
                    "description": f"AI Skin Analysis for {quality} {smallest}~{up_to} concerns",
                    "amount": sd_units if quality == "SD" else hd_units,
                    "unit": "result_image",
                    "proc_unit": 1,
                    "run_task_url": run_task_url,
                }
            )
            smallest = up_to + 1
    return {"status": 200, "result": {"skus": skus}}
