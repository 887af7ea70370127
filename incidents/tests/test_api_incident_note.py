"""POST /v1/incident/{id}/note: a responder's note on the timeline, audited."""

import pytest

from audit.models import AuditRecord
from incidents.tests.builders import make_incident
from pinghome.testing import (
    MALFORMED_ID,
    UNKNOWN_ID,
    assert_invalid,
    assert_not_found,
    send_raw,
)

pytestmark = pytest.mark.django_db


def note_path(incident) -> str:
    return f"/v1/incident/{incident.pk}/note"


def test_a_responder_adds_a_note_that_the_timeline_shows_with_its_author(owner, teammate):
    incident = make_incident(owner.team)

    response = teammate.api.post(note_path(incident), {"text": "Rolled back 4f2c1."}, format="json")

    assert response.status_code == 201
    timeline = owner.api.get(f"/v1/incident/{incident.pk}/timeline").json()
    assert [(e["id"], e["kind"], e["actor"], e["message"]) for e in timeline] == [
        (int(response.json()["id"]), "note", "mate@acme.test", "Rolled back 4f2c1.")
    ]


def test_a_note_is_audited(owner):
    incident = make_incident(owner.team, name="Checkout is down")

    owner.api.post(note_path(incident), {"text": "Paging the DBA."}, format="json")

    audited = AuditRecord.objects.get(object_type="incident-note")
    assert (audited.actor, audited.action, audited.organization_id) == (
        "owner@acme.test",
        "created",
        owner.organization.pk,
    )
    assert audited.after == {"incident_id": str(incident.pk), "text": "Paging the DBA."}


@pytest.mark.parametrize(
    "body",
    [{}, {"text": ""}, {"text": "   "}, {"text": 42}, {"text": None}, {"text": "x" * 10_001}],
    ids=["missing", "empty", "blank", "number", "null", "too long"],
)
def test_a_note_without_usable_text_is_a_422_naming_text(owner, body):
    incident = make_incident(owner.team)

    assert_invalid(owner.api.post(note_path(incident), body, format="json"), "text")
    assert not incident.timeline.exists()


def test_a_body_that_is_not_json_is_a_422_naming_the_body(owner):
    incident = make_incident(owner.team)

    assert_invalid(send_raw(owner.api, "POST", note_path(incident), b"{not json"), "body")


def test_another_organizations_incident_is_a_404(owner, outsider):
    incident = make_incident(owner.team)

    assert_not_found(outsider.api.post(note_path(incident), {"text": "hi"}, format="json"))
    assert not incident.timeline.exists()


@pytest.mark.parametrize("incident_id", [UNKNOWN_ID, MALFORMED_ID])
def test_an_unknown_incident_is_a_404(owner, incident_id):
    assert_not_found(
        owner.api.post(f"/v1/incident/{incident_id}/note", {"text": "hi"}, format="json")
    )


def test_a_read_only_token_may_not_add_a_note(owner):
    from pinghome.testing import client_with_scopes

    incident = make_incident(owner.team)

    response = client_with_scopes(owner.user, ["read"]).post(
        note_path(incident), {"text": "hi"}, format="json"
    )

    assert response.status_code == 403
