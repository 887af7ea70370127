"""Saved filters of the incident list: a person's own named views, and "Mine"."""

import pytest

from incidents.models import SavedFilter
from incidents.services import SAVED_FILTERS_MAX
from incidents.tests.builders import make_incident

pytestmark = pytest.mark.django_db


def test_the_current_view_is_saved_by_name_and_listed_for_its_owner_only(client, owner, teammate):
    make_incident(owner.team, name="Checkout latency", urgency="critical")
    make_incident(owner.team, name="Checkout 502s", urgency="low")
    client.force_login(owner.user)

    response = client.post(
        "/incidents/filters",
        {"name": "Critical checkout", "query": "q=checkout&urgency=critical&after=abc&evil=1"},
    )

    saved = SavedFilter.objects.get(user=owner.user)
    assert saved.query == "q=checkout&urgency=critical"
    assert response["Location"] == "/?q=checkout&urgency=critical"
    html = client.get(response["Location"]).content.decode()
    assert (
        '<a href="/?q=checkout&amp;urgency=critical" aria-current="page">Critical checkout</a>'
        in html
    )
    assert "Checkout latency" in html and "Checkout 502s" not in html
    client.force_login(teammate.user)
    assert "Critical checkout" not in client.get("/").content.decode()


def test_saving_under_an_existing_name_replaces_it(client, owner):
    client.force_login(owner.user)
    client.post("/incidents/filters", {"name": "Mine open", "query": "mine=true"})

    client.post("/incidents/filters", {"name": "Mine open", "query": "mine=true&status=triggered"})

    assert list(SavedFilter.objects.values_list("name", "query")) == [
        ("Mine open", "mine=true&status=triggered")
    ]


@pytest.mark.parametrize("name", ["", "x" * 61])
def test_a_filter_needs_a_short_name(client, owner, name):
    client.force_login(owner.user)

    html = client.post("/incidents/filters", {"name": name, "query": "q=x"}, follow=True)

    assert "The filter was not saved" in html.content.decode()
    assert not SavedFilter.objects.exists()


def test_a_person_keeps_at_most_twenty(client, owner):
    client.force_login(owner.user)
    for n in range(SAVED_FILTERS_MAX):
        client.post("/incidents/filters", {"name": f"View {n}", "query": f"q={n}"})

    html = client.post("/incidents/filters", {"name": "One more", "query": "q=x"}, follow=True)

    assert f"at most {SAVED_FILTERS_MAX} saved filters" in html.content.decode()
    assert SavedFilter.objects.count() == SAVED_FILTERS_MAX


def test_only_its_owner_deletes_a_saved_filter(client, owner, teammate):
    client.force_login(owner.user)
    client.post("/incidents/filters", {"name": "Critical", "query": "urgency=critical"})
    saved = SavedFilter.objects.get()

    client.force_login(teammate.user)
    assert client.post(f"/incidents/filters/{saved.pk}/delete").status_code == 404
    client.force_login(owner.user)
    assert client.post(f"/incidents/filters/{saved.pk}/delete").status_code == 302

    assert not SavedFilter.objects.exists()


def test_mine_is_always_offered(client, teammate):
    client.force_login(teammate.user)

    html = client.get("/").content.decode()

    assert 'href="/?mine=true"' in html and ">Mine</a>" in html
