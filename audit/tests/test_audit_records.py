"""Changes of configuration leave an append-only audit record: who, when, what, before, after."""

import pytest

from accounts.models import ApiToken
from audit.models import AppendOnly, AuditRecord
from pinghome.testing import make_persona
from rulesets.tests.builders import ruleset_body


def only_record(**filters) -> AuditRecord:
    records = AuditRecord.objects.filter(**filters)
    assert records.count() == 1, list(records)
    return records.get()


def test_creating_a_ruleset_records_who_with_which_token_and_the_values(owner):
    response = owner.api.post("/v1/ruleset", ruleset_body(owner.team, name="Disk full"))
    assert response.status_code == 201

    record = only_record(object_type="ruleset", action="created")
    token = ApiToken.objects.get(user=owner.user)
    assert record.organization_id == owner.organization.id
    assert record.object_id == response.json()["id"]
    assert (record.actor_id, record.actor) == (owner.user.id, owner.user.email)
    assert (record.token_id, record.token_name) == (token.id, "bootstrap")
    assert record.before is None
    assert record.after["name"] == "Disk full"
    assert record.after["webhook_ids"] == []


def test_updating_a_ruleset_records_only_what_changed(owner):
    ruleset_id = owner.api.post("/v1/ruleset", ruleset_body(owner.team, name="Old")).json()["id"]

    body = ruleset_body(owner.team, name="New")
    assert owner.api.put(f"/v1/ruleset/{ruleset_id}", body).status_code == 200

    record = only_record(object_type="ruleset", action="updated")
    assert record.before == {"name": "Old"}
    assert record.after == {"name": "New"}


def test_an_update_that_changes_nothing_records_nothing(owner):
    ruleset_id = owner.api.post("/v1/ruleset", ruleset_body(owner.team)).json()["id"]

    assert owner.api.put(f"/v1/ruleset/{ruleset_id}", ruleset_body(owner.team)).status_code == 200

    assert not AuditRecord.objects.filter(action="updated").exists()


def test_replacing_actions_and_deleting_a_ruleset_are_recorded(owner):
    ruleset_id = owner.api.post("/v1/ruleset", ruleset_body(owner.team)).json()["id"]
    page = owner.api.post("/v1/status-page", {"name": "Public"}).json()["id"]
    component = owner.api.post(f"/v1/status-page/{page}/component", {"name": "API"}).json()["id"]
    actions = [
        {
            "type": "trigger-alerts",
            "settings": [{"status_page_id": page, "component_id": component}],
        }
    ]
    assert (
        owner.api.put(f"/v1/ruleset/{ruleset_id}/actions", {"actions": actions}).status_code == 200
    )
    assert owner.api.delete(f"/v1/ruleset/{ruleset_id}").status_code == 200

    update = only_record(object_type="ruleset", action="updated")
    assert update.before == {"actions": []}
    assert update.after["actions"][0]["type"] == "trigger-alerts"
    deletion = only_record(object_type="ruleset", action="deleted")
    assert deletion.before["id"] == ruleset_id
    assert deletion.after is None


def test_a_refused_change_records_nothing(owner, teammate):
    response = teammate.api.post("/v1/ruleset", ruleset_body(teammate.team))
    assert response.status_code == 403
    assert not AuditRecord.objects.exists()


def test_team_settings_and_schedule_changes_are_recorded_in_the_teams_organization(owner):
    assert (
        owner.api.put(f"/v1/team/{owner.team.id}", {"time_zone": "Europe/Berlin"}).status_code
        == 200
    )
    entry = {
        "team_member_id": str(owner.member.id),
        "week_days": [1],
        "start_time": "09:00:00",
        "end_time": "17:00:00",
    }
    assert owner.api.post(f"/v1/team/{owner.team.id}/schedule", entry).status_code == 201

    team = only_record(object_type="team")
    assert (team.before, team.after) == ({"time_zone": "UTC"}, {"time_zone": "Europe/Berlin"})
    schedule = only_record(object_type="scheduleentry", action="created")
    assert schedule.organization_id == owner.organization.id
    assert schedule.after["week_days"] == [1]


def test_records_cannot_be_changed_or_deleted(owner):
    owner.api.post("/v1/ruleset", ruleset_body(owner.team))
    record = AuditRecord.objects.get()

    record.actor = "someone else"
    with pytest.raises(AppendOnly):
        record.save()
    with pytest.raises(AppendOnly):
        record.delete()
    with pytest.raises(AppendOnly):
        AuditRecord.objects.update(actor="someone else")
    with pytest.raises(AppendOnly):
        AuditRecord.objects.all().delete()
    assert AuditRecord.objects.get().actor == owner.user.email


def test_the_admin_shows_records_but_offers_no_way_to_edit_or_delete_them(owner, client):
    owner.api.post("/v1/ruleset", ruleset_body(owner.team))
    record = AuditRecord.objects.get()
    owner.user.is_staff = True
    owner.user.save(update_fields=["is_staff"])
    from django.contrib.auth.models import Permission

    owner.user.user_permissions.add(Permission.objects.get(codename="view_auditrecord"))
    client.force_login(owner.user)

    assert client.get("/admin/audit/auditrecord/").status_code == 200
    page = client.get(f"/admin/audit/auditrecord/{record.id}/change/")
    assert page.status_code == 200
    assert b"Save" not in page.content
    assert client.post(f"/admin/audit/auditrecord/{record.id}/delete/").status_code == 403
    assert AuditRecord.objects.filter(pk=record.id).exists()


def test_another_organizations_admin_sees_none_of_the_records_in_the_admin(owner, client):
    owner.api.post("/v1/ruleset", ruleset_body(owner.team))
    outsider = make_persona("Globex", "Ops", "admin@globex.test")
    outsider.user.is_staff = True
    outsider.user.save(update_fields=["is_staff"])
    from django.contrib.auth.models import Permission

    outsider.user.user_permissions.add(Permission.objects.get(codename="view_auditrecord"))
    client.force_login(outsider.user)

    page = client.get("/admin/audit/auditrecord/")
    assert page.status_code == 200
    assert b"0 audit records" in page.content
