"""Team settings pages: teams, members and roles, invitations, people of the organization."""

import pytest
from django.core import mail

from accounts.models import Invitation, Team, TeamMember, User
from escalation.models import EscalationPolicy
from incidents.tests.builders import make_incident
from pinghome.testing import UNKNOWN_ID, make_persona

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    def sign_in(persona):
        client.force_login(persona.user)
        return client

    return sign_in


@pytest.mark.parametrize(
    "path", ["/settings/teams", f"/settings/teams/{UNKNOWN_ID}", f"/invitation/{UNKNOWN_ID}x"]
)
def test_team_pages_need_sign_in_but_the_invitation_link_does_not(client, path, db):
    response = client.get(path)

    if path.startswith("/invitation/"):
        assert response.status_code == 410
    else:
        assert response.status_code == 302 and response["Location"].startswith("/login")


def test_the_list_shows_the_organizations_teams_with_their_size(
    signed_in, owner, teammate, outsider
):
    make_persona("Globex", "Secret", "spy@globex.test")

    html = signed_in(owner).get("/settings/teams").content.decode()

    assert f'href="/settings/teams/{owner.team.id}"' in html
    assert "Secret" not in html
    assert 'id="people"' in html and "mate@acme.test" in html


def test_members_see_teams_but_neither_the_create_form_nor_people(signed_in, owner, teammate):
    html = signed_in(teammate).get("/settings/teams").content.decode()

    assert "Ops" in html
    assert "Create team" not in html and 'id="people"' not in html


def test_an_admin_creates_a_team_from_the_page(signed_in, owner):
    response = signed_in(owner).post("/settings/teams", {"name": "Payments", "time_zone": "UTC"})

    team = Team.objects.get(name="Payments")
    assert response.status_code == 302 and response["Location"] == f"/settings/teams/{team.pk}"


def test_a_duplicate_or_bad_team_is_shown_with_its_errors(signed_in, owner):
    response = signed_in(owner).post("/settings/teams", {"name": "OPS", "time_zone": "Mars/Base"})

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "time_zone" in errors
    response = signed_in(owner).post("/settings/teams", {"name": "OPS", "time_zone": "UTC"})
    assert "name" in response.context["form"].errors


def test_a_member_posting_the_create_form_gets_403(signed_in, teammate):
    response = signed_in(teammate).post("/settings/teams", {"name": "Payments", "time_zone": "UTC"})

    assert response.status_code == 403
    assert not Team.objects.filter(name="Payments").exists()


def test_the_team_page_of_a_manager_offers_every_form(signed_in, manager, teammate):
    html = signed_in(manager).get(f"/settings/teams/{manager.team.id}").content.decode()

    assert "Add member" in html and "Save settings" in html
    assert f'aria-label="Remove {teammate.user.email}"' in html
    assert "Delete team" not in html  # admins only


def test_a_responder_reads_the_team_page_without_forms(signed_in, teammate):
    html = signed_in(teammate).get(f"/settings/teams/{teammate.team.id}").content.decode()

    assert "Only this team's managers and organization admins change it." in html
    assert "Add member" not in html and "Save settings" not in html


def test_another_organizations_team_page_is_404(signed_in, owner, outsider):
    assert signed_in(outsider).get(f"/settings/teams/{owner.team.id}").status_code == 404
    response = signed_in(outsider).post(
        f"/settings/teams/{owner.team.id}/members", {"email": "x@globex.test", "role": "manager"}
    )
    assert response.status_code == 404


def test_saving_the_settings_renames_the_team(signed_in, manager):
    policy = EscalationPolicy.objects.create(
        organization=manager.organization, team=manager.team, name="Nights"
    )

    response = signed_in(manager).post(
        f"/settings/teams/{manager.team.id}",
        {"name": "Operations", "time_zone": "Europe/Paris", "escalation_policy_id": policy.pk},
    )

    assert response.status_code == 302
    team = Team.objects.get(pk=manager.team.pk)
    assert (team.name, team.time_zone) == ("Operations", "Europe/Paris")
    policy.refresh_from_db()
    assert policy.is_team_default


