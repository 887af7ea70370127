"""PUT and DELETE /v1/status-page/{id} and /v1/status-page/{id}/component/{id} (extensions)."""

import pytest
from django.test import Client

from audit.models import AuditRecord
from incidents.tests.builders import make_incident
from pinghome.testing import MALFORMED_ID, UNKNOWN_ID, assert_invalid, assert_not_found
from rulesets.tests.builders import make_action, make_ruleset
from statuspages.models import Component, ComponentHold, StatusPage
from statuspages.tests.builders import alert_setting, make_component, make_status_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(owner):
    return make_status_page(owner.organization, "Public")


@pytest.fixture
def component(page):
    return make_component(page, "API")


def page_path(page) -> str:
    return f"/v1/status-page/{page.pk}"


def component_path(component) -> str:
    return f"/v1/status-page/{component.status_page_id}/component/{component.pk}"


# --------------------------------------------------------------------------- role matrix


@pytest.mark.parametrize(
    ("method", "target", "body", "success"),
    [
        ("post", lambda p, c: "/v1/status-page", {"name": "Internal"}, 201),
        ("put", lambda p, c: page_path(p), {"name": "Renamed"}, 200),
        ("delete", lambda p, c: page_path(p), None, 200),
        ("post", lambda p, c: f"{page_path(p)}/component", {"name": "DB"}, 201),
        ("put", lambda p, c: component_path(c), {"name": "Renamed"}, 200),
        ("delete", lambda p, c: component_path(c), None, 200),
    ],
)
@pytest.mark.parametrize(
    ("persona", "allowed"), [("teammate", False), ("manager", False), ("owner", True)]
)
def test_only_organization_admins_change_status_pages_and_components(
    owner,
    teammate,
    manager,
    page,
    component,
    method,
    target,
    body,
    success,
    persona,
    allowed,
    request,
):
    actor = request.getfixturevalue(persona)

    response = getattr(actor.api, method)(target(page, component), body)

    assert response.status_code == (success if allowed else 403), response.content


# --------------------------------------------------------------------------- status pages


def test_renaming_a_page_is_audited(owner, page):
    response = owner.api.put(page_path(page), {"name": "Status"})

    assert response.status_code == 200
    assert response.json() == {"message": "Status page updated."}
    assert StatusPage.objects.get(pk=page.pk).name == "Status"
    record = AuditRecord.objects.get(object_type="statuspage", action="updated")
    assert (record.before, record.after) == ({"name": "Public"}, {"name": "Status"})


@pytest.mark.parametrize(
    ("body", "field"), [({}, "name"), ({"name": ""}, "name"), ({"name": 3}, "name")]
)
def test_a_bad_name_is_422(owner, page, component, body, field):
    assert_invalid(owner.api.put(page_path(page), body), field)
    # A component's PUT changes the fields given: an empty one changes nothing.
    assert_invalid(owner.api.put(component_path(component), body), field if body else "body")


def test_deleting_a_page_deletes_its_components_and_its_public_link(owner, page, component):
    response = owner.api.delete(page_path(page))

    assert response.status_code == 200
    assert not StatusPage.objects.exists() and not Component.objects.exists()
    assert Client().get(f"/status/{page.pk}").status_code == 404
    record = AuditRecord.objects.get(object_type="statuspage", action="deleted")
    assert record.before == {"name": "Public", "components": ["API"]}


def test_a_page_whose_component_a_ruleset_names_is_409(owner, page, component):
    ruleset = make_ruleset(owner.team, name="Checkout")
    make_action(ruleset, [alert_setting(component)])

    response = owner.api.delete(page_path(page))

    assert response.status_code == 409
    assert response.json()["errors"] == {"rulesets": [f"Checkout ({ruleset.pk})"]}
    assert StatusPage.objects.filter(pk=page.pk).exists()


# --------------------------------------------------------------------------- components


def test_renaming_a_component_is_audited_in_the_pages_organization(owner, component):
    assert owner.api.put(component_path(component), {"name": "Public API"}).status_code == 200

    assert Component.objects.get(pk=component.pk).name == "Public API"
    record = AuditRecord.objects.get(object_type="component", action="updated")
    assert record.organization_id == owner.organization.id


def test_deleting_a_component_lets_go_of_the_incidents_holding_it(owner, component):
    incident = make_incident(owner.team)
    ComponentHold.objects.create(component=component, incident=incident, status="major-outage")

    response = owner.api.delete(component_path(component))

    assert response.status_code == 200
    assert response.json() == {"message": "Component deleted."}
    assert not Component.objects.exists() and not ComponentHold.objects.exists()
    assert (
        AuditRecord.objects.get(object_type="component", action="deleted").before["name"] == "API"
    )


def test_a_component_a_ruleset_names_is_409_naming_the_rulesets(owner, page, component):
    other = make_component(page, "Web")
    named = make_ruleset(owner.team, name="Checkout")
    make_action(named, [alert_setting(other), alert_setting(component)])
    make_action(make_ruleset(owner.team, name="Unrelated"), [alert_setting(other)])

    response = owner.api.delete(component_path(component))

    assert response.status_code == 409
    assert response.json()["errors"] == {"rulesets": [f"Checkout ({named.pk})"]}
    assert Component.objects.filter(pk=component.pk).exists()


