"""Cover requests through the API: ask for (part of) one's shift, a teammate takes it."""

from datetime import UTC, datetime, timedelta

import pytest

from audit.models import AuditRecord
from schedules.models import CoverRequest, Override, ScheduleEntry

pytestmark = pytest.mark.django_db


def hour(n: int) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=n)).replace(minute=0, second=0, microsecond=0)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def always_owner(owner):
    """The owner is on call all the time by an entry."""
    ScheduleEntry.objects.create(
        team=owner.team,
        team_member=owner.member,
        week_days=list(range(7)),
        start_time="00:00",
        end_time="00:00",
    )
    return owner


def ask(persona, start, end):
    return persona.api.post(
        f"/v1/team/{persona.team.id}/cover-request",
        {"start": iso(start), "end": iso(end)},
        format="json",
    )


def oncall(persona, at):
    response = persona.api.get(f"/v1/team/{persona.team.id}/oncall", {"at": iso(at)})
    return response.json()["team_member_ids"]


def test_a_teammate_takes_a_cover_request_and_is_on_call_for_it(
    always_owner, teammate, manager, mailoutbox, django_capture_on_commit_callbacks
):
    owner = always_owner
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(owner, hour(2), hour(5))
    assert response.status_code == 201, response.json()
    cover_id = response.json()["id"]
    told = sorted(m.to[0] for m in mailoutbox)
    assert told == ["lead@acme.test", "mate@acme.test"]
    assert "owner@acme.test asks for cover" in mailoutbox[0].subject

    listed = teammate.api.get(f"/v1/team/{owner.team.id}/cover-requests").json()
    assert [(c["id"], c["status"]) for c in listed] == [(cover_id, "open")]

    with django_capture_on_commit_callbacks(execute=True):
        response = teammate.api.post(f"/v1/cover-request/{cover_id}/take")
    assert response.status_code == 200, response.json()
    override = Override.objects.get(pk=response.json()["override_id"])
    assert override.team_member == teammate.member
    assert override.replaces_team_member == owner.member
    assert oncall(owner, hour(3)) == [str(teammate.member.id)]
    assert oncall(owner, hour(6)) == [str(owner.member.id)]
    assert mailoutbox[-1].to == ["owner@acme.test"]
    cover = CoverRequest.objects.get(pk=cover_id)
    assert (cover.requester, cover.taken_by, cover.override) == (
        owner.member,
        teammate.member,
        override,
    )
    shifts = owner.api.get(
        f"/v1/team/{owner.team.id}/shifts", {"from": iso(hour(2)), "to": iso(hour(5))}
    ).json()["shifts"]
    assert [(s["team_member_id"], s["source"]) for s in shifts] == [
        (str(teammate.member.id), "override")
    ]
    assert AuditRecord.objects.filter(object_id=cover_id).count() == 2


def test_a_request_taken_already_is_409_for_the_next_teammate(always_owner, teammate, manager):
    cover_id = ask(always_owner, hour(2), hour(5)).json()["id"]
    assert teammate.api.post(f"/v1/cover-request/{cover_id}/take").status_code == 200
    response = manager.api.post(f"/v1/cover-request/{cover_id}/take")
    assert response.status_code == 409
    assert Override.objects.count() == 1


def test_no_one_covers_their_own_request(always_owner):
    cover_id = ask(always_owner, hour(2), hour(5)).json()["id"]
    response = always_owner.api.post(f"/v1/cover-request/{cover_id}/take")
    assert response.status_code == 422
    assert "taken_by" in response.json()["errors"]


def test_asking_for_cover_when_not_on_call_is_422(always_owner, teammate):
    response = ask(teammate, hour(2), hour(5))
    assert response.status_code == 422
    assert "start" in response.json()["errors"]


@pytest.mark.parametrize(
    ("start", "end", "field"), [(5, 2, "end"), (-5, -2, "end"), (1, 24 * 40, "end")]
)
def test_bad_periods_are_422(always_owner, start, end, field):
    response = ask(always_owner, hour(start), hour(end))
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_the_requester_withdraws_an_open_request_and_then_none_can_take_it(always_owner, teammate):
    cover_id = ask(always_owner, hour(2), hour(5)).json()["id"]
    assert teammate.api.delete(f"/v1/cover-request/{cover_id}").status_code == 403
    assert always_owner.api.delete(f"/v1/cover-request/{cover_id}").status_code == 200
    assert teammate.api.post(f"/v1/cover-request/{cover_id}/take").status_code == 409
    assert always_owner.api.delete(f"/v1/cover-request/{cover_id}").status_code == 409


def test_outsiders_see_nothing(always_owner, outsider):
    cover_id = ask(always_owner, hour(2), hour(5)).json()["id"]
    assert outsider.api.post(f"/v1/cover-request/{cover_id}/take").status_code == 404
    assert outsider.api.delete(f"/v1/cover-request/{cover_id}").status_code == 404
    assert outsider.api.get(f"/v1/cover-request/{cover_id}").status_code == 404
    response = outsider.api.post(
        f"/v1/team/{always_owner.team.id}/cover-request",
        {"start": iso(hour(2)), "end": iso(hour(5))},
        format="json",
    )
    assert response.status_code == 404


def test_a_bad_token_is_401(anonymous, always_owner):
    assert anonymous.post(f"/v1/team/{always_owner.team.id}/cover-request").status_code == 401
