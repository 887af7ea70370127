"""E-mail subscriptions to a status page's notices: double opt-in, unsubscribe in one click,
each update mailed once."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from statuspages import services, tasks
from statuspages.models import NoticeStatus, NoticeUpdate, Subscriber
from statuspages.tests.builders import make_status_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(owner):
    return make_status_page(owner.organization, "Acme")


def subscribe(client, page, email):
    return client.post(f"/status/{page.pk}/subscribe", {"email": email})


def link_in(message, kind: str) -> str:
    return (
        re.search(rf"http://\S+/{kind}/\S+", message.body)
        .group(0)
        .removeprefix("http://127.0.0.1:8000")
    )


def post(page, by, status=NoticeStatus.INVESTIGATING):
    return services.post_notice(
        page, by=by, title="Payments are slow", status=status, message="Looking into it."
    )


def test_an_address_is_mailed_notices_only_once_it_confirmed_and_until_it_unsubscribes(
    client, owner, page, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(client, page, "Reader@Example.com")
        subscribe(client, page, "pending@example.com")
    assert response.status_code == 200 and "We mailed" in response.content.decode()
    assert [m.to for m in mail.outbox] == [["reader@example.com"], ["pending@example.com"]]
    confirm = link_in(mail.outbox[0], "confirm")

    assert "Confirm my subscription" in client.get(confirm).content.decode()
    assert Subscriber.objects.get(email="reader@example.com").confirmed_at is None  # a GET: no
    assert "Subscribed" in client.post(confirm).content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post(page, owner.user)

    assert [m.to for m in mail.outbox] == [["reader@example.com"]]
    update = mail.outbox[0]
    assert update.subject == "[Acme] Payments are slow: Investigating"
    unsubscribe = link_in(update, "unsubscribe")
    assert update.extra_headers["List-Unsubscribe"].endswith(f"{unsubscribe}>")
    # One click from the mail client: a POST without a CSRF token.
    assert Client(enforce_csrf_checks=True).post(unsubscribe).status_code == 200
    assert not Subscriber.objects.filter(email="reader@example.com").exists()


def test_asking_again_sends_no_second_mail_for_a_while_nor_to_a_confirmed_address(
    client, page, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client, page, "reader@example.com")
        subscribe(client, page, "reader@example.com")
    assert len(mail.outbox) == 1
    Subscriber.objects.update(confirmation_sent_at=timezone.now() - timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client, page, "READER@example.com")
    assert len(mail.outbox) == 2 and Subscriber.objects.count() == 1
    client.post(link_in(mail.outbox[1], "confirm"))
    Subscriber.objects.update(confirmation_sent_at=timezone.now() - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client, page, "reader@example.com")
    assert len(mail.outbox) == 2


def test_a_bad_address_is_422_and_too_many_asks_from_one_address_are_429(client, page):
    assert subscribe(client, page, "not an address").status_code == 422
    answers = [subscribe(client, page, f"r{n}@example.com").status_code for n in range(11)]
    assert answers == [200] * 10 + [429]
    assert Subscriber.objects.count() == 10


def test_an_unknown_token_or_page_is_refused(client, page):
    assert client.post(f"/status/{page.pk}/confirm/nope").status_code == 404
    assert client.get("/status/6f1c2a4e-8d2b-4a55-9a3e-2b8f0c1d9e77/confirm/x").status_code == 404


def test_each_update_is_mailed_once_and_the_sweep_mails_one_whose_task_was_lost(owner, page):
    Subscriber.objects.create(status_page=page, email="r@example.com", confirmed_at=timezone.now())
    post(page, owner.user)  # its task never runs: no commit callback executed
    update = NoticeUpdate.objects.get()

    assert tasks.mail_unmailed_updates.apply().get() == 0  # its own task may still come
    NoticeUpdate.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    assert tasks.mail_unmailed_updates.apply().get() == 1
    assert tasks.mail_update.apply(args=[str(update.pk)]).get() == 0
    assert len(mail.outbox) == 1
