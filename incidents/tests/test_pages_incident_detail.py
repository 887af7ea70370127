"""The incident detail page: fields, timeline, events, actions, holds, and the edit form."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Team
from incidents import services
from incidents.api import serializers
from incidents.models import Incident, IncidentEvent, TimelineEntry, TimelineKind
from incidents.tests.builders import make_incident, open_incident
from rulesets.tests.pipeline import create_ruleset, create_webhook, send
from webhooks.models import WebhookEvent
from webhooks.services import create_webhook as new_webhook

pytestmark = pytest.mark.django_db

FIRING = [{"type": "json-check", "key": "status", "operator": "equal", "values": ["firing"]}]


def url(incident) -> str:
    return f"/incidents/{incident.pk}"


def edit(incident, **overrides):
    return {
        "name": incident.name,
        "description": incident.description,
        "urgency": incident.urgency,
        **overrides,
    }


def test_the_detail_requires_sign_in(client, owner):
    incident = open_incident(owner.team, owner.user)

    response = client.get(url(incident))

    assert response.status_code == 302
    assert response["Location"].startswith("/login")


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organizations_incident_is_a_404(client, owner, outsider, method):
    incident = open_incident(owner.team, owner.user)
    client.force_login(outsider.user)

    response = getattr(client, method)(url(incident), edit(incident, name="Taken over"))

    assert response.status_code == 404
    incident.refresh_from_db()
    assert incident.name == "Checkout is down"


@pytest.mark.parametrize("incident_id", ["not-a-uuid", "6f1c2a4e-8d2b-4a55-9a3e-2b8f0c1d9e77"])
def test_an_unknown_or_malformed_id_is_a_404(client, owner, incident_id):
    client.force_login(owner.user)

    assert client.get(f"/incidents/{incident_id}").status_code == 404


def test_an_incident_opened_by_a_rule_shows_its_fields_timeline_event_action_and_hold(
    client, owner
):
    webhook = create_webhook(owner)
    page = owner.api.post("/v1/status-page", {"name": "Public"}).json()["id"]
    component = owner.api.post(f"/v1/status-page/{page}/component", {"name": "Checkout API"})
    ruleset = create_ruleset(
        owner, name="Checkout rule", conditions=FIRING, dedup_key="service", urgency="high"
    )
    owner.api.put(
        f"/v1/ruleset/{ruleset}/actions",
        {
            "actions": [
                {
                    "type": "trigger-alerts",
                    "settings": [{"status_page_id": page, "component_id": component.json()["id"]}],
                }
            ]
        },
        format="json",
    )
    send(webhook, {"status": "firing", "service": "checkout", "marker": "only-in-the-body"})
    incident = Incident.objects.get()
    client.force_login(owner.user)

    html = client.get(url(incident)).content.decode()

    assert f'<a href="/rulesets/{ruleset}" data-field="ruleset">Checkout rule</a>' in html
    assert "<code>checkout</code>" in html  # the dedup key
    assert "Opened by ruleset Checkout rule" in html  # the timeline
    # The latest alert, then folded under the timeline entry and the events.
    assert html.count("only-in-the-body") == 3
    assert "trigger-alerts" in html and "action-succeeded" in html
    assert "Public / Checkout API" in html  # the action's target
    assert "component-major-outage" in html  # the hold
    assert f'action="/incidents/{incident.pk}/acknowledge"' in html


def test_assignees_are_shown_by_name(client, owner, teammate):
    incident = open_incident(
        owner.team,
        owner.user,
        assignees=[
            {"type": "team", "id": str(owner.team.pk)},
            {"type": "team_member", "id": str(teammate.member.pk)},
        ],
    )
    client.force_login(owner.user)

    html = client.get(url(incident)).content.decode()

    assert "Ops, mate@acme.test (Ops)" in html


def test_editing_saves_through_the_service_and_records_who_did_it(client, owner, teammate):
    incident = open_incident(owner.team, owner.user, urgency="low")
    client.force_login(owner.user)

    response = client.post(
        url(incident),
        edit(
            incident,
            name="Checkout is slow",
            urgency="critical",
            assignees=[f"team_member:{teammate.member.pk}", f"team:{owner.team.pk}"],
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == url(incident)
    incident.refresh_from_db()
    assert (incident.name, incident.urgency) == ("Checkout is slow", "critical")
    assert incident.assignees == [
        {"type": "team_member", "id": str(teammate.member.pk)},
        {"type": "team", "id": str(owner.team.pk)},
    ]
    edited = incident.timeline.get(kind=TimelineKind.EDITED)
    assert edited.actor_user == owner.user
    assert "name" in edited.message and "urgency" in edited.message


def test_saving_an_unchanged_form_records_nothing(client, owner):
    incident = open_incident(owner.team, owner.user)
    client.force_login(owner.user)

    client.post(url(incident), edit(incident))

    assert not incident.timeline.filter(kind=TimelineKind.EDITED).exists()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("name", "   ", "This field is required."),
        ("name", "x" * 501, "at most 500 characters"),
        ("name", "nul\x00byte", "Null characters are not allowed."),
        ("urgency", "apocalyptic", "Select a valid choice."),
        ("assignees", "team:6f1c2a4e-8d2b-4a55-9a3e-2b8f0c1d9e77", "Select a valid choice."),
        ("assignees", "nonsense", "Select a valid choice."),
    ],
)
def test_bad_input_is_a_visible_form_error_and_changes_nothing(client, owner, field, value, error):
    incident = open_incident(owner.team, owner.user)
    client.force_login(owner.user)

    response = client.post(url(incident), edit(incident, **{field: value}))

    assert response.status_code == 422
    assert error in response.content.decode()
    assert not incident.timeline.filter(kind=TimelineKind.EDITED).exists()


def test_another_organizations_team_is_not_an_assignee_choice(client, owner, outsider):
    incident = open_incident(owner.team, owner.user)
    client.force_login(owner.user)

    html = client.get(url(incident)).content.decode()
    response = client.post(url(incident), edit(incident, assignees=[f"team:{outsider.team.pk}"]))

    assert str(outsider.team.pk) not in html
    assert response.status_code == 422
    incident.refresh_from_db()
    assert incident.assignees == []


def test_the_api_serializer_decides_too(client, owner, monkeypatch):
    """An assignee the select offered but the API's check refuses (say the team was deleted
    meanwhile) is a form error, not a 500."""
    incident = open_incident(owner.team, owner.user)
    monkeypatch.setattr(
        serializers,
        "check_assignees",
        lambda assignees, organization: {0: {"id": ["no such team in your organization"]}},
    )
    client.force_login(owner.user)

    response = client.post(url(incident), edit(incident, assignees=[f"team:{owner.team.pk}"]))

    assert response.status_code == 422
    assert "no such team in your organization" in response.content.decode()


def test_acknowledging_from_the_detail_comes_back_to_it(client, owner):
    incident = open_incident(owner.team, owner.user)
    client.force_login(owner.user)

    response = client.post(f"{url(incident)}/acknowledge", {"next": url(incident)})

    assert response["Location"] == url(incident)
    incident.refresh_from_db()
    assert incident.status == "acknowledged"


def test_a_resolved_incident_offers_no_transition(client, owner):
    incident = open_incident(owner.team, owner.user)
    services.resolve(incident, by=owner.user)
    client.force_login(owner.user)

    html = client.get(url(incident)).content.decode()

    assert "/acknowledge" not in html and "/resolve" not in html
    assert "Resolved by owner@acme.test" in html


def long_history(team, *, entries: int, events: int) -> Incident:
    """An incident with ``entries`` timeline entries, each referencing one of ``events`` events."""
    incident = make_incident(team, name="Flapping disk", event_count=events)
    webhook = new_webhook(team.organization, name="disk")
    start = timezone.now() - timedelta(days=1)
    stored = WebhookEvent.objects.bulk_create(
        WebhookEvent(
            webhook=webhook,
            received_at=start + timedelta(seconds=n),
            body=b'{"disk": "full", "n": %d}' % n,
            headers={"Content-Type": "application/json"},
            evaluation={"rulesets": []},
        )
        for n in range(events)
    )
    IncidentEvent.objects.bulk_create(IncidentEvent(incident=incident, event=e) for e in stored)
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            incident=incident,
            kind=TimelineKind.EVENT_ATTACHED,
            created_at=start + timedelta(seconds=n),
            actor="ruleset:Disk",
            message=f"Event attached #{n}",
            data={"event_id": str(stored[n % events].pk)},
        )
        for n in range(entries)
    )
    return incident


def test_a_long_timeline_is_capped_with_a_note_in_a_bounded_number_of_queries(
    client, owner, django_assert_max_num_queries
):
    incident = long_history(owner.team, entries=650, events=650)
    client.force_login(owner.user)

    # + who acknowledged or is paged now, the incidents merged into it, the merge candidates,
    # and 3 for the status-page control
    with django_assert_max_num_queries(18):
        response = client.get(url(incident))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Showing the latest 500 entries" in html
    assert html.count('data-kind="event-attached"') == 500
    assert "Event attached #649" in html and "Event attached #149" not in html
    assert html.count('class="card event"') == 50  # the latest 50 events
    assert "latest 50 of 650" in html


def test_a_timeline_of_exactly_the_cap_has_no_note(client, owner):
    incident = long_history(owner.team, entries=500, events=1)
    client.force_login(owner.user)

    html = client.get(url(incident)).content.decode()

    assert html.count('data-kind="event-attached"') == 500
    assert "Showing the latest" not in html


def test_the_query_count_does_not_grow_with_the_timeline(client, owner, django_assert_num_queries):
    short = long_history(owner.team, entries=3, events=3)
    client.force_login(owner.user)
    client.get(url(short))  # the session is warm for both counts
    with CaptureQueriesContext(connection) as few:
        client.get(url(short))
    longer = long_history(owner.team, entries=400, events=400)

    with django_assert_num_queries(len(few)):
        client.get(url(longer))


def test_bodies_that_are_not_json_or_are_large_are_shown_safely(client, owner):
    incident = long_history(owner.team, entries=0, events=0)
    hook = new_webhook(owner.organization, name="odd")
    bodies = [
        b"\xff\xfe not utf-8 <script>alert(1)</script>",
        b'{"lone": "\\ud800"}',
        b"[" * 5000 + b"]" * 5000,
        b'{"big": "' + b"x" * 40_000 + b'"}',
    ]
    for body in bodies:
        event = WebhookEvent.objects.create(webhook=hook, body=body)
        IncidentEvent.objects.create(incident=incident, event=event)
    client.force_login(owner.user)

    response = client.get(url(incident))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "Showing the first 16.0\xa0KB" in html


def test_the_escalation_policy_is_chosen_among_the_teams_and_restarts_the_chain(
    client, owner, outsider
):
    from escalation.tests.builders import create_policy

    incident = open_incident(owner.team, owner.user)
    other_team = owner.api.post("/v1/team", {"name": "Payments"}).json()["id"]
    chosen = create_policy(owner, (5, []), name="Slow chain")
    foreign = create_policy(owner, (0, []), name="Payments chain", team=Team(pk=other_team))
    client.force_login(owner.user)

    html = client.get(url(incident)).content.decode()
    assert "Slow chain" in html and "Payments chain" not in html
    refused = client.post(url(incident), edit(incident, escalation_policy_id=foreign))
    assert refused.status_code == 422 and "Select a valid choice." in refused.content.decode()
    kept = client.post(url(incident), edit(incident))
    assert kept.status_code == 302

    response = client.post(url(incident), edit(incident, escalation_policy_id=chosen))

    assert response.status_code == 302
    escalation = owner.api.get(f"/v1/incident/{incident.pk}").json()["escalation"]
    assert escalation["policy_id"] == chosen
    assert (escalation["cycle"], escalation["step"]) == (2, 0), "restarted at step 1"
