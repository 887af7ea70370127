"""POST /v1/maintenance-window, GET /v1/maintenance-windows, GET, PUT and DELETE
/v1/maintenance-window/{id}."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from audit.models import AuditRecord
from maintenance.models import MaintenanceWindow
from pinghome.testing import (
    BAD_TOKEN,
    MALFORMED_ID,
    UNKNOWN_ID,
    assert_invalid,
    assert_not_found,
    assert_unauthorized,
    make_persona,
)
from rulesets.tests.pipeline import create_ruleset, create_webhook

pytestmark = pytest.mark.django_db


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def body(**fields) -> dict:
    return {
        "reason": "Database upgrade",
        "start": "2030-03-05T22:00:00Z",
        "end": "2030-03-06T02:00:00Z",
        "recurrence": None,
        "webhook_ids": [],
        "ruleset_ids": [],
        "team_ids": [],
        **fields,
    }


def create(persona, **fields) -> str:
    response = persona.api.post("/v1/maintenance-window", body(**fields), format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_a_window_of_the_organization_is_created_and_read_back(owner):
    window_id = create(owner)

    response = owner.api.get(f"/v1/maintenance-window/{window_id}")

    assert response.status_code == 200
    assert response.json() == {
        "id": window_id,
        "reason": "Database upgrade",
        "start": "2030-03-05T22:00:00Z",
        "end": "2030-03-06T02:00:00Z",
        "recurrence": None,
        "webhook_ids": [],
        "ruleset_ids": [],
        "team_ids": [],
        "active": False,
        "next_occurrence": None,  # beyond 35 days
        "created_at": response.json()["created_at"],
        "updated_at": response.json()["updated_at"],
    }


def test_a_weekly_window_says_when_it_is_active_next(owner):
    now = timezone.now()
    window_id = create(
        owner,
        start=iso(now - timedelta(days=30)),
        end=iso(now + timedelta(days=30)),
        recurrence={
            "week_days": [2, 2],
            "start_time": "22:00",
            "end_time": "02:00",
            "time_zone": "Europe/Berlin",
        },
    )

    answer = owner.api.get(f"/v1/maintenance-window/{window_id}").json()

    assert answer["recurrence"] == {
        "week_days": [2],
        "start_time": "22:00:00",
        "end_time": "02:00:00",
        "time_zone": "Europe/Berlin",
    }
    start = datetime.fromisoformat(answer["next_occurrence"]["start"])
    end = datetime.fromisoformat(answer["next_occurrence"]["end"])
    assert start.astimezone(UTC).isoweekday() in (1, 2)  # 22:00 Tuesday in Berlin, in UTC
    assert timedelta(hours=4) <= end - start <= timedelta(hours=4, seconds=1)


def test_a_scoped_window_names_its_webhooks_rulesets_and_teams(owner):
    webhook = create_webhook(owner)
    ruleset = create_ruleset(owner)
    window_id = create(
        owner, webhook_ids=[webhook], ruleset_ids=[ruleset], team_ids=[str(owner.team.pk)]
    )

    answer = owner.api.get(f"/v1/maintenance-window/{window_id}").json()

    assert (answer["webhook_ids"], answer["ruleset_ids"], answer["team_ids"]) == (
        [webhook],
        [ruleset],
        [str(owner.team.pk)],
    )


def test_windows_are_listed_latest_start_first_in_bounded_queries(
    owner, django_assert_max_num_queries
):
    ids = [
        create(owner, start=f"2030-0{n}-01T00:00:00Z", end="2030-12-01T00:00:00Z")
        for n in (1, 2, 3)
    ]
    create(make_persona("Globex", "Ops", "x@globex.test"))

    with django_assert_max_num_queries(8):
        response = owner.api.get("/v1/maintenance-windows")

    assert [w["id"] for w in response.json()] == ids[::-1]


def test_put_replaces_every_field(owner):
    window_id = create(owner, team_ids=[str(owner.team.pk)])

    response = owner.api.put(
        f"/v1/maintenance-window/{window_id}",
        body(reason="Kernel patch", end="2030-03-06T03:00:00Z"),
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"message": "Maintenance window updated."}
    answer = owner.api.get(f"/v1/maintenance-window/{window_id}").json()
    assert (answer["reason"], answer["end"], answer["team_ids"]) == (
        "Kernel patch",
        "2030-03-06T03:00:00Z",
        [],
    )


def test_delete_removes_the_window(owner):
    window_id = create(owner)

    response = owner.api.delete(f"/v1/maintenance-window/{window_id}")

    assert response.json() == {"message": "Maintenance window deleted."}
    assert not MaintenanceWindow.objects.exists()


def test_each_change_is_audited(owner):
    window_id = create(owner)
    owner.api.put(f"/v1/maintenance-window/{window_id}", body(reason="Kernel patch"), format="json")
    owner.api.delete(f"/v1/maintenance-window/{window_id}")

    records = AuditRecord.objects.filter(object_type="maintenancewindow").order_by("created_at")
    assert [r.action for r in records] == ["created", "updated", "deleted"]
    assert records[1].before == {"reason": "Database upgrade"}
    assert records[1].after == {"reason": "Kernel patch"}
    assert records[0].after["team_ids"] == []


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": 42}, "reason"),
        ({"start": "tomorrow"}, "start"),
        ({"end": "2030-03-05T21:00:00Z"}, "end"),
        ({"end": "2030-03-05T22:00:00Z"}, "end"),
        (
            {"recurrence": {"week_days": [7], "start_time": "22:00", "end_time": "02:00"}},
            "recurrence.week_days.0",
        ),
        (
            {"recurrence": {"week_days": [], "start_time": "22:00", "end_time": "02:00"}},
            "recurrence.week_days",
        ),
        (
            {"recurrence": {"week_days": [1], "start_time": "24:00", "end_time": "02:00"}},
            "recurrence.start_time",
        ),
        ({"recurrence": {"week_days": [1], "start_time": "22:00"}}, "recurrence.end_time"),
        (
            {
                "recurrence": {
                    "week_days": [1],
                    "start_time": "1:00",
                    "end_time": "2:00",
                    "time_zone": "Mars/Base",
                }
            },
            "recurrence.time_zone",
        ),
        ({"recurrence": "weekly"}, "recurrence"),
        ({"webhook_ids": [UNKNOWN_ID]}, "webhook_ids.0"),
        ({"ruleset_ids": ["nope"]}, "ruleset_ids.0"),
        ({"team_ids": [UNKNOWN_ID] * 101}, "team_ids"),
    ],
)
def test_an_invalid_window_is_a_422_naming_the_field(owner, fields, named):
    response = owner.api.post("/v1/maintenance-window", body(**fields), format="json")

    assert_invalid(response, named)
    assert not MaintenanceWindow.objects.exists()


def test_another_organizations_objects_cannot_be_in_scope(owner, outsider):
    theirs = create_webhook(outsider)

    response = owner.api.post("/v1/maintenance-window", body(webhook_ids=[theirs]), format="json")

    assert_invalid(response, "webhook_ids.0")


def test_another_organizations_window_is_not_found(owner, outsider):
    window_id = create(owner)

    for response in (
        outsider.api.get(f"/v1/maintenance-window/{window_id}"),
        outsider.api.put(f"/v1/maintenance-window/{window_id}", body(), format="json"),
        outsider.api.delete(f"/v1/maintenance-window/{window_id}"),
        owner.api.get(f"/v1/maintenance-window/{UNKNOWN_ID}"),
        owner.api.get(f"/v1/maintenance-window/{MALFORMED_ID}"),
    ):
        assert_not_found(response)
    assert outsider.api.get("/v1/maintenance-windows").json() == []
    assert MaintenanceWindow.objects.get().reason == "Database upgrade"


def test_a_bad_token_is_a_401(anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION=BAD_TOKEN)

    assert_unauthorized(anonymous.get("/v1/maintenance-windows"))
    assert_unauthorized(anonymous.post("/v1/maintenance-window", body(), format="json"))


def test_a_responder_reads_windows_but_cannot_schedule_one(owner, teammate):
    window_id = create(owner, team_ids=[str(owner.team.pk)])

    assert teammate.api.get("/v1/maintenance-windows").status_code == 200
    responses = [
        teammate.api.post(
            "/v1/maintenance-window", body(team_ids=[str(teammate.team.pk)]), format="json"
        ),
        teammate.api.put(f"/v1/maintenance-window/{window_id}", body(), format="json"),
        teammate.api.delete(f"/v1/maintenance-window/{window_id}"),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert MaintenanceWindow.objects.count() == 1


def test_a_team_manager_silences_their_team_but_not_the_organization(owner, manager):
    team = str(manager.team.pk)
    webhook = create_webhook(owner)  # of no team: the organization's

    assert (
        manager.api.post("/v1/maintenance-window", body(team_ids=[team]), format="json").status_code
        == 201
    )
    assert manager.api.post("/v1/maintenance-window", body(), format="json").status_code == 403
    assert (
        manager.api.post(
            "/v1/maintenance-window", body(team_ids=[team], webhook_ids=[webhook]), format="json"
        ).status_code
        == 403
    )
    organization_rule = create_ruleset(owner, level="organization")
    assert (
        manager.api.post(
            "/v1/maintenance-window", body(ruleset_ids=[organization_rule]), format="json"
        ).status_code
        == 403
    )
    window_id = create(owner)
    response = manager.api.put(
        f"/v1/maintenance-window/{window_id}", body(team_ids=[team]), format="json"
    )
    assert response.status_code == 403  # the organization's window is not theirs to narrow
    assert MaintenanceWindow.objects.count() == 2
