"""The demo server: a YouCam-compatible HTTP emulator and the demo engine behind it.

It stands beside the layers (it uses the core and imaging) and is imported only by the
dashboard's connection layer, the CLI, the benchmarks and the tests.
"""

from .config import DEMO_API_KEY, EmulatorConfig
from .emulator import Emulator

__all__ = ["DEMO_API_KEY", "Emulator", "EmulatorConfig"]
