"""The escalation policy routes: create, list, read, update, delete, with who may."""

import pytest

from accounts.models import Team
from audit.models import AuditRecord
from escalation.models import EscalationPolicy
from escalation.targets import NO_ONE
from escalation.tests.builders import create_policy, policy_body
from notifications.tests.test_routing import on_call_always, open_incident
from pinghome.testing import (
    BAD_TOKEN,
    MALFORMED_ID,
    UNKNOWN_ID,
    assert_invalid,
    assert_not_found,
    assert_unauthorized,
    make_persona,
)

pytestmark = pytest.mark.django_db


def policies_path(team) -> str:
    return f"/v1/team/{team.id}/escalation-policies"


def create_path(team) -> str:
    return f"/v1/team/{team.id}/escalation-policy"


def path(policy_id) -> str:
    return f"/v1/escalation-policy/{policy_id}"


def lead_chain(persona, lead) -> dict:
    return policy_body(
        (0, [("oncall", persona.team.id)]),
        (10, [("user", lead.user.id)]),
        (5, [("team", persona.team.id)]),
        repeat=2,
        name="On-call, then the lead, then everyone",
    )


def test_a_manager_creates_a_policy_and_reads_it_back(owner, manager, teammate):
    on_call_always(owner, teammate.member)
    response = manager.api.post(create_path(owner.team), lead_chain(owner, manager))

    assert response.status_code == 201, response.json()
    policy_id = response.json()["id"]
    read = owner.api.get(path(policy_id)).json()
    assert read == {
        "id": policy_id,
        "team_id": str(owner.team.id),
        "name": "On-call, then the lead, then everyone",
        "repeat": 2,
        "is_team_default": False,
        "steps": lead_chain(owner, manager)["steps"],
        "warnings": [],
        "created_at": read["created_at"],
        "updated_at": read["updated_at"],
    }
    [record] = AuditRecord.objects.filter(object_type="escalationpolicy", action="created")
    assert (record.actor, record.after["steps"][1]["delay_minutes"]) == ("lead@acme.test", 10)


def test_a_teams_policies_are_listed_default_first_in_bounded_queries(
    owner, django_assert_max_num_queries
):
    for n in range(6):
        create_policy(owner, (0, [("oncall", owner.team.id)]), name=f"P{n}")
    with django_assert_max_num_queries(10):
        response = owner.api.get(policies_path(owner.team))
    assert response.status_code == 200
    names = [p["name"] for p in response.json()]
    assert names == ["On-call now", "P0", "P1", "P2", "P3", "P4", "P5"]
    assert response.json()[0]["is_team_default"] is True


def test_update_replaces_name_repeat_and_steps(owner, teammate):
    policy_id = create_policy(owner, (0, [("oncall", owner.team.id)]))
    body = policy_body((3, [("user", teammate.user.id)]), name="Renamed")
    response = owner.api.put(path(policy_id), body)
    assert response.status_code == 200
    assert response.json() == {"message": "Escalation policy updated."}
    read = owner.api.get(path(policy_id)).json()
    assert (read["name"], read["repeat"], read["steps"]) == ("Renamed", 0, body["steps"])
    [record] = AuditRecord.objects.filter(object_type="escalationpolicy", action="updated")
    assert set(record.after) == {"name", "steps"}


def test_delete_answers_200_and_is_audited(owner):
    policy_id = create_policy(owner, (0, [("oncall", owner.team.id)]))
    response = owner.api.delete(path(policy_id))
    assert response.status_code == 200
    assert not EscalationPolicy.objects.filter(pk=policy_id).exists()
    assert AuditRecord.objects.filter(object_type="escalationpolicy", action="deleted").exists()


def test_the_teams_default_cannot_be_deleted(owner):
    default = EscalationPolicy.objects.get(team=owner.team, is_team_default=True)
    response = owner.api.delete(path(default.id))
    assert response.status_code == 409
    assert "default policy of team Ops" in response.json()["message"]


