"""PUT /v1/team/{id}: time zone and default escalation policy (extension)."""

import pytest

from accounts.models import Team
from audit.models import AuditRecord
from escalation.models import EscalationPolicy

pytestmark = pytest.mark.django_db


def another_policy(persona, name="Lead after 10 min") -> str:
    response = persona.api.post(
        f"/v1/team/{persona.team.id}/escalation-policy",
        {"name": name, "steps": [{"delay_minutes": 0, "targets": []}]},
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_a_team_reads_its_time_zone_and_default_policy(owner):
    default = EscalationPolicy.objects.get(team=owner.team, is_team_default=True)
    team = owner.api.get(f"/v1/team/{owner.team.id}").json()
    assert (team["time_zone"], team["escalation_policy_id"]) == ("UTC", str(default.id))
    assert default.name == "On-call now", "every new team pages its on-call at once"


def test_a_manager_sets_the_time_zone_and_default_policy_and_reads_them_back(owner, manager):
    policy_id = another_policy(owner)
    response = manager.api.put(
        f"/v1/team/{owner.team.id}",
        {"time_zone": "Europe/Berlin", "escalation_policy_id": policy_id},
    )
    assert response.status_code == 200
    team = owner.api.get(f"/v1/team/{owner.team.id}").json()
    assert (team["time_zone"], team["escalation_policy_id"]) == ("Europe/Berlin", policy_id)
    assert EscalationPolicy.objects.filter(team=owner.team, is_team_default=True).count() == 1
    changes = AuditRecord.objects.filter(object_type="escalationpolicy", action="updated")
    assert sorted(record.after["is_team_default"] for record in changes) == [False, True]


def test_omitted_fields_keep_their_value(owner):
    policy_id = another_policy(owner)
    owner.api.put(f"/v1/team/{owner.team.id}", {"escalation_policy_id": policy_id})
    owner.api.put(f"/v1/team/{owner.team.id}", {"time_zone": "Asia/Kolkata"})
    team = owner.api.get(f"/v1/team/{owner.team.id}").json()
    assert (team["time_zone"], team["escalation_policy_id"]) == ("Asia/Kolkata", policy_id)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Mars/Base"}, "time_zone"),
        ({"time_zone": 5}, "time_zone"),
        ({"escalation_policy_id": "nope"}, "escalation_policy_id"),
        ({"escalation_policy_id": None}, "escalation_policy_id"),
    ],
)
def test_bad_settings_are_422_naming_the_field(owner, body, field):
    response = owner.api.put(f"/v1/team/{owner.team.id}", body)
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_the_default_policy_is_one_of_the_teams_own(owner, outsider):
    dev = Team.objects.create(organization=owner.organization, name="Dev")
    for team in (dev, outsider.team):
        policy_id = EscalationPolicy.objects.get(team=team).id
        response = owner.api.put(
            f"/v1/team/{owner.team.id}", {"escalation_policy_id": str(policy_id)}
        )
        assert response.status_code == 422
        assert "escalation_policy_id" in response.json()["errors"]


def test_responders_cannot_change_team_settings(owner, teammate):
    response = teammate.api.put(f"/v1/team/{owner.team.id}", {"time_zone": "Europe/Paris"})
    assert response.status_code == 403


def test_outsiders_get_404(owner, outsider, anonymous):
    assert outsider.api.get(f"/v1/team/{owner.team.id}").status_code == 404
    assert outsider.api.put(f"/v1/team/{owner.team.id}", {}).status_code == 404
    assert anonymous.get(f"/v1/team/{owner.team.id}").status_code == 401
