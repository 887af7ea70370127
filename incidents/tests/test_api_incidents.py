"""POST /v1/team/{id}/incident and GET /v1/incident/{id}."""

import uuid

import pytest

from incidents.models import Incident, IncidentAction, TimelineEntry
from incidents.tests.builders import incident_body, make_incident
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
from rulesets.tests.builders import make_team
from statuspages.tests.builders import (
    alert_setting,
    make_component,
    make_status_page,
    trigger_alerts,
)

pytestmark = pytest.mark.django_db


def create_path(team) -> str:
    return f"/v1/team/{team.id}/incident"


def path(incident) -> str:
    return f"/v1/incident/{incident.id}"


@pytest.fixture
def component(owner):
    return make_component(make_status_page(owner.organization, "Public"), "API")


# --------------------------------------------------------------------------- authentication


@pytest.mark.parametrize("header", [None, BAD_TOKEN], ids=["none", "bad"])
def test_create_answers_401_without_a_valid_token(owner, anonymous, header):
    if header:
        anonymous.credentials(HTTP_AUTHORIZATION=header)
    assert_unauthorized(anonymous.post(create_path(owner.team), incident_body()))
    assert not Incident.objects.exists()


@pytest.mark.parametrize("header", [None, BAD_TOKEN], ids=["none", "bad"])
def test_read_answers_401_without_a_valid_token(owner, anonymous, header):
    incident = make_incident(owner.team)
    if header:
        anonymous.credentials(HTTP_AUTHORIZATION=header)
    assert_unauthorized(anonymous.get(path(incident)))


# --------------------------------------------------------------------------- create


def test_create_answers_201_and_opens_a_triggered_incident(owner, teammate):
    assignees = [
        {"type": "team", "id": str(owner.team.id)},
        {"type": "team_member", "id": str(teammate.member.id)},
    ]

    response = owner.api.post(create_path(owner.team), incident_body(assignees=assignees))

    assert response.status_code == 201
    assert set(response.json()) == {"id"}
    incident = Incident.objects.get(pk=response.json()["id"])
    assert incident.organization == owner.organization
    assert incident.team == owner.team
    assert (incident.name, incident.description, incident.urgency) == (
        "Checkout is down",
        "Payments time out",
        "high",
    )
    assert incident.status == "triggered"
    assert incident.assignees == assignees
    assert incident.ruleset is None
    assert incident.created_by == owner.user
    assert incident.acknowledged_at is None and incident.resolved_at is None


def test_create_records_who_opened_the_incident_on_its_timeline(owner):
    incident_id = owner.api.post(create_path(owner.team), incident_body()).json()["id"]
    [entry] = TimelineEntry.objects.filter(incident_id=incident_id, kind="created")
    assert (entry.kind, entry.actor, entry.actor_user) == ("created", "owner@acme.test", owner.user)


def test_a_created_incident_is_readable_and_listed_for_its_team(owner):
    incident_id = owner.api.post(create_path(owner.team), incident_body()).json()["id"]

    read = owner.api.get(f"/v1/incident/{incident_id}").json()
    listed = owner.api.get(f"/v1/team/{owner.team.id}/incidents").json()

    assert read["name"] == "Checkout is down"
    assert read["status"] == "triggered"
    assert [i["id"] for i in listed] == [incident_id]
    # One incident's answer adds its ruleset's alert fields (none here) to the list's items.
    assert listed[0] | {"fields": [], "fields_note": ""} == read


def test_create_stores_the_actions_pending_with_an_id_for_every_setting(owner, component):
    body = incident_body(actions=[trigger_alerts(component), trigger_alerts(component, id="")])

    incident_id = owner.api.post(create_path(owner.team), body).json()["id"]

    actions = list(IncidentAction.objects.filter(incident_id=incident_id).order_by("position"))
    assert [a.type for a in actions] == ["trigger-alerts", "trigger-alerts"]
    assert [a.state for a in actions] == ["pending", "pending"]
    setting = actions[0].settings[0]
    assert setting["component_id"] == str(component.id)
    assert setting["status_page_id"] == str(component.status_page_id)
    assert uuid.UUID(setting["id"])


