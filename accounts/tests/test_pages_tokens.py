"""The API tokens page: yours (an admin sees everyone's), created with the secret shown once."""

import pytest

from accounts.models import ApiToken, hash_token
from audit.models import AuditRecord
from pinghome.testing import UNKNOWN_ID

pytestmark = pytest.mark.django_db


def test_the_page_needs_sign_in(client):
    response = client.get("/settings/tokens")

    assert response.status_code == 302
    assert response["Location"].startswith("/login")


def test_a_member_sees_their_own_tokens_only(client, owner, teammate):
    ApiToken.issue(owner.user, name="owner's script")
    ApiToken.issue(teammate.user, name="mate's script")
    client.force_login(teammate.user)

    html = client.get("/settings/tokens").content.decode()

    assert "mate&#x27;s script" in html
    assert "owner&#x27;s script" not in html
    assert 'value="admin"' not in html  # a member cannot grant what their role lacks


def test_an_admin_sees_everyones_tokens_of_the_organization(client, owner, teammate, outsider):
    ApiToken.issue(teammate.user, name="mate's script")
    ApiToken.issue(outsider.user, name="globex script")
    client.force_login(owner.user)

    html = client.get("/settings/tokens").content.decode()

    assert "mate&#x27;s script" in html and teammate.user.email in html
    assert "globex script" not in html
    assert 'value="admin"' in html


def test_creating_a_token_shows_its_secret_once(client, teammate):
    client.force_login(teammate.user)

    response = client.post(
        "/settings/tokens", {"name": "reporting", "scopes": ["read"], "expires_in_days": "30"}
    )

    assert response.status_code == 201
    token = ApiToken.objects.get(name="reporting")
    secret = response.context["secret"]
    assert token.token_hash == hash_token(secret)
    assert secret in response.content.decode()
    assert token.scopes == ["read"] and token.expires_at is not None
    assert secret not in client.get("/settings/tokens").content.decode()
    assert AuditRecord.objects.filter(object_id=str(token.pk), action="created").exists()


def test_a_member_cannot_grant_the_admin_scope_even_by_forging_the_form(client, teammate):
    client.force_login(teammate.user)

    response = client.post("/settings/tokens", {"name": "sneaky", "scopes": ["admin"]})

    assert response.status_code == 422
    assert "scopes" in response.context["form"].errors
    assert not ApiToken.objects.filter(name="sneaky").exists()


def test_revoking_from_the_page(client, teammate):
    token, _ = ApiToken.issue(teammate.user, name="old")
    client.force_login(teammate.user)

    response = client.post(f"/settings/tokens/{token.pk}/revoke")

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_member_cannot_revoke_anothers_token(client, owner, teammate):
    token, _ = ApiToken.issue(owner.user, name="owner's")
    client.force_login(teammate.user)

    assert client.post(f"/settings/tokens/{token.pk}/revoke").status_code == 404
    assert client.post(f"/settings/tokens/{UNKNOWN_ID}/revoke").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_admin_revokes_a_members_token_but_not_another_organizations(
    client, owner, teammate, outsider
):
    theirs, _ = ApiToken.issue(teammate.user, name="mate's")
    foreign, _ = ApiToken.issue(outsider.user, name="globex")
    client.force_login(owner.user)

    assert client.post(f"/settings/tokens/{theirs.pk}/revoke").status_code == 302
    assert client.post(f"/settings/tokens/{foreign.pk}/revoke").status_code == 404
    theirs.refresh_from_db(), foreign.refresh_from_db()
    assert theirs.revoked_at is not None and foreign.revoked_at is None
