"""My profile: contact methods added and verified, rules per urgency, a test page, the time zone
and recent deliveries; a team's deliveries."""

import re

import pytest
from django.test import Client, TestCase

from notifications.models import ContactMethod, Delivery
from notifications.tests.test_routing import open_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(owner):
    client = Client()
    client.force_login(owner.user)
    return client


def post(client, path, data=None):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(path, data or {})


def test_my_profile_adds_and_verifies_a_contact_method(browser, owner, mailoutbox):
    page = browser.get("/profile")
    assert page.status_code == 200
    assert "you are paged by e-mail at owner@acme.test" in page.content.decode()

    response = post(
        browser,
        "/profile/contact-method",
        {"type": "email", "target": "pager@acme.test", "label": "Pager"},
    )
    assert response.status_code == 302
    method = ContactMethod.objects.get()
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    assert "not verified" in browser.get("/profile").content.decode()

    post(browser, f"/profile/contact-method/{method.pk}/verify", {"code": "12345x"})
    method.refresh_from_db()
    assert not method.is_verified
    post(browser, f"/profile/contact-method/{method.pk}/verify", {"code": code})
    method.refresh_from_db()
    assert method.is_verified


def test_a_bad_target_is_shown_by_its_field(browser):
    response = post(browser, "/profile/contact-method", {"type": "apprise", "target": "syslog://"})
    assert response.status_code == 422
    assert "acts on the server itself" in response.content.decode()


def test_rules_are_saved_per_urgency(browser, owner, mailoutbox):
    post(browser, "/profile/contact-method", {"type": "email", "target": "pager@acme.test"})
    method = ContactMethod.objects.get()
    post(
        browser,
        "/profile/rules/high",
        {"contact_method_id": [str(method.pk), ""], "delay_minutes": ["3", ""]},
    )
    post(
        browser,
        "/profile/rules/low",
        {"contact_method_id": [str(method.pk)], "delay_minutes": [""]},
    )
    rules = owner.api.get("/v1/user/notification-rules").json()["rules"]
    assert [(r["urgency"], r["delay_minutes"]) for r in rules] == [("high", 3), ("low", 0)]
    response = post(
        browser,
        "/profile/rules/high",
        {"contact_method_id": [str(method.pk)], "delay_minutes": ["x"]},
    )
    assert response.status_code == 302
    assert len(owner.api.get("/v1/user/notification-rules").json()["rules"]) == 2


def test_a_test_page_shows_in_recent_deliveries(browser, mailoutbox):
    post(browser, "/profile/test-page")
    assert [m.subject for m in mailoutbox] == ["pinghome test page"]
    page = browser.get("/profile").content.decode()
    assert "pinghome test page" in page and "delivery-sent" in page


def test_the_time_zone_is_saved(browser, owner):
    post(browser, "/profile/time-zone", {"time_zone": "Europe/Berlin"})
    owner.user.refresh_from_db()
    assert owner.user.time_zone == "Europe/Berlin"
    assert post(browser, "/profile/time-zone", {"time_zone": "Mars/Olympus"}).status_code == 422


def test_someone_elses_contact_method_is_not_found(browser, teammate):
    with TestCase.captureOnCommitCallbacks(execute=True):
        method_id = teammate.api.post(
            "/v1/user/contact-method", {"type": "email", "target": "m@acme.test"}
        ).json()["id"]
    assert post(browser, f"/profile/contact-method/{method_id}/delete").status_code == 404
    assert ContactMethod.objects.filter(pk=method_id).exists()


def test_a_teams_deliveries_list_failures_with_their_reason(browser, owner):
    open_incident(owner, assignees=[{"type": "team_member", "id": str(owner.member.id)}])
    Delivery.objects.update(state="failed", error="HTTP 503")
    page = browser.get(f"/deliveries?team={owner.team.id}")
    assert page.status_code == 200
    content = page.content.decode()
    assert "HTTP 503" in content and "owner@acme.test" in content


def test_a_manager_adds_and_removes_a_chat_channel_on_the_deliveries_page(browser, owner):
    path = f"/deliveries?team={owner.team.id}"
    response = post(browser, path, {"target": "syslog://", "label": "x"})
    assert response.status_code == 422
    response = post(browser, path, {"target": "slack://T1/B2/C3abcdef", "label": "#ops"})
    assert response.status_code == 302
    page = browser.get(path).content.decode()
    assert "#ops" in page and "C3abcdef" not in page
    [channel] = owner.team.chat_channels.all()
    assert post(browser, f"/chat-channels/{channel.pk}/delete").status_code == 302
    assert not owner.team.chat_channels.exists()


def test_a_responder_sees_chat_channels_but_may_not_change_them(owner, teammate):
    client = Client()
    client.force_login(teammate.user)
    path = f"/deliveries?team={owner.team.id}"
    assert "Add a chat channel" not in client.get(path).content.decode()
    assert post(client, path, {"target": "slack://T1/B2/C3abcdef"}).status_code == 403
