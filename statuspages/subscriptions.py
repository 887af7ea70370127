"""E-mail subscriptions to a status page's notices, with double opt-in.

Subscribing stores a pending address and mails it a confirmation link (after commit, by a task;
again on a later request at most every ``RESEND_AFTER``); only confirmed addresses are mailed
the notices' updates, each mail with its unsubscribe link (also as ``List-Unsubscribe``, one
click). Each update is claimed once (``mailed_at``) by the task that mails it, after commit; the
periodic sweep mails those whose task was lost.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from pinghome.jobs import enqueue_on_commit
from statuspages.models import NoticeUpdate, StatusPage, Subscriber

logger = logging.getLogger(__name__)

RESEND_AFTER = timedelta(minutes=10)
SWEEP_AFTER = timedelta(minutes=1)  # an update's own task had this long to claim it
SWEEP_BATCH = 20


def link(name: str, subscriber: Subscriber) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        name, args=[subscriber.status_page_id, subscriber.token]
    )


def subscribe(page: StatusPage, email: str) -> None:
    """Ask ``email`` to confirm (nothing is said of an address already subscribed)."""
    email = email.strip().lower()
    try:
        with transaction.atomic():
            subscriber, _ = Subscriber.objects.get_or_create(status_page=page, email=email)
    except IntegrityError:  # the same address at the same instant
        subscriber = Subscriber.objects.get(status_page=page, email=email)
    if subscriber.confirmed_at is not None:
        return
    now = timezone.now()
    claimed = (
        Subscriber.objects.filter(pk=subscriber.pk, confirmed_at__isnull=True)
        .exclude(confirmation_sent_at__gt=now - RESEND_AFTER)
        .update(confirmation_sent_at=now)
    )
    if claimed:
        from statuspages import tasks  # tasks import this module

        enqueue_on_commit(tasks.send_confirmation, str(subscriber.pk))


def send_confirmation(subscriber_id: str) -> None:
    subscriber = (
        Subscriber.objects.filter(pk=subscriber_id, confirmed_at__isnull=True)
        .select_related("status_page")
        .first()
    )
    if subscriber is None:
        return
    page = subscriber.status_page
    send_mail(
        f"Confirm your subscription to {page.name} status",
        f"Someone, you we hope, asked to be mailed the notices of the {page.name} status page "
        f"at this address.\n\nConfirm: {link('statuspage-confirm', subscriber)}\n\n"
        "If it was not you, ignore this mail: nothing will be sent.\n",
        settings.DEFAULT_FROM_EMAIL,
        [subscriber.email],
    )


def confirm(page: StatusPage, token: str) -> Subscriber | None:
    subscriber = Subscriber.objects.filter(status_page=page, token=token).first()
    if subscriber is not None and subscriber.confirmed_at is None:
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["confirmed_at"])
    return subscriber


def unsubscribe(page: StatusPage, token: str) -> bool:
    deleted, _ = Subscriber.objects.filter(status_page=page, token=token).delete()
    return bool(deleted)


def mail_update(update_id: str) -> int:
    """Mail an update to the page's confirmed subscribers, once (claimed by compare-and-set);
    how many were mailed. A mail that fails is logged and not tried again."""
    claimed = NoticeUpdate.objects.filter(pk=update_id, mailed_at__isnull=True).update(
        mailed_at=timezone.now()
    )
    if not claimed:
        return 0
    update = NoticeUpdate.objects.select_related("notice__status_page").get(pk=update_id)
    notice, page = update.notice, update.notice.status_page
    page_url = settings.SITE_URL.rstrip("/") + reverse("statuspage-public", args=[page.pk])
    sent = 0
    for subscriber in Subscriber.objects.filter(status_page=page, confirmed_at__isnull=False):
        unsubscribe_url = link("statuspage-unsubscribe", subscriber)
        message = EmailMessage(
            f"[{page.name}] {notice.title}: {update.get_status_display()}",
            f"{update.get_status_display()}: {update.message}\n\n{page_url}\n\n"
            f"Unsubscribe: {unsubscribe_url}\n",
            settings.DEFAULT_FROM_EMAIL,
            [subscriber.email],
            headers={
                "List-Unsubscribe": f"<{unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        try:
            message.send()
        except Exception:  # noqa: BLE001 - one address failing must not stop the others
            logger.exception("could not mail update %s to subscriber %s", update.pk, subscriber.pk)
        else:
            sent += 1
    return sent


def mail_unmailed_updates() -> int:
    """The periodic sweep: updates whose own task was lost (broker down, worker killed)."""
    due = NoticeUpdate.objects.filter(
        mailed_at__isnull=True, created_at__lt=timezone.now() - SWEEP_AFTER
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    return sum(mail_update(str(pk)) for pk in due)