def test_inviting_from_the_page_lists_the_pending_invitation(
    signed_in, manager, django_capture_on_commit_callbacks
):
    client = signed_in(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/settings/teams/{manager.team.id}/members",
            {"email": "new@acme.test", "role": "responder"},
        )

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    html = client.get(f"/settings/teams/{manager.team.id}").content.decode()
    invitation = Invitation.objects.get()
    assert f'data-invitation="{invitation.pk}"' in html
    assert "invited" in html
    assert "added new@acme.test as responder" in html


def test_a_bad_invitation_is_shown_with_its_errors(signed_in, manager, outsider):
    response = signed_in(manager).post(
        f"/settings/teams/{manager.team.id}/members",
        {"email": outsider.user.email, "role": "responder"},
    )

    assert response.status_code == 422
    assert "another organization" in str(response.context["member_form"].errors["email"])


def test_changing_a_role_and_removing_from_the_page(signed_in, manager, teammate):
    client = signed_in(manager)
    base = f"/settings/teams/{manager.team.id}/members/{teammate.member.id}"

    assert client.post(f"{base}/role", {"role": "manager"}).status_code == 302
    assert TeamMember.objects.get(pk=teammate.member.pk).role == "manager"
    assert client.post(f"{base}/remove").status_code == 302
    assert not TeamMember.objects.filter(pk=teammate.member.pk).exists()
    html = client.get(f"/settings/teams/{manager.team.id}").content.decode()
    assert "removed mate@acme.test" in html


def test_a_responder_posting_member_changes_gets_403(signed_in, manager, teammate):
    client = signed_in(teammate)
    base = f"/settings/teams/{manager.team.id}/members/{manager.member.id}"

    assert client.post(f"{base}/role", {"role": "responder"}).status_code == 403
    assert client.post(f"{base}/remove").status_code == 403
    assert TeamMember.objects.get(pk=manager.member.pk).role == "manager"


def test_deleting_a_team_in_use_says_what_uses_it(signed_in, owner):
    make_incident(owner.team, name="DB down")
    client = signed_in(owner)

    assert "Delete team" in client.get(f"/settings/teams/{owner.team.id}/delete").content.decode()
    response = client.post(f"/settings/teams/{owner.team.id}/delete")

    assert response.status_code == 409
    assert "DB down" in response.content.decode()
    assert Team.objects.filter(pk=owner.team.pk).exists()


def test_an_admin_deletes_an_unused_team(signed_in, owner):
    team = Team.objects.create(organization=owner.organization, name="Old")

    response = signed_in(owner).post(f"/settings/teams/{team.pk}/delete")

    assert response.status_code == 302
    assert not Team.objects.filter(pk=team.pk).exists()


def test_a_manager_cannot_delete_a_team(signed_in, manager):
    assert signed_in(manager).post(f"/settings/teams/{manager.team.id}/delete").status_code == 403


def test_an_admin_sets_an_organization_role_from_the_page(signed_in, owner, teammate):
    client = signed_in(owner)

    response = client.post(f"/settings/users/{teammate.user.id}/role", {"role": "admin"})

    assert response.status_code == 302
    assert User.objects.get(pk=teammate.user.pk).role == "admin"
    client.post(f"/settings/users/{owner.user.id}/role", {"role": "member"})
    client.post(f"/settings/users/{teammate.user.id}/role", {"role": "member"})
    assert User.objects.get(pk=teammate.user.pk).role == "admin"  # the last admin stays


def test_a_member_cannot_set_organization_roles(signed_in, owner, manager):
    response = signed_in(manager).post(f"/settings/users/{manager.user.id}/role", {"role": "admin"})

    assert response.status_code == 403
    assert User.objects.get(pk=manager.user.pk).role == "member"
