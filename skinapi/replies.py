"""An HTTP answer read in full, and the error a failed one stands for: the status, the API's
`error_code` (or the documented text that stands for one) and who answered pick a class of the
error tree, with the key masked out of everything the error carries."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Literal

import requests

from . import errors as e
from .names import one_line
from .scrubbing import KeyScrubber

Target = Literal["api", "upload", "download"]
"""Who answers: the API itself, the presigned upload storage, or the result file host."""

MAY_BE_BILLED = (
    "The task may have been created and billed: do not re-run blindly; "
    "check your tasks before trying again."
)
_DOCUMENTED_TEXTS = {
    "invalid task id": "InvalidTaskId",
    "task execution timed out": "TaskTimeout",
}
"""The vendor's schemas document these errors with their text and no error_code
(tests/contract/error_400_invalid_task_id.json, error_500_task_timeout.json)."""


@dataclass(frozen=True)
class Reply:
    """An answer read in full (within its cap)."""

    status: int
    headers: requests.structures.CaseInsensitiveDict
    body: bytes

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-request-id")

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def status_error(
    reply: Reply, what: str, target: Target, scrubber: KeyScrubber
) -> e.ApiStatusError:
    """The error an answer of status 400 or more stands for."""
    scrub = scrubber.scrub
    status = reply.status
    try:
        body = reply.json()
    except ValueError:
        body = None
    code = None
    if isinstance(body, dict):
        message = body.get("error") or body.get("message") or f"HTTP {status}"
        message = message if isinstance(message, str) else json.dumps(message)
        message_text = message.strip().rstrip(".")
        code = body.get("error_code") if isinstance(body.get("error_code"), str) else None
        code = scrub(code) if code else None
    else:
        message = _plain_text(reply) or f"HTTP {status}"
        message_text = ""
    # The key is masked before anything is cut, so no part of it survives a truncation.
    message = scrub(f"{what}: {scrub(message)[:300]}")
    request_id = scrub(reply.request_id) if reply.request_id else None
    kwargs = {"status": status, "error_code": code, "request_id": request_id}
    hint = e.hint_for_code(code)
    code = code or _DOCUMENTED_TEXTS.get(message_text.lower())
    kwargs["error_code"] = code
    hint = hint or e.hint_for_code(code)
    if hint:
        kwargs["hint"] = hint
    if target != "api" and status < 500 and status != 429:
        # Presigned storage, not the API: its codes mean nothing to the API's tree.
        hint = "Result URLs expire after 2 hours: resume the task for fresh ones."
        if target == "upload":
            hint = "The storage refused the upload; upload the photo again."
        return e.ApiStatusError(message, status=status, request_id=request_id, hint=hint)
    return _status_class(status, code)(message, **kwargs)


def _plain_text(reply: Reply) -> str:
    """A non-JSON error body as one line: a proxy's or web server's HTML page is reduced to its
    title (or its text), not quoted as markup."""
    text = reply.text
    if "html" not in reply.content_type.lower() and not text.lstrip()[:15].lower().startswith(
        ("<!doctype html", "<html")
    ):
        return one_line(text, 300)
    page = text[:HTML_READ]
    words = html.unescape(re.sub(r"<[^>]*(>|$)", " ", _title(page) or page))
    return f"HTTP {reply.status}, an HTML page, not the API's JSON: {one_line(words, 200)}"


HTML_READ = 65_536
"""Of an HTML error page, only its start is read for words: a title sits near the top."""


def _title(page: str) -> str | None:
    """The page's <title> text, found by plain searches: a lazy regular expression over a
    hostile page of unclosed <title> tags took quadratic time."""
    lower = page.lower()
    start = lower.find("<title")
    opened = lower.find(">", start) if start >= 0 else -1
    end = lower.find("</title>", opened) if opened >= 0 else -1
    return page[opened + 1 : end] if end >= 0 else None


def _status_class(status: int, code: str | None) -> type[e.ApiStatusError]:
    if status == 401:
        return e.AuthError
    if status == 429:
        return e.RateLimitError
    if status == 400:
        return {
            "InvalidTaskId": e.InvalidTaskIdError,
            "CreditInsufficiency": e.CreditInsufficientError,
        }.get(code or "", e.InvalidParametersError)
    if status == 500 and code == "TaskTimeout":
        return e.TaskTimeoutError
    if status >= 500:
        return e.ServerError
    return e.ApiStatusError
