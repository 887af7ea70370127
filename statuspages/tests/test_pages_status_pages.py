"""Status pages: managing them (signed in) and the public page (anyone with the link)."""

import pytest

from incidents import services
from incidents.tests.builders import make_incident, open_incident
from statuspages.models import Component, ComponentHold, ComponentStatus, StatusPage
from statuspages.tests.builders import make_component, make_status_page

pytestmark = pytest.mark.django_db

UNKNOWN_ID = "6f1c2a4e-8d2b-4a55-9a3e-2b8f0c1d9e77"


def public(page) -> str:
    return f"/status/{page.pk}"


def hold(incident, component, status=ComponentStatus.MAJOR_OUTAGE) -> None:
    """What a trigger-alerts action leaves behind (the action itself is tested in rulesets)."""
    ComponentHold.objects.create(component=component, incident=incident, status=status)
    Component.objects.filter(pk=component.pk).update(status=status)


# --- managing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/status-pages"),
        ("post", "/status-pages"),
        ("post", f"/status-pages/{UNKNOWN_ID}/components"),
    ],
)
def test_managing_status_pages_requires_sign_in(client, method, path):
    response = getattr(client, method)(path, {"name": "Public"})

    assert response.status_code == 302
    assert response["Location"].startswith("/login")
    assert not StatusPage.objects.exists()


def test_the_list_shows_the_organizations_pages_with_components_and_public_links(
    client, owner, outsider
):
    page = make_status_page(owner.organization, "Acme status")
    make_component(page, "Checkout", ComponentStatus.PARTIAL_OUTAGE)
    make_status_page(outsider.organization, "Globex status")
    client.force_login(owner.user)

    html = client.get("/status-pages").content.decode()

    assert "Acme status" in html and "Checkout" in html
    assert "component-partial-outage" in html
    assert f'href="/status/{page.pk}"' in html
    assert "Globex status" not in html


def test_creating_a_page_then_a_component(client, owner):
    client.force_login(owner.user)

    created = client.post("/status-pages", {"name": "Acme status"})
    page = StatusPage.objects.get(organization=owner.organization)
    added = client.post(f"/status-pages/{page.pk}/components", {"name": "Checkout"})

    assert created.status_code == 302 and added.status_code == 302
    assert page.name == "Acme status"
    assert [c.name for c in page.components.all()] == ["Checkout"]
    assert page.components.get().status == ComponentStatus.OPERATIONAL


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 201, "at most 200 characters"),
        ("a\x00b", "Null characters are not allowed."),
    ],
)
def test_a_bad_name_is_a_visible_form_error(client, owner, name, error):
    page = make_status_page(owner.organization)
    client.force_login(owner.user)

    for path in ["/status-pages", f"/status-pages/{page.pk}/components"]:
        response = client.post(path, {"name": name})

        assert response.status_code == 422
        assert error in response.content.decode()
    assert StatusPage.objects.count() == 1 and not Component.objects.exists()


@pytest.mark.parametrize("page_id", ["theirs", "not-a-uuid", UNKNOWN_ID])
def test_a_component_on_another_organizations_or_an_unknown_page_is_a_404(
    client, owner, outsider, page_id
):
    theirs = make_status_page(outsider.organization)
    client.force_login(owner.user)

    response = client.post(
        f"/status-pages/{theirs.pk if page_id == 'theirs' else page_id}/components",
        {"name": "Injected"},
    )

    assert response.status_code == 404
    assert not Component.objects.exists()


# --- the public page -----------------------------------------------------------------------


def test_the_public_page_needs_no_sign_in_and_shows_components_and_their_status(client, owner):
    page = make_status_page(owner.organization, "Acme status")
    make_component(page, "Checkout", ComponentStatus.MAJOR_OUTAGE)
    make_component(page, "Search", ComponentStatus.OPERATIONAL)

    response = client.get(public(page))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Acme status" in html
    assert 'data-component="Checkout" data-status="major-outage"' in html
    assert 'data-component="Search" data-status="operational"' in html
    assert "Major outage" in html  # the headline: the worst component
    assert 'data-refresh="10"' in html


def test_the_public_page_says_all_is_well_when_it_is(client, owner):
    page = make_status_page(owner.organization)
    make_component(page, "Checkout")

    html = client.get(public(page)).content.decode()

    assert "All systems operational" in html and "No ongoing incidents." in html


@pytest.mark.parametrize("page_id", ["not-a-uuid", UNKNOWN_ID])
def test_an_unknown_public_page_is_a_404(client, page_id):
    assert client.get(f"/status/{page_id}").status_code == 404


def test_unresolved_incidents_holding_components_are_listed_without_internal_details(
    client, owner, teammate
):
    page = make_status_page(owner.organization)
    checkout = make_component(page, "Checkout")
    incident = open_incident(
        owner.team,
        owner.user,
        name="Payments failing",
        description="INTERNAL: the db password rotated",
        urgency="critical",
        assignees=[{"type": "team_member", "id": str(teammate.member.pk)}],
    )
    hold(incident, checkout)

    html = client.get(public(page)).content.decode()

    assert "Payments failing" in html and "urgency-critical" in html
    assert "affects Checkout" in html
    for secret in ["INTERNAL", "mate@acme.test", "owner@acme.test", str(incident.pk), "Ops"]:
        assert secret not in html


def test_resolved_incidents_are_not_listed(client, owner):
    page = make_status_page(owner.organization)
    incident = open_incident(owner.team, owner.user, name="Payments failing")
    hold(incident, make_component(page, "Checkout"))
    services.resolve(incident, by=owner.user)

    assert "Payments failing" not in client.get(public(page)).content.decode()


def test_another_organizations_incident_never_shows_on_a_public_page(client, owner, outsider):
    page = make_status_page(owner.organization)
    checkout = make_component(page, "Checkout")
    hold(make_incident(outsider.team, name="Globex private incident"), checkout)

    html = client.get(public(page)).content.decode()

    assert "Globex private incident" not in html


def test_a_signed_in_user_sees_the_public_page_without_the_app_navigation(client, owner):
    page = make_status_page(owner.organization)
    client.force_login(owner.user)

    html = client.get(public(page)).content.decode()

    assert "Sign out" not in html and 'href="/webhooks"' not in html


def test_the_public_page_runs_a_fixed_number_of_queries(
    client, owner, django_assert_max_num_queries
):
    page = make_status_page(owner.organization)
    components = [make_component(page, f"Component {n}") for n in range(20)]
    for n in range(30):
        hold(make_incident(owner.team, name=f"Incident {n}"), components[n % 20])
    # Windows announced for the components held by rulesets' actions.
    from datetime import timedelta

    from django.utils import timezone

    from maintenance.models import MaintenanceWindow
    from rulesets.tests.builders import make_action, make_ruleset

    now = timezone.now()
    for n in range(10):
        ruleset = make_ruleset(owner.team, name=f"Rule {n}")
        setting = {"status_page_id": str(page.pk), "component_id": str(components[n].pk)}
        make_action(ruleset, settings=[setting])
        window = MaintenanceWindow.objects.create(
            organization=owner.organization,
            reason=f"Upgrade {n}",
            start=now + timedelta(hours=n),
            end=now + timedelta(hours=n + 1),
        )
        window.rulesets.set([ruleset])

    with django_assert_max_num_queries(9):
        response = client.get(public(page))

    assert response.content.decode().count('class="card public-incident"') == 30
    assert response.content.decode().count('class="card public-maintenance"') == 10
