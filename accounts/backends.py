"""Password sign-in, as ``PASSWORD_SIGNIN`` allows it (README "Dashboard")."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from accounts.models import User


def password_signin_allowed(user: User) -> bool:
    """Whether ``user`` may sign in with a password: everyone (``all``), only organization
    admins and Django-admin staff (``admins``: the fallback beside single sign-on) or no one."""
    if settings.PASSWORD_SIGNIN == "all":
        return True
    if settings.PASSWORD_SIGNIN == "admins":
        return user.role == User.Role.ADMIN or user.is_staff or user.is_superuser
    return False


class PasswordBackend(ModelBackend):
    """E-mail (any case: ``UserManager.get_by_natural_key``) and password.

    A user whom ``PASSWORD_SIGNIN`` leaves out is refused like a wrong password, so the answer
    never tells whether the password was right. Sessions it opened stay valid (``get_user``).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and not password_signin_allowed(user):
            return None
        return user
