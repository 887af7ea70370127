"""Contact methods in the admin: targets checked as the API checks them."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from notifications.models import ContactMethod

pytestmark = pytest.mark.django_db

ADD = reverse("admin:notifications_contactmethod_add")


@pytest.fixture
def staff(owner):
    owner.user.is_staff = True
    owner.user.save(update_fields=["is_staff"])
    owner.user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="notifications")
    )
    client = Client()
    client.force_login(owner.user)
    return client


@pytest.mark.parametrize(
    ("kind", "target"), [("email", "not-an-address"), ("webhook", "ftp://example.com/hook")]
)
def test_a_bad_target_is_a_form_error(staff, owner, kind, target):
    response = staff.post(
        ADD, {"user": owner.user.pk, "type": kind, "target": target, "enabled": "on"}
    )
    assert response.status_code == 200
    assert "target" in response.context["adminform"].form.errors
    assert not ContactMethod.objects.exists()


def test_a_private_address_in_any_spelling_is_a_form_error(staff, owner):
    target = "http://[::127.0.0.1]/hook"
    response = staff.post(
        ADD, {"user": owner.user.pk, "type": "webhook", "target": target, "enabled": "on"}
    )
    assert response.status_code == 200
    assert "non-public address" in str(response.context["adminform"].form.errors["target"])
    assert not ContactMethod.objects.exists()


def test_a_contact_method_is_saved_and_its_secret_never_shown(staff, owner):
    response = staff.post(
        ADD,
        {"user": owner.user.pk, "type": "webhook", "target": "https://93.184.216.34/hook"},
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    channel = ContactMethod.objects.get()
    page = staff.get(reverse("admin:notifications_contactmethod_change", args=[channel.pk]))
    assert page.status_code == 200
    assert channel.secret not in page.content.decode()


def test_another_organizations_user_cannot_be_chosen(staff, outsider):
    response = staff.post(
        ADD, {"user": outsider.user.pk, "type": "email", "target": "a@example.com"}
    )
    assert response.status_code == 200
    assert "user" in response.context["adminform"].form.errors
    assert not ContactMethod.objects.exists()
