"""The emulator's file host, as the API's storage behaves: presigned-style uploads (a PUT with
exactly the reserved headers and no bearer) and result downloads through signed URLs that stop
working after a while. It sends no x-request-id: that header is the API's own."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from urllib.parse import parse_qs

from .answers import json_answer
from .tasks import TaskTable, Upload

CONTENT_TYPES = {".zip": "application/zip", ".png": "image/png"}
"""By file name ending; everything else the host serves is a JPEG."""


class Signer:
    """Result URLs that work for a while, like presigned storage URLs: signed with a secret of
    this emulator, with their expiry on its clock."""

    def __init__(self, clock: Callable[[], float]):
        self._secret = secrets.token_bytes(16)
        self._clock = clock

    def sign(self, path: str, lifetime: float) -> str:
        expires = f"{self._clock() + lifetime:.3f}"
        return f"{path}?Expires={expires}&Signature={self._signature(path, expires)}"

    def holds(self, path: str, query: str) -> bool:
        fields = parse_qs(query)
        expires = (fields.get("Expires") or [""])[0]
        given = (fields.get("Signature") or [""])[0]
        try:
            fresh = float(expires) >= self._clock()
        except ValueError:
            return False
        return fresh and hmac.compare_digest(given, self._signature(path, expires))

    def _signature(self, path: str, expires: str) -> str:
        digest = hmac.new(self._secret, f"{path}|{expires}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]


def files_path(task_id: str) -> str:
    """Where a task's result files are served, before signing."""
    return f"/files/{task_id}"


class Storage:
    def __init__(
        self,
        table: TaskTable,
        clock: Callable[[], float],
        base_url: Callable[[], str],
        url_lifetime: Callable[[], float],
    ):
        self._table = table
        self._signer = Signer(clock)
        self._base_url = base_url
        self._url_lifetime = url_lifetime

    def upload_request(self, upload: Upload) -> dict:
        """The presigned PUT a reservation hands out."""
        return {
            "method": "PUT",
            "url": f"{self._base_url()}/upload/{upload.file_id}?X-Signature={uuid.uuid4().hex}",
            "headers": {
                "Content-Type": upload.content_type,
                "Content-Length": str(upload.file_size),
            },
        }

    def signed_url(self, path: str) -> str:
        """A download URL for `path`, good for the configured `url_lifetime` from now."""
        return self._base_url() + self._signer.sign(path, self._url_lifetime())

    def refusal_before_body(self, method: str, route: str, headers):
        """What a PUT that cannot be taken gets before its body is read: up to 25 MB is
        nobody's to send to a file that was never reserved, or of another size."""
        declared = headers.get("Content-Length") or "0"
        upload = self._table.upload(route.rsplit("/", 1)[-1])
        if method == "PUT" and upload is not None and declared == str(upload.file_size):
            return None
        return self.put(method, route, headers, b"")

    def put(self, method: str, route: str, headers, body: bytes):
        if method != "PUT":
            return json_answer(405, {"error": "MethodNotAllowed"})
        # Presigned storage refuses a second authentication mechanism, as S3 does.
        if "Authorization" in headers:
            return json_answer(400, {"error": "InvalidArgument: only one auth mechanism allowed"})
        upload = self._table.upload(route.rsplit("/", 1)[-1])
        if upload is None:
            return json_answer(403, {"error": "SignatureDoesNotMatch"})
        if headers.get("Content-Type") != upload.content_type:
            return json_answer(403, {"error": "SignatureDoesNotMatch: Content-Type differs"})
        if len(body) != upload.file_size:
            return json_answer(400, {"error": "Content-Length differs from the declared file_size"})
        self._table.fill(upload, body)
        return 200, {}, b""

    def get(self, method: str, route: str, query: str):
        parts = route.split("/")
        if method != "GET" or len(parts) != 4:
            return json_answer(404, {"error": "NotFound"})
        _, _, task_id, name = parts
        if not self._signer.holds(f"{files_path(task_id)}/{name}", query):
            return json_answer(403, {"error": "AccessDenied: Request has expired"})
        data = self._table.result_file(task_id, name)
        if data is None:
            return json_answer(404, {"error": "NoSuchKey"})
        ending = name[name.rfind(".") :]
        return 200, {"Content-Type": CONTENT_TYPES.get(ending, "image/jpeg")}, data
