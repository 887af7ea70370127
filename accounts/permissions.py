"""Who may change what: the one place services ask.

- An organization ``admin`` may change everything of the organization.
- A team's ``manager`` may change that team's configuration: its rulesets, schedule entries,
  rotations, escalation policies, members and settings.
- A ``responder`` answers the team's incidents (acknowledge, resolve, notes) and reads the rest.

API tokens narrow this further (``TokenScope``): a ``read`` token writes nothing (checked for
every request by ``accounts.authentication.TokenScopePermission``) and a token without the
``admin`` scope acts as a member (``User.is_org_admin``).
"""

from django.core.exceptions import PermissionDenied as PageForbidden
from rest_framework.exceptions import PermissionDenied as ApiForbidden

from accounts.models import Team, TeamMember, TokenScope, User


class Forbidden(ApiForbidden, PageForbidden):
    """403 with its reason: a JSON error in the API, the 403 page for a page."""


def is_team_manager(user: User, team: Team) -> bool:
    """Whether ``user`` may change ``team``'s configuration."""
    if user.organization_id != team.organization_id:
        return False
    if user.is_org_admin:
        return True
    return TeamMember.objects.filter(team=team, user=user, role=TeamMember.Role.MANAGER).exists()


def ensure_team_manager(user: User, team: Team) -> None:
    """Raise 403 unless ``user`` manages ``team`` (or administers its organization)."""
    if not is_team_manager(user, team):
        raise Forbidden(f"Only managers of team {team.name} and organization admins may change it.")


def ensure_org_admin(user: User) -> None:
    """Raise 403 unless ``user`` acts as an admin of their organization."""
    if not user.is_org_admin:
        raise Forbidden("Only organization admins may do this.")


def ensure_in_a_team(user: User) -> None:
    """Raise 403 unless ``user`` is an organization admin or a member of one of its teams (what
    lets them speak for the organization: written updates on its status pages)."""
    if user.is_org_admin:
        return
    if not TeamMember.objects.filter(
        user=user, team__organization_id=user.organization_id
    ).exists():
        raise Forbidden("Only organization admins and members of a team may do this.")


def grantable_scopes(user: User) -> set[str]:
    """The scopes ``user`` may give a new token: what their role has, and no more than the token
    they act with (a ``write`` token cannot mint an ``admin`` one)."""
    scopes = {TokenScope.READ, TokenScope.WRITE}
    if user.role == User.Role.ADMIN:
        scopes.add(TokenScope.ADMIN)
    if user.token_scopes is not None:
        scopes &= user.token_scopes
    return {str(scope) for scope in scopes}
