"""The "Acknowledge" and "Resolve" links of a page: a GET asks, a POST acts as the paged user;
each works once, for 24 hours, for its own incident."""

import re
import time

import pytest
from django.core import signing

from incidents.models import Incident
from notifications.tests.test_routing import open_incident, timeline

pytestmark = pytest.mark.django_db

LINK = re.compile(r"(Acknowledge|Resolve): http://[^/]+(/respond/\S+)")


def links_of(mail) -> dict[str, str]:
    return {action.lower(): path for action, path in LINK.findall(mail.body)}


@pytest.fixture
def paged(owner, teammate, mailoutbox):
    """An incident assigned to the teammate, and the links of the e-mail that paged them."""
    incident_id = open_incident(
        owner, assignees=[{"type": "team_member", "id": str(teammate.member.id)}]
    )
    [mail] = mailoutbox
    return incident_id, links_of(mail)


def status(incident_id) -> str:
    return Incident.objects.get(pk=incident_id).status


def test_a_get_asks_and_changes_nothing(client, paged):
    incident_id, links = paged
    response = client.get(links["acknowledge"])
    assert response.status_code == 200
    page = response.content.decode()
    assert "Acknowledge this incident?" in page
    assert "mate@acme.test" in page
    assert "<script>" not in page
    assert status(incident_id) == "triggered"
    assert client.get(links["acknowledge"]).status_code == 200, "prefetching uses nothing up"


def test_the_post_acknowledges_as_the_paged_user_without_sign_in(client, owner, teammate, paged):
    incident_id, links = paged
    response = client.post(links["acknowledge"])
    assert response.status_code == 200
    assert "acknowledged, by mate@acme.test" in response.content.decode()
    assert status(incident_id) == "acknowledged"
    [entry] = timeline(owner, incident_id, "acknowledged")
    assert entry["actor"] == "mate@acme.test"


def test_a_link_works_once(client, paged):
    incident_id, links = paged
    client.post(links["acknowledge"])
    for response in (client.get(links["acknowledge"]), client.post(links["acknowledge"])):
        assert response.status_code == 410
        assert "already used" in response.content.decode()
    # The other link of the same page still works.
    assert client.post(links["resolve"]).status_code == 200
    assert status(incident_id) == "resolved"


def test_an_expired_link_says_so(client, paged, monkeypatch):
    incident_id, links = paged
    later = time.time() + 24 * 3600 + 1
    monkeypatch.setattr(signing.time, "time", lambda: later)
    for response in (client.get(links["acknowledge"]), client.post(links["acknowledge"])):
        assert response.status_code == 410
        assert "expired" in response.content.decode()
    assert status(incident_id) == "triggered"


def test_a_link_is_for_its_own_incident_only(client, owner, paged, mailoutbox):
    incident_id, links = paged
    other_id = open_incident(owner, name="Disk full")
    token = links["acknowledge"].rsplit("/", 1)[1]
    response = client.post(f"/respond/{other_id}/{token}")
    assert response.status_code == 410
    assert "another incident" in response.content.decode()
    assert status(other_id) == status(incident_id) == "triggered"


def test_a_forged_link_is_refused(client, paged):
    incident_id, links = paged
    response = client.post(links["acknowledge"][:-3] + "xyz")
    assert response.status_code == 410
    assert "not valid" in response.content.decode()
    assert status(incident_id) == "triggered"


def test_a_link_to_an_incident_resolved_meanwhile_does_nothing(client, paged):
    incident_id, links = paged
    client.post(links["resolve"])
    response = client.post(links["acknowledge"])
    assert response.status_code == 200
    assert "already resolved" in response.content.decode()