def test_a_policy_an_open_incident_follows_cannot_be_deleted_until_it_is_resolved(owner):
    policy_id = create_policy(owner, (0, [("oncall", owner.team.id)]))
    incident_id = open_incident(owner, escalation_policy_id=policy_id)
    response = owner.api.delete(path(policy_id))
    assert response.status_code == 409
    assert "Open incidents follow" in response.json()["message"]

    body = {"name": "DB down", "description": "", "urgency": "high", "status": "resolved"}
    owner.api.put(f"/v1/incident/{incident_id}", body)
    assert owner.api.delete(path(policy_id)).status_code == 200
    assert owner.api.get(f"/v1/incident/{incident_id}").json()["escalation_policy_id"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"name": 5}, "name"),
        ({"repeat": 10}, "repeat"),
        ({"repeat": -1}, "repeat"),
        ({"steps": None}, "steps"),
        ({"steps": "x"}, "steps"),
        ({"steps": [5]}, "steps.0"),
        ({"steps": [{"delay_minutes": -1, "targets": []}]}, "steps.0.delay_minutes"),
        ({"steps": [{"delay_minutes": 10**6, "targets": []}]}, "steps.0.delay_minutes"),
        (
            {"steps": [{"delay_minutes": 0, "targets": [{"type": "pager", "id": UNKNOWN_ID}]}]},
            "steps.0.targets.0.type",
        ),
        (
            {"steps": [{"delay_minutes": 0, "targets": [{"type": "user", "id": "x"}]}]},
            "steps.0.targets.0.id",
        ),
        (
            {"steps": [{"delay_minutes": 0, "targets": [{"type": "team", "id": UNKNOWN_ID}]}]},
            "steps.0.targets.0.id",
        ),
        (
            {"steps": [{"delay_minutes": 0, "targets": [{"type": "channel", "id": UNKNOWN_ID}]}]},
            "steps.0.targets.0.id",
        ),
        ({"repeat": 1, "steps": [{"delay_minutes": 0, "targets": []}]}, "repeat"),
        ({"steps": [{"delay_minutes": 0, "targets": []}] * 21}, "steps"),
    ],
)
def test_invalid_policies_are_422_naming_the_field(owner, change, field):
    body = {**policy_body((0, [("oncall", owner.team.id)])), **change}
    assert_invalid(owner.api.post(create_path(owner.team), body), field)
    policy_id = create_policy(owner, (0, [("oncall", owner.team.id)]))
    assert_invalid(owner.api.put(path(policy_id), body), field)


def test_targets_of_another_organization_are_refused(owner, outsider):
    body = policy_body(
        (0, [("oncall", outsider.team.id), ("user", owner.user.id)]),
        (1, [("user", outsider.user.id), ("team", outsider.team.id)]),
    )
    errors = assert_invalid(owner.api.post(create_path(owner.team), body))
    assert errors == {
        "steps.0.targets.0.id": ["no such team in your organization"],
        "steps.1.targets.0.id": ["no such user in your organization"],
        "steps.1.targets.1.id": ["no such team in your organization"],
    }


def test_responders_read_policies_but_may_not_change_them(owner, teammate):
    policy_id = create_policy(owner, (0, [("oncall", owner.team.id)]))
    body = policy_body((0, [("oncall", owner.team.id)]))
    assert teammate.api.get(path(policy_id)).status_code == 200
    assert teammate.api.get(policies_path(owner.team)).status_code == 200
    assert teammate.api.post(create_path(owner.team), body).status_code == 403
    assert teammate.api.put(path(policy_id), body).status_code == 403
    assert teammate.api.delete(path(policy_id)).status_code == 403
    assert EscalationPolicy.objects.filter(team=owner.team).count() == 2


def test_a_manager_of_another_team_may_not_change_this_ones(owner):
    other = make_persona("Acme", "Dev", "dev@acme.test", role="manager")
    policy_id = create_policy(owner, (0, [("oncall", owner.team.id)]))
    assert other.api.put(path(policy_id), policy_body()).status_code == 403
    assert other.api.post(create_path(owner.team), policy_body()).status_code == 403


