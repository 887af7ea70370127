"""On-call schedules: GET /v1/customer/{id}/schedule; POST, PUT, DELETE /v1/team/{id}/schedule."""

import uuid
from datetime import UTC, datetime, time, timedelta, timezone
from urllib.parse import urlencode

import pytest
from django.utils import timezone as django_timezone

from pinghome.testing import make_persona
from schedules.models import ScheduleEntry

pytestmark = pytest.mark.django_db

RULE = {"week_days": [1, 2, 3, 4, 5], "start_time": "09:00", "end_time": "17:00"}
PLUS_TWO = timezone(timedelta(hours=2))


def schedule_url(team) -> str:
    return f"/v1/team/{team.id}/schedule"


def customer_url(organization) -> str:
    return f"/v1/customer/{organization.id}/schedule"


def body(member, **fields) -> dict:
    return {"team_member_id": str(member.id), **RULE, **fields}


def create(persona, member=None, **fields) -> dict:
    """Create an entry through the API; the response: {"id", "created_at"}."""
    response = persona.api.post(
        schedule_url(persona.team), body(member or persona.member, **fields)
    )
    assert response.status_code == 201, response.json()
    return response.json()


def in_offset(created_at: str, offset: timezone = PLUS_TWO) -> str:
    """The same instant written in another UTC offset."""
    return datetime.fromisoformat(created_at).astimezone(offset).isoformat()


@pytest.fixture
def developer(owner):
    """A member of Acme's other team, Dev."""
    return make_persona("Acme", "Dev", "dev@acme.test")


# --------------------------------------------------------------------------- POST


def test_creating_an_entry_answers_201_with_its_id_and_server_set_created_at(owner):
    before = django_timezone.now()
    response = owner.api.post(schedule_url(owner.team), body(owner.member))
    after = django_timezone.now()

    assert response.status_code == 201
    assert set(response.json()) == {"id", "created_at"}
    entry = ScheduleEntry.objects.get(pk=response.json()["id"])
    assert response.json()["created_at"].endswith("Z")
    assert datetime.fromisoformat(response.json()["created_at"]) == entry.created_at
    assert before <= entry.created_at <= after
    assert entry.team == owner.team
    assert entry.team_member == owner.member
    assert entry.week_days == [1, 2, 3, 4, 5]
    assert (entry.start_time, entry.end_time) == (time(9, 0), time(17, 0))
    assert (entry.months_of_year, entry.weeks_of_month) == ([], [])
    assert (entry.start_date, entry.end_date, entry.time_zone) == (None, None, "")


def test_created_at_sent_by_the_client_is_ignored(owner):
    created = create(owner, created_at="2000-01-01T00:00:00Z")

    assert not created["created_at"].startswith("2000-")


def test_every_documented_field_is_stored(owner):
    created = create(
        owner,
        start_date="2024-01-01T00:00:00Z",
        end_date="2024-01-31T23:59:59Z",
        months_of_year=[1],
        weeks_of_month=[1, -1],
        week_days=[1],
        start_time="00:00:00",
        end_time="23:59:59",
        time_zone="Europe/Paris",
    )

    entry = ScheduleEntry.objects.get(pk=created["id"])
    assert entry.start_date == datetime(2024, 1, 1, tzinfo=UTC)
    assert entry.end_date == datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC)
    assert entry.months_of_year == [1]
    assert entry.weeks_of_month == [-1, 1]
    assert entry.week_days == [1]
    assert (entry.start_time, entry.end_time) == (time(0, 0), time(23, 59, 59))
    assert entry.time_zone == "Europe/Paris"


def test_a_team_manager_can_schedule_another_member_of_the_team(owner, manager):
    response = manager.api.post(schedule_url(owner.team), body(owner.member))

    assert response.status_code == 201


def test_a_responder_cannot_change_the_schedule_of_their_team(owner, teammate):
    response = teammate.api.post(schedule_url(owner.team), body(teammate.member))

    assert response.status_code == 403
    assert not ScheduleEntry.objects.exists()


def test_a_manager_of_another_team_cannot_change_this_teams_schedule(owner):
    other = make_persona("Acme", "Payments", "payments-lead@acme.test")

    response = other.api.post(schedule_url(owner.team), body(owner.member))

    assert response.status_code == 403
    assert not ScheduleEntry.objects.exists()


