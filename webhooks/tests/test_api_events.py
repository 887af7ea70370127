"""GET /v1/webhook/{id}/events: newest first, keyset pages, bodies shown parsed when JSON."""

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from django.test import Client

from webhooks.models import WebhookEvent
from webhooks.services import create_webhook

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 3, 15, 19, 9, 39, tzinfo=UTC)


@pytest.fixture
def webhook(owner):
    return create_webhook(owner.organization, name="Alarms")


def add_event(
    webhook,
    *,
    body: bytes = b"{}",
    content_type: str = "application/json",
    received_at: datetime = T0,
    headers: dict | None = None,
    ip: str | None = "192.0.2.10",
) -> WebhookEvent:
    return WebhookEvent.objects.create(
        webhook=webhook,
        body=body,
        content_type=content_type,
        received_at=received_at,
        headers=headers or {"Content-Type": content_type},
        ip=ip,
    )


def events_url(webhook_id) -> str:
    return f"/v1/webhook/{webhook_id}/events"


def rfc3339(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_events_are_listed_newest_first_with_their_fields(owner, webhook):
    older = add_event(webhook, body=b'{"n": 1}', received_at=T0)
    newer = add_event(
        webhook,
        body=b'{"n": 2}',
        received_at=T0 + timedelta(seconds=5),
        headers={"X-Source": "grafana"},
        ip="2001:db8::7",
    )

    response = owner.api.get(events_url(webhook.id))

    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body] == [str(newer.id), str(older.id)]
    first = body[0]
    assert first["id"] == str(newer.id)
    assert first["content_type"] == "application/json"
    assert first["body"] == {"n": 2}
    assert first["headers"] == {"X-Source": "grafana"}
    assert first["ip"] == "2001:db8::7"
    assert first["received_at"] == "2024-03-15T19:09:44Z"
    assert {"id", "content_type", "body", "headers", "ip", "received_at"} <= set(first)


def test_a_teammate_reads_the_events_too(teammate, owner, webhook):
    add_event(webhook)

    response = teammate.api.get(events_url(webhook.id))

    assert response.status_code == 200
    assert len(response.json()) == 1


def test_only_this_webhooks_events_are_listed(owner, webhook):
    other = create_webhook(owner.organization, name="Other")
    mine = add_event(webhook)
    add_event(other)

    response = owner.api.get(events_url(webhook.id))

    assert [item["id"] for item in response.json()] == [str(mine.id)]


def test_an_ingested_event_reads_back_as_it_was_received(owner, webhook):
    Client().post(
        f"/v1/incident/webhook/{webhook.id}",
        b'{"alarm": "cpu"}',
        content_type="text/plain; charset=UTF-8",
        REMOTE_ADDR="203.0.113.4",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
    )

    (event,) = owner.api.get(events_url(webhook.id)).json()

    assert event["body"] == {"alarm": "cpu"}
    assert event["content_type"] == "text/plain; charset=UTF-8"
    assert event["ip"] == "203.0.113.4"
    assert event["headers"]["X-Amz-Sns-Message-Type"] == "Notification"
    assert datetime.fromisoformat(event["received_at"]) <= datetime.now(UTC)


# --------------------------------------------------------------------------- body rendering


@pytest.mark.parametrize(
    ("raw", "content_type", "shown"),
    [
        (b'{"a": [1, 2.5, null, true]}', "application/json", {"a": [1, 2.5, None, True]}),
        (b'{"Type": "Notification"}', "text/plain; charset=UTF-8", {"Type": "Notification"}),
        (b"[1, 2]", "application/x-www-form-urlencoded", [1, 2]),
        (b'"just a string"', "application/json", "just a string"),
        (b"42", "text/plain", 42),
        (b"status=down&n=1", "application/x-www-form-urlencoded", "status=down&n=1"),
        (b"disk full", "text/plain", "disk full"),
        (b"{not json", "application/json", "{not json"),
        (b"", "", ""),
        (b"   ", "text/plain", "   "),
        (b"caf\xc3\xa9 \xff\xfe", "application/octet-stream", "café \ufffd\ufffd"),
    ],
)
def test_body_is_the_json_document_whatever_the_content_type_else_the_text(
    owner, webhook, raw, content_type, shown
):
    add_event(webhook, body=raw, content_type=content_type)

    (event,) = owner.api.get(events_url(webhook.id)).json()

    assert event["body"] == shown
    assert event["content_type"] == content_type


