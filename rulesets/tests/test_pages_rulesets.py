"""Ruleset pages with the Django test client: list, form, delete, permissions, dry run."""

from datetime import timedelta

import pytest
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from incidents.models import Incident
from maintenance.models import MaintenanceWindow
from rulesets import dry_run
from rulesets.models import DedupState, Ruleset
from rulesets.tests.builders import make_action, make_ruleset, make_team, make_webhook
from rulesets.tests.pipeline import create_ruleset, create_webhook, payload, send
from statuspages.services import add_component, create_status_page
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db


def signed_in(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def form_data(persona, **fields):
    """A valid POST of the ruleset form: one condition row, no resolve rows, no actions."""
    data = {
        "rule_type": "webhook",
        "level": "team",
        "team_id": str(persona.team.id),
        "name": "Checkout down",
        "description": "",
        "urgency": "high",
        "enabled": "on",
        "dedup_key": "",
        "incident_name": "",
        "conditions-type": ["json-check"],
        "conditions-key": ["status"],
        "conditions-operator": ["equal"],
        "conditions-values": ["down"],
    }
    data.update(fields)
    return data


def test_every_ruleset_page_requires_sign_in(owner):
    ruleset = make_ruleset(owner.team)
    for url in (
        "/rulesets",
        "/rulesets/new",
        f"/rulesets/{ruleset.id}",
        f"/rulesets/{ruleset.id}/test",
        f"/rulesets/{ruleset.id}/delete",
    ):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login"), url


def test_another_organizations_ruleset_is_a_404_on_every_page(owner, outsider):
    ruleset = make_ruleset(owner.team)
    client = signed_in(outsider)
    for url in (
        f"/rulesets/{ruleset.id}",
        f"/rulesets/{ruleset.id}/test",
        f"/rulesets/{ruleset.id}/delete",
        "/rulesets/not-a-uuid",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/rulesets/{ruleset.id}", form_data(outsider)).status_code == 404
    assert client.post(f"/rulesets/{ruleset.id}/delete").status_code == 404
    assert Ruleset.objects.filter(pk=ruleset.pk).exists()
    assert "CPU high" not in client.get("/rulesets").content.decode()


def test_the_list_groups_rulesets_by_organization_level_and_by_team(owner):
    payments = make_team(owner.organization, "Payments")
    webhook = make_webhook(owner.organization, "Grafana")
    make_ruleset(owner.team, name="Org wide", level="organization", webhooks=[webhook])
    make_ruleset(owner.team, name="Ops rule")
    make_ruleset(payments, name="Payments rule", enabled=False)
    html = signed_in(owner).get("/rulesets").content.decode()
    org_section = html.index("Organization level")
    ops_section, payments_section = html.index("Team Ops"), html.index("Team Payments")
    assert org_section < html.index("Org wide") < ops_section < html.index("Ops rule")
    assert payments_section < html.index("Payments rule")
    assert "Grafana" in html


def test_creating_a_ruleset_saves_every_field_conditions_resolve_conditions_and_actions(owner):
    webhook = make_webhook(owner.organization, "Grafana")
    page = create_status_page(owner.organization, name="Public")
    component = add_component(page, name="API")
    data = form_data(
        owner,
        rule_type="state-change",
        dedup_key="service",
        incident_name="{{ service }} is down",
        description="Pages the team",
        webhook_ids=[str(webhook.id)],
        assignees=[f"team_member:{owner.member.id}"],
        **{
            "conditions-type": ["json-check", "header-check", "json-check"],
            "conditions-key": ["status", "X-Source", ""],  # a blank row is dropped
            "conditions-operator": ["equal", "starts-with", "equal"],
            "conditions-values": ["down\r\nfailing\r\n", "grafana", ""],
            "resolve_conditions-type": ["json-check"],
            "resolve_conditions-key": ["status"],
            "resolve_conditions-operator": ["equal"],
            "resolve_conditions-values": ["up"],
            "action-id": [""],
            "action-setting": [""],
            "action-status_page": [str(page.id)],
            "action-component": [str(component.id)],
        },
    )
    response = signed_in(owner).post("/rulesets/new", data)
    assert response.status_code == 302, response.content.decode()
    ruleset = Ruleset.objects.get(name="Checkout down")
    assert response["Location"] == f"/rulesets/{ruleset.id}"
    assert ruleset.rule_type == "state-change"
    assert ruleset.conditions == [
        {"type": "json-check", "key": "status", "operator": "equal", "values": ["down", "failing"]},
        {
            "type": "header-check",
            "key": "X-Source",
            "operator": "starts-with",
            "values": ["grafana"],
        },
    ]
    assert ruleset.resolve_conditions == [
        {"type": "json-check", "key": "status", "operator": "equal", "values": ["up"]}
    ]
    assert list(ruleset.webhooks.all()) == [webhook]
    assert ruleset.assignees == [{"type": "team_member", "id": str(owner.member.id)}]
    assert (ruleset.dedup_key, ruleset.incident_name) == ("service", "{{ service }} is down")
    [action] = ruleset.actions.all()
    assert action.type == "trigger-alerts"
    assert [(s["status_page_id"], s["component_id"]) for s in action.settings] == [
        (str(page.id), str(component.id))
    ]


def test_no_resolve_rows_means_no_resolve_conditions(owner):
    signed_in(owner).post("/rulesets/new", form_data(owner))
    assert Ruleset.objects.get().resolve_conditions is None


@pytest.mark.parametrize("pattern", ["disk (full", "disk(?=full)"])
def test_a_bad_regex_is_a_form_error_naming_the_condition(owner, pattern):
    data = form_data(
        owner,
        **{
            "conditions-type": ["json-check", "json-check"],
            "conditions-key": ["status", "message"],
            "conditions-operator": ["equal", "regex"],
            "conditions-values": ["down", pattern],
        },
    )
    response = signed_in(owner).post("/rulesets/new", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Condition 2, value 1: invalid regex" in html
    assert "conditions.1" not in html
    assert escape(pattern) in html  # the row is shown again as typed
    assert not Ruleset.objects.exists()


def test_an_unknown_operator_and_a_bad_dedup_key_are_form_errors(owner):
    data = form_data(owner, dedup_key="a..b", **{"conditions-operator": ["roughly"]})
    response = signed_in(owner).post("/rulesets/new", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Condition 1, operator: unknown operator" in html
    assert "Dedup key: invalid key path" in html
    assert not Ruleset.objects.exists()


def field_html(html: str, name: str) -> str:
    """The HTML of one field of the form: its input, its help and its errors (up to the next
    field's label)."""
    start = html.index(f'name="{name}"')
    end = html.find("<label", start)
    return html[start : end if end >= 0 else len(html)]


def test_each_form_error_is_under_its_own_field_named_by_its_label(owner):
    """Issue 19, found broken 8: a dedup_key error appeared under "Webhooks it listens to",
    and errors were named by API paths."""
    data = form_data(
        owner,
        dedup_key="a..b",
        incident_name="{{ commonLabels.alertname",
        **{"conditions-values": [""], "conditions-operator": ["equal"]},
    )
    html = signed_in(owner).post("/rulesets/new", data).content.decode()
    dedup_key = field_html(html, "dedup_key")
    assert 'name="dedup_key"' in dedup_key and "Dedup key: invalid key path" in dedup_key
    assert "errorlist" not in field_html(html, "webhook_ids")
    assert "Incident name: unclosed &#x27;{{&#x27;" in field_html(html, "incident_name")
    summary = html.split('class="card form-errors"')[1].split("</div>")[0]
    assert "Condition 1, values: at least one value is required" in summary
    assert "dedup_key:" not in html and "conditions.0" not in html
    assert not Ruleset.objects.exists()


def test_a_template_can_say_what_to_use_when_a_value_is_absent(owner):
    """Issue 19, found broken 9: without instance, the incident was named "Fire on"."""
    webhook = create_webhook(owner)
    template = '{{ commonLabels.alertname }} on {{ commonLabels.instance | default: "unknown" }}'
    data = form_data(
        owner,
        incident_name=template,
        webhook_ids=[webhook],
        **{"conditions-key": ["status"], "conditions-values": ["firing"]},
    )
    assert signed_in(owner).post("/rulesets/new", data).status_code == 302
    send(webhook, payload("alertmanager_v4_firing.json"))
    assert Incident.objects.get().name == "Fire on unknown"


def test_a_component_of_another_status_page_is_an_error_on_its_action_row(owner):
    public, internal = (
        create_status_page(owner.organization, name="Public"),
        create_status_page(owner.organization, name="Internal"),
    )
    component = add_component(internal, name="DB")
    data = form_data(
        owner,
        **{
            "action-id": [""],
            "action-setting": [""],
            "action-status_page": [str(public.id)],
            "action-component": [str(component.id)],
        },
    )
    response = signed_in(owner).post("/rulesets/new", data)
    assert response.status_code == 200
    assert (
        "Trigger-alerts row 1, status page: the component is not on this status page"
        in response.content.decode()
    )
    assert not Ruleset.objects.exists()


def test_editing_shows_the_ruleset_and_replaces_its_fields_keeping_action_ids(owner):
    page = create_status_page(owner.organization, name="Public")
    api, web = add_component(page, name="API"), add_component(page, name="Web")
    ruleset = make_ruleset(owner.team, name="Old name")
    action = make_action(
        ruleset, [{"id": "s1", "status_page_id": str(page.id), "component_id": str(api.id)}]
    )
    client = signed_in(owner)
    html = client.get(f"/rulesets/{ruleset.id}").content.decode()
    assert 'value="Old name"' in html and "products[0].count" in html and str(action.id) in html

    data = form_data(
        owner,
        name="New name",
        urgency="low",
        **{
            "action-id": [str(action.id), str(action.id)],
            "action-setting": ["s1", ""],
            "action-status_page": [str(page.id), str(page.id)],
            "action-component": [str(api.id), str(web.id)],
        },
    )
    data.pop("enabled")
    assert client.post(f"/rulesets/{ruleset.id}", data).status_code == 302
    ruleset.refresh_from_db()
    assert (ruleset.name, ruleset.urgency, ruleset.enabled) == ("New name", "low", False)
    assert ruleset.conditions[0]["key"] == "status"
    [kept] = ruleset.actions.all()
    assert kept.pk == action.pk
    assert [s["component_id"] for s in kept.settings] == [str(api.id), str(web.id)]
    assert kept.settings[0]["id"] == "s1"


def test_a_plain_member_cannot_edit_an_organization_ruleset(owner, teammate):
    ruleset = make_ruleset(owner.team, name="Org wide", level="organization")
    client = signed_in(teammate)
    page = client.get(f"/rulesets/{ruleset.id}")
    assert "Only organization admins manage organization rulesets." in page.content.decode()

    response = client.post(f"/rulesets/{ruleset.id}", form_data(teammate, level="organization"))
    assert response.status_code == 403
    assert "Only organization admins manage organization rulesets." in response.content.decode()
    ruleset.refresh_from_db()
    assert ruleset.name == "Org wide"

    response = client.post(f"/rulesets/{ruleset.id}/delete")
    assert response.status_code == 403
    assert Ruleset.objects.filter(pk=ruleset.pk).exists()


def test_a_plain_member_cannot_create_an_organization_ruleset(teammate):
    response = signed_in(teammate).post("/rulesets/new", form_data(teammate, level="organization"))
    assert response.status_code == 403
    assert "Only organization admins" in response.content.decode()
    assert not Ruleset.objects.exists()


def test_deleting_asks_for_confirmation_then_deletes(owner):
    ruleset = make_ruleset(owner.team, name="Doomed")
    client = signed_in(owner)
    confirm = client.get(f"/rulesets/{ruleset.id}/delete")
    assert confirm.status_code == 200 and "Delete ruleset Doomed?" in confirm.content.decode()
    assert Ruleset.objects.filter(pk=ruleset.pk).exists()
    response = client.post(f"/rulesets/{ruleset.id}/delete")
    assert response.status_code == 302 and response["Location"] == "/rulesets"
    assert not Ruleset.objects.filter(pk=ruleset.pk).exists()


def test_the_list_of_30_rulesets_takes_a_bounded_number_of_queries(
    owner, django_assert_max_num_queries
):
    other = make_team(owner.organization, "Payments")
    webhooks = [make_webhook(owner.organization, f"hook {i}") for i in range(3)]
    for i in range(30):
        make_ruleset(
            owner.team if i % 2 else other,
            name=f"Rule {i}",
            level="organization" if i % 3 == 0 else "team",
            webhooks=webhooks[: i % 3],
        )
    client = signed_in(owner)
    with django_assert_max_num_queries(6):
        response = client.get("/rulesets")
    assert response.content.decode().count("data-ruleset=") == 30


def test_the_ruleset_form_takes_a_bounded_number_of_queries(owner, django_assert_max_num_queries):
    page = create_status_page(owner.organization, name="Public")
    components = [add_component(page, name=f"C{i}") for i in range(10)]
    ruleset = make_ruleset(owner.team, webhooks=[make_webhook(owner.organization)])
    make_action(
        ruleset,
        [{"status_page_id": str(page.id), "component_id": str(c.id)} for c in components],
    )
    client = signed_in(owner)
    with django_assert_max_num_queries(12):
        assert client.get(f"/rulesets/{ruleset.id}").status_code == 200


def test_the_test_button_shows_what_each_event_would_do_and_changes_nothing(owner):
    webhook = create_webhook(owner)
    ruleset_id = create_ruleset(
        owner,
        rule_type="state-change",
        dedup_key="service",
        conditions=[
            {"type": "json-check", "key": "status", "operator": "equal", "values": ["down"]}
        ],
    )
    send(webhook, {"status": "down", "service": "checkout"})  # evaluated: opens an incident
    for body in ({"status": "up", "service": "search"}, {"status": "down"}):
        # Stored but not evaluated yet (on-commit work never runs in this test).
        response = Client().post(
            f"/v1/incident/webhook/{webhook}", data=body, content_type="application/json"
        )
        assert response.status_code == 202

    def state():
        return [
            model.objects.count() for model in (Incident, WebhookEvent, DedupState, Ruleset)
        ] + [WebhookEvent.objects.filter(evaluated_at__isnull=True).count()]

    before = state()
    assert before[0] == 1 and before[-1] == 2
    ruleset = Ruleset.objects.get(pk=ruleset_id)
    updated_at = ruleset.updated_at

    client = signed_in(owner)
    get = client.get(f"/rulesets/{ruleset_id}/test")
    two = client.get(f"/rulesets/{ruleset_id}/test", {"limit": "2"})

    assert get.status_code == 200 and two.status_code == 200
    rows = get.content.decode().split("data-event=")[1:]
    assert len(rows) == 3
    newest, middle, oldest = rows  # newest first
    assert "no dedup key" in newest
    assert "would resolve, but no incident is open" in middle and "<code>search</code>" in middle
    assert "would attach to the open incident" in oldest and "<code>checkout</code>" in oldest
    assert f"/incidents/{Incident.objects.get().pk}" in oldest
    assert two.content.decode().count("data-event=") == 2
    assert state() == before
    ruleset.refresh_from_db()
    assert ruleset.updated_at == updated_at


def test_the_test_button_decides_within_the_evaluation_limits_and_its_own_time(
    owner, settings, monkeypatch
):
    settings.EVALUATION_MAX_VALUES = 1000
    webhook = create_webhook(owner)
    fan_out = {"type": "json-check", "key": "a[*][*]", "operator": "equal", "values": ["x"]}
    ruleset_id = create_ruleset(owner, conditions=[fan_out])
    for rows in (1, 100):  # 10 values, then 1,000
        Client().post(
            f"/v1/incident/webhook/{webhook}",
            data={"a": [[0] * 10] * rows},
            content_type="application/json",
        )
    client = signed_in(owner)

    newest, oldest = (
        client.get(f"/rulesets/{ruleset_id}/test").content.decode().split("data-event=")[1:]
    )
    assert "evaluation limit exceeded: more than 1000 values visited by key paths" in newest
    assert "no match" in oldest

    monkeypatch.setattr(dry_run, "RUN_SECONDS", 0)
    html = client.get(f"/rulesets/{ruleset_id}/test").content.decode()
    assert html.count("not tested: the time limit was reached") == 2


def test_the_test_button_reads_only_the_webhooks_the_ruleset_listens_to(owner):
    listened, other = create_webhook(owner, "listened"), create_webhook(owner, "other")
    ruleset_id = create_ruleset(owner, webhook_ids=[listened])
    send(listened, {"from": "listened"})
    send(other, {"from": "other"})
    html = signed_in(owner).get(f"/rulesets/{ruleset_id}/test").content.decode()
    assert html.count("data-event=") == 1
    assert "listened" in html.split('id="test-results"')[1] and "&quot;other&quot;" not in html


def test_the_test_page_says_what_a_maintenance_window_does_now_and_did_then(owner):
    webhook = create_webhook(owner)
    down = {"type": "json-check", "key": "status", "operator": "equal", "values": ["down"]}
    ruleset_id = create_ruleset(owner, dedup_key="service", conditions=[down])
    now = timezone.now()
    window = MaintenanceWindow.objects.create(
        organization=owner.organization,
        reason="Database upgrade",
        start=now - timedelta(hours=1),
        end=now + timedelta(hours=1),
    )
    send(webhook, {"status": "down", "service": "checkout"})  # suppressed as it arrives
    client = signed_in(owner)

    [row] = client.get(f"/rulesets/{ruleset_id}/test").content.decode().split("data-event=")[1:]
    assert 'data-outcome="suppressed"' in row
    assert "a maintenance window suppresses it" in row and "window: Database upgrade" in row
    assert row.count(f'href="/maintenance/{window.pk}"') == 2  # now, and when received
    assert '<span class="outcome-suppressed">suppressed</span>' in row

    window.delete()
    Ruleset.objects.filter(pk=ruleset_id).update(enabled=False)
    [row] = client.get(f"/rulesets/{ruleset_id}/test").content.decode().split("data-event=")[1:]
    assert "ignored: the ruleset is disabled" in row
    assert "otherwise: would open an incident" in row
    assert '<span class="outcome-suppressed">suppressed</span>' in row  # what it did then


def test_an_event_on_its_webhooks_page_links_to_the_test_of_each_ruleset_on_it(owner, outsider):
    webhook = create_webhook(owner)
    down = {"type": "json-check", "key": "status", "operator": "equal", "values": ["down"]}
    ruleset_id = create_ruleset(
        owner, name="Checkout down", webhook_ids=[webhook], conditions=[down]
    )
    deleted_id = create_ruleset(owner, name="Gone", webhook_ids=[webhook])
    send(webhook, {"status": "degraded"})  # yesterday's alert, which opened nothing
    send(webhook, {"status": "down"})
    event = WebhookEvent.objects.filter(webhook_id=webhook).order_by("received_at").first()
    assert owner.api.delete(f"/v1/ruleset/{deleted_id}").status_code == 200
    client = signed_in(owner)

    page = client.get(f"/webhooks/{webhook}").content.decode()
    link = f'href="/rulesets/{ruleset_id}/test?event_id={event.pk}"'
    assert link in page
    assert page.count('data-action="test-ruleset"') == 2, "one per event, none for Gone"

    html = client.get(f"/rulesets/{ruleset_id}/test", {"event_id": str(event.pk)}).content.decode()
    [result] = html.split("data-event=")[1:]
    assert result.startswith(f'"{event.pk}" data-outcome="no-match"')
    assert "✗ did not hold" in result and "<code>degraded</code>" in result

    # Then the ruleset is edited and the edit tested on that event, without saving it.
    edit = f"/rulesets/{ruleset_id}?event_id={event.pk}#test"
    assert f'href="{escape(edit)}"' in html
    form = client.get(edit).content.decode()
    assert 'name="test-source" value="event" checked' in form
    assert f'name="test-event_id" value="{event.pk}"' in form
    edited = form_data(
        owner,
        name="Checkout down",
        webhook_ids=[webhook],
        **{"conditions-values": ["degraded"], "test-source": "event"},
        **{"test-event_id": str(event.pk)},
    )
    tested = client.post(f"/rulesets/{ruleset_id}/test", edited).content.decode()
    [result] = tested.split('id="test-results"')[1].split("data-event=")[1:]
    # It matches now: to the incident the "down" event opened (the ruleset has no dedup key).
    assert result.startswith(f'"{event.pk}" data-outcome="attach"')
    assert "✓ held" in result
    assert Ruleset.objects.get(pk=ruleset_id).conditions[0]["values"] == ["down"], "not saved"

    theirs = create_webhook(outsider)
    send(theirs, {"status": "down"})
    their_event = WebhookEvent.objects.get(webhook_id=theirs).pk
    for event_id in (their_event, "not-an-id", ""):
        response = client.get(f"/rulesets/{ruleset_id}/test", {"event_id": event_id})
        assert response.status_code == 404, event_id
        edited["test-event_id"] = event_id
        response = client.post(f"/rulesets/{ruleset_id}/test", edited)
        assert "Event: no longer stored, or not one of yours" in response.content.decode()


def test_the_number_of_events_tested_defaults_to_20_and_is_at_most_200(owner):
    assert dry_run.recent_limit(None) == 20
    assert dry_run.recent_limit("5") == 5
    assert dry_run.recent_limit("5000") == 200
    assert dry_run.recent_limit("0") == 1
    assert dry_run.recent_limit("lots") == 20


def test_the_test_page_reads_stored_events_ten_at_a_time(owner, monkeypatch):
    """200 events of 1 MB are never all in a web process at once (commit 02fdf99)."""
    webhook = create_webhook(owner)
    ruleset_id = create_ruleset(owner)
    send(webhook, {"status": "down"})
    chunks = []
    iterator = QuerySet.iterator

    def spy(queryset, chunk_size=None):
        if queryset.model is WebhookEvent:
            chunks.append(chunk_size)
        return iterator(queryset, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    client = signed_in(owner)
    assert client.get(f"/rulesets/{ruleset_id}/test").status_code == 200
    data = form_data(owner, **{"test-source": "events"})
    assert client.post(f"/rulesets/{ruleset_id}/test", data).status_code == 200
    assert client.post("/rulesets/new/test", data).status_code == 200
    assert chunks == [10, 10, 10]


def test_the_unsaved_form_is_tested_on_a_pasted_payload_with_headers(owner):
    webhook = create_webhook(owner)
    data = form_data(
        owner,
        dedup_key="groupKey",
        webhook_ids=[webhook],
        incident_name='{{ commonLabels.alertname }} on {{ commonLabels.instance | default: "?" }}',
        **{
            "conditions-type": ["json-check", "header-check", "json-check"],
            "conditions-key": ["status", "X-Source", "commonLabels.severity"],
            "conditions-operator": ["equal", "equal", "equal"],
            "conditions-values": ["firing", "am", "warning"],
            "test-source": "payload",
            "test-payload": payload("alertmanager_v4_firing.json").decode(),
            "test-headers": "X-Source: am\r\n",
        },
    )
    client = signed_in(owner)

    response = client.post("/rulesets/new/test", data)

    assert response.status_code == 200
    html = response.content.decode()
    results = html.split('id="test-results"')[1]
    assert 'data-outcome="no-match"' in results
    checks = results.split("data-check=")[1:]
    assert "✓ held" in checks[0] and "<code>firing</code>" in checks[0]
    assert "✓ held" in checks[1] and "<code>am</code>" in checks[1]
    assert "✗ did not hold" in checks[2] and "<code>critical</code>" in checks[2]
    assert escape('{}:{alertname="Fire"}') in results
    assert 'value="Checkout down"' in html  # the form is shown again as it was
    assert not Ruleset.objects.exists() and not Incident.objects.exists()

    data["conditions-values"] = ["firing", "am", "critical"]
    results = client.post("/rulesets/new/test", data).content.decode().split('id="test-results"')[1]
    assert 'data-outcome="open"' in results and "would open an incident" in results
    assert "Fire on ?" in results and "Something is on fire" in results
    assert not Ruleset.objects.exists() and not Incident.objects.exists()


def test_an_edited_ruleset_is_tested_against_its_open_incidents_and_stays_as_saved(owner):
    webhook = create_webhook(owner)
    ruleset_id = create_ruleset(owner, name="Saved", dedup_key="service", webhook_ids=[webhook])
    send(webhook, {"status": "down", "service": "checkout"})
    [incident] = Incident.objects.all()
    ruleset = Ruleset.objects.get(pk=ruleset_id)
    data = form_data(
        owner, name="Edited", dedup_key="service", webhook_ids=[webhook], urgency="low"
    )
    data |= {"conditions-key": ["service"], "conditions-values": ["checkout"]}

    response = signed_in(owner).post(f"/rulesets/{ruleset_id}/test", data)

    results = response.content.decode().split('id="test-results"')[1]
    assert 'data-outcome="attach"' in results and f"/incidents/{incident.pk}" in results
    assert Ruleset.objects.get(pk=ruleset_id).updated_at == ruleset.updated_at
    assert Ruleset.objects.get(pk=ruleset_id).name == "Saved"
    assert Incident.objects.get().event_count == 1


def test_a_form_that_cannot_be_tested_says_why_under_each_field(owner):
    create_webhook(owner)
    data = form_data(
        owner,
        dedup_key="a..b",
        **{"test-source": "payload", "test-payload": "{}", "test-headers": "no colon here"},
    )
    html = signed_in(owner).post("/rulesets/new/test", data).content.decode()
    assert 'id="test-results"' not in html
    assert "Dedup key: invalid key path" in field_html(html, "dedup_key")
    assert "Headers, line 1: expected Name: value" in field_html(html, "test-headers")


def test_a_heartbeat_ruleset_is_edited_on_its_page_and_stays_a_heartbeat(owner):
    webhook = owner.api.post(
        "/v1/webhook",
        {"name": "Watchdog", "team_id": str(owner.team.pk), "expect_every_seconds": 60},
        format="json",
    ).json()["id"]
    ruleset = Ruleset.objects.get(heartbeat_of=webhook)
    client = signed_in(owner)

    html = client.get(f"/rulesets/{ruleset.id}").content.decode()
    assert '<option value="heartbeat" selected>' in html
    assert '<option value="webhook"' not in html
    data = {
        **form_data(owner, rule_type="heartbeat", urgency="critical", webhook_ids=[webhook]),
        "conditions-type": [],
        "conditions-key": [],
        "conditions-operator": [],
        "conditions-values": [],
    }
    assert client.post(f"/rulesets/{ruleset.id}", data).status_code == 302
    ruleset.refresh_from_db()
    assert (ruleset.rule_type, ruleset.urgency) == ("heartbeat", "critical")

    response = client.post(f"/rulesets/{ruleset.id}/delete")
    assert response.status_code == 409
    assert "switch the heartbeat off on the webhook" in response.content.decode()
    assert Ruleset.objects.filter(pk=ruleset.pk).exists()


def test_the_escalation_policy_is_one_of_the_teams_or_its_default(owner):
    from escalation.tests.builders import create_policy

    payments = make_team(owner.organization, "Payments")
    chosen = create_policy(owner, (5, []), name="Slow chain")
    foreign = create_policy(owner, (0, []), name="Payments chain", team=payments)
    client = signed_in(owner)
    html = client.get("/rulesets/new").content.decode()
    assert f'value="{chosen}" data-team="{owner.team.id}"' in html
    assert f'value="{foreign}" data-team="{payments.id}"' in html, "hidden unless Payments"

    refused = client.post("/rulesets/new", form_data(owner, escalation_policy_id=foreign))
    assert refused.status_code == 200
    assert "Escalation policy: no such escalation policy in team Ops" in refused.content.decode()
    assert not Ruleset.objects.exists()

    created = client.post("/rulesets/new", form_data(owner, escalation_policy_id=chosen))
    assert created.status_code == 302
    ruleset = Ruleset.objects.get()
    assert str(ruleset.escalation_policy_id) == chosen
    assert (
        f'value="{chosen}" data-team="{owner.team.id}" selected'
        in client.get(created["Location"]).content.decode()
    )

    assert client.post(created["Location"], form_data(owner)).status_code == 302
    ruleset.refresh_from_db()
    assert ruleset.escalation_policy_id is None, "blank: the team's default"
