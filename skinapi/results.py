"""One normalised result, whatever the format the API answered in (JSON output list or ZIP)."""

from __future__ import annotations

import io
import json
import math
import posixpath
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from .concerns import label, region_label
from .errors import ProtocolError
from .names import safe_name

TaskStatus = Literal["running", "success", "error"]
TERMINAL: frozenset[str] = frozenset({"success", "error"})

MAX_ZIP_ENTRIES = 300
MAX_ZIP_BYTES = 200 * 1024 * 1024
"""What a result ZIP may unpack to, declared or actual."""
_ZIP_KEEP_SUFFIXES = (".png", ".jpg", ".jpeg", ".json")


@dataclass(frozen=True)
class ConcernScore:
    type: str
    """The API's concern name, e.g. ``hd_pore``."""
    region: str | None
    """The region for regional scores (``forehead``…), ``whole`` or None for flat SD items."""
    raw_score: float
    """1–100, higher is healthier; use it to compare and reason."""
    ui_score: int
    """1–100, higher is healthier; show this one to people."""
    mask_key: str | None = None
    """Key into `AnalysisResult.masks` once the mask is downloaded."""

    @property
    def label(self) -> str:
        base = label(self.type)
        return base if self.region in (None, "whole") else f"{base} · {region_label(self.region)}"

    @property
    def key(self) -> str:
        return mask_key(self.type, self.region)


@dataclass(frozen=True)
class SkinTypeZone:
    region: str
    """``whole``, ``t_zone`` or ``u_zone``."""
    label: str
    """One of the documented labels: Normal, Oily, Dry, Combination, … & Redness."""


@dataclass
class AnalysisResult:
    task_id: str
    api_version: str
    format: str
    overall: float | None = None
    """The ``all`` score, 1–100."""
    skin_age: float | None = None
    scores: list[ConcernScore] = field(default_factory=list)
    skin_types: list[SkinTypeZone] = field(default_factory=list)
    masks: dict[str, bytes] = field(default_factory=dict)
    """Mask images by `mask_key`: RGBA PNG (alpha = detection) or JPEG already blended."""
    resized_image: bytes | None = None
    """The photo as the engine saw it, when the API returns it."""
    skin_type_mask_key: str | None = None
    missing: list[str] = field(default_factory=list)
    """Concerns asked for that the answer did not carry (a partial answer)."""

    def note_missing(self, asked) -> None:
        """Compare the answer with the concerns asked for; what did not come back is `missing`."""
        answered = {s.type for s in self.scores}
        if self.skin_types:
            answered |= {a for a in asked if a.endswith("skin_type")}
        self.missing = [a for a in asked if a not in answered]

    def score(self, type_: str, region: str | None = "whole") -> ConcernScore | None:
        for item in self.scores:
            if item.type == type_ and (item.region or "whole") == (region or "whole"):
                return item
        return None

    def headline_scores(self) -> list[ConcernScore]:
        """One score per concern: the whole-face one, or the only one."""
        seen: dict[str, ConcernScore] = {}
        for item in self.scores:
            if item.type not in seen or (item.region or "whole") == "whole":
                seen[item.type] = item
        return list(seen.values())

    def regional_scores(self, type_: str) -> list[ConcernScore]:
        return [s for s in self.scores if s.type == type_ and s.region not in (None, "whole")]

    def to_dict(self) -> dict:
        """Everything but the mask and image bytes, losslessly; `from_dict` reads it back."""
        return {
            "task_id": self.task_id,
            "api_version": self.api_version,
            "format": self.format,
            "overall": self.overall,
            "skin_age": self.skin_age,
            "concerns": [
                {
                    "type": s.type,
                    "region": s.region,
                    "raw_score": s.raw_score,
                    "ui_score": s.ui_score,
                    "mask_key": s.mask_key,
                }
                for s in self.scores
            ],
            "skin_types": [{"region": z.region, "label": z.label} for z in self.skin_types],
            "skin_type_mask_key": self.skin_type_mask_key,
            "missing": list(self.missing),
        }

    @classmethod
    def from_dict(cls, data: dict) -> AnalysisResult:
        return cls(
            task_id=data["task_id"],
            api_version=data["api_version"],
            format=data["format"],
            overall=data.get("overall"),
            skin_age=data.get("skin_age"),
            scores=[
                ConcernScore(
                    c["type"], c["region"], c["raw_score"], c["ui_score"], c.get("mask_key")
                )
                for c in data["concerns"]
            ],
            skin_types=[SkinTypeZone(z["region"], z["label"]) for z in data["skin_types"]],
            skin_type_mask_key=data.get("skin_type_mask_key"),
            missing=list(data.get("missing") or []),
        )

    def as_document(self, mask_paths: dict[str, str] | None = None) -> dict:
        """The documented JSON the CLI prints and exports hold: each concern's `mask` is the
        file it was saved as (`mask_paths` by mask key), else null."""
        mask_paths = mask_paths or {}
        document = self.to_dict()
        del document["skin_type_mask_key"]
        for item, score in zip(document["concerns"], self.scores, strict=True):
            del item["mask_key"]
            item["mask"] = mask_paths.get(score.mask_key) if score.mask_key else None
        return document


