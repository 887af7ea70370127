"""Contact methods and notification rules of the token's user: created unverified, verified
with a 6-digit code, each acting for its owner alone."""

import re
from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from audit.models import AuditRecord
from notifications.models import ContactMethod
from pinghome.testing import (
    BAD_TOKEN,
    UNKNOWN_ID,
    assert_invalid,
    assert_not_found,
    assert_unauthorized,
)

pytestmark = pytest.mark.django_db


def add(persona, **body):
    body = {"type": "email", "target": "pager@acme.test", "label": "Pager", **body}
    with TestCase.captureOnCommitCallbacks(execute=True):
        return persona.api.post("/v1/user/contact-method", body)


def code_in(mail) -> str:
    return re.search(r"\b(\d{6})\b", mail.body).group(1)


def verify(persona, method_id, code):
    return persona.api.post(f"/v1/user/contact-method/{method_id}/verify", {"code": code})


def test_a_new_contact_method_is_unverified_and_gets_a_code(owner, mailoutbox):
    response = add(owner)
    assert response.status_code == 201
    method_id = response.json()["id"]
    [mail] = mailoutbox
    assert mail.to == ["pager@acme.test"]
    assert len(code_in(mail)) == 6
    [listed] = owner.api.get("/v1/user/contact-methods").json()
    assert (
        listed | {"id": method_id, "type": "email", "label": "Pager", "verified": False} == listed
    )
    stored = ContactMethod.objects.get(pk=method_id)
    assert code_in(mail) not in stored.verification_code_hash, "the code is kept hashed"


def test_the_right_code_verifies_it_once(owner, mailoutbox):
    method_id = add(owner).json()["id"]
    code = code_in(mailoutbox[0])
    assert verify(owner, method_id, code).status_code == 200
    assert owner.api.get("/v1/user/contact-methods").json()[0]["verified"] is True
    assert verify(owner, method_id, code).status_code == 409
    assert AuditRecord.objects.filter(object_type="contactmethod", action="updated").exists()


def test_wrong_codes_are_limited_to_five_attempts(owner, mailoutbox):
    method_id = add(owner).json()["id"]
    code = code_in(mailoutbox[0])
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        errors = assert_invalid(verify(owner, method_id, wrong), "code")
        assert errors["code"] == [f"Wrong code; {left} attempt(s) left."]
    assert_invalid(verify(owner, method_id, wrong), "code")
    errors = assert_invalid(verify(owner, method_id, code), "code")
    assert errors["code"] == ["No valid code: send a new one."]


def test_an_expired_code_is_refused_and_a_new_one_works(owner, mailoutbox):
    method_id = add(owner).json()["id"]
    ContactMethod.objects.filter(pk=method_id).update(
        verification_expires_at=timezone.now() - timedelta(seconds=1)
    )
    errors = assert_invalid(verify(owner, method_id, code_in(mailoutbox[0])), "code")
    assert "expired" in errors["code"][0]

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = owner.api.post(f"/v1/user/contact-method/{method_id}/verification")
    assert response.status_code == 200
    assert owner.api.post(f"/v1/user/contact-method/{method_id}/verification").status_code == 409
    assert verify(owner, method_id, code_in(mailoutbox[-1])).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "sms"}, "type"),
        ({"type": "email", "target": "not-an-address"}, "target"),
        ({"type": "webhook", "target": "ftp://example.com/x"}, "target"),
        ({"type": "apprise", "target": "nonsense"}, "target"),
        ({"type": "apprise", "target": "nosuchservice://token"}, "target"),
        ({"type": "apprise", "target": "syslog://"}, "target"),
        ({"type": "apprise", "target": "json://127.0.0.1:9/hook"}, "target"),
        ({"type": "apprise", "target": "ntfy://10.0.0.5/topic"}, "target"),
        ({"type": "apprise", "target": "mailto://u:p@example.com?smtp=192.168.1.1"}, "target"),
        ({"type": "email", "target": 42}, "target"),
        ({"type": "email", "target": "a@b.test", "label": "x" * 101}, "label"),
    ],
)
def test_invalid_contact_methods_are_a_422_naming_the_field(owner, body, field):
    assert_invalid(add(owner, **body), field)
    assert not ContactMethod.objects.exists()


def test_an_apprise_url_is_listed_with_its_secrets_masked(owner):
    target = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#alerts"
    assert add(owner, type="apprise", target=target).status_code == 201
    [listed] = owner.api.get("/v1/user/contact-methods").json()
    assert listed["target"].startswith("slack://")
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in listed["target"]
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in str(AuditRecord.objects.values_list("after"))