def test_an_exact_duplicate_of_the_same_members_entry_is_409(owner):
    create(owner, months_of_year=[3, 1], time_zone="UTC")

    response = owner.api.post(
        schedule_url(owner.team), body(owner.member, months_of_year=[3, 1], time_zone="UTC")
    )

    assert response.status_code == 409
    assert set(response.json()) == {"message"}
    assert ScheduleEntry.objects.count() == 1


def test_a_duplicate_written_differently_is_still_409(owner):
    create(owner, week_days=[1, 5], start_time="09:00", end_time="17:00")

    response = owner.api.post(
        schedule_url(owner.team),
        body(owner.member, week_days=[5, 1], start_time="09:00:00", end_time="17:00:00"),
    )

    assert response.status_code == 409


def test_the_same_rule_for_another_member_is_not_a_duplicate(owner, teammate):
    create(owner)

    response = owner.api.post(schedule_url(owner.team), body(teammate.member))

    assert response.status_code == 201


def test_another_rule_for_the_same_member_is_not_a_duplicate(owner):
    create(owner)

    response = owner.api.post(schedule_url(owner.team), body(owner.member, end_time="18:00"))

    assert response.status_code == 201
    assert ScheduleEntry.objects.filter(team_member=owner.member).count() == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"week_days": None}, "week_days"),
        ({"week_days": []}, "week_days"),
        ({"week_days": [7]}, "week_days"),
        ({"week_days": [-1]}, "week_days"),
        ({"week_days": ["1"]}, "week_days"),
        ({"week_days": [True]}, "week_days"),
        ({"week_days": [1.0]}, "week_days"),
        ({"week_days": "1"}, "week_days"),
        ({"week_days": True}, "week_days"),
        ({"week_days": 7}, "week_days"),
        ({"months_of_year": [0]}, "months_of_year"),
        ({"months_of_year": [13]}, "months_of_year"),
        ({"months_of_year": "1"}, "months_of_year"),
        ({"weeks_of_month": [0]}, "weeks_of_month"),
        ({"weeks_of_month": [6]}, "weeks_of_month"),
        ({"weeks_of_month": [-6]}, "weeks_of_month"),
        ({"weeks_of_month": [1, 2, 3, 4, 5, -1]}, "weeks_of_month"),
        ({"start_time": "24:00"}, "start_time"),
        ({"start_time": "9:00"}, "start_time"),
        ({"start_time": "abc"}, "start_time"),
        ({"start_time": "09:60"}, "start_time"),
        ({"start_time": None}, "start_time"),
        ({"end_time": "23:59:60"}, "end_time"),
        ({"end_time": ["09:00"]}, "end_time"),
        (
            {"start_date": "2024-02-01T00:00:00Z", "end_date": "2024-01-31T23:59:59Z"},
            "end_date",
        ),
        ({"start_date": "someday"}, "start_date"),
        ({"time_zone": "Mars/Base"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"team_member_id": "not-a-uuid"}, "team_member_id"),
        ({"team_member_id": str(uuid.uuid4())}, "team_member_id"),
        ({"team_member_id": None}, "team_member_id"),
    ],
)
def test_an_invalid_field_is_422_naming_it(owner, fields, field):
    payload = body(owner.member, **fields)
    payload = {key: value for key, value in payload.items() if value is not None}

    response = owner.api.post(schedule_url(owner.team), payload)

    assert response.status_code == 422
    assert response.json()["message"] == "Invalid request."
    assert list(response.json()["errors"]) == [field]
    assert all(isinstance(reason, str) for reason in response.json()["errors"][field])
    assert ScheduleEntry.objects.count() == 0


def test_an_end_date_equal_to_the_start_date_is_accepted(owner):
    create(owner, start_date="2024-02-01T00:00:00Z", end_date="2024-02-01T02:00:00+02:00")


def test_a_member_of_another_team_is_422_naming_team_member_id(owner, developer):
    response = owner.api.post(schedule_url(owner.team), body(developer.member))

    assert response.status_code == 422
    assert response.json() == {
        "message": "Invalid request.",
        "errors": {"team_member_id": ["no such member in this team"]},
    }


def test_a_member_of_another_organization_is_422_naming_team_member_id(owner, outsider):
    response = owner.api.post(schedule_url(owner.team), body(outsider.member))

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["team_member_id"]