def mask_file_name(key: str, data: bytes) -> str:
    """The file a mask is saved as, wherever it is saved: ``hd_pore_forehead.png``. Mask keys
    are built from the server's names, so they pass the file-name allow-list here."""
    return safe_name(key.replace(":", "_"), fallback="mask") + (
        ".png" if data[:4] == b"\x89PNG" else ".jpg"
    )


def mask_key(type_: str, region: str | None) -> str:
    return f"{type_}:{region or 'whole'}"


def parse_json_output(output, *, task_id: str, api_version: str) -> tuple[AnalysisResult, dict]:
    """Parse ``data.results.output``; returns the result and {mask_key: url} still to download."""
    if not isinstance(output, list):
        raise ProtocolError("results.output is not a list", task_id=task_id)
    result = AnalysisResult(task_id=task_id, api_version=api_version, format="json")
    urls: dict[str, str] = {}
    for index, item in enumerate(output):
        where = f"results.output[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise ProtocolError(f"{where} has no type", task_id=task_id)
        kind = item["type"]
        mask_url = _first_url(item.get("mask_urls"), f"{where}.mask_urls", task_id)
        region = item.get("region")
        if region is not None and not isinstance(region, str):
            raise ProtocolError(f"{where}.region is not text", task_id=task_id)
        if kind == "all":
            result.overall = _number(item.get("score"), "all.score")
        elif kind == "skin_age":
            result.skin_age = _number(item.get("score"), "skin_age.score")
        elif kind == "resize_image":
            if mask_url:
                urls["resize_image"] = mask_url
        elif "skin_type" in item:
            if not isinstance(item["skin_type"], str):
                raise ProtocolError(f"{where}.skin_type is not text", task_id=task_id)
            region = region or "whole"
            result.skin_types.append(SkinTypeZone(region, item["skin_type"]))
            if mask_url:  # the vendor's example gives every zone its own mask
                urls[mask_key(kind, region)] = mask_url
                if region == "whole":
                    result.skin_type_mask_key = mask_key(kind, region)
        else:
            key = mask_key(kind, region) if mask_url else None
            if key:
                urls[key] = mask_url
            result.scores.append(_concern_score(kind, region, item, key))
    return result, urls


def _first_url(value, where: str, task_id: str) -> str | None:
    """The first of an item's `mask_urls`, which must be http(s) URLs; None when there are none."""
    if value is None or value == []:
        return None
    if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
        raise ProtocolError(f"{where} is not a list of URLs", task_id=task_id)
    if not value[0]:
        return None
    if urlsplit(value[0]).scheme not in ("http", "https") or not urlsplit(value[0]).netloc:
        raise ProtocolError(f"{where} holds a URL that is not http(s)", task_id=task_id)
    return value[0]


def zip_url(results, *, task_id: str | None = None) -> str:
    """ZIP results are ``{"url": ...}`` by the schema, a bare string in the vendor's example."""
    url = results if isinstance(results, str) else None
    if isinstance(results, dict) and isinstance(results.get("url"), str):
        url = results["url"]
    if not url:
        raise ProtocolError("the ZIP results carry no URL", task_id=task_id)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ProtocolError("the ZIP results' URL is not http(s)", task_id=task_id)
    return url


