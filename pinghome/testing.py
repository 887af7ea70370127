"""Builders for tests: personas (a user with a token and an API client) and common objects."""

from dataclasses import dataclass
from pathlib import Path

from rest_framework.test import APIClient

from accounts.models import Organization, Team, TeamMember, User
from accounts.services import bootstrap


@dataclass
class Persona:
    organization: Organization
    team: Team
    member: TeamMember
    user: User
    token: str
    api: APIClient


def make_persona(org: str, team: str, email: str) -> Persona:
    """A user in ``team`` of ``org`` (the organization's first user is its admin)."""
    result = bootstrap(org_name=org, team_name=team, email=email)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {result.token}")
    return Persona(
        result.organization, result.team, result.team_member, result.user, result.token, api
    )


PASSWORD = "correct horse battery staple"


def sign_in(page, persona: Persona) -> None:
    """Give the persona a password and sign in through the login page."""
    persona.user.set_password(PASSWORD)
    persona.user.save(update_fields=["password"])
    page.goto("/login")
    page.fill("input[name=username]", persona.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot of a browser test as an artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