def test_every_invalid_field_is_named_at_once(owner):
    response = owner.api.post(
        schedule_url(owner.team),
        {"week_days": [9], "start_time": "9:00", "end_time": "17:00", "time_zone": "Mars/Base"},
    )

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {
        "team_member_id",
        "week_days",
        "start_time",
        "time_zone",
    }


def test_an_outsider_cannot_create_in_our_team(owner, outsider):
    response = outsider.api.post(schedule_url(owner.team), body(owner.member))

    assert response.status_code == 404
    assert response.json() == {"message": "Not found."}
    assert ScheduleEntry.objects.count() == 0


@pytest.mark.parametrize("team_id", ["3f0c6a57-4a52-4f5e-9d0e-7e8f1b2c3d4e", "not-a-uuid"])
def test_an_unknown_team_is_404(owner, team_id):
    response = owner.api.post(f"/v1/team/{team_id}/schedule", body(owner.member))

    assert response.status_code == 404


# --------------------------------------------------------------------------- GET customer


def test_the_customer_schedule_lists_every_team_of_the_organization(owner, developer):
    mine = create(owner, time_zone="Europe/Paris", weeks_of_month=[-1])
    theirs = create(developer, week_days=[0, 6], start_time="22:00", end_time="06:00")

    response = owner.api.get(customer_url(owner.organization))

    assert response.status_code == 200
    by_id = {item["id"]: item for item in response.json()}
    assert set(by_id) == {mine["id"], theirs["id"]}
    assert by_id[mine["id"]] == {
        "id": mine["id"],
        "team_id": str(owner.team.id),
        "team_member_id": str(owner.member.id),
        "created_at": mine["created_at"],
        "start_date": None,
        "end_date": None,
        "months_of_year": [],
        "weeks_of_month": [-1],
        "week_days": [1, 2, 3, 4, 5],
        "start_time": "09:00:00",
        "end_time": "17:00:00",
        "time_zone": "Europe/Paris",
    }
    assert by_id[theirs["id"]]["team_id"] == str(developer.team.id)
    assert by_id[theirs["id"]]["week_days"] == [0, 6]
    assert by_id[theirs["id"]]["start_time"] == "22:00:00"


def test_dates_are_listed_in_utc(owner):
    create(owner, start_date="2024-01-01T02:00:00+02:00", end_date="2024-01-31T18:59:59-05:00")

    (entry,) = owner.api.get(customer_url(owner.organization)).json()

    assert entry["start_date"] == "2024-01-01T00:00:00Z"
    assert entry["end_date"] == "2024-01-31T23:59:59Z"


def test_a_teammate_reads_the_customer_schedule(owner, teammate):
    create(owner)

    response = teammate.api.get(customer_url(owner.organization))

    assert response.status_code == 200
    assert len(response.json()) == 1


def test_another_organizations_entries_are_not_listed(owner, outsider):
    create(owner)
    theirs = create(outsider)

    response = outsider.api.get(customer_url(outsider.organization))

    assert [item["id"] for item in response.json()] == [theirs["id"]]


def test_another_organizations_customer_schedule_is_404(owner, outsider):
    create(owner)

    response = outsider.api.get(customer_url(owner.organization))

    assert response.status_code == 404
    assert response.json() == {"message": "Not found."}


@pytest.mark.parametrize("organization_id", ["3f0c6a57-4a52-4f5e-9d0e-7e8f1b2c3d4e", "not-a-uuid"])
def test_an_unknown_customer_is_404(owner, organization_id):
    response = owner.api.get(f"/v1/customer/{organization_id}/schedule")

    assert response.status_code == 404


def test_listing_many_entries_costs_a_bounded_number_of_queries(
    owner, developer, django_assert_max_num_queries
):
    now = django_timezone.now()
    ScheduleEntry.objects.bulk_create(
        ScheduleEntry(
            team=persona.team,
            team_member=persona.member,
            created_at=now + timedelta(seconds=i),
            week_days=[i % 7],
            start_time=time(9),
            end_time=time(17),
        )
        for i in range(100)
        for persona in (owner, developer)
    )

    # token, organization check is in memory, entries
    with django_assert_max_num_queries(2):
        response = owner.api.get(customer_url(owner.organization))

    assert len(response.json()) == 200


