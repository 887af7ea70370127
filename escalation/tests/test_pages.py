"""The Escalation page, the team's page and the incident page: policies, warnings, the
policy form, "Escalate now"."""

import pytest
from django.test import TestCase

from escalation.models import EscalationPolicy
from escalation.targets import NO_ONE
from escalation.tests.builders import create_policy
from notifications.tests.test_routing import on_call_always, open_incident
from pinghome.testing import UNKNOWN_ID

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    def sign_in(persona):
        client.force_login(persona.user)
        return client

    return sign_in


def form(name="Lead after 10", repeat=0, *steps) -> dict:
    data = {
        "name": name,
        "repeat": str(repeat),
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": str(len(steps)),
    }
    for n, (delay, targets) in enumerate(steps):
        data[f"steps-{n}-delay_minutes"] = "" if delay is None else str(delay)
        data[f"steps-{n}-targets"] = targets
    return data


def test_the_page_lists_a_teams_policies_with_their_steps_and_warnings(signed_in, owner):
    policy_id = create_policy(
        owner, (0, [("oncall", owner.team.id)]), (10, [("user", owner.user.id)]), name="Chain"
    )
    html = signed_in(owner).get(f"/escalation?team={owner.team.id}").content.decode()

    assert "On-call now" in html and "team default" in html
    assert 'id="default-warning"' in html, "nobody is ever on call for Ops"
    assert NO_ONE not in html.split(f'id="policy-{policy_id}"')[1], "Chain reaches the owner"
    assert "After 10 min:</strong>\n      owner@acme.test" in html
    assert "At once:</strong>\n      on call for Ops" in html
    assert "New policy" in html and "Make default" in html


def test_responders_see_policies_but_no_way_to_change_them(signed_in, owner, teammate):
    create_policy(owner, (0, [("oncall", owner.team.id)]), name="Chain")
    html = signed_in(teammate).get("/escalation").content.decode()
    assert "Chain" in html
    assert "New policy" not in html and "Make default" not in html
    url = f"/escalation/{owner.team.id}/policies/new"
    assert (
        signed_in(teammate).post(url, form("x", 0, (0, [f"oncall:{owner.team.id}"]))).status_code
        == 403
    )


def test_a_manager_creates_a_policy_from_the_form(signed_in, owner, manager):
    client = signed_in(manager)
    url = f"/escalation/{owner.team.id}/policies/new"
    page = client.get(url).content.decode()
    assert page.count('name="steps-') >= 4, "two empty step rows"
    assert f'value="oncall:{owner.team.id}"' in page and f'value="user:{owner.user.id}"' in page

    response = client.post(
        url,
        form(
            "Lead after 10",
            1,
            (0, [f"oncall:{owner.team.id}"]),
            (10, [f"user:{manager.user.id}", f"team:{owner.team.id}"]),
            (None, []),
        ),
    )
    assert response.status_code == 302
    policy = EscalationPolicy.objects.get(name="Lead after 10")
    assert policy.repeat == 1
    assert [(s.delay_minutes, s.targets) for s in policy.steps.all()] == [
        (0, [{"type": "oncall", "id": str(owner.team.id)}]),
        (
            10,
            [
                {"type": "user", "id": str(manager.user.id)},
                {"type": "team", "id": str(owner.team.id)},
            ],
        ),
    ]


def test_the_form_says_what_is_wrong(signed_in, owner):
    client = signed_in(owner)
    url = f"/escalation/{owner.team.id}/policies/new"
    response = client.post(url, form("", 3, (0, [f"oncall:{owner.team.id}"])))
    assert response.status_code == 422
    response = client.post(url, form("Loop", 3, (0, [f"oncall:{owner.team.id}"])))
    assert response.status_code == 422
    assert "a chain that repeats needs a step with a delay" in response.content.decode()
    assert not EscalationPolicy.objects.filter(name="Loop").exists()


def test_editing_making_default_and_deleting_from_the_page(signed_in, owner):
    client = signed_in(owner)
    policy_id = create_policy(owner, (0, [("oncall", owner.team.id)]), name="Chain")
    edit = f"/escalation/{owner.team.id}/policies/{policy_id}"
    assert f'value="oncall:{owner.team.id}" selected' in client.get(edit).content.decode()
    client.post(edit, form("Renamed", 0, (5, [f"user:{owner.user.id}"])))
    assert EscalationPolicy.objects.get(pk=policy_id).name == "Renamed"

    default = EscalationPolicy.objects.get(team=owner.team, is_team_default=True)
    client.post(f"{edit}/default")
    assert EscalationPolicy.objects.get(pk=policy_id).is_team_default
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            f"/escalation/{owner.team.id}/policies/{policy_id}/delete", follow=True
        )
    assert "default policy of team Ops" in response.content.decode()
    client.post(f"/escalation/{owner.team.id}/policies/{default.id}/delete")
    assert not EscalationPolicy.objects.filter(pk=default.id).exists()


def test_another_organizations_team_and_policies_are_not_found(signed_in, owner, outsider):
    policy_id = create_policy(owner, (0, [("oncall", owner.team.id)]))
    client = signed_in(outsider)
    assert client.get(f"/escalation?team={owner.team.id}").status_code == 404
    assert client.get(f"/escalation/{owner.team.id}/policies/{policy_id}").status_code == 404
    assert client.get(f"/escalation/{outsider.team.id}/policies/{policy_id}").status_code == 404
    assert client.get(f"/escalation/{owner.team.id}/policies/{UNKNOWN_ID}").status_code == 404


def test_the_teams_page_shows_its_policies_and_their_warnings(signed_in, owner):
    html = signed_in(owner).get(f"/settings/teams/{owner.team.id}").content.decode()
    assert "Escalation policies" in html
    assert "On-call now" in html and NO_ONE in html


def test_the_incident_page_shows_the_step_and_escalates_now(signed_in, owner, teammate, mailoutbox):
    on_call_always(owner, teammate.member)
    policy_id = create_policy(
        owner, (0, [("oncall", owner.team.id)]), (30, [("user", owner.user.id)]), name="Chain"
    )
    incident_id = open_incident(owner, escalation_policy_id=policy_id)
    client = signed_in(teammate)
    html = client.get(f"/incidents/{incident_id}").content.decode()
    assert 'data-field="escalation-step">1 of 2' in html
    assert "step 2, <time" in html and "Escalate now" in html

    mailoutbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            f"/incidents/{incident_id}/escalate",
            {"next": f"/incidents/{incident_id}"},
            follow=True,
        )
    assert [m.to for m in mailoutbox] == [["owner@acme.test"]]
    html = response.content.decode()
    assert "escalated" in html and 'data-field="escalation-step">2 of 2' in html
    assert "Escalate now" not in html, "no step left"
