"""Sign-in and roles under AppTest: Streamlit's own `st.user`, seeded as its AppTest documents,
and an ``[auth]`` section in the test's secrets — the path the server takes, minus the provider
(the browser test signs in through a real one)."""

import pytest

from skinapi.roles import ROLES, allows, role_for

from ..helpers import app_test
from .test_app import PAGES

AUTH = {
    "client_id": "skinscope-test",
    "client_secret": "not-a-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "a-cookie-secret-for-tests-only-0123456789",
}
ACCESS = {
    "admin": ["ana@example.com"],
    "operator": ["@ops.example.com"],
    "viewer": ["*@nowhere.invalid", "vic@example.com"],
}
PEOPLE = {
    "admin": "ana@example.com",
    "operator": "otto@ops.example.com",
    "viewer": "vic@example.com",
}
PAGE_ROLE = {
    "pages/analyse.py": "operator",
    "pages/live.py": "operator",
    "pages/batch.py": "operator",
    "pages/settings.py": "admin",
    "pages/audit.py": "admin",
}

pytestmark = pytest.mark.usefixtures("quick_emulator")


def signed_in(email: str | None, *, access=ACCESS, page: str | None = None):
    """The app (or one page file run alone, as a direct link does) with [auth] configured and
    this person signed in (None: not signed in)."""
    at = app_test(page) if page else app_test()
    at.secrets["auth"] = AUTH
    at.secrets["access"] = access
    at.user = {"is_logged_in": True, "email": email} if email else {"is_logged_in": False}
    return at


def texts(at) -> str:
    parts = [
        e.value
        for kind in ("title", "markdown", "warning", "error", "caption")
        for e in at.get(kind)
    ]
    return " ".join(str(p) for p in parts)


def test_a_visitor_who_has_not_signed_in_sees_only_the_sign_in_page():
    at = signed_in(None).run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["SkinScope"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.sidebar.radio and not at.image and not at.get("plotly_chart")


@pytest.mark.parametrize("page", PAGES)
def test_a_visitor_on_any_page_path_sees_only_the_sign_in_page(page):
    at = signed_in(None, page=page).run()
    assert [t.value for t in at.title] == ["SkinScope"], texts(at)
    assert not at.sidebar.radio


def test_several_named_providers_are_offered_as_a_choice():
    at = app_test()
    shared = {k: AUTH[k] for k in ("redirect_uri", "cookie_secret")}
    provider = {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")}
    at.secrets["auth"] = {**shared, "google": provider, "okta": provider}
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["Sign in with Google", "Sign in with Okta"]


def test_a_signed_in_person_without_a_role_sees_why_and_nothing_else():
    at = signed_in("mallory@elsewhere.example").run()
    assert [t.value for t in at.title] == ["No role yet"]
    assert "mallory@elsewhere.example" in texts(at) and "[access]" in texts(at)
    assert not at.sidebar.radio


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_each_page_checks_the_role_before_drawing(page, role):
    at = signed_in(PEOPLE[role]).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    needed = PAGE_ROLE.get(page, "viewer")
    if allows(role, needed):
        assert at.title[0].value != "Not allowed"
    else:
        assert [t.value for t in at.title] == ["Not allowed"], texts(at)
        assert f"needs the {needed} role" in texts(at)


@pytest.mark.parametrize("role", ROLES)
def test_the_sidebar_names_the_person_and_their_role_and_offers_sign_out(role):
    at = signed_in(PEOPLE[role]).run()
    assert not at.exception, at.exception
    assert f"Signed in as `{PEOPLE[role]}` · {role}" in texts(at)
    assert "Sign out" in [b.label for b in at.sidebar.button]


def test_without_auth_the_one_person_is_an_admin_and_the_sidebar_says_so():
    at = app_test().run()
    at.switch_page("pages/settings.py").run()
    assert at.title[0].value == "Settings"
    assert "Single-user mode" in texts(at)


def test_without_auth_a_bind_other_than_loopback_is_refused():
    from streamlit import config

    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        at = app_test().run()
    finally:
        config.set_option("server.address", before)
    assert [t.value for t in at.title] == ["SkinScope needs sign-in here"]
    assert "0.0.0.0" in texts(at)


def test_roles_come_from_the_configured_claim_and_the_highest_match_wins():
    access = {"claim": "groups", "admin": ["skin-admins"], "viewer": ["*"]}
    assert role_for({"groups": ["staff", "Skin-Admins"]}, access) == "admin"
    assert role_for({"groups": ["staff"]}, access) == "viewer"
    assert role_for({"email": "a@b.c"}, access) is None  # no such claim
    assert role_for({"email": "x@ops.example.com"}, ACCESS) == "operator"
    assert role_for({"email": "x@evilops.example.com"}, ACCESS) is None


def test_a_run_records_who_ran_it_and_history_finds_them_by_part_of_their_name():
    at = signed_in(PEOPLE["operator"]).run()
    at.radio(key="analyse_source").set_value("sample").run()
    at.button(key="do_run").click().run()
    assert not at.exception, at.exception
    at.switch_page("pages/history.py").run()
    assert list(at.dataframe[0].value["Person"]) == [PEOPLE["operator"]]
    at.text_input(key="history_person").set_value("OTTO@").run()
    assert len(at.dataframe[0].value) == 1
    at.text_input(key="history_person").set_value("ana").run()
    assert any("No stored run matches these filters" in i.value for i in at.info)


def test_without_auth_a_run_is_the_local_users():
    at = app_test().run()
    at.radio(key="analyse_source").set_value("sample").run()
    at.button(key="do_run").click().run()
    at.switch_page("pages/history.py").run()
    assert list(at.dataframe[0].value["Person"]) == ["local user"]