# --------------------------------------------------------------------------- PUT


def test_put_replaces_every_rule_field(owner):
    created = create(
        owner,
        start_date="2024-01-01T00:00:00Z",
        end_date="2024-12-31T00:00:00Z",
        months_of_year=[1, 2],
        weeks_of_month=[1],
        time_zone="Europe/Paris",
    )

    response = owner.api.put(
        schedule_url(owner.team),
        {
            "team_member_id": str(owner.member.id),
            "created_at": created["created_at"],
            "week_days": [0, 6],
            "start_time": "22:00",
            "end_time": "06:00:30",
        },
    )

    assert response.status_code == 200
    assert response.json() == {"message": "Schedule updated."}
    entry = ScheduleEntry.objects.get(pk=created["id"])
    assert entry.week_days == [0, 6]
    assert (entry.start_time, entry.end_time) == (time(22, 0), time(6, 0, 30))
    # Omitted optional fields are cleared, not kept.
    assert (entry.start_date, entry.end_date) == (None, None)
    assert (entry.months_of_year, entry.weeks_of_month, entry.time_zone) == ([], [], "")
    # The identity does not change.
    assert datetime.fromisoformat(created["created_at"]) == entry.created_at
    assert entry.team_member == owner.member


def test_put_finds_the_entry_by_created_at_written_in_another_offset(owner):
    created = create(owner)

    response = owner.api.put(
        schedule_url(owner.team),
        body(owner.member, created_at=in_offset(created["created_at"]), week_days=[3]),
    )

    assert response.status_code == 200
    assert ScheduleEntry.objects.get(pk=created["id"]).week_days == [3]


def test_put_touches_only_the_identified_entry(owner, teammate):
    target = create(owner)
    other = create(owner, end_time="18:00")
    teammates = create(owner, teammate.member)

    owner.api.put(
        schedule_url(owner.team), body(owner.member, created_at=target["created_at"], week_days=[6])
    )

    assert ScheduleEntry.objects.get(pk=other["id"]).week_days == RULE["week_days"]
    assert ScheduleEntry.objects.get(pk=teammates["id"]).week_days == RULE["week_days"]


def test_put_of_an_unknown_pair_is_404(owner, teammate):
    created = create(owner)
    one_microsecond_later = (
        datetime.fromisoformat(created["created_at"]) + timedelta(microseconds=1)
    ).isoformat()

    wrong_member = owner.api.put(
        schedule_url(owner.team), body(teammate.member, created_at=created["created_at"])
    )
    wrong_instant = owner.api.put(
        schedule_url(owner.team), body(owner.member, created_at=one_microsecond_later)
    )

    assert wrong_member.status_code == 404
    assert wrong_instant.status_code == 404
    assert set(wrong_member.json()) == {"message"}


def test_put_through_another_team_of_the_organization_is_404(owner, developer):
    created = create(owner)

    response = owner.api.put(
        schedule_url(developer.team), body(owner.member, created_at=created["created_at"])
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"created_at": None}, "created_at"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"week_days": []}, "week_days"),
        ({"months_of_year": [13]}, "months_of_year"),
        ({"weeks_of_month": [0]}, "weeks_of_month"),
        ({"start_time": "24:00"}, "start_time"),
        ({"time_zone": "Mars/Base"}, "time_zone"),
        ({"start_date": "2024-02-01T00:00:00Z", "end_date": "2024-01-01T00:00:00Z"}, "end_date"),
        ({"team_member_id": "x"}, "team_member_id"),
    ],
)
def test_put_with_an_invalid_field_is_422_naming_it(owner, fields, field):
    created = create(owner)
    payload = body(owner.member, **{"created_at": created["created_at"], **fields})
    payload = {key: value for key, value in payload.items() if value is not None}

    response = owner.api.put(schedule_url(owner.team), payload)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]
    assert ScheduleEntry.objects.get(pk=created["id"]).week_days == RULE["week_days"]


def test_an_outsider_cannot_update_our_entry(owner, outsider):
    created = create(owner)

    response = outsider.api.put(
        schedule_url(owner.team),
        body(owner.member, created_at=created["created_at"], week_days=[0]),
    )

    assert response.status_code == 404
    assert ScheduleEntry.objects.get(pk=created["id"]).week_days == RULE["week_days"]


