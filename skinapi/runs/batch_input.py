"""A batch's input: its photos (a folder, a ZIP, or files in memory) and its meta CSV.

    collect_photos(source) -> list[BatchPhoto]
        source: a folder (read recursively), a ZIP file's path, a ZIP's bytes, or (name, bytes)
        pairs (a browser's folder upload). Every file becomes a BatchPhoto; one that cannot be
        sent carries its `problem` (a non-image file is `ignored`). Hidden files and macOS
        resource forks are left out. Raises BatchInputError when the input itself is unusable.
    read_meta(source) -> MetaTable
        source: a CSV file's path or bytes, with a `file` column and any others (group, device,
        visit…); UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1252; `,` `;` or tab.

Every read is capped: a photo at the API's 10 MB, a meta CSV at 10 MB, a ZIP's entries at
MAX_ENTRIES. Nothing is ever extracted to disk, so a ZIP entry named ``../x.jpg`` is only ever a
name — and it is refused as one.
"""

from __future__ import annotations

import csv
import io
import os
import posixpath
import re
import threading
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..concerns import MAX_FILE_BYTES
from ..errors import PhotoError, SkinApiError
from ..local_files import not_a_file, read_capped
from ..names import one_line

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
OTHER_IMAGE_SUFFIXES = (".heic", ".heif", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".avif")
"""Images the API does not take: listed as blocked (with the reason) rather than left out."""
MAX_ENTRIES = 10_000
"""Files in one batch (and entries in one ZIP)."""
MAX_META_BYTES = 10 * 1024 * 1024
MAX_META_COLUMNS = 50
MAX_META_CELL = 500
MAX_NAME = 300
MAX_PACKING = 100
"""A photo (JPEG, PNG) hardly shrinks in a ZIP: an entry that unpacks to more than this many
times its packed size (beyond SMALL_ENTRY) is not one, whatever it is called."""
SMALL_ENTRY = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


class BatchInputError(SkinApiError):
    """The batch's input (its folder, ZIP or meta CSV) cannot be used; nothing was sent."""

    exit_code = 2


@dataclass(frozen=True)
class BatchPhoto:
    file: str
    """Its path within the input, with ``/`` separators."""
    size: int
    problem: str | None = None
    """Why it cannot be sent, found before reading it (too large, an unsafe name, …)."""
    ignored: bool = False
    """Not an image at all: left out of the plan rather than listed as blocked."""
    reader: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)

    def read(self) -> bytes:
        if self.reader is None:
            raise PhotoError(self.problem or f"{self.file} cannot be read")
        return self.reader()


@dataclass(frozen=True)
class MetaTable:
    columns: tuple[str, ...]
    """The columns besides `file`, in the CSV's order."""
    rows: dict[str, dict[str, str]]
    """Each row's cells by its `file`."""

    def row_for(self, file: str, *, unique_names: set[str] | frozenset[str] = frozenset()):
        """The row naming `file` by its path, or by its bare name when that is unique."""
        if file in self.rows:
            return self.rows[file]
        name = posixpath.basename(file)
        return self.rows.get(name) if name in unique_names else None


# -- collecting ------------------------------------------------------------------------------

Source = Path | str | bytes | Iterable[tuple[str, bytes]]


def collect_photos(source: Source) -> list[BatchPhoto]:
    if isinstance(source, bytes):
        return _from_zip(io.BytesIO(source), "the ZIP")
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            return _from_folder(path)
        if not path.exists():
            raise BatchInputError(
                f"{path} does not exist", hint="Give a folder or a ZIP of photos."
            )
        if not path.is_file():
            raise BatchInputError(f"{path} is neither a folder nor a file")
        if not zipfile.is_zipfile(path):
            raise BatchInputError(
                f"{path} is neither a folder nor a ZIP of photos",
                hint="Give a folder or a ZIP; analyse a single photo with 'analyze'.",
            )
        return _from_zip(path, path.name)
    photos = []
    for name, data in source:
        photo = _photo(name, len(data), lambda d=bytes(data): d)
        if photo is not None:
            photos.append(photo)
            _check_count(photos, "the upload")
    return _marked_duplicates(photos)


