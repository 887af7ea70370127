"""Single sign-on by OpenID Connect (mozilla-django-oidc), configured by ``OIDC_*`` variables.

The provider's endpoints come from its discovery document (``OIDC_ISSUER``), fetched when a
sign-in needs them and kept an hour per process, unless given one by one. A first sign-in of
an address in ``OIDC_ALLOWED_DOMAINS`` creates the user in ``OIDC_ORGANIZATION`` (by default
the only organization) with ``OIDC_DEFAULT_ROLE``; someone who already has an account signs in
to it. Every refusal is said on the sign-in page.
"""

import logging

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts import services
from accounts.models import Organization, User
from pinghome.memo import ShortLived

log = logging.getLogger(__name__)

_discovery = ShortLived(3600)

# Our setting (mozilla-django-oidc's name) -> the discovery document's key.
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
UNAVAILABLE = "Single sign-on is unavailable: the identity provider did not answer. Try again."
FAILED = "Single sign-on did not sign you in. Try again, or ask an admin of pinghome."


class Refused(Exception):
    """A sign-in the provider vouched for but pinghome refuses; the message says why."""


def endpoints() -> dict[str, str]:
    """Each endpoint by its setting's name: given ones, the others discovered."""
    given = {name: getattr(settings, name) for name in ENDPOINTS}
    if all(given.values()):
        return given
    discovered = _discovery.get(settings.OIDC_ISSUER, _discover)
    return {name: value or discovered.get(ENDPOINTS[name], "") for name, value in given.items()}


def _discover() -> dict:
    response = requests.get(
        f"{settings.OIDC_ISSUER}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT
    )
    response.raise_for_status()
    return response.json()


def organization_to_join() -> Organization:
    if settings.OIDC_ORGANIZATION:
        organization = Organization.objects.filter(name=settings.OIDC_ORGANIZATION).first()
        if organization is None:
            raise Refused(
                "Single sign-on cannot add you: its organization (OIDC_ORGANIZATION) does not "
                "exist. Ask the operator of pinghome."
            )
        return organization
    organizations = list(Organization.objects.order_by("name")[:2])
    if len(organizations) != 1:
        raise Refused(
            "Single sign-on cannot tell which organization you join: ask the operator of "
            "pinghome to set OIDC_ORGANIZATION, or an admin to invite you."
        )
    return organizations[0]


class OrganizationOIDCBackend(OIDCAuthenticationBackend):
    """The authorization-code flow's last step: tokens checked, then the user found or added."""

    # Sessions: an inactive user is signed out, as with passwords.
    get_user = ModelBackend.get_user

    def authenticate(self, request, **kwargs):
        # Only the callback passes a nonce; password attempts are not ours.
        if request is None or not settings.OIDC_ENABLED or "nonce" not in kwargs:
            return None
        try:
            for name, value in endpoints().items():
                setattr(self, name, value)
            return super().authenticate(request, **kwargs)
        except Refused as refusal:
            request.signin_refusal = str(refusal)
        except (requests.RequestException, ValueError) as exc:
            log.warning("Single sign-on: the identity provider failed: %s", exc)
            request.signin_refusal = UNAVAILABLE
        except (SuspiciousOperation, jwt.PyJWTError, KeyError) as exc:
            log.warning("Single sign-on: the identity provider's answer was refused: %s", exc)
        return None

    def verify_token(self, token, **kwargs):
        """The signature, expiry and nonce (the library), and the issuer and audience."""
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token is meant for another client (aud).")
        if settings.OIDC_ISSUER and payload.get("iss", "").rstrip("/") != settings.OIDC_ISSUER:
            raise SuspiciousOperation("The ID token comes from another issuer (iss).")
        return payload

    def verify_claims(self, claims) -> bool:
        email = claims.get("email")
        if not email:
            raise Refused(
                "The identity provider did not tell pinghome your e-mail address (scope email)."
            )
        if claims.get("email_verified") is False:
            raise Refused(f"The identity provider has not verified {email}.")
        return True

    def filter_users_by_claims(self, claims):
        return User.objects.with_email(claims["email"])

    def create_user(self, claims) -> User:
        email = User.objects.normalize_email(claims["email"])
        domain = email.rpartition("@")[2]
        if domain not in settings.OIDC_ALLOWED_DOMAINS:
            allowed = ", ".join(settings.OIDC_ALLOWED_DOMAINS) or "no domain"
            raise Refused(
                f"{email} has no account here, and single sign-on adds only addresses at "
                f"{allowed}. Ask an admin of pinghome to invite you."
            )
        return services.join_by_single_sign_on(
            email,
            name=str(claims.get("name") or ""),
            organization=organization_to_join(),
            role=settings.OIDC_DEFAULT_ROLE,
        )

    def update_user(self, user: User, claims) -> User:
        if not user.is_active:
            raise Refused(f"The account {user.email} is deactivated. Ask an admin of pinghome.")
        return user


class SignInStartView(OIDCAuthenticationRequestView):
    """ "Sign in with …": off to the identity provider's authorization endpoint."""

    def get(self, request):
        if not settings.OIDC_ENABLED:
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = endpoints()["OIDC_OP_AUTHORIZATION_ENDPOINT"]
        except (requests.RequestException, ValueError) as exc:
            log.warning("Single sign-on: discovery failed: %s", exc)
            messages.error(request, UNAVAILABLE)
            return HttpResponseRedirect(reverse("login"))
        return super().get(request)


class SignInCallbackView(OIDCAuthenticationCallbackView):
    """Back from the identity provider: signed in, or the sign-in page saying why not."""

    def get(self, request):
        if not settings.OIDC_ENABLED:
            raise Http404
        return super().get(request)

    def login_failure(self):
        messages.error(self.request, getattr(self.request, "signin_refusal", FAILED))
        return HttpResponseRedirect(reverse("login"))
