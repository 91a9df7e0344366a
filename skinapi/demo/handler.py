"""The emulator's HTTP side: one handler class per emulator, refusing what a server on
loopback must refuse before reading a body (a foreign Host, a body too long), then handing the
request to `Emulator.handle` and injecting the faults that strike after the work is done."""

from __future__ import annotations

import uuid
from http.server import BaseHTTPRequestHandler

from ..backends import EMULATOR_HEADER
from .answers import json_answer as _json

SOCKET_TIMEOUT = 30.0
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
"""Larger uploads get 413; from 10 MB to this the engine answers exceed_max_filesize."""
MAX_API_BODY_BYTES = 1024 * 1024
"""The API's own requests are small JSON; photos go to the file host's upload URL."""


def _most_body_bytes(path: str) -> int:
    """A photo's upload, the API's small JSON, and no body anywhere else."""
    if path.startswith("/upload/"):
        return MAX_UPLOAD_BYTES
    return MAX_API_BODY_BYTES if path.startswith("/s2s/") else 0


def handler_for(emulator):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        timeout = SOCKET_TIMEOUT  # a client that stalls mid-request frees its thread

        def _serve(self):
            refused = self._refused() or emulator.refusal_before_body(
                self.command, self.path, self.headers
            )
            if refused:  # the body stays unread, so the connection cannot carry another request
                self.close_connection = True
                self._answer(*refused)
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, payload = emulator.handle(
                self.command, self.path, self.headers, body, client=self.client_address[0]
            )
            fault = emulator.fault_after(self.path)
            if fault == "drop":
                self.close_connection = True
                return
            if fault == "502":
                status, headers, payload = (
                    502,
                    {"Content-Type": "text/html"},
                    b"<h1>502 Bad Gateway</h1>",
                )
            self._answer(status, headers, payload)

        def _refused(self):
            """A request refused before its body is read: a foreign Host (DNS rebinding), a
            target that is not a path (every check below reads the path), or a body that is not
            a length or is too long for where it goes."""
            if not self.path.startswith("/"):
                return _json(400, {"status": 400, "error": "The request target must be a path"})
            host = (self.headers.get("Host") or "").lower()
            port = emulator.port
            if host not in {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}:
                return _json(421, {"status": 421, "error": "Misdirected Request"})
            if self.headers.get("Transfer-Encoding"):
                # Its body is not read: left in the stream, it would be parsed as a request.
                return _json(411, {"status": 411, "error": "Length Required"})
            declared = self.headers.get("Content-Length") or "0"
            if not (declared.isascii() and declared.isdigit()):  # "²" is a digit to isdigit()
                return _json(400, {"status": 400, "error": "Content-Length is not a length"})
            if int(declared) > _most_body_bytes(self.path):
                return _json(413, {"status": 413, "error": "Payload Too Large"})
            return None

        def _answer(self, status, headers, payload):
            self.send_response(status)
            if self.path.startswith("/s2s/"):  # the API's own header; storage does not send it
                # A large decimal number, as recorded from the real API.
                self.send_header("x-request-id", str(uuid.uuid4().int >> 66))
            # Whoever reads a run's answers can tell demo scores from YouCam's (backends.py).
            self.send_header(EMULATOR_HEADER, "1")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        # Every method gets the API's JSON answer (a 404 where no route takes it), not the
        # standard library's HTML 501 without the API's headers.
        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = _serve

        def log_message(self, format, *args):  # the key could appear in nothing logged here
            pass

    return Handler
