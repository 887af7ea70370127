import pytest
from django.utils import timezone

from accounts.models import ApiToken

pytestmark = pytest.mark.django_db

PROTECTED = ["/v1/rulesets", "/v1/webhooks", "/v1/teams", "/v1/status-pages"]


@pytest.mark.parametrize("path", PROTECTED)
def test_missing_token_is_401_with_bearer_challenge(anonymous, path):
    response = anonymous.get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "message" in response.json()


@pytest.mark.parametrize(
    "header", ["Bearer nope", "Bearer", "Basic dXNlcjpwYXNz", "Bearer a b", "Token abc"]
)
def test_bad_token_is_401(anonymous, owner, header):
    response = anonymous.get("/v1/rulesets", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_401(owner):
    ApiToken.objects.filter(user=owner.user).update(revoked_at=timezone.now())
    assert owner.api.get("/v1/rulesets").status_code == 401


def test_expired_token_is_401(owner):
    ApiToken.objects.filter(user=owner.user).update(expires_at=timezone.now())
    assert owner.api.get("/v1/rulesets").status_code == 401


def test_tokens_are_stored_hashed(owner):
    assert not ApiToken.objects.filter(token_hash=owner.token).exists()
    assert ApiToken.objects.filter(user=owner.user).count() == 1


def test_health_check_needs_no_token(anonymous):
    response = anonymous.get("/v1/health-check")
    assert response.status_code == 200
    assert response.json() == {"message": "Service is operational."}


def test_unknown_api_route_is_json_404(owner):
    response = owner.api.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"message": "Not found."}
