"""Incident name and description templates (pure: no Django)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rulesets.conditions import Budget, LimitExceeded
from rulesets.templating import (
    MAX_DEFAULTS,
    MAX_PLACEHOLDERS,
    render_template,
    template_errors,
)
from rulesets.tests.test_conditions import DOC, SNS_BODY

ALERTMANAGER = {"commonLabels": {"alertname": "Fire", "severity": "critical"}}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("no placeholders", "no placeholders"),
        ("{{incident.state}}", "triggered"),
        ("State: {{ incident.state }}!", "State: triggered!"),
        ("{{   alerts[*].status   }}", "firing"),
        ("{{ missing }}|{{ incident.urgency }}|{{ empty }}", "||"),
        ("{{ flag }} {{ ten_float }} {{ tags }}", 'true 10.0 ["prod","eu",5,true,null]'),
        ("{{ unicode.clé }}", "crème brûlée ☕"),
        ('{{ ["weird key"].x }}', "1"),
        ("{ single } }} stray", "{ single } }} stray"),
        ("x" * 2000, "x" * 1000),
        ('{{ missing | default: "unknown" }}', "unknown"),
        ("{{ missing | default: 'it\\'s' }}", "it's"),
        ('{{ nothing | default: "null gives way" }}', "null gives way"),
        ('{{ empty | default: "empty gives way" }}', "empty gives way"),
        ('{{ zero | default: "kept" }} {{ flag | default: "kept" }}', "0 true"),
        ('{{ missing | default: nothing | default: incident.state | default: "x" }}', "triggered"),
        ('{{ missing|default:"a|b}}c" }}', "a|b}}c"),
        ("{{ missing | default: also_missing }}", ""),
    ],
)
def test_a_template_renders_the_first_value_at_each_path_or_its_default(
    template: str, expected: str
) -> None:
    assert template_errors(template) == []
    assert render_template(template, DOC) == expected


def test_an_absent_label_renders_the_default_not_nothing() -> None:
    template = '{{ commonLabels.alertname }} on {{ commonLabels.instance | default: "unknown" }}'
    assert render_template(template, ALERTMANAGER) == "Fire on unknown"
    assert render_template(
        template, {"commonLabels": {"alertname": "Fire", "instance": "db1"}}
    ) == ("Fire on db1")


def test_paths_go_into_json_held_in_strings_and_output_is_capped() -> None:
    assert render_template("{{ Message.NewStateValue }}", SNS_BODY) == "ALARM"
    assert len(render_template("{{ big }}{{ big }}", {"big": "y" * 5000})) == 1000
    assert len(render_template("{{ big }}", {"big": "y" * 5000}, limit=4000)) == 4000
    assert render_template('{{ a | default: "no event" }}', None) == "no event"


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ commonLabels.alertname", "unclosed '{{' at position 0"),
        ("ok {{ a }} then {{ b", "unclosed '{{' at position 16"),
        ('{{ a | default: "x }}', "unclosed '{{' at position 0"),
        ("{{ }}", "a key path is missing"),
        ("{{ a.. }}", "invalid key path 'a..'"),
        ("{{ a | upper }}", "unknown filter 'upper'"),
        ("{{ a | default }}", "default needs a value"),
        ("{{ a | default: 'x' y }}", "unexpected text after the quoted default"),
        ("{{ a | default: b.. }}", "invalid key path 'b..'"),
        ("{{ a }}" * (MAX_PLACEHOLDERS + 1), f"at most {MAX_PLACEHOLDERS} placeholders"),
        ("{{ a" + " | default: b" * (MAX_DEFAULTS + 1) + " }}", f"at most {MAX_DEFAULTS} defaults"),
    ],
)
def test_a_template_that_does_not_parse_is_refused_saying_why(template: str, reason: str) -> None:
    [error] = template_errors(template)
    assert reason in error


def test_a_stored_template_that_no_longer_parses_renders_nothing() -> None:
    # Not its own text: evaluation falls back as without a template (stale_template_notes).
    assert render_template("{{ unclosed", DOC) == ""
    assert render_template(None, DOC) == ""  # type: ignore[arg-type]


def test_rendering_counts_in_the_evaluation_budget() -> None:
    fan_out = {"a": [[0] * 100] * 100}
    with pytest.raises(LimitExceeded):
        render_template("{{ a[*][*] }}", fan_out, Budget(max_values=1000))
    with pytest.raises(LimitExceeded):
        render_template("{{ big }}", {"big": ["y" * 100] * 100}, Budget(max_bytes=1000))


def test_deep_nesting_is_safe() -> None:
    deep: Any = "leaf"
    for _ in range(10_000):
        deep = [deep]
    assert isinstance(render_template("{{ d }}", {"d": deep}), str)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list("{}|:\"'\\ ab.[]*0default")), max_size=40))
def test_any_text_either_parses_and_renders_or_is_refused(template: str) -> None:
    errors = template_errors(template)
    assert isinstance(render_template(template, DOC), str)
    assert all(isinstance(error, str) and error for error in errors)
