"""Configuring who is reached how: a user's contact methods (verified with a 6-digit code) and
notification rules, and a team's chat channels. What the API, the pages and the admin call."""

import secrets
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import Team, User
from accounts.permissions import ensure_team_manager
from audit import services as audit
from audit.models import AuditAction
from notifications import apprise_targets
from notifications.delivery import DeliveryError, check_destination
from notifications.models import ChatChannel, ContactMethod, ContactMethodType, NotificationRule
from pinghome.jobs import enqueue_on_commit

CODE_VALID_FOR = timedelta(hours=1)
CODE_ATTEMPTS = 5
CODE_RESEND_AFTER = timedelta(minutes=1)
MAX_DELAY_MINUTES = 1440
MAX_RULES = 50


class VerificationError(Exception):
    """The code was not accepted; the message says why."""


class AlreadyVerified(Exception):
    pass


def clean_target(kind: str, target: str) -> str:
    """The target stripped, if pinghome may send to it; else ValidationError naming ``target``."""
    target = target.strip()
    try:
        if kind == ContactMethodType.EMAIL:
            validate_email(target)
        elif kind == ContactMethodType.WEBHOOK:
            URLValidator(schemes=["http", "https"])(target)
            check_destination(target)
        else:
            apprise_targets.check(target)
    except ValidationError as exc:
        raise ValidationError({"target": exc.messages}) from None
    except apprise_targets.InvalidTarget as exc:
        raise ValidationError({"target": [str(exc)]}) from None
    except DeliveryError as exc:
        # A private address is refused; a name that does not resolve now may later (and is
        # checked again before every send).
        if exc.permanent:
            raise ValidationError({"target": [str(exc)]}) from None
    return target


def _shown(method: ContactMethod) -> dict[str, Any]:
    """What the audit log keeps of a contact method: no secret of an Apprise URL."""
    return {
        "user_id": str(method.user_id),
        "type": method.type,
        "target": method.shown_target,
        "label": method.label,
        "verified": method.is_verified,
    }


# --- contact methods -------------------------------------------------------------------------


@transaction.atomic
def create_contact_method(user: User, *, type: str, target: str, label: str = "") -> ContactMethod:
    """An unverified contact method; a code to verify it is sent to it after commit."""
    method = ContactMethod.objects.create(
        user=user, type=type, target=clean_target(type, target), label=label.strip()
    )
    audit.record(user, AuditAction.CREATED, method, after=_shown(method))
    _send_code(method)
    return method


@transaction.atomic
def update_contact_method(method: ContactMethod, *, by: User, changes: dict[str, Any]) -> None:
    """Its ``label``, ``enabled`` (a disabled method pages nobody) or ``target``: a new target is
    unverified again, and sent a code, until its owner gives it back."""
    method = ContactMethod.objects.select_for_update().get(pk=method.pk)
    before = {**_shown(method), "enabled": method.enabled}
    new_target = "target" in changes and changes["target"].strip() != method.target
    if new_target:
        method.target = clean_target(method.type, changes["target"])
        method.verified_at = None
    if "label" in changes:
        method.label = changes["label"].strip()
    if "enabled" in changes:
        method.enabled = changes["enabled"]
    method.save(update_fields=["target", "verified_at", "label", "enabled"])
    audit.record_update(by, method, before, {**_shown(method), "enabled": method.enabled})
    if new_target:
        _send_code(method)


@transaction.atomic
def delete_contact_method(method: ContactMethod, *, by: User) -> None:
    audit.record(by, AuditAction.DELETED, method, before=_shown(method))
    method.delete()


def _code_hash(method: ContactMethod, code: str) -> str:
    return salted_hmac("pinghome.contact-method-code", f"{method.pk}:{code}").hexdigest()


def _send_code(method: ContactMethod) -> None:
    from notifications.tasks import send_verification_code

    code = f"{secrets.randbelow(10**6):06d}"
    method.verification_code_hash = _code_hash(method, code)
    method.verification_expires_at = timezone.now() + CODE_VALID_FOR
    method.verification_attempts = 0
    method.verification_error = ""
    method.save(
        update_fields=[
            "verification_code_hash",
            "verification_expires_at",
            "verification_attempts",
            "verification_error",
        ]
    )
    enqueue_on_commit(send_verification_code, str(method.pk), code)


@transaction.atomic
def resend_code(method: ContactMethod) -> None:
    """A fresh code (the last one stops working); at most one a minute."""
    method = ContactMethod.objects.select_for_update().get(pk=method.pk)
    if method.is_verified:
        raise AlreadyVerified
    expires = method.verification_expires_at
    if expires and expires - CODE_VALID_FOR > timezone.now() - CODE_RESEND_AFTER:
        raise VerificationError("A code was sent less than a minute ago; wait a little.")
    _send_code(method)


