import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts import lockout
from accounts.models import ApiToken, Invitation, Organization, Team, TeamMember, User, hash_token
from accounts.permissions import (
    ensure_org_admin,
    ensure_team_manager,
    grantable_scopes,
)
from audit import services as audit
from audit.models import AuditAction
from pinghome.api import Conflict

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bootstrapped:
    organization: Organization
    team: Team
    team_member: TeamMember
    user: User
    token: str


@transaction.atomic
def bootstrap(
    *,
    org_name: str,
    team_name: str,
    email: str,
    password: str | None = None,
    token_name: str = "bootstrap",
    replace_token: bool = False,
) -> Bootstrapped:
    """Idempotent first set-up: organization, team, user and membership by name, plus a fresh token.

    The first user of an organization is its admin; later ones are members. Whoever bootstrap
    puts in a team manages it. ``replace_token``: the user's earlier tokens of the same name are
    revoked (``scripts/run`` keeps one demo token, not one per run).
    """
    organization, _ = Organization.objects.get_or_create(name=org_name)
    team, _ = Team.objects.get_or_create(organization=organization, name=team_name)
    email = User.objects.normalize_email(email)
    user = User.objects.with_email(email).first()
    if user is None:
        first = not organization.users.exists()
        user = User.objects.create_user(
            email,
            organization=organization,
            role=User.Role.ADMIN if first else User.Role.MEMBER,
        )
    elif user.organization_id != organization.id:
        raise ValueError(f"{email} already belongs to another organization")
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
    member, _ = TeamMember.objects.get_or_create(
        team=team, user=user, defaults={"role": TeamMember.Role.MANAGER}
    )
    token, raw = ApiToken.issue(user, name=token_name)
    if replace_token:
        earlier = ApiToken.objects.filter(user=user, name=token_name, revoked_at__isnull=True)
        for old in earlier.exclude(pk=token.pk):
            revoke_token(old, by=None)
    return Bootstrapped(organization, team, member, user, raw)


# --------------------------------------------------------------------------- teams


def _ensure_free_name(organization_id, name: str, *, other_than: Team | None = None) -> None:
    taken = Team.objects.filter(organization_id=organization_id, name__iexact=name)
    if other_than is not None:
        taken = taken.exclude(pk=other_than.pk)
    if taken.exists():
        raise ValidationError({"name": ["a team of your organization already has this name"]})


@transaction.atomic
def create_team(organization: Organization, *, by: User, name: str, time_zone: str = "UTC") -> Team:
    """Organization admins only."""
    ensure_org_admin(by)
    _ensure_free_name(organization.pk, name)
    team = Team.objects.create(organization=organization, name=name, time_zone=time_zone)
    audit.record(by, AuditAction.CREATED, team, after=audit.snapshot(team))
    return team


@transaction.atomic
def update_team_settings(team: Team, *, by: User, **changes) -> Team:
    """Name, time zone and default escalation policy (``escalation_policy_id``: a policy of the
    team); the team's managers and organization admins."""
    from escalation.services import make_default

    ensure_team_manager(by, team)
    policy = changes.pop("escalation_policy_id", None)
    if "name" in changes:
        _ensure_free_name(team.organization_id, changes["name"], other_than=team)
    with audit.recorded(by, team):
        for field, value in changes.items():
            setattr(team, field, value)
        team.save(update_fields=list(changes) or None)
    if policy is not None:
        make_default(policy, by=by)
    return team


# What still needs a team, by kind ("incidents", "rulesets"...): labels of the objects, none when
# nothing does. Apps append theirs in their AppConfig.ready (incidents, rulesets; escalation
# policies when they land), so that accounts imports none of them.
TeamBlocker = Callable[[Team], tuple[str, list[str]]]
team_deletion_blockers: list[TeamBlocker] = []
BLOCKERS_NAMED = 20


def blocks_team_deletion(blocker: TeamBlocker) -> TeamBlocker:
    """Register ``blocker``: ``(kind, labels)`` of what of its app still needs the team."""
    team_deletion_blockers.append(blocker)
    return blocker


def named(queryset: QuerySet, label: Callable[[Any], str]) -> list[str]:
    """Labels of the first ``BLOCKERS_NAMED`` objects, then how many more."""
    objects = list(queryset[: BLOCKERS_NAMED + 1])
    labels = [label(obj) for obj in objects[:BLOCKERS_NAMED]]
    if len(objects) > BLOCKERS_NAMED:
        labels.append(f"and {queryset.count() - BLOCKERS_NAMED} more")
    return labels


