"""Webhook events in the admin: read-only, bodies shown decoded, cheap to list by the hundred."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.admin_pagination import CappedCountPaginator
from accounts.models import User
from webhooks.models import WebhookEvent
from webhooks.services import create_webhook

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:webhooks_webhookevent_changelist")
T0 = datetime(2024, 3, 15, 19, 9, 39, tzinfo=UTC)


def staff_client(user: User) -> Client:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="webhooks"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser():
    client = Client()
    client.force_login(User.objects.create_superuser("root@pinghome.test", "not-a-secret-1"))
    return client


@pytest.fixture
def webhook(owner):
    return create_webhook(owner.organization, name="Alarms")


def add_event(webhook, body: bytes = b"{}", **fields) -> WebhookEvent:
    return WebhookEvent.objects.create(
        webhook=webhook,
        body=body,
        content_type=fields.pop("content_type", "application/json"),
        headers=fields.pop("headers", {"Content-Type": "application/json"}),
        **fields,
    )


def change_url(event) -> str:
    return reverse("admin:webhooks_webhookevent_change", args=[event.pk])


def test_events_cannot_be_added_changed_or_deleted(superuser, webhook):
    event = add_event(webhook, b'{"a": 1}')
    assert superuser.get(reverse("admin:webhooks_webhookevent_add")).status_code == 403
    assert superuser.post(change_url(event), {"body": "changed"}).status_code == 403
    delete = reverse("admin:webhooks_webhookevent_delete", args=[event.pk])
    assert superuser.post(delete, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert bytes(event.body) == b'{"a": 1}'


def test_the_change_page_has_no_editable_field(superuser, webhook):
    event = add_event(webhook, b'{"a": 1}')
    response = superuser.get(change_url(event))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<textarea" not in content
    assert 'name="body"' not in content
    assert not response.context["adminform"].form.fields
    assert 'name="_save"' not in content


def test_a_json_body_is_shown_indented(superuser, webhook):
    event = add_event(
        webhook,
        b'{"alert":{"name":"CPU <high>","values":[1,2]}}',
        headers={"X-Source": "prometheus"},
    )
    content = superuser.get(change_url(event)).content.decode()
    assert (
        "{\n  &quot;alert&quot;: {\n    &quot;name&quot;: &quot;CPU &lt;high&gt;&quot;" in content
    )
    assert "&quot;X-Source&quot;: &quot;prometheus&quot;" in content
    assert "Not evaluated yet." in content


def test_a_text_body_is_shown_as_text_and_invalid_utf8_with_replacement(superuser, webhook):
    text = add_event(webhook, b"disk full on <db-1>", content_type="text/plain")
    assert "disk full on &lt;db-1&gt;" in superuser.get(change_url(text)).content.decode()
    binary = add_event(webhook, b"caf\xe9 \xff\xfe ok", content_type="application/octet-stream")
    response = superuser.get(change_url(binary))
    assert response.status_code == 200
    assert "caf\ufffd \ufffd\ufffd ok" in response.content.decode()


def test_the_evaluation_is_shown(superuser, webhook):
    event = add_event(
        webhook,
        evaluated_at=T0,
        evaluation={"rulesets": [{"ruleset": "CPU", "outcome": "no-match"}]},
    )
    content = superuser.get(change_url(event)).content.decode()
    assert "&quot;outcome&quot;: &quot;no-match&quot;" in content


def test_a_staff_user_does_not_see_another_organizations_events(owner, outsider, webhook):
    ours = add_event(webhook)
    theirs = add_event(create_webhook(outsider.organization, name="Theirs"))
    client = staff_client(owner.user)
    content = client.get(CHANGELIST).content.decode()
    assert change_url(ours) in content
    assert change_url(theirs) not in content
    assert client.get(change_url(theirs)).status_code == 302
    # Nor its id through the search, nor the other organization's webhook in the filter.
    content = client.get(CHANGELIST, {"q": str(theirs.pk)}).content.decode()
    assert change_url(theirs) not in content
    assert "Theirs" not in client.get(CHANGELIST).content.decode()


def test_search_by_event_id_or_webhook_id(superuser, webhook, owner):
    first, second = add_event(webhook), add_event(webhook)
    other = add_event(create_webhook(owner.organization, name="Other"))
    content = superuser.get(CHANGELIST, {"q": str(first.pk)}).content.decode()
    assert change_url(first) in content and change_url(second) not in content
    content = superuser.get(CHANGELIST, {"q": str(webhook.pk)}).content.decode()
    assert change_url(first) in content and change_url(second) in content
    assert change_url(other) not in content
    assert change_url(first) not in superuser.get(CHANGELIST, {"q": "nope"}).content.decode()


def test_a_superuser_filters_by_organization(superuser, webhook, outsider):
    ours = add_event(webhook)
    theirs = add_event(create_webhook(outsider.organization, name="Theirs"))
    organization = webhook.organization_id
    response = superuser.get(CHANGELIST, {"webhook__organization__id__exact": str(organization)})
    content = response.content.decode()
    assert change_url(ours) in content and change_url(theirs) not in content


def test_the_pending_filter_lists_events_not_evaluated_yet(superuser, webhook):
    pending, done = add_event(webhook), add_event(webhook, evaluated_at=T0, evaluation={})
    content = superuser.get(CHANGELIST, {"evaluation": "pending"}).content.decode()
    assert change_url(pending) in content and change_url(done) not in content


@pytest.mark.parametrize("who", ["superuser", "staff"])
def test_listing_200_events_takes_a_bounded_number_of_queries(
    who, owner, webhook, superuser, django_assert_max_num_queries
):
    WebhookEvent.objects.bulk_create(
        WebhookEvent(
            webhook=webhook,
            body=b'{"n": %d}' % n,
            headers={},
            received_at=T0 + timedelta(seconds=n),
        )
        for n in range(200)
    )
    client = superuser if who == "superuser" else staff_client(owner.user)
    with django_assert_max_num_queries(9):
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 100
    with django_assert_max_num_queries(9):
        assert client.get(CHANGELIST, {"p": 2}).status_code == 200


def test_the_list_neither_counts_the_whole_table_nor_reads_bodies(superuser, webhook, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 150)
    WebhookEvent.objects.bulk_create(
        WebhookEvent(webhook=webhook, body=b"x" * 1000, headers={}) for _ in range(200)
    )
    with CaptureQueriesContext(connection) as queries:
        response = superuser.get(CHANGELIST)
    assert response.context["cl"].result_count == 150
    assert response.context["cl"].paginator.num_pages == 2
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 150" in sql for sql in counts)
    listing = [q["sql"] for q in queries if '"webhooks_webhookevent"."received_at"' in q["sql"]]
    assert listing and all('"webhooks_webhookevent"."body"' not in sql for sql in listing)


def test_webhook_pages_render(superuser, webhook):
    add_event(webhook)
    assert superuser.get(reverse("admin:webhooks_webhook_changelist")).status_code == 200
    response = superuser.get(reverse("admin:webhooks_webhook_change", args=[webhook.pk]))
    assert response.status_code == 200
    assert webhook.ingest_url in response.content.decode()
    assert superuser.get(reverse("admin:webhooks_webhook_add")).status_code == 200
