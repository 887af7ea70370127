"""The Django admin of tokens, roles and invitations goes through the services: checked, audited."""

import pytest
from django.urls import reverse

from accounts.models import ApiToken
from accounts.tests.test_admin import changelist_url, staff_client
from audit.models import AuditRecord

pytestmark = pytest.mark.django_db


def test_a_token_added_in_the_admin_gets_the_ticked_scopes_and_is_audited(owner):
    client = staff_client(owner.user)

    response = client.post(
        reverse("admin:accounts_apitoken_add"),
        {"user": owner.user.pk, "name": "ci", "scopes": ["read"]},
    )

    assert response.status_code == 302
    token = ApiToken.objects.get(name="ci")
    assert token.scopes == ["read"]
    record = AuditRecord.objects.get(object_id=str(token.pk), action="created")
    assert record.actor == owner.user.email


def test_the_admin_scope_is_refused_for_a_members_token(owner, teammate):
    client = staff_client(owner.user)

    response = client.post(
        reverse("admin:accounts_apitoken_add"),
        {"user": teammate.user.pk, "name": "ci", "scopes": ["read", "admin"]},
    )

    assert response.status_code == 200
    assert "scopes" in response.context["adminform"].form.errors
    assert not ApiToken.objects.filter(name="ci").exists()


def test_no_scope_ticked_gives_what_the_users_role_has(owner, teammate):
    client = staff_client(owner.user)

    client.post(reverse("admin:accounts_apitoken_add"), {"user": teammate.user.pk, "name": "ci"})

    assert ApiToken.objects.get(name="ci").scopes == ["read", "write"]


def test_revoking_in_the_admin_is_audited(owner):
    token = ApiToken.objects.get(user=owner.user)
    client = staff_client(owner.user)

    client.post(
        changelist_url(ApiToken), {"action": "revoke_selected", "_selected_action": [token.pk]}
    )

    record = AuditRecord.objects.get(object_id=str(token.pk), action="updated")
    assert record.before == {"revoked_at": None}
