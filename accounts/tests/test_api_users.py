"""GET /v1/users and PUT /v1/user/{id}: organization admins see people and set their role."""

import pytest

from accounts.models import User
from audit.models import AuditRecord
from pinghome.testing import (
    MALFORMED_ID,
    UNKNOWN_ID,
    assert_invalid,
    assert_not_found,
    make_persona,
)

pytestmark = pytest.mark.django_db


def test_an_admin_lists_the_users_with_their_role_and_teams(owner, teammate, outsider):
    make_persona("Acme", "Dev", "mate@acme.test", role="manager")

    response = owner.api.get("/v1/users")

    assert response.status_code == 200
    users = {user["email"]: user for user in response.json()}
    assert set(users) == {"owner@acme.test", "mate@acme.test"}
    mate = users["mate@acme.test"]
    assert (mate["id"], mate["role"], mate["is_active"], mate["pending"]) == (
        str(teammate.user.id),
        "member",
        True,
        False,
    )
    assert [(t["team_name"], t["role"]) for t in mate["teams"]] == [
        ("Dev", "manager"),
        ("Ops", "responder"),
    ]
    assert mate["teams"][1]["team_member_id"] == str(teammate.member.id)
    assert users["owner@acme.test"]["role"] == "admin"


def test_invited_people_are_listed_as_pending(owner):
    owner.api.post(f"/v1/team/{owner.team.id}/member", {"email": "new@acme.test"})

    users = {user["email"]: user for user in owner.api.get("/v1/users").json()}

    assert (users["new@acme.test"]["pending"], users["new@acme.test"]["is_active"]) == (True, False)


@pytest.mark.parametrize("persona", ["teammate", "manager"])
def test_members_get_403_on_the_user_list(persona, request):
    assert request.getfixturevalue(persona).api.get("/v1/users").status_code == 403


def test_listing_many_users_costs_a_bounded_number_of_queries(owner, django_assert_max_num_queries):
    for number in range(30):
        make_persona("Acme", f"Team {number % 3}", f"user{number}@acme.test")

    with django_assert_max_num_queries(4):
        response = owner.api.get("/v1/users")

    assert len(response.json()) == 31


@pytest.mark.parametrize(
    ("persona", "status"), [("teammate", 403), ("manager", 403), ("owner", 200)]
)
def test_only_admins_change_an_organization_role(owner, teammate, persona, status, request):
    actor = request.getfixturevalue(persona)

    response = actor.api.put(f"/v1/user/{teammate.user.id}", {"role": "admin"})

    assert response.status_code == status
    teammate.user.refresh_from_db()
    assert teammate.user.role == ("admin" if status == 200 else "member")


def test_a_promoted_admin_acts_as_one_and_the_change_is_audited(owner, teammate):
    owner.api.put(f"/v1/user/{teammate.user.id}", {"role": "admin"})

    assert teammate.api.get("/v1/users").status_code == 200
    record = AuditRecord.objects.get(object_type="user", action="updated")
    assert (record.object_id, record.before, record.after) == (
        str(teammate.user.id),
        {"role": "member"},
        {"role": "admin"},
    )


def test_the_last_active_admin_cannot_step_down(owner, teammate):
    response = owner.api.put(f"/v1/user/{owner.user.id}", {"role": "member"})

    assert response.status_code == 409
    assert User.objects.get(pk=owner.user.pk).role == "admin"
    owner.api.put(f"/v1/user/{teammate.user.id}", {"role": "admin"})
    assert owner.api.put(f"/v1/user/{owner.user.id}", {"role": "member"}).status_code == 200


def test_a_bad_role_is_422(owner, teammate):
    assert_invalid(owner.api.put(f"/v1/user/{teammate.user.id}", {"role": "root"}), "role")


def test_another_organizations_user_is_404(owner, outsider):
    assert_not_found(owner.api.put(f"/v1/user/{outsider.user.id}", {"role": "member"}))
    assert User.objects.get(pk=outsider.user.pk).role == "admin"


@pytest.mark.parametrize("user_id", [MALFORMED_ID, UNKNOWN_ID])
def test_an_unknown_user_is_404(owner, user_id):
    assert_not_found(owner.api.put(f"/v1/user/{user_id}", {"role": "member"}))
