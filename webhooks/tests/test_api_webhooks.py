"""GET /v1/webhooks and POST /v1/webhook."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from webhooks.models import Webhook
from webhooks.services import create_webhook

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- GET /v1/webhooks


def test_webhooks_of_the_organization_are_listed_with_their_ingest_url(owner, settings):
    settings.SITE_URL = "https://pinghome.example"
    webhook = create_webhook(owner.organization, name="Alarms", description="CloudWatch")

    response = owner.api.get("/v1/webhooks")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": str(webhook.id),
            "name": "Alarms",
            "description": "CloudWatch",
            "url": f"https://pinghome.example/v1/incident/webhook/{webhook.id}",
            "team_id": None,
            "created_at": webhook.created_at.isoformat().replace("+00:00", "Z"),
            "expect_every_seconds": None,
            "grace_seconds": 0,
            "heartbeat_paused": False,
            "heartbeat_state": "off",
            "heartbeat_ruleset_id": None,
            "max_events_per_minute": 6000,
            "rejected_events": 0,
        }
    ]


def test_webhooks_are_listed_newest_first(owner):
    base = datetime(2024, 1, 1, tzinfo=UTC)
    ids = []
    for i in range(3):
        webhook = create_webhook(owner.organization, name=f"w{i}")
        Webhook.objects.filter(pk=webhook.pk).update(created_at=base + timedelta(days=i))
        ids.append(str(webhook.id))

    response = owner.api.get("/v1/webhooks")

    assert [item["id"] for item in response.json()] == list(reversed(ids))


def test_a_teammate_sees_the_organizations_webhooks(owner, teammate):
    webhook = create_webhook(owner.organization, name="Alarms")

    response = teammate.api.get("/v1/webhooks")

    assert [item["id"] for item in response.json()] == [str(webhook.id)]


def test_another_organizations_webhooks_are_not_listed(owner, outsider):
    create_webhook(owner.organization, name="Acme's")
    theirs = create_webhook(outsider.organization, name="Globex's")

    assert [item["id"] for item in outsider.api.get("/v1/webhooks").json()] == [str(theirs.id)]
    assert [item["name"] for item in owner.api.get("/v1/webhooks").json()] == ["Acme's"]


def test_no_webhooks_is_an_empty_list(owner):
    response = owner.api.get("/v1/webhooks")

    assert response.status_code == 200
    assert response.json() == []


def test_listing_many_webhooks_costs_a_bounded_number_of_queries(
    owner, django_assert_max_num_queries
):
    Webhook.objects.bulk_create(
        Webhook(organization=owner.organization, team=owner.team, name=f"w{i}") for i in range(150)
    )

    # token, webhooks
    with django_assert_max_num_queries(2):
        response = owner.api.get("/v1/webhooks")

    assert len(response.json()) == 150
    assert {item["team_id"] for item in response.json()} == {str(owner.team.id)}


@pytest.mark.parametrize(("method", "path"), [("get", "/v1/webhooks"), ("post", "/v1/webhook")])
def test_without_a_token_is_401(anonymous, method, path):
    response = getattr(anonymous, method)(path, {"name": "x"} if method == "post" else None)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json()) == {"message"}


@pytest.mark.parametrize(("method", "path"), [("get", "/v1/webhooks"), ("post", "/v1/webhook")])
def test_with_a_bad_token_is_401(anonymous, owner, method, path):
    anonymous.credentials(HTTP_AUTHORIZATION="Bearer ph_forged")

    response = getattr(anonymous, method)(path, {"name": "x"} if method == "post" else None)

    assert response.status_code == 401
    assert Webhook.objects.count() == 0


# --------------------------------------------------------------------------- POST /v1/webhook


def test_creating_a_webhook_answers_201_with_its_id(owner):
    response = owner.api.post("/v1/webhook", {"name": "Alarms", "description": "From Grafana"})

    assert response.status_code == 201
    assert set(response.json()) == {"id"}
    webhook = Webhook.objects.get(pk=response.json()["id"])
    assert webhook.organization == owner.organization
    assert webhook.name == "Alarms"
    assert webhook.description == "From Grafana"
    assert webhook.team is None


def test_name_and_description_are_optional(owner):
    response = owner.api.post("/v1/webhook", {})

    assert response.status_code == 201
    webhook = Webhook.objects.get(pk=response.json()["id"])
    assert (webhook.name, webhook.description) == ("", "")


def test_an_empty_body_creates_a_nameless_webhook(owner):
    response = owner.api.generic("POST", "/v1/webhook", b"", content_type="application/json")

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("persona", "of_team", "status"),
    [
        ("teammate", False, 403),
        ("teammate", True, 403),
        ("manager", False, 403),  # a webhook of no team is the organization's: admins
        ("manager", True, 201),
        ("owner", False, 201),
        ("owner", True, 201),
    ],
)
def test_managers_create_their_teams_webhooks_and_admins_any(persona, of_team, status, request):
    actor = request.getfixturevalue(persona)
    body = {"name": "Mine", **({"team_id": str(actor.team.id)} if of_team else {})}

    response = actor.api.post("/v1/webhook", body)

    assert response.status_code == status
    assert Webhook.objects.filter(name="Mine").exists() == (status == 201)


def test_the_created_webhook_accepts_events_at_its_url(owner):
    webhook_id = owner.api.post("/v1/webhook", {"name": "Alarms"}).json()["id"]
    url = owner.api.get("/v1/webhooks").json()[0]["url"]

    response = Client().post(
        url.removeprefix("http://127.0.0.1:8000"), b"{}", content_type="application/json"
    )

    assert url.endswith(f"/v1/incident/webhook/{webhook_id}")
    assert response.status_code == 202


def test_team_id_extension_assigns_a_team_of_the_organization(owner):
    response = owner.api.post("/v1/webhook", {"name": "Ops", "team_id": str(owner.team.id)})

    assert response.status_code == 201
    assert Webhook.objects.get(pk=response.json()["id"]).team == owner.team
    assert owner.api.get("/v1/webhooks").json()[0]["team_id"] == str(owner.team.id)


def test_null_team_id_means_no_team(owner):
    response = owner.api.post("/v1/webhook", {"name": "x", "team_id": None})

    assert response.status_code == 201
    assert Webhook.objects.get(pk=response.json()["id"]).team is None


def test_another_organizations_team_is_422_naming_team_id(owner, outsider):
    response = outsider.api.post("/v1/webhook", {"name": "x", "team_id": str(owner.team.id)})

    assert response.status_code == 422
    assert response.json() == {
        "message": "Invalid request.",
        "errors": {"team_id": ["no such team in your organization"]},
    }
    assert Webhook.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"team_id": str(uuid.uuid4())}, "team_id"),
        ({"team_id": "not-a-uuid"}, "team_id"),
        ({"team_id": 12}, "team_id"),
        ({"name": "x" * 201}, "name"),
        ({"name": ["a"]}, "name"),
        ({"name": {"a": 1}}, "name"),
        ({"name": None}, "name"),
        ({"description": "x" * 5001}, "description"),
        ({"description": False}, "description"),
    ],
)
def test_invalid_field_is_422_naming_it(owner, body, field):
    response = owner.api.post("/v1/webhook", body)

    assert response.status_code == 422
    assert response.json()["message"]
    assert list(response.json()["errors"]) == [field]
    assert isinstance(response.json()["errors"][field][0], str)
    assert Webhook.objects.count() == 0


@pytest.mark.parametrize("raw", [b"[]", b'"a string"', b"3", b"null", b"true"])
def test_a_body_that_is_not_an_object_is_422(owner, raw):
    response = owner.api.generic("POST", "/v1/webhook", raw, content_type="application/json")

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]


@pytest.mark.parametrize(
    "raw", [b"{", b"{'name': 'x'}", b'{"name": NaN}', b"\xff\xfe", b'{"name": "a\\u0000"}']
)
def test_malformed_json_is_422_naming_the_body(owner, raw):
    response = owner.api.generic("POST", "/v1/webhook", raw, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["message"] == "Invalid request body."
    assert list(response.json()["errors"]) == ["body"]


def test_a_lone_surrogate_in_json_is_422_not_a_500(owner):
    response = owner.api.generic(
        "POST", "/v1/webhook", b'{"name": "\\ud800"}', content_type="application/json"
    )

    assert response.status_code == 422
    assert list(response.json()["errors"]) in (["body"], ["name"])
    assert Webhook.objects.count() == 0


def test_a_non_json_content_type_is_refused(owner):
    response = owner.api.post(
        "/v1/webhook", "name=x", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415
    assert Webhook.objects.count() == 0
