"""Password reset by an e-mailed link: sent whatever the case of the address, used once, for
an hour."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.test import override_settings

from pinghome.testing import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase"


def with_password(persona):
    """Only a user who has a password gets a link to reset it."""
    persona.user.set_password(PASSWORD)
    persona.user.save(update_fields=["password"])
    return persona


def reset_link(client, mailoutbox, email: str) -> str:
    response = client.post("/password-reset", {"email": email})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent"
    assert len(mailoutbox) == 1
    link = re.search(r"http://\S+", mailoutbox[0].body).group(0)
    assert link.startswith("http://127.0.0.1:8000/password-reset/")  # SITE_URL
    return link.removeprefix("http://127.0.0.1:8000")


def set_password(client, link: str):
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    return client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )


def test_the_sign_in_page_links_to_the_reset_page(client):
    assert "Reset your password" in client.get("/password-reset").content.decode()


def test_a_reset_link_sets_a_new_password_once(client, mailoutbox, owner):
    with_password(owner)
    link = reset_link(client, mailoutbox, "OWNER@acme.test")
    assert mailoutbox[0].to == ["owner@acme.test"]
    assert mailoutbox[0].subject == "Reset your pinghome password"

    done = set_password(client, link)
    assert done.status_code == 302 and done["Location"] == "/password-reset/complete"
    owner.user.refresh_from_db()
    assert owner.user.check_password(NEW_PASSWORD)
    assert (
        client.post("/login", {"username": "owner@acme.test", "password": NEW_PASSWORD})["Location"]
        == "/"
    )

    client.logout()
    reused = client.get(link, follow=True).content.decode()
    assert "This link no longer works" in reused


def test_an_expired_reset_link_is_refused(client, mailoutbox, owner):
    with_password(owner)
    link = reset_link(client, mailoutbox, owner.user.email)
    later = PasswordResetTokenGenerator()._now() + timedelta(hours=1, seconds=5)
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=later):
        page = client.get(link, follow=True).content.decode()
    assert "This link no longer works" in page


def test_an_unknown_address_or_one_without_password_gets_the_same_answer_and_no_mail(
    client, mailoutbox, owner
):
    client.post("/password-reset", {"email": owner.user.email})  # signs in by other means
    assert mailoutbox == []
    response = client.post("/password-reset", {"email": "nobody@acme.test"})
    assert response["Location"] == "/password-reset/sent"
    assert mailoutbox == []


@override_settings(PASSWORD_SIGNIN="admins", OIDC_ENABLED=True)
def test_no_link_goes_to_someone_who_may_not_sign_in_with_a_password(
    client, mailoutbox, owner, teammate
):
    with_password(owner)
    with_password(teammate)
    client.post("/password-reset", {"email": teammate.user.email})
    assert mailoutbox == []
    client.post("/password-reset", {"email": owner.user.email})
    assert [mail.to for mail in mailoutbox] == [[owner.user.email]]
