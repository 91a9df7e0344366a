"""One exception tree for everything that can go wrong, each error with a hint of what to do.

`exit_code` is what the CLI exits with: 2 nothing was sent, 3 the API refused, 4 the engine
failed the task, 5 transient or timed out (resume by task_id where one exists).
"""

from __future__ import annotations

ENGINE_HINTS: dict[str, str] = {
    "error_below_min_image_size": "The photo is too small: SD needs a short side of 480 px, "
    "HD 1080 px. Use a higher camera resolution, or choose SD.",
    "error_exceed_max_image_size": "The photo is too large: keep the long side at 4096 px or "
    "less (downscale to 2560 px to save upload time).",
    "exceed_max_filesize": "The file is 10 MB or more: re-encode it as JPEG.",
    "error_src_face_too_small": "The face must fill at least 60% of the photo's width. "
    "Move closer or crop to the face.",
    "error_src_face_out_of_bound": "Part of the face is outside the photo. Centre the face "
    "with some margin around it.",
    "error_lighting_dark": "The photo is too dark. Face an even, bright light source.",
    "error_no_face": "No face was found. Use a front-facing photo of one face, eyes open.",
    "error_multiple_people": "More than one face is in the photo. Keep one person in frame.",
    "error_large_face_angle": "The face is turned too far. Look straight into the camera.",
    "error_pose": "The head pose is off. Look straight into the camera, chin level.",
    "error_face_parsing": "The face could not be parsed. Remove glasses, keep the forehead "
    "visible, mouth closed.",
    "error_decode_image": "The image could not be decoded. Send a valid JPG or PNG.",
    "error_download_image": "The API could not download src_file_url. Check that the URL is "
    "public and reachable.",
    "invalid_parameter": "The API rejected a parameter of the task. Check the concerns and "
    "options.",
    "error_nsfw_content_detected": "The photo was flagged as inappropriate content.",
    "error_inference": "The analysis engine failed on this photo. Try another photo; if it "
    "repeats, report the request id.",
    "error_upload": "The upload did not reach the API. Upload the photo again.",
    "unknown_internal_error": "The API failed internally, or the photo was never uploaded. "
    "Try again; if it repeats, report the request id.",
}

API_CODE_HINTS: dict[str, str] = {
    "InvalidApiKey": "Check the API key: it is sent as 'Bearer <key>', without angle brackets.",
    "InactiveApiKey": "This API key is inactive. Activate it in the YouCam console.",
    "ExpiredApiKey": "This API key has expired. Create a new one in the YouCam console.",
    "CreditInsufficiency": "Not enough units for this task. Top up, or choose fewer concerns.",
    "InvalidParameters": "The API refused the request's parameters; see the message.",
    "BadRequest": "The API refused the request; see the message.",
    "InvalidTaskId": "The task id is unknown or expired (tasks expire when not polled in "
    "time). Its units may have been spent; run the analysis again only if you need it.",
    "TaskTimeout": "The task took too long on the API's side. Try again later.",
}


class SkinApiError(Exception):
    """Root of every error this package raises."""

    exit_code = 5
    default_hint = ""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        hint: str | None = None,
        task_id: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.request_id = request_id
        self.hint = hint if hint is not None else self.default_hint
        self.task_id = task_id

    def __str__(self) -> str:
        parts = [self.message.rstrip(".") + "."]
        if self.hint and self.hint.rstrip(".") != self.message.rstrip("."):
            parts.append(self.hint)
        if self.task_id:
            parts.append(f"(task_id {self.task_id})")
        if self.request_id:
            parts.append(f"(request id {self.request_id})")
        return " ".join(parts)

    def as_dict(self) -> dict:
        return {
            "error": type(self).__name__,
            "message": self.message,
            "hint": self.hint,
            "status": self.status,
            "error_code": self.error_code,
            "request_id": self.request_id,
            "task_id": self.task_id,
        }


class RequestValidationError(SkinApiError):
    """The request was refused locally, before anything was sent."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(" ".join(self.problems) or "Invalid request.", hint="Nothing was sent.")

    def __str__(self) -> str:
        return self.message + " Nothing was sent."


class InputError(SkinApiError):
    """A command's own input refused where no request was ever in question (an output path,
    the emulator's port or settings, a store address): said without "Nothing was sent."."""

    exit_code = 2


