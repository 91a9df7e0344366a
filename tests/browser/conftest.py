"""What the browser tests share: a Streamlit server on the demo emulator per module (and per
worker), Chromium with its fake camera, and windows closed after each test. Each module is an
xdist group (`browser_test`), so a module's tests share one server and one browser; a traceback
in that server's log fails the module at its end."""

import pytest

from ..helpers import CHROMIUM, CHROMIUM_ARGS, serve_app, stop_app, webcam_frame, write_y4m

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def app_data(tmp_path_factory):
    """The data folder of the module's server: its run store, for runs a test records first."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def app_url(app_data, tmp_path_factory):
    _, url = serve_app(
        app_data,
        tmp_path_factory.mktemp("streamlit") / "server.log",
        SKINSCOPE_EMULATOR_PROCESSING_TIME="1.2",
        SKINSCOPE_EMULATOR_POLLING_INTERVAL="0.3",
        SKINSCOPE_EMULATOR_SEND_POLLING_INTERVAL="1",
    )
    yield url
    tracebacks = stop_app(url)
    assert not tracebacks, "the server logged a traceback:\n" + "\n".join(tracebacks)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    clip = tmp_path_factory.mktemp("camera") / "face.y4m"
    write_y4m(clip, webcam_frame())
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={clip}",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, permissions=["camera"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


@pytest.fixture
def open_page(browser):
    """New windows (each its own context) of a given size, closed when the test ends: a window
    left open keeps its session, and its fragments, running for the rest of the module."""
    contexts = []

    def make(width: int, height: int):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        return page

    yield make
    for context in contexts:
        context.close()
