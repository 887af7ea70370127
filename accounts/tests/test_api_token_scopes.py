"""Token scopes: a read token only reads; without the admin scope an admin acts as a member."""

from rest_framework.test import APIClient

from accounts.models import ApiToken
from pinghome.testing import make_persona
from rulesets.models import Ruleset
from rulesets.tests.builders import ruleset_body


def client_with(user, scopes) -> APIClient:
    _, raw = ApiToken.issue(user, name="script", scopes=scopes)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def test_a_read_token_reads_but_gets_403_on_every_write(owner):
    api = client_with(owner.user, ["read"])

    assert api.get("/v1/rulesets").status_code == 200
    response = api.post("/v1/ruleset", ruleset_body(owner.team))
    assert response.status_code == 403
    assert "scope" in response.json()["message"]
    assert api.put(f"/v1/team/{owner.team.id}", {"time_zone": "UTC"}).status_code == 403
    assert not Ruleset.objects.exists()


def test_a_write_token_writes(owner):
    api = client_with(owner.user, ["write"])

    assert api.post("/v1/ruleset", ruleset_body(owner.team)).status_code == 201


def test_an_admins_token_without_the_admin_scope_cannot_do_what_only_admins_do(owner):
    api = client_with(owner.user, ["read", "write"])

    response = api.post("/v1/ruleset", ruleset_body(owner.team, level="organization"))

    assert response.status_code == 403
    assert (
        client_with(owner.user, ["write", "admin"])
        .post("/v1/ruleset", ruleset_body(owner.team, level="organization"))
        .status_code
        == 201
    )


def test_the_admin_scope_gives_a_member_no_admin_powers(owner):
    member = make_persona("Acme", "Payments", "member@acme.test")
    api = client_with(member.user, ["read", "write", "admin"])

    response = api.post("/v1/ruleset", ruleset_body(member.team, level="organization"))

    assert response.status_code == 403


def test_a_token_records_when_it_was_last_used(owner):
    token, raw = ApiToken.issue(owner.user, name="fresh")
    assert token.last_used_at is None
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert api.get("/v1/teams").status_code == 200

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_bootstrap_tokens_have_every_scope_and_members_it_adds_manage_the_team(owner):
    token = ApiToken.objects.get(user=owner.user)
    assert sorted(token.scopes) == ["admin", "read", "write"]
    assert owner.member.role == "manager"
