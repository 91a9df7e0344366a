"""A run's files — its photo, its masks, the resized photo and the raw result — in the file
store the configuration names: a folder per run under one root on this machine (`LocalFiles`,
the default) or objects under a prefix in S3-compatible storage (`files_s3.S3Files`,
``SKINSCOPE_FILES_URL=s3://bucket/prefix``). Pages, exports and the debug bundle read them
through `RunFiles` alone.

Run ids come back from the database and file names from results, so both are checked before
they name a file or an object: only ids SkinScope writes, only the names of `FILE_NAME` (the
photo, the resized photo, the raw result, masks named by `mask_file_name`); every read is
capped in bytes. A damaged history never points a write, a read or a delete elsewhere."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

from ..errors import StoreError
from ..results import AnalysisResult, mask_file_name
from .ids import FRESH_HINT, checked_run_id

PHOTO = "photo.jpg"
RESIZED = "resized.jpg"
MASKS = "masks"
RAW_RESULT = "raw_result.zip"
FILE_NAME = re.compile(
    r"(?:photo\.jpg|resized\.jpg|raw_result\.zip|masks/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,80}\.(?:png|jpg))"
)
"""Every name a run's file may have (within its run's folder or prefix)."""
MB = 1024 * 1024
CAPS = {PHOTO: 64 * MB, RESIZED: 64 * MB, RAW_RESULT: 100 * MB, MASKS: 40 * MB}
"""The most a read takes of each file (a mask's is MASKS's), as the client's downloads."""


def result_file_names(result: AnalysisResult) -> dict[str, str]:
    """The file name each of a result's masks is saved under."""
    return {key: mask_file_name(key, data) for key, data in result.masks.items()}


def result_bytes(result: AnalysisResult) -> int:
    """What a result's files take: its masks and its resized photo."""
    return sum(map(len, result.masks.values())) + len(result.resized_image or b"")


def checked_name(name: str) -> str:
    if not isinstance(name, str) or not FILE_NAME.fullmatch(name):
        raise StoreError(f"A run's file is never named {name!r:.60}", hint=FRESH_HINT)
    return name


def cap_of(name: str) -> int:
    return CAPS.get(name, CAPS[MASKS])


class RunFiles:
    """What every file store does, on primitives of its own: `_put`, `_get` (None when absent),
    `_names`, `_delete`, `_size` and `purge`. Ids and names reach the primitives checked."""

    where = ""
    """Where the files are, for messages (a folder, or an s3:// address)."""

    def _put(self, run_id: str, name: str, data: bytes) -> None:
        raise NotImplementedError

    def _get(self, run_id: str, name: str, cap: int) -> bytes | None:
        raise NotImplementedError

    def _names(self, run_id: str) -> list[str]:
        raise NotImplementedError

    def _delete(self, run_id: str) -> None:
        raise NotImplementedError

    def _size(self, run_id: str) -> int:
        raise NotImplementedError

    def purge(self) -> None:
        """Every run's files, gone."""
        raise NotImplementedError

    def names(self, run_id: str) -> list[str]:
        """The run's files there are, each an allow-listed name, sorted."""
        return sorted(self._names(checked_run_id(run_id)))

    def delete(self, run_id: str) -> None:
        self._delete(checked_run_id(run_id))

    def size(self, run_id: str) -> int:
        """What one run's files take (measured: for a run stored before they were counted)."""
        return self._size(checked_run_id(run_id))

    def put(self, run_id: str, name: str, data: bytes) -> None:
        self._put(checked_run_id(run_id), checked_name(name), data)

    def read(self, run_id: str, name: str) -> bytes | None:
        """One file, or None when it is not there; a StoreError past its cap."""
        return self._get(checked_run_id(run_id), checked_name(name), cap_of(name))

    def write_photo(self, run_id: str, photo: bytes) -> None:
        self.put(run_id, PHOTO, photo)

    def photo(self, run_id: str) -> bytes:
        data = self.read(run_id, PHOTO)
        if data is None:
            raise FileNotFoundError(f"{self.where}/{run_id}/{PHOTO}")
        return data

    def write_result_files(self, run_id: str, result: AnalysisResult) -> dict[str, str]:
        """The masks (and the resized photo) of `result`; the file name of each mask key."""
        names = result_file_names(result)
        for key, data in result.masks.items():
            self.put(run_id, f"{MASKS}/{names[key]}", data)
        if result.resized_image:
            self.put(run_id, RESIZED, result.resized_image)
        return names

    def read_result_files(
        self, run_id: str, result: AnalysisResult, mask_files: dict[str, str]
    ) -> AnalysisResult:
        """`result` with its masks and resized photo read back (those that are there; a name
        off the allow-list is left out)."""
        loaded = replace(result, masks={}, resized_image=None)
        for key, name in mask_files.items():
            if FILE_NAME.fullmatch(f"{MASKS}/{name}"):
                data = self.read(run_id, f"{MASKS}/{name}")
                if data is not None:
                    loaded.masks[key] = data
        loaded.resized_image = self.read(run_id, RESIZED)
        return loaded

    def write_raw_result(self, run_id: str, data: bytes) -> int:
        """The result ZIP as it came; the size of the one it replaced (0 when none)."""
        before = self.read(run_id, RAW_RESULT)
        self.put(run_id, RAW_RESULT, data)
        return len(before or b"")


class LocalFiles(RunFiles):
    """A folder per run under `root`, on this machine."""

    def __init__(self, root: Path):
        self.root = root
        self.where = str(root)

    def folder(self, run_id: str) -> Path:
        return self.root / checked_run_id(run_id)

    def _put(self, run_id: str, name: str, data: bytes) -> None:
        path = self.folder(run_id) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def _get(self, run_id: str, name: str, cap: int) -> bytes | None:
        path = self.folder(run_id) / name
        if not path.is_file():
            return None
        with open(path, "rb") as handle:
            data = handle.read(cap + 1)
        if len(data) > cap:
            raise StoreError(f"{path} is larger than any {name} SkinScope writes ({cap} bytes)")
        return data

    def _names(self, run_id: str) -> list[str]:
        folder = self.folder(run_id)
        found = (p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        return [name for name in found if FILE_NAME.fullmatch(name)]

    def _delete(self, run_id: str) -> None:
        shutil.rmtree(self.folder(run_id), ignore_errors=True)

    def purge(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def _size(self, run_id: str) -> int:
        folder = self.folder(run_id)
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
