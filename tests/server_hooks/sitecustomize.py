"""Loaded by the test servers only (on their PYTHONPATH): SIGUSR1 writes every thread's stack
to the server log, so a browser test that times out can say what the app was doing."""

import faulthandler
import signal

faulthandler.register(signal.SIGUSR1, all_threads=True)
