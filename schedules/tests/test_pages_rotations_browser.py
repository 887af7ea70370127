"""A team lead builds a four-person weekly rotation with weekday nights and a backup layer."""

import pytest

from pinghome.testing import assert_fits, make_persona, sign_in
from schedules.models import Rotation

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_lead_builds_a_weekly_night_rotation_and_a_backup_layer(
    owner, teammate, manager, browser_page
):
    fourth = make_persona("Acme", "Ops", "dan@acme.test", role="responder")
    page = browser_page
    sign_in(page, owner)
    page.goto("/oncall")
    page.get_by_role("link", name="Add rotation").click()
    page.fill("input[name=name]", "Nights")
    page.fill("input[name=layer]", "2")
    for n, persona in enumerate((owner, teammate, manager, fourth), start=1):
        page.select_option(f"select[name=participant_{n}]", label=persona.user.email)
    page.select_option("select[name=shift_length]", "weekly")
    page.fill("input[name=handoff]", "2025-01-06T09:00")
    page.fill("input[name=time_zone]", "Europe/Berlin")
    for day in ("Mon", "Tue", "Wed", "Thu", "Fri"):
        page.get_by_label(day, exact=True).check()
    page.fill("input[name=restriction_start]", "18:00")
    page.fill("input[name=restriction_end]", "08:00")
    page.get_by_role("button", name="Add rotation").click()
    page.wait_for_url("**/oncall?team=*")
    assert "Rotation added." in page.locator(".messages").inner_text()

    page.get_by_role("link", name="Add rotation").click()
    page.fill("input[name=name]", "Backup")
    page.select_option("select[name=participant_1]", label="lead@acme.test")
    page.select_option("select[name=shift_length]", "daily")
    page.fill("input[name=handoff]", "2025-01-06T09:00")
    page.get_by_role("button", name="Add rotation").click()
    page.wait_for_url("**/oncall?team=*")

    rows = page.locator("#rotations tr[data-rotation]")
    assert rows.count() == 2
    assert "Nights" in rows.first.inner_text()
    assert page.locator("#calendar .shift").count() >= 7
    assert "No one is on call." not in page.locator("#on-call-now").inner_text()
    assert Rotation.objects.count() == 2
    assert_fits(page, 390)
