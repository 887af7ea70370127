"""The Django admin as a whole: every model registered and rendering, tenancy, users, tokens."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.models import (
    ApiToken,
    Invitation,
    Organization,
    Team,
    TeamMember,
    User,
    hash_token,
)
from escalation.models import EscalationPolicy, EscalationStep, PagedUser
from incidents.models import IncidentEvent, SavedFilter, TimelineEntry
from incidents.tests.builders import make_incident_action, open_incident
from notifications.models import ChatChannel, ContactMethod, Delivery, NotificationRule
from rulesets.models import DedupState
from rulesets.tests.builders import make_action, make_ruleset
from schedules.models import (
    CalendarFeed,
    CoverRequest,
    ImportedLayer,
    ImportedShift,
    Override,
    ReminderPreference,
    Rotation,
    RotationVersion,
    ScheduleEntry,
    ShiftReminder,
)
from statuspages import services as statuspages
from statuspages.models import (
    ComponentDay,
    ComponentHold,
    Notice,
    NoticeUpdate,
    StatusChange,
    Subscriber,
)
from statuspages.tests.builders import alert_setting, make_component, make_status_page
from webhooks.models import WebhookEvent, WebhookIngestKey
from webhooks.services import create_webhook

pytestmark = pytest.mark.django_db

APPS = (
    "accounts",
    "webhooks",
    "rulesets",
    "incidents",
    "statuspages",
    "schedules",
    "notifications",
    "escalation",
)


def staff_client(user: User) -> Client:
    """``user`` as a staff user (not a superuser) holding every permission of pinghome's apps."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=APPS))
    client = Client()
    client.force_login(user)
    return client


def superuser_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root@pinghome.test", "not-a-secret-1"))
    return client


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def password_url(user: User) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def populate(persona) -> dict:
    """One object of every pinghome model in the persona's organization."""
    org, team, member, user = persona.organization, persona.team, persona.member, persona.user
    webhook = create_webhook(org, name=f"{org.name} alarms")
    event = WebhookEvent.objects.create(
        webhook=webhook, body=b'{"status": "firing"}', headers={"Content-Type": "application/json"}
    )
    page = make_status_page(org, f"{org.name} page")
    component = make_component(page, f"{org.name} API")
    ruleset = make_ruleset(team, name=f"{org.name} rule", webhooks=[webhook])
    action = make_action(ruleset, [alert_setting(component)])
    incident = open_incident(team, user, name=f"{org.name} incident")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    method = ContactMethod.objects.create(
        user=user, type="email", target=f"pager@{org.name.lower()}.test"
    )
    notice = statuspages.post_notice(
        page, by=user, title=f"{org.name} notice", status="investigating", message="Looking."
    )
    return {
        Organization: org,
        User: user,
        Team: team,
        TeamMember: member,
        ApiToken: ApiToken.objects.filter(user=user).first(),
        Invitation: Invitation.objects.create(
            team_member=member, email=user.email, token_hash=f"{org.name}-hash", expires_at=start
        ),
        type(webhook): webhook,
        WebhookEvent: event,
        WebhookIngestKey: webhook.ingest_keys.get(),
        type(ruleset): ruleset,
        type(action): action,
        DedupState: DedupState.objects.create(ruleset=ruleset, dedup_key="host-1"),
        type(incident): incident,
        IncidentEvent: IncidentEvent.objects.create(incident=incident, event=event),
        TimelineEntry: incident.timeline.first(),
        SavedFilter: SavedFilter.objects.create(user=user, name="Mine", query="mine=true"),
        type(make_incident_action(incident)): incident.actions.first(),
        type(page): page,
        type(component): component,
        ComponentHold: ComponentHold.objects.create(
            component=component, incident=incident, status="degraded"
        ),
        StatusChange: StatusChange.objects.create(component=component, status="degraded", at=start),
        ComponentDay: ComponentDay.objects.create(
            component=component, day=start.date(), degraded_seconds=60
        ),
        Notice: notice,
        NoticeUpdate: notice.updates.get(),
        Subscriber: Subscriber.objects.create(status_page=page, email=f"r@{org.name}.test"),
        ScheduleEntry: ScheduleEntry.objects.create(
            team=team, team_member=member, week_days=[1, 2], start_time=time(9), end_time=time(17)
        ),
        Override: Override.objects.create(
            team=team, team_member=member, start=start, end=start + timedelta(hours=8)
        ),
        CalendarFeed: CalendarFeed.objects.create(team=team),
        Rotation: (rotation := Rotation.objects.create(team=team, name=f"{org.name} rotation")),
        RotationVersion: RotationVersion.objects.create(
            rotation=rotation,
            effective_from=start,
            participants=[str(member.pk)],
            shift_length="weekly",
            handoff_date=start.date(),
            handoff_time=time(9),
        ),
        CoverRequest: CoverRequest.objects.create(
            team=team, requester=member, start=start, end=start + timedelta(hours=2)
        ),
        ShiftReminder: ShiftReminder.objects.create(
            team_member=member, kind="before", shift_start=start
        ),
        ReminderPreference: ReminderPreference.objects.create(user=user),
        ImportedLayer: (imported := ImportedLayer.objects.create(team=team, name="PagerDuty")),
        ImportedShift: ImportedShift.objects.create(
            layer=imported, team_member=member, start=start, end=start + timedelta(days=7)
        ),
        ContactMethod: method,
        NotificationRule: NotificationRule.objects.create(
            user=user, urgency="high", contact_method=method
        ),
        ChatChannel: ChatChannel.objects.create(team=team, target="slack://TokenA/TokenB/TokenC"),
        Delivery: Delivery.objects.create(
            key=f"test:{org.pk}",
            organization=org,
            team=team,
            incident=incident,
            user=user,
            method="email",
            target=user.email,
            reason="opened",
        ),
        EscalationPolicy: EscalationPolicy.objects.get(team=team),
        EscalationStep: EscalationStep.objects.get(policy__team=team),
        PagedUser: PagedUser.objects.create(incident=incident, cycle=1, step=1, user=user),
    }


