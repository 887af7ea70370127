"""Status pages and components in the admin."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from statuspages.models import Component, ComponentStatus
from statuspages.tests.builders import make_component, make_status_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(owner):
    owner.user.is_staff = True
    owner.user.save(update_fields=["is_staff"])
    owner.user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="statuspages")
    )
    client = Client()
    client.force_login(owner.user)
    return client


def test_components_are_added_inline_and_their_status_is_not_editable(staff, owner):
    page = make_status_page(owner.organization)
    component = make_component(page, "API", ComponentStatus.MAJOR_OUTAGE)
    url = reverse("admin:statuspages_statuspage_change", args=[page.pk])
    response = staff.post(
        url,
        {
            "organization": owner.organization.pk,
            "name": "Public",
            "components-TOTAL_FORMS": "2",
            "components-INITIAL_FORMS": "1",
            "components-0-id": str(component.pk),
            "components-0-status_page": str(page.pk),
            "components-0-name": "API",
            "components-0-status": "operational",
            "components-1-status_page": str(page.pk),
            "components-1-name": "Web",
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    component.refresh_from_db()
    assert component.status == ComponentStatus.MAJOR_OUTAGE
    assert Component.objects.get(name="Web").status == ComponentStatus.OPERATIONAL


def test_a_component_cannot_be_put_on_another_organizations_page(staff, owner, outsider):
    theirs = make_status_page(outsider.organization, "Theirs")
    response = staff.post(
        reverse("admin:statuspages_component_add"), {"status_page": theirs.pk, "name": "Sneaky"}
    )
    assert response.status_code == 200
    assert "status_page" in response.context["adminform"].form.errors
    assert not Component.objects.filter(name="Sneaky").exists()


def test_the_status_page_filter_offers_only_the_users_pages(staff, owner, outsider):
    make_component(make_status_page(owner.organization, "Ours"))
    make_component(make_status_page(outsider.organization, "Their secret page"))
    content = staff.get(reverse("admin:statuspages_component_changelist")).content.decode()
    assert "Ours" in content and "Their secret page" not in content
