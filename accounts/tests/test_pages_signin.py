"""The sign-in page: e-mail in any case, plain refusals, who may use a password, and the page a
signed-in user of no organization gets."""

import pytest
from django.test import Client, override_settings

from accounts.models import User
from pinghome.testing import PASSWORD

pytestmark = pytest.mark.django_db


def with_password(user: User) -> User:
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def sign_in(client: Client, email: str, password: str = PASSWORD, **extra):
    return client.post("/login", {"username": email, "password": password}, **extra)


def test_the_sign_in_page_offers_a_password_form_and_a_reset_link(client):
    page = client.get("/login").content.decode()
    assert 'name="username"' in page and 'name="password"' in page
    assert 'href="/password-reset"' in page
    assert "Sign in with" not in page


def test_an_email_address_signs_in_whatever_its_case(client, owner):
    with_password(owner.user)
    response = sign_in(client, "  OWNER@Acme.TEST ")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").context["user"] == owner.user


def test_a_wrong_password_is_refused_plainly(client, owner):
    with_password(owner.user)
    response = sign_in(client, owner.user.email, "not it")
    assert response.status_code == 200
    assert "Wrong e-mail address or password" in response.content.decode()
    assert "Only admins" not in response.content.decode()


def test_addresses_are_unique_whatever_their_case(owner):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="Owner@ACME.test")
    assert User.objects.with_email("OWNER@acme.TEST").get() == owner.user


def test_bootstrap_finds_a_user_whatever_the_case_of_the_address(owner):
    from accounts.services import bootstrap

    again = bootstrap(org_name="Acme", team_name="Ops", email="Owner@Acme.Test")
    assert again.user == owner.user


@override_settings(PASSWORD_SIGNIN="admins", OIDC_ENABLED=True)
def test_only_admins_sign_in_with_a_password_when_it_is_the_fallback(client, owner, teammate):
    with_password(owner.user)
    with_password(teammate.user)
    refused = sign_in(client, teammate.user.email)
    assert refused.status_code == 200
    assert "Only admins sign in with a password" in refused.content.decode()
    assert sign_in(client, owner.user.email).status_code == 302


@override_settings(PASSWORD_SIGNIN="off", OIDC_ENABLED=True)
def test_password_sign_in_switched_off_offers_no_form_and_refuses_one(client, owner):
    with_password(owner.user)
    page = client.get("/login").content.decode()
    assert 'name="password"' not in page and "Forgot your password" not in page
    assert "Sign in with" in page
    assert sign_in(client, owner.user.email).status_code == 405
    assert client.get("/").status_code == 302  # still signed out
    assert client.get("/password-reset").status_code == 404


def test_a_signed_in_user_of_no_organization_is_told_what_to_do(client):
    root = User.objects.create_superuser("root@pinghome.test", PASSWORD)
    client.force_login(root)
    for path in ("/", "/webhooks", "/rulesets", "/oncall", "/status-pages", "/reports"):
        response = client.get(path)
        assert response.status_code == 403, path
        page = response.content.decode()
        assert "in no organization yet" in page
        assert "manage.py bootstrap" in page and "/admin/accounts/user/" in page
