"""A replay server: the API's answers as the vendor published them (tests/contract/*.json),
served in the order of a flow, so the client, the CLI and the app are tested against the real
shapes rather than against our own emulator.

Only what must change to work on loopback is adapted: absolute URLs point at this server's file
host (their last path segment, the file's name, is kept) and the upload slot's Content-Length
and Content-Type are the ones the request declared. Names, nesting, types, order and missing
fields are the recorded ones."""

from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image

CONTRACT = Path(__file__).parent
_URL = re.compile(r"^https?://")


def document(name: str) -> dict:
    return json.loads((CONTRACT / name).read_text())


def _image(name: str) -> tuple[bytes, str]:
    """A small mask or photo for a recorded file name: PNG with alpha, or JPEG."""
    buffer = io.BytesIO()
    if name.endswith(".png"):
        image = Image.new("RGBA", (64, 80), (255, 0, 0, 0))
        image.paste((255, 0, 0, 200), (20, 20, 40, 50))
        image.save(buffer, "PNG")
        return buffer.getvalue(), "image/png"
    Image.new("RGB", (64, 80), (200, 150, 140)).save(buffer, "JPEG")
    return buffer.getvalue(), "image/jpeg"


class ReplayServer:
    """`flow` names the documents: reserve, create, polls (in order; the last repeats), and
    optionally score_info (the ZIP's score_info.json), credit and feature_cost."""

    def __init__(self, flow: dict):
        self.flow = flow
        self.requests: list[tuple[str, str, dict]] = []
        self._polls = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ReplayServer:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()  # fmt: skip
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        if path.startswith("/files/"):
            return self._file(path.rsplit("/", 1)[-1])
        if path.startswith("/upload"):
            return 200, "text/plain", b""
        if method == "POST" and "/file" in path:
            if document(self.flow["reserve"])["status"] != 200:
                return self._json(document(self.flow["reserve"]))
            return self._reserve(json.loads(body or b"{}"))
        if method == "POST" and path.endswith("/task/skin-analysis"):
            return self._json(document(self.flow["create"]))
        if method == "GET" and "/task/skin-analysis/" in path:
            polls = self.flow["polls"]
            self._polls += 1
            return self._json(document(polls[min(self._polls, len(polls)) - 1]))
        if method == "GET" and path.endswith("/credit/feature-cost"):
            return self._json(document(self.flow["feature_cost"]))
        if method == "GET" and path.endswith("/client/credit"):
            return self._json(document(self.flow["credit"]))
        if method == "POST" and path.endswith("/task/delete"):
            return self._json(document(self.flow["delete"]))
        return 404, "application/json", b'{"status": 404, "error": "not in this replay"}'

    def _json(self, recorded: dict) -> tuple[int, str, bytes]:
        body = json.dumps(self._local(recorded["body"])).encode()
        return recorded["status"], "application/json", body

    def _reserve(self, request: dict) -> tuple[int, str, bytes]:
        recorded = document(self.flow["reserve"])
        body = self._local(recorded["body"])
        asked = request["files"][0]
        holder = body["data"] if "data" in body else body["result"]  # the legacy v1.1 envelope
        for entry in holder["files"]:
            for slot in entry["requests"]:
                slot["headers"]["Content-Length"] = str(asked["file_size"])
                slot["headers"]["Content-Type"] = asked["content_type"]
                slot["url"] = f"{self.url}/upload"
        return recorded["status"], "application/json", json.dumps(body).encode()

    def _local(self, value):
        if isinstance(value, str) and _URL.match(value):
            return f"{self.url}/files/{value.rstrip('/').rsplit('/', 1)[-1] or 'file'}"
        if isinstance(value, list):
            return [self._local(v) for v in value]
        if isinstance(value, dict):
            return {k: self._local(v) for k, v in value.items()}
        return value

    def _file(self, name: str) -> tuple[int, str, bytes]:
        if "score_info" in self.flow and not name.endswith((".png", ".jpg")):
            return 200, "application/zip", self._zip()
        data, kind = _image(name)
        return 200, kind, data

    def _zip(self) -> bytes:
        info = document(self.flow["score_info"])["body"]
        names = re.findall(r'"output_mask_name": "([^"]+)"', json.dumps(info))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("skinanalysisResult/score_info.json", json.dumps(info))
            for name in names:
                archive.writestr(f"skinanalysisResult/{name}", _image(name)[0])
        return buffer.getvalue()

    def _handler(self):
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                replay.requests.append((self.command, self.path, dict(self.headers)))
                status, kind, payload = replay.answer(self.command, self.path.split("?")[0], body)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, *args):
                pass

        return Handler