def test_a_component_of_another_page_or_organization_is_404(owner, outsider, page, component):
    other_page = make_status_page(owner.organization, "Internal")
    assert_not_found(owner.api.delete(f"/v1/status-page/{other_page.pk}/component/{component.pk}"))
    assert_not_found(outsider.api.put(component_path(component), {"name": "Mine"}))
    assert_not_found(outsider.api.delete(page_path(page)))
    assert Component.objects.filter(pk=component.pk, name="API").exists()


@pytest.mark.parametrize("bad_id", [MALFORMED_ID, UNKNOWN_ID])
def test_unknown_ids_are_404(owner, page, bad_id):
    assert_not_found(owner.api.put(f"/v1/status-page/{bad_id}", {"name": "x"}))
    assert_not_found(owner.api.delete(f"{page_path(page)}/component/{bad_id}"))


def test_creating_pages_and_components_is_audited(owner):
    page_id = owner.api.post("/v1/status-page", {"name": "Public"}).json()["id"]
    owner.api.post(f"/v1/status-page/{page_id}/component", {"name": "API"})

    assert AuditRecord.objects.get(object_type="statuspage", action="created").object_id == page_id
    component = AuditRecord.objects.get(object_type="component", action="created")
    assert component.after == {
        "status_page_id": page_id,
        "name": "API",
        "public_name": "API",
        "description": "",
    }


# --------------------------------------------------------------------------- pages


def signed_in(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def test_renaming_and_deleting_from_the_status_pages_page(owner, page, component):
    client = signed_in(owner)

    client.post(f"/status-pages/{page.pk}/components/{component.pk}/edit", {"name": "Web"})
    client.post(f"/status-pages/{page.pk}/rename", {"name": "Status"})
    assert (Component.objects.get().name, StatusPage.objects.get().name) == ("Web", "Status")
    client.post(f"/status-pages/{page.pk}/components/{component.pk}/delete")
    assert not Component.objects.exists()
    response = client.post(f"/status-pages/{page.pk}/delete", follow=True)
    assert not StatusPage.objects.exists()
    assert "deleted" in response.content.decode()


def test_a_refused_deletion_is_told_on_the_page(owner, page, component):
    make_action(make_ruleset(owner.team, name="Checkout"), [alert_setting(component)])

    response = signed_in(owner).post(
        f"/status-pages/{page.pk}/components/{component.pk}/delete", follow=True
    )

    assert "not deleted" in response.content.decode() and "Checkout" in response.content.decode()
    assert Component.objects.filter(pk=component.pk).exists()


def test_members_get_403_on_the_page_forms(manager, page, component):
    client = signed_in(manager)

    assert client.post(f"/status-pages/{page.pk}/rename", {"name": "x"}).status_code == 403
    assert (
        client.post(f"/status-pages/{page.pk}/components/{component.pk}/delete").status_code == 403
    )
    assert client.post("/status-pages", {"name": "Mine"}).status_code == 403


def test_a_responder_posts_and_updates_a_notice_from_the_incident_page(owner, teammate, page):
    from incidents.tests.builders import open_incident

    component = Component.objects.create(status_page=page, name="pg", public_name="Checkout")
    incident = open_incident(owner.team, owner.user, name="INTERNAL pg failover")
    client = signed_in(teammate)
    detail = f"/incidents/{incident.pk}"
    html = client.get(detail).content.decode()
    assert f'action="/status-pages/{page.pk}/notices"' in html

    response = client.post(
        f"/status-pages/{page.pk}/notices",
        {
            "title": "Payments are slow",
            "status": "investigating",
            "message": "Looking into it.",
            "components": [str(component.pk)],
            "incident": str(incident.pk),
            "next": detail,
        },
    )

    assert response.status_code == 302 and response["Location"] == detail
    notice = page.notices.get()
    assert (notice.incident, list(notice.components.all())) == (incident, [component])
    html = client.get(detail).content.decode()
    update = f"/status-pages/{page.pk}/notices/{notice.pk}/updates"
    assert f'action="{update}"' in html and "Payments are slow" in html
    client.post(update, {"status": "resolved", "message": "Fixed.", "next": "https://evil.test/"})
    assert page.notices.get().status == "resolved"
    assert f'action="{update}"' not in client.get(detail).content.decode()


def test_a_bad_notice_from_a_page_is_told_and_posts_nothing(owner, page):
    response = signed_in(owner).post(
        f"/status-pages/{page.pk}/notices",
        {"title": "", "status": "investigating", "message": "x"},
        follow=True,
    )

    assert "Nothing posted: Title: This field is required." in response.content.decode()
    assert not page.notices.exists()


def test_setting_a_manual_status_and_public_names_on_the_status_pages_page(
    owner, teammate, page, component
):
    base = f"/status-pages/{page.pk}/components/{component.pk}"

    signed_in(teammate).post(f"{base}/status", {"manual_status": "major-outage"})
    signed_in(owner).post(
        f"{base}/edit", {"name": "pg-main", "public_name": "Checkout", "description": "Paying"}
    )

    changed = Component.objects.get()
    assert (changed.status, changed.manual_status) == ("major-outage", "major-outage")
    assert (changed.name, changed.public_name, changed.description) == (
        "pg-main",
        "Checkout",
        "Paying",
    )
    assert signed_in(teammate).post(f"{base}/edit", {"name": "x"}).status_code == 403
    html = signed_in(owner).get("/status-pages").content.decode()
    assert "(set by hand)" in html and "Checkout" in html
