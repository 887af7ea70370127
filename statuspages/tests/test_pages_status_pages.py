"""Status pages: managing them (signed in) and the public page (anyone with the link)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.tests.builders import make_incident, open_incident
from maintenance.models import MaintenanceWindow
from rulesets.tests.builders import make_action, make_ruleset
from statuspages import services
from statuspages.models import Component, ComponentHold, ComponentStatus, NoticeStatus, StatusPage
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


def test_the_public_page_needs_no_sign_in_and_shows_public_names_and_status(client, owner):
    page = make_status_page(owner.organization, "Acme status")
    make_component(page, "pg-main-eu1", ComponentStatus.MAJOR_OUTAGE, public_name="Checkout")
    make_component(page, "Search", ComponentStatus.OPERATIONAL)
    Component.objects.filter(name="Search").update(description="Finding products")

    response = client.get(public(page))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Acme status" in html
    assert 'data-component="Checkout" data-status="major-outage"' in html
    assert 'data-component="Search" data-status="operational"' in html
    assert "Finding products" in html
    assert "pg-main-eu1" not in html  # the internal name
    assert "Major outage" in html  # the headline: the worst component
    assert 'data-refresh="10"' in html


def test_the_public_page_says_all_is_well_when_it_is(client, owner):
    page = make_status_page(owner.organization)
    make_component(page, "Checkout")

    html = client.get(public(page)).content.decode()

    assert "All systems operational" in html and "No notice in the last 14 days." in html


@pytest.mark.parametrize("page_id", ["not-a-uuid", UNKNOWN_ID])
def test_an_unknown_public_page_is_a_404(client, page_id):
    assert client.get(f"/status/{page_id}").status_code == 404


def test_unresolved_incidents_are_never_published_under_their_names(client, owner, teammate):
    """Found broken 10: the page listed every unresolved incident by its internal name (93 at
    once, 11,653 px tall). Now it shows the components' status, and notices people wrote."""
    page = make_status_page(owner.organization)
    components = [make_component(page, f"Component {n}") for n in range(3)]
    before = client.get(public(page)).content.decode()
    incidents = [
        open_incident(
            owner.team,
            owner.user,
            name=f"INTERNAL db-{n} replica lag",
            description="INTERNAL: the db password rotated",
            assignees=[{"type": "team_member", "id": str(teammate.member.pk)}],
        )
        for n in range(93)
    ]
    for n, incident in enumerate(incidents):
        hold(incident, components[n % 3])

    html = client.get(public(page)).content.decode()

    assert html.count("data-component=") == 3
    for n in range(3):
        assert f'data-component="Component {n}" data-status="major-outage"' in html
    for secret in ["INTERNAL", "mate@acme.test", "owner@acme.test", str(incidents[0].pk), "Ops"]:
        assert secret not in html
    assert html.count("<article") == before.count("<article") == 0


def test_notices_are_shown_with_their_updates_and_components_public_names(client, owner, teammate):
    page = make_status_page(owner.organization)
    checkout = make_component(page, "pg-main", public_name="Checkout")
    incident = open_incident(owner.team, owner.user, name="INTERNAL pg failover")
    notice = services.post_notice(
        page,
        by=teammate.user,
        title="Payments are slow",
        status=NoticeStatus.INVESTIGATING,
        message="We are looking into it.",
        component_ids=[checkout.pk],
        incident=incident,
    )
    services.post_notice_update(
        notice, by=owner.user, status=NoticeStatus.IDENTIFIED, message="A database failed over."
    )

    html = client.get(public(page)).content.decode()

    assert 'data-notice="identified"' in html and "Payments are slow" in html
    assert "We are looking into it." in html and "A database failed over." in html
    assert html.index("A database failed over.") < html.index("We are looking into it.")
    assert "Affects Checkout" in html
    assert "INTERNAL" not in html and "pg-main" not in html and str(incident.pk) not in html


def test_resolved_notices_are_past_ones_for_two_weeks(client, owner):
    page = make_status_page(owner.organization)
    for title in ("Old outage", "Recent outage"):
        services.post_notice(
            page, by=owner.user, title=title, status=NoticeStatus.RESOLVED, message="Fixed."
        )
    page.notices.filter(title="Old outage").update(resolved_at=timezone.now() - timedelta(days=15))

    html = client.get(public(page)).content.decode()

    assert "Recent outage" in html and 'data-notice="resolved"' in html
    assert "Old outage" not in html
    assert "All systems operational" in html


def test_announced_maintenance_names_only_the_components_it_affects_by_public_name(
    client, owner
):
    page = make_status_page(owner.organization)
    checkout = make_component(page, "pg-main-eu1", public_name="Checkout")
    make_component(page, "es-search-7", public_name="Search")
    ruleset = make_ruleset(owner.team, name="pg rules")
    make_action(ruleset, [{"status_page_id": str(page.pk), "component_id": str(checkout.pk)}])
    now = timezone.now()
    window = MaintenanceWindow.objects.create(
        organization=owner.organization,
        reason="Database upgrade",
        start=now + timedelta(hours=2),
        end=now + timedelta(hours=3),
    )
    window.rulesets.set([ruleset])

    html = client.get(public(page)).content.decode()

    assert 'data-maintenance="planned"' in html and "Database upgrade" in html
    assert "affects Checkout</p>" in html  # not Search, which no affected ruleset holds
    assert "pg-main-eu1" not in html and "pg rules" not in html


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
    for n in range(8):
        notice = services.post_notice(
            page,
            by=owner.user,
            title=f"Notice {n}",
            status=NoticeStatus.INVESTIGATING,
            message="Looking.",
            component_ids=[c.pk for c in components[n : n + 3]],
        )
        if n % 2:
            services.post_notice_update(
                notice, by=owner.user, status=NoticeStatus.RESOLVED, message="Fixed."
            )
    # Windows announced for the components held by rulesets' actions.
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

    with django_assert_max_num_queries(12):
        response = client.get(public(page))

    html = response.content.decode()
    assert html.count('class="card public-notice') == 8
    assert html.count('class="card public-maintenance"') == 10
    assert html.count("data-component=") == 20
