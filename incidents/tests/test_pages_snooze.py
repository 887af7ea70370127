"""The incident page's Snooze control: 15 min, 1 h or 4 h, and the wake-up time shown."""

import pytest
from django.contrib.messages import get_messages

from incidents import services
from incidents.models import Incident
from incidents.tests.builders import open_incident

pytestmark = pytest.mark.django_db


def url(incident) -> str:
    return f"/incidents/{incident.pk}"


def test_a_responder_snoozes_an_incident_from_its_page_and_sees_when_it_wakes_up(
    client, owner, teammate
):
    incident = open_incident(owner.team, owner.user)
    client.force_login(teammate.user)
    page = client.get(url(incident)).content.decode()
    assert f'action="{url(incident)}/snooze"' in page
    for minutes in ("15", "60", "240"):
        assert f'name="minutes" value="{minutes}"' in page

    response = client.post(f"{url(incident)}/snooze", {"minutes": "60"})

    assert response.status_code == 302
    assert response["Location"] == url(incident)
    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    assert incident.snoozed_until is not None
    page = client.get(url(incident)).content.decode()
    assert f'datetime="{incident.snoozed_until.isoformat()}"' in page
    assert "Snoozed until" in page


def test_a_minutes_value_out_of_bounds_is_refused_saying_why(client, owner):
    incident = open_incident(owner.team, owner.user)
    client.force_login(owner.user)

    response = client.post(f"{url(incident)}/snooze", {"minutes": "0"})

    assert response.status_code == 302
    assert any("minutes" in str(m) for m in get_messages(response.wsgi_request))
    assert Incident.objects.get(pk=incident.pk).snoozed_until is None


def test_a_resolved_incident_has_no_snooze_control_and_is_not_snoozed(client, owner):
    incident = open_incident(owner.team, owner.user)
    services.resolve(incident, by=owner.user)
    client.force_login(owner.user)

    assert "/snooze" not in client.get(url(incident)).content.decode()
    response = client.post(f"{url(incident)}/snooze", {"minutes": "15"})

    assert response.status_code == 302
    assert any("resolved" in str(m) for m in get_messages(response.wsgi_request))
    assert Incident.objects.get(pk=incident.pk).snoozed_until is None


def test_another_organizations_incident_cannot_be_snoozed(client, owner, outsider):
    incident = open_incident(owner.team, owner.user)
    client.force_login(outsider.user)

    assert client.post(f"{url(incident)}/snooze", {"minutes": "15"}).status_code == 404
    assert Incident.objects.get(pk=incident.pk).status == "triggered"
