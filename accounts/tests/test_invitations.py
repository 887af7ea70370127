"""The invitation link: set a name and password once, within 7 days; resend and withdraw."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import Invitation, TeamMember, User
from audit.models import AuditRecord

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase"


@pytest.fixture
def invited(owner, django_capture_on_commit_callbacks):
    """A new person invited to Ops: (their membership, the link's path)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.api.post(f"/v1/team/{owner.team.id}/member", {"email": "new@acme.test"})
    member = TeamMember.objects.get(pk=response.json()["id"])
    return member, link_of(mail.outbox[-1])


def link_of(message) -> str:
    return "/invitation/" + message.body.split("/invitation/")[1].split()[0]


def accept(client: Client, path: str, **overrides):
    body = {"name": "New Person", "password1": PASSWORD, "password2": PASSWORD, **overrides}
    return client.post(path, body)


def test_the_link_shows_the_team_and_the_address(invited, client):
    _, path = invited

    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Join Ops" in html and "new@acme.test" in html


def test_accepting_sets_name_and_password_activates_and_signs_in(invited, client):
    member, path = invited

    response = accept(client, path)

    assert response.status_code == 302
    user = User.objects.get(pk=member.user_id)
    assert user.is_active and user.name == "New Person" and user.check_password(PASSWORD)
    assert client.get("/").status_code == 200  # signed in
    assert Invitation.objects.get(team_member=member).accepted_at is not None
    record = AuditRecord.objects.get(object_type="invitation", action="updated")
    assert record.actor == "new@acme.test"
    assert record.before == {"accepted_at": None}


def test_a_used_link_cannot_be_used_again(invited, client):
    member, path = invited
    accept(client, path)

    response = accept(
        Client(), path, password1="another passphrase!", password2="another passphrase!"
    )

    assert response.status_code == 410
    assert "used already" in response.content.decode()
    assert User.objects.get(pk=member.user_id).check_password(PASSWORD)
    assert Client().get(path).status_code == 410


def test_an_expired_link_is_refused(invited, client):
    member, path = invited
    Invitation.objects.filter(team_member=member).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = accept(client, path)

    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not User.objects.get(pk=member.user_id).is_active


def test_an_unknown_link_is_refused(client, db):
    assert client.get("/invitation/not-a-real-link").status_code == 410


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"password2": "something else entirely"}, "password2"),
        ({"password1": "short", "password2": "short"}, "password1"),
        ({"password1": "password123", "password2": "password123"}, "password1"),
    ],
)
def test_a_bad_form_is_shown_again_and_the_link_stays_valid(invited, client, overrides, field):
    member, path = invited

    response = accept(client, path, **overrides)

    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not User.objects.get(pk=member.user_id).is_active
    assert accept(client, path).status_code == 302


def test_resending_replaces_the_link_and_restarts_the_seven_days(
    invited, owner, client, django_capture_on_commit_callbacks
):
    member, old_path = invited
    invitation = Invitation.objects.get(team_member=member)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    owner_client = Client()
    owner_client.force_login(owner.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            f"/settings/teams/{owner.team.id}/invitations/{invitation.pk}/resend"
        )

    assert response.status_code == 302
    new_path = link_of(mail.outbox[-1])
    assert new_path != old_path
    assert client.get(old_path).status_code == 410
    invitation.refresh_from_db()
    assert invitation.expires_at > timezone.now() + timedelta(days=6)
    assert accept(client, new_path).status_code == 302


def test_withdrawing_removes_the_pending_member_and_voids_the_link(invited, owner, client):
    member, path = invited
    invitation = Invitation.objects.get(team_member=member)
    owner_client = Client()
    owner_client.force_login(owner.user)

    owner_client.post(f"/settings/teams/{owner.team.id}/invitations/{invitation.pk}/revoke")

    assert not TeamMember.objects.filter(pk=member.pk).exists()
    assert client.get(path).status_code == 410


def test_a_responder_can_neither_resend_nor_withdraw(invited, teammate):
    member, _ = invited
    invitation = Invitation.objects.get(team_member=member)
    mate = Client()
    mate.force_login(teammate.user)

    for action in ("resend", "revoke"):
        response = mate.post(
            f"/settings/teams/{member.team_id}/invitations/{invitation.pk}/{action}"
        )
        assert response.status_code == 403
    assert TeamMember.objects.filter(pk=member.pk).exists()


def test_a_link_of_a_person_who_became_active_otherwise_is_void(invited, client):
    member, path = invited
    User.objects.filter(pk=member.user_id).update(is_active=True)

    assert accept(client, path).status_code == 410