def test_create_accepts_an_incident_without_assignees_or_actions(owner):
    response = owner.api.post(create_path(owner.team), incident_body(description=""))
    assert response.status_code == 201
    incident = Incident.objects.get()
    assert (incident.assignees, incident.description) == ([], "")
    assert not incident.actions.exists()


@pytest.mark.parametrize("urgency", ["low", "medium", "high", "critical"])
def test_create_accepts_every_urgency(owner, urgency):
    assert (
        owner.api.post(create_path(owner.team), incident_body(urgency=urgency)).status_code == 201
    )
    assert Incident.objects.get().urgency == urgency


def test_a_plain_member_opens_an_incident_for_their_team(owner, teammate):
    response = teammate.api.post(create_path(teammate.team), incident_body())
    assert response.status_code == 201
    assert Incident.objects.get().created_by == teammate.user


def test_outsider_cannot_open_an_incident_for_another_orgs_team(owner, outsider):
    assert_not_found(outsider.api.post(create_path(owner.team), incident_body()))
    assert not Incident.objects.exists()


def test_outsider_gets_404_not_422_for_another_orgs_team(owner, outsider):
    assert_not_found(outsider.api.post(create_path(owner.team), {"name": None}, format="json"))


@pytest.mark.parametrize("team_id", [MALFORMED_ID, UNKNOWN_ID])
def test_create_answers_404_for_a_malformed_or_unknown_team_id(owner, team_id):
    assert_not_found(owner.api.post(f"/v1/team/{team_id}/incident", incident_body()))
    assert not Incident.objects.exists()


def test_create_rejects_an_assignee_of_another_org(owner, outsider):
    assignees = [
        {"type": "team", "id": str(owner.team.id)},
        {"type": "team_member", "id": str(outsider.member.id)},
    ]
    errors = assert_invalid(
        owner.api.post(create_path(owner.team), incident_body(assignees=assignees)),
        "assignees.1.id",
    )
    assert set(errors) == {"assignees.1.id"}
    assert errors["assignees.1.id"] == ["no such team member in your organization"]
    assert not Incident.objects.exists()


def test_create_rejects_a_component_of_another_org(owner, outsider, component):
    theirs = make_component(make_status_page(outsider.organization), "Globex")
    body = incident_body(actions=[trigger_alerts(theirs), trigger_alerts(component)])
    errors = assert_invalid(
        owner.api.post(create_path(owner.team), body), "actions.0.settings.0.component_id"
    )
    assert set(errors) == {"actions.0.settings.0.component_id"}
    assert not Incident.objects.exists()
    assert not IncidentAction.objects.exists()


def test_create_rejects_a_component_on_another_status_page(owner, component):
    other = make_status_page(owner.organization, "Internal")
    setting = alert_setting(component, status_page_id=str(other.id))
    body = incident_body(actions=[{"type": "trigger-alerts", "settings": [setting]}])
    errors = assert_invalid(
        owner.api.post(create_path(owner.team), body), "actions.0.settings.0.status_page_id"
    )
    assert errors["actions.0.settings.0.status_page_id"] == [
        "the component is not on this status page"
    ]


def test_create_rejects_an_action_id_it_does_not_know(owner):
    body = incident_body(actions=[{"id": UNKNOWN_ID, "type": "trigger-alerts", "settings": []}])
    assert_invalid(owner.api.post(create_path(owner.team), body), "actions.0.id")
    assert not Incident.objects.exists()


