"""PUT /v1/incident/{id}: edits, assignees, actions upserted by id, and the status lifecycle."""

import pytest

from incidents.models import Incident, IncidentAction, TimelineEntry
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
    assert_invalid,
    assert_not_found,
    assert_unauthorized,
    deeply_nested,
    send_raw,
)
from statuspages.tests.builders import (
    alert_setting,
    make_component,
    make_status_page,
    trigger_alerts,
)

pytestmark = pytest.mark.django_db


def path(incident) -> str:
    return f"/v1/incident/{incident.id}"


LIFECYCLE = ("created", "edited", "acknowledged", "resolved")


def kinds(incident) -> list[str]:
    """The lifecycle entries of the timeline (notifications and actions left out)."""
    timeline = incident.timeline.filter(kind__in=LIFECYCLE).order_by("created_at", "id")
    return list(timeline.values_list("kind", flat=True))


@pytest.fixture
def incident(owner):
    """A triggered incident of the owner's team, opened by the owner (so it has a timeline)."""
    return open_incident(owner.team, owner.user, name="Checkout is down", urgency="high")


@pytest.fixture
def component(owner):
    return make_component(make_status_page(owner.organization, "Public"), "API")


def assert_updated(response) -> None:
    assert response.status_code == 200, response.content
    assert response.json() == {"message": "Incident updated."}


# --------------------------------------------------------------------------- authentication


@pytest.mark.parametrize(
    "header", [None, BAD_TOKEN, "Basic dXNlcjpwYXNz"], ids=["none", "bad", "basic"]
)
def test_update_answers_401_without_a_valid_token(anonymous, incident, header):
    if header:
        anonymous.credentials(HTTP_AUTHORIZATION=header)
    assert_unauthorized(anonymous.put(path(incident), incident_body(name="Hijacked")))
    incident.refresh_from_db()
    assert incident.name == "Checkout is down"


# --------------------------------------------------------------------------- fields


def test_update_edits_name_description_and_urgency(owner, incident):
    body = incident_body(name="Checkout degraded", description="Only EU", urgency="low")

    assert_updated(owner.api.put(path(incident), body))

    incident.refresh_from_db()
    assert (incident.name, incident.description, incident.urgency) == (
        "Checkout degraded",
        "Only EU",
        "low",
    )
    assert incident.status == "triggered"
    assert incident.updated_at > incident.created_at


def test_an_edit_is_on_the_timeline_with_what_changed_and_who_changed_it(owner, teammate, incident):
    body = incident_body(name="Checkout degraded", urgency="low")

    assert_updated(teammate.api.put(path(incident), body))

    entry = incident.timeline.get(kind="edited")
    assert (entry.actor, entry.actor_user) == ("mate@acme.test", teammate.user)
    assert entry.data == {
        "name": {"from": "Checkout is down", "to": "Checkout degraded"},
        "urgency": {"from": "high", "to": "low"},
    }


def test_an_update_that_changes_nothing_records_no_edit(owner, incident):
    assert_updated(owner.api.put(path(incident), incident_body(name="Checkout is down")))
    assert kinds(incident) == ["created"]


def test_update_keeps_the_assignees_when_they_are_left_out(owner, teammate):
    assignees = [{"type": "team_member", "id": str(teammate.member.id)}]
    incident = open_incident(owner.team, owner.user, assignees=assignees)
    assert_updated(owner.api.put(path(incident), incident_body(name="Renamed")))
    incident.refresh_from_db()
    assert incident.assignees == assignees


def test_update_replaces_the_assignees_given(owner, teammate, incident):
    assignees = [
        {"type": "team_member", "id": str(teammate.member.id)},
        {"type": "team", "id": str(owner.team.id)},
    ]
    assert_updated(owner.api.put(path(incident), incident_body(assignees=assignees)))
    incident.refresh_from_db()
    assert incident.assignees == assignees
    assert incident.timeline.get(kind="edited").data["assignees"]["to"] == assignees


def test_update_with_no_assignees_clears_them(owner, teammate):
    incident = open_incident(
        owner.team, owner.user, assignees=[{"type": "team", "id": str(owner.team.id)}]
    )
    assert_updated(owner.api.put(path(incident), incident_body(assignees=[])))
    incident.refresh_from_db()
    assert incident.assignees == []


def test_update_rejects_an_assignee_of_another_org(owner, outsider, incident):
    body = incident_body(name="Renamed", assignees=[{"type": "team", "id": str(outsider.team.id)}])
    errors = assert_invalid(owner.api.put(path(incident), body), "assignees.0.id")
    assert errors["assignees.0.id"] == ["no such team in your organization"]
    incident.refresh_from_db()
    assert (incident.name, incident.assignees) == ("Checkout is down", [])


def test_a_plain_member_edits_an_incident_of_their_team(teammate, incident):
    assert_updated(teammate.api.put(path(incident), incident_body(name="By a teammate")))
    incident.refresh_from_db()
    assert incident.name == "By a teammate"


