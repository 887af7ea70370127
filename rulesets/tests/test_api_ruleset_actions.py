"""GET/PUT /v1/ruleset/{id}/actions."""

import uuid

import pytest

from pinghome.testing import (
    BAD_TOKEN,
    MALFORMED_ID,
    UNKNOWN_ID,
    assert_invalid,
    assert_not_found,
    assert_unauthorized,
    deeply_nested,
    send_raw,
)
from rulesets.models import RulesetAction
from rulesets.tests.builders import make_action, make_ruleset, make_team
from statuspages.tests.builders import (
    alert_setting,
    make_component,
    make_status_page,
    trigger_alerts,
)

pytestmark = pytest.mark.django_db


def path(ruleset) -> str:
    return f"/v1/ruleset/{ruleset.id}/actions"


@pytest.fixture
def component(owner):
    return make_component(make_status_page(owner.organization, "Public"), "API")


def stored(ruleset) -> list[tuple[str, list[dict]]]:
    return [(a.type, a.settings) for a in ruleset.actions.order_by("position")]


# --------------------------------------------------------------------------- authentication


@pytest.mark.parametrize("method", ["get", "put"])
@pytest.mark.parametrize("header", [None, BAD_TOKEN], ids=["none", "bad"])
def test_ruleset_actions_answer_401_without_a_valid_token(
    owner, anonymous, component, method, header
):
    ruleset = make_ruleset(owner.team)
    make_action(ruleset)
    if header:
        anonymous.credentials(HTTP_AUTHORIZATION=header)
    body = {"actions": []} if method == "put" else None

    assert_unauthorized(getattr(anonymous, method)(path(ruleset), body, format="json"))

    assert ruleset.actions.count() == 1


# --------------------------------------------------------------------------- read


def test_read_lists_the_actions_in_order_with_their_settings(owner, component):
    ruleset = make_ruleset(owner.team)
    settings = [{**alert_setting(component), "id": "setting-1"}]
    second = make_action(ruleset, [], position=1)
    first = make_action(ruleset, settings, position=0)
    make_action(make_ruleset(owner.team, name="Other"))

    response = owner.api.get(path(ruleset))

    assert response.status_code == 200
    assert response.json() == [
        {"id": str(first.id), "type": "trigger-alerts", "settings": settings},
        {"id": str(second.id), "type": "trigger-alerts", "settings": []},
    ]


def test_read_answers_an_empty_list_for_a_ruleset_without_actions(owner):
    response = owner.api.get(path(make_ruleset(owner.team)))
    assert response.status_code == 200
    assert response.json() == []


def test_a_plain_member_reads_the_actions_of_an_organization_ruleset(owner, teammate):
    ruleset = make_ruleset(owner.team, level="organization")
    action = make_action(ruleset)
    assert [a["id"] for a in teammate.api.get(path(ruleset)).json()] == [str(action.id)]


def test_outsider_cannot_read_another_orgs_ruleset_actions(owner, outsider):
    ruleset = make_ruleset(owner.team)
    make_action(ruleset)
    assert_not_found(outsider.api.get(path(ruleset)))


@pytest.mark.parametrize("ruleset_id", [MALFORMED_ID, UNKNOWN_ID])
def test_read_answers_404_for_a_malformed_or_unknown_ruleset_id(owner, ruleset_id):
    assert_not_found(owner.api.get(f"/v1/ruleset/{ruleset_id}/actions"))


def test_read_runs_a_bounded_number_of_queries(owner, django_assert_max_num_queries):
    ruleset = make_ruleset(owner.team)
    for position in range(30):
        make_action(ruleset, [{"id": str(position)}], position=position)
    with django_assert_max_num_queries(3):
        response = owner.api.get(path(ruleset))
    assert [a["settings"][0]["id"] for a in response.json()] == [str(p) for p in range(30)]


# --------------------------------------------------------------------------- replace


def test_replace_creates_actions_and_gives_every_setting_an_id(owner, component):
    ruleset = make_ruleset(owner.team)
    body = {"actions": [trigger_alerts(component), trigger_alerts(component, id="")]}

    response = owner.api.put(path(ruleset), body)

    assert response.status_code == 200
    assert response.json() == {"message": "Ruleset actions updated."}
    listed = owner.api.get(path(ruleset)).json()
    assert len(listed) == 2
    for action in listed:
        assert action["type"] == "trigger-alerts"
        [setting] = action["settings"]
        assert setting["status_page_id"] == str(component.status_page_id)
        assert setting["component_id"] == str(component.id)
        assert uuid.UUID(setting["id"])
    assert listed[0]["settings"][0]["id"] != listed[1]["settings"][0]["id"]


def test_replace_keeps_the_ids_of_settings_it_is_given(owner, component):
    ruleset = make_ruleset(owner.team)
    body = {"actions": [{"type": "trigger-alerts", "settings": [alert_setting(component, id="s")]}]}
    assert owner.api.put(path(ruleset), body).status_code == 200
    assert ruleset.actions.get().settings[0]["id"] == "s"


