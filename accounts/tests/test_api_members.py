"""POST /v1/team/{id}/member, PUT and DELETE /v1/team/{id}/member/{member_id} (extensions)."""

import pytest
from django.core import mail

from accounts.models import Invitation, TeamMember, User
from audit.models import AuditRecord
from pinghome.testing import (
    MALFORMED_ID,
    UNKNOWN_ID,
    assert_invalid,
    assert_not_found,
    make_persona,
)
from schedules.models import Override, ScheduleEntry

pytestmark = pytest.mark.django_db


def members_path(persona, team=None) -> str:
    return f"/v1/team/{(team or persona.team).id}/member"


def member_path(member) -> str:
    return f"/v1/team/{member.team_id}/member/{member.id}"


def listed(persona, team=None) -> dict[str, dict]:
    response = persona.api.get(f"/v1/team/{(team or persona.team).id}/members")
    return {member["email"]: member for member in response.json()}


# --------------------------------------------------------------------------- add


def test_a_user_of_the_organization_is_added_at_once_as_a_responder(owner):
    dev = make_persona("Acme", "Dev", "dev@acme.test")

    response = owner.api.post(members_path(owner), {"email": "DEV@acme.test"})

    assert response.status_code == 201
    member = TeamMember.objects.get(pk=response.json()["id"])
    assert (member.team, member.user, member.role) == (owner.team, dev.user, "responder")
    assert listed(owner)["dev@acme.test"]["pending"] is False
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_a_new_address_is_invited_and_is_a_pending_member_at_once(
    owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.api.post(
            members_path(owner), {"email": "New.Person@Acme.test", "role": "manager"}
        )

    assert response.status_code == 201
    member = TeamMember.objects.select_related("user").get(pk=response.json()["id"])
    user = member.user
    assert (user.email, user.organization, user.role) == (
        "new.person@acme.test",
        owner.organization,
        "member",
    )
    assert not user.is_active and not user.has_usable_password()
    assert member.role == "manager"
    shown = listed(owner)["new.person@acme.test"]
    assert (shown["id"], shown["pending"], shown["role"]) == (str(member.id), True, "manager")
    invitation = Invitation.objects.get(team_member=member)
    assert invitation.invited_by == owner.user
    assert (invitation.expires_at - invitation.created_at).days == 7
    [message] = mail.outbox
    assert message.to == ["new.person@acme.test"]
    assert "/invitation/" in message.body and "Ops" in message.subject
    # The link's secret is stored hashed only.
    raw = message.body.split("/invitation/")[1].split()[0]
    assert raw not in invitation.token_hash


def test_a_pending_member_can_be_scheduled_at_once(owner):
    member_id = owner.api.post(members_path(owner), {"email": "new@acme.test"}).json()["id"]

    response = owner.api.post(
        f"/v1/team/{owner.team.id}/schedule",
        {
            "team_member_id": member_id,
            "week_days": [1],
            "start_time": "09:00",
            "end_time": "17:00",
        },
    )

    assert response.status_code == 201


def test_a_pending_person_invited_to_a_second_team_gets_a_second_link(owner):
    dev = make_persona("Acme", "Dev", "dev@acme.test")
    owner.api.post(members_path(owner), {"email": "new@acme.test"})

    response = owner.api.post(members_path(owner, dev.team), {"email": "new@acme.test"})

    assert response.status_code == 201
    assert User.objects.filter(email="new@acme.test").count() == 1
    assert Invitation.objects.filter(email="new@acme.test").count() == 2


def test_an_address_of_another_organization_is_422_naming_email(owner, outsider):
    errors = assert_invalid(
        owner.api.post(members_path(owner), {"email": outsider.user.email}), "email"
    )

    assert "another organization" in errors["email"][0]
    assert not TeamMember.objects.filter(user=outsider.user, team=owner.team).exists()


def test_a_user_without_an_organization_joins_it(owner):
    loner = User.objects.create_user("root@acme.test", "a long passphrase")

    assert owner.api.post(members_path(owner), {"email": "root@acme.test"}).status_code == 201

    loner.refresh_from_db()
    assert loner.organization == owner.organization and loner.is_active


def test_someone_already_in_the_team_is_409(owner, teammate):
    response = owner.api.post(members_path(owner), {"email": "Mate@acme.test"})

    assert response.status_code == 409
    assert "already a member" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"email": 5}, "email"),
        ({"email": "a@acme.test", "role": "admin"}, "role"),
        ({"email": "a@acme.test", "role": None}, "role"),
    ],
)
def test_bad_member_bodies_are_422_naming_the_field(owner, body, field):
    assert_invalid(owner.api.post(members_path(owner), body), field)
    assert not User.objects.filter(email="a@acme.test").exists()


# --------------------------------------------------------------------------- role matrix

WRITES = [
    ("post", lambda ctx: members_path(ctx["owner"]), {"email": "new@acme.test"}, 201),
    ("put", lambda ctx: member_path(ctx["other"]), {"role": "manager"}, 200),
    ("delete", lambda ctx: member_path(ctx["other"]), None, 200),
]


@pytest.mark.parametrize(("method", "path", "body", "success"), WRITES)
@pytest.mark.parametrize(
    ("persona", "allowed"), [("teammate", False), ("manager", True), ("owner", True)]
)
def test_managers_and_admins_manage_members_responders_get_403(
    owner, teammate, manager, method, path, body, success, persona, allowed, request
):
    other = make_persona("Acme", "Ops", "other@acme.test", role="responder").member
    ctx = {"owner": owner, "other": other}
    actor = request.getfixturevalue(persona)

    response = getattr(actor.api, method)(path(ctx), body)

    assert response.status_code == (success if allowed else 403), response.content