@transaction.atomic
def delete_team(team: Team, *, by: User) -> None:
    """Organization admins only; refused while open incidents, rulesets (and what other apps
    register) need it. Its schedule, members and resolved incidents go with it."""
    ensure_org_admin(by)
    team = Team.objects.select_for_update().get(pk=team.pk)
    blockers = {}
    for blocker in team_deletion_blockers:
        kind, labels = blocker(team)
        if labels:
            blockers[kind] = labels
    if blockers:
        raise Conflict(
            f"Team {team.name} is still in use: resolve, move or delete what needs it first.",
            errors=blockers,
        )
    audit.record(by, AuditAction.DELETED, team, before=audit.snapshot(team))
    team.delete()


# --------------------------------------------------------------------------- members

MEMBER_AUDITED = ("team_id", "user_id", "role")


def _member_state(member: TeamMember) -> dict[str, Any]:
    return {**audit.snapshot(member, MEMBER_AUDITED), "email": member.user.email}


def _in_team(member: TeamMember) -> dict[str, Any]:
    return {"organization_id": member.team.organization_id}


def pending(user: User) -> bool:
    """Invited and not yet accepted: inactive, without a password."""
    return not user.is_active and not user.has_usable_password()


@transaction.atomic
def add_member(team: Team, *, by: User, email: str, role: str = TeamMember.Role.RESPONDER):
    """Add a user of the organization at once, or invite a new person (an e-mailed link to set
    their name and password; their membership exists from now on). Returns the TeamMember.

    The team's managers and organization admins.
    """
    ensure_team_manager(by, team)
    email = User.objects.normalize_email(email)
    user = User.objects.with_email(email).select_for_update().first()
    if user is not None and user.organization_id not in (None, team.organization_id):
        raise ValidationError({"email": ["this address belongs to another organization"]})
    if user is not None and not user.is_active and user.has_usable_password():
        raise ValidationError({"email": ["this user is deactivated; an admin can reactivate them"]})
    if user is None:
        user = User.objects.create_user(
            email, organization=team.organization, role=User.Role.MEMBER, is_active=False
        )
    elif user.organization_id is None:  # e.g. made by createsuperuser: joins the organization
        user.organization = team.organization
        user.save(update_fields=["organization"])
    if TeamMember.objects.filter(team=team, user=user).exists():
        raise Conflict(f"{email} is already a member of {team.name}.")
    member = TeamMember.objects.create(team=team, user=user, role=role)
    audit.record(by, AuditAction.CREATED, member, after=_member_state(member), **_in_team(member))
    if pending(user):
        _invite(member, by=by)
    return member


@transaction.atomic
def change_member_role(member: TeamMember, *, by: User, role: str) -> TeamMember:
    ensure_team_manager(by, member.team)
    with audit.recorded(by, member, fields=["role"], **_in_team(member)):
        member.role = role
        member.save(update_fields=["role"])
    return member


@transaction.atomic
def remove_member(member: TeamMember, *, by: User) -> None:
    """Their schedule entries, overrides and calendar feeds of the team go with them (their
    future shifts become the schedule's gaps), so does a pending invitation. A person invited
    and never signed in who is in no other team is removed altogether."""
    ensure_team_manager(by, member.team)
    user = member.user
    before = {
        **_member_state(member),
        "schedule_entries": member.schedule_entries.count(),
        "overrides": member.overrides.count(),
    }
    audit.record(by, AuditAction.DELETED, member, before=before, **_in_team(member))
    member.delete()
    if pending(user) and not user.memberships.exists():
        user.delete()


# --------------------------------------------------------------------------- invitations

INVITATION_AUDITED = ("team_member_id", "email", "sent_at", "expires_at", "accepted_at")


def _invitation_audit(invitation: Invitation) -> dict[str, Any]:
    return {"organization_id": invitation.team_member.team.organization_id}


def _invite(member: TeamMember, *, by: User) -> Invitation:
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation.objects.create(
        team_member=member,
        email=member.user.email,
        invited_by=by,
        token_hash=hash_token(raw),
        created_at=now,
        sent_at=now,
        expires_at=now + Invitation.VALID_FOR,
    )
    audit.record(
        by,
        AuditAction.CREATED,
        invitation,
        after=audit.snapshot(invitation, INVITATION_AUDITED),
        **_invitation_audit(invitation),
    )
    _mail_on_commit(invitation, raw)
    return invitation