# --------------------------------------------------------------------------- actions


def test_update_creates_an_action_for_an_empty_id(owner, incident, component):
    body = incident_body(actions=[{**trigger_alerts(component), "id": ""}])

    assert_updated(owner.api.put(path(incident), body))

    action = incident.actions.get()
    assert action.type == "trigger-alerts"
    assert action.state == "pending"
    assert action.settings[0]["component_id"] == str(component.id)
    assert action.settings[0]["id"]


def test_update_upserts_actions_by_id_and_keeps_the_ones_left_out(owner, incident, component):
    edited = make_incident_action(incident, [], position=0)
    untouched = make_incident_action(incident, [{"id": "keep"}], position=1)
    setting = alert_setting(component, id="")
    body = incident_body(
        actions=[
            {"id": str(edited.id), "type": "trigger-alerts", "settings": [setting]},
            {"id": "", "type": "trigger-alerts", "settings": [setting]},
        ]
    )

    assert_updated(owner.api.put(path(incident), body))

    edited.refresh_from_db()
    assert edited.settings[0]["component_id"] == str(component.id)
    assert IncidentAction.objects.get(pk=untouched.pk).settings == [{"id": "keep"}]
    assert incident.actions.count() == 3


def test_update_without_actions_leaves_them_alone(owner, incident):
    action = make_incident_action(incident, [{"id": "s"}])
    assert_updated(owner.api.put(path(incident), incident_body()))
    assert list(incident.actions.all()) == [action]


def test_update_rejects_the_action_id_of_another_incident_and_changes_nothing(owner, incident):
    other = make_incident(owner.team, name="Other")
    theirs = make_incident_action(other)
    body = incident_body(
        name="Renamed", actions=[{"id": str(theirs.id), "type": "trigger-alerts", "settings": []}]
    )

    errors = assert_invalid(owner.api.put(path(incident), body), "actions.0.id")

    assert errors["actions.0.id"] == ["no such action"]
    incident.refresh_from_db()
    assert incident.name == "Checkout is down"
    assert kinds(incident) == ["created"]
    assert list(other.actions.all()) == [theirs]


def test_update_rejects_a_component_of_another_org(owner, outsider, incident):
    theirs = make_component(make_status_page(outsider.organization), "Globex")
    body = incident_body(actions=[trigger_alerts(theirs)])
    errors = assert_invalid(
        owner.api.put(path(incident), body), "actions.0.settings.0.component_id"
    )
    assert errors["actions.0.settings.0.component_id"] == ["no such component in your organization"]
    assert not incident.actions.exists()


# --------------------------------------------------------------------------- status


def test_acknowledging_stamps_the_time_and_records_who(owner, teammate, incident):
    assert_updated(teammate.api.put(path(incident), incident_body(status="acknowledged")))

    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    assert incident.acknowledged_at is not None and incident.resolved_at is None
    entry = incident.timeline.get(kind="acknowledged")
    assert (entry.actor, entry.actor_user) == ("mate@acme.test", teammate.user)
    read = owner.api.get(path(incident)).json()
    assert read["status"] == "acknowledged"
    assert read["acknowledged_at"].endswith("Z")


def test_two_acknowledgements_in_a_row_record_one_transition(owner, teammate, incident):
    assert_updated(owner.api.put(path(incident), incident_body(status="acknowledged")))
    incident.refresh_from_db()
    first_ack = incident.acknowledged_at

    assert_updated(teammate.api.put(path(incident), incident_body(status="acknowledged")))

    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    assert incident.acknowledged_at == first_ack
    assert kinds(incident) == ["created", "acknowledged"]
    assert incident.timeline.get(kind="acknowledged").actor == "owner@acme.test"


def test_resolving_an_acknowledged_incident(owner, incident):
    assert_updated(owner.api.put(path(incident), incident_body(status="acknowledged")))
    assert_updated(owner.api.put(path(incident), incident_body(status="resolved")))

    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.acknowledged_at < incident.resolved_at
    assert kinds(incident) == ["created", "acknowledged", "resolved"]


def test_resolving_straight_from_triggered_is_allowed(owner, incident):
    assert_updated(owner.api.put(path(incident), incident_body(status="resolved")))
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.acknowledged_at is None and incident.resolved_at is not None
    assert kinds(incident) == ["created", "resolved"]


def test_acknowledging_a_resolved_incident_is_a_409_and_changes_nothing(owner, incident):
    assert_updated(owner.api.put(path(incident), incident_body(status="resolved")))

    response = owner.api.put(path(incident), incident_body(name="Reopen?", status="acknowledged"))

    assert response.status_code == 409
    assert response.json() == {"message": "a resolved incident stays resolved"}
    incident.refresh_from_db()
    assert (incident.status, incident.name) == ("resolved", "Checkout is down")
    assert incident.acknowledged_at is None
    assert kinds(incident) == ["created", "resolved"]


