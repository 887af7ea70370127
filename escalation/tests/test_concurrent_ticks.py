"""Two beat processes ticking at once page each person once per step."""

import pytest

from escalation import services
from escalation.models import PagedUser
from escalation.tests.builders import create_policy
from incidents import services as incidents
from incidents.models import TimelineEntry
from notifications.models import Delivery
from notifications.tests.test_routing import on_call_always
from pinghome.testing import at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_concurrent_ticks_notify_each_person_once(owner, teammate, clock, monkeypatch):
    on_call_always(owner, teammate.member)
    policy_id = create_policy(owner, (0, []), (1, [("oncall", owner.team.id)]))
    policy = services.EscalationPolicy.objects.get(pk=policy_id)
    opened = [
        incidents.create_incident(
            owner.team,
            by=owner.user,
            name=f"Disk {n}",
            description="",
            urgency="high",
            escalation_policy=policy,
        ).pk
        for n in range(30)
    ]
    monkeypatch.setattr(services, "BATCH_SIZE", 4)  # the ticks interleave their batches
    clock.advance(minutes=1)

    ran = at_once(services.escalate_due)  # an error in either tick is raised here

    assert sum(ran) == 30, ran
    pages = Delivery.objects.filter(reason="escalated")
    assert sorted(pages.values_list("incident_id", "user_id", "step_label")) == sorted(
        (pk, teammate.user.pk, "step 2 of escalation policy Chain (cycle 1)") for pk in opened
    )
    assert PagedUser.objects.filter(step=2).count() == 30
    steps = TimelineEntry.objects.filter(kind="escalated", data__step=2)
    assert sorted(steps.values_list("incident_id", flat=True)) == sorted(opened)
