"""Every page of the navigation, and the pages of one object linked from them, against WCAG 2.1
A/AA with axe-core: at 1366 and 390 px, in light and dark, each showing real content (one object
of every kind: an incident with actions and a held component, a webhook with an event, a
ruleset and its test, a rotation, a policy, a window, a status page...). Then what a form shows
after it is sent (a ruleset tested without saving), and, signed out, the pages reached without an
account: sign-in, a notification's acknowledge link, a status page's subscription pages."""

import pytest
from django.urls import reverse

from incidents.models import Incident, IncidentAction
from notifications import links
from notifications.models import Delivery
from pinghome.testing import one_of_every_kind, serious_violations, sign_in
from statuspages.models import Subscriber

pytestmark = pytest.mark.django_db(transaction=True)

# What a subscription page says (base.html has a role=status box of its own for messages).
SAID = ".public-status [role=status]"

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
    ("ruleset-test", ["ruleset_id"]),
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


def violations(page, what: str) -> list[str]:
    """The serious violations of the page as it is, in light then dark."""
    found = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        found += [f"{what} ({scheme}) {violation}" for violation in serious_violations(page)]
    page.emulate_media(color_scheme="light")
    return found


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
        if path.endswith("/test"):  # the ruleset's event is explained, not an empty page
            assert page.locator("#test-results [data-event]").count() == 1, path
        found += violations(page, path)

    # "Test without saving" on a new ruleset: the form shown again with its results.
    page.goto(reverse("ruleset-create"))
    page.fill("input[name=name]", "Alarm again")
    page.select_option("select[name=webhook_ids]", label="Alarms")
    conditions = page.locator("[data-rows=conditions]")
    conditions.get_by_role("button", name="Add condition").click()
    conditions.locator("[data-row]").first.get_by_label("Condition key").fill("alarm.state")
    conditions.locator("[data-row]").first.get_by_label("Condition values").fill("ALARM")
    with page.expect_response(lambda r: r.url.endswith(reverse("ruleset-form-test"))) as sent:
        page.get_by_role("button", name="Test without saving").click()
    assert sent.value.status == 200
    page.wait_for_load_state()
    result = page.locator("#test-results [data-event]")
    assert result.count() == 1 and "✓ held" in result.inner_text()
    found += violations(page, "POST " + reverse("ruleset-form-test"))

    assert not found, "\n".join(found)


@pytest.mark.parametrize("width", [1366, 390])
def test_the_pages_reached_signed_out_have_no_serious_violation_light_or_dark(
    owner, browser_page, width
):
    """Sign-in, an incident's acknowledge link from a mail, and a visitor of a public status page
    subscribing, confirming and unsubscribing: each page on the way, GET and after its POST."""
    ids = one_of_every_kind(owner)
    delivery = Delivery.objects.filter(incident_id=ids["incident_id"], user=owner.user).first()
    assert delivery is not None, "the incident paged its assignee"
    acknowledge = links.url(delivery, "acknowledge").removeprefix(links.settings.SITE_URL)
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})

    found = []
    assert page.goto(reverse("login")).status == 200
    assert page.locator("input[name=password]").is_visible()
    found += violations(page, "/login")

    assert page.goto(acknowledge).status == 200
    assert page.get_by_role("heading", name="Acknowledge this incident?").is_visible()
    found += violations(page, "GET /respond")
    page.get_by_role("button", name="Acknowledge").click()
    page.locator("#link-done").wait_for()
    assert Incident.objects.get(pk=ids["incident_id"]).status == "acknowledged"
    found += violations(page, "POST /respond")

    public = reverse("statuspage-public", args=[ids["status_page_id"]])
    page.goto(public)
    page.get_by_label("Mail me this page's notices").fill("visitor@example.test")
    page.get_by_role("button", name="Subscribe", exact=True).click()
    page.wait_for_url("**/subscribe")
    assert "We mailed visitor@example.test a link" in page.locator(SAID).inner_text()
    found += violations(page, "POST subscribe")

    subscriber = Subscriber.objects.get(email="visitor@example.test")
    for name, button, done in (
        ("statuspage-confirm", "Confirm my subscription", "Subscribed"),
        ("statuspage-unsubscribe", "Unsubscribe", "Unsubscribed"),
    ):
        path = reverse(name, args=[ids["status_page_id"], subscriber.token])
        assert page.goto(path).status == 200
        found += violations(page, f"GET {name}")
        page.get_by_role("button", name=button, exact=True).click()
        page.locator(SAID, has_text=done).wait_for()
        found += violations(page, f"POST {name}")
    assert not Subscriber.objects.filter(pk=subscriber.pk).exists()

    assert not found, "\n".join(found)
