"""Who is on call, rendered shifts, overrides and calendar feeds, through the API."""

import pytest
from django.test import Client
from icalendar import Calendar

from pinghome.testing import make_persona

pytestmark = pytest.mark.django_db


def add_entry(persona, member, **fields):
    body = {"team_member_id": str(member.id), "week_days": [0, 1, 2, 3, 4, 5, 6], **fields}
    response = persona.api.post(f"/v1/team/{persona.team.id}/schedule", body)
    assert response.status_code == 201, response.json()


@pytest.fixture
def rota(owner, teammate):
    """Owner 09:00-17:00 Berlin weekdays; teammate 17:00-09:00 Berlin every day (overnight)."""
    owner.api.put  # noqa: B018 - personas share the team
    add_entry(
        owner,
        owner.member,
        week_days=[1, 2, 3, 4, 5],
        start_time="09:00",
        end_time="16:59:59",
        time_zone="Europe/Berlin",
    )
    add_entry(
        owner, teammate.member, start_time="17:00", end_time="08:59:59", time_zone="Europe/Berlin"
    )
    return owner, teammate


def oncall(persona, at):
    response = persona.api.get(f"/v1/team/{persona.team.id}/oncall", {"at": at})
    assert response.status_code == 200, response.json()
    return response.json()["team_member_ids"]


def test_on_call_follows_the_entries_in_their_time_zone(rota):
    owner, teammate = rota
    # Monday 2025-01-06: 08:00 UTC is 09:00 in Berlin (winter, UTC+1).
    assert oncall(owner, "2025-01-06T08:00:00Z") == [str(owner.member.id)]
    assert oncall(owner, "2025-01-06T07:59:59Z") == [str(teammate.member.id)]
    assert oncall(owner, "2025-01-06T16:00:00Z") == [str(teammate.member.id)]
    # Saturday daytime: nobody in the day entry, the overnight one ended at 09:00.
    assert oncall(owner, "2025-01-11T12:00:00Z") == []


def test_on_call_answers_at_and_sorted_ids(rota):
    owner, _ = rota
    response = owner.api.get(f"/v1/team/{owner.team.id}/oncall", {"at": "2025-07-07T06:59:59Z"})
    assert response.json() == {
        "at": "2025-07-07T06:59:59Z",
        "team_member_ids": [str(rota[1].member.id)],
    }


@pytest.mark.parametrize("at", ["yesterday", "2025-13-01T00:00:00Z", ""])
def test_a_bad_instant_is_422_naming_at(owner, at):
    response = owner.api.get(f"/v1/team/{owner.team.id}/oncall", {"at": at})
    assert response.status_code == 422
    assert "at" in response.json()["errors"]


def test_shifts_merge_and_list_gaps(rota):
    owner, teammate = rota
    response = owner.api.get(
        f"/v1/team/{owner.team.id}/shifts",
        {"from": "2025-01-10T00:00:00Z", "to": "2025-01-12T00:00:00Z"},
    )
    assert response.status_code == 200
    data = response.json()
    assert data["shifts"] == [
        {
            "team_member_id": str(teammate.member.id),
            "start": "2025-01-10T00:00:00Z",
            "end": "2025-01-10T08:00:00Z",
            "source": "entry",
        },
        {
            "team_member_id": str(owner.member.id),
            "start": "2025-01-10T08:00:00Z",
            "end": "2025-01-10T16:00:00Z",
            "source": "entry",
        },
        {
            "team_member_id": str(teammate.member.id),
            "start": "2025-01-10T16:00:00Z",
            "end": "2025-01-11T08:00:00Z",
            "source": "entry",
        },
        {
            "team_member_id": str(teammate.member.id),
            "start": "2025-01-11T16:00:00Z",
            "end": "2025-01-12T00:00:00Z",
            "source": "entry",
        },
    ]
    assert data["gaps"] == [{"start": "2025-01-11T08:00:00Z", "end": "2025-01-11T16:00:00Z"}]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2025-01-10T00:00:00Z", "to": "2025-04-11T00:00:00Z"}, "to"),
        ({"from": "2025-01-10T00:00:00Z", "to": "2025-01-09T00:00:00Z"}, "to"),
        ({"from": "nope"}, "from"),
    ],
)
def test_shifts_reject_bad_periods(owner, query, field):
    response = owner.api.get(f"/v1/team/{owner.team.id}/shifts", query)
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_an_override_replacing_a_member_takes_their_shift_only(rota):
    owner, teammate = rota
    helper = make_persona("Acme", "Ops", "helper@acme.test")
    response = owner.api.post(
        f"/v1/team/{owner.team.id}/override",
        {
            "team_member_id": str(helper.member.id),
            "replaces_team_member_id": str(owner.member.id),
            "start": "2025-01-06T00:00:00Z",
            "end": "2025-01-07T00:00:00Z",
        },
    )
    assert response.status_code == 201
    assert oncall(owner, "2025-01-06T10:00:00Z") == [str(helper.member.id)]
    assert oncall(owner, "2025-01-06T20:00:00Z") == [str(teammate.member.id)]
    assert oncall(owner, "2025-01-07T10:00:00Z") == [str(owner.member.id)]

    [listed] = owner.api.get(f"/v1/team/{owner.team.id}/overrides").json()
    assert listed["id"] == response.json()["id"]
    assert owner.api.delete(f"/v1/override/{listed['id']}").status_code == 200
    assert oncall(owner, "2025-01-06T10:00:00Z") == [str(owner.member.id)]


