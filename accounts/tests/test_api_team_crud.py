"""POST /v1/team, rename through PUT /v1/team/{id}, DELETE /v1/team/{id} (extensions)."""

import pytest

from accounts.models import Team
from audit.models import AuditRecord
from incidents.tests.builders import make_incident
from pinghome.testing import MALFORMED_ID, UNKNOWN_ID, assert_invalid, assert_not_found
from rulesets.tests.builders import make_ruleset, make_team
from schedules.models import ScheduleEntry

pytestmark = pytest.mark.django_db

# --------------------------------------------------------------------------- create


def test_an_admin_creates_a_team_with_a_time_zone(owner):
    response = owner.api.post("/v1/team", {"name": "Payments", "time_zone": "Europe/Berlin"})

    assert response.status_code == 201
    team = Team.objects.get(pk=response.json()["id"])
    assert (team.organization, team.name, team.time_zone) == (
        owner.organization,
        "Payments",
        "Europe/Berlin",
    )
    listed = owner.api.get("/v1/teams").json()
    assert "Payments" in [t["name"] for t in listed]
    record = AuditRecord.objects.get(object_type="team", action="created")
    assert record.object_id == str(team.pk) and record.after["name"] == "Payments"


def test_the_time_zone_defaults_to_utc(owner):
    team_id = owner.api.post("/v1/team", {"name": "Payments"}).json()["id"]

    assert Team.objects.get(pk=team_id).time_zone == "UTC"


@pytest.mark.parametrize(
    ("persona", "status"), [("teammate", 403), ("manager", 403), ("owner", 201)]
)
def test_only_admins_create_teams(persona, status, request):
    response = request.getfixturevalue(persona).api.post("/v1/team", {"name": "Payments"})

    assert response.status_code == status
    assert Team.objects.filter(name="Payments").exists() == (status == 201)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": 7}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "ops"}, "name"),  # Ops exists: names are unique ignoring case
        ({"name": "Payments", "time_zone": "Mars/Base"}, "time_zone"),
    ],
)
def test_bad_team_bodies_are_422_naming_the_field(owner, body, field):
    assert_invalid(owner.api.post("/v1/team", body), field)


def test_the_same_name_in_another_organization_is_fine(owner, outsider):
    assert outsider.api.post("/v1/team", {"name": "Payments"}).status_code == 201
    assert owner.api.post("/v1/team", {"name": "Payments"}).status_code == 201


def test_a_read_token_cannot_create_a_team(owner):
    from accounts.tests.test_api_tokens import client_of

    raw = owner.api.post("/v1/token", {"name": "r", "scopes": ["read"]}).json()["token"]

    assert client_of(raw).post("/v1/team", {"name": "Payments"}).status_code == 403


# --------------------------------------------------------------------------- rename


@pytest.mark.parametrize(
    ("persona", "status"), [("teammate", 403), ("manager", 200), ("owner", 200)]
)
def test_managers_and_admins_rename_a_team(owner, persona, status, request):
    response = request.getfixturevalue(persona).api.put(
        f"/v1/team/{owner.team.id}", {"name": "Operations"}
    )

    assert response.status_code == status
    owner.team.refresh_from_db()
    assert owner.team.name == ("Operations" if status == 200 else "Ops")


def test_renaming_is_audited(owner):
    owner.api.put(f"/v1/team/{owner.team.id}", {"name": "Operations"})

    record = AuditRecord.objects.get(object_type="team", action="updated")
    assert (record.before, record.after) == ({"name": "Ops"}, {"name": "Operations"})


def test_renaming_to_another_teams_name_is_422(owner):
    make_team(owner.organization, "Payments")

    assert_invalid(owner.api.put(f"/v1/team/{owner.team.id}", {"name": "PAYMENTS"}), "name")
    assert owner.api.put(f"/v1/team/{owner.team.id}", {"name": "OPS"}).status_code == 200


# --------------------------------------------------------------------------- delete


@pytest.mark.parametrize(
    ("persona", "status"), [("teammate", 403), ("manager", 403), ("owner", 200)]
)
def test_only_admins_delete_a_team(owner, persona, status, request):
    team = make_team(owner.organization, "Payments")

    response = request.getfixturevalue(persona).api.delete(f"/v1/team/{team.id}")

    assert response.status_code == status
    assert Team.objects.filter(pk=team.pk).exists() == (status != 200)


def test_deleting_a_team_takes_its_members_and_schedule_and_is_audited(owner):
    team = owner.team
    ScheduleEntry.objects.create(
        team=team, team_member=owner.member, week_days=[1], start_time="09:00", end_time="17:00"
    )

    response = owner.api.delete(f"/v1/team/{team.id}")

    assert response.status_code == 200
    assert response.json() == {"message": "Team deleted."}
    assert not Team.objects.filter(pk=team.pk).exists()
    assert not ScheduleEntry.objects.exists()
    record = AuditRecord.objects.get(object_type="team", action="deleted")
    assert record.before["name"] == "Ops"


def test_a_team_with_open_incidents_or_rulesets_is_409_naming_them(owner):
    team = owner.team
    incident = make_incident(team, name="DB down")
    make_incident(team, name="Old", status="resolved")
    ruleset = make_ruleset(team, name="Alertmanager")

    response = owner.api.delete(f"/v1/team/{team.id}")

    assert response.status_code == 409
    body = response.json()
    assert "still in use" in body["message"]
    assert body["errors"] == {
        "incidents": [f"DB down ({incident.pk})"],
        "rulesets": [f"Alertmanager ({ruleset.pk})"],
    }
    assert Team.objects.filter(pk=team.pk).exists()
    assert not AuditRecord.objects.filter(object_type="team").exists()


def test_a_long_list_of_blockers_is_cut_with_a_count(owner):
    for number in range(25):
        make_ruleset(owner.team, name=f"rule {number:02}")

    errors = owner.api.delete(f"/v1/team/{owner.team.id}").json()["errors"]

    assert len(errors["rulesets"]) == 21
    assert errors["rulesets"][-1] == "and 5 more"


def test_resolved_incidents_do_not_keep_a_team(owner):
    make_incident(owner.team, status="resolved")

    assert owner.api.delete(f"/v1/team/{owner.team.id}").status_code == 200


def test_another_organizations_team_is_404(owner, outsider):
    assert_not_found(outsider.api.delete(f"/v1/team/{owner.team.id}"))
    assert_not_found(outsider.api.put(f"/v1/team/{owner.team.id}", {"name": "Mine"}))
    assert Team.objects.filter(pk=owner.team.pk, name="Ops").exists()


@pytest.mark.parametrize("team_id", [MALFORMED_ID, UNKNOWN_ID])
def test_an_unknown_team_is_404(owner, team_id):
    assert_not_found(owner.api.delete(f"/v1/team/{team_id}"))


def test_a_team_another_teams_escalation_policy_pages_is_409_naming_the_policy(owner):
    from escalation.models import EscalationPolicy
    from escalation.tests.builders import create_policy

    payments = owner.api.post("/v1/team", {"name": "Payments"}).json()["id"]
    policy_id = create_policy(owner, (0, [("team", payments)]), name="Wake payments")

    response = owner.api.delete(f"/v1/team/{payments}")

    assert response.status_code == 409
    policy = EscalationPolicy.objects.get(pk=policy_id)
    assert response.json()["errors"] == {
        "escalation_policies": [f"Wake payments of Ops ({policy.pk})"]
    }
    # Its own policies do not keep it: they go with it.
    owner.api.delete(f"/v1/escalation-policy/{policy_id}")
    assert owner.api.delete(f"/v1/team/{payments}").status_code == 200