def test_a_manager_of_another_team_gets_403(owner):
    dev = make_persona("Acme", "Dev", "dev@acme.test", role="manager")

    response = dev.api.post(members_path(owner), {"email": "new@acme.test"})

    assert response.status_code == 403


def test_another_organizations_team_or_member_is_404(owner, teammate, outsider):
    assert_not_found(outsider.api.post(members_path(owner), {"email": "x@globex.test"}))
    assert_not_found(outsider.api.put(member_path(teammate.member), {"role": "manager"}))
    assert_not_found(outsider.api.delete(member_path(teammate.member)))
    # A member of another team, through this team's path: 404 too.
    dev = make_persona("Acme", "Dev", "dev@acme.test")
    assert_not_found(owner.api.delete(f"/v1/team/{owner.team.id}/member/{dev.member.id}"))


@pytest.mark.parametrize("member_id", [MALFORMED_ID, UNKNOWN_ID])
def test_an_unknown_member_is_404(owner, member_id):
    assert_not_found(owner.api.put(f"/v1/team/{owner.team.id}/member/{member_id}", {"role": "x"}))


# --------------------------------------------------------------------------- role


def test_a_manager_promotes_a_responder(manager, teammate):
    response = manager.api.put(member_path(teammate.member), {"role": "manager"})

    assert response.status_code == 200
    assert response.json() == {"message": "Member updated."}
    teammate.member.refresh_from_db()
    assert teammate.member.role == "manager"
    # The promoted member now changes the team.
    assert (
        teammate.api.put(f"/v1/team/{teammate.team.id}", {"time_zone": "Asia/Tokyo"}).status_code
        == 200
    )
    record = AuditRecord.objects.get(object_type="teammember", action="updated")
    assert (record.before, record.after) == ({"role": "responder"}, {"role": "manager"})


def test_a_bad_role_is_422(owner, teammate):
    assert_invalid(owner.api.put(member_path(teammate.member), {"role": "boss"}), "role")
    assert_invalid(owner.api.put(member_path(teammate.member), {}), "role")


# --------------------------------------------------------------------------- remove


def test_removing_a_member_hands_their_shifts_back_to_the_gaps(owner, teammate):
    add = {"week_days": [0, 1, 2, 3, 4, 5, 6], "start_time": "00:00", "end_time": "00:00"}
    owner.api.post(
        f"/v1/team/{owner.team.id}/schedule", {"team_member_id": str(teammate.member.id), **add}
    )
    owner.api.post(
        f"/v1/team/{owner.team.id}/override",
        {
            "team_member_id": str(teammate.member.id),
            "start": "2030-01-06T00:00:00Z",
            "end": "2030-01-07T00:00:00Z",
        },
    )
    at = {"at": "2030-01-08T12:00:00Z"}
    before = owner.api.get(f"/v1/team/{owner.team.id}/oncall", at).json()["team_member_ids"]
    assert before == [str(teammate.member.id)]

    response = owner.api.delete(member_path(teammate.member))

    assert response.status_code == 200
    assert response.json() == {"message": "Member removed."}
    assert not TeamMember.objects.filter(pk=teammate.member.pk).exists()
    assert not ScheduleEntry.objects.exists() and not Override.objects.exists()
    after = owner.api.get(f"/v1/team/{owner.team.id}/oncall", at).json()["team_member_ids"]
    assert after == []
    shifts = owner.api.get(
        f"/v1/team/{owner.team.id}/shifts",
        {"from": "2030-01-08T00:00:00Z", "to": "2030-01-09T00:00:00Z"},
    ).json()
    assert shifts["shifts"] == []
    assert shifts["gaps"] == [{"start": "2030-01-08T00:00:00Z", "end": "2030-01-09T00:00:00Z"}]
    # They stay a user of the organization.
    assert User.objects.filter(pk=teammate.user.pk, is_active=True).exists()
    record = AuditRecord.objects.get(object_type="teammember", action="deleted")
    assert record.before["email"] == "mate@acme.test"
    assert (record.before["schedule_entries"], record.before["overrides"]) == (1, 1)


def test_removing_a_pending_member_withdraws_the_invitation_and_the_person(owner):
    member_id = owner.api.post(members_path(owner), {"email": "new@acme.test"}).json()["id"]

    assert owner.api.delete(f"/v1/team/{owner.team.id}/member/{member_id}").status_code == 200

    assert not Invitation.objects.exists()
    assert not User.objects.filter(email="new@acme.test").exists()


def test_adding_and_removing_are_audited_in_the_teams_organization(owner):
    member_id = owner.api.post(members_path(owner), {"email": "new@acme.test"}).json()["id"]
    owner.api.delete(f"/v1/team/{owner.team.id}/member/{member_id}")

    created = AuditRecord.objects.get(object_type="teammember", action="created")
    assert created.after == {
        "team_id": str(owner.team.id),
        "user_id": created.after["user_id"],
        "role": "responder",
        "email": "new@acme.test",
    }
    assert created.organization_id == owner.organization.id
    invitation = AuditRecord.objects.get(object_type="invitation", action="created")
    assert invitation.after["email"] == "new@acme.test"
    assert not any("hash" in key for key in invitation.after)
    assert AuditRecord.objects.filter(object_type="teammember", action="deleted").exists()