@pytest.mark.parametrize(
    "raw",
    [b"NaN", b'{"a": Infinity}', b"[-Infinity]", b'{"big": 1e400}', b'{"s": "\\ud800"}'],
)
def test_json_that_strict_json_cannot_render_is_shown_as_text_not_a_500(owner, webhook, raw):
    add_event(webhook, body=raw)

    response = owner.api.get(events_url(webhook.id))

    assert response.status_code == 200
    assert response.json()[0]["body"] == raw.decode()


def test_deeply_nested_json_is_shown_as_text_not_a_500(owner, webhook):
    raw = b"[" * 900 + b"]" * 900
    add_event(webhook, body=raw)

    response = owner.api.get(events_url(webhook.id))

    assert response.status_code == 200
    assert response.json()[0]["body"] == raw.decode()


def test_json_with_a_nul_escape_is_shown_parsed(owner, webhook):
    add_event(webhook, body=b'{"a": "x\\u0000y"}')

    (event,) = owner.api.get(events_url(webhook.id)).json()

    assert event["body"] == {"a": "x\x00y"}


# --------------------------------------------------------------------------- limit


def test_limit_defaults_to_50(owner, webhook):
    WebhookEvent.objects.bulk_create(
        WebhookEvent(webhook=webhook, body=b"{}", received_at=T0 + timedelta(seconds=i))
        for i in range(60)
    )

    response = owner.api.get(events_url(webhook.id))

    assert len(response.json()) == 50
    assert response.json()[0]["received_at"] == rfc3339(T0 + timedelta(seconds=59))


@pytest.mark.parametrize("limit", [1, 3, 500])
def test_limit_caps_the_page(owner, webhook, limit):
    WebhookEvent.objects.bulk_create(
        WebhookEvent(webhook=webhook, body=b"{}", received_at=T0 + timedelta(seconds=i))
        for i in range(501)
    )

    response = owner.api.get(events_url(webhook.id), {"limit": limit})

    assert response.status_code == 200
    assert len(response.json()) == limit


@pytest.mark.parametrize("limit", ["0", "501", "-1", "abc", "", "1.5", " 3", "²", "٣", "9" * 5000])
def test_bad_limit_is_422_naming_limit(owner, webhook, limit):
    response = owner.api.get(events_url(webhook.id), {"limit": limit})

    assert response.status_code == 422
    assert response.json() == {
        "message": "Invalid request.",
        "errors": {"limit": ["expected an integer from 1 to 500"]},
    }


# --------------------------------------------------------------------------- keyset paging


def test_last_received_at_returns_what_is_strictly_older(owner, webhook):
    events = [add_event(webhook, received_at=T0 + timedelta(minutes=i)) for i in range(5)]

    response = owner.api.get(
        events_url(webhook.id), {"last_received_at": rfc3339(events[2].received_at)}
    )

    assert [item["id"] for item in response.json()] == [str(events[1].id), str(events[0].id)]


@pytest.mark.parametrize(
    "cursor",
    [
        "2024-03-15T19:11:39Z",
        "2024-03-15T21:11:39+02:00",
        "2024-03-15T19:11:39.000000Z",
        "2024-03-15T14:11:39-05:00",
    ],
)
def test_last_received_at_is_compared_as_an_instant(owner, webhook, cursor):
    events = [add_event(webhook, received_at=T0 + timedelta(minutes=i)) for i in range(5)]

    response = owner.api.get(events_url(webhook.id), {"last_received_at": cursor})

    assert [item["id"] for item in response.json()] == [str(events[1].id), str(events[0].id)]


