"""Who answers a run: the backend. One word per idea: the sidebar's connection *mode* is demo or
live; the *backend* that answered a run is ``emulator`` or ``live``."""

DEFAULT_BASE_URL = "https://yce-api-01.makeupar.com"
"""YouCam's API: where a live run goes unless a base URL is given."""

EMULATOR, LIVE = "emulator", "live"
BACKENDS = (EMULATOR, LIVE)
"""``emulator``: SkinScope's own emulator (demo scores, never YouCam's AI), embedded in the app
or started with ``python -m skinapi emulator``; ``live``: anything else, i.e. YouCam's API."""

EMULATOR_HEADER = "X-SkinScope-Emulator"
"""The response header by which SkinScope's emulator names itself on every answer."""


def backend_of(headers) -> str:
    """The backend that sent an answer with these headers."""
    return EMULATOR if headers.get(EMULATOR_HEADER) else LIVE