BAD_FIELDS = [
    ({"name": ""}, "name"),
    ({"name": None}, "name"),
    ({"name": 500}, "name"),
    ({"name": ["x"]}, "name"),
    ({"name": "x" * 501}, "name"),
    ({"description": None}, "description"),
    ({"description": 1.5}, "description"),
    ({"description": {"text": "x"}}, "description"),
    ({"urgency": "urgent"}, "urgency"),
    ({"urgency": None}, "urgency"),
    ({"urgency": 3}, "urgency"),
    ({"assignees": "team"}, "assignees"),
    ({"assignees": None}, "assignees"),
    ({"assignees": {"type": "team"}}, "assignees"),
    ({"assignees": ["team"]}, "assignees.0"),
    ({"assignees": [{"type": "squad", "id": UNKNOWN_ID}]}, "assignees.0.type"),
    ({"assignees": [{"type": "team", "id": "nope"}]}, "assignees.0.id"),
    ({"assignees": [{"type": "team", "id": UNKNOWN_ID}]}, "assignees.0.id"),
    ({"assignees": [{"type": "team", "id": None}]}, "assignees.0.id"),
    ({"actions": "trigger-alerts"}, "actions"),
    ({"actions": None}, "actions"),
    ({"actions": [42]}, "actions.0"),
    ({"actions": [{"type": "page-someone", "settings": []}]}, "actions.0.type"),
    ({"actions": [{"type": "trigger-alerts", "settings": "x"}]}, "actions.0.settings"),
    ({"actions": [{"type": "trigger-alerts", "settings": [1]}]}, "actions.0.settings.0"),
    (
        {"actions": [{"type": "trigger-alerts", "settings": [{"component_id": "x"}]}]},
        "actions.0.settings.0.component_id",
    ),
]


@pytest.mark.parametrize(("change", "field"), BAD_FIELDS)
def test_create_answers_422_naming_the_bad_field(owner, change, field):
    response = owner.api.post(create_path(owner.team), incident_body(**change), format="json")
    assert_invalid(response, field)
    assert not Incident.objects.exists()


@pytest.mark.parametrize("field", ["name", "description", "urgency"])
def test_create_answers_422_when_a_required_field_is_missing(owner, field):
    body = incident_body()
    del body[field]
    errors = assert_invalid(owner.api.post(create_path(owner.team), body), field)
    assert errors[field] == ["This field is required."]


def test_create_names_every_bad_field_at_once(owner):
    body = {"name": "", "urgency": "meh", "assignees": "all"}
    assert_invalid(
        owner.api.post(create_path(owner.team), body),
        "name",
        "description",
        "urgency",
        "assignees",
    )


@pytest.mark.parametrize(
    "raw",
    [
        b"{nope",
        b"",
        b"[]",
        b'"incident"',
        b"null",
        b'{"name": Infinity}',
        b'{"name": 1e999}',
        b'{"name": 1' + b"0" * 5000 + b"}",
        b'{"name": "\\ud800"}',
        b"\xff\xfe",
        deeply_nested(),
    ],
    ids=[
        "malformed",
        "empty",
        "array",
        "string",
        "null",
        "infinity",
        "overflow",
        "huge-int",
        "lone-surrogate",
        "not-utf8",
        "deep",
    ],
)
def test_create_answers_422_for_a_body_that_is_not_an_incident_object(owner, raw):
    response = send_raw(owner.api, "POST", create_path(owner.team), raw)
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"message", "errors"}
    assert not Incident.objects.exists()


# --------------------------------------------------------------------------- read


def test_read_answers_the_incident(owner):
    other_team = make_team(owner.organization, "Payments")
    incident = make_incident(
        other_team, name="DB slow", description="p99 2s", urgency="low", status="acknowledged"
    )

    response = owner.api.get(path(incident))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(incident.id)
    assert body["team_id"] == str(other_team.id)
    assert (body["name"], body["description"], body["urgency"], body["status"]) == (
        "DB slow",
        "p99 2s",
        "low",
        "acknowledged",
    )
    assert body["created_at"].endswith("Z")


def test_a_plain_member_reads_an_incident_of_their_organization(owner, teammate):
    incident = make_incident(owner.team, name="Seen")
    assert teammate.api.get(path(incident)).json()["name"] == "Seen"


def test_outsider_cannot_read_another_orgs_incident(owner, outsider):
    assert_not_found(outsider.api.get(path(make_incident(owner.team))))


@pytest.mark.parametrize("incident_id", [MALFORMED_ID, UNKNOWN_ID, "12"])
def test_read_answers_404_for_a_malformed_or_unknown_id(owner, incident_id):
    make_incident(owner.team)
    assert_not_found(owner.api.get(f"/v1/incident/{incident_id}"))
