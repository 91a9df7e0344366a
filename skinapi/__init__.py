"""SkinScope's client for Perfect Corp's YouCam AI Skin Analysis API (V2.1).

`import skinapi` loads the core only (backends, errors, concerns, results, schema, the
transport and its replies, scrubbing, recording and polling, the endpoint `resources`, and the
client: the standard library and requests). The layers above it are subpackages, each importing only
those below: `imaging` (faces, photo checks, overlays, live guidance) → `store` (the run store
interface and its SQLite implementation, run states, leases) → `runs` (the run lifecycle,
batches, the request budget) → `statistics` (tables, cohorts, confidence intervals) and
`presentation` (charts, the HTML report, exports) → `ui` (the only Streamlit importer) and the
CLI; `demo` (the emulator and its engine) stands beside them.
"""

from .client import DEFAULT_BASE_URL, Client, Progress
from .concerns import CONCERNS, AnalysisSettings, preset_actions, unit_cost
from .errors import (
    ApiStatusError,
    AuthError,
    CreditInsufficientError,
    DeadlineExceeded,
    EngineError,
    InvalidParametersError,
    InvalidTaskIdError,
    NotSentError,
    PhotoError,
    ProtocolError,
    RateLimitError,
    RequestValidationError,
    ServerError,
    SkinApiError,
    StoreError,
    TaskTimeoutError,
    TransportError,
)
from .results import AnalysisResult, ConcernScore, SkinTypeZone
from .transport import RetryPolicy

__all__ = [
    "DEFAULT_BASE_URL",
    "CONCERNS",
    "AnalysisResult",
    "AnalysisSettings",
    "ApiStatusError",
    "AuthError",
    "Client",
    "ConcernScore",
    "CreditInsufficientError",
    "DeadlineExceeded",
    "EngineError",
    "InvalidParametersError",
    "InvalidTaskIdError",
    "NotSentError",
    "PhotoError",
    "Progress",
    "ProtocolError",
    "RateLimitError",
    "RequestValidationError",
    "RetryPolicy",
    "ServerError",
    "SkinApiError",
    "SkinTypeZone",
    "StoreError",
    "TaskTimeoutError",
    "TransportError",
    "preset_actions",
    "unit_cost",
]
