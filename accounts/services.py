from dataclasses import dataclass

from django.db import transaction

from accounts.models import ApiToken, Organization, Team, TeamMember, User
from accounts.permissions import ensure_team_manager
from audit import services as audit


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
) -> Bootstrapped:
    """Idempotent first set-up: organization, team, user and membership by name, plus a fresh token.

    The first user of an organization is its admin; later ones are members. Whoever bootstrap
    puts in a team manages it.
    """
    organization, _ = Organization.objects.get_or_create(name=org_name)
    team, _ = Team.objects.get_or_create(organization=organization, name=team_name)
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
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
    _, raw = ApiToken.issue(user, name=token_name)
    return Bootstrapped(organization, team, member, user, raw)


@transaction.atomic
def update_team_settings(team: Team, *, by: User, **changes) -> Team:
    """Time zone, re-notify delay and fallback team; the team's managers and organization
    admins."""
    ensure_team_manager(by, team)
    if "fallback_team_id" in changes:
        changes["fallback_team"] = changes.pop("fallback_team_id")
    with audit.recorded(by, team):
        for field, value in changes.items():
            setattr(team, field, value)
        team.save(update_fields=list(changes) or None)
    return team