def test_replace_upserts_by_id_and_deletes_the_actions_left_out(owner, component):
    ruleset = make_ruleset(owner.team)
    kept = make_action(ruleset, [], position=0)
    dropped = make_action(ruleset, [], position=1)
    body = {
        "actions": [
            {"id": "", "type": "trigger-alerts", "settings": [alert_setting(component)]},
            {"id": str(kept.id), "type": "trigger-alerts", "settings": [alert_setting(component)]},
        ]
    }

    assert owner.api.put(path(ruleset), body).status_code == 200

    listed = owner.api.get(path(ruleset)).json()
    assert len(listed) == 2
    assert listed[1]["id"] == str(kept.id)
    assert listed[1]["settings"][0]["component_id"] == str(component.id)
    assert listed[0]["id"] not in {str(kept.id), str(dropped.id)}
    assert not RulesetAction.objects.filter(pk=dropped.pk).exists()


def test_replace_with_the_listed_ids_reorders_without_recreating(owner):
    ruleset = make_ruleset(owner.team)
    first, second = make_action(ruleset, position=0), make_action(ruleset, position=1)
    body = {
        "actions": [
            {"id": str(second.id), "type": "trigger-alerts", "settings": []},
            {"id": str(first.id), "type": "trigger-alerts", "settings": []},
        ]
    }
    assert owner.api.put(path(ruleset), body).status_code == 200
    assert [a["id"] for a in owner.api.get(path(ruleset)).json()] == [
        str(second.id),
        str(first.id),
    ]
    assert RulesetAction.objects.count() == 2


def test_replace_accepts_an_id_in_upper_case(owner):
    ruleset = make_ruleset(owner.team)
    action = make_action(ruleset)
    body = {"actions": [{"id": str(action.id).upper(), "type": "trigger-alerts", "settings": []}]}
    assert owner.api.put(path(ruleset), body).status_code == 200
    assert list(ruleset.actions.values_list("pk", flat=True)) == [action.pk]


def test_replace_with_an_empty_list_deletes_every_action(owner):
    ruleset = make_ruleset(owner.team)
    make_action(ruleset)
    make_action(ruleset, position=1)
    assert owner.api.put(path(ruleset), {"actions": []}).status_code == 200
    assert not ruleset.actions.exists()


def test_replace_leaves_other_rulesets_actions_alone(owner):
    ruleset, other = make_ruleset(owner.team), make_ruleset(owner.team, name="Other")
    theirs = make_action(other)
    assert owner.api.put(path(ruleset), {"actions": []}).status_code == 200
    assert list(other.actions.all()) == [theirs]


def test_replace_rejects_the_id_of_another_rulesets_action(owner):
    ruleset = make_ruleset(owner.team)
    mine = make_action(ruleset)
    theirs = make_action(make_ruleset(owner.team, name="Other"))
    body = {
        "actions": [
            {"id": str(mine.id), "type": "trigger-alerts", "settings": []},
            {"id": str(theirs.id), "type": "trigger-alerts", "settings": []},
        ]
    }

    errors = assert_invalid(owner.api.put(path(ruleset), body), "actions.1.id")

    assert errors["actions.1.id"] == ["no such action"]
    assert list(ruleset.actions.all()) == [mine]
    assert RulesetAction.objects.filter(pk=theirs.pk, ruleset__name="Other").exists()


def test_replace_rejects_the_same_id_twice(owner):
    ruleset = make_ruleset(owner.team)
    action = make_action(ruleset)
    item = {"id": str(action.id), "type": "trigger-alerts", "settings": []}
    assert_invalid(owner.api.put(path(ruleset), {"actions": [item, item]}), "actions.1.id")


def test_replace_rejects_a_component_of_another_org(owner, outsider, component):
    ruleset = make_ruleset(owner.team)
    theirs = make_component(make_status_page(outsider.organization), "Globex API")
    body = {"actions": [trigger_alerts(component, theirs)]}

    errors = assert_invalid(owner.api.put(path(ruleset), body), "actions.0.settings.1.component_id")

    assert set(errors) == {"actions.0.settings.1.component_id"}
    assert errors["actions.0.settings.1.component_id"] == ["no such component in your organization"]
    assert not ruleset.actions.exists()


def test_replace_rejects_a_component_named_with_the_wrong_status_page(owner, component):
    ruleset = make_ruleset(owner.team)
    other_page = make_status_page(owner.organization, "Internal")
    setting = alert_setting(component, status_page_id=str(other_page.id))
    body = {"actions": [{"type": "trigger-alerts", "settings": [setting]}]}
    assert_invalid(owner.api.put(path(ruleset), body), "actions.0.settings.0.status_page_id")