def parse_zip(data: bytes, *, task_id: str, api_version: str) -> AnalysisResult:
    """Read a result ZIP in memory: capped in entries and in declared *and* actual unpacked
    size, nothing written, no paths trusted; a damaged or unreadable ZIP is a ProtocolError."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise ProtocolError(f"the result ZIP is not a ZIP file ({exc})", task_id=task_id) from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ProtocolError(f"the result ZIP has {len(infos)} entries", task_id=task_id)
    if sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
        raise ProtocolError("the result ZIP unpacks to more than 200 MB", task_id=task_id)
    files: dict[str, bytes] = {}
    budget = MAX_ZIP_BYTES
    for info in infos:
        name = info.filename
        if info.is_dir() or name.startswith("/") or ".." in name.split("/"):
            continue
        base = posixpath.basename(name)
        if not base.lower().endswith(_ZIP_KEEP_SUFFIXES) or base in files:
            continue
        files[base] = _read_entry(archive, info, budget, task_id)
        budget -= len(files[base])
    if "score_info.json" not in files:
        raise ProtocolError("the result ZIP has no score_info.json", task_id=task_id)
    try:
        info = json.loads(files["score_info.json"])
    except ValueError as exc:
        raise ProtocolError("score_info.json is not valid JSON", task_id=task_id) from exc
    return _from_score_info(info, files, task_id=task_id, api_version=api_version)


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, task_id) -> bytes:
    """One entry, read in chunks and stopped at `budget` bytes whatever its header declares."""
    if info.flag_bits & 0x1:
        raise ProtocolError(f"the result ZIP's {info.filename!r:.60} is encrypted", task_id=task_id)
    chunks, size = [], 0
    try:
        with archive.open(info) as entry:
            while chunk := entry.read(1024 * 1024):
                size += len(chunk)
                if size > budget:
                    raise ProtocolError(
                        "the result ZIP unpacks to more than 200 MB", task_id=task_id
                    )
                chunks.append(chunk)
    except NotImplementedError:
        raise ProtocolError(
            f"the result ZIP's {info.filename!r:.60} uses an unsupported compression",
            task_id=task_id,
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise ProtocolError(
            f"the result ZIP is damaged ({type(exc).__name__})", task_id=task_id
        ) from None
    return b"".join(chunks)


def _from_score_info(info, files, *, task_id, api_version) -> AnalysisResult:
    if not isinstance(info, dict):
        raise ProtocolError("score_info.json is not an object", task_id=task_id)
    result = AnalysisResult(task_id=task_id, api_version=api_version, format="zip")
    for kind, value in info.items():
        if kind == "all":
            result.overall = _number(value.get("score") if isinstance(value, dict) else value, kind)
        elif kind == "skin_age":
            result.skin_age = _number(
                value.get("score") if isinstance(value, dict) else value, kind
            )
        elif kind.endswith("skin_type"):
            _add_skin_types(result, kind, value, files)
        elif isinstance(value, dict) and "raw_score" in value:
            _add_score(result, kind, None, value, files)
        elif isinstance(value, dict):
            for region, entry in value.items():
                if isinstance(entry, dict) and "raw_score" in entry:
                    _add_score(result, kind, region, entry, files)
    return result


def _add_score(result, kind, region, entry, files) -> None:
    key = None
    name = entry.get("output_mask_name")
    if isinstance(name, str) and posixpath.basename(name) in files:
        key = mask_key(kind, region)
        result.masks[key] = files[posixpath.basename(name)]
    result.scores.append(_concern_score(kind, region, entry, key))


def _concern_score(kind: str, region, entry: dict, key: str | None) -> ConcernScore:
    """One scored item, from a JSON output item or a score_info.json entry alike."""
    return ConcernScore(
        type=kind,
        region=region,
        raw_score=_number(entry.get("raw_score"), f"{kind}.raw_score"),
        ui_score=int(round(_number(entry.get("ui_score"), f"{kind}.ui_score"))),
        mask_key=key,
    )


def _add_skin_types(result, kind, value, files) -> None:
    """Skin type appears as a label, an object with ``skin_type``, or nested by zone."""
    if isinstance(value, str):
        result.skin_types.append(SkinTypeZone("whole", value))
        return
    if not isinstance(value, dict):
        return
    zones = {"whole": value} if "skin_type" in value else value
    for region, entry in zones.items():
        if isinstance(entry, str):
            result.skin_types.append(SkinTypeZone(region, entry))
        elif isinstance(entry, dict) and "skin_type" in entry:
            result.skin_types.append(SkinTypeZone(region, str(entry["skin_type"])))
            name = entry.get("output_mask_name")
            if isinstance(name, str) and posixpath.basename(name) in files:
                result.masks[mask_key(kind, region)] = files[posixpath.basename(name)]
                if region == "whole":
                    result.skin_type_mask_key = mask_key(kind, region)


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ProtocolError(f"{what} is not a number")
    return float(value)
