import io
from pathlib import Path

import pytest
from PIL import Image

from skinapi import Client, RetryPolicy
from skinapi.emulator import DEMO_API_KEY, Emulator, EmulatorConfig

ASSETS = Path(__file__).parent / "assets"
FACE_PATH = ASSETS / "face.jpg"
FAKE_KEY = "sk-test-not-a-real-key-1234567890"

FAST = dict(processing_time=0.05, polling_interval=0.01, interval_unit="s", rate_limit=False)


def jpeg(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, **kwargs)
    return buffer.getvalue()


@pytest.fixture
def face_bytes() -> bytes:
    return FACE_PATH.read_bytes()


@pytest.fixture
def face_image() -> Image.Image:
    return Image.open(FACE_PATH).convert("RGB")


@pytest.fixture
def emulator_factory():
    started = []

    def make(**config) -> Emulator:
        values = {**FAST, "api_keys": frozenset({DEMO_API_KEY, FAKE_KEY}), **config}
        emulator = Emulator(EmulatorConfig(**values)).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(emulator_factory) -> Emulator:
    return emulator_factory()


@pytest.fixture
def client(emulator) -> Client:
    return Client(FAKE_KEY, base_url=emulator.url, retry=RetryPolicy(attempts=4, base_delay=0.01))
