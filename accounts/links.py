"""One-time sign-in links: the way into the dashboard printed by ``scripts/run`` and by
``python manage.py signin_link EMAIL``.

Stateless, like password reset links: the token signs the user's password hash and last
sign-in time, so signing in with it once makes it invalid, and it expires after
``SIGNIN_LINK_MAX_AGE`` seconds.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from accounts.models import User
from pinghome.api import parse_uuid


class SignInLinkTokens(PasswordResetTokenGenerator):
    key_salt = "pinghome.accounts.links.SignInLinkTokens"

    def check_token(self, user, token) -> bool:
        # The parent also bounds the age by PASSWORD_RESET_TIMEOUT, which is longer.
        if not super().check_token(user, token):
            return False
        created = base36_to_int(token.split("-")[0])
        return self._num_seconds(self._now()) - created <= settings.SIGNIN_LINK_MAX_AGE


tokens = SignInLinkTokens()


def signin_link(user: User) -> str:
    """An absolute URL (``SITE_URL``) that signs ``user`` in once."""
    path = reverse(
        "signin-link",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": tokens.make_token(user),
        },
    )
    return settings.SITE_URL + path


def user_of_link(uidb64: str, token: str) -> User | None:
    """The active user a valid, unused, unexpired link signs in, else None."""
    try:
        user_id = parse_uuid(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None or not tokens.check_token(user, token):
        return None
    return user
