"""Rulesets in the admin: conditions, key paths, assignees and actions validated as by the API."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.models import User
from rulesets.models import Ruleset, RulesetAction
from rulesets.tests.builders import CONDITION, make_ruleset, make_team, make_webhook
from statuspages.tests.builders import alert_setting, make_component, make_status_page

pytestmark = pytest.mark.django_db

ADD = reverse("admin:rulesets_ruleset_add")
CHANGELIST = reverse("admin:rulesets_ruleset_changelist")


def staff_client(user: User) -> Client:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["rulesets", "webhooks"])
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser():
    client = Client()
    client.force_login(User.objects.create_superuser("root@pinghome.test", "not-a-secret-1"))
    return client


@pytest.fixture
def staff(owner):
    return staff_client(owner.user)


def form_data(persona, *, actions=(), **overrides) -> dict:
    """The POST of the ruleset add form, with ``actions`` as (type, settings) inline rows."""
    data = {
        "organization": persona.organization.pk,
        "team": persona.team.pk,
        "level": "team",
        "rule_type": "webhook",
        "name": "CPU high",
        "description": "",
        "urgency": "high",
        "conditions": json.dumps([CONDITION]),
        "resolve_conditions": "",
        "dedup_key": "",
        "incident_name": "",
        "assignees": "[]",
        "enabled": "on",
        "actions-TOTAL_FORMS": str(len(actions)),
        "actions-INITIAL_FORMS": "0",
    }
    for index, (kind, settings) in enumerate(actions):
        data[f"actions-{index}-type"] = kind
        data[f"actions-{index}-settings"] = json.dumps(settings)
        data[f"actions-{index}-position"] = str(index)
    return {key: value for key, value in {**data, **overrides}.items() if value is not None}


def form_errors(response) -> dict:
    assert response.status_code == 200, response
    return response.context["adminform"].form.errors


def inline_errors(response) -> list:
    return [form.errors for form in response.context["inline_admin_formsets"][0].formset.forms]


@pytest.mark.parametrize("pattern", ["(", r"(a)\1"])
def test_a_bad_regex_is_a_form_error_naming_the_condition_and_stores_nothing(staff, owner, pattern):
    conditions = [
        CONDITION,
        {"type": "json-check", "key": "a", "operator": "regex", "values": [pattern]},
    ]
    response = staff.post(ADD, form_data(owner, conditions=json.dumps(conditions)))
    [message] = form_errors(response)["conditions"]
    assert message.startswith("conditions.1.values.0: invalid regex")
    assert not Ruleset.objects.exists()


def test_an_unknown_operator_and_a_bad_key_are_named(staff, owner):
    conditions = [{"type": "json-check", "key": "a..b", "operator": "sounds-like", "values": ["x"]}]
    response = staff.post(ADD, form_data(owner, conditions=json.dumps(conditions)))
    messages = form_errors(response)["conditions"]
    assert any(m.startswith("conditions.0.operator: unknown operator") for m in messages)
    assert any(m.startswith("conditions.0.key: invalid key path") for m in messages)
    assert not Ruleset.objects.exists()


def test_resolve_conditions_and_the_dedup_key_are_validated(staff, owner):
    bad = [{"type": "header-check", "key": "X", "operator": "greater-than", "values": ["many"]}]
    response = staff.post(
        ADD, form_data(owner, resolve_conditions=json.dumps(bad), dedup_key="labels[")
    )
    errors = form_errors(response)
    assert errors["resolve_conditions"][0].startswith("resolve_conditions.0.values.0: expected a")
    assert errors["dedup_key"][0].startswith("invalid key path")
    assert not Ruleset.objects.exists()


def test_json_that_does_not_parse_is_a_form_error(staff, owner):
    response = staff.post(ADD, form_data(owner, conditions="[{"))
    assert form_errors(response)["conditions"] == ["Enter a valid JSON."]


def test_a_valid_ruleset_is_saved_with_its_actions(staff, owner):
    component = make_component(make_status_page(owner.organization))
    webhook = make_webhook(owner.organization)
    conditions = [{**CONDITION, "ignored": True}]
    response = staff.post(
        ADD,
        form_data(
            owner,
            conditions=json.dumps(conditions),
            resolve_conditions=json.dumps(
                [{"type": "json-check", "key": "ok", "operator": "exists"}]
            ),
            dedup_key='labels["instance.name"]',
            assignees=json.dumps([{"type": "team", "id": str(owner.team.pk)}]),
            webhooks=[str(webhook.pk)],
            actions=[("trigger-alerts", [alert_setting(component)])],
        ),
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    ruleset = Ruleset.objects.get()
    assert ruleset.conditions == [CONDITION]  # stored in the API's shape
    assert ruleset.resolve_conditions == [
        {"type": "json-check", "key": "ok", "operator": "exists", "values": []}
    ]
    assert ruleset.assignees == [{"type": "team", "id": str(owner.team.pk)}]
    assert list(ruleset.webhooks.all()) == [webhook]
    assert ruleset.created_by == owner.user and ruleset.organization == owner.organization
    [action] = ruleset.actions.all()
    [setting] = action.settings
    assert setting["component_id"] == str(component.pk) and setting["id"]


def test_an_action_on_another_organizations_component_is_an_error(staff, owner, outsider):
    theirs = make_component(make_status_page(outsider.organization))
    response = staff.post(
        ADD, form_data(owner, actions=[("trigger-alerts", [alert_setting(theirs)])])
    )
    [errors] = inline_errors(response)
    assert errors["settings"] == ["settings.0.component_id: no such component in your organization"]
    assert not Ruleset.objects.exists() and not RulesetAction.objects.exists()


def test_an_action_setting_of_the_wrong_shape_is_an_error(staff, owner):
    response = staff.post(
        ADD, form_data(owner, actions=[("trigger-alerts", [{"component_id": "nope"}])])
    )
    [errors] = inline_errors(response)
    assert "settings.0.status_page_id: This field is required." in errors["settings"]
    assert any(m.startswith("settings.0.component_id:") for m in errors["settings"])
    assert not Ruleset.objects.exists()


def test_assignees_of_another_organization_are_an_error(staff, owner, outsider):
    assignees = [{"type": "team_member", "id": str(outsider.member.pk)}]
    response = staff.post(ADD, form_data(owner, assignees=json.dumps(assignees)))
    assert form_errors(response)["assignees"] == [
        "assignees.0.id: no such team member in your organization"
    ]
    assert not Ruleset.objects.exists()


def test_a_staff_user_cannot_choose_another_organizations_team_or_webhook(staff, owner, outsider):
    webhook = make_webhook(outsider.organization)
    response = staff.post(ADD, form_data(owner, team=outsider.team.pk, webhooks=[webhook.pk]))
    errors = form_errors(response)
    assert "team" in errors and "webhooks" in errors
    form = response.context["adminform"].form
    assert outsider.team not in form.fields["team"].queryset
    assert not Ruleset.objects.exists()


def test_a_superuser_cannot_mix_organizations(superuser, owner, outsider):
    response = superuser.post(ADD, form_data(owner, team=outsider.team.pk))
    assert form_errors(response)["team"] == ["Must belong to the same organization."]
    assert not Ruleset.objects.exists()


def test_editing_keeps_the_id_and_replaces_actions(staff, owner):
    component = make_component(make_status_page(owner.organization))
    ruleset = make_ruleset(owner.team)
    change = reverse("admin:rulesets_ruleset_change", args=[ruleset.pk])
    assert staff.get(change).status_code == 200
    data = form_data(
        owner, name="Renamed", actions=[("trigger-alerts", [alert_setting(component)])]
    )
    response = staff.post(change, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    ruleset.refresh_from_db()
    assert ruleset.name == "Renamed" and ruleset.actions.count() == 1


def test_a_staff_user_does_not_see_another_organizations_ruleset(staff, owner, outsider):
    ours, theirs = make_ruleset(owner.team, name="Ours"), make_ruleset(outsider.team, name="Theirs")
    content = staff.get(CHANGELIST).content.decode()
    assert "Ours" in content and "Theirs" not in content
    response = staff.get(reverse("admin:rulesets_ruleset_change", args=[theirs.pk]))
    assert response.status_code == 302
    assert staff.get(reverse("admin:rulesets_ruleset_change", args=[ours.pk])).status_code == 200


def test_the_team_filter_offers_only_the_users_teams(staff, owner, outsider):
    make_team(outsider.organization, "Their secret team")
    assert "Their secret team" not in staff.get(CHANGELIST).content.decode()


def test_the_webhook_autocomplete_offers_only_the_users_webhooks(staff, owner, outsider):
    ours = make_webhook(owner.organization, "Our alarms")
    make_webhook(outsider.organization, "Their alarms")
    response = staff.get(
        reverse("admin:autocomplete"),
        {"app_label": "rulesets", "model_name": "ruleset", "field_name": "webhooks", "term": "al"},
    )
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [str(ours.pk)]


def test_auto_resolve_after_fewer_than_10_seconds_is_a_form_error(staff, owner):
    refused = staff.post(ADD, form_data(owner, auto_resolve_after_seconds="5"))

    assert "auto_resolve_after_seconds" in form_errors(refused)
    assert not Ruleset.objects.filter(name="CPU high").exists()

    saved = staff.post(ADD, form_data(owner, auto_resolve_after_seconds="3600"))

    assert saved.status_code == 302, form_errors(saved)
    assert Ruleset.objects.get(name="CPU high").auto_resolve_after_seconds == 3600
