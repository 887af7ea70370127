"""Failed password sign-ins lock an account, or an address, for a while (django-axes).

Settings (``AXES_*`` in pinghome/settings.py) point here: which e-mail and address an attempt
is counted against, which attempts are not counted, and the page a locked-out sign-in gets.
Admins clear a lockout in the Django admin (Axes > Access attempts) or with
``python manage.py axes_reset_username EMAIL`` / ``axes_reset_ip ADDRESS`` / ``axes_reset``.
"""

import math
from dataclasses import dataclass
from datetime import datetime

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.models import User
from pinghome.client_ip import client_ip


def attempted_email(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The address a sign-in attempt names, lower-case: ``Ann@x`` and ``ann@x`` are one account."""
    if credentials is not None:
        email = credentials.get("username")
    else:
        email = request.POST.get("username")
    return User.objects.normalize_email(email) or None


def attempt_address(request: HttpRequest) -> str | None:
    """The client's address, believing X-Forwarded-For only from ``TRUSTED_PROXIES``."""
    return client_ip(request.META)


def not_a_password_attempt(request: HttpRequest, credentials: dict | None = None) -> bool:
    """Only attempts that name an account (a password sign-in) count: a single sign-on callback
    names none and has nothing to guess at."""
    return credentials is not None and not credentials.get("username")


@dataclass(frozen=True)
class Lockout:
    by: str  # "account" or "address"
    until: datetime

    @property
    def minutes(self) -> int:
        return max(1, math.ceil((self.until - timezone.now()).total_seconds() / 60))


def current_lockout(email: str | None, address: str | None) -> Lockout | None:
    """The lockout in force for this account or this address, and when it ends (the last
    counted failure plus the lockout time)."""
    cool_off = get_cool_off()
    since = timezone.now() - cool_off
    for by, value, field in (("account", email, "username"), ("address", address, "ip_address")):
        if not value:
            continue
        counted = AccessAttempt.objects.filter(attempt_time__gte=since, **{field: value}).aggregate(
            failures=Sum("failures_since_start"), last=Max("attempt_time")
        )
        if (counted["failures"] or 0) >= settings.AXES_FAILURE_LIMIT:
            return Lockout(by, counted["last"] + cool_off)
    return None


def lockout_response(
    request: HttpRequest, original_response=None, credentials: dict | None = None
) -> HttpResponse:
    """The sign-in page again, saying plainly what is locked and until when (429)."""
    from accounts.signin import render_sign_in

    email = attempted_email(request, credentials)
    lockout = current_lockout(email, attempt_address(request)) or Lockout(
        "account", timezone.now() + get_cool_off()
    )
    return render_sign_in(request, email=email, lockout=lockout, status=429)
