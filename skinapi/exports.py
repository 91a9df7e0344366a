"""Downloads of a result: JSON, CSV (one row per concern and region), masks as a ZIP."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from .concerns import CONCERNS
from .results import AnalysisResult

CSV_COLUMNS = ("task_id", "api_version", "concern", "label", "region", "ui_score", "raw_score")


def result_json(result: AnalysisResult, extra: dict | None = None) -> bytes:
    return json.dumps(result.to_dict() | (extra or {}), indent=2).encode()


def result_csv(result: AnalysisResult) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for s in result.scores:
        concern = CONCERNS.get(s.type)
        writer.writerow(
            [
                result.task_id,
                result.api_version,
                s.type,
                concern.label if concern else s.type,
                s.region or "whole",
                s.ui_score,
                f"{s.raw_score:.2f}",
            ]
        )
    return buffer.getvalue().encode()


def masks_zip(result: AnalysisResult) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for key, data in result.masks.items():
            suffix = ".png" if data[:4] == b"\x89PNG" else ".jpg"
            archive.writestr(key.replace(":", "_") + suffix, data)
    return buffer.getvalue()
