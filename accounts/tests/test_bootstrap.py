"""python manage.py bootstrap --org NAME --team NAME --email EMAIL."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import ApiToken, Organization, Team, TeamMember, User
from audit.models import AuditRecord

pytestmark = pytest.mark.django_db

KEYS = {"organization_id", "team_id", "team_member_id", "user_id", "token"}


def bootstrap(org="Acme", team="Ops", email="owner@acme.test") -> dict:
    out = StringIO()
    call_command("bootstrap", org=org, team=team, email=email, stdout=out)
    text = out.getvalue()
    # Exactly one JSON object, on one line: scripts pipe it into jq.
    assert text.count("\n") == 1 and text.endswith("\n")
    result = json.loads(text)
    assert isinstance(result, dict)
    return result


def api(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_prints_one_json_object_with_the_ids_and_a_token():
    result = bootstrap()

    assert set(result) == KEYS
    organization = Organization.objects.get(name="Acme")
    team = Team.objects.get(name="Ops")
    user = User.objects.get(email="owner@acme.test")
    member = TeamMember.objects.get(team=team, user=user)
    assert result["organization_id"] == str(organization.id)
    assert result["team_id"] == str(team.id)
    assert team.organization == organization
    assert result["user_id"] == str(user.id)
    assert result["team_member_id"] == str(member.id)
    assert result["token"].startswith("ph_")


def test_the_token_works_against_the_api():
    result = bootstrap()

    response = api(result["token"]).get("/v1/teams")

    assert response.status_code == 200
    assert [team["id"] for team in response.json()] == [result["team_id"]]


def test_the_token_is_stored_hashed_only():
    result = bootstrap()

    assert not ApiToken.objects.filter(token_hash=result["token"]).exists()
    assert ApiToken.objects.filter(user_id=result["user_id"]).count() == 1


def test_the_first_user_of_an_organization_is_its_admin():
    first = bootstrap(email="first@acme.test")
    second = bootstrap(email="second@acme.test")

    assert User.objects.get(pk=first["user_id"]).role == User.Role.ADMIN
    assert User.objects.get(pk=second["user_id"]).role == User.Role.MEMBER


def test_the_same_email_again_gives_the_same_ids_and_a_fresh_token():
    first = bootstrap()
    again = bootstrap()

    assert {k: again[k] for k in KEYS - {"token"}} == {k: first[k] for k in KEYS - {"token"}}
    assert again["token"] != first["token"]
    assert (Organization.objects.count(), Team.objects.count(), User.objects.count()) == (1, 1, 1)
    assert TeamMember.objects.count() == 1


def test_earlier_tokens_keep_working_after_a_rerun():
    # Bootstrap issues tokens and never revokes them.
    first = bootstrap()
    again = bootstrap()

    assert api(first["token"]).get("/v1/teams").status_code == 200
    assert api(again["token"]).get("/v1/teams").status_code == 200
    assert ApiToken.objects.usable().filter(user_id=first["user_id"]).count() == 2


def test_the_email_is_matched_case_insensitively():
    first = bootstrap(email="owner@acme.test")
    again = bootstrap(email="Owner@ACME.test")

    assert again["user_id"] == first["user_id"]


def test_another_email_joins_the_same_organization_and_team():
    owner = bootstrap(email="owner@acme.test")
    mate = bootstrap(email="mate@acme.test")

    assert mate["organization_id"] == owner["organization_id"]
    assert mate["team_id"] == owner["team_id"]
    assert mate["team_member_id"] != owner["team_member_id"]
    assert mate["user_id"] != owner["user_id"]
    members = api(owner["token"]).get(f"/v1/team/{owner['team_id']}/members").json()
    assert {m["email"] for m in members} == {"owner@acme.test", "mate@acme.test"}


def test_an_existing_user_can_be_added_to_another_team_of_the_organization():
    ops = bootstrap(team="Ops")
    dev = bootstrap(team="Dev")

    assert dev["user_id"] == ops["user_id"]
    assert dev["organization_id"] == ops["organization_id"]
    assert dev["team_id"] != ops["team_id"]
    assert dev["team_member_id"] != ops["team_member_id"]
    assert TeamMember.objects.filter(user_id=ops["user_id"]).count() == 2


def test_another_organization_is_separate():
    acme = bootstrap(org="Acme", email="owner@acme.test")
    globex = bootstrap(org="Globex", email="admin@globex.test")

    assert globex["organization_id"] != acme["organization_id"]
    assert User.objects.get(pk=globex["user_id"]).role == User.Role.ADMIN
    response = api(globex["token"]).get(f"/v1/team/{acme['team_id']}/members")
    assert response.status_code == 404


def test_an_email_of_another_organization_is_refused():
    bootstrap(org="Acme", email="owner@acme.test")

    with pytest.raises(CommandError, match="another organization"):
        bootstrap(org="Globex", email="owner@acme.test")

    assert not Organization.objects.filter(name="Globex").exists()


@pytest.mark.parametrize(
    ("org", "team", "email"),
    [
        ("", "Ops", "owner@acme.test"),
        ("  ", "Ops", "owner@acme.test"),
        ("Acme", "", "owner@acme.test"),
        ("Acme", "Ops", "not-an-email"),
        ("Acme", "Ops", ""),
    ],
)
def test_bad_arguments_are_a_command_error_that_creates_nothing(org, team, email):
    with pytest.raises(CommandError):
        call_command("bootstrap", org=org, team=team, email=email, stdout=StringIO())

    assert Organization.objects.count() == 0
    assert User.objects.count() == 0


def test_names_are_trimmed():
    result = bootstrap(org="  Acme ", team=" Ops  ")

    assert Organization.objects.get(pk=result["organization_id"]).name == "Acme"
    assert Team.objects.get(pk=result["team_id"]).name == "Ops"
    assert bootstrap(org="Acme", team="Ops")["team_id"] == result["team_id"]


def test_all_three_options_are_required():
    with pytest.raises(CommandError):
        call_command("bootstrap", "--org", "Acme", "--team", "Ops", stdout=StringIO())


def test_replace_token_revokes_the_earlier_tokens_of_that_name_only():
    kept = bootstrap()  # named "bootstrap"
    out = StringIO()
    for _ in range(2):
        call_command(
            "bootstrap",
            "--org=Acme",
            "--team=Ops",
            "--email=owner@acme.test",
            "--token-name=demo",
            "--replace-token",
            stdout=out,
        )
    first, second = (json.loads(line) for line in out.getvalue().splitlines())

    assert api(first["token"]).get("/v1/teams").status_code == 401
    assert api(second["token"]).get("/v1/teams").status_code == 200
    assert api(kept["token"]).get("/v1/teams").status_code == 200
    assert ApiToken.objects.filter(name="demo", revoked_at__isnull=True).count() == 1
    record = AuditRecord.objects.get(object_type="apitoken", action="updated")
    assert (record.actor, str(record.organization_id)) == ("system", first["organization_id"])
