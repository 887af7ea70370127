"""A ruleset's ``fields``: validated on write, shown on its incidents' page as labels and links."""

import pytest
from django.test import Client

from incidents.models import Incident
from pinghome.testing import assert_invalid
from rulesets.models import Ruleset
from rulesets.tests.builders import ruleset_body
from rulesets.tests.pipeline import create_ruleset, create_webhook, send

pytestmark = pytest.mark.django_db

ALERT = {
    "status": "firing",
    "commonLabels": {"severity": "critical", "instance": "<script>alert(1)</script>"},
    "commonAnnotations": {
        "runbook_url": "https://runbooks.example.com/disk?x=1&y=2",
        "dashboard": "javascript:alert(1)",
    },
    "alerts": [{"labels": {"pod": "a"}}, {"labels": {"pod": "b"}}],
}
FIELDS = [
    "commonLabels.severity",
    "commonLabels.instance",
    "commonAnnotations.runbook_url",
    "commonAnnotations.dashboard",
    "alerts[*].labels.pod",
    "commonLabels.missing",
]


def incident_page(persona) -> str:
    client = Client()
    client.force_login(persona.user)
    response = client.get(f"/incidents/{Incident.objects.get().pk}")
    assert response.status_code == 200
    return response.content.decode().split('id="alert-fields"')[1].split("</div>")[0]


def test_the_incident_page_shows_the_rulesets_fields_as_labels_and_safe_links(owner):
    webhook = create_webhook(owner)
    create_ruleset(owner, fields=FIELDS)
    send(webhook, ALERT)

    html = incident_page(owner)

    assert '<dd data-field="commonLabels.severity"><span class="label-value">critical' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert '<a href="https://runbooks.example.com/disk?x=1&amp;y=2" rel="noopener' in html
    assert 'href="javascript' not in html and "javascript:alert(1)</span>" in html
    assert '>a</span>, <span class="label-value">b</span>' in html
    assert '<dd data-field="commonLabels.missing"><span class="muted">absent' in html


def test_a_ruleset_without_fields_shows_none(owner):
    webhook = create_webhook(owner)
    create_ruleset(owner)
    send(webhook, ALERT)
    client = Client()
    client.force_login(owner.user)
    html = client.get(f"/incidents/{Incident.objects.get().pk}").content.decode()
    assert 'id="alert-fields"' not in html


def test_fields_are_read_within_the_evaluation_limits(owner, settings):
    webhook = create_webhook(owner)
    create_ruleset(owner, fields=["a[*][*]", "status"])
    send(webhook, {"status": "firing", "a": [[0] * 100] * 100})
    settings.EVALUATION_MAX_VALUES = 1000
    html = incident_page(owner)
    assert "not all shown: evaluation limit exceeded: more than 1000 values" in html


def test_the_incident_api_gives_the_fields_with_their_values_as_text(owner, outsider):
    webhook = create_webhook(owner)
    create_ruleset(owner, fields=FIELDS)
    send(webhook, ALERT)
    incident = Incident.objects.get()

    response = owner.api.get(f"/v1/incident/{incident.pk}")

    assert response.status_code == 200
    assert response.json()["fields"] == [
        {"key": "commonLabels.severity", "values": ["critical"], "more": 0},
        {"key": "commonLabels.instance", "values": ["<script>alert(1)</script>"], "more": 0},
        {
            "key": "commonAnnotations.runbook_url",
            "values": ["https://runbooks.example.com/disk?x=1&y=2"],
            "more": 0,
        },
        {"key": "commonAnnotations.dashboard", "values": ["javascript:alert(1)"], "more": 0},
        {"key": "alerts[*].labels.pod", "values": ["a", "b"], "more": 0},
        {"key": "commonLabels.missing", "values": [], "more": 0},
    ]
    assert response.json()["fields_note"] == ""
    assert outsider.api.get(f"/v1/incident/{incident.pk}").status_code == 404
    # Additive: the list keeps its documented shape (and reads no event per incident).
    listed = owner.api.get(f"/v1/team/{owner.team.pk}/incidents").json()
    assert [item["id"] for item in listed] == [str(incident.pk)] and "fields" not in listed[0]


def test_the_api_says_which_values_it_leaves_out_and_why(owner, settings):
    webhook = create_webhook(owner)
    create_ruleset(owner, fields=["status", "a[*]", "a[*][*]"])
    send(webhook, {"status": "firing", "a": [[0] * 100] * 7})
    settings.EVALUATION_MAX_VALUES = 500

    body = owner.api.get(f"/v1/incident/{Incident.objects.get().pk}").json()

    assert body["fields"][:2] == [
        {"key": "status", "values": ["firing"], "more": 0},
        {"key": "a[*]", "values": [str([0] * 100).replace(" ", "")] * 5, "more": 2},
    ]
    assert body["fields_note"].startswith(
        "not all shown: evaluation limit exceeded: more than 500 values"
    )


def test_an_incident_without_a_ruleset_has_no_fields(owner):
    created = owner.api.post(
        f"/v1/team/{owner.team.pk}/incident",
        {"name": "By hand", "description": "", "urgency": "low"},
        format="json",
    )
    incident_id = created.json()["id"]

    body = owner.api.get(f"/v1/incident/{incident_id}").json()

    assert (body["fields"], body["fields_note"]) == ([], "")


def test_fields_are_saved_read_back_and_shown_on_the_form(owner):
    ruleset_id = create_ruleset(owner, fields=["commonLabels.severity", 'labels["a.b"]'])
    response = owner.api.get(f"/v1/ruleset/{ruleset_id}")
    assert response.json()["fields"] == ["commonLabels.severity", 'labels["a.b"]']
    client = Client()
    client.force_login(owner.user)
    html = client.get(f"/rulesets/{ruleset_id}").content.decode()
    assert "commonLabels.severity\nlabels[&quot;a.b&quot;]\n</textarea>" in html


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        (["a..b"], "fields.0"),
        (["ok", "ok"], "fields.1"),
        (["ok", 3], "fields.1"),
        (["x" * 501], "fields.0"),
        ([f"f{i}" for i in range(21)], "fields"),
        ("commonLabels.severity", "fields"),
    ],
)
def test_bad_fields_are_a_422_naming_the_path(owner, fields, path):
    body = ruleset_body(owner.team, fields=fields)
    assert_invalid(owner.api.post("/v1/ruleset", body, format="json"), path)
    assert not Ruleset.objects.exists()


def test_the_form_takes_one_field_a_line_and_names_a_bad_one_by_its_label(owner):
    client = Client()
    client.force_login(owner.user)
    data = {
        "rule_type": "webhook",
        "level": "team",
        "team_id": str(owner.team.id),
        "name": "Disk",
        "urgency": "high",
        "fields": "commonLabels.severity\r\n\r\n  annotations.runbook_url \r\n",
    }
    assert client.post("/rulesets/new", data).status_code == 302
    assert Ruleset.objects.get().fields == ["commonLabels.severity", "annotations.runbook_url"]

    data |= {"name": "Disk 2", "fields": "ok\r\na..b"}
    html = client.post("/rulesets/new", data).content.decode()
    assert "Fields shown on incidents, path 2: invalid key path" in html