class PhotoError(SkinApiError):
    """The photo cannot be read or is refused by the pre-flight checks."""

    exit_code = 2


class ApiStatusError(SkinApiError):
    """The API answered with an error status."""

    exit_code = 3


class AuthError(ApiStatusError):
    default_hint = API_CODE_HINTS["InvalidApiKey"]


class InvalidParametersError(ApiStatusError):
    default_hint = API_CODE_HINTS["InvalidParameters"]


class CreditInsufficientError(ApiStatusError):
    default_hint = API_CODE_HINTS["CreditInsufficiency"]


class RateLimitError(ApiStatusError):
    exit_code = 5
    default_hint = "Rate limited (5 requests per second, 250 per 5 minutes). Wait and retry."


class InvalidTaskIdError(ApiStatusError):
    exit_code = 5
    default_hint = API_CODE_HINTS["InvalidTaskId"]


class TaskTimeoutError(ApiStatusError):
    exit_code = 5
    default_hint = API_CODE_HINTS["TaskTimeout"]


class ServerError(ApiStatusError):
    exit_code = 5
    default_hint = "The API had a server error. Try again in a moment."


class EngineError(SkinApiError):
    """The task ran and the engine failed it (an HTTP 200 with task_status "error")."""

    exit_code = 4

    def __init__(self, code: str, message: str = "", **kwargs):
        kwargs.setdefault("hint", ENGINE_HINTS.get(code, "The engine failed the task."))
        super().__init__(message or code, error_code=code, **kwargs)
        self.code = code


class TransportError(SkinApiError):
    """The network failed: no answer, a dropped connection or a timeout."""

    default_hint = "Check the network and the base URL."


class NotSentError(TransportError):
    """The connection was never made (refused, unresolved or timed out while connecting): the
    request cannot have reached the API, so nothing was billed, even for a create."""

    default_hint = (
        "Nothing reached the API, so nothing was billed. Check the network and the base URL, "
        "then try again."
    )


class ProtocolError(SkinApiError):
    """The API answered with something the contract does not describe."""

    default_hint = "The response did not follow the API contract; report the request id."


class StoreError(SkinApiError):
    """The run store cannot be used; the message says how to get out."""

    exit_code = 2


class DeadlineExceeded(SkinApiError):
    """The task was still running when our own deadline passed; it can be resumed."""

    default_hint = "The task is still running: resume it by its task_id rather than re-running."


def hint_for_code(code: str | None) -> str | None:
    if code is None:
        return None
    return API_CODE_HINTS.get(code) or ENGINE_HINTS.get(code)


class CapReached(SkinApiError):
    """A daily spend cap would be passed: the create is refused before anything is sent."""

    exit_code = 2

    def __init__(self, cap: str, limit: int, left: int, units: int):
        super().__init__(
            f"The {cap} daily cap of {limit} units is reached: {left} left today, this run "
            f"needs {units}. Nothing was sent.",
            hint="An admin can raise the cap (Settings → Spend caps, or SKINSCOPE_DAILY_UNITS"
            "_PER_PERSON / SKINSCOPE_DAILY_UNITS); caps start afresh at midnight.",
        )
        self.cap, self.limit, self.left, self.units = cap, limit, left, units


class CapUncounted(CapReached):
    """A daily cap is set but the run store, where the day's units are counted, is not in use
    (`--no-history`, or a store that cannot be opened): the create is refused, as a cap that
    cannot be counted cannot be kept."""

    def __init__(self, caps: str, units: int):
        SkinApiError.__init__(
            self,
            f"A daily spend cap is set ({caps}), and the units spent today are counted in the "
            "run store, which this run does not use. Nothing was sent.",
            hint="Run it with the run store (without --no-history; `python -m skinapi runs` "
            "says what is wrong with a store that cannot be opened), or have an admin unset "
            "the cap.",
        )
        self.cap, self.limit, self.left, self.units = "uncounted", 0, 0, units
