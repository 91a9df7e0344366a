"""`import skinapi` in a fresh interpreter: its names load on first use, so a command that talks
to no API never loads requests; every exported name and every submodule still resolves."""

import json
import subprocess
import sys

from ..helpers import ROOT

PROBE = """
import json, sys
import skinapi
loaded = {"bare": "requests" in sys.modules}
from skinapi import DEFAULT_BASE_URL, PhotoError, Progress
loaded["light names"] = "requests" in sys.modules
errors_module = skinapi.errors.__name__
from skinapi import *
loaded["every name"] = "requests" in sys.modules
missing = [name for name in skinapi.__all__ if not hasattr(skinapi, name)]
try:
    skinapi.no_such_name
    unknown = "resolved"
except AttributeError:
    unknown = "AttributeError"
print(json.dumps({"loaded": loaded, "errors": errors_module, "missing": missing,
                  "unknown": unknown, "dir": dir(skinapi) == sorted(skinapi.__all__)}))
"""


def test_skinapi_loads_its_names_on_first_use_and_every_one_resolves():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["loaded"] == {"bare": False, "light names": False, "every name": True}
    assert seen["errors"] == "skinapi.errors" and seen["missing"] == []
    assert seen["unknown"] == "AttributeError" and seen["dir"]