# --------------------------------------------------------------------------- DELETE


def test_delete_removes_the_entry(owner):
    created = create(owner)
    kept = create(owner, end_time="18:00")

    response = owner.api.delete(
        schedule_url(owner.team),
        QUERY_STRING=urlencode(
            {"team_member_id": str(owner.member.id), "created_at": created["created_at"]}
        ),
    )

    assert response.status_code == 200
    assert response.json() == {"message": "Schedule deleted."}
    assert list(ScheduleEntry.objects.values_list("id", flat=True)) == [uuid.UUID(kept["id"])]


def test_delete_with_a_percent_encoded_offset(owner):
    created = create(owner)

    query = urlencode(
        {"team_member_id": str(owner.member.id), "created_at": in_offset(created["created_at"])}
    )
    assert "%2B02%3A00" in query
    response = owner.api.delete(f"{schedule_url(owner.team)}?{query}")

    assert response.status_code == 200
    assert ScheduleEntry.objects.count() == 0


def test_delete_with_an_unencoded_plus_in_the_offset_still_works(owner):
    created = create(owner)
    raw = in_offset(created["created_at"])
    assert "+02:00" in raw

    # "+" is not percent-encoded: it arrives as a space.
    response = owner.api.delete(
        f"{schedule_url(owner.team)}?team_member_id={owner.member.id}&created_at={raw}"
    )

    assert response.status_code == 200
    assert ScheduleEntry.objects.count() == 0


def test_delete_of_an_unknown_pair_is_404(owner, teammate):
    created = create(owner)

    response = owner.api.delete(
        schedule_url(owner.team),
        QUERY_STRING=urlencode(
            {"team_member_id": str(teammate.member.id), "created_at": created["created_at"]}
        ),
    )

    assert response.status_code == 404
    assert ScheduleEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({}, {"team_member_id", "created_at"}),
        ({"team_member_id": "MEMBER"}, {"created_at"}),
        ({"created_at": "2024-01-01T00:00:00Z"}, {"team_member_id"}),
        ({"team_member_id": "nope", "created_at": "2024-01-01T00:00:00Z"}, {"team_member_id"}),
        ({"team_member_id": "MEMBER", "created_at": "yesterday"}, {"created_at"}),
    ],
)
def test_delete_with_missing_or_bad_parameters_is_422_naming_them(owner, params, fields):
    create(owner)
    params = {k: str(owner.member.id) if v == "MEMBER" else v for k, v in params.items()}

    response = owner.api.delete(schedule_url(owner.team), QUERY_STRING=urlencode(params))

    assert response.status_code == 422
    assert set(response.json()["errors"]) == fields
    assert ScheduleEntry.objects.count() == 1


def test_an_outsider_cannot_delete_our_entry(owner, outsider):
    created = create(owner)

    response = outsider.api.delete(
        schedule_url(owner.team),
        QUERY_STRING=urlencode(
            {"team_member_id": str(owner.member.id), "created_at": created["created_at"]}
        ),
    )

    assert response.status_code == 404
    assert ScheduleEntry.objects.count() == 1


# --------------------------------------------------------------------------- authentication


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
@pytest.mark.parametrize("header", [None, "Bearer ph_forged"])
def test_without_a_valid_token_is_401(anonymous, owner, method, header):
    if header:
        anonymous.credentials(HTTP_AUTHORIZATION=header)
    path = customer_url(owner.organization) if method == "get" else schedule_url(owner.team)
    created = create(owner)

    response = getattr(anonymous, method)(
        path, body(owner.member, created_at=created["created_at"])
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert ScheduleEntry.objects.count() == 1


def test_a_put_that_would_duplicate_another_entry_of_the_member_is_409(owner):
    first = create(owner, week_days=[1])
    second = create(owner, week_days=[2])
    response = owner.api.put(
        schedule_url(owner.team),
        body(owner.member, created_at=second["created_at"], week_days=[1]),
    )
    assert response.status_code == 409
    assert first["id"] != second["id"]
    response = owner.api.put(
        schedule_url(owner.team),
        body(owner.member, created_at=second["created_at"], week_days=[2]),
    )
    assert response.status_code == 200, "re-saving an entry as it is never conflicts with itself"
