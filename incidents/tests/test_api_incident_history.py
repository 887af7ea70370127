"""GET /v1/incident/{id}/actions and GET /v1/incident/{id}/timeline."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils.dateparse import parse_datetime

from incidents import services
from incidents.models import TimelineEntry
from incidents.tests.builders import (
    incident_body,
    make_incident,
    make_incident_action,
    open_incident,
)
from pinghome.testing import (
    BAD_TOKEN,
    MALFORMED_ID,
    UNKNOWN_ID,
    assert_not_found,
    assert_unauthorized,
)
from statuspages.tests.builders import make_component, make_status_page, trigger_alerts

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)


def actions_path(incident) -> str:
    return f"/v1/incident/{incident.id}/actions"


def timeline_path(incident) -> str:
    return f"/v1/incident/{incident.id}/timeline"


PATHS = [actions_path, timeline_path]
PATH_IDS = ["actions", "timeline"]


@pytest.mark.parametrize("route", PATHS, ids=PATH_IDS)
@pytest.mark.parametrize("header", [None, BAD_TOKEN], ids=["none", "bad"])
def test_incident_history_answers_401_without_a_valid_token(owner, anonymous, route, header):
    incident = open_incident(owner.team, owner.user)
    if header:
        anonymous.credentials(HTTP_AUTHORIZATION=header)
    assert_unauthorized(anonymous.get(route(incident)))


@pytest.mark.parametrize("route", PATHS, ids=PATH_IDS)
def test_outsider_cannot_read_another_orgs_incident_history(owner, outsider, route):
    incident = open_incident(owner.team, owner.user)
    make_incident_action(incident)
    assert_not_found(outsider.api.get(route(incident)))


@pytest.mark.parametrize("segment", ["actions", "timeline"])
@pytest.mark.parametrize("incident_id", [MALFORMED_ID, UNKNOWN_ID])
def test_incident_history_answers_404_for_a_malformed_or_unknown_id(owner, segment, incident_id):
    open_incident(owner.team, owner.user)
    assert_not_found(owner.api.get(f"/v1/incident/{incident_id}/{segment}"))


# --------------------------------------------------------------------------- actions


def test_actions_are_listed_in_order_with_their_execution_state(owner):
    incident = make_incident(owner.team)
    settings = [{"id": "s1", "status_page_id": "p", "component_id": "c"}]
    second = make_incident_action(incident, [], position=1)
    first = make_incident_action(incident, settings, position=0)
    first.state, first.attempts, first.error = "failed", 3, "component gone"
    first.started_at, first.finished_at = T0, T0 + timedelta(seconds=5)
    first.save()
    make_incident_action(make_incident(owner.team, name="Other"))

    response = owner.api.get(actions_path(incident))

    assert response.status_code == 200
    body = response.json()
    assert [a["id"] for a in body] == [str(first.id), str(second.id)]
    assert body[0] == {
        "id": str(first.id),
        "type": "trigger-alerts",
        "settings": settings,
        "state": "failed",
        "attempts": 3,
        "error": "component gone",
        "created_at": body[0]["created_at"],
        "started_at": "2024-03-15T12:00:00Z",
        "finished_at": "2024-03-15T12:00:05Z",
    }
    assert parse_datetime(body[0]["created_at"]) == first.created_at
    assert (body[1]["state"], body[1]["attempts"], body[1]["started_at"]) == ("pending", 0, None)


def test_actions_of_an_incident_without_actions_are_an_empty_list(owner):
    response = owner.api.get(actions_path(make_incident(owner.team)))
    assert response.status_code == 200
    assert response.json() == []


def test_a_plain_member_reads_an_incidents_actions(owner, teammate):
    incident = make_incident(owner.team)
    action = make_incident_action(incident)
    assert [a["id"] for a in teammate.api.get(actions_path(incident)).json()] == [str(action.id)]


def test_actions_run_a_bounded_number_of_queries(owner, django_assert_max_num_queries):
    incident = make_incident(owner.team)
    for position in range(30):
        make_incident_action(incident, position=position)
    with django_assert_max_num_queries(3):
        response = owner.api.get(actions_path(incident))
    assert len(response.json()) == 30


# --------------------------------------------------------------------------- timeline


def test_timeline_lists_every_change_oldest_first_with_its_actor(owner, teammate):
    incident = open_incident(owner.team, owner.user, name="Checkout")
    services.update_incident(incident, by=owner.user, changes={"name": "Checkout EU"})
    services.acknowledge(incident, by=teammate.user)
    services.resolve(incident, by=None, actor="ruleset:CPU")

    response = owner.api.get(timeline_path(incident))

    assert response.status_code == 200
    body = response.json()
    assert [(e["kind"], e["actor"]) for e in body] == [
        ("created", "owner@acme.test"),
        ("escalated", "system"),  # step 1 of the team's default policy, when it opened
        ("edited", "owner@acme.test"),
        ("acknowledged", "mate@acme.test"),
        ("resolved", "ruleset:CPU"),
    ]
    assert set(body[0]) == {"id", "created_at", "kind", "actor", "message", "data"}
    assert body[0]["message"] == "Opened by owner@acme.test"
    assert body[2]["data"] == {"name": {"from": "Checkout", "to": "Checkout EU"}}
    times = [parse_datetime(e["created_at"]) for e in body]
    assert times == sorted(times)
    assert body[0]["created_at"].endswith("Z")


def test_timeline_shows_only_the_incidents_own_entries(owner):
    incident = open_incident(owner.team, owner.user, name="Mine")
    open_incident(owner.team, owner.user, name="Other")
    kinds = [e["kind"] for e in owner.api.get(timeline_path(incident)).json()]
    assert kinds == ["created", "escalated"]


def test_timeline_orders_entries_by_time_not_by_insertion(owner):
    incident = make_incident(owner.team)
    TimelineEntry.objects.create(incident=incident, kind="resolved", actor="x", created_at=T0)
    TimelineEntry.objects.create(
        incident=incident, kind="created", actor="x", created_at=T0 - timedelta(hours=1)
    )
    kinds = [e["kind"] for e in owner.api.get(timeline_path(incident)).json()]
    assert kinds == ["created", "resolved"]


def test_a_plain_member_reads_an_incidents_timeline(owner, teammate):
    incident = open_incident(owner.team, owner.user)
    kinds = [e["kind"] for e in teammate.api.get(timeline_path(incident)).json()]
    assert kinds == ["created", "escalated"]


def test_timeline_runs_a_bounded_number_of_queries(owner, django_assert_max_num_queries):
    incident = make_incident(owner.team)
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            incident=incident, kind="event-attached", actor="ruleset:x", actor_user=owner.user
        )
        for _ in range(30)
    )
    with django_assert_max_num_queries(3):
        response = owner.api.get(timeline_path(incident))
    assert len(response.json()) == 30


# --------------------------------------------------------------------------- actions that ran


@pytest.fixture
def page_with_components(owner):
    page = make_status_page(owner.organization, "Public")
    return page, make_component(page, "API"), make_component(page, "Web")


def component_statuses(api, page) -> dict[str, str]:
    components = api.get(f"/v1/status-page/{page.id}").json()["components"]
    return {c["name"]: c["status"] for c in components}


def test_an_opened_incidents_action_runs_and_reports_its_state(
    owner, page_with_components, django_capture_on_commit_callbacks
):
    page, api_component, _ = page_with_components
    body = incident_body(urgency="high", actions=[trigger_alerts(api_component)])

    with django_capture_on_commit_callbacks(execute=True):
        incident_id = owner.api.post(f"/v1/team/{owner.team.id}/incident", body).json()["id"]

    [action] = owner.api.get(f"/v1/incident/{incident_id}/actions").json()
    assert (action["state"], action["attempts"], action["error"]) == ("succeeded", 1, "")
    assert parse_datetime(action["started_at"]) <= parse_datetime(action["finished_at"])
    assert component_statuses(owner.api, page) == {"API": "major-outage", "Web": "operational"}
    timeline = owner.api.get(f"/v1/incident/{incident_id}/timeline").json()
    assert (timeline[0]["kind"], timeline[0]["actor"]) == ("created", "owner@acme.test")
    [ran] = [e for e in timeline if e["kind"] == "action-succeeded"]
    assert ran["actor"] == "action:trigger-alerts"
    assert ran["message"] == "Components API set to major-outage."


def test_resolving_the_incident_puts_its_components_back_to_operational(
    owner, page_with_components, django_capture_on_commit_callbacks
):
    page, api_component, web = page_with_components
    body = incident_body(urgency="low", actions=[trigger_alerts(api_component, web)])
    with django_capture_on_commit_callbacks(execute=True):
        incident_id = owner.api.post(f"/v1/team/{owner.team.id}/incident", body).json()["id"]
    assert component_statuses(owner.api, page) == {"API": "degraded", "Web": "degraded"}

    with django_capture_on_commit_callbacks(execute=True):
        response = owner.api.put(f"/v1/incident/{incident_id}", {**body, "status": "resolved"})

    assert response.status_code == 200
    assert component_statuses(owner.api, page) == {"API": "operational", "Web": "operational"}


def test_an_action_added_by_an_update_runs(
    owner, page_with_components, django_capture_on_commit_callbacks
):
    page, api_component, _ = page_with_components
    incident = open_incident(owner.team, owner.user, urgency="medium")

    with django_capture_on_commit_callbacks(execute=True):
        body = incident_body(urgency="medium", actions=[trigger_alerts(api_component, id="")])
        assert owner.api.put(f"/v1/incident/{incident.id}", body).status_code == 200

    assert [a["state"] for a in owner.api.get(actions_path(incident)).json()] == ["succeeded"]
    assert component_statuses(owner.api, page)["API"] == "partial-outage"


def test_an_action_edited_by_an_update_moves_the_alert_to_the_new_component(
    owner, page_with_components, django_capture_on_commit_callbacks
):
    page, api_component, web = page_with_components
    body = incident_body(urgency="high", actions=[trigger_alerts(api_component)])
    with django_capture_on_commit_callbacks(execute=True):
        incident_id = owner.api.post(f"/v1/team/{owner.team.id}/incident", body).json()["id"]
    [action] = owner.api.get(f"/v1/incident/{incident_id}/actions").json()

    edited = incident_body(urgency="high", actions=[trigger_alerts(web, id=action["id"])])
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.api.put(f"/v1/incident/{incident_id}", edited).status_code == 200

    assert component_statuses(owner.api, page) == {"API": "operational", "Web": "major-outage"}