def verify(method: ContactMethod, code: str) -> None:
    """Accept the code: the contact method pages from now on. VerificationError if wrong,
    expired or tried too often (each wrong guess counts, even when two arrive at once)."""
    with transaction.atomic():
        method = ContactMethod.objects.select_for_update().get(pk=method.pk)
        if method.is_verified:
            raise AlreadyVerified
        problem = ""
        if not method.verification_code_hash or method.verification_attempts >= CODE_ATTEMPTS:
            problem = "No valid code: send a new one."
        elif method.verification_expires_at < timezone.now():
            problem = "This code has expired: send a new one."
        elif not constant_time_compare(_code_hash(method, code), method.verification_code_hash):
            method.verification_attempts += 1
            method.save(update_fields=["verification_attempts"])
            left = CODE_ATTEMPTS - method.verification_attempts
            problem = (
                f"Wrong code; {left} attempt(s) left."
                if left
                else "Wrong code, and too many attempts: send a new one."
            )
        else:
            before = _shown(method)
            method.verified_at = timezone.now()
            method.verification_code_hash = ""
            method.verification_expires_at = None
            method.save(
                update_fields=["verified_at", "verification_code_hash", "verification_expires_at"]
            )
            audit.record_update(method.user, method, before, _shown(method))
    if problem:
        raise VerificationError(problem)


def send_verification_code(method_id: str, code: str) -> None:
    """Send the code (the task); why it could not be sent is kept on the contact method."""
    from notifications.deliveries import Message, send_to

    method = ContactMethod.objects.filter(pk=method_id, verified_at__isnull=True).first()
    if method is None:
        return
    text = (
        f"Your pinghome verification code is {code}. It works for "
        f"{int(CODE_VALID_FOR.total_seconds() // 60)} minutes."
    )
    payload = {
        "event": "contact-method.verification",
        "contact_method_id": str(method.pk),
        "code": code,
        "text": text,
    }
    try:
        send_to(method.type, method.target, method.secret, Message("pinghome code", text, payload))
    except (DeliveryError, OSError) as exc:
        method.verification_error = str(exc)[:500]
        method.save(update_fields=["verification_error"])


# --- notification rules ----------------------------------------------------------------------


def rules_of(user: User) -> list[dict[str, Any]]:
    return [
        {
            "urgency": rule.urgency,
            "contact_method_id": str(rule.contact_method_id),
            "delay_minutes": rule.delay_minutes,
        }
        for rule in NotificationRule.objects.filter(user=user).order_by(
            "urgency", "delay_minutes", "contact_method__created_at"
        )
    ]


@transaction.atomic
def set_rules(user: User, rules: list[dict[str, Any]]) -> None:
    """Replace the user's rules. Each names one of the user's contact methods (verified or not:
    an unverified one pages no one until it is)."""
    mine = {str(pk) for pk in user.contact_methods.values_list("pk", flat=True)}
    errors: dict[str, list[str]] = {}
    seen = set()
    if len(rules) > MAX_RULES:
        errors["rules"] = [f"at most {MAX_RULES} rules"]
    for index, rule in enumerate(rules):
        key = (rule["urgency"], str(rule["contact_method_id"]), rule["delay_minutes"])
        if key[1] not in mine:
            errors[f"rules.{index}.contact_method_id"] = ["not one of your contact methods"]
        elif key in seen:
            errors[f"rules.{index}"] = ["the same rule twice"]
        seen.add(key)
    if errors:
        raise ValidationError(errors)
    before = rules_of(user)
    NotificationRule.objects.filter(user=user).delete()
    NotificationRule.objects.bulk_create(
        NotificationRule(
            user=user,
            urgency=urgency,
            contact_method_id=method_id,
            delay_minutes=delay,
        )
        for urgency, method_id, delay in seen
    )
    audit.record_update(
        user,
        user,
        {"notification_rules": before},
        {"notification_rules": rules_of(user)},
        object_type="notification-rules",
    )


# --- team chat channels ----------------------------------------------------------------------


def _channel_shown(channel: ChatChannel) -> dict[str, Any]:
    return {"team_id": str(channel.team_id), "target": channel.shown_target, "label": channel.label}


@transaction.atomic
def create_chat_channel(team: Team, *, by: User, target: str, label: str = "") -> ChatChannel:
    ensure_team_manager(by, team)
    channel = ChatChannel.objects.create(
        team=team, target=clean_target(ContactMethodType.APPRISE, target), label=label.strip()
    )
    audit.record(
        by,
        AuditAction.CREATED,
        channel,
        after=_channel_shown(channel),
        organization_id=team.organization_id,
    )
    return channel


@transaction.atomic
def delete_chat_channel(channel: ChatChannel, *, by: User) -> None:
    ensure_team_manager(by, channel.team)
    audit.record(
        by,
        AuditAction.DELETED,
        channel,
        before=_channel_shown(channel),
        organization_id=channel.team.organization_id,
    )
    channel.delete()
