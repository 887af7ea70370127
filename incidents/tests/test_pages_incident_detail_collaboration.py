"""The incident page for a team: notes, responders added or reassigned, duplicates merged, the
latest alert shown plainly (SNS's JSON inside its Message string as JSON)."""

import json

import pytest

from audit.models import AuditRecord
from incidents.models import Incident, TimelineKind
from incidents.tests.builders import make_incident
from rulesets.tests.pipeline import create_ruleset, create_webhook, payload, send

pytestmark = pytest.mark.django_db


def url(incident, action: str = "") -> str:
    return f"/incidents/{incident.pk}" + (f"/{action}" if action else "")


def test_a_note_from_the_page_is_on_the_timeline_with_its_author_and_audited(client, teammate):
    incident = make_incident(teammate.team)
    client.force_login(teammate.user)

    response = client.post(url(incident, "note"), {"text": "Rolled back.\nWatching."})

    assert response.status_code == 302 and response["Location"] == url(incident) + "#timeline"
    note = incident.timeline.get(kind=TimelineKind.NOTE)
    assert (note.actor_user, note.message) == (teammate.user, "Rolled back.\nWatching.")
    assert AuditRecord.objects.filter(object_type="incident-note").count() == 1
    html = client.get(url(incident)).content.decode()
    assert 'data-kind="note"' in html and "Rolled back.\nWatching." in html


def test_an_empty_note_is_refused_with_a_message(client, owner):
    incident = make_incident(owner.team)
    client.force_login(owner.user)

    html = client.post(url(incident, "note"), {"text": "  "}, follow=True).content.decode()

    assert "The note was not added: text:" in html
    assert not incident.timeline.exists()


def test_a_responder_is_added_and_paged_or_the_incident_reassigned(client, owner, teammate):
    incident = make_incident(
        owner.team, assignees=[{"type": "team_member", "id": str(owner.member.pk)}]
    )
    client.force_login(owner.user)
    mate = f"team_member:{teammate.member.pk}"

    client.post(url(incident, "responders"), {"assignee": mate, "mode": "add"})

    incident.refresh_from_db()
    assert [a["id"] for a in incident.assignees] == [str(owner.member.pk), str(teammate.member.pk)]
    assert incident.timeline.filter(kind=TimelineKind.EDITED).exists()

    client.post(url(incident, "responders"), {"assignee": mate, "mode": "reassign"})

    incident.refresh_from_db()
    assert incident.assignees == [{"type": "team_member", "id": str(teammate.member.pk)}]


@pytest.mark.parametrize(
    "value", ["", "team:not-a-uuid", "robot:6f1c2a4e-8d2b-4a55-9a3e-2b8f0c1d9e77"]
)
def test_a_responder_not_of_the_organization_is_refused(client, owner, outsider, value):
    incident = make_incident(owner.team)
    client.force_login(owner.user)

    for choice in (value, f"team_member:{outsider.member.pk}"):
        html = client.post(url(incident, "responders"), {"assignee": choice}, follow=True)
        assert "Choose a person or team of your organization." in html.content.decode()
    incident.refresh_from_db()
    assert incident.assignees == []


def test_duplicates_ticked_on_the_page_are_merged_into_it(client, owner, outsider):
    target = make_incident(owner.team, name="Checkout is down")
    duplicate = make_incident(owner.team, name="Checkout 502s")
    foreign = make_incident(outsider.team, name="Globex")
    client.force_login(owner.user)
    html = client.get(url(target)).content.decode()
    assert f'value="{duplicate.pk}"' in html and "Globex" not in html

    refused = client.post(url(target, "merge"), {"incident_id": [str(foreign.pk)]}, follow=True)
    assert "Nothing was merged: incident_ids.0: no such incident" in refused.content.decode()

    html = client.post(url(target, "merge"), {"incident_id": [str(duplicate.pk)]}, follow=True)

    assert "Merged 1 incident(s) into this one." in html.content.decode()
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == ("resolved", target)
    pointer = client.get(url(duplicate)).content.decode()
    assert f'<a href="/incidents/{target.pk}">Checkout is down</a>' in pointer


def test_the_latest_alert_shows_snss_message_as_json(client, owner):
    webhook = create_webhook(owner)
    create_ruleset(
        owner,
        conditions=[
            {
                "type": "json-check",
                "key": "Message.NewStateValue",
                "operator": "equal",
                "values": ["ALARM"],
            }
        ],
    )
    send(webhook, payload("aws_sns_cloudwatch_alarm_notification.json"), content_type="text/plain")
    incident = Incident.objects.get()
    client.force_login(owner.user)

    html = client.get(url(incident)).content.decode()

    alert = html[html.index('id="alert"') :].split("</section>")[0]
    assert "is shown as JSON" in alert
    assert "&quot;NewStateValue&quot;: &quot;ALARM&quot;" in alert
    message = json.loads(
        json.loads(payload("aws_sns_cloudwatch_alarm_notification.json"))["Message"]
    )
    assert f"&quot;AlarmName&quot;: &quot;{message['AlarmName']}&quot;" in alert
