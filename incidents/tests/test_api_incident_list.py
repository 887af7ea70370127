"""GET /v1/team/{id}/incidents: filters and keyset paging."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils.dateparse import parse_datetime

from incidents.tests.builders import bulk_incidents, make_incident
from pinghome.testing import (
    BAD_TOKEN,
    MALFORMED_ID,
    UNKNOWN_ID,
    assert_invalid,
    assert_not_found,
    assert_unauthorized,
)
from rulesets.tests.builders import make_ruleset, make_team

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
INCIDENT_FIELDS = {
    "id",
    "team_id",
    "name",
    "description",
    "urgency",
    "status",
    "assignees",
    "ruleset_id",
    "dedup_key",
    "event_count",
    "first_event_at",
    "last_event_at",
    "created_at",
    "updated_at",
    "acknowledged_at",
    "resolved_at",
    "escalation_policy_id",
    "escalation",
    "snoozed_until",
    "merged_into_id",
}


def path(team) -> str:
    return f"/v1/team/{team.id}/incidents"


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [incident["name"] for incident in response.json()]


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def rfc3339(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- authentication


@pytest.mark.parametrize("header", [None, BAD_TOKEN, "Bearer"], ids=["none", "bad", "empty"])
def test_team_incidents_answer_401_without_a_valid_token(owner, anonymous, header):
    make_incident(owner.team)
    if header:
        anonymous.credentials(HTTP_AUTHORIZATION=header)
    assert_unauthorized(anonymous.get(path(owner.team)))


# --------------------------------------------------------------------------- list


def test_list_answers_the_teams_incidents_newest_first(owner, outsider):
    ruleset = make_ruleset(owner.team)
    older = make_incident(owner.team, name="Older", created_at=at(0))
    newer = make_incident(
        owner.team,
        name="Newer",
        created_at=at(5),
        description="d",
        urgency="critical",
        assignees=[{"type": "team", "id": str(owner.team.id)}],
        ruleset=ruleset,
        dedup_key="db-1",
        event_count=3,
    )
    make_incident(make_team(owner.organization, "Payments"), name="Other team")
    make_incident(outsider.team, name="Other org")

    response = owner.api.get(path(owner.team))

    assert names(response) == ["Newer", "Older"]
    first = response.json()[0]
    assert set(first) == INCIDENT_FIELDS
    assert first["id"] == str(newer.id)
    assert first["team_id"] == str(owner.team.id)
    assert (first["description"], first["urgency"], first["status"]) == (
        "d",
        "critical",
        "triggered",
    )
    assert first["assignees"] == [{"type": "team", "id": str(owner.team.id)}]
    assert (first["ruleset_id"], first["dedup_key"], first["event_count"]) == (
        str(ruleset.id),
        "db-1",
        3,
    )
    assert first["created_at"] == "2024-03-15T12:05:00Z"
    assert first["acknowledged_at"] is None and first["resolved_at"] is None
    assert response.json()[1]["id"] == str(older.id)
    assert response.json()[1]["ruleset_id"] is None


def test_list_of_a_team_without_incidents_is_empty(owner):
    response = owner.api.get(path(owner.team))
    assert response.status_code == 200
    assert response.json() == []


def test_a_plain_member_lists_their_teams_incidents(owner, teammate):
    make_incident(owner.team, name="Visible")
    assert names(teammate.api.get(path(teammate.team))) == ["Visible"]


def test_outsider_cannot_list_another_orgs_team_incidents(owner, outsider):
    make_incident(owner.team)
    assert_not_found(outsider.api.get(path(owner.team)))


@pytest.mark.parametrize("team_id", [MALFORMED_ID, UNKNOWN_ID])
def test_list_answers_404_for_a_malformed_or_unknown_team_id(owner, team_id):
    assert_not_found(owner.api.get(f"/v1/team/{team_id}/incidents"))


def test_list_runs_a_bounded_number_of_queries(owner, django_assert_max_num_queries):
    ruleset = make_ruleset(owner.team)
    for index in range(30):
        make_incident(
            owner.team,
            name=f"I{index}",
            ruleset=ruleset if index % 2 else None,
            dedup_key=str(index),
        )
    with django_assert_max_num_queries(4):
        response = owner.api.get(path(owner.team))
    assert len(response.json()) == 30


# --------------------------------------------------------------------------- filters


@pytest.fixture
def spread(owner):
    """Four incidents of the owner's team, one per status/urgency, a minute apart."""
    ruleset = make_ruleset(owner.team)
    return {
        "a": make_incident(owner.team, name="a", created_at=at(0), urgency="low"),
        "b": make_incident(
            owner.team, name="b", created_at=at(1), status="acknowledged", urgency="high"
        ),
        "c": make_incident(
            owner.team, name="c", created_at=at(2), status="resolved", ruleset=ruleset
        ),
        "d": make_incident(owner.team, name="d", created_at=at(3), urgency="critical"),
        "ruleset": ruleset,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "triggered"}, ["d", "a"]),
        ({"status": "acknowledged"}, ["b"]),
        ({"status": ["acknowledged", "resolved"]}, ["c", "b"]),
        ({"urgency": "critical"}, ["d"]),
        ({"urgency": ["low", "high"]}, ["b", "a"]),
        ({"status": "triggered", "urgency": "low"}, ["a"]),
        ({"created_after": "2024-03-15T12:01:00Z"}, ["d", "c", "b"]),
        ({"created_before": "2024-03-15T12:02:00Z"}, ["b", "a"]),
        (
            {"created_after": "2024-03-15T12:01:00Z", "created_before": "2024-03-15T12:03:00Z"},
            ["c", "b"],
        ),
        ({"created_after": "2024-03-15T13:01:00+01:00"}, ["d", "c", "b"]),
        ({"status": "resolved", "urgency": "low"}, []),
    ],
)
def test_list_filters(owner, spread, query, expected):
    assert names(owner.api.get(path(owner.team), query)) == expected


