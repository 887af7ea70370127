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
    assert response.json()["message"] == "Service is operational."


def test_unknown_api_route_is_json_404(owner):
    response = owner.api.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"message": "Not found."}


def failed_attempts(api, count: int, **extra) -> list[int]:
    return [
        api.get("/v1/rulesets", HTTP_AUTHORIZATION="Bearer ph_guess", **extra).status_code
        for _ in range(count)
    ]


def test_over_100_failed_authentications_a_minute_from_one_address_are_a_429(anonymous, owner):
    assert failed_attempts(anonymous, 100, REMOTE_ADDR="203.0.113.7") == [401] * 100

    response = anonymous.get(
        "/v1/rulesets", HTTP_AUTHORIZATION=f"Bearer {owner.token}", REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "authentication" in response.json()["message"]
    # Another address is not concerned.
    assert failed_attempts(anonymous, 1, REMOTE_ADDR="203.0.113.8") == [401]
    other = anonymous.get(
        "/v1/rulesets", HTTP_AUTHORIZATION=f"Bearer {owner.token}", REMOTE_ADDR="203.0.113.8"
    )
    assert other.status_code == 200


def test_behind_a_trusted_proxy_the_address_is_the_forwarded_one(anonymous, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    proxied = {"REMOTE_ADDR": "10.0.0.1"}
    assert (
        failed_attempts(anonymous, 101, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxied)[-1] == 429
    )
    assert failed_attempts(anonymous, 1, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxied) == [401]


def test_successful_authentications_are_not_counted(owner):
    for _ in range(3):
        assert [owner.api.get("/v1/teams").status_code for _ in range(60)] == [200] * 60
