from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiToken, Organization, Team, TeamMember, User
from accounts.permissions import ensure_team_manager, grantable_scopes
from audit import services as audit
from audit.models import AuditAction


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


@transaction.atomic
def update_team_settings(team: Team, *, by: User, **changes) -> Team:
    """Time zone and default escalation policy (``escalation_policy_id``: a policy of the
    team); the team's managers and organization admins."""
    from escalation.services import make_default

    ensure_team_manager(by, team)
    policy = changes.pop("escalation_policy_id", None)
    with audit.recorded(by, team):
        for field, value in changes.items():
            setattr(team, field, value)
        team.save(update_fields=list(changes) or None)
    if policy is not None:
        make_default(policy, by=by)
    return team


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