def test_list_filters_by_ruleset(owner, spread):
    assert names(owner.api.get(path(owner.team), {"ruleset_id": str(spread["ruleset"].id)})) == [
        "c"
    ]
    assert names(owner.api.get(path(owner.team), {"ruleset_id": UNKNOWN_ID})) == []


def test_a_filter_never_reaches_another_team(owner, spread):
    other = make_team(owner.organization, "Payments")
    make_incident(other, name="elsewhere", created_at=at(2), ruleset=spread["ruleset"])
    query = {"ruleset_id": str(spread["ruleset"].id)}
    assert names(owner.api.get(path(owner.team), query)) == ["c"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "open"}, "status"),
        ({"status": ["triggered", "closed"]}, "status"),
        ({"urgency": "urgent"}, "urgency"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_after": "2024-13-45T00:00:00Z"}, "created_after"),
        ({"created_before": "15/03/2024"}, "created_before"),
        ({"ruleset_id": "nope"}, "ruleset_id"),
    ],
)
def test_list_answers_422_naming_a_bad_filter(owner, spread, query, field):
    assert_invalid(owner.api.get(path(owner.team), query), field)


# --------------------------------------------------------------------------- keyset paging


def test_list_answers_at_most_50_incidents_by_default(owner):
    bulk_incidents(owner.team, [at(i) for i in range(51)])
    response = owner.api.get(path(owner.team))
    assert len(response.json()) == 50
    assert response.json()[0]["name"] == "Incident 50"


def test_limit_caps_the_page(owner):
    bulk_incidents(owner.team, [at(i) for i in range(5)])
    assert names(owner.api.get(path(owner.team), {"limit": "2"})) == ["Incident 4", "Incident 3"]


def test_last_created_at_answers_what_is_strictly_older(owner):
    bulk_incidents(owner.team, [at(i) for i in range(5)])
    query = {"limit": "2", "last_created_at": rfc3339(at(3))}
    assert names(owner.api.get(path(owner.team), query)) == ["Incident 2", "Incident 1"]


def test_paging_with_last_id_walks_incidents_sharing_an_instant_without_gap_or_repeat(owner):
    created = bulk_incidents(owner.team, [at(0)] * 3 + [at(1)] * 4 + [at(2)])
    seen: list[str] = []
    query: dict[str, str] = {"limit": "3"}
    for _ in range(10):
        page = owner.api.get(path(owner.team), query).json()
        if not page:
            break
        seen += [incident["id"] for incident in page]
        query = {"limit": "3", "last_created_at": page[-1]["created_at"], "last_id": page[-1]["id"]}
    assert len(seen) == len(set(seen)) == 8
    assert set(seen) == {str(incident.id) for incident in created}
    times = [parse_datetime(i["created_at"]) for i in owner.api.get(path(owner.team)).json()]
    assert times == sorted(times, reverse=True)


def test_paging_combines_with_filters(owner):
    bulk_incidents(owner.team, [at(i) for i in range(6)])
    make_incident(owner.team, name="loud", created_at=at(10), urgency="critical")
    make_incident(owner.team, name="louder", created_at=at(11), urgency="critical")
    query = {"urgency": "critical", "limit": "1", "last_created_at": rfc3339(at(11))}
    assert names(owner.api.get(path(owner.team), query)) == ["loud"]


@pytest.mark.parametrize("limit", ["0", "-1", "501", "abc", "1.5", "²", "1e3", "9" * 5000, ""])
def test_list_answers_422_for_a_bad_limit(owner, limit):
    errors = assert_invalid(owner.api.get(path(owner.team), {"limit": limit}), "limit")
    assert errors["limit"] == ["expected an integer from 1 to 500"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"last_created_at": "not a time"}, "last_created_at"),
        ({"last_created_at": "2024-02-30T00:00:00Z"}, "last_created_at"),
        ({"last_created_at": "2024-03-15T12:00:00Z", "last_id": "nope"}, "last_id"),
        ({"last_id": UNKNOWN_ID}, "last_id"),
    ],
)
def test_list_answers_422_for_a_bad_cursor(owner, query, field):
    assert_invalid(owner.api.get(path(owner.team), query), field)


def test_list_names_every_bad_query_parameter_at_once(owner):
    query = {"limit": "0", "last_created_at": "never", "status": "open", "urgency": "meh"}
    errors = assert_invalid(owner.api.get(path(owner.team), query))
    assert set(errors) == {"limit", "last_created_at", "status", "urgency"}