def test_an_unencoded_plus_in_the_offset_still_works(owner, webhook):
    events = [add_event(webhook, received_at=T0 + timedelta(minutes=i)) for i in range(3)]

    # "+" unencoded in a query string arrives as a space.
    response = owner.api.get(f"{events_url(webhook.id)}?last_received_at=2024-03-15T21:10:39+02:00")

    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [str(events[0].id)]


@pytest.mark.parametrize(
    "cursor",
    ["yesterday", "2024-13-01T00:00:00Z", "2024-03-15T25:00:00Z", "", "9999-12-31T23:59:59-23:59"],
)
def test_bad_last_received_at_is_422_naming_it(owner, webhook, cursor):
    response = owner.api.get(events_url(webhook.id), {"last_received_at": cursor})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["last_received_at"]
    assert response.json()["message"] == "Invalid request."


def test_last_id_without_last_received_at_is_422_naming_last_id(owner, webhook):
    response = owner.api.get(events_url(webhook.id), {"last_id": str(uuid.uuid4())})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["last_id"]


def test_malformed_last_id_is_422_naming_last_id(owner, webhook):
    response = owner.api.get(
        events_url(webhook.id), {"last_received_at": rfc3339(T0), "last_id": "abc"}
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {"last_id": ["expected a UUID"]}


def test_every_bad_parameter_is_named_at_once(owner, webhook):
    response = owner.api.get(
        events_url(webhook.id), {"limit": "0", "last_received_at": "x", "last_id": "y"}
    )

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"limit", "last_received_at", "last_id"}


def test_pages_with_last_id_cover_events_sharing_an_instant_without_gap_or_repeat(owner, webhook):
    tied = [add_event(webhook, received_at=T0) for _ in range(7)]
    newer = [add_event(webhook, received_at=T0 + timedelta(seconds=s)) for s in (1, 2, 3)]
    older = [add_event(webhook, received_at=T0 - timedelta(seconds=s)) for s in (1, 2)]
    expected = (
        [str(e.id) for e in reversed(newer)]
        + sorted((str(e.id) for e in tied), key=uuid.UUID, reverse=True)
        + [str(e.id) for e in older]
    )

    seen: list[str] = []
    params = {"limit": 3}
    for _ in range(10):
        page = owner.api.get(events_url(webhook.id), params).json()
        if not page:
            break
        assert len(page) <= 3
        seen.extend(item["id"] for item in page)
        last = page[-1]
        params = {"limit": 3, "last_received_at": last["received_at"], "last_id": last["id"]}

    assert seen == expected
    assert len(set(seen)) == 12


def test_last_received_at_alone_skips_the_rest_of_a_tied_instant(owner, webhook):
    # Documented behaviour: without last_id the cursor is exclusive of the whole instant.
    [add_event(webhook, received_at=T0) for _ in range(4)]
    oldest = add_event(webhook, received_at=T0 - timedelta(seconds=1))

    response = owner.api.get(events_url(webhook.id), {"last_received_at": rfc3339(T0)})

    assert [item["id"] for item in response.json()] == [str(oldest.id)]


# --------------------------------------------------------------------------- access


def test_without_a_token_is_401(anonymous, webhook):
    response = anonymous.get(events_url(webhook.id))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json()) == {"message"}


def test_with_a_bad_token_is_401(anonymous, webhook):
    response = anonymous.get(events_url(webhook.id), HTTP_AUTHORIZATION="Bearer ph_not-a-token")

    assert response.status_code == 401


def test_another_organizations_webhook_is_404(outsider, webhook):
    add_event(webhook)

    response = outsider.api.get(events_url(webhook.id))

    assert response.status_code == 404
    assert response.json() == {"message": "Not found."}


