"""SkinScope's client for Perfect Corp's YouCam AI Skin Analysis API (V2.1), with its demo engine.

Importable without Streamlit; the dashboard's Streamlit glue lives in `skinapi.ui`.
"""

from .client import DEFAULT_BASE_URL, Client, Progress, RetryPolicy
from .concerns import CONCERNS, AnalysisSettings, preset_actions, unit_cost
from .errors import (
    ApiStatusError,
    AuthError,
    CreditInsufficientError,
    DeadlineExceeded,
    EngineError,
    InvalidParametersError,
    InvalidTaskIdError,
    PhotoError,
    ProtocolError,
    RateLimitError,
    RequestValidationError,
    ServerError,
    SkinApiError,
    TaskTimeoutError,
    TransportError,
)
from .results import AnalysisResult, ConcernScore, SkinTypeZone

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
    "PhotoError",
    "Progress",
    "ProtocolError",
    "RateLimitError",
    "RequestValidationError",
    "RetryPolicy",
    "ServerError",
    "SkinApiError",
    "SkinTypeZone",
    "TaskTimeoutError",
    "TransportError",
    "preset_actions",
    "unit_cost",
]
