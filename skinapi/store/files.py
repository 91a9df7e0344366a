"""A run's files — its photo, its masks, the resized photo and the raw result — in a folder per
run under one root on this machine. Run ids come back from the database, so every one is
checked before it becomes a path: a damaged history never points a write or a delete outside
the root."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from ..errors import StoreError
from ..results import AnalysisResult, mask_file_name
from .base import FRESH_HINT, RUN_ID

PHOTO = "photo.jpg"
RESIZED = "resized.jpg"
MASKS = "masks"
RAW_RESULT = "raw_result.zip"


def result_file_names(result: AnalysisResult) -> dict[str, str]:
    """The file name each of a result's masks is saved under."""
    return {key: mask_file_name(key, data) for key, data in result.masks.items()}


def result_bytes(result: AnalysisResult) -> int:
    """What a result's files take: its masks and its resized photo."""
    return sum(map(len, result.masks.values())) + len(result.resized_image or b"")


class LocalFiles:
    def __init__(self, root: Path):
        self.root = root

    def folder(self, run_id: str) -> Path:
        if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
            raise StoreError(
                f"The run history holds a run id SkinScope never writes ({run_id!r:.40})",
                hint=FRESH_HINT,
            )
        return self.root / run_id

    def write_photo(self, run_id: str, photo: bytes) -> None:
        folder = self.folder(run_id)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / PHOTO).write_bytes(photo)

    def photo(self, run_id: str) -> bytes:
        return (self.folder(run_id) / PHOTO).read_bytes()

    def write_result_files(self, run_id: str, result: AnalysisResult) -> dict[str, str]:
        """The masks (and the resized photo) of `result`; the file name of each mask key."""
        masks = self.folder(run_id) / MASKS
        masks.mkdir(parents=True, exist_ok=True)
        names = result_file_names(result)
        for key, data in result.masks.items():
            (masks / names[key]).write_bytes(data)
        if result.resized_image:
            (self.folder(run_id) / RESIZED).write_bytes(result.resized_image)
        return names

    def read_result_files(
        self, run_id: str, result: AnalysisResult, mask_files: dict[str, str]
    ) -> AnalysisResult:
        """`result` with its masks and resized photo read back (those that are there)."""
        loaded = replace(result, masks={}, resized_image=None)
        folder = self.folder(run_id)
        for key, name in mask_files.items():
            path = folder / MASKS / name
            if path.exists():
                loaded.masks[key] = path.read_bytes()
        resized = folder / RESIZED
        if resized.exists():
            loaded.resized_image = resized.read_bytes()
        return loaded

    def write_raw_result(self, run_id: str, data: bytes) -> int:
        """The result ZIP as it came; the size of the one it replaced (0 when none)."""
        folder = self.folder(run_id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / RAW_RESULT
        before = path.stat().st_size if path.exists() else 0
        path.write_bytes(data)
        return before

    def delete(self, run_id: str) -> None:
        shutil.rmtree(self.folder(run_id), ignore_errors=True)

    def purge(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def size(self, run_id: str) -> int:
        """What one run's files take (measured: for a run stored before they were counted)."""
        folder = self.folder(run_id)
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