def registrable_models():
    return [model for app in APPS for model in apps.get_app_config(app).get_models()]


def test_every_model_of_pinghome_is_registered():
    missing = [m.__name__ for m in registrable_models() if not admin.site.is_registered(m)]
    assert not missing


def test_every_changelist_and_change_page_renders_for_a_superuser(owner, outsider):
    ours, theirs = populate(owner), populate(outsider)
    client = superuser_client()
    assert set(ours) == set(registrable_models())
    for model, obj in ours.items():
        response = client.get(changelist_url(model))
        assert response.status_code == 200, model
        content = response.content.decode()
        assert change_url(obj) in content, model
        assert change_url(theirs[model]) in content, model
        assert client.get(change_url(obj)).status_code == 200, model


def test_a_staff_user_sees_only_their_own_organization(owner, outsider):
    ours, theirs = populate(owner), populate(outsider)
    client = staff_client(owner.user)
    for model, obj in ours.items():
        response = client.get(changelist_url(model))
        assert response.status_code == 200, model
        content = response.content.decode()
        assert change_url(obj) in content, model
        assert change_url(theirs[model]) not in content, model
        assert client.get(change_url(obj)).status_code == 200, model
        # Another organization's object "does not exist": back to the admin index.
        response = client.get(change_url(theirs[model]))
        assert response.status_code == 302, model
        assert response["Location"] == reverse("admin:index"), model


def test_a_staff_user_without_an_organization_sees_nothing(owner):
    populate(owner)
    loner = User.objects.create_user("loner@nowhere.test", "not-a-secret-1")
    client = staff_client(loner)
    response = client.get(changelist_url(Team))
    assert response.status_code == 200
    assert change_url(owner.team) not in response.content.decode()


