"""GET /v1/audit-log: organization admins read every change, filtered and paged."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import ApiToken
from audit.models import AuditRecord
from pinghome.testing import assert_invalid, assert_unauthorized, client_with_scopes
from rulesets.tests.builders import ruleset_body

pytestmark = pytest.mark.django_db


def record(owner, **fields) -> AuditRecord:
    values = {
        "organization": owner.organization,
        "actor_id": owner.user.pk,
        "actor": owner.user.email,
        "action": "updated",
        "object_type": "team",
        "object_id": str(owner.team.pk),
        "object_repr": "Ops",
        **fields,
    }
    return AuditRecord.objects.create(**values)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()]


def test_an_admin_reads_who_changed_what_with_which_token_newest_first(owner):
    owner.api.post("/v1/ruleset", ruleset_body(owner.team, name="Disk"))
    owner.api.put(f"/v1/team/{owner.team.id}", {"time_zone": "Europe/Berlin"})

    response = owner.api.get("/v1/audit-log")

    assert response.status_code == 200
    team, ruleset = response.json()
    assert (team["object_type"], team["action"]) == ("team", "updated")
    assert (team["before"], team["after"]) == ({"time_zone": "UTC"}, {"time_zone": "Europe/Berlin"})
    assert ruleset["object_type"] == "ruleset" and ruleset["after"]["name"] == "Disk"
    token = ApiToken.objects.get(user=owner.user, name="bootstrap")
    assert (team["actor_id"], team["actor"], team["token_id"], team["token_name"]) == (
        str(owner.user.id),
        owner.user.email,
        str(token.id),
        "bootstrap",
    )
    assert set(team) == {
        "id",
        "created_at",
        "actor_id",
        "actor",
        "token_id",
        "token_name",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "before",
        "after",
    }


@pytest.mark.parametrize("persona", ["teammate", "manager"])
def test_members_get_403(persona, request):
    response = request.getfixturevalue(persona).api.get("/v1/audit-log")

    assert response.status_code == 403


def test_an_admins_token_without_the_admin_scope_gets_403(owner):
    assert client_with_scopes(owner.user, ["read", "write"]).get("/v1/audit-log").status_code == 403
    assert client_with_scopes(owner.user, ["read", "admin"]).get("/v1/audit-log").status_code == 200


def test_another_organizations_records_are_never_listed(owner, outsider):
    outsider.api.post("/v1/team", {"name": "Secret"})
    mine = record(owner)

    assert ids(owner.api.get("/v1/audit-log")) == [str(mine.pk)]


def test_without_a_token_is_401(anonymous):
    assert_unauthorized(anonymous.get("/v1/audit-log"))


def test_filters_by_object_type_id_actor_and_time(owner, teammate):
    at = datetime(2026, 1, 1, 12, tzinfo=UTC)
    team = record(owner, created_at=at)
    other_object = record(owner, object_id="x", created_at=at + timedelta(hours=1))
    by_mate = record(owner, actor_id=teammate.user.pk, created_at=at + timedelta(hours=2))
    ruleset = record(owner, object_type="ruleset", created_at=at + timedelta(hours=3))
    api = owner.api

    assert ids(api.get("/v1/audit-log", {"object_type": "ruleset"})) == [str(ruleset.pk)]
    assert ids(api.get("/v1/audit-log", {"object_id": "x"})) == [str(other_object.pk)]
    assert ids(api.get("/v1/audit-log", {"actor_id": str(teammate.user.pk)})) == [str(by_mate.pk)]
    window = {"from": "2026-01-01T12:30:00Z", "to": "2026-01-01T14:00:01Z"}
    assert ids(api.get("/v1/audit-log", window)) == [str(by_mate.pk), str(other_object.pk)]
    assert ids(api.get("/v1/audit-log", {"to": "2026-01-01T12:00:01Z"})) == [str(team.pk)]


def test_pages_follow_last_created_at_and_last_id_without_gap_or_repeat(owner):
    at = datetime(2026, 1, 1, tzinfo=UTC)
    # Five records sharing one instant, two older ones.
    made = [record(owner, created_at=at) for _ in range(5)]
    made += [record(owner, created_at=at - timedelta(seconds=s)) for s in (1, 2)]
    seen: list[str] = []
    query = {"limit": 3}
    while True:
        page = owner.api.get("/v1/audit-log", query).json()
        if not page:
            break
        seen += [item["id"] for item in page]
        query = {"limit": 3, "last_created_at": page[-1]["created_at"], "last_id": page[-1]["id"]}

    assert sorted(seen) == sorted(str(r.pk) for r in made)
    assert len(seen) == len(set(seen)) == 7
    assert seen[-2:] == [str(made[5].pk), str(made[6].pk)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"actor_id": "nobody"}, "actor_id"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"action": "renamed"}, "action"),
        ({"limit": "0"}, "limit"),
        ({"last_id": "x", "last_created_at": "2026-01-01T00:00:00Z"}, "last_id"),
    ],
)
def test_bad_filters_are_422_naming_them(owner, query, field):
    assert_invalid(owner.api.get("/v1/audit-log", query), field)


def test_several_bad_parameters_are_named_at_once(owner):
    assert_invalid(owner.api.get("/v1/audit-log", {"from": "x", "limit": "x"}), "from", "limit")


def test_a_page_costs_a_bounded_number_of_queries(owner, django_assert_max_num_queries):
    for _ in range(60):
        record(owner)

    with django_assert_max_num_queries(3):
        assert len(owner.api.get("/v1/audit-log").json()) == 50


def test_the_log_cannot_be_written_through_the_api(owner):
    for method in ("post", "put", "delete", "patch"):
        assert getattr(owner.api, method)("/v1/audit-log", {}).status_code == 405
