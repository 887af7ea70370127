"""GET /v1/teams and GET /v1/team/{id}/members."""

import pytest

from accounts.models import Team, TeamMember, User
from escalation.models import EscalationPolicy
from pinghome.testing import make_persona

pytestmark = pytest.mark.django_db


def iso(instant) -> str:
    return instant.isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- teams


def test_teams_of_the_organization_are_listed_by_name(owner):
    make_persona("Acme", "Dev", "dev@acme.test")
    Team.objects.filter(pk=owner.team.pk).update(time_zone="Europe/Paris")

    response = owner.api.get("/v1/teams")

    assert response.status_code == 200
    dev = Team.objects.get(organization=owner.organization, name="Dev")
    owner.team.refresh_from_db()
    policies = dict(
        EscalationPolicy.objects.filter(is_team_default=True).values_list("team_id", "pk")
    )
    assert response.json() == [
        {
            "id": str(dev.id),
            "name": "Dev",
            "time_zone": "UTC",
            "escalation_policy_id": str(policies[dev.id]),
            "created_at": iso(dev.created_at),
        },
        {
            "id": str(owner.team.id),
            "name": "Ops",
            "time_zone": "Europe/Paris",
            "escalation_policy_id": str(policies[owner.team.id]),
            "created_at": iso(owner.team.created_at),
        },
    ]


def test_a_member_sees_every_team_of_the_organization(owner, teammate):
    make_persona("Acme", "Dev", "dev@acme.test")

    response = teammate.api.get("/v1/teams")

    assert [team["name"] for team in response.json()] == ["Dev", "Ops"]


def test_another_organizations_teams_are_not_listed(owner, outsider):
    make_persona("Globex", "Secret", "admin@globex.test")

    assert [t["id"] for t in owner.api.get("/v1/teams").json()] == [str(owner.team.id)]
    assert {t["name"] for t in outsider.api.get("/v1/teams").json()} == {"Ops", "Secret"}
    assert str(owner.team.id) not in {t["id"] for t in outsider.api.get("/v1/teams").json()}


def test_listing_many_teams_costs_a_bounded_number_of_queries(owner, django_assert_max_num_queries):
    Team.objects.bulk_create(
        Team(organization=owner.organization, name=f"team {i:03}") for i in range(120)
    )

    with django_assert_max_num_queries(2):
        response = owner.api.get("/v1/teams")

    assert len(response.json()) == 121


# --------------------------------------------------------------------------- members


def test_members_of_a_team_are_listed_oldest_first(owner, teammate):
    response = owner.api.get(f"/v1/team/{owner.team.id}/members")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": str(owner.member.id),
            "team_id": str(owner.team.id),
            "user_id": str(owner.user.id),
            "email": "owner@acme.test",
            "name": "",
            "role": "manager",
            "organization_role": "admin",
            "pending": False,
            "created_at": iso(owner.member.created_at),
        },
        {
            "id": str(teammate.member.id),
            "team_id": str(owner.team.id),
            "user_id": str(teammate.user.id),
            "email": "mate@acme.test",
            "name": "",
            "role": "responder",
            "organization_role": "member",
            "pending": False,
            "created_at": iso(teammate.member.created_at),
        },
    ]


def test_a_member_may_list_a_team_they_are_not_in(owner):
    dev = make_persona("Acme", "Dev", "dev@acme.test")

    response = owner.api.get(f"/v1/team/{dev.team.id}/members")

    assert response.status_code == 200
    assert [m["email"] for m in response.json()] == ["dev@acme.test"]


def test_an_outsider_gets_404_for_our_team_members(owner, outsider):
    response = outsider.api.get(f"/v1/team/{owner.team.id}/members")

    assert response.status_code == 404
    assert response.json() == {"message": "Not found."}


@pytest.mark.parametrize("team_id", ["0b6c2f5e-3a1d-4c8e-9f7a-5d2e1b0c4a93", "not-a-uuid", "1"])
def test_an_unknown_or_malformed_team_is_404(owner, team_id):
    response = owner.api.get(f"/v1/team/{team_id}/members")

    assert response.status_code == 404
    assert response.json() == {"message": "Not found."}


def test_listing_many_members_costs_a_bounded_number_of_queries(
    owner, django_assert_max_num_queries
):
    users = User.objects.bulk_create(
        User(email=f"user{i}@acme.test", organization=owner.organization) for i in range(80)
    )
    TeamMember.objects.bulk_create(TeamMember(team=owner.team, user=user) for user in users)

    # token, team, members joined with their users
    with django_assert_max_num_queries(3):
        response = owner.api.get(f"/v1/team/{owner.team.id}/members")

    assert len(response.json()) == 81


# --------------------------------------------------------------------------- authentication


@pytest.mark.parametrize("path", ["/v1/teams", "/v1/team/TEAM/members"])
@pytest.mark.parametrize("header", [None, "Bearer ph_forged", "Bearer", "Token abc"])
def test_without_a_valid_token_is_401(anonymous, owner, path, header):
    if header:
        anonymous.credentials(HTTP_AUTHORIZATION=header)

    response = anonymous.get(path.replace("TEAM", str(owner.team.id)))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="pinghome"'
    assert set(response.json()) == {"message"}


def test_a_deactivated_users_token_is_401(owner):
    User.objects.filter(pk=owner.user.pk).update(is_active=False)

    assert owner.api.get("/v1/teams").status_code == 401
