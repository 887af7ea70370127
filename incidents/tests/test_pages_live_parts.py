"""The live fragments of the incident pages (``?part=``, pinghome/live.py): only the region asked
for, with the page's filters, sign-in and scoping; and the forms app.js sends, whose
post/redirect/get asks for the regions they change."""

import pytest

from incidents.models import Incident, TimelineKind
from incidents.tests.builders import make_incident
from statuspages.tests.builders import make_status_page

pytestmark = pytest.mark.django_db

LIVE = {"HTTP_X_LIVE_PARTS": "summary timeline"}


def detail(incident, action: str = "") -> str:
    return f"/incidents/{incident.pk}" + (f"/{action}" if action else "")


def test_the_list_fragment_is_the_table_alone_with_the_pages_filters(client, owner):
    make_incident(owner.team, name="Checkout is down")
    make_incident(owner.team, name="Search is slow")
    client.force_login(owner.user)

    response = client.get("/?q=checkout&part=list")

    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert 'data-part="list"' in html and "Checkout is down" in html
    assert "Search is slow" not in html  # the search applies
    assert "2 open, 2 triggered" in html
    for elsewhere in ('class="top"', 'role="search"', "Save this view as", "<title>"):
        assert elsewhere not in html


def test_the_list_fragments_next_page_link_is_the_pages_not_the_fragments(client, owner):
    for n in range(51):
        make_incident(owner.team, name=f"Node {n} unreachable")
    client.force_login(owner.user)

    html = client.get("/?sort=oldest&part=list").content.decode()

    next_link = html.split('rel="next"')[0].rsplit('href="', 1)[1]
    assert "sort=oldest" in next_link and "after=" in next_link and "part" not in next_link


def test_the_list_fragment_shows_only_the_organizations_incidents(client, owner, outsider):
    make_incident(outsider.team, name="Globex is down")
    client.force_login(owner.user)

    html = client.get("/?part=list").content.decode()

    assert "Globex is down" not in html and "0 open" in html