def invitation_url(raw: str) -> str:
    return settings.SITE_URL + reverse("invitation-accept", args=[raw])


def _mail_on_commit(invitation: Invitation, raw: str) -> None:
    # Sent from this process after commit, not by a task: the link's secret never goes to the
    # broker. A failure is logged; the team page offers to resend.
    transaction.on_commit(partial(_mail_invitation, invitation.pk, raw))


def _mail_invitation(invitation_id, raw: str) -> None:
    invitation = (
        Invitation.objects.select_related("team_member__team", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        return
    team = invitation.team_member.team
    inviter = invitation.invited_by
    who = (inviter.name or inviter.email) if inviter else "An administrator"
    text = (
        f"{who} invites you to the team {team.name} on pinghome, the incident-management "
        f"service of {team.organization.name}.\n\n"
        f"Set your name and password here (the link works once, until "
        f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n{invitation_url(raw)}\n"
    )
    try:
        send_mail(
            f"You are invited to {team.name} on pinghome",
            text,
            settings.DEFAULT_FROM_EMAIL,
            [invitation.email],
        )
    except Exception:  # noqa: BLE001 - the invitation stands; it can be resent
        logger.exception("could not e-mail invitation %s", invitation_id)


@transaction.atomic
def resend_invitation(invitation: Invitation, *, by: User) -> Invitation:
    """A new link (the previous one stops working), valid 7 days from now."""
    ensure_team_manager(by, invitation.team_member.team)
    if invitation.accepted_at is not None:
        raise ValidationError({"invitation": ["already accepted"]})
    raw = secrets.token_urlsafe(32)
    with audit.recorded(by, invitation, fields=INVITATION_AUDITED, **_invitation_audit(invitation)):
        invitation.token_hash = hash_token(raw)
        invitation.sent_at = timezone.now()
        invitation.expires_at = invitation.sent_at + Invitation.VALID_FOR
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    _mail_on_commit(invitation, raw)
    return invitation


def revoke_invitation(invitation: Invitation, *, by: User) -> None:
    """Withdraw a pending invitation: the membership it created is removed with it."""
    if invitation.accepted_at is not None:
        raise ValidationError({"invitation": ["already accepted: remove the member instead"]})
    remove_member(invitation.team_member, by=by)


class InvitationInvalid(Exception):
    """The link is unknown, used, expired or withdrawn (the message says which, for people)."""


def find_invitation(raw: str) -> Invitation:
    """The pending invitation of this link, else ``InvitationInvalid``."""
    invitation = (
        Invitation.objects.select_related("team_member__team", "team_member__user")
        .filter(token_hash=hash_token(raw))
        .first()
    )
    if invitation is None:
        raise InvitationInvalid("This invitation link is unknown or was replaced by a newer one.")
    if invitation.accepted_at is not None or invitation.team_member.user.is_active:
        raise InvitationInvalid("This invitation was used already: sign in instead.")
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid("This invitation has expired: ask your team manager to resend it.")
    return invitation


@transaction.atomic
def accept_invitation(raw: str, *, name: str, password: str) -> User:
    """Set the person's name and password and activate them; the link then stops working."""
    invitation = find_invitation(raw)
    user = User.objects.select_for_update().get(pk=invitation.team_member.user_id)
    # Compare-and-set: of two concurrent uses of the link, one wins.
    accepted = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        accepted_at=timezone.now()
    )
    if not accepted or user.is_active:
        raise InvitationInvalid("This invitation was used already: sign in instead.")
    user.name = name
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["name", "password", "is_active"])
    invitation.refresh_from_db()
    audit.record(
        user,
        AuditAction.UPDATED,
        invitation,
        before={"accepted_at": None},
        after={"accepted_at": audit.snapshot(invitation, ["accepted_at"])["accepted_at"]},
        **_invitation_audit(invitation),
    )
    return user


# --------------------------------------------------------------------------- users


def organization_users(organization: Organization) -> QuerySet[User]:
    """By e-mail address, with their memberships (and teams) prefetched."""
    memberships = TeamMember.objects.select_related("team").order_by("team__name")
    return (
        User.objects.filter(organization=organization)
        .prefetch_related(Prefetch("memberships", memberships))
        .order_by("email")
    )


