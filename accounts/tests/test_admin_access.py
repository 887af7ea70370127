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


def test_invitations_are_followed_and_resent_in_the_admin(
    owner, django_capture_on_commit_callbacks
):
    from django.core import mail

    from accounts.models import Invitation

    owner.api.post(f"/v1/team/{owner.team.id}/member", {"email": "new@acme.test"})
    invitation = Invitation.objects.get()
    client = staff_client(owner.user)

    listing = client.get(changelist_url(Invitation)).content.decode()
    assert "new@acme.test" in listing
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            changelist_url(Invitation),
            {"action": "resend_selected", "_selected_action": [invitation.pk]},
        )

    assert len(mail.outbox) == 1
    assert AuditRecord.objects.filter(object_type="invitation", action="updated").exists()
    assert client.get(reverse("admin:accounts_invitation_add")).status_code == 403


def test_a_members_team_role_is_shown_and_set_in_the_admin(owner, teammate):
    from accounts.models import TeamMember

    client = staff_client(owner.user)
    url = reverse("admin:accounts_teammember_change", args=[teammate.member.pk])

    assert "responder" in client.get(changelist_url(TeamMember)).content.decode()
    response = client.post(
        url, {"team": owner.team.pk, "user": teammate.user.pk, "role": "manager"}
    )

    assert response.status_code == 302
    assert TeamMember.objects.get(pk=teammate.member.pk).role == "manager"