def test_outsiders_get_404_and_bad_ids_too(owner, outsider):
    policy_id = create_policy(owner, (0, [("oncall", owner.team.id)]))
    assert_not_found(outsider.api.get(path(policy_id)))
    assert_not_found(outsider.api.put(path(policy_id), policy_body()))
    assert_not_found(outsider.api.delete(path(policy_id)))
    assert_not_found(outsider.api.get(policies_path(owner.team)))
    assert_not_found(outsider.api.post(create_path(owner.team), policy_body()))
    for bad in (MALFORMED_ID, UNKNOWN_ID):
        assert_not_found(owner.api.get(path(bad)))
    assert EscalationPolicy.objects.filter(pk=policy_id).exists()


@pytest.mark.parametrize("header", [None, BAD_TOKEN])
def test_401_without_a_valid_token(owner, anonymous, header):
    if header:
        anonymous.credentials(HTTP_AUTHORIZATION=header)
    assert_unauthorized(anonymous.get(policies_path(owner.team)))
    assert_unauthorized(anonymous.post(create_path(owner.team), policy_body()))


def test_a_policy_that_reaches_no_one_says_why(owner, teammate):
    empty = Team.objects.create(organization=owner.organization, name="Empty")
    checks = {
        "no step": policy_body(),
        "no target": policy_body((0, [])),
        "empty team": policy_body((0, [("team", empty.id), ("oncall", empty.id)])),
        "never on call": policy_body((0, [("oncall", owner.team.id)])),
        "deactivated": policy_body((0, [("user", teammate.user.id)])),
    }
    teammate.user.is_active = False
    teammate.user.save()
    warnings = {}
    for name, body in checks.items():
        policy_id = create_policy(
            owner,
            *[
                (s["delay_minutes"], [(t["type"], t["id"]) for t in s["targets"]])
                for s in body["steps"]
            ],
            name=name,
        )
        warnings[name] = owner.api.get(path(policy_id)).json()["warnings"]
    assert warnings == {
        "no step": [NO_ONE, "The policy has no step."],
        "no target": [NO_ONE, "Step 1 has no target."],
        "empty team": [
            NO_ONE,
            "Step 1: team Empty has no members.",
            "Step 1: team Empty has no members.",
        ],
        "never on call": [
            NO_ONE,
            "Step 1: no one is ever on call for team Ops (no current schedule or rotation).",
        ],
        "deactivated": [NO_ONE, "Step 1: mate@acme.test is deactivated."],
    }


def test_a_policy_with_one_step_reaching_people_warns_only_of_the_others(owner, teammate):
    on_call_always(owner, teammate.member)
    empty = Team.objects.create(organization=owner.organization, name="Empty")
    policy_id = create_policy(owner, (0, [("oncall", owner.team.id)]), (5, [("team", empty.id)]))
    assert owner.api.get(path(policy_id)).json()["warnings"] == [
        "Step 2: team Empty has no members."
    ]


def test_rulesets_name_a_policy_of_their_team(owner, outsider):
    from rulesets.tests.pipeline import create_ruleset

    policy_id = create_policy(owner, (0, [("oncall", owner.team.id)]))
    ruleset_id = create_ruleset(owner, escalation_policy_id=policy_id)
    assert owner.api.get(f"/v1/ruleset/{ruleset_id}").json()["escalation_policy_id"] == policy_id
    other = EscalationPolicy.objects.get(team=outsider.team).id
    body = {
        "rule_type": "webhook",
        "level": "team",
        "team_id": str(owner.team.id),
        "name": "Rule",
        "description": "",
        "urgency": "high",
        "conditions": [],
        "escalation_policy_id": str(other),
    }
    assert_invalid(owner.api.post("/v1/ruleset", body), "escalation_policy_id")
    response = owner.api.put(f"/v1/ruleset/{ruleset_id}", {**body, "escalation_policy_id": None})
    assert response.status_code == 200
    assert owner.api.get(f"/v1/ruleset/{ruleset_id}").json()["escalation_policy_id"] is None


def test_incidents_name_a_policy_of_their_team(owner, outsider):
    other = EscalationPolicy.objects.get(team=outsider.team).id
    body = {"name": "x", "description": "", "urgency": "high", "escalation_policy_id": str(other)}
    assert_invalid(
        owner.api.post(f"/v1/team/{owner.team.id}/incident", body), "escalation_policy_id"
    )
    incident_id = open_incident(owner)
    assert_invalid(owner.api.put(f"/v1/incident/{incident_id}", body), "escalation_policy_id")
