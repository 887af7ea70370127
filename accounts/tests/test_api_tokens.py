"""POST /v1/token, GET /v1/tokens, DELETE /v1/token/{id}: named, scoped, expiring, revocable."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, hash_token
from audit.models import AuditRecord
from pinghome.testing import (
    MALFORMED_ID,
    UNKNOWN_ID,
    assert_invalid,
    assert_not_found,
    assert_unauthorized,
)

pytestmark = pytest.mark.django_db


def client_of(raw: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def create(persona, **body):
    return persona.api.post("/v1/token", {"name": "reporting", "scopes": ["read"], **body})


# --------------------------------------------------------------------------- create


@pytest.mark.parametrize("persona", ["owner", "manager", "teammate"])
def test_every_role_creates_a_token_of_its_own_and_sees_the_secret_once(persona, request):
    persona = request.getfixturevalue(persona)
    expires = timezone.now() + timedelta(days=30)

    response = create(persona, scopes=["read", "write"], expires_at=expires.isoformat())

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "token"}
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == persona.user
    assert (token.name, token.scopes) == ("reporting", ["read", "write"])
    assert abs(token.expires_at - expires) < timedelta(seconds=1)
    assert token.token_hash == hash_token(body["token"])
    listed = persona.api.get("/v1/tokens").json()
    assert body["token"] not in str(listed)
    assert client_of(body["token"]).get("/v1/teams").status_code == 200


@pytest.mark.parametrize("persona", ["manager", "teammate"])
def test_a_member_asking_for_the_admin_scope_is_422_naming_scopes(persona, request):
    persona = request.getfixturevalue(persona)

    errors = assert_invalid(create(persona, scopes=["read", "admin"]), "scopes")

    assert "admin" in errors["scopes"][0]
    assert not ApiToken.objects.filter(name="reporting").exists()


def test_an_admin_grants_the_admin_scope(owner):
    response = create(owner, scopes=["read", "write", "admin"])

    assert response.status_code == 201
    admin_api = client_of(response.json()["token"])
    assert admin_api.get("/v1/tokens").status_code == 200


def test_a_token_cannot_mint_a_token_with_more_scopes_than_itself(owner):
    writer = client_of(create(owner, scopes=["read", "write"]).json()["token"])

    response = writer.post("/v1/token", {"name": "escalate", "scopes": ["admin"]})

    assert_invalid(response, "scopes")
    assert writer.post("/v1/token", {"name": "same", "scopes": ["write"]}).status_code == 201


def test_a_read_token_cannot_create_tokens(owner):
    reader = client_of(create(owner).json()["token"])

    assert reader.post("/v1/token", {"name": "x", "scopes": ["read"]}).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": 5}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"scopes": []}, "scopes"),
        ({"scopes": ["root"]}, "scopes.0"),
        ({"scopes": "read"}, "scopes"),
        ({"expires_at": "tomorrow"}, "expires_at"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ],
)
def test_bad_bodies_are_422_naming_the_field(owner, body, field):
    assert_invalid(create(owner, **body), field)


def test_a_missing_name_and_scopes_are_both_named(owner):
    assert_invalid(owner.api.post("/v1/token", {}), "name", "scopes")


# --------------------------------------------------------------------------- list


def test_a_member_lists_their_own_tokens_only_without_secrets(owner, teammate):
    create(owner, name="owner's")
    create(teammate, name="mine")

    response = teammate.api.get("/v1/tokens")

    assert response.status_code == 200
    names = [token["name"] for token in response.json()]
    assert names == ["mine", "bootstrap"]
    listed = response.json()[0]
    assert set(listed) == {
        "id",
        "name",
        "scopes",
        "user_id",
        "user_email",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    }
    assert listed["user_email"] == teammate.user.email


def test_an_admin_lists_every_token_of_the_organization_and_no_other(owner, teammate, outsider):
    create(teammate, name="mate's")

    emails = {token["user_email"] for token in owner.api.get("/v1/tokens").json()}

    assert emails == {owner.user.email, teammate.user.email}


def test_an_admins_token_without_the_admin_scope_lists_only_their_own(owner, teammate):
    writer = client_of(create(owner, scopes=["read", "write"]).json()["token"])

    emails = {token["user_email"] for token in writer.get("/v1/tokens").json()}

    assert emails == {owner.user.email}


def test_the_list_pages_newest_first(owner, django_assert_max_num_queries):
    for number in range(5):
        create(owner, name=f"t{number}")

    with django_assert_max_num_queries(4):
        first = owner.api.get("/v1/tokens?limit=3").json()
    last = first[-1]
    rest = owner.api.get(
        f"/v1/tokens?limit=3&last_created_at={last['created_at']}&last_id={last['id']}"
    ).json()

    assert [t["name"] for t in first + rest] == ["t4", "t3", "t2", "t1", "t0", "bootstrap"]


def test_the_list_shows_when_a_token_was_last_used(owner):
    raw = create(owner, name="fresh").json()["token"]
    assert owner.api.get("/v1/tokens").json()[0]["last_used_at"] is None

    client_of(raw).get("/v1/teams")

    assert owner.api.get("/v1/tokens").json()[0]["last_used_at"] is not None


# --------------------------------------------------------------------------- revoke


def test_revoking_takes_effect_at_once(owner):
    created = create(owner).json()
    script = client_of(created["token"])
    assert script.get("/v1/teams").status_code == 200

    response = owner.api.delete(f"/v1/token/{created['id']}")

    assert response.status_code == 200
    assert response.json() == {"message": "Token revoked."}
    assert_unauthorized(script.get("/v1/teams"))
    listed = next(t for t in owner.api.get("/v1/tokens").json() if t["id"] == created["id"])
    assert listed["revoked_at"] is not None


def test_revoking_twice_is_harmless_and_recorded_once(owner):
    token_id = create(owner).json()["id"]

    assert owner.api.delete(f"/v1/token/{token_id}").status_code == 200
    assert owner.api.delete(f"/v1/token/{token_id}").status_code == 200

    assert AuditRecord.objects.filter(object_id=token_id, action="updated").count() == 1


def test_a_token_revokes_itself(owner):
    created = create(owner, scopes=["read", "write"]).json()
    script = client_of(created["token"])

    assert script.delete(f"/v1/token/{created['id']}").status_code == 200
    assert_unauthorized(script.get("/v1/teams"))


@pytest.mark.parametrize("persona", ["manager", "teammate"])
def test_a_member_revokes_only_their_own_tokens(owner, persona, request):
    persona = request.getfixturevalue(persona)
    others = create(owner).json()["id"]
    own = create(persona).json()["id"]

    assert_not_found(persona.api.delete(f"/v1/token/{others}"))
    assert persona.api.delete(f"/v1/token/{own}").status_code == 200
    assert ApiToken.objects.get(pk=others).revoked_at is None


def test_an_admin_revokes_a_members_token(owner, teammate):
    created = create(teammate).json()

    assert owner.api.delete(f"/v1/token/{created['id']}").status_code == 200

    assert_unauthorized(client_of(created["token"]).get("/v1/teams"))
    record = AuditRecord.objects.get(object_id=created["id"], action="updated")
    assert record.actor == owner.user.email
    assert record.organization_id == owner.organization.id


def test_another_organizations_token_is_404(owner, outsider):
    token_id = create(owner).json()["id"]

    assert_not_found(outsider.api.delete(f"/v1/token/{token_id}"))
    assert ApiToken.objects.get(pk=token_id).revoked_at is None


@pytest.mark.parametrize("token_id", [MALFORMED_ID, UNKNOWN_ID])
def test_an_unknown_or_malformed_id_is_404(owner, token_id):
    assert_not_found(owner.api.delete(f"/v1/token/{token_id}"))


def test_an_expired_token_is_refused(owner):
    created = create(owner).json()
    ApiToken.objects.filter(pk=created["id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert_unauthorized(client_of(created["token"]).get("/v1/teams"))


def test_every_route_needs_a_token(anonymous):
    assert_unauthorized(anonymous.get("/v1/tokens"))
    assert_unauthorized(anonymous.post("/v1/token", {"name": "x", "scopes": ["read"]}))
    assert_unauthorized(anonymous.delete(f"/v1/token/{UNKNOWN_ID}"))


# --------------------------------------------------------------------------- audit


def test_creating_and_revoking_tokens_are_audited_without_the_secret(owner):
    created = create(owner, name="ci").json()
    owner.api.delete(f"/v1/token/{created['id']}")

    creation = AuditRecord.objects.get(object_id=created["id"], action="created")
    assert creation.object_type == "apitoken"
    assert creation.after["name"] == "ci" and creation.after["scopes"] == ["read"]
    assert created["token"] not in str(creation.after)
    assert not any("hash" in key for key in creation.after)
    revocation = AuditRecord.objects.get(object_id=created["id"], action="updated")
    assert revocation.before == {"revoked_at": None}
    assert revocation.after["revoked_at"] is not None
