"""PUT /v1/team/{id}: time zone, re-notify delay and fallback team (extension)."""

import pytest

from pinghome.testing import make_persona

pytestmark = pytest.mark.django_db


def test_an_admin_sets_escalation_and_reads_it_back(owner):
    fallback = make_persona("Acme", "DBA", "dba@acme.test")
    response = owner.api.put(
        f"/v1/team/{owner.team.id}",
        {
            "time_zone": "Europe/Berlin",
            "renotify_after_minutes": 15,
            "fallback_team_id": str(fallback.team.id),
        },
    )
    assert response.status_code == 200
    team = owner.api.get(f"/v1/team/{owner.team.id}").json()
    assert (team["time_zone"], team["renotify_after_minutes"], team["fallback_team_id"]) == (
        "Europe/Berlin",
        15,
        str(fallback.team.id),
    )


def test_omitted_fields_keep_their_value_and_null_clears(owner):
    owner.api.put(f"/v1/team/{owner.team.id}", {"renotify_after_minutes": 15})
    owner.api.put(f"/v1/team/{owner.team.id}", {"time_zone": "Asia/Kolkata"})
    assert owner.api.get(f"/v1/team/{owner.team.id}").json()["renotify_after_minutes"] == 15
    owner.api.put(f"/v1/team/{owner.team.id}", {"renotify_after_minutes": None})
    assert owner.api.get(f"/v1/team/{owner.team.id}").json()["renotify_after_minutes"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Mars/Base"}, "time_zone"),
        ({"time_zone": 5}, "time_zone"),
        ({"renotify_after_minutes": 0}, "renotify_after_minutes"),
        ({"renotify_after_minutes": "ten"}, "renotify_after_minutes"),
        ({"fallback_team_id": "nope"}, "fallback_team_id"),
    ],
)
def test_bad_settings_are_422_naming_the_field(owner, body, field):
    response = owner.api.put(f"/v1/team/{owner.team.id}", body)
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_a_team_cannot_fall_back_to_itself_or_another_orgs_team(owner, outsider):
    for team_id in (owner.team.id, outsider.team.id):
        response = owner.api.put(f"/v1/team/{owner.team.id}", {"fallback_team_id": str(team_id)})
        assert response.status_code == 422
        assert "fallback_team_id" in response.json()["errors"]


def test_plain_members_cannot_change_team_settings(owner, teammate):
    response = teammate.api.put(f"/v1/team/{owner.team.id}", {"renotify_after_minutes": 5})
    assert response.status_code == 403


def test_outsiders_get_404(owner, outsider, anonymous):
    assert outsider.api.get(f"/v1/team/{owner.team.id}").status_code == 404
    assert outsider.api.put(f"/v1/team/{owner.team.id}", {}).status_code == 404
    assert anonymous.get(f"/v1/team/{owner.team.id}").status_code == 401
