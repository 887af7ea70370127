"""PUT /v1/user/contact-method/{id} (and its alias PUT /v1/notification-channel/{id})."""

import pytest
from django.test import Client, TestCase

from audit.models import AuditRecord
from notifications.models import ContactMethod
from notifications.tests.test_api_contact_methods import add, code_in, verify
from pinghome.testing import UNKNOWN_ID, assert_invalid, assert_not_found

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified(owner, mailoutbox):
    method_id = add(owner).json()["id"]
    verify(owner, method_id, code_in(mailoutbox[0]))
    mailoutbox.clear()
    return method_id


@pytest.mark.parametrize("route", ["/v1/user/contact-method", "/v1/notification-channel"])
def test_label_and_enabled_change_and_are_audited(owner, verified, route):
    response = owner.api.put(f"{route}/{verified}", {"label": "Phone", "enabled": False})

    assert response.status_code == 200
    method = ContactMethod.objects.get(pk=verified)
    assert (method.label, method.enabled, method.is_verified) == ("Phone", False, True)
    record = AuditRecord.objects.filter(object_type="contactmethod", action="updated").first()
    assert record.before == {"label": "Pager", "enabled": True}
    assert record.after == {"label": "Phone", "enabled": False}


def test_a_new_target_is_unverified_again_and_gets_a_code(owner, verified, mailoutbox):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = owner.api.put(
            f"/v1/user/contact-method/{verified}", {"target": "oncall@acme.test"}
        )

    assert response.status_code == 200
    method = ContactMethod.objects.get(pk=verified)
    assert (method.target, method.is_verified) == ("oncall@acme.test", False)
    [mail] = mailoutbox
    assert mail.to == ["oncall@acme.test"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target": "not an address"}, "target"),
        ({"enabled": "yes"}, "enabled"),
        ({"label": "x" * 101}, "label"),
    ],
)
def test_bad_changes_are_422_naming_the_field(owner, verified, body, field):
    assert_invalid(owner.api.put(f"/v1/user/contact-method/{verified}", body), field)


@pytest.mark.parametrize("persona", ["teammate", "manager", "outsider"])
def test_another_persons_contact_method_is_404_whatever_their_role(
    owner, verified, persona, request
):
    actor = request.getfixturevalue(persona)

    assert_not_found(actor.api.put(f"/v1/user/contact-method/{verified}", {"label": "Mine"}))
    assert ContactMethod.objects.get(pk=verified).label == "Pager"


@pytest.mark.parametrize("persona", ["teammate", "manager", "owner"])
def test_every_role_changes_its_own_contact_methods(persona, request, mailoutbox):
    actor = request.getfixturevalue(persona)
    method_id = add(actor).json()["id"]

    response = actor.api.put(f"/v1/user/contact-method/{method_id}", {"label": "Mine"})

    assert response.status_code == 200


def test_an_unknown_contact_method_is_404(owner):
    assert_not_found(owner.api.put(f"/v1/user/contact-method/{UNKNOWN_ID}", {"label": "x"}))


def test_switched_off_from_my_profile(owner, verified):
    client = Client()
    client.force_login(owner.user)

    response = client.post(f"/profile/contact-method/{verified}/edit", {"label": "Phone"})

    assert response.status_code == 302
    method = ContactMethod.objects.get(pk=verified)
    assert (method.label, method.enabled) == ("Phone", False)
