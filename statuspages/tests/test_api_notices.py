"""Written updates by API: POST /v1/status-page/{id}/notice, .../notice/{id}/update, GET
.../notices and .../notice/{id}; a component's manual status by PUT."""

import pytest

from audit.models import AuditRecord
from incidents.models import TimelineEntry
from incidents.tests.builders import incident_body, open_incident
from pinghome.testing import UNKNOWN_ID, assert_invalid, assert_not_found
from statuspages.models import Component, ComponentStatus, Notice
from statuspages.tests.builders import make_component, make_status_page, trigger_alerts

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(owner):
    return make_status_page(owner.organization)


@pytest.fixture
def component(page):
    return make_component(page, "pg-main", public_name="Checkout")


def notice_body(**overrides) -> dict:
    return {
        "title": "Payments are slow",
        "status": "investigating",
        "message": "We are looking into it.",
        **overrides,
    }


def post_notice(persona, page, **overrides):
    return persona.api.post(
        f"/v1/status-page/{page.pk}/notice", notice_body(**overrides), format="json"
    )


def test_a_responder_posts_a_notice_about_an_incident_then_updates_it_to_resolved(
    owner, teammate, page, component
):
    incident = open_incident(owner.team, owner.user, name="INTERNAL pg failover")

    response = post_notice(
        teammate, page, component_ids=[str(component.pk)], incident_id=str(incident.pk)
    )

    assert response.status_code == 201, response.json()
    notice_id = response.json()["id"]
    path = f"/v1/status-page/{page.pk}/notice/{notice_id}"
    for status, message in [("identified", "A failover."), ("resolved", "All good.")]:
        update = teammate.api.post(f"{path}/update", {"status": status, "message": message})
        assert update.status_code == 201, update.json()
    body = owner.api.get(path).json()
    assert (body["title"], body["status"]) == ("Payments are slow", "resolved")
    assert body["component_ids"] == [str(component.pk)]
    assert body["incident_id"] == str(incident.pk)
    assert body["resolved_at"] is not None
    assert [(u["status"], u["created_by"]) for u in body["updates"]] == [
        ("resolved", "mate@acme.test"),
        ("identified", "mate@acme.test"),
        ("investigating", "mate@acme.test"),
    ]


def test_a_notice_about_an_incident_and_its_updates_are_on_the_incidents_timeline(
    client, owner, teammate, page
):
    incident = open_incident(owner.team, owner.user)
    notice_id = post_notice(teammate, page, incident_id=str(incident.pk)).json()["id"]
    teammate.api.post(
        f"/v1/status-page/{page.pk}/notice/{notice_id}/update",
        {"status": "monitoring", "message": "A fix is out."},
    )
    post_notice(owner, page, title="Unrelated")  # about no incident

    timeline = owner.api.get(f"/v1/incident/{incident.pk}/timeline").json()
    posted = {e["data"]["status"]: e for e in timeline if e["kind"] == "status-update"}
    assert sorted(posted) == ["investigating", "monitoring"]
    assert {e["actor"] for e in posted.values()} == {"mate@acme.test"}
    assert posted["monitoring"]["message"] == (
        "Monitoring on Public: Payments are slow\nA fix is out."
    )
    assert {e["data"]["notice_id"] for e in posted.values()} == {notice_id}
    assert TimelineEntry.objects.filter(kind="status-update").count() == 2  # not "Unrelated"
    client.force_login(owner.user)
    html = client.get(f"/incidents/{incident.pk}").content.decode()
    assert 'data-kind="status-update"' in html and "A fix is out." in html


def test_a_resolved_notice_takes_no_further_update(owner, page):
    notice_id = post_notice(owner, page, status="resolved").json()["id"]

    response = owner.api.post(
        f"/v1/status-page/{page.pk}/notice/{notice_id}/update",
        {"status": "monitoring", "message": "Again?"},
    )

    assert response.status_code == 409
    assert Notice.objects.get().updates.count() == 1


def test_notices_are_listed_newest_first_and_paged(owner, page):
    ids = [post_notice(owner, page, title=f"Notice {n}").json()["id"] for n in range(3)]

    first = owner.api.get(f"/v1/status-page/{page.pk}/notices", {"limit": 2}).json()
    last = first[-1]
    rest = owner.api.get(
        f"/v1/status-page/{page.pk}/notices",
        {"limit": 2, "last_created_at": last["created_at"], "last_id": last["id"]},
    ).json()

    assert [n["id"] for n in first + rest] == ids[::-1]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"status": "fixed"}, "status"),
        ({"message": ""}, "message"),
        ({"message": 42}, "message"),
        ({"component_ids": ["not-a-uuid"]}, "component_ids.0"),
        ({"component_ids": [UNKNOWN_ID]}, "component_ids.0"),
        ({"incident_id": UNKNOWN_ID}, "incident_id"),
    ],
)
def test_a_bad_notice_is_422_naming_the_field(owner, page, overrides, field):
    assert_invalid(post_notice(owner, page, **overrides), field)
    assert not Notice.objects.exists()