def test_an_override_without_replaces_takes_over_from_everyone(rota):
    owner, teammate = rota
    owner.api.post(
        f"/v1/team/{owner.team.id}/override",
        {
            "team_member_id": str(owner.member.id),
            "start": "2025-01-11T00:00:00Z",
            "end": "2025-01-12T00:00:00Z",
        },
    )
    assert oncall(owner, "2025-01-11T03:00:00Z") == [str(owner.member.id)]
    assert oncall(owner, "2025-01-11T12:00:00Z") == [str(owner.member.id)]


def test_override_validation_names_fields(owner, outsider):
    response = owner.api.post(
        f"/v1/team/{owner.team.id}/override",
        {
            "team_member_id": str(outsider.member.id),
            "start": "2025-01-02T00:00:00Z",
            "end": "2025-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"team_member_id", "end"}


def test_outsiders_see_none_of_it(owner, outsider):
    team = owner.team.id
    assert outsider.api.get(f"/v1/team/{team}/oncall").status_code == 404
    assert outsider.api.get(f"/v1/team/{team}/shifts").status_code == 404
    assert outsider.api.get(f"/v1/team/{team}/overrides").status_code == 404
    override = owner.api.post(
        f"/v1/team/{team}/override",
        {
            "team_member_id": str(owner.member.id),
            "start": "2025-01-01T00:00:00Z",
            "end": "2025-01-02T00:00:00Z",
        },
    ).json()["id"]
    assert outsider.api.delete(f"/v1/override/{override}").status_code == 404
    assert outsider.api.post(f"/v1/team/{team}/calendar-feed", {}).status_code == 404


def test_a_calendar_feed_serves_shifts_without_a_token_until_revoked(rota, settings):
    owner, teammate = rota
    response = owner.api.post(
        f"/v1/team/{owner.team.id}/calendar-feed", {"team_member_id": str(teammate.member.id)}
    )
    assert response.status_code == 201
    url = response.json()["url"]
    path = url.removeprefix(settings.SITE_URL)

    feed = Client().get(path)
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(feed.content).walk("VEVENT")]
    assert events, "the overnight entry yields shifts every day"
    assert all("mate@acme.test" in str(e["SUMMARY"]) for e in events)

    assert owner.api.delete(f"/v1/calendar-feed/{response.json()['id']}").status_code == 200
    assert Client().get(path).status_code == 404


def test_an_unknown_feed_is_404(client):
    assert client.get("/v1/calendar/not-a-secret.ics").status_code == 404


@pytest.mark.parametrize("limit", ["%C2%B2", "%EF%BC%91", "0", "501", "9" * 5000, "-1", "1.0"])
def test_an_overrides_limit_that_is_not_an_integer_from_1_to_500_is_422(owner, limit):
    response = owner.api.get(f"/v1/team/{owner.team.id}/overrides?limit={limit}")
    assert response.status_code == 422, response.content
    assert "limit" in response.json()["errors"]


@pytest.fixture
def around_the_world(owner):
    """Entries far east and far west of UTC, and an overnight one: the largest local offsets."""
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12"):
        add_entry(owner, owner.member, start_time="22:00", end_time="06:00", time_zone=zone)
    return owner


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("shifts", "from=9999-12-30T00:00:00Z&to=9999-12-30T01:00:00Z", "from"),
        ("shifts", "from=0001-01-01T00:00:00Z&to=0001-01-05T00:00:00Z", "from"),
        ("shifts", "from=2025-01-01T00:00:00Z&to=9999-12-31T23:59:59Z", "to"),
        ("oncall", "at=9999-12-31T23:59:59Z", "at"),
        ("oncall", "at=0001-01-01T00:00:00Z", "at"),
    ],
)
def test_instants_at_the_edges_of_the_calendar_are_422_naming_the_field(
    around_the_world, path, query, field
):
    response = around_the_world.api.get(f"/v1/team/{around_the_world.team.id}/{path}?{query}")
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    ("query", "end"),
    [
        ("from=0002-01-01T00:00:00Z&to=0002-01-05T00:00:00Z", "0002-01-05T00:00:00Z"),
        ("from=9998-12-30T00:00:00Z&to=9998-12-31T23:59:59Z", "9998-12-31T23:59:59Z"),
        ("from=9998-12-30T00:00:00Z", "9998-12-31T23:59:59Z"),
    ],
)
def test_shifts_are_rendered_up_to_the_edges_of_the_supported_years(around_the_world, query, end):
    response = around_the_world.api.get(f"/v1/team/{around_the_world.team.id}/shifts?{query}")
    assert response.status_code == 200, response.content
    assert response.json()["end"] == end
    assert response.json()["shifts"]


def test_overrides_at_the_edges_of_the_calendar_leave_on_call_answering(around_the_world):
    owner = around_the_world
    for start, end in [
        ("0001-01-01T00:00:00Z", "0002-01-02T00:00:00Z"),
        ("9998-12-31T00:00:00Z", "9999-12-31T23:59:59Z"),
    ]:
        response = owner.api.post(
            f"/v1/team/{owner.team.id}/override",
            {"team_member_id": str(owner.member.id), "start": start, "end": end},
        )
        assert response.status_code == 201, response.content
    for at in ("0002-01-01T00:00:00Z", "9998-12-31T12:00:00Z"):
        assert oncall(owner, at) == [str(owner.member.id)]