def test_contact_methods_are_personal(owner, teammate, outsider, mailoutbox):
    method_id = add(owner).json()["id"]
    assert teammate.api.get("/v1/user/contact-methods").json() == []
    for other in (teammate, outsider):
        assert_not_found(other.api.delete(f"/v1/user/contact-method/{method_id}"))
        assert_not_found(verify(other, method_id, code_in(mailoutbox[0])))
    assert_not_found(owner.api.delete(f"/v1/user/contact-method/{UNKNOWN_ID}"))
    assert owner.api.delete(f"/v1/user/contact-method/{method_id}").status_code == 200
    assert owner.api.get("/v1/user/contact-methods").json() == []


def test_contact_method_routes_need_a_token(anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION=BAD_TOKEN)
    assert_unauthorized(anonymous.get("/v1/user/contact-methods"))
    assert_unauthorized(anonymous.post("/v1/user/contact-method", {}))
    assert_unauthorized(anonymous.put("/v1/user/notification-rules", {"rules": []}))


def test_rules_are_replaced_whole_and_read_back(owner, mailoutbox):
    first = add(owner).json()["id"]
    second = add(owner, target="other@acme.test").json()["id"]
    rules = [
        {"urgency": "high", "contact_method_id": first, "delay_minutes": 0},
        {"urgency": "high", "contact_method_id": second, "delay_minutes": 2},
        {"urgency": "low", "contact_method_id": first, "delay_minutes": 0},
    ]
    assert owner.api.put("/v1/user/notification-rules", {"rules": rules}).status_code == 200
    assert owner.api.get("/v1/user/notification-rules").json() == {
        "rules": sorted(rules, key=lambda r: (r["urgency"], r["delay_minutes"]))
    }
    assert owner.api.put("/v1/user/notification-rules", {"rules": rules[:1]}).status_code == 200
    assert owner.api.get("/v1/user/notification-rules").json() == {"rules": rules[:1]}
    # Removing a contact method removes its rules.
    owner.api.delete(f"/v1/user/contact-method/{first}")
    assert owner.api.get("/v1/user/notification-rules").json() == {"rules": []}


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"urgency": "urgent"}, "rules.0.urgency"),
        ({"delay_minutes": -1}, "rules.0.delay_minutes"),
        ({"delay_minutes": 1441}, "rules.0.delay_minutes"),
        ({"contact_method_id": UNKNOWN_ID}, "rules.0.contact_method_id"),
        ({"contact_method_id": "nope"}, "rules.0.contact_method_id"),
    ],
)
def test_invalid_rules_are_a_422_naming_the_field(owner, mailoutbox, rule, field):
    method_id = add(owner).json()["id"]
    body = {"urgency": "high", "contact_method_id": method_id, "delay_minutes": 0, **rule}
    assert_invalid(owner.api.put("/v1/user/notification-rules", {"rules": [body]}), field)


def test_a_rule_cannot_name_someone_elses_contact_method(owner, teammate, mailoutbox):
    method_id = add(teammate).json()["id"]
    body = {"urgency": "high", "contact_method_id": method_id, "delay_minutes": 0}
    errors = assert_invalid(
        owner.api.put("/v1/user/notification-rules", {"rules": [body]}),
        "rules.0.contact_method_id",
    )
    assert errors["rules.0.contact_method_id"] == ["not one of your contact methods"]


def test_a_test_page_reaches_every_verified_method_else_email(owner, mailoutbox):
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert owner.api.post("/v1/user/test-page").status_code == 200
    assert [m.to for m in mailoutbox] == [["owner@acme.test"]]
    [delivery] = owner.api.get("/v1/user/deliveries").json()
    assert (delivery["reason"], delivery["state"]) == ("test", "sent")

    method_id = add(owner).json()["id"]
    verify(owner, method_id, code_in(mailoutbox[-1]))
    mailoutbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        owner.api.post("/v1/user/test-page")
    assert [m.to for m in mailoutbox] == [["pager@acme.test"]]


def test_a_host_name_that_is_not_valid_idna_is_a_422_not_a_500(owner):
    response = owner.api.post(
        "/v1/user/contact-method",
        {"type": "webhook", "target": "https://a\u202eb.example/hook", "label": "x"},
    )

    assert response.status_code == 422
    assert "target" in response.json()["errors"]
