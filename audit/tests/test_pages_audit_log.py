"""The Audit log page (organization admins), and changes made in the Django admin."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.models import Team
from audit.models import AuditRecord
from audit.tests.test_api_audit_log import record

pytestmark = pytest.mark.django_db


def signed_in(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def test_the_page_needs_sign_in_and_the_admin_role(client, owner, manager):
    assert client.get("/audit-log")["Location"].startswith("/login")
    assert signed_in(manager).get("/audit-log").status_code == 403
    assert signed_in(owner).get("/audit-log").status_code == 200


def test_the_page_lists_changes_with_their_values(owner):
    owner.api.put(f"/v1/team/{owner.team.id}", {"time_zone": "Europe/Berlin"})

    html = signed_in(owner).get("/audit-log").content.decode()

    assert owner.user.email in html and "with token bootstrap" in html
    assert "Europe/Berlin" in html and "time_zone" in html
    assert '<option value="team">' in html  # the kinds of object, offered to the filter


def test_the_page_filters_and_pages_like_the_api(owner):
    at = datetime(2026, 1, 1, tzinfo=UTC)
    records = [record(owner, created_at=at - timedelta(minutes=n)) for n in range(3)]
    record(owner, object_type="ruleset", created_at=at)
    client = signed_in(owner)

    first = client.get("/audit-log", {"object_type": "team", "limit": "2"})
    assert [r.pk for r in first.context["records"]] == [records[0].pk, records[1].pk]
    older = first.context["older_url"]
    second = client.get("/audit-log" + older)
    assert [r.pk for r in second.context["records"]] == [records[2].pk]
    assert second.context["older_url"] is None


def test_bad_filters_are_shown_not_a_500(owner):
    response = signed_in(owner).get("/audit-log", {"from": "yesterday"})

    assert response.status_code == 200
    assert "from" in response.context["errors"]


def test_changes_made_in_the_django_admin_are_recorded(owner):
    owner.user.is_staff = True
    owner.user.save(update_fields=["is_staff"])
    owner.user.user_permissions.set(Permission.objects.all())
    client = signed_in(owner)
    url = reverse("admin:accounts_team_change", args=[owner.team.pk])

    client.post(
        url,
        {
            "organization": owner.organization.pk,
            "name": "Operations",
            "time_zone": "UTC",
            "members-TOTAL_FORMS": "1",
            "members-INITIAL_FORMS": "1",
            "members-0-id": str(owner.member.pk),
            "members-0-team": str(owner.team.pk),
            "members-0-user": str(owner.user.pk),
            "members-0-role": "responder",
        },
    )
    client.post(
        reverse("admin:accounts_team_add"),
        {
            "organization": owner.organization.pk,
            "name": "Old",
            "time_zone": "UTC",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )
    old = Team.objects.get(name="Old")
    client.post(reverse("admin:accounts_team_delete", args=[old.pk]), {"post": "yes"})

    team = AuditRecord.objects.get(object_type="team", action="updated")
    assert (team.before, team.after, team.actor) == (
        {"name": "Ops"},
        {"name": "Operations"},
        owner.user.email,
    )
    member = AuditRecord.objects.get(object_type="teammember", action="updated")
    assert (member.before, member.after) == ({"role": "manager"}, {"role": "responder"})
    assert AuditRecord.objects.filter(
        object_type="team", action="created", object_repr="Old"
    ).exists()
    assert AuditRecord.objects.filter(
        object_type="team", action="deleted", object_repr="Old"
    ).exists()