def test_signed_out_a_fragment_redirects_to_sign_in_as_the_page_does(client, owner):
    incident = make_incident(owner.team)

    for path in ("/?part=list", detail(incident) + "?part=timeline"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login?next="), path


@pytest.mark.parametrize("part", ["summary", "timeline", "responders", "merge", "status"])
def test_another_organizations_incident_is_a_404_in_every_part(client, owner, outsider, part):
    incident = make_incident(owner.team)
    client.force_login(outsider.user)

    assert client.get(detail(incident) + f"?part={part}").status_code == 404


def test_the_timeline_fragment_is_the_timeline_alone(
    client, owner, django_assert_max_num_queries
):
    incident = make_incident(owner.team, name="Checkout is down")
    client.force_login(owner.user)
    client.post(detail(incident, "note"), {"text": "Rolled back deploy 4f2c1."})
    client.get(detail(incident))  # the note's message is shown, and the session warm

    with django_assert_max_num_queries(8):
        response = client.get(detail(incident) + "?part=timeline")

    html = response.content.decode()
    assert 'data-part="timeline"' in html and "Rolled back deploy 4f2c1." in html
    for elsewhere in ('data-part="summary"', "Add a note", "Latest alert", 'class="top"'):
        assert elsewhere not in html
    assert '<ul class="messages">' not in html


def test_the_summary_fragment_says_the_status_and_who_acknowledged(client, owner):
    incident = make_incident(owner.team, name="Checkout is down")
    client.force_login(owner.user)
    client.post(detail(incident, "acknowledge"), {"next": detail(incident)})

    html = client.get(detail(incident) + "?part=summary").content.decode()

    assert 'data-part="summary"' in html and 'data-field="status">acknowledged' in html
    assert 'data-field="acknowledged-by">owner@acme.test' in html
    assert 'data-part="timeline"' not in html
    assert "Checkout is down: acknowledged." in html  # the message waiting for the viewer


def test_several_parts_come_in_the_pages_order_and_an_unknown_one_is_the_page(client, owner):
    incident = make_incident(owner.team)
    client.force_login(owner.user)

    html = client.get(detail(incident) + "?part=timeline&part=summary").content.decode()
    assert html.index('data-part="summary"') < html.index('data-part="timeline"')
    assert 'data-part="escalation"' not in html

    page = client.get(detail(incident) + "?part=nothing").content.decode()
    assert 'class="top"' in page and 'data-part="escalation"' in page


def test_without_the_header_the_forms_redirect_to_the_page_as_before(client, owner):
    incident = make_incident(owner.team)
    client.force_login(owner.user)

    response = client.post(detail(incident, "note"), {"text": "Looking."})

    assert response["Location"] == detail(incident) + "#timeline"


@pytest.mark.parametrize(
    "action, data",
    [
        ("note", {"text": "Looking."}),
        ("snooze", {"minutes": "60"}),
        ("escalate", {"next": "/incidents/{pk}"}),
        ("acknowledge", {"next": "/incidents/{pk}"}),
    ],
)
def test_a_form_sent_by_app_js_comes_back_as_the_parts_it_names(client, owner, action, data):
    incident = make_incident(owner.team)
    client.force_login(owner.user)
    data = {key: value.format(pk=incident.pk) for key, value in data.items()}

    response = client.post(detail(incident, action), data, **LIVE)

    assert response.status_code == 302
    assert response["Location"].startswith(detail(incident) + "?part=summary&part=timeline")
    html = client.get(response["Location"]).content.decode()
    assert 'data-part="summary"' in html and 'data-part="timeline"' in html
    assert 'class="top"' not in html and '<ul class="messages">' in html


def test_a_merge_sent_by_app_js_shows_the_merge_in_the_parts(client, owner):
    target = make_incident(owner.team, name="Checkout is down")
    duplicate = make_incident(owner.team, name="Checkout 502s")
    client.force_login(owner.user)

    response = client.post(
        detail(target, "merge"),
        {"incident_id": [str(duplicate.pk)]},
        HTTP_X_LIVE_PARTS="summary responders merge timeline",
        follow=True,
    )

    html = response.content.decode()
    assert "Merged 1 incident(s) into this one." in html
    assert 'data-part="merge"' in html and f'value="{duplicate.pk}"' not in html
    assert 'data-kind="merged"' in html and "Merged into this incident:" in html
    assert Incident.objects.get(pk=duplicate.pk).merged_into_id == target.pk


def test_a_bulk_acknowledge_sent_by_app_js_comes_back_as_the_list_on_its_page(client, owner):
    storm = [make_incident(owner.team, name=f"Node {n} unreachable") for n in range(3)]
    client.force_login(owner.user)

    response = client.post(
        "/incidents/bulk",
        {
            "action": "acknowledge",
            "incident_id": [str(i.pk) for i in storm],
            "next": "/?q=unreachable",
        },
        HTTP_X_LIVE_PARTS="list",
    )

    assert response["Location"] == "/?q=unreachable&part=list"
    html = client.get(response["Location"]).content.decode()
    assert "3 of 3 selected incidents acknowledged." in html
    assert html.count('class="badge status-acknowledged"') == 3 and 'role="search"' not in html


def test_a_status_update_sent_by_app_js_comes_back_as_the_status_part(client, owner):
    incident = make_incident(owner.team)
    page = make_status_page(owner.organization, "Acme status")
    client.force_login(owner.user)

    response = client.post(
        f"/status-pages/{page.pk}/notices",
        {
            "next": detail(incident),
            "incident": str(incident.pk),
            "title": "Payments are failing",
            "status": "investigating",
            "message": "We are looking into it.",
        },
        HTTP_X_LIVE_PARTS="status timeline",
        follow=True,
    )

    html = response.content.decode()
    assert "Posted to Acme status: investigating." in html
    assert 'data-part="status"' in html and "Payments are failing" in html
    assert f'name="next" value="{detail(incident)}"' in html  # not the fragment's address
    assert incident.timeline.filter(kind=TimelineKind.STATUS_UPDATE).exists()


def test_a_header_naming_odd_parts_is_ignored(client, owner):
    incident = make_incident(owner.team)
    client.force_login(owner.user)

    response = client.post(
        detail(incident, "note"), {"text": "x"}, HTTP_X_LIVE_PARTS="<b> ../x TIMELINE"
    )

    assert response["Location"] == detail(incident) + "#timeline"
