"""Uploading a photo: reserve a slot at the API, then send the bytes to its presigned URL."""

from __future__ import annotations

from .. import errors as e
from .. import schema
from ..schema import UploadSlot
from .api import Api

UPLOAD_PATHS = ("/s2s/v2.0/file", "/s2s/v2.0/file/skin-analysis", "/s2s/v2.1/file/skin-analysis")
"""Where an upload is reserved; the vendor lists all three. The next is tried on a 404."""


def content_type_of(data: bytes) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    raise e.PhotoError("The photo is neither JPG nor PNG", hint="Convert it to JPG first.")


class Uploads:
    def __init__(self, api: Api):
        self._api = api
        self._upload_path = UPLOAD_PATHS[0]
        """The path that answered last: later reservations start there."""

    def reserve_upload(
        self, *, file_name: str, content_type: str, file_size: int, deadline: float | None = None
    ) -> UploadSlot:
        body = {
            "files": [
                {"content_type": content_type, "file_name": file_name, "file_size": file_size}
            ]
        }
        paths = [self._upload_path, *(p for p in UPLOAD_PATHS if p != self._upload_path)]
        for path in paths:
            try:
                payload, request_id = self._api.call(
                    "POST", path, json=body, idempotent=True, deadline=deadline
                )
            except e.ApiStatusError as exc:
                if exc.status == 404 and path != paths[-1]:
                    continue
                raise
            self._upload_path = path
            return schema.upload_slot(schema.reservation_of(payload, f"POST {path}", request_id))
        raise AssertionError("unreachable: the last path raises")

    def upload(self, slot: UploadSlot, data: bytes, *, deadline: float | None = None) -> None:
        """Send the bytes to the presigned URL with exactly its headers, and no bearer."""
        self._api.http.request(
            slot.method,
            slot.url,
            data=data,
            headers=slot.headers,
            what="photo upload",
            target="upload",
            deadline=deadline,
        )

    def upload_photo(
        self, data: bytes, *, file_name: str = "photo.jpg", deadline: float | None = None
    ) -> str:
        """Reserve a slot for the photo and send it; returns the file_id a task names."""
        slot = self.reserve_upload(
            file_name=file_name,
            content_type=content_type_of(data),
            file_size=len(data),
            deadline=deadline,
        )
        self.upload(slot, data, deadline=deadline)
        return slot.file_id
