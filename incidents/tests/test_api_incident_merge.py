"""POST /v1/incident/{id}/merge: duplicates merged into one incident, their events and timelines
following; concurrency-safe."""

import pytest

from audit.models import AuditRecord
from incidents import services
from incidents.models import Incident, IncidentEvent, TimelineKind
from incidents.tests.builders import make_incident
from pinghome.testing import UNKNOWN_ID, assert_invalid, assert_not_found, at_once
from rulesets.tests.pipeline import create_ruleset, create_webhook, send

pytestmark = pytest.mark.django_db


def merge_path(incident) -> str:
    return f"/v1/incident/{incident.pk}/merge"


def opened_by_events(owner, *keys: str) -> list[Incident]:
    """One incident per dedup key, each opened (and fed twice) by ingested events."""
    webhook = create_webhook(owner)
    create_ruleset(
        owner,
        incident_name="{{ service }} is down",
        conditions=[
            {"type": "json-check", "key": "status", "operator": "equal", "values": ["down"]}
        ],
        dedup_key="service",
    )
    for key in keys:
        for _ in range(2):
            send(webhook, {"status": "down", "service": key})
    return [Incident.objects.get(dedup_key=key) for key in keys]


def test_duplicates_bring_their_events_and_timelines_and_are_resolved_pointing_at_it(owner):
    target, first, second = opened_by_events(owner, "checkout", "checkout-eu", "checkout-us")

    response = owner.api.post(
        merge_path(target), {"incident_ids": [str(first.pk), str(second.pk)]}, format="json"
    )

    assert response.status_code == 200, response.content
    target.refresh_from_db()
    assert target.status == "triggered" and target.event_count == 6
    assert IncidentEvent.objects.filter(incident=target).count() == 6
    for duplicate in (first, second):
        body = owner.api.get(f"/v1/incident/{duplicate.pk}").json()
        assert (body["status"], body["merged_into_id"]) == ("resolved", str(target.pk))
        timeline = owner.api.get(f"/v1/incident/{duplicate.pk}/timeline").json()
        assert [e["kind"] for e in timeline] == ["resolved"]
        assert timeline[0]["message"] == f"Merged into checkout is down ({target.pk})"
    kinds = [e["kind"] for e in owner.api.get(f"/v1/incident/{target.pk}/timeline").json()]
    assert kinds.count("created") == 3 and kinds.count("event-attached") == 3
    assert kinds[-1] == "merged"
    audited = AuditRecord.objects.get(object_type="incident", object_id=str(target.pk))
    assert sorted(audited.after["merged"]) == sorted([str(first.pk), str(second.pk)])


def test_an_event_linked_to_both_counts_once(owner):
    target, duplicate = opened_by_events(owner, "a", "b")
    shared = IncidentEvent.objects.filter(incident=duplicate).first().event
    IncidentEvent.objects.create(incident=target, event=shared)
    Incident.objects.filter(pk=target.pk).update(event_count=3)

    owner.api.post(merge_path(target), {"incident_ids": [str(duplicate.pk)]}, format="json")

    target.refresh_from_db()
    assert target.event_count == 4
    assert IncidentEvent.objects.filter(incident=target).count() == 4


@pytest.mark.parametrize(
    ("ids", "reason"),
    [
        (lambda t, d, r, f: [], None),
        (lambda t, d, r, f: [str(t.pk)], "the incident itself"),
        (lambda t, d, r, f: [str(d.pk), str(d.pk)], "named twice"),
        (lambda t, d, r, f: [UNKNOWN_ID], "no such incident in your organization"),
        (lambda t, d, r, f: [str(f.pk)], "no such incident in your organization"),
        (lambda t, d, r, f: [str(r.pk)], "resolved already"),
        (lambda t, d, r, f: ["not-a-uuid"], None),
    ],
    ids=["empty", "itself", "twice", "unknown", "another organization's", "resolved", "malformed"],
)
def test_what_cannot_be_merged_is_a_422_naming_it(owner, outsider, ids, reason):
    target = make_incident(owner.team, name="Target")
    duplicate = make_incident(owner.team, name="Duplicate")
    resolved = make_incident(owner.team, name="Done", status="resolved")
    foreign = make_incident(outsider.team, name="Globex")
    body = {"incident_ids": ids(target, duplicate, resolved, foreign)}

    response = owner.api.post(merge_path(target), body, format="json")

    errors = assert_invalid(response)
    field = next(iter(errors))
    assert field.startswith("incident_ids")
    if reason:
        assert reason in errors[field]
    assert not Incident.objects.filter(merged_into__isnull=False).exists()


def test_a_resolved_incident_takes_no_others_in(owner):
    target = make_incident(owner.team, status="resolved")
    duplicate = make_incident(owner.team)

    response = owner.api.post(
        merge_path(target), {"incident_ids": [str(duplicate.pk)]}, format="json"
    )

    assert response.status_code == 409
    assert Incident.objects.get(pk=duplicate.pk).status == "triggered"


def test_another_organizations_incident_is_a_404(owner, outsider):
    target = make_incident(owner.team)
    theirs = make_incident(outsider.team)

    assert_not_found(
        outsider.api.post(merge_path(target), {"incident_ids": [str(theirs.pk)]}, format="json")
    )


@pytest.mark.django_db(transaction=True)
def test_two_merges_of_the_same_pair_in_opposite_directions_leave_one_incident(owner):
    a, b = make_incident(owner.team, name="A"), make_incident(owner.team, name="B")

    def merge(target, duplicate):
        try:
            services.merge_incidents(target, [duplicate], by=owner.user)
            return "merged"
        except services.MergeError:
            return "refused"

    outcomes = at_once(lambda: merge(a, b), lambda: merge(b, a))

    assert sorted(outcomes) == ["merged", "refused"]
    statuses = sorted(Incident.objects.values_list("status", flat=True))
    assert statuses == ["resolved", "triggered"]
    kept = Incident.objects.get(status="triggered")
    assert Incident.objects.get(status="resolved").merged_into == kept
    assert kept.timeline.filter(kind=TimelineKind.MERGED).count() == 1