def _from_folder(folder: Path) -> list[BatchPhoto]:
    photos = []
    for parent, dirs, files in os.walk(folder):  # symbolic links to folders are not followed
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(parent, name)
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink():
                photo = _photo(relative, 0, None, problem="a symbolic link: not followed")
            else:
                try:
                    status = path.stat()
                except OSError as exc:
                    size, problem = 0, f"cannot be read ({exc.strerror or exc})"
                else:
                    size, problem = status.st_size, _unread_entry(status.st_mode)
                photo = _photo(relative, size, lambda p=path: _read_file(p), problem=problem)
            if photo is not None:
                photos.append(photo)
                _check_count(photos, str(folder))
    return _marked_duplicates(photos)


def _unread_entry(mode: int) -> str | None:
    """Why a folder entry is not read: a FIFO named *.jpg would wait for a writer for ever."""
    problem = not_a_file(mode)
    return f"{problem}: not read" if problem else None


def _read_file(path: Path) -> bytes:
    try:  # a FIFO or a link put in the file's place after the folder was listed is not read
        data = read_capped(path, MAX_FILE_BYTES, follow_symlinks=False)
    except OSError as exc:
        raise PhotoError(f"Cannot read {path.name}: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise PhotoError(f"{path.name} grew past 10 MB while the batch ran")
    return data


def _from_zip(file, label: str) -> list[BatchPhoto]:
    try:
        archive = zipfile.ZipFile(file)
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise BatchInputError(f"{label} is not a readable ZIP ({one_line(exc, 100)})") from None
    if len(entries) > MAX_ENTRIES:
        raise BatchInputError(
            f"{label} has {len(entries)} entries; a batch takes at most {MAX_ENTRIES}",
            hint="Split the set into several batches.",
        )
    lock = threading.Lock()  # one archive, read by the pre-flight's threads
    photos = []
    for entry in entries:
        if entry.is_dir():
            continue
        packed = entry.file_size > max(entry.compress_size * MAX_PACKING, SMALL_ENTRY)
        photo = _photo(
            entry.filename,
            entry.file_size,
            lambda e=entry: _read_entry(archive, e, lock),
            problem=f"unpacks to {entry.file_size} bytes from {entry.compress_size}: not a photo"
            if packed
            else None,
        )
        if photo is not None:
            photos.append(photo)
    return _marked_duplicates(photos)


def _read_entry(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, lock) -> bytes:
    """An entry's bytes, stopped at the cap whatever its header declares."""
    limit = min(MAX_FILE_BYTES, max(entry.compress_size * MAX_PACKING, SMALL_ENTRY))
    try:
        with lock, archive.open(entry) as member:
            data = member.read(limit + 1)
    except RuntimeError as exc:  # zipfile's way of saying "encrypted"
        raise PhotoError(f"Cannot read {entry.filename!r} from the ZIP: {exc}") from None
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError) as exc:
        raise PhotoError(
            f"Cannot read this entry of the ZIP: it is damaged or packed in a way not supported "
            f"({one_line(exc, 100)})"
        ) from None
    if len(data) > limit:
        raise PhotoError(
            "It unpacks to 10 MB or more; the API takes photos under 10 MB"
            if limit == MAX_FILE_BYTES
            else "It unpacks to far more than its packed size: not a photo"
        )
    return data


