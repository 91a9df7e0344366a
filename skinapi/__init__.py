"""SkinScope's client for Perfect Corp's YouCam AI Skin Analysis API (V2.1).

The core is the package's top-level modules (backends, errors, names, concerns, roles, results,
schema, the transport and its replies, scrubbing, recording, polling and progress, `parallel`,
the endpoint `resources`, and the client: the standard library and requests). The layers above
it are subpackages, each importing only those below: `imaging` (faces, photo checks, overlays,
live guidance) → `store` (the run store interface with its SQLite and PostgreSQL
implementations, local and S3 files, run states, leases) → `runs` (the run lifecycle, batches,
the request budget, spend caps) → `statistics` (tables, cohorts, confidence intervals) and
`presentation` (charts, the HTML report, the participant PDF, exports) → `ui` (the only
Streamlit importer) and the CLI; `demo` (the emulator and its engine) stands beside them.

The names below load on first use (PEP 562): `python -m skinapi` starts its photo check before
requests, the store or OpenCV are imported, and a command that needs none of them never pays
for them.
"""

from __future__ import annotations

import importlib
import importlib.util

_HOMES = {
    ".backends": ("DEFAULT_BASE_URL",),
    ".client": ("Client",),
    ".progress": ("Progress",),
    ".concerns": ("CONCERNS", "AnalysisSettings", "preset_actions", "unit_cost"),
    ".errors": (
        "ApiStatusError",
        "AuthError",
        "CreditInsufficientError",
        "DeadlineExceeded",
        "EngineError",
        "InvalidParametersError",
        "InvalidTaskIdError",
        "NotSentError",
        "PhotoError",
        "ProtocolError",
        "RateLimitError",
        "RequestValidationError",
        "ServerError",
        "SkinApiError",
        "StoreError",
        "TaskTimeoutError",
        "TransportError",
    ),
    ".results": ("AnalysisResult", "ConcernScore", "SkinTypeZone"),
    ".transport": ("RetryPolicy",),
}
_HOME_OF = {name: home for home, names in _HOMES.items() for name in names}

__all__ = sorted(_HOME_OF, key=lambda name: (not name.isupper(), name))


def __getattr__(name: str):
    home = _HOME_OF.get(name)
    if home is not None:
        value = getattr(importlib.import_module(home, __name__), name)
    elif importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f"{__name__}.{name}")  # `skinapi.errors` and the like
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