@transaction.atomic
def change_user_role(user: User, *, by: User, role: str) -> User:
    """Organization admins only; the organization always keeps an active admin."""
    ensure_org_admin(by)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.role == User.Role.ADMIN and role != User.Role.ADMIN:
        admins = User.objects.select_for_update().filter(
            organization_id=user.organization_id, role=User.Role.ADMIN, is_active=True
        )
        if not admins.exclude(pk=user.pk).exists():
            raise Conflict("The organization needs another active admin first.")
    with audit.recorded(by, user, fields=["role"]):
        user.role = role
        user.save(update_fields=["role"])
    return user


def lockouts(users: Iterable[User]) -> dict[Any, datetime]:
    """Until when each of these users' accounts is locked, for those locked now (one query)."""
    by_email = {User.objects.normalize_email(user.email): user.pk for user in users}
    return {
        by_email[email]: until
        for email, until in lockout.locked_until("username", by_email).items()
        if email in by_email
    }


@transaction.atomic
def clear_lockout(user: User, *, by: User) -> datetime | None:
    """Organization admins: the failed sign-ins counted against ``user``'s account are
    forgotten (django-axes' ``reset``), so its lockout, if any, ends now; audited when there was
    one. Until when it was locked, or None."""
    ensure_org_admin(by)
    until = lockouts([user]).get(user.pk)
    axes_reset(username=User.objects.normalize_email(user.email))
    if until is not None:
        audit.record(
            by,
            AuditAction.UPDATED,
            user,
            before={"locked_until": until.isoformat()},
            after={"locked_until": None},
        )
    return until


# --------------------------------------------------------------------------- API tokens

TOKEN_AUDITED = ("user_id", "name", "scopes", "expires_at", "revoked_at")


def _token_audit(token: ApiToken) -> dict[str, Any]:
    return {"organization_id": token.user.organization_id}


def validate_token_request(user: User, *, scopes: list[str], expires_at: datetime | None) -> None:
    """A 422 (``ValidationError`` by field) for scopes ``user`` may not grant or a past expiry."""
    errors = {}
    refused = sorted(set(scopes) - grantable_scopes(user))
    if refused:
        lacking = ", ".join(refused)
        errors["scopes"] = [f"not yours to grant: {lacking} (your role or token lacks it)"]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = ["must be in the future"]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_token(
    user: User,
    *,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    by: User | None = None,
) -> tuple[ApiToken, str]:
    """A token of ``user`` with no more than the scopes ``user`` may grant; the secret is
    returned once. ``by``: who acts, when not ``user`` (a staff user in the Django admin)."""
    validate_token_request(user, scopes=scopes, expires_at=expires_at)
    token, raw = ApiToken.issue(user, name=name, scopes=scopes, expires_at=expires_at)
    audit.record(
        by or user,
        AuditAction.CREATED,
        token,
        after=audit.snapshot(token, TOKEN_AUDITED),
        **_token_audit(token),
    )
    return token, raw


def visible_tokens(user: User) -> QuerySet[ApiToken]:
    """The tokens ``user`` may list and revoke: their own; an organization admin's, every token
    of the organization."""
    if user.is_org_admin:
        return ApiToken.objects.filter(user__organization_id=user.organization_id)
    return ApiToken.objects.filter(user=user)


@transaction.atomic
def revoke_token(token: ApiToken, *, by: User | None) -> None:
    """Revoke at once (the next request with it is a 401); revoking twice changes nothing.

    Who may: whoever finds the token among ``visible_tokens`` (the Django admin: its own
    permissions); ``by`` None is the system (``bootstrap --replace-token``).
    """
    with audit.recorded(by, token, fields=["revoked_at"], **_token_audit(token)):
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])


def join_by_single_sign_on(email: str, *, name: str, organization: Organization, role: str) -> User:
    """The first single sign-on of an allowed address: a user of ``organization`` with ``role``
    and no password (the identity provider vouches for them)."""
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email, organization=organization, role=role, name=name[:200]
            )
            audit.record(
                user,
                AuditAction.CREATED,
                user,
                after=audit.snapshot(user, ["email", "name", "organization_id", "role"]),
            )
    except IntegrityError:  # the same person's other sign-in, at the same moment, won
        return User.objects.with_email(email).get()
    return user