@pytest.mark.parametrize(
    "webhook_id", ["0b6c2f5e-3a1d-4c8e-9f7a-5d2e1b0c4a93", "not-a-uuid", quote("%00")]
)
def test_unknown_or_malformed_webhook_is_404(owner, webhook_id):
    response = owner.api.get(events_url(webhook_id))

    assert response.status_code == 404
    assert response.json() == {"message": "Not found."}


def test_listing_many_events_costs_a_bounded_number_of_queries(
    owner, webhook, django_assert_max_num_queries
):
    WebhookEvent.objects.bulk_create(
        WebhookEvent(webhook=webhook, body=b'{"a": 1}', received_at=T0 + timedelta(seconds=i))
        for i in range(300)
    )

    # token, webhook, events page
    with django_assert_max_num_queries(3):
        response = owner.api.get(events_url(webhook.id), {"limit": 300})

    assert len(response.json()) == 300


# --- bounded answers: bodies cut in lists, one event whole ----------------------------------

LIST_BODY_BYTES = 64 * 1024


def event_url(webhook_id, event_id) -> str:
    return f"/v1/webhook/{webhook_id}/event/{event_id}"


def test_a_body_over_64_kb_is_cut_in_the_list_and_says_so(owner, webhook):
    big = b'{"message": "' + "é".encode() * 40_000 + b'"}'  # 80 KB of two-byte characters
    small = add_event(webhook, body=b'{"n": 1}', received_at=T0)
    cut = add_event(webhook, body=big, received_at=T0 + timedelta(seconds=1))

    listed = {item["id"]: item for item in owner.api.get(events_url(webhook.id)).json()}

    assert listed[str(small.id)]["body"] == {"n": 1}
    assert listed[str(small.id)]["body_truncated"] is False
    shown = listed[str(cut.id)]
    assert shown["body_truncated"] is True
    assert isinstance(shown["body"], str) and big.decode().startswith(shown["body"])
    assert LIST_BODY_BYTES - 1 <= len(shown["body"].encode()) <= LIST_BODY_BYTES


def test_a_body_of_exactly_64_kb_is_listed_whole(owner, webhook):
    body = b'{"x": "' + b"a" * (LIST_BODY_BYTES - 10) + b'"}'
    assert len(body) == LIST_BODY_BYTES - 1
    add_event(webhook, body=body)

    [item] = owner.api.get(events_url(webhook.id)).json()

    assert item["body_truncated"] is False and item["body"] == {"x": "a" * (LIST_BODY_BYTES - 10)}


def test_one_event_is_returned_whole_with_its_fields(owner, teammate, webhook):
    body = b'{"message": "' + b"x" * 200_000 + b'"}'
    event = add_event(webhook, body=body, headers={"X-Source": "grafana"})

    response = teammate.api.get(event_url(webhook.id, event.id))

    assert response.status_code == 200
    data = response.json()
    assert data["id"] == str(event.id)
    assert data["body"] == {"message": "x" * 200_000} and data["body_truncated"] is False
    assert data["headers"] == {"X-Source": "grafana"}
    assert data["received_at"] == "2024-03-15T19:09:39Z"
    assert set(data) == set(owner.api.get(events_url(webhook.id)).json()[0])


def test_one_event_of_another_organization_or_webhook_is_404(owner, outsider, webhook):
    event = add_event(webhook)
    other = create_webhook(owner.organization, name="Other")
    for persona, url in [
        (outsider, event_url(webhook.id, event.id)),
        (owner, event_url(other.id, event.id)),
        (owner, event_url(webhook.id, uuid.uuid4())),
        (owner, event_url(webhook.id, "not-a-uuid")),
    ]:
        response = persona.api.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"message": "Not found."}


def test_one_event_without_a_token_is_401(anonymous, webhook):
    event = add_event(webhook)
    assert anonymous.get(event_url(webhook.id, event.id)).status_code == 401
