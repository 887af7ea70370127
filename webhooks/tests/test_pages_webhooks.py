"""Webhook pages: the ingest URL to copy, creating a webhook, and what each event became."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from incidents.tests.builders import make_incident
from rulesets.tests.pipeline import create_ruleset, send
from webhooks.models import Webhook, WebhookEvent
from webhooks.services import create_webhook

pytestmark = pytest.mark.django_db

FIRING = [{"type": "json-check", "key": "status", "operator": "equal", "values": ["firing"]}]


def detail(webhook) -> str:
    return f"/webhooks/{webhook.pk}"


@pytest.mark.parametrize("path", ["/webhooks", "/webhooks/6f1c2a4e-8d2b-4a55-9a3e-2b8f0c1d9e77"])
def test_webhook_pages_require_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login")


def test_the_list_shows_each_webhooks_ingest_url_ready_to_copy_and_a_curl_line(client, owner):
    webhook = create_webhook(owner.organization, name="Grafana", description="prod alerts")
    client.force_login(owner.user)

    html = client.get("/webhooks").content.decode()

    assert "Grafana" in html and "prod alerts" in html
    assert f'data-copy="{webhook.ingest_url}"' in html
    assert f"curl -X POST &#x27;{webhook.ingest_url}&#x27;" in html
    assert "No event received yet." in html


def test_the_list_shows_only_the_organizations_webhooks(client, owner, outsider):
    theirs = create_webhook(outsider.organization, name="Globex secret hook")
    client.force_login(owner.user)

    html = client.get("/webhooks").content.decode()

    assert "Globex secret hook" not in html and str(theirs.pk) not in html


def test_creating_a_webhook_opens_its_page(client, owner):
    client.force_login(owner.user)

    response = client.post("/webhooks", {"name": "Alertmanager", "description": "k8s"})

    webhook = Webhook.objects.get(organization=owner.organization)
    assert (webhook.name, webhook.description) == ("Alertmanager", "k8s")
    assert response.status_code == 302
    assert response["Location"] == detail(webhook)


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "This field is required."),
        ("x" * 201, "at most 200 characters"),
        ("a\x00b", "Null characters are not allowed."),
    ],
)
def test_a_bad_name_is_a_visible_form_error(client, owner, name, error):
    client.force_login(owner.user)

    response = client.post("/webhooks", {"name": name})

    assert response.status_code == 422
    assert error in response.content.decode()
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    "webhook_id", ["theirs", "not-a-uuid", "6f1c2a4e-8d2b-4a55-9a3e-2b8f0c1d9e77"]
)
def test_another_organizations_or_an_unknown_webhook_is_a_404(client, owner, outsider, webhook_id):
    theirs = create_webhook(outsider.organization, name="Globex")
    client.force_login(owner.user)

    response = client.get(f"/webhooks/{theirs.pk if webhook_id == 'theirs' else webhook_id}")

    assert response.status_code == 404


def test_an_event_shows_its_body_headers_ip_and_the_incident_it_opened(client, owner):
    webhook = create_webhook(owner.organization, name="alerts")
    create_ruleset(
        owner, name="Checkout rule", conditions=FIRING, incident_name="{{ service }} down"
    )
    send(str(webhook.pk), {"status": "firing", "service": "checkout"}, HTTP_X_SOURCE="grafana")
    incident = Incident.objects.get()
    client.force_login(owner.user)

    html = client.get(detail(webhook)).content.decode()

    assert "&quot;service&quot;: &quot;checkout&quot;" in html  # pretty JSON
    assert "X-Source" in html and "grafana" in html
    assert "127.0.0.1" in html
    assert "Checkout rule" in html and "outcome-opened" in html
    assert f'href="/incidents/{incident.pk}">checkout down</a>' in html


def test_an_event_that_matches_nothing_says_so(client, owner):
    webhook = create_webhook(owner.organization)
    create_ruleset(owner, name="Checkout rule", conditions=FIRING)
    send(str(webhook.pk), {"status": "ok"})
    client.force_login(owner.user)

    html = client.get(detail(webhook)).content.decode()

    assert "outcome-no-match" in html and "no-match" in html


def test_an_event_not_evaluated_yet_says_so(client, owner):
    webhook = create_webhook(owner.organization)
    WebhookEvent.objects.create(webhook=webhook, body=b"{}")
    client.force_login(owner.user)

    assert "not evaluated yet" in client.get(detail(webhook)).content.decode()


def test_an_sns_subscription_shows_its_state(client, owner):
    webhook = create_webhook(owner.organization)
    WebhookEvent.objects.create(
        webhook=webhook,
        body=b"{}",
        evaluation={
            "rulesets": [],
            "sns_subscription": {"state": "rejected", "host": "evil.example", "error": "not AWS"},
        },
    )
    client.force_login(owner.user)

    html = client.get(detail(webhook)).content.decode()

    assert "SNS subscription" in html and "rejected" in html and "not AWS" in html


def test_an_incident_of_another_organization_is_never_linked(client, owner, outsider):
    theirs = make_incident(outsider.team, name="Globex private incident")
    webhook = create_webhook(owner.organization)
    WebhookEvent.objects.create(
        webhook=webhook,
        body=b"{}",
        evaluation={
            "rulesets": [{"ruleset": "r", "outcome": "opened", "incident_id": str(theirs.pk)}]
        },
    )
    client.force_login(owner.user)

    html = client.get(detail(webhook)).content.decode()

    assert "Globex private incident" not in html
    assert f'href="/incidents/{theirs.pk}"' not in html


def many_events(webhook, count: int, *, same_instant_every: int = 1) -> list[WebhookEvent]:
    """``count`` events; groups of ``same_instant_every`` share a received_at (paging ties)."""
    start = timezone.now() - timedelta(hours=1)
    return WebhookEvent.objects.bulk_create(
        WebhookEvent(
            webhook=webhook,
            received_at=start + timedelta(seconds=n // same_instant_every),
            body=b'{"n": %d}' % n,
            headers={"Content-Type": "application/json"},
            evaluation={"rulesets": [{"ruleset": "r", "outcome": "no-match"}]},
        )
        for n in range(count)
    )


def test_events_are_paged_newest_first_without_gap_or_repeat(client, owner):
    webhook = create_webhook(owner.organization)
    events = many_events(webhook, 123, same_instant_every=7)
    client.force_login(owner.user)

    seen, path = [], detail(webhook)
    for _ in range(4):
        response = client.get(path)
        html = response.content.decode()
        seen += [chunk.split('"', 1)[0] for chunk in html.split('data-event="')[1:]]
        if "Older events" not in html:
            break
        path = detail(webhook) + response.context["older_url"]

    expected = sorted(events, key=lambda e: (e.received_at, e.pk), reverse=True)
    assert seen == [str(e.pk) for e in expected]


@pytest.mark.parametrize(
    "query", ["?before=yesterday", "?before=2024-01-01T00:00:00Z&before_id=nope", "?before_id=x"]
)
def test_a_bad_cursor_is_not_an_error(client, owner, query):
    webhook = create_webhook(owner.organization)
    many_events(webhook, 3)
    client.force_login(owner.user)

    assert client.get(detail(webhook) + query).status_code == 200


def test_the_detail_runs_a_bounded_number_of_queries_with_many_events(
    client, owner, django_assert_max_num_queries
):
    webhook = create_webhook(owner.organization)
    many_events(webhook, 300)
    client.force_login(owner.user)

    # One more than before settings: the teams of the settings form.
    with django_assert_max_num_queries(7):
        response = client.get(detail(webhook))

    assert response.content.decode().count('class="card event"') == 50


def test_bodies_that_are_not_json_or_are_large_are_shown_safely(client, owner):
    webhook = create_webhook(owner.organization)
    for body in [
        b"\xff\xfe not utf-8 <script>alert(1)</script>",
        b'{"lone": "\\ud800"}',
        b'{"huge": 1' + b"0" * 5000 + b"}",
        b"[" * 5000 + b"]" * 5000,
        b'{"big": "' + b"x" * 40_000 + b'"}',
        b"",
    ]:
        WebhookEvent.objects.create(webhook=webhook, body=body, headers={"X": "\ufffd"})
    client.force_login(owner.user)

    response = client.get(detail(webhook))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in html
    assert "Showing the first 16.0\xa0KB" in html
    assert "Empty body." in html


# --------------------------------------------------------------------------- heartbeat


def test_a_manager_switches_a_heartbeat_on_pauses_resumes_and_switches_it_off(client, owner):
    webhook = create_webhook(owner.organization, name="Watchdog", team=owner.team)
    client.force_login(owner.user)
    url = f"{detail(webhook)}/heartbeat"

    assert "Switch heartbeat on" in client.get(detail(webhook)).content.decode()
    response = client.post(url, {"action": "save", "expect_every_seconds": 60, "grace_seconds": 5})
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.expect_every_seconds, webhook.grace_seconds) == (60, 5)
    html = client.get(detail(webhook)).content.decode()
    assert "when no event arrives for\n      60 s (+ 5 s of grace)" in html
    assert "No heartbeat from Watchdog" in html  # its ruleset, linked

    client.post(url, {"action": "pause"})
    webhook.refresh_from_db()
    assert webhook.heartbeat_paused
    client.post(url, {"action": "resume"})
    webhook.refresh_from_db()
    assert not webhook.heartbeat_paused
    client.post(url, {"action": "off"})
    webhook.refresh_from_db()
    assert webhook.expect_every_seconds is None


def test_a_heartbeat_period_below_ten_seconds_is_shown_next_to_its_field(client, owner):
    webhook = create_webhook(owner.organization, name="Watchdog", team=owner.team)
    client.force_login(owner.user)

    response = client.post(
        f"{detail(webhook)}/heartbeat",
        {"action": "save", "expect_every_seconds": 5, "grace_seconds": 0},
    )

    assert response.status_code == 422
    assert "greater than or equal to 10" in response.content.decode()
    webhook.refresh_from_db()
    assert webhook.expect_every_seconds is None


def test_a_heartbeat_on_a_webhook_of_no_team_says_it_needs_one(client, owner):
    webhook = create_webhook(owner.organization, name="Watchdog")
    client.force_login(owner.user)

    response = client.post(
        f"{detail(webhook)}/heartbeat",
        {"action": "save", "expect_every_seconds": 60, "grace_seconds": 0},
    )

    assert response.status_code == 422
    assert "a heartbeat needs the team its incident is for" in response.content.decode()


def test_a_responder_cannot_change_a_heartbeat_from_the_page(client, owner, teammate):
    webhook = create_webhook(owner.organization, name="Watchdog", team=owner.team)
    client.force_login(teammate.user)

    response = client.post(
        f"{detail(webhook)}/heartbeat",
        {"action": "save", "expect_every_seconds": 60, "grace_seconds": 0},
    )

    assert response.status_code == 403
    webhook.refresh_from_db()
    assert webhook.expect_every_seconds is None


def test_another_organizations_heartbeat_form_is_not_found(client, owner, outsider):
    webhook = create_webhook(owner.organization, name="Watchdog", team=owner.team)
    client.force_login(outsider.user)

    response = client.post(f"{detail(webhook)}/heartbeat", {"action": "off"})

    assert response.status_code == 404
