"""page_user: each person paged through their rules and verified contact methods (Apprise
targets included), delayed rules dropped once the incident is acknowledged, a step paged once."""

import logging
import re
from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from incidents.models import Incident
from notifications import services
from notifications.models import Delivery
from notifications.tasks import send_due_deliveries
from notifications.tests.test_routing import (
    on_call_always,
    open_incident,
    run_due_deliveries,
    timeline,
)
from rulesets.tests.pipeline import create_ruleset, create_webhook, send

pytestmark = pytest.mark.django_db

CODE = re.compile(rb"\b(\d{6})\b")


def add_verified(persona, kind: str, target: str, inbox) -> str:
    """A contact method added and verified through the API, with the code it was sent (the
    last thing ``inbox``, a receiver or the mail outbox, got)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = persona.api.post("/v1/user/contact-method", {"type": kind, "target": target})
    assert response.status_code == 201, response.content
    method_id = response.json()["id"]
    sent = inbox[-1].body.encode() if isinstance(inbox, list) else inbox.requests.pop()[1]
    code = CODE.search(sent).group(1).decode()
    verified = persona.api.post(f"/v1/user/contact-method/{method_id}/verify", {"code": code})
    assert verified.status_code == 200, verified.content
    return method_id


def rules(persona, *rules: tuple[str, int], urgency: str = "high") -> None:
    body = [
        {"urgency": urgency, "contact_method_id": method_id, "delay_minutes": delay}
        for method_id, delay in rules
    ]
    assert persona.api.put("/v1/user/notification-rules", {"rules": body}).status_code == 200


def assigned_to(persona):
    return [{"type": "team_member", "id": str(persona.member.id)}]


def test_apprise_json_targets_get_the_incident_and_its_links(owner, receiver, mailoutbox):
    method_id = add_verified(owner, "apprise", f"json://{receiver.address}/page", receiver)
    rules(owner, (method_id, 0))
    incident_id = open_incident(owner, assignees=assigned_to(owner))

    [(headers, _)] = receiver.requests
    page = receiver.json()
    assert receiver.paths[-1] == "/page"
    assert page["title"] == "[high] DB down (Ops)"
    assert incident_id in page["message"]
    assert f"/respond/{incident_id}/" in page["message"]
    assert "Acknowledge: " in page["message"] and "Resolve: " in page["message"]
    assert mailoutbox == []
    [entry] = timeline(owner, incident_id, "notified")
    assert entry["data"]["channel"] == "apprise"
    assert entry["data"]["target"].startswith("json://127.0.0.1")


def test_apprise_form_targets_get_form_fields(owner, receiver):
    method_id = add_verified(owner, "apprise", f"form://{receiver.address}/page", receiver)
    rules(owner, (method_id, 0))
    open_incident(owner, assignees=assigned_to(owner))
    form = receiver.form()
    assert form["title"] == "[high] DB down (Ops)"
    assert "Acknowledge: " in form["message"]


def test_an_ntfy_style_target_reaches_its_server(owner, receiver):
    method_id = add_verified(owner, "apprise", f"ntfy://{receiver.address}/oncall", receiver)
    rules(owner, (method_id, 0))
    incident_id = open_incident(owner, assignees=assigned_to(owner))
    assert receiver.paths[-1] in ("/", "/oncall")
    sent = receiver.requests[-1][1].decode()
    assert "DB down" in sent and incident_id in sent


def test_an_apprise_failure_is_on_the_timeline_without_the_urls_secrets(owner, receiver):
    target = f"json://pager:s3cretpassword@{receiver.address}/page"
    method_id = add_verified(owner, "apprise", target, receiver)
    rules(owner, (method_id, 0))
    receiver.statuses.append(500)
    incident_id = open_incident(owner, assignees=assigned_to(owner))
    [entry] = timeline(owner, incident_id, "notification-failed")
    assert "500" in entry["message"]
    assert "s3cretpassword" not in str(entry)
    assert "s3cretpassword" not in str(Delivery.objects.values())


def test_rules_page_now_and_after_their_delay(owner, receiver, mailoutbox):
    push = add_verified(owner, "apprise", f"json://{receiver.address}/push", receiver)
    mail = add_verified(owner, "email", "pager@acme.test", mailoutbox)
    mailoutbox.clear()
    rules(owner, (push, 0), (mail, 5))
    incident_id = open_incident(owner, assignees=assigned_to(owner))
    assert len(receiver.requests) == 1
    assert mailoutbox == [], "the e-mail rule waits 5 minutes"

    assert run_due_deliveries(minutes_later=0) == 0, "not due yet"
    assert run_due_deliveries(minutes_later=6) == 1
    assert [m.to for m in mailoutbox] == [["pager@acme.test"]]
    assert len(timeline(owner, incident_id, "notified")) == 2


def test_a_delayed_rule_is_dropped_once_the_incident_is_acknowledged(owner, receiver, mailoutbox):
    push = add_verified(owner, "apprise", f"json://{receiver.address}/push", receiver)
    mail = add_verified(owner, "email", "pager@acme.test", mailoutbox)
    mailoutbox.clear()
    rules(owner, (push, 0), (mail, 5))
    incident_id = open_incident(owner, assignees=assigned_to(owner))
    with TestCase.captureOnCommitCallbacks(execute=True):
        owner.api.put(
            f"/v1/incident/{incident_id}",
            {"name": "DB down", "description": "", "urgency": "high", "status": "acknowledged"},
        )
    assert sorted(Delivery.objects.values_list("state", flat=True)) == ["cancelled", "sent"]
    run_due_deliveries(minutes_later=6)
    assert mailoutbox == []


def test_rules_of_another_urgency_do_not_apply(owner, receiver, mailoutbox):
    push = add_verified(owner, "apprise", f"json://{receiver.address}/push", receiver)
    rules(owner, (push, 0), urgency="low")
    open_incident(owner, assignees=assigned_to(owner))  # high
    assert receiver.requests == []
    assert [m.to for m in mailoutbox][-1:] == [["owner@acme.test"]]


def test_an_unverified_contact_method_pages_no_one(owner, receiver, mailoutbox):
    with TestCase.captureOnCommitCallbacks(execute=True):
        method_id = owner.api.post(
            "/v1/user/contact-method", {"type": "webhook", "target": receiver.url}
        ).json()["id"]
    receiver.requests.clear()
    rules(owner, (method_id, 0))
    open_incident(owner, assignees=assigned_to(owner))
    assert receiver.requests == []
    assert [m.to for m in mailoutbox] == [["owner@acme.test"]], "e-mail instead"


def test_the_same_step_asked_twice_pages_once(owner, mailoutbox):
    incident_id = open_incident(owner, assignees=[])
    mailoutbox.clear()
    incident = Incident.objects.get(pk=incident_id)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.page_user(incident, owner.user, reason="escalated", step_label="step 2")
        services.page_user(incident, owner.user, reason="escalated", step_label="step 2")
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.page_user(incident, owner.user, reason="escalated", step_label="step 2")
    assert len(mailoutbox) == 1
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.page_user(incident, owner.user, reason="escalated", step_label="step 3")
    assert len(mailoutbox) == 2


def test_a_resolved_incident_pages_no_one(owner, mailoutbox):
    incident_id = open_incident(owner, assignees=[])
    incident = Incident.objects.get(pk=incident_id)
    with TestCase.captureOnCommitCallbacks(execute=True):
        owner.api.put(
            f"/v1/incident/{incident_id}",
            {"name": "DB down", "description": "", "urgency": "high", "status": "resolved"},
        )
    mailoutbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.page_user(incident, owner.user, reason="escalated", step_label="late")
    assert mailoutbox == []


def test_an_email_page_is_written_for_a_phone(owner, mailoutbox):
    incident_id = open_incident(owner, assignees=assigned_to(owner))
    [mail] = mailoutbox
    assert mail.subject == "[high] DB down (Ops)"
    lines = mail.body.splitlines()
    assert lines[2].startswith("Acknowledge: http") and f"/respond/{incident_id}/" in lines[2]
    assert lines[4].startswith("Resolve: http")
    assert "From: opened by owner@acme.test" in lines
    assert f"Id: {incident_id}" in lines


def test_a_personal_message_reaches_verified_methods(owner, receiver, mailoutbox):
    add_verified(owner, "apprise", f"json://{receiver.address}/push", receiver)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.notify_user(
            owner.user, subject="Your shift starts at 09:00", text="Ops", url="http://x/oncall"
        )
    assert receiver.json()["title"] == "Your shift starts at 09:00"
    assert mailoutbox[1:] == [], "a verified method replaces e-mail"


def test_the_sweep_sends_what_a_lost_task_left(owner, mailoutbox, monkeypatch):
    from notifications import deliveries

    monkeypatch.setattr(deliveries, "enqueue_on_commit", lambda *args: None)  # broker down
    open_incident(owner, assignees=assigned_to(owner))
    monkeypatch.undo()
    assert mailoutbox == []
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert send_due_deliveries.delay().get() == 0, "handed over a moment ago: not yet"
    Delivery.objects.update(enqueued_at=timezone.now() - timedelta(minutes=2))
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert send_due_deliveries.delay().get() == 1
    assert len(mailoutbox) == 1


def test_a_delivery_whose_sender_died_is_sent_again(owner, mailoutbox):
    open_incident(owner, assignees=assigned_to(owner))
    Delivery.objects.update(
        state="sending", sent_at=None, updated_at=timezone.now() - timedelta(minutes=11)
    )
    assert run_due_deliveries(minutes_later=0) == 1
    assert len(mailoutbox) == 2
    assert Delivery.objects.get().state == "sent"


def test_two_senders_of_one_delivery_send_it_once(owner, mailoutbox, monkeypatch):
    from notifications import deliveries

    monkeypatch.setattr(deliveries, "enqueue_on_commit", lambda *args: None)
    open_incident(owner, assignees=assigned_to(owner))
    [delivery] = Delivery.objects.all()
    deliveries.send(str(delivery.pk))
    deliveries.send(str(delivery.pk))
    assert len(mailoutbox) == 1


def test_a_page_says_which_ruleset_and_webhook_the_incident_came_from(owner, mailoutbox):
    on_call_always(owner, owner.member)
    webhook = create_webhook(owner, name="prod alarms")
    create_ruleset(owner, name="Alertmanager")
    send(webhook, {"anything": True})
    [mail] = mailoutbox
    assert "From: ruleset Alertmanager, webhook prod alarms" in mail.body.splitlines()


def test_apprise_secrets_are_never_logged(owner, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    target = f"json://pager:s3cretpassword@{receiver.address}/page"
    method_id = add_verified(owner, "apprise", target, receiver)
    rules(owner, (method_id, 0))
    receiver.statuses.append(500)
    open_incident(owner, assignees=assigned_to(owner))
    assert "Failed to send JSON" in caplog.text
    assert "s3cretpassword" not in caplog.text
