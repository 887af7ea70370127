"""Failed password sign-ins lock an account, or an address, for a while (django-axes).

Settings (``AXES_*`` in pinghome/settings.py) point here: which e-mail and address an attempt
is counted against, which attempts are not counted, and the page a locked-out sign-in gets.
Organization admins clear the lockout of an account of theirs on the Teams page or with
``DELETE /v1/user/{id}/lockout`` (``accounts.services.clear_lockout``); the lockout of an
address, which may be anyone's, in the Django admin (Axes > Access attempts) or with
``python manage.py axes_reset_ip ADDRESS`` (``axes_reset_username EMAIL``, ``axes_reset``).
"""

import math
from collections.abc import Iterable
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


def locked_until(field: str, values: Iterable[str]) -> dict[str, datetime]:
    """When the lockout of each of these accounts (``field`` "username") or addresses
    ("ip_address") that is locked now ends: its last counted failure plus the lockout time.
    One query."""
    cool_off = get_cool_off()
    counted = (
        AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cool_off)
        .filter(**{f"{field}__in": list(values)})
        .values(field)
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    )
    return {
        row[field]: row["last"] + cool_off
        for row in counted
        if row["failures"] >= settings.AXES_FAILURE_LIMIT
    }


def current_lockout(email: str | None, address: str | None) -> Lockout | None:
    """The lockout in force for this account or this address, and when it ends."""
    for by, value, field in (("account", email, "username"), ("address", address, "ip_address")):
        until = locked_until(field, [value]).get(value) if value else None
        if until is not None:
            return Lockout(by, until)
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