def test_a_staff_user_cannot_create_in_another_organization(owner, outsider):
    client = staff_client(owner.user)
    response = client.post(
        reverse("admin:accounts_team_add"),
        {
            "organization": outsider.organization.pk,
            "name": "Trojan",
            "time_zone": "UTC",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "organization" in response.context["adminform"].form.errors
    assert not Team.objects.filter(name="Trojan").exists()


def test_even_a_superuser_cannot_link_two_organizations(owner, outsider):
    client = superuser_client()
    response = client.post(
        reverse("admin:accounts_teammember_add"),
        {"team": owner.team.pk, "user": outsider.user.pk},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["user"] == [
        "Must belong to the same organization."
    ]


def test_a_staff_user_does_not_see_superusers_nor_superuser_fields(owner):
    root = User.objects.create_superuser(
        "root-of-acme@acme.test", "not-a-secret-1", organization=owner.organization
    )
    client = staff_client(owner.user)
    assert change_url(root) not in client.get(changelist_url(User)).content.decode()
    assert client.get(change_url(root)).status_code == 302
    assert client.get(password_url(root)).status_code == 404
    form = client.get(change_url(owner.user)).context["adminform"].form
    assert not {"is_superuser", "groups", "user_permissions"} & set(form.fields)


def test_a_staff_user_cannot_make_themselves_superuser(owner):
    client = staff_client(owner.user)
    response = client.post(
        change_url(owner.user),
        {
            "email": owner.user.email,
            "name": "Owner",
            "organization": owner.organization.pk,
            "role": "admin",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2024-01-01",
            "date_joined_1": "00:00:00",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    owner.user.refresh_from_db()
    assert owner.user.name == "Owner"
    assert not owner.user.is_superuser


def test_a_superuser_adds_a_user_with_a_password_and_a_lower_case_email(owner):
    client = superuser_client()
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Person@Acme.test",
            "name": "New",
            "organization": owner.organization.pk,
            "role": "member",
            "usable_password": "true",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@acme.test")
    assert user.check_password("a long enough passphrase")
    assert user.organization == owner.organization
    assert client.get(password_url(user)).status_code == 200


def test_adding_a_token_shows_the_secret_once_and_stores_only_its_hash(owner):
    client = staff_client(owner.user)
    response = client.post(
        reverse("admin:accounts_apitoken_add"),
        {"user": owner.user.pk, "name": "ci"},
        follow=True,
    )
    assert response.status_code == 200
    [message] = [str(m) for m in response.context["messages"] if "copy it now" in str(m)]
    raw = next(word for word in message.split() if word.startswith(ApiToken.PREFIX))
    token = ApiToken.objects.get(name="ci")
    assert token.token_hash == hash_token(raw)
    # Never shown again: neither the secret nor its hash.
    page = client.get(change_url(token)).content.decode()
    assert raw not in page and token.token_hash not in page
    listing = client.get(changelist_url(ApiToken)).content.decode()
    assert raw not in listing and token.token_hash not in listing


def test_revoking_tokens_sets_revoked_at(owner):
    token = ApiToken.objects.get(user=owner.user)
    client = staff_client(owner.user)
    response = client.post(
        changelist_url(ApiToken),
        {"action": "revoke_selected", "_selected_action": [token.pk]},
        follow=True,
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not ApiToken.objects.usable().filter(pk=token.pk).exists()


def test_only_superusers_add_organizations(owner):
    client = staff_client(owner.user)
    assert client.get(reverse("admin:accounts_organization_add")).status_code == 403
    assert superuser_client().get(reverse("admin:accounts_organization_add")).status_code == 200


def test_the_admin_index_lists_the_apps(owner):
    for client in (superuser_client(), staff_client(owner.user)):
        response = client.get(reverse("admin:index"))
        assert response.status_code == 200
        assert {app["app_label"] for app in response.context["app_list"]} >= set(APPS)


def test_a_team_member_added_inline_must_be_of_the_teams_organization(owner, outsider):
    response = superuser_client().post(
        change_url(owner.team),
        {
            "organization": owner.organization.pk,
            "name": owner.team.name,
            "time_zone": "UTC",
            "members-TOTAL_FORMS": "1",
            "members-INITIAL_FORMS": "0",
            "members-0-team": str(owner.team.pk),
            "members-0-user": str(outsider.user.pk),
        },
    )
    assert response.status_code == 200
    [formset] = response.context["inline_admin_formsets"]
    assert formset.formset.forms[0].errors["user"] == ["Must belong to the same organization."]
    assert not TeamMember.objects.filter(team=owner.team, user=outsider.user).exists()
