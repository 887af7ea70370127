"""The "Acknowledge" and "Resolve" links every page carries.

A link is signed (``django.core.signing``: the delivery it came with and the action), expires
after 24 hours, works for its own incident only and once. A GET shows a confirmation page and
changes nothing (mail scanners prefetch links); the POST acts, as the user who was paged.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from notifications.models import Delivery

SALT = "pinghome.notifications.link"
MAX_AGE = timedelta(hours=24)
USED_AT = {"acknowledge": "acknowledge_link_used_at", "resolve": "resolve_link_used_at"}


class LinkError(Exception):
    """The link cannot act; the message says why, plainly."""


def url(delivery: Delivery, action: str) -> str:
    token = signing.dumps({"d": str(delivery.pk), "a": action}, salt=SALT, compress=True)
    return f"{settings.SITE_URL}/respond/{delivery.incident_id}/{token}"


def read(incident_id: str, token: str) -> tuple[Delivery, str]:
    """The delivery and action a link stands for, if it may still act; else LinkError."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise LinkError(
            "This link has expired: links in notifications work for 24 hours. "
            "Open the incident in pinghome instead."
        ) from None
    except signing.BadSignature:
        raise LinkError("This link is not valid.") from None
    action = data.get("a") if isinstance(data, dict) else None
    delivery = (
        Delivery.objects.select_related("incident__team", "user").filter(pk=data.get("d")).first()
        if action in USED_AT
        else None
    )
    if delivery is None or delivery.incident is None:
        raise LinkError("This link is not valid.")
    if str(delivery.incident_id) != str(incident_id):
        raise LinkError("This link belongs to another incident.")
    used_at = getattr(delivery, USED_AT[action])
    if used_at is not None:
        raise LinkError(
            f"This link was already used, at {used_at:%Y-%m-%d %H:%M} UTC. It works once."
        )
    user = delivery.user
    if (
        user is None
        or not user.is_active
        or user.organization_id != delivery.incident.organization_id
    ):
        raise LinkError("This link no longer works: its recipient left the organization.")
    return delivery, action


def act(incident_id: str, token: str) -> str:
    """Use a link: acknowledge or resolve its incident as the user it was sent to. Returns what
    happened, to show; LinkError when the link cannot act."""
    from incidents import services as incidents

    delivery, action = read(incident_id, token)
    incident, user = delivery.incident, delivery.user
    with transaction.atomic():
        used = Delivery.objects.filter(pk=delivery.pk, **{f"{USED_AT[action]}__isnull": True})
        if not used.update(**{USED_AT[action]: timezone.now()}):
            raise LinkError("This link was already used. Each link works once.")
        try:
            if action == "acknowledge":
                moved = incidents.acknowledge(incident, by=user)
            else:
                moved = incidents.resolve(incident, by=user)
        except incidents.TransitionError:
            moved = False
    if moved:
        return f"{incident.name} is {incident.status}, by {user.email}."
    incident.refresh_from_db(fields=["status"])
    return f"Nothing to do: {incident.name} is already {incident.status}."
