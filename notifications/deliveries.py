"""Deliveries: one message to one contact method or chat channel, sent when it is due, retried
with backoff that really waits, each attempt on the incident's timeline.

Rows are the source of truth. A delivery due now is handed to a task after commit; one due
later (a rule's delay, a retry) is sent by the periodic sweep (``send_due``), which also finds
what a lost task left. Sending starts with a compare-and-set claim, so two tasks or two sweeps
send a delivery once.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from incidents.models import Incident, IncidentEvent, IncidentStatus, TimelineKind
from incidents.timeline import record
from notifications import apprise_targets, links
from notifications.delivery import DeliveryError, post_webhook, send_email
from notifications.models import ContactMethodType, Delivery, DeliveryState
from pinghome import metrics
from pinghome.jobs import enqueue_on_commit, send_task

logger = logging.getLogger(__name__)

# A claimed delivery whose sender died is sent again after this long.
STUCK_AFTER = timedelta(minutes=10)
# A due delivery handed to a task that did not run is handed over again after this long.
REENQUEUE_AFTER = timedelta(minutes=1)
SWEEP_BATCH = 500


def backoff(attempts: int) -> timedelta:
    """The wait before attempt ``attempts + 1``: 15 s, 1 min, 4 min, 16 min, then 30 min."""
    return timedelta(seconds=min(15 * 4 ** (attempts - 1), 1800))


def create(rows: list[Delivery]) -> None:
    """Insert deliveries (a row whose key exists already is left alone: that page or post was
    asked for before) and hand those due now to a task after commit, in one message."""
    from notifications.tasks import send_deliveries

    now = timezone.now()
    for row in rows:
        if row.due_at <= now:
            row.enqueued_at = now
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    # A row not inserted (its key existed) is claimed by no one.
    due = [str(row.pk) for row in rows if row.enqueued_at]
    if due:
        enqueue_on_commit(send_deliveries, due)


def send_each(delivery_ids: list[str]) -> None:
    """Send deliveries handed over together: one, at once; more, each by a task of its own, so
    that workers send them side by side (an escalation tick publishes one message per batch,
    not one per page)."""
    from notifications.tasks import send_delivery

    if len(delivery_ids) == 1:
        send(delivery_ids[0])
        return
    for delivery_id in delivery_ids:
        send_task(send_delivery, delivery_id)


def send_due(now=None) -> int:
    """Hand every due delivery to a task: delayed rules, retries, and what lost tasks left."""
    from notifications.tasks import send_deliveries

    now = now or timezone.now()
    Delivery.objects.filter(state=DeliveryState.SENDING, updated_at__lt=now - STUCK_AFTER).update(
        state=DeliveryState.PENDING, enqueued_at=None, updated_at=now
    )
    with transaction.atomic():
        due = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(state=DeliveryState.PENDING, due_at__lte=now)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REENQUEUE_AFTER))
            .order_by("due_at")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        Delivery.objects.filter(pk__in=due).update(enqueued_at=now)
    if due:
        send_task(send_deliveries, [str(pk) for pk in due])
    return len(due)


def send(delivery_id: str) -> None:
    """Claim and send one delivery; a failure is scheduled again with backoff, or given up."""
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, state=DeliveryState.PENDING, due_at__lte=now
    ).update(state=DeliveryState.SENDING, attempts=F("attempts") + 1, updated_at=now)
    if not claimed:
        return
    delivery = Delivery.objects.select_related(
        "incident__team",
        "incident__ruleset",
        "incident__created_by",
        "user",
        "contact_method",
        "chat_channel",
    ).get(pk=delivery_id)
    reason = _cancelled(delivery)
    if reason:
        _finish(delivery, DeliveryState.CANCELLED, error=reason)
        return
    try:
        _send(delivery)
    except (DeliveryError, OSError) as exc:
        _failed(delivery, str(exc), permanent=isinstance(exc, DeliveryError) and exc.permanent)
    except Exception as exc:  # noqa: BLE001 - a bug in one delivery must not lose it
        logger.exception("sending delivery %s failed", delivery_id)
        _failed(delivery, f"internal error ({exc.__class__.__name__})", permanent=False)
    else:
        _finish(delivery, DeliveryState.SENT, sent_at=timezone.now())
        metrics.count(metrics.NOTIFICATIONS_SENT, delivery.method)
        if delivery.incident is not None:
            record(
                delivery.incident,
                TimelineKind.NOTIFIED,
                message=f"{_what(delivery)}: sent",
                data=_entry_data(delivery),
            )


def _cancelled(delivery: Delivery) -> str:
    """Why the delivery is not to be sent any more ("" when it is)."""
    incident = delivery.incident
    if incident is not None and delivery.user_id is not None:  # a page (a chat post tells all)
        if incident.status == IncidentStatus.RESOLVED:
            return "the incident was resolved"
        if incident.status == IncidentStatus.ACKNOWLEDGED and delivery.delay_minutes:
            return "the incident was acknowledged"
    if delivery.user_id is None and delivery.chat_channel is None:
        return "the chat channel was removed"
    method = delivery.contact_method
    if delivery.user_id is not None and method is None and delivery.target != delivery.user.email:
        return "the contact method was removed"
    if method is not None and not (method.is_verified and method.enabled):
        return "the contact method is not verified or disabled"
    return ""


def _finish(delivery: Delivery, state: str, **fields: Any) -> None:
    fields = {"state": state, "updated_at": timezone.now(), **fields}
    if state != DeliveryState.FAILED:
        fields.setdefault("error", "")
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    for name, value in fields.items():
        setattr(delivery, name, value)


def _failed(delivery: Delivery, error: str, *, permanent: bool) -> None:
    error = error[:500] or "unknown error"
    metrics.count(metrics.NOTIFICATIONS_FAILED, delivery.method)
    final = permanent or delivery.attempts >= settings.DELIVERY_MAX_ATTEMPTS
    if final:
        _finish(delivery, DeliveryState.FAILED, error=error)
        outcome = "giving up" if delivery.attempts > 1 or not permanent else "not retried"
    else:
        due = timezone.now() + backoff(delivery.attempts)
        _finish(delivery, DeliveryState.PENDING, error=error, due_at=due, enqueued_at=None)
        outcome = f"retrying at {due:%H:%M:%S} UTC"
    if delivery.incident is not None:
        record(
            delivery.incident,
            TimelineKind.NOTIFICATION_FAILED,
            message=f"{_what(delivery)}: failed (attempt {delivery.attempts} of "
            f"{settings.DELIVERY_MAX_ATTEMPTS}): {error}; {outcome}",
            data={**_entry_data(delivery), "error": error, "final": final},
        )


def _who(delivery: Delivery) -> str:
    if delivery.user_id is None:
        channel = delivery.chat_channel
        return f"chat channel {channel.label or channel.shown_target}" if channel else "chat"
    return delivery.user.email


def _what(delivery: Delivery) -> str:
    method = delivery.contact_method
    by = f"{delivery.method} {method.label}" if method and method.label else delivery.method
    if delivery.user_id is None:
        return f"Post to {_who(delivery)}"
    return f"Page {_who(delivery)} by {by} ({delivery.target})"


def _entry_data(delivery: Delivery) -> dict[str, Any]:
    return {
        "delivery_id": str(delivery.pk),
        "user_id": str(delivery.user_id) if delivery.user_id else None,
        "contact_method_id": str(delivery.contact_method_id)
        if delivery.contact_method_id
        else None,
        "chat_channel_id": str(delivery.chat_channel_id) if delivery.chat_channel_id else None,
        "channel": delivery.method,
        "target": delivery.target,
        "reason": delivery.reason,
        "step": delivery.step_label,
        "attempt": delivery.attempts,
    }


# --- what is said ------------------------------------------------------------------------------


@dataclass
class Message:
    subject: str
    text: str
    payload: dict[str, Any]


def incident_url(incident: Incident) -> str:
    return f"{settings.SITE_URL}/incidents/{incident.pk}"


def incident_payload(incident: Incident, reason: str) -> dict[str, Any]:
    return {
        "event": f"incident.{reason}",
        "incident": {
            "id": str(incident.pk),
            "name": incident.name,
            "description": incident.description,
            "urgency": incident.urgency,
            "status": incident.status,
            "team_id": str(incident.team_id),
            "team": incident.team.name,
            "created_at": incident.created_at.isoformat(),
            "url": incident_url(incident),
        },
    }


def origin(incident: Incident) -> str:
    """Where the incident came from, in a few words."""
    if incident.ruleset is None:
        by = incident.created_by
        return f"opened by {by.email}" if by else "a ruleset since removed"
    webhook = (
        IncidentEvent.objects.filter(incident=incident)
        .order_by("id")
        .values_list("event__webhook__name", flat=True)
        .first()
    )
    via = f", webhook {webhook}" if webhook else ""
    return f"ruleset {incident.ruleset.name}{via}"


def incident_message(delivery: Delivery) -> Message:
    """A page (with its links) or a chat post about an incident, written for a phone."""
    incident = delivery.incident
    subject = f"[{incident.urgency}] {incident.name} ({incident.team.name})"
    payload = incident_payload(incident, delivery.reason)
    payload.update(incident_id=str(incident.pk), reason=delivery.reason, step=delivery.step_label)
    lines = [subject, ""]
    if delivery.user_id is not None:
        acknowledge, resolve = links.url(delivery, "acknowledge"), links.url(delivery, "resolve")
        payload.update(acknowledge_url=acknowledge, resolve_url=resolve)
        lines += [f"Acknowledge: {acknowledge}", "", f"Resolve: {resolve}", ""]
    elif delivery.text:
        subject = f"{delivery.text}: {subject}"
        lines[0] = subject
    lines += [
        f"Status: {incident.status}, urgency {incident.urgency}",
        f"Team: {incident.team.name}",
        f"From: {origin(incident)}",
    ]
    if delivery.user_id is not None:
        lines.append(f"Why you: {delivery.step_label or delivery.reason}")
    lines += [f"Incident: {incident_url(incident)}", f"Id: {incident.pk}"]
    if incident.description:
        lines += ["", incident.description[:1000]]
    if delivery.user_id is not None:
        lines += ["", "Each link works once, for 24 hours."]
    return Message(subject, "\n".join(lines), payload)


def personal_message(delivery: Delivery) -> Message:
    text = f"{delivery.text}\n\n{delivery.url}".strip()
    payload = {
        "event": f"user.{delivery.reason}",
        "subject": delivery.subject,
        "text": delivery.text,
        "url": delivery.url,
    }
    return Message(delivery.subject, text, payload)


def send_to(method: str, target: str, secret: str, message: Message) -> None:
    """Send one message by one kind of contact method; DeliveryError when it did not go out."""
    if method == ContactMethodType.EMAIL:
        send_email(target, message.subject, message.text)
    elif method == ContactMethodType.WEBHOOK:
        post_webhook(target, secret, message.payload)
    else:
        apprise_targets.send(target, message.subject, message.text)


def _send(delivery: Delivery) -> None:
    message = incident_message(delivery) if delivery.incident else personal_message(delivery)
    if delivery.chat_channel is not None:
        send_to(ContactMethodType.APPRISE, delivery.chat_channel.target, "", message)
    elif delivery.contact_method is not None:
        method = delivery.contact_method
        send_to(method.type, method.target, method.secret, message)
    else:
        send_to(ContactMethodType.EMAIL, delivery.user.email, "", message)