def test_resolving_a_resolved_incident_again_records_nothing_new(owner, incident):
    assert_updated(owner.api.put(path(incident), incident_body(status="resolved")))
    incident.refresh_from_db()
    resolved_at = incident.resolved_at

    assert_updated(owner.api.put(path(incident), incident_body(status="resolved")))

    incident.refresh_from_db()
    assert incident.resolved_at == resolved_at
    assert kinds(incident) == ["created", "resolved"]


def test_an_edit_and_a_status_change_in_one_request_are_both_recorded(owner, incident):
    body = incident_body(urgency="critical", status="acknowledged")
    assert_updated(owner.api.put(path(incident), body))
    incident.refresh_from_db()
    assert (incident.urgency, incident.status) == ("critical", "acknowledged")
    assert kinds(incident) == ["created", "edited", "acknowledged"]


@pytest.mark.parametrize("status", ["triggered", "closed", "", None, 1, ["resolved"]])
def test_update_answers_422_for_a_status_outside_acknowledged_and_resolved(owner, incident, status):
    response = owner.api.put(path(incident), incident_body(status=status), format="json")
    assert_invalid(response, "status")
    incident.refresh_from_db()
    assert incident.status == "triggered"


# --------------------------------------------------------------------------- 404 and 422


def test_outsider_cannot_update_another_orgs_incident(outsider, incident):
    body = incident_body(name="Hijacked", status="resolved")
    assert_not_found(outsider.api.put(path(incident), body))
    incident.refresh_from_db()
    assert (incident.name, incident.status) == ("Checkout is down", "triggered")
    assert kinds(incident) == ["created"]


def test_outsider_gets_404_not_422_for_another_orgs_incident(outsider, incident):
    assert_not_found(outsider.api.put(path(incident), {"name": None}, format="json"))


@pytest.mark.parametrize("incident_id", [MALFORMED_ID, UNKNOWN_ID])
def test_update_answers_404_for_a_malformed_or_unknown_id(owner, incident_id):
    assert_not_found(owner.api.put(f"/v1/incident/{incident_id}", incident_body()))


@pytest.mark.parametrize("field", ["name", "description", "urgency"])
def test_update_answers_422_when_a_required_field_is_missing(owner, incident, field):
    body = incident_body(name="Renamed", urgency="low")
    del body[field]
    errors = assert_invalid(owner.api.put(path(incident), body), field)
    assert errors[field] == ["This field is required."]
    incident.refresh_from_db()
    assert (incident.name, incident.urgency) == ("Checkout is down", "high")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": 7}, "name"),
        ({"description": ["x"]}, "description"),
        ({"urgency": "panic"}, "urgency"),
        ({"assignees": "everyone"}, "assignees"),
        ({"assignees": [{"type": "team", "id": UNKNOWN_ID}]}, "assignees.0.id"),
        ({"actions": {"id": ""}}, "actions"),
        (
            {"actions": [{"id": UNKNOWN_ID, "type": "trigger-alerts", "settings": []}]},
            "actions.0.id",
        ),
        ({"actions": [{"id": None, "type": "trigger-alerts", "settings": []}]}, "actions.0.id"),
        ({"actions": [{"type": "trigger-alerts", "settings": None}]}, "actions.0.settings"),
    ],
)
def test_update_answers_422_naming_the_bad_field_and_changes_nothing(
    owner, incident, change, field
):
    body = incident_body(**{"name": "Renamed", **change})
    assert_invalid(owner.api.put(path(incident), body, format="json"), field)
    incident.refresh_from_db()
    assert incident.name == "Checkout is down"
    assert not incident.actions.exists()


@pytest.mark.parametrize(
    "raw",
    [b"{nope", b"", b"[]", b"3", deeply_nested()],
    ids=["bad", "empty", "list", "number", "deep"],
)
def test_update_answers_422_for_a_body_that_is_not_an_object(owner, incident, raw):
    response = send_raw(owner.api, "PUT", path(incident), raw)
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"message", "errors"}


# --------------------------------------------------------------------------- lifecycle


def test_the_timeline_follows_the_lifecycle_with_each_actor(owner, teammate):
    incident_id = owner.api.post(f"/v1/team/{owner.team.id}/incident", incident_body()).json()["id"]
    incident = Incident.objects.get(pk=incident_id)

    assert_updated(owner.api.put(path(incident), incident_body(name="Renamed")))
    assert_updated(
        teammate.api.put(path(incident), incident_body(name="Renamed", status="acknowledged"))
    )
    assert_updated(owner.api.put(path(incident), incident_body(name="Renamed", status="resolved")))

    timeline = owner.api.get(f"/v1/incident/{incident_id}/timeline").json()
    assert [(e["kind"], e["actor"]) for e in timeline if e["kind"] in LIFECYCLE] == [
        ("created", "owner@acme.test"),
        ("edited", "owner@acme.test"),
        ("acknowledged", "mate@acme.test"),
        ("resolved", "owner@acme.test"),
    ]
    assert TimelineEntry.objects.filter(incident=incident, kind__in=LIFECYCLE).count() == 4