BAD_ACTIONS = [
    ({}, "actions"),
    ({"actions": None}, "actions"),
    ({"actions": "trigger-alerts"}, "actions"),
    ({"actions": {"type": "trigger-alerts"}}, "actions"),
    ({"actions": ["trigger-alerts"]}, "actions.0"),
    ({"actions": [None]}, "actions.0"),
    ({"actions": [{"type": "send-sms", "settings": []}]}, "actions.0.type"),
    ({"actions": [{"type": None, "settings": []}]}, "actions.0.type"),
    ({"actions": [{"settings": []}]}, "actions.0.type"),
    ({"actions": [{"type": "trigger-alerts"}]}, "actions.0.settings"),
    ({"actions": [{"type": "trigger-alerts", "settings": None}]}, "actions.0.settings"),
    ({"actions": [{"type": "trigger-alerts", "settings": "all"}]}, "actions.0.settings"),
    ({"actions": [{"type": "trigger-alerts", "settings": ["x"]}]}, "actions.0.settings.0"),
    ({"actions": [{"id": 5, "type": "trigger-alerts", "settings": []}]}, "actions.0.id"),
    ({"actions": [{"id": UNKNOWN_ID, "type": "trigger-alerts", "settings": []}]}, "actions.0.id"),
    ({"actions": [{"id": "nope", "type": "trigger-alerts", "settings": []}]}, "actions.0.id"),
    (
        {"actions": [{"type": "trigger-alerts", "settings": [{"status_page_id": "x"}]}]},
        "actions.0.settings.0.status_page_id",
    ),
    (
        {"actions": [{"type": "trigger-alerts", "settings": [{"status_page_id": UNKNOWN_ID}]}]},
        "actions.0.settings.0.component_id",
    ),
    (
        {
            "actions": [
                {
                    "type": "trigger-alerts",
                    "settings": [{"status_page_id": UNKNOWN_ID, "component_id": UNKNOWN_ID}],
                }
            ]
        },
        "actions.0.settings.0.component_id",
    ),
    (
        {"actions": [{"type": "trigger-alerts", "settings": [{"id": [], "component_id": 1}]}]},
        "actions.0.settings.0.id",
    ),
]


@pytest.mark.parametrize(("body", "field"), BAD_ACTIONS)
def test_replace_answers_422_naming_the_bad_field_and_changes_nothing(owner, body, field):
    ruleset = make_ruleset(owner.team)
    action = make_action(ruleset, [{"id": "kept"}])

    assert_invalid(owner.api.put(path(ruleset), body, format="json"), field)

    assert list(ruleset.actions.all()) == [action]
    action.refresh_from_db()
    assert action.settings == [{"id": "kept"}]


@pytest.mark.parametrize(
    "raw",
    [b"{nope", b"", b"[]", b"null", deeply_nested()],
    ids=["bad", "empty", "list", "null", "deep"],
)
def test_replace_answers_422_for_a_body_that_is_not_an_object(owner, raw):
    ruleset = make_ruleset(owner.team)
    make_action(ruleset)
    response = send_raw(owner.api, "PUT", path(ruleset), raw)
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"message", "errors"}
    assert ruleset.actions.count() == 1


def test_a_team_manager_replaces_the_actions_of_their_teams_ruleset(manager):
    ruleset = make_ruleset(manager.team)
    make_action(ruleset)
    assert manager.api.put(path(ruleset), {"actions": []}).status_code == 200
    assert not ruleset.actions.exists()


def test_a_plain_member_cannot_replace_the_actions_of_an_organization_ruleset(owner, teammate):
    ruleset = make_ruleset(owner.team, level="organization")
    make_action(ruleset)
    response = teammate.api.put(path(ruleset), {"actions": []})
    assert response.status_code == 403
    assert isinstance(response.json()["message"], str)
    assert ruleset.actions.count() == 1


def test_a_plain_member_cannot_replace_the_actions_of_another_teams_ruleset(teammate):
    ruleset = make_ruleset(make_team(teammate.organization, "Payments"))
    make_action(ruleset)
    assert teammate.api.put(path(ruleset), {"actions": []}).status_code == 403
    assert ruleset.actions.count() == 1


def test_an_admin_replaces_the_actions_of_an_organization_ruleset(owner, component):
    ruleset = make_ruleset(owner.team, level="organization")
    response = owner.api.put(path(ruleset), {"actions": [trigger_alerts(component)]})
    assert response.status_code == 200
    assert stored(ruleset)[0][0] == "trigger-alerts"


def test_outsider_cannot_replace_another_orgs_ruleset_actions(owner, outsider):
    ruleset = make_ruleset(owner.team)
    action = make_action(ruleset)
    assert_not_found(outsider.api.put(path(ruleset), {"actions": []}))
    assert list(ruleset.actions.all()) == [action]


@pytest.mark.parametrize("ruleset_id", [MALFORMED_ID, UNKNOWN_ID])
def test_replace_answers_404_for_a_malformed_or_unknown_ruleset_id(owner, ruleset_id):
    assert_not_found(owner.api.put(f"/v1/ruleset/{ruleset_id}/actions", {"actions": []}))
