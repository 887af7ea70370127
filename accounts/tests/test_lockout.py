"""Failed password sign-ins lock the account, and the address, for a while (django-axes)."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client, override_settings

from accounts.tests.test_admin import superuser_client
from accounts.tests.test_pages_signin import sign_in, with_password
from pinghome.testing import make_persona

pytestmark = pytest.mark.django_db

HERE, ELSEWHERE = "198.51.100.7", "203.0.113.9"


def fail(client: Client, email: str, times: int, address: str = HERE):
    return [sign_in(client, email, "wrong", REMOTE_ADDR=address) for _ in range(times)]


def test_ten_failures_lock_the_account_for_fifteen_minutes_and_say_so(client, owner):
    with_password(owner.user)
    answers = fail(client, owner.user.email, 10)
    assert [a.status_code for a in answers] == [200] * 9 + [429]
    page = answers[-1].content.decode()
    assert "Too many failed sign-ins for this account: it is locked" in page
    assert re.search(r"for 15 minutes, until \d\d:\d\d UTC", page)
    assert 'href="/password-reset"' in page

    # The right password, from another address, is refused too until the time is up.
    refused = sign_in(Client(), owner.user.email, REMOTE_ADDR=ELSEWHERE)
    assert refused.status_code == 429 and "locked" in refused.content.decode()

    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=15, seconds=1)
    )
    assert sign_in(Client(), owner.user.email, REMOTE_ADDR=ELSEWHERE).status_code == 302


def test_addresses_differing_by_case_count_as_one_account(client, owner):
    with_password(owner.user)
    fail(client, "owner@acme.test", 5)
    fail(client, "OWNER@ACME.TEST", 4, address=ELSEWHERE)
    assert sign_in(client, "Owner@Acme.Test", "wrong").status_code == 429


def test_other_accounts_from_other_addresses_are_not_locked(client, owner, teammate):
    with_password(owner.user)
    with_password(teammate.user)
    fail(client, owner.user.email, 10)
    assert sign_in(Client(), teammate.user.email, REMOTE_ADDR=ELSEWHERE).status_code == 302


def test_ten_failures_from_one_address_lock_the_address(client, owner):
    with_password(owner.user)
    for number in range(10):
        sign_in(client, f"guess{number}@acme.test", "wrong", REMOTE_ADDR=HERE)
    refused = sign_in(Client(), owner.user.email, REMOTE_ADDR=HERE)
    assert refused.status_code == 429
    assert "from your network address" in refused.content.decode()
    assert sign_in(Client(), owner.user.email, REMOTE_ADDR=ELSEWHERE).status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3, AXES_COOLOFF_TIME=timedelta(minutes=2))
def test_the_limit_and_the_time_are_settings(client, owner):
    answers = fail(client, owner.user.email, 3)
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "for 2 minutes" in answers[-1].content.decode()


def test_an_admin_clears_a_lockout_with_the_command(client, owner):
    with_password(owner.user)
    fail(client, "Owner@acme.test", 10)
    call_command("axes_reset_username", "owner@acme.test", stdout=StringIO())
    assert sign_in(client, owner.user.email, REMOTE_ADDR=ELSEWHERE).status_code == 302


def test_an_admin_clears_a_lockout_in_the_admin(client, owner):
    with_password(owner.user)
    fail(client, owner.user.email, 10)
    admin = superuser_client()
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "owner@acme.test" in listing.content.decode()
    attempt = AccessAttempt.objects.get()
    response = admin.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert sign_in(client, owner.user.email, REMOTE_ADDR=ELSEWHERE).status_code == 302


def test_a_password_reset_lifts_the_lockout_of_the_account(client, mailoutbox, owner):
    from accounts.tests.test_pages_password_reset import reset_link, set_password

    with_password(owner.user)
    fail(client, owner.user.email, 10)
    set_password(client, reset_link(client, mailoutbox, owner.user.email))
    assert (
        sign_in(client, owner.user.email, "a brand new passphrase", REMOTE_ADDR=ELSEWHERE)[
            "Location"
        ]
        == "/"
    )


def test_api_tokens_work_for_a_locked_account_and_bad_tokens_lock_nothing(client, owner):
    with_password(owner.user)
    fail(client, owner.user.email, 10, address="127.0.0.1")
    assert owner.api.get("/v1/teams").status_code == 200
    AccessAttempt.objects.all().delete()
    for _ in range(12):
        assert client.get("/v1/teams", HTTP_AUTHORIZATION="Bearer ph_wrong").status_code == 401
    assert not AccessAttempt.objects.exists()
    assert sign_in(client, owner.user.email).status_code == 302


def test_many_successful_sign_ins_lock_nothing(client):
    persona = make_persona("Acme", "Ops", "busy@acme.test")
    with_password(persona.user)
    for _ in range(12):
        assert sign_in(client, persona.user.email).status_code == 302
        client.logout()


def test_an_organization_admin_clears_a_lockout_on_the_teams_page_audited(client, owner, manager):
    with_password(manager.user)
    fail(client, manager.user.email, 10)
    admin = Client()
    admin.force_login(owner.user)
    page = admin.get("/settings/teams").content.decode()
    assert "sign-in locked" in page and f"/settings/users/{manager.user.id}/lockout" in page

    response = admin.post(f"/settings/users/{manager.user.id}/lockout")

    assert response.status_code == 302
    assert "sign-in locked" not in admin.get("/settings/teams").content.decode()
    assert sign_in(Client(), manager.user.email, REMOTE_ADDR=ELSEWHERE).status_code == 302
    record = owner.api.get("/v1/audit-log", {"object_id": str(manager.user.id)}).json()[0]
    assert (record["actor"], record["action"]) == ("owner@acme.test", "updated")
    assert record["before"]["locked_until"] and record["after"] == {"locked_until": None}


def test_a_member_cannot_clear_a_lockout_nor_see_one(client, owner, manager):
    with_password(owner.user)
    fail(client, owner.user.email, 10)
    member = Client()
    member.force_login(manager.user)
    assert "sign-in locked" not in member.get("/settings/teams").content.decode()
    assert member.post(f"/settings/users/{owner.user.id}/lockout").status_code == 403
    assert manager.api.delete(f"/v1/user/{owner.user.id}/lockout").status_code == 403
    assert sign_in(Client(), owner.user.email, REMOTE_ADDR=ELSEWHERE).status_code == 429


def test_the_api_lists_a_lockout_and_an_admin_clears_it(client, owner, manager, outsider):
    with_password(manager.user)
    fail(client, manager.user.email, 10)
    users = {u["email"]: u for u in owner.api.get("/v1/users").json()}
    assert (
        users["lead@acme.test"]["locked_until"] and users["owner@acme.test"]["locked_until"] is None
    )

    assert outsider.api.delete(f"/v1/user/{manager.user.id}/lockout").status_code == 404
    cleared = owner.api.delete(f"/v1/user/{manager.user.id}/lockout")
    again = owner.api.delete(f"/v1/user/{manager.user.id}/lockout")

    assert (cleared.status_code, cleared.json()["message"]) == (200, "Lockout cleared.")
    assert (again.status_code, again.json()["message"]) == (200, "The account was not locked.")
    users = {u["email"]: u for u in owner.api.get("/v1/users").json()}
    assert users["lead@acme.test"]["locked_until"] is None
    assert sign_in(Client(), manager.user.email, REMOTE_ADDR=ELSEWHERE).status_code == 302
