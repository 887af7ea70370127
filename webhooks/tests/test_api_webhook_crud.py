"""GET, PUT and DELETE /v1/webhook/{id} and POST /v1/webhook/{id}/rotate (extensions)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditRecord
from pinghome.testing import MALFORMED_ID, UNKNOWN_ID, assert_invalid, assert_not_found
from rulesets.models import Ruleset
from rulesets.tests.builders import make_ruleset
from webhooks.models import Webhook, WebhookEvent, WebhookIngestKey
from webhooks.services import create_webhook

pytestmark = pytest.mark.django_db


def ingest(url: str):
    path = url.removeprefix("http://127.0.0.1:8000")
    return Client().post(path, b'{"status": "firing"}', content_type="application/json")


def path(webhook, suffix: str = "") -> str:
    return f"/v1/webhook/{webhook.pk}{suffix}"


@pytest.fixture
def webhook(owner):
    return create_webhook(owner.organization, name="Alarms", team=owner.team)


# --------------------------------------------------------------------------- GET, PUT


def test_one_webhook_is_read_with_its_url(owner, webhook):
    response = owner.api.get(path(webhook))

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["team_id"]) == (
        str(webhook.pk),
        "Alarms",
        str(owner.team.pk),
    )
    assert body["url"].endswith(f"/v1/incident/webhook/{webhook.pk}")


def test_put_renames_describes_and_moves_a_webhook_audited(owner, webhook):
    other = owner.api.post("/v1/team", {"name": "Payments"}).json()["id"]

    response = owner.api.put(
        path(webhook), {"name": "Grafana", "description": "prod", "team_id": other}
    )

    assert response.status_code == 200
    webhook.refresh_from_db()
    assert (webhook.name, webhook.description, str(webhook.team_id)) == ("Grafana", "prod", other)
    record = AuditRecord.objects.get(object_type="webhook", action="updated")
    assert record.before == {"name": "Alarms", "description": "", "team_id": str(owner.team.pk)}


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": 5}, "name"), ({"name": "x" * 201}, "name"), ({"team_id": "nope"}, "team_id")],
)
def test_bad_updates_are_422_naming_the_field(owner, webhook, body, field):
    assert_invalid(owner.api.put(path(webhook), body), field)


# --------------------------------------------------------------------------- role matrix

WRITES = [
    ("put", "", {"name": "Renamed"}, 200),
    ("post", "/rotate", {}, 200),
    ("delete", "", None, 200),
]


@pytest.mark.parametrize(("method", "suffix", "body", "success"), WRITES)
@pytest.mark.parametrize(
    ("persona", "team_webhook", "allowed"),
    [
        ("teammate", True, False),
        ("manager", True, True),
        ("owner", True, True),
        ("teammate", False, False),
        ("manager", False, False),
        ("owner", False, True),
    ],
)
def test_managers_change_their_teams_webhooks_and_admins_any(
    owner, teammate, manager, persona, team_webhook, allowed, method, suffix, body, success, request
):
    webhook = create_webhook(
        owner.organization, name="Alarms", team=owner.team if team_webhook else None
    )
    actor = request.getfixturevalue(persona)

    response = getattr(actor.api, method)(path(webhook, suffix), body)

    assert response.status_code == (success if allowed else 403), response.content


def test_a_manager_cannot_move_their_webhook_to_a_team_they_do_not_manage(owner, manager, webhook):
    other = owner.api.post("/v1/team", {"name": "Payments"}).json()["id"]

    assert manager.api.put(path(webhook), {"team_id": other}).status_code == 403
    assert manager.api.put(path(webhook), {"team_id": None}).status_code == 403
    webhook.refresh_from_db()
    assert webhook.team_id == owner.team.pk


def test_another_organizations_webhook_is_404(outsider, webhook):
    for method, suffix in (("get", ""), ("put", ""), ("delete", ""), ("post", "/rotate")):
        assert_not_found(getattr(outsider.api, method)(path(webhook, suffix), {}))
    assert Webhook.objects.live().filter(pk=webhook.pk).exists()


@pytest.mark.parametrize("webhook_id", [MALFORMED_ID, UNKNOWN_ID])
def test_an_unknown_webhook_is_404(owner, webhook_id):
    assert_not_found(owner.api.delete(f"/v1/webhook/{webhook_id}"))
    assert_not_found(owner.api.post(f"/v1/webhook/{webhook_id}/rotate", {}))


# --------------------------------------------------------------------------- delete


def test_deleting_stops_ingest_at_once_and_keeps_the_events(owner, webhook):
    assert ingest(webhook.ingest_url).status_code == 202

    response = owner.api.delete(path(webhook))

    assert response.status_code == 200
    assert response.json() == {"message": "Webhook deleted."}
    answer = ingest(webhook.ingest_url)
    assert answer.status_code == 404
    assert WebhookEvent.objects.filter(webhook=webhook).count() == 1
    assert [w["id"] for w in owner.api.get("/v1/webhooks").json()] == []
    assert_not_found(owner.api.get(path(webhook)))
    assert_not_found(owner.api.get(path(webhook, "/events")))
    assert_not_found(owner.api.delete(path(webhook)))
    record = AuditRecord.objects.get(object_type="webhook", action="deleted")
    assert record.before["name"] == "Alarms"


def test_a_deleted_webhook_is_no_choice_for_a_ruleset(owner, webhook):
    owner.api.delete(path(webhook))
    from rulesets.tests.builders import ruleset_body

    response = owner.api.post(
        "/v1/ruleset", ruleset_body(owner.team, webhook_ids=[str(webhook.pk)])
    )

    assert_invalid(response, "webhook_ids.0")


def test_deleting_a_webhook_rulesets_listen_to_is_409_naming_them(owner, webhook):
    ruleset = make_ruleset(owner.team, name="Alertmanager", webhooks=[webhook])

    response = owner.api.delete(path(webhook))

    assert response.status_code == 409
    assert response.json()["errors"] == {"rulesets": [f"Alertmanager ({ruleset.pk})"]}
    assert ingest(webhook.ingest_url).status_code == 202


def test_deleting_switches_its_heartbeat_off(owner, webhook):
    owner.api.put(path(webhook), {"expect_every_seconds": 60}, format="json")
    assert Ruleset.objects.filter(heartbeat_of=webhook).exists()

    assert owner.api.delete(path(webhook)).status_code == 200

    webhook.refresh_from_db()
    assert webhook.expect_every_seconds is None
    assert not Ruleset.objects.filter(heartbeat_of=webhook).exists()


# --------------------------------------------------------------------------- rotate


def test_rotating_gives_a_new_url_and_the_old_one_works_for_24_hours(owner, webhook):
    old_url = webhook.ingest_url
    before = timezone.now()

    response = owner.api.post(path(webhook, "/rotate"))

    assert response.status_code == 200
    body = response.json()
    assert body["url"] != old_url
    assert body["url"] == owner.api.get(path(webhook)).json()["url"]
    old_key = WebhookIngestKey.objects.get(key=webhook.pk)
    assert (
        timedelta(hours=23, minutes=59)
        < old_key.expires_at - before
        <= timedelta(hours=24, seconds=5)
    )
    assert ingest(body["url"]).status_code == 202
    assert ingest(old_url).status_code == 202
    # Both events are the webhook's.
    assert WebhookEvent.objects.filter(webhook=webhook).count() == 2
    WebhookIngestKey.objects.filter(key=webhook.pk).update(expires_at=timezone.now())
    assert ingest(old_url).status_code == 404
    assert ingest(body["url"]).status_code == 202


def test_a_grace_of_zero_stops_the_old_url_at_once(owner, webhook):
    old_url = webhook.ingest_url

    new_url = owner.api.post(path(webhook, "/rotate"), {"grace_seconds": 0}).json()["url"]

    assert ingest(old_url).status_code == 404
    assert ingest(new_url).status_code == 202


def test_rotating_twice_keeps_each_previous_url_no_longer_than_its_grace(owner, webhook):
    first = webhook.ingest_url
    second = owner.api.post(path(webhook, "/rotate"), {"grace_seconds": 60}).json()["url"]

    third = owner.api.post(path(webhook, "/rotate"), {"grace_seconds": 3600}).json()["url"]

    keys = dict(WebhookIngestKey.objects.filter(webhook=webhook).values_list("key", "expires_at"))
    first_until, second_until = keys[webhook.pk], keys[Webhook.objects.get().ingest_key]
    assert second_until is None  # the current one
    assert first_until < timezone.now() + timedelta(seconds=61)
    assert all(ingest(url).status_code == 202 for url in (first, second, third))


def test_deleting_a_rotated_webhook_stops_every_url(owner, webhook):
    old_url = webhook.ingest_url
    new_url = owner.api.post(path(webhook, "/rotate")).json()["url"]

    owner.api.delete(path(webhook))

    assert ingest(old_url).status_code == 404
    assert ingest(new_url).status_code == 404


def test_rotations_are_audited_without_the_keys(owner, webhook):
    new_url = owner.api.post(path(webhook, "/rotate")).json()["url"]

    record = AuditRecord.objects.get(object_type="webhook", action="updated")
    assert set(record.after) == {"ingest_url_rotated_at", "previous_url_valid_until"}
    assert new_url.rsplit("/", 1)[1] not in str(record.after)


@pytest.mark.parametrize("grace", [-1, 604801, "soon", None])
def test_a_bad_grace_is_422(owner, webhook, grace):
    response = owner.api.post(path(webhook, "/rotate"), {"grace_seconds": grace}, format="json")

    assert_invalid(response, "grace_seconds")


def test_creating_is_audited(owner):
    webhook_id = owner.api.post("/v1/webhook", {"name": "Grafana"}).json()["id"]

    record = AuditRecord.objects.get(object_type="webhook", action="created")
    assert record.object_id == webhook_id and record.after["name"] == "Grafana"


def test_a_rotation_without_grace_stops_every_previous_url(owner, webhook):
    first = webhook.ingest_url
    second = owner.api.post(path(webhook, "/rotate"), {"grace_seconds": 3600}).json()["url"]

    third = owner.api.post(path(webhook, "/rotate"), {"grace_seconds": 0}).json()["url"]

    assert ingest(first).status_code == 404
    assert ingest(second).status_code == 404
    assert ingest(third).status_code == 202
