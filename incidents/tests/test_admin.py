"""Incidents in the admin: transitions through the services, timeline read-only, cheap lists."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.models import User
from incidents import services
from incidents.models import Incident, IncidentStatus, TimelineEntry, TimelineKind
from incidents.tests.builders import make_incident, open_incident

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:incidents_incident_changelist")
TIMELINE = reverse("admin:incidents_timelineentry_changelist")


def staff_client(user: User) -> Client:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="incidents"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def root():
    return User.objects.create_superuser("root@pinghome.test", "not-a-secret-1")


@pytest.fixture
def superuser(root):
    client = Client()
    client.force_login(root)
    return client


@pytest.fixture
def staff(owner):
    return staff_client(owner.user)


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def run_action(client, action: str, *incidents):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(i.pk) for i in incidents]},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_acknowledge_moves_triggered_incidents_through_the_service(staff, owner):
    triggered = open_incident(owner.team, owner.user, name="Disk full")
    acknowledged = open_incident(owner.team, owner.user, name="Slow")
    services.acknowledge(acknowledged, by=owner.user)
    resolved = open_incident(owner.team, owner.user, name="Gone")
    services.resolve(resolved, by=owner.user)

    response = run_action(staff, "acknowledge_selected", triggered, acknowledged, resolved)

    assert messages_of(response) == [
        "Acknowledged 1 incident.",
        "2 incidents were already acknowledged or resolved: not changed.",
    ]
    triggered.refresh_from_db()
    assert triggered.status == IncidentStatus.ACKNOWLEDGED and triggered.acknowledged_at
    entry = triggered.timeline.get(kind=TimelineKind.ACKNOWLEDGED)
    assert entry.actor_user == owner.user and entry.actor == owner.user.email
    resolved.refresh_from_db()
    assert resolved.status == IncidentStatus.RESOLVED
    assert not resolved.timeline.filter(kind=TimelineKind.ACKNOWLEDGED).exists()
    assert TimelineEntry.objects.filter(kind=TimelineKind.ACKNOWLEDGED).count() == 2


def test_resolve_reports_the_already_resolved_and_does_not_touch_them(superuser, root, owner):
    open_one = open_incident(owner.team, owner.user, name="Disk full")
    done = open_incident(owner.team, owner.user, name="Gone")
    services.resolve(done, by=owner.user)
    done.refresh_from_db()
    resolved_at = done.resolved_at

    response = run_action(superuser, "resolve_selected", open_one, done)

    assert messages_of(response) == [
        "Resolved 1 incident.",
        "1 incident was already resolved: not changed.",
    ]
    open_one.refresh_from_db()
    assert open_one.status == IncidentStatus.RESOLVED
    entry = open_one.timeline.get(kind=TimelineKind.RESOLVED)
    assert entry.actor_user == root
    done.refresh_from_db()
    assert done.resolved_at == resolved_at
    assert done.timeline.filter(kind=TimelineKind.RESOLVED).count() == 1


def test_actions_apply_only_to_the_staff_users_organization(staff, owner, outsider):
    theirs = open_incident(outsider.team, outsider.user)
    response = run_action(staff, "resolve_selected", theirs)
    assert response.status_code == 200
    theirs.refresh_from_db()
    assert theirs.status == IncidentStatus.TRIGGERED


def test_the_status_is_not_editable_and_edits_go_on_the_timeline(staff, owner):
    incident = open_incident(owner.team, owner.user, name="Disk full")
    response = staff.get(change_url(incident))
    assert response.status_code == 200
    assert set(response.context["adminform"].form.fields) == {
        "name",
        "description",
        "urgency",
        "assignees",
    }
    response = staff.post(
        change_url(incident),
        {
            "name": "Disk full on db-1",
            "description": incident.description,
            "urgency": "critical",
            "assignees": json.dumps([{"type": "team", "id": str(owner.team.pk)}]),
            "status": "resolved",
            "actions-TOTAL_FORMS": "0",
            "actions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    incident.refresh_from_db()
    assert incident.name == "Disk full on db-1" and incident.urgency == "critical"
    assert incident.status == IncidentStatus.TRIGGERED
    edited = incident.timeline.get(kind=TimelineKind.EDITED)
    assert edited.actor_user == owner.user
    assert set(edited.data) == {"name", "urgency", "assignees"}


def test_assignees_of_another_organization_are_a_form_error(staff, owner, outsider):
    incident = open_incident(owner.team, owner.user)
    response = staff.post(
        change_url(incident),
        {
            "name": incident.name,
            "description": "",
            "urgency": "high",
            "assignees": json.dumps([{"type": "team", "id": str(outsider.team.pk)}]),
            "actions-TOTAL_FORMS": "0",
            "actions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["assignees"] == [
        "assignees.0.id: no such team in your organization"
    ]
    assert not incident.timeline.filter(kind=TimelineKind.EDITED).exists()


def test_incidents_are_not_added_in_the_admin(superuser):
    assert superuser.get(reverse("admin:incidents_incident_add")).status_code == 403


def test_a_staff_user_does_not_see_another_organizations_incident(staff, owner, outsider):
    ours = open_incident(owner.team, owner.user, name="Ours")
    theirs = open_incident(outsider.team, outsider.user, name="Theirs")
    content = staff.get(CHANGELIST).content.decode()
    assert change_url(ours) in content and change_url(theirs) not in content
    assert staff.get(change_url(theirs)).status_code == 302
    timeline = staff.get(TIMELINE).content.decode()
    assert change_url(ours.timeline.first()) in timeline
    assert change_url(theirs.timeline.first()) not in timeline


def test_the_timeline_is_read_only(superuser, owner):
    incident = open_incident(owner.team, owner.user)
    entry = incident.timeline.first()
    assert superuser.get(reverse("admin:incidents_timelineentry_add")).status_code == 403
    response = superuser.get(change_url(entry))
    assert response.status_code == 200
    assert not response.context["adminform"].form.fields
    assert superuser.post(change_url(entry), {"message": "rewritten"}).status_code == 403
    delete = reverse("admin:incidents_timelineentry_delete", args=[entry.pk])
    assert superuser.post(delete, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.message != "rewritten"


def test_the_incident_page_shows_its_latest_timeline(superuser, owner):
    incident = open_incident(owner.team, owner.user)
    services.acknowledge(incident, by=owner.user)
    content = superuser.get(change_url(incident)).content.decode()
    assert f"Acknowledged by {owner.user.email}" in content
    assert f"{TIMELINE}?incident__id__exact={incident.pk}" in content


def test_the_timeline_of_one_incident(superuser, owner):
    first = open_incident(owner.team, owner.user, name="First")
    second = open_incident(owner.team, owner.user, name="Second")
    response = superuser.get(TIMELINE, {"incident__id__exact": str(first.pk)})
    content = response.content.decode()
    assert change_url(first.timeline.first()) in content
    assert change_url(second.timeline.first()) not in content
    content = superuser.get(TIMELINE, {"q": str(second.pk)}).content.decode()
    assert change_url(second.timeline.first()) in content
    assert change_url(first.timeline.first()) not in content


def test_an_incident_is_deleted_with_its_timeline(superuser, owner):
    incident = open_incident(owner.team, owner.user)
    delete = reverse("admin:incidents_incident_delete", args=[incident.pk])
    assert superuser.get(delete).status_code == 200
    assert superuser.post(delete, {"post": "yes"}).status_code == 302
    assert not Incident.objects.exists() and not TimelineEntry.objects.exists()


@pytest.mark.parametrize("who", ["superuser", "staff"])
def test_listing_200_timeline_entries_and_incidents_takes_bounded_queries(
    who, owner, superuser, django_assert_max_num_queries
):
    incidents = [make_incident(owner.team, name=f"Incident {n}") for n in range(200)]
    TimelineEntry.objects.bulk_create(
        TimelineEntry(incident=incident, kind=TimelineKind.CREATED, actor="system")
        for incident in incidents
    )
    client = superuser if who == "superuser" else staff_client(owner.user)
    with django_assert_max_num_queries(9):
        response = client.get(TIMELINE)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 100
    with django_assert_max_num_queries(10):
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 100
    for name in ("incidentevent", "incidentaction"):
        with django_assert_max_num_queries(9):
            assert client.get(reverse(f"admin:incidents_{name}_changelist")).status_code == 200
