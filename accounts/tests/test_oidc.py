"""Single sign-on by OpenID Connect, end to end against a local provider (oidc_provider.py):
the Django test client follows the redirects, the backend calls the provider over HTTP."""

import socket
from urllib.parse import urlsplit

import pytest
import requests

from accounts.models import Organization, User
from accounts.tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, LocalProvider
from accounts.tests.test_pages_signin import sign_in, with_password
from audit.models import AuditRecord

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def provider():
    with LocalProvider() as local:
        yield local


@pytest.fixture
def sso(provider, settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_ALLOWED_DOMAINS = ["acme.test"]
    settings.OIDC_DEFAULT_ROLE = "member"
    settings.OIDC_ORGANIZATION = ""
    settings.OIDC_PROVIDER_NAME = "Acme SSO"
    settings.PASSWORD_SIGNIN = "admins"
    provider.audience = CLIENT_ID
    provider.claims = {
        "sub": "ann",
        "email": "ann@acme.test",
        "email_verified": True,
        "name": "Ann Example",
    }
    return provider


def sign_in_by_sso(client, provider, query: str = ""):
    start = client.get("/login/sso" + query)
    assert start.status_code == 302, start.content
    assert start["Location"].startswith(provider.issuer + "/authorize?")
    consent = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert consent.status_code == 302
    back = urlsplit(consent.headers["Location"])
    assert (back.netloc, back.path) == ("testserver", "/login/sso/callback")
    return client.get(f"{back.path}?{back.query}")


def refusal(client, response) -> str:
    assert response.status_code == 302 and response["Location"] == "/login"
    assert client.get("/").status_code == 302  # signed out
    return client.get("/login").content.decode()


def test_the_sign_in_page_offers_single_sign_on(client, sso):
    page = client.get("/login?next=/oncall").content.decode()
    assert 'href="/login/sso?next=/oncall"' in page
    assert "Sign in with Acme SSO" in page
    assert "Admins may also sign in with a password" in page


def test_a_first_sign_in_of_an_allowed_address_joins_the_organization(client, sso, owner):
    response = sign_in_by_sso(client, sso)
    assert response.status_code == 302 and response["Location"] == "/"

    ann = User.objects.get(email="ann@acme.test")
    assert (ann.organization, ann.role, ann.name) == (owner.organization, "member", "Ann Example")
    assert not ann.has_usable_password()
    assert client.get("/").context["user"] == ann
    record = AuditRecord.objects.get(object_id=str(ann.pk))
    assert (record.action, record.actor, record.after["role"]) == ("created", ann.email, "member")

    # Later sign-ins find the same account.
    client.logout()
    assert sign_in_by_sso(client, sso)["Location"] == "/"
    assert User.objects.filter(email="ann@acme.test").count() == 1


def test_single_sign_on_finds_an_existing_user_whatever_the_case(client, sso, owner):
    sso.claims["email"] = "Owner@ACME.test"
    sign_in_by_sso(client, sso, "?next=/oncall")
    assert client.get("/oncall").context["user"] == owner.user


def test_a_disallowed_domain_is_refused_with_a_clear_message(client, sso, owner):
    sso.claims["email"] = "mallory@elsewhere.test"
    page = refusal(client, sign_in_by_sso(client, sso))
    assert (
        "mallory@elsewhere.test has no account here, and single sign-on adds only addresses at "
        "acme.test. Ask an admin of pinghome to invite you."
    ) in page
    assert not User.objects.filter(email="mallory@elsewhere.test").exists()


def test_an_unverified_address_is_refused(client, sso, owner):
    sso.claims["email_verified"] = False
    page = refusal(client, sign_in_by_sso(client, sso))
    assert "The identity provider has not verified ann@acme.test." in page


def test_with_several_organizations_the_one_to_join_is_a_setting(client, sso, settings, owner):
    Organization.objects.create(name="Globex")
    page = refusal(client, sign_in_by_sso(client, sso))
    assert "set OIDC_ORGANIZATION" in page

    settings.OIDC_ORGANIZATION = "Globex"
    settings.OIDC_DEFAULT_ROLE = "admin"
    sign_in_by_sso(client, sso)
    ann = User.objects.get(email="ann@acme.test")
    assert (ann.organization.name, ann.role) == ("Globex", "admin")


def test_an_id_token_for_another_client_is_refused(client, sso, owner):
    sso.audience = "someone-else"
    page = refusal(client, sign_in_by_sso(client, sso))
    assert "Single sign-on did not sign you in" in page
    assert not User.objects.filter(email="ann@acme.test").exists()


def test_a_deactivated_account_is_refused(client, sso, owner):
    User.objects.filter(pk=owner.user.pk).update(is_active=False)
    sso.claims["email"] = owner.user.email
    assert "is deactivated" in refusal(client, sign_in_by_sso(client, sso))


def test_an_unreachable_provider_is_said_on_the_sign_in_page(client, sso, settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        settings.OIDC_ISSUER = f"http://127.0.0.1:{closed.getsockname()[1]}"
    page = refusal(client, client.get("/login/sso"))
    assert "the identity provider did not answer" in page


def test_password_sign_in_is_the_admins_fallback_and_can_be_switched_off(
    client, sso, settings, owner, teammate
):
    with_password(owner.user)
    with_password(teammate.user)
    assert (
        "Only admins sign in with a password"
        in sign_in(client, teammate.user.email).content.decode()
    )
    assert sign_in(client, owner.user.email).status_code == 302
    client.logout()

    settings.PASSWORD_SIGNIN = "off"
    assert 'name="password"' not in client.get("/login").content.decode()
    assert sign_in(client, owner.user.email).status_code == 405
    assert sign_in_by_sso(client, sso)["Location"] == "/"  # single sign-on still works

    settings.PASSWORD_SIGNIN = "all"
    client.logout()
    assert sign_in(client, teammate.user.email).status_code == 302


def test_without_single_sign_on_its_routes_do_not_exist(client, owner):
    assert client.get("/login/sso").status_code == 404
    assert client.get("/login/sso/callback?code=x&state=y").status_code == 404