def _photo(raw_name: str, size: int, reader, *, problem: str | None = None) -> BatchPhoto | None:
    """A BatchPhoto for one file, or None when it is not one to list (hidden, macOS forks)."""
    name = one_line(str(raw_name).replace("\\", "/"), MAX_NAME)
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or parts[-1].startswith(".") or "__MACOSX" in parts:
        return None
    unsafe = name.startswith("/") or _DRIVE.match(name) or ".." in parts
    file = "/".join(parts)
    suffix = posixpath.splitext(file)[1].lower()
    if unsafe:
        return BatchPhoto(name, size, "an unsafe name (absolute, or with ../): not read")
    if suffix not in PHOTO_SUFFIXES + OTHER_IMAGE_SUFFIXES:
        return BatchPhoto(file, size, "not a photo", ignored=True)
    if problem is None and size >= MAX_FILE_BYTES:
        problem = f"{size / 1e6:.1f} MB: the API takes photos under 10 MB; re-encode it as JPEG"
    return BatchPhoto(file, size, problem, reader=None if problem else reader)


def _marked_duplicates(photos: list[BatchPhoto]) -> list[BatchPhoto]:
    seen: set[str] = set()
    marked = []
    for photo in photos:
        if photo.file in seen and not photo.ignored:
            photo = BatchPhoto(photo.file, photo.size, "another file of the input has this name")
        seen.add(photo.file)
        marked.append(photo)
    return marked


def _check_count(photos: list, where: str) -> None:
    if len(photos) > MAX_ENTRIES:
        raise BatchInputError(
            f"{where} holds more than {MAX_ENTRIES} files; a batch takes at most {MAX_ENTRIES}",
            hint="Split the set into several batches.",
        )


# -- the meta CSV ----------------------------------------------------------------------------


def read_meta(source: Path | str | bytes) -> MetaTable:
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            data = read_capped(path, MAX_META_BYTES)
        except OSError as exc:
            raise BatchInputError(
                f"Cannot read the meta CSV {path}: {exc.strerror or exc}"
            ) from None
    else:
        data = bytes(source)
    if len(data) > MAX_META_BYTES:
        raise BatchInputError("The meta CSV is over 10 MB; it should hold one short row a photo")
    text = _decoded(data)
    if "\x00" in text:
        raise BatchInputError("The meta CSV holds NUL characters: it is not a text CSV")
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise BatchInputError(
            f"The meta CSV cannot be read as CSV ({one_line(exc, 100)})"
        ) from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise BatchInputError("The meta CSV is empty", hint="Its first row names the columns.")
    header = [one_line(cell, 60) for cell in rows[0]]
    keys = [h.lower() for h in header]
    if "file" not in keys:
        shown = ", ".join(repr(h) for h in header[:8]) or "none"
        raise BatchInputError(
            f"The meta CSV has no 'file' column (its columns: {shown})",
            hint="Name the column that holds each photo's path within the input 'file'.",
        )
    if len(header) > MAX_META_COLUMNS:
        raise BatchInputError(f"The meta CSV has {len(header)} columns; at most {MAX_META_COLUMNS}")
    duplicated = sorted({h for h in keys if h and keys.count(h) > 1})
    if duplicated:
        raise BatchInputError(f"The meta CSV names the column {duplicated[0]!r} twice")
    if any(not h for h in header):
        raise BatchInputError("The meta CSV has a column without a name in its first row")
    file_at = keys.index("file")
    columns = tuple(h for i, h in enumerate(header) if i != file_at)
    table: dict[str, dict[str, str]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if len(row) > len(header):
            raise BatchInputError(f"Row {number} of the meta CSV has more cells than columns")
        cells = [one_line(c, MAX_META_CELL) for c in row] + [""] * (len(header) - len(row))
        file = "/".join(
            p for p in cells[file_at].replace("\\", "/").split("/") if p not in ("", ".")
        )
        if not file:
            raise BatchInputError(f"Row {number} of the meta CSV has no file")
        if file in table:
            raise BatchInputError(f"The meta CSV names {file!r} twice (row {number})")
        table[file] = {h: cells[i] for i, h in enumerate(header) if i != file_at}
    return MetaTable(columns, table)


def _decoded(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BatchInputError(
        "The meta CSV is not text in UTF-8, UTF-16 or Windows-1252",
        hint="Save it as 'CSV UTF-8' from the spreadsheet.",
    )
