"""Signing in and out through a real OIDC provider (oidc-provider-mock, on loopback), with the
app's ``[auth]`` in a secrets file of the test's own (Streamlit's `secrets.files` option, set
through its environment variable: neither this machine's home nor the project's secrets are
read). The app and the redirect URI both use the host name 127.0.0.1."""

import pytest

from ..helpers import serve_app
from .actions import browser_test, expect, shot, wait_for_app_run

mock = pytest.importorskip("oidc_provider_mock", reason="oidc-provider-mock is not installed")

pytestmark = browser_test("sign-in")

ANA = "ana@example.com"


@pytest.fixture(scope="module")
def provider():
    people = [mock.User(sub="ana", claims={"email": ANA, "name": "Ana"})]
    with mock.run_server_in_thread(user_claims=people) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def signed_app_url(provider, tmp_path_factory):
    secrets = tmp_path_factory.mktemp("secrets") / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "a-cookie-secret-for-the-sign-in-test-0123456789"\n'
        'client_id = "skinscope"\n'
        'client_secret = "not-a-real-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
        "[access]\n"
        f'admin = ["{ANA}"]\n'
    )
    server, url = serve_app(
        tmp_path_factory.mktemp("data"),
        tmp_path_factory.mktemp("streamlit") / "server.log",
        STREAMLIT_SECRETS_FILES=str(secrets),
    )
    yield url
    server.terminate()
    server.wait(timeout=10)


def test_a_visitor_signs_in_through_the_provider_and_out_again(signed_app_url, open_page):
    page = open_page(1440, 900)
    page.goto(f"{signed_app_url}/history")  # any path: only the sign-in page
    sign_in = page.get_by_role("button", name="Sign in", exact=True)
    expect(sign_in).to_be_visible()
    wait_for_app_run(page, after_input=False)
    expect(page.get_by_text("Connection")).to_have_count(0)
    expect(page.get_by_role("link", name="History")).to_have_count(0)
    shot(page, "sign-in-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "sign-in-390")
    page.set_viewport_size({"width": 1440, "height": 900})

    sign_in.click()
    page.locator("input[name='sub']").fill("ana")
    page.get_by_role("button", name="Authorize").click()

    expect(page.get_by_text(f"Signed in as {ANA} · admin")).to_be_visible()
    expect(page.get_by_role("link", name="Settings")).to_be_visible()
    wait_for_app_run(page, after_input=False)
    shot(page, "signed-in-1440")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()  # the provider's own page
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_text(f"Signed in as {ANA}")).to_have_count(0)
