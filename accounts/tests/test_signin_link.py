"""One-time sign-in links (``manage.py signin_link``): the way into the dashboard that
``scripts/run`` prints."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

pytestmark = pytest.mark.django_db


def mint(email: str) -> str:
    out = StringIO()
    call_command("signin_link", email, stdout=out, stderr=StringIO())
    link = out.getvalue().strip()
    assert link.startswith("http://127.0.0.1:8000/login/link/")
    return link.removeprefix("http://127.0.0.1:8000")


def test_a_link_signs_in_once_with_a_button(client, owner):
    link = mint("Owner@Acme.test")
    page = client.get(link)
    assert "Sign in as owner@acme.test" in page.content.decode()
    assert client.get("/").status_code == 302  # opening it signed no one in

    response = client.post(link)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").context["user"] == owner.user

    client.logout()
    assert "no longer works" in client.get(link).content.decode()
    assert client.post(link).status_code == 400
    assert client.get("/").status_code == 302


def test_an_expired_link_signs_no_one_in(client, owner):
    link = mint(owner.user.email)
    with override_settings(SIGNIN_LINK_MAX_AGE=-1):
        assert client.post(link).status_code == 400


@override_settings(PASSWORD_SIGNIN="off", OIDC_ENABLED=True)
def test_a_link_works_even_with_password_sign_in_off(client, teammate):
    assert client.post(mint(teammate.user.email)).status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("link", ["/login/link/xx/yy", "/login/link/Zm9v/1-abc"])
def test_a_made_up_link_is_refused(client, owner, link):
    assert "no longer works" in client.get(link).content.decode()


def test_the_command_needs_an_active_user(owner):
    with pytest.raises(CommandError, match="No active user"):
        call_command("signin_link", "nobody@acme.test")
