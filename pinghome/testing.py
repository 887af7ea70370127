"""Builders for tests: personas (a user with a token and an API client) and common objects."""

from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, Organization, Team, TeamMember, User
from accounts.services import bootstrap


@dataclass
class Persona:
    organization: Organization
    team: Team
    member: TeamMember
    user: User
    token: str
    api: APIClient


def make_persona(org: str, team: str, email: str, *, role: str = "manager") -> Persona:
    """A user in ``team`` of ``org`` with this team ``role`` (the organization's first user is
    its admin)."""
    result = bootstrap(org_name=org, team_name=team, email=email)
    if result.team_member.role != role:
        result.team_member.role = role
        result.team_member.save(update_fields=["role"])
    # In use already: a token's first request in a minute also stamps ``last_used_at``, which
    # would count against the query bounds of list endpoints.
    ApiToken.objects.filter(user=result.user).update(last_used_at=timezone.now())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {result.token}")
    return Persona(
        result.organization, result.team, result.team_member, result.user, result.token, api
    )


def client_with_scopes(user: User, scopes: list[str]) -> APIClient:
    """An API client with a fresh token of ``user`` with these scopes."""
    _, raw = ApiToken.issue(user, name="scoped", scopes=scopes)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


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


def assert_fits(page, width: int, height: int = 900) -> None:
    """At ``width`` px the page scrolls vertically only (wide tables scroll in their own box)."""
    page.set_viewport_size({"width": width, "height": height})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow} px wider than a {width} px viewport"


WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def assert_accessible(page) -> None:
    """axe-core finds no serious or critical WCAG 2.1 A/AA violation on the page as it is."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}
    )
    serious = [
        f"{violation['id']} ({violation['impact']}): {violation['help']}: "
        + "; ".join(str(node["target"]) for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert not serious, "\n".join(serious)


SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot of a browser test as an artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- API assertions shared by the endpoint tests ---------------------------------------------

BAD_TOKEN = "Bearer ph_not-a-real-token"
UNKNOWN_ID = "6f1c2a4e-8d2b-4a55-9a3e-2b8f0c1d9e77"
MALFORMED_ID = "not-a-uuid"


def send_raw(api, method: str, path: str, raw: bytes):
    """Send ``raw`` bytes as an application/json body, bypassing the client's encoder."""
    return api.generic(method, path, raw, content_type="application/json")


def deeply_nested(depth: int = 200) -> bytes:
    return b'{"name": ' + b"[" * depth + b"]" * depth + b"}"


def assert_invalid(response, *fields: str) -> dict[str, list[str]]:
    """A 422 in the documented format naming each of ``fields``; returns the errors."""
    assert response.status_code == 422, (response.status_code, response.content)
    body = response.json()
    assert isinstance(body["message"], str) and body["message"]
    errors = body["errors"]
    assert isinstance(errors, dict)
    for name in fields:
        assert name in errors, (name, errors)
        assert errors[name] and all(isinstance(reason, str) for reason in errors[name])
    return errors


def assert_not_found(response) -> None:
    assert response.status_code == 404, (response.status_code, response.content)
    assert response.json() == {"message": "Not found."}


def assert_unauthorized(response) -> None:
    assert response.status_code == 401, (response.status_code, response.content)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert isinstance(response.json()["message"], str)