def test_another_organizations_component_or_incident_is_refused(owner, outsider, page):
    theirs = make_component(make_status_page(outsider.organization), "Globex API")
    incident = open_incident(outsider.team, outsider.user)

    assert_invalid(post_notice(owner, page, component_ids=[str(theirs.pk)]), "component_ids.0")
    assert_invalid(post_notice(owner, page, incident_id=str(incident.pk)), "incident_id")


def test_another_organizations_page_and_notices_are_404(owner, outsider, page):
    notice_id = post_notice(owner, page).json()["id"]
    path = f"/v1/status-page/{page.pk}/notice/{notice_id}"

    assert_not_found(post_notice(outsider, page))
    assert_not_found(outsider.api.get(path))
    assert_not_found(outsider.api.get(f"/v1/status-page/{page.pk}/notices"))
    assert_not_found(outsider.api.post(f"{path}/update", {"status": "resolved", "message": "x"}))
    other_page = make_status_page(owner.organization, "Other")
    assert_not_found(owner.api.get(f"/v1/status-page/{other_page.pk}/notice/{notice_id}"))


def test_a_member_of_no_team_may_not_post(owner, page):
    from pinghome.testing import make_persona

    loner = make_persona("Acme", "Ops", "loner@acme.test", role="responder")
    loner.member.delete()

    assert post_notice(loner, page).status_code == 403


def test_notices_and_updates_are_audited(owner, page):
    notice_id = post_notice(owner, page).json()["id"]
    owner.api.post(
        f"/v1/status-page/{page.pk}/notice/{notice_id}/update",
        {"status": "monitoring", "message": "A fix is out."},
    )

    created = AuditRecord.objects.get(object_type="notice")
    assert created.after["title"] == "Payments are slow"
    assert created.after["message"] == "We are looking into it."
    update = AuditRecord.objects.get(object_type="noticeupdate")
    assert (update.after["status"], update.organization_id) == ("monitoring", page.organization_id)


def test_a_manual_status_wins_over_the_incidents_until_cleared(
    owner, teammate, page, component, django_capture_on_commit_callbacks
):
    path = f"/v1/status-page/{page.pk}/component/{component.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        owner.api.post(
            f"/v1/team/{owner.team.pk}/incident",
            {**incident_body(urgency="high"), "actions": [trigger_alerts(component)]},
            format="json",
        )
    assert Component.objects.get().status == ComponentStatus.MAJOR_OUTAGE

    response = teammate.api.put(path, {"manual_status": "degraded"}, format="json")

    assert response.status_code == 200, response.json()
    assert Component.objects.get().status == ComponentStatus.DEGRADED
    assert teammate.api.put(path, {"name": "x"}, format="json").status_code == 403
    teammate.api.put(path, {"manual_status": None}, format="json")
    assert Component.objects.get().status == ComponentStatus.MAJOR_OUTAGE  # the incident's
    assert [c.status for c in Component.objects.get().changes.order_by("at", "id")] == [
        "major-outage",
        "degraded",
        "major-outage",
    ]
    record = AuditRecord.objects.filter(object_type="component").latest("created_at")
    assert (record.before, record.after) == ({"manual_status": "degraded"}, {"manual_status": ""})


@pytest.mark.parametrize(
    ("body", "field"),
    [({"manual_status": "down"}, "manual_status"), ({"public_name": ""}, "public_name")],
)
def test_a_bad_component_change_is_422_naming_the_field(owner, page, component, body, field):
    path = f"/v1/status-page/{page.pk}/component/{component.pk}"
    assert_invalid(owner.api.put(path, body, format="json"), field)


def test_public_name_and_description_are_set_at_creation_and_changed(owner, page):
    created = owner.api.post(
        f"/v1/status-page/{page.pk}/component",
        {"name": "pg-main-eu1", "public_name": "Checkout", "description": "Paying"},
    ).json()
    path = f"/v1/status-page/{page.pk}/component/{created['id']}"

    owner.api.put(path, {"description": "Paying for orders"}, format="json")

    component = owner.api.get(f"/v1/status-page/{page.pk}").json()["components"][0]
    assert (component["name"], component["public_name"], component["description"]) == (
        "pg-main-eu1",
        "Checkout",
        "Paying for orders",
    )
