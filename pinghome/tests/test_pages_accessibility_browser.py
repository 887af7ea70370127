"""Every page of the navigation, and the pages of one object linked from them, against WCAG 2.1
A/AA with axe-core: at 1366 and 390 px, in light and dark, each showing real content (one object
of every kind: an incident with actions and a held component, a webhook with an event, a
ruleset, a rotation, a policy, a window, a status page...)."""

import pytest
from django.urls import reverse

from incidents.models import IncidentAction
from pinghome.testing import one_of_every_kind, serious_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

NAV = [
    "incident-list",
    "webhook-list",
    "ruleset-list",
    "ruleset-create",
    "oncall",
    "escalation",
    "my-shifts",
    "maintenance-list",
    "statuspage-list",
    "reports",
    "team-list",
    "audit-log",
    "token-list",
    "team-deliveries",
    "profile",
]
# Pages of one object, by URL name and the kinds of their ids (pinghome.testing.KINDS).
OBJECTS = [
    ("incident-detail", ["incident_id"]),
    ("webhook-detail", ["webhook_id"]),
    ("ruleset-edit", ["ruleset_id"]),
    ("team-detail", ["team_id"]),
    ("maintenance-edit", ["window_id"]),
    ("escalation-policy-edit", ["team_id", "policy_id"]),
    ("statuspage-public", ["status_page_id"]),
]


MISSING = "/no-such-page"  # the 404 page


def pages(ids: dict[str, str]) -> list[str]:
    return [
        *(reverse(name) for name in NAV),
        *(reverse(name, args=[ids[kind] for kind in kinds]) for name, kinds in OBJECTS),
        MISSING,
    ]


@pytest.mark.parametrize("width", [1366, 390])
def test_every_page_has_no_serious_violation_wide_or_narrow_light_or_dark(
    owner, browser_page, width
):
    ids = one_of_every_kind(owner)
    assert IncidentAction.objects.filter(incident_id=ids["incident_id"]).exists()
    page = browser_page
    sign_in(page, owner)
    page.set_viewport_size({"width": width, "height": 900})

    found = []
    for path in pages(ids):
        response = page.goto(path)
        assert response.status == (404 if path == MISSING else 200), path
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            found += [f"{path} ({scheme}) {violation}" for violation in serious_violations(page)]

    assert not found, "\n".join(found)
