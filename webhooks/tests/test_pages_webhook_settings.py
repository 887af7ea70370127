"""A webhook's settings on its page: edit, a new ingest URL, delete."""

import pytest
from django.test import Client

from rulesets.tests.builders import make_ruleset
from webhooks.models import Webhook, WebhookIngestKey
from webhooks.services import create_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook(owner):
    return create_webhook(owner.organization, name="Alarms", team=owner.team)


def signed_in(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def test_a_manager_edits_the_webhook_from_its_page(manager, webhook):
    response = signed_in(manager).post(
        f"/webhooks/{webhook.pk}/edit",
        {"name": "Grafana", "description": "prod", "team": str(manager.team.pk)},
    )

    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.name, webhook.description) == ("Grafana", "prod")


def test_a_responder_gets_403_on_every_settings_form(teammate, webhook):
    client = signed_in(teammate)

    assert client.post(f"/webhooks/{webhook.pk}/edit", {"name": "x"}).status_code == 403
    assert client.post(f"/webhooks/{webhook.pk}/rotate", {"grace_seconds": "0"}).status_code == 403
    assert client.post(f"/webhooks/{webhook.pk}/delete").status_code == 403
    assert Webhook.objects.live().get(pk=webhook.pk).name == "Alarms"


def test_a_bad_edit_is_shown_with_its_errors(owner, webhook):
    response = signed_in(owner).post(f"/webhooks/{webhook.pk}/edit", {"name": ""})

    assert response.status_code == 422
    assert "name" in response.context["edit_form"].errors


def test_a_new_ingest_url_from_the_page_lists_the_previous_one(owner, webhook):
    client = signed_in(owner)

    response = client.post(f"/webhooks/{webhook.pk}/rotate", {"grace_seconds": "3600"})

    assert response.status_code == 302
    webhook.refresh_from_db()
    assert webhook.ingest_key != webhook.pk
    html = client.get(f"/webhooks/{webhook.pk}").content.decode()
    assert str(webhook.ingest_key) in html and 'id="previous-urls"' in html
    assert WebhookIngestKey.objects.get(key=webhook.pk).expires_at is not None


def test_deleting_from_the_page(owner, webhook):
    client = signed_in(owner)

    assert "Delete webhook" in client.get(f"/webhooks/{webhook.pk}/delete").content.decode()
    response = client.post(f"/webhooks/{webhook.pk}/delete")

    assert response.status_code == 302
    assert client.get("/webhooks").content.decode().count("data-webhook=") == 0
    assert client.get(f"/webhooks/{webhook.pk}").status_code == 404


def test_deleting_a_webhook_in_use_says_which_rulesets_use_it(owner, webhook):
    make_ruleset(owner.team, name="Alertmanager", webhooks=[webhook])

    response = signed_in(owner).post(f"/webhooks/{webhook.pk}/delete")

    assert response.status_code == 409
    assert "Alertmanager" in response.content.decode()


def test_another_organizations_webhook_settings_are_404(outsider, webhook):
    client = signed_in(outsider)

    for action in ("edit", "rotate", "delete"):
        assert client.post(f"/webhooks/{webhook.pk}/{action}").status_code == 404


def test_creating_from_the_list_page_needs_the_role_too(manager, teammate):
    assert signed_in(teammate).post("/webhooks", {"name": "Mine"}).status_code == 403
    response = signed_in(manager).post("/webhooks", {"name": "Mine", "team": str(manager.team.pk)})
    assert response.status_code == 302
    assert Webhook.objects.get(name="Mine").team_id == manager.team.pk
