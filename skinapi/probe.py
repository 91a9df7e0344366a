"""`python -m skinapi probe`: check a real key against the real API and record the truth.

Free by default: the key and the balance. With --spend-units it runs one cheapest SD task (one
concern, the sample photo) after saying what it costs. Every exchange is written as a contract
document (the format of tests/contract: request, status, the request id, the answer's body), key
removed and photo bytes left out, so a capture can be dropped into tests/contract as recorded
evidence; the report lists each difference from what this client expects."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

from .client import Client
from .concerns import AnalysisSettings
from .errors import SkinApiError
from .names import safe_name

CHEAPEST = ("redness",)
"""One SD concern: the lowest tier of the unit table."""
KNOWN_ITEM_FIELDS = {"type", "region", "raw_score", "ui_score", "mask_urls", "score", "skin_type"}


def run_probe(client: Client, out: Path, *, spend: bool, photo: bytes | None) -> dict:
    """Probe the API; write the capture under `out`; the report (also written as report.json)."""
    folder = out / time.strftime("probe-%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=False)
    report: dict = {"capture": str(folder), "balance": None, "task": None, "differences": []}
    with client.recording() as trace:
        try:
            report["balance"] = client.credit_balance()
            if spend and photo is not None:
                result = client.analyze(photo, AnalysisSettings.build(CHEAPEST))
                report["task"] = {
                    "task_id": result.task_id,
                    "scores": len(result.scores),
                    "missing": result.missing,
                }
        except SkinApiError as exc:
            report["error"], report["exit_code"] = str(exc), exc.exit_code
    for index, exchange in enumerate(trace, start=1):
        document = contract_document(exchange)
        name = f"{index:02d}-{exchange['method'].lower()}-{safe_name(urlsplit(exchange['url']).path, max_length=60)}.json"
        (folder / name).write_text(json.dumps(document, indent=2))
    report["differences"] = differences(trace)
    (folder / "report.json").write_text(json.dumps(report, indent=2))
    return report


def contract_document(exchange: dict) -> dict:
    """One exchange as tests/contract holds answers; no key (the transport scrubbed it), no
    photo bytes (uploads are recorded by size), no raw ZIP."""
    path = urlsplit(exchange["url"]).path
    return {
        "source": {
            "document": "live probe (python -m skinapi probe)",
            "commit_or_date": time.strftime("%Y-%m-%d"),
            "kind": "recorded",
            "field": f"{exchange['method']} {path}",
        },
        "request": {"method": exchange["method"], "path": path, "body": exchange.get("request")},
        "status": exchange.get("status"),
        "headers": {"x-request-id": exchange.get("request_id")},
        "body": exchange.get("response"),
        "error": exchange.get("error"),
    }


def differences(trace: list[dict]) -> list[str]:
    """What the recorded answers do that this client does not expect, or does differently from
    what the vendor's examples showed (tests/contract/README.md keeps that list)."""
    found = []
    for exchange in trace:
        body, path = exchange.get("response"), urlsplit(exchange["url"]).path
        if not isinstance(body, dict):
            continue
        if path.endswith("/client/credit"):
            where = "results" if isinstance(body.get("results"), list) else "data.results"
            found.append(f"credit: the balance items are at {where}")
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        if "polling_interval" in data:
            found.append(f"{path}: polling_interval is sent ({data['polling_interval']!r})")
        for item in (
            (data.get("results") or {}).get("output", [])
            if isinstance(data.get("results"), dict)
            else []
        ):
            if isinstance(item, dict) and (extra := set(item) - KNOWN_ITEM_FIELDS):
                found.append(f"{path}: output items carry fields we do not read: {sorted(extra)}")
                break
        request_id = exchange.get("request_id") or ""
        if request_id and not re.fullmatch(r"\d+", request_id):
            found.append(f"{path}: x-request-id is not a decimal number ({request_id[:20]!r})")
    return sorted(set(found))
