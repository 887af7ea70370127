from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import ApiToken, TokenScope, hash_token
from pinghome import ratelimit
from pinghome.client_ip import client_ip
from pinghome.ratelimit import parse_rate

# ``last_used_at`` is written at most this often per token: not one write per request.
LAST_USED_PRECISION = timedelta(minutes=1)


class BearerTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``: one indexed lookup of the token's hash.

    Failures are counted per source address (``pinghome.client_ip``, which believes only
    ``TRUSTED_PROXIES``): over ``API_AUTH_FAILURE_LIMIT`` an address is answered 429, whatever
    token it sends, until the window ends. A flood of guesses costs no more lookups.
    """

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        key = f"auth-failures:{client_ip(request.META)}"
        limit, window = parse_rate(settings.API_AUTH_FAILURE_LIMIT)
        failures = ratelimit.hit(key, limit=limit, window=window, cost=0)
        if failures.count >= limit:
            raise exceptions.Throttled(
                failures.retry_after,
                "Too many failed authentications from your address; try again later.",
            )
        try:
            return self._authenticate(header)
        except exceptions.AuthenticationFailed:
            ratelimit.hit(key, limit=limit, window=window)
            raise

    def _authenticate(self, header: list[bytes]):
        if header[0].lower() != b"bearer" or len(header) != 2:
            raise exceptions.AuthenticationFailed("Expected 'Authorization: Bearer <token>'.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token = (
            ApiToken.objects.usable()
            .select_related("user__organization")
            .filter(token_hash=hash_token(raw), user__is_active=True)
            .first()
        )
        if token is None or token.user.organization_id is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        user = token.user
        user.token_scopes = frozenset(token.scopes)
        user.api_token = token  # who acted, for the audit log
        return user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="pinghome"'


class TokenScopePermission(BasePermission):
    """``read`` tokens only read; writing needs the ``write`` (or ``admin``) scope. A view
    that writes nothing whatever its method says so with ``writes_nothing = True``."""

    message = "This token may only read (scope 'read'); writing needs scope 'write'."

    def has_permission(self, request, view) -> bool:
        reads = request.method in SAFE_METHODS or getattr(view, "writes_nothing", False)
        if reads or not isinstance(request.auth, ApiToken):
            return True
        return bool({TokenScope.WRITE, TokenScope.ADMIN} & set(request.auth.scopes))


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API token (ph_...)."}
