"""Tests of the pure condition engine (no Django)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rulesets.conditions import (
    CONDITION_TYPES,
    OPERATORS,
    Budget,
    Condition,
    EventView,
    KeyPathError,
    all_hold,
    compile_conditions,
    condition_holds,
    first_value,
    lookup,
    parse_key_path,
    resolve_path,
    validate_conditions,
    value_to_text,
)

SNS_BODY = json.loads(
    r"""{"Type": "Notification", "Subject": "ALARM: \"bucketbytesAlarm\" in EU (Ireland)", "Message": "{\"AlarmName\":\"bucketbytesAlarm\",\"NewStateValue\":\"ALARM\",\"Trigger\":{\"MetricName\":\"BucketSizeBytes\",\"Dimensions\":[{\"value\":\"StandardStorage\",\"name\":\"StorageType\"},{\"value\":\"example-bucket\",\"name\":\"BucketName\"}],\"Period\":86400,\"Threshold\":0.0}}"}"""  # noqa: E501
)

DOC: dict[str, Any] = {
    "products": [{"count": 3, "name": "widget"}, {"count": "10", "name": "gadget"}],
    "alerts": [
        {"status": "firing", "labels": {"severity": "critical", "team": "db"}},
        {"status": "resolved", "labels": {"severity": "warning"}},
    ],
    "data": {"essentials": {"alertId": "/subscriptions/x/alerts/42", "fired": True}},
    "weird key": {"x": 1},
    "odd.name": "dotted",
    "a": [[0, 1], [2, 3]],
    "incident": {"state": "triggered", "urgency": None},
    "flag": True,
    "flag_text": "true",
    "nothing": None,
    "ten_float": 10.0,
    "ten_text": "10.0",
    "huge": 10**400,
    "nan_text": "NaN",
    "inf_text": "Infinity",
    "tags": ["prod", "eu", 5, True, None],
    "unicode": {"clé": "crème brûlée ☕", "日本": "東京"},
    "empty": "",
    "zero": 0,
    "neg": -2.5,
    "obj": {"k": "v", "n": 1},
}


class WorkOnly(Budget):
    """Evaluation's limits on work (values visited, bytes examined) without its clock: these
    tests are about logic, and a busy machine pausing the process must not change their outcome
    (the product's time limit is not relaxed)."""

    __slots__ = ()

    def check_clock(self) -> None:
        pass


def cond(operator: str, key: str, *values: str, ctype: str = "json-check") -> Condition:
    return Condition(ctype, key, operator, tuple(values))


def holds(operator: str, key: str, *values: str, body: Any = None, **kw: Any) -> bool:
    event = EventView(body=DOC if body is None else body, headers=kw.pop("headers", {}))
    return condition_holds(cond(operator, key, *values, **kw), event, WorkOnly())


# --------------------------------------------------------------------------- key paths


@pytest.mark.parametrize(
    ("key", "steps"),
    [
        ("a", (("key", "a"),)),
        ("products[0].count", (("key", "products"), ("index", 0), ("key", "count"))),
        ("alerts[*].labels", (("key", "alerts"), ("any",), ("key", "labels"))),
        ("alerts[-1].status", (("key", "alerts"), ("index", -1), ("key", "status"))),
        ('["weird key"].x', (("key", "weird key"), ("key", "x"))),
        ("['odd.name']", (("key", "odd.name"),)),
        (r'["say \"hi\""]', (("key", 'say "hi"'),)),
        (r"['it\'s']", (("key", "it's"),)),
        (r'["back\\slash"]', (("key", "back\\slash"),)),
        ('[""]', (("key", ""),)),
        ("a[0][1]", (("key", "a"), ("index", 0), ("index", 1))),
        ("[0]", (("index", 0),)),
        ("[*][*]", (("any",), ("any",))),
        ("clé.日本", (("key", "clé"), ("key", "日本"))),
        ("a.0", (("key", "a"), ("key", "0"))),
        ("x-y:z", (("key", "x-y:z"),)),
    ],
)
def test_parse_key_path(key: str, steps: tuple) -> None:
    assert parse_key_path(key) == steps


@pytest.mark.parametrize(
    "key",
    [
        "",
        "a[",
        "a..b",
        "[abc]",
        "a.",
        ".a",
        "a]",
        "a[0",
        "a[0]b",
        "a.[0]",
        '["unterminated',
        "['unterminated\\'",
        '["x"',
        "a b",
        "a[]",
        "a[1.5]",
        "a[ 0]",
        "[" + "9" * 5000 + "]",
    ],
)
def test_parse_key_path_errors(key: str) -> None:
    with pytest.raises(KeyPathError, match=r"position \d+|empty"):
        parse_key_path(key)


def test_key_path_error_is_value_error_and_non_string() -> None:
    assert issubclass(KeyPathError, ValueError)
    with pytest.raises(KeyPathError):
        parse_key_path(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- lookup


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("products[0].count", [3]),
        ("products[*].count", [3, "10"]),
        ("alerts[*].labels.severity", ["critical", "warning"]),
        ("alerts[-1].status", ["resolved"]),
        ("alerts[-2].status", ["firing"]),
        ("alerts[-3].status", []),
        ("alerts[2].status", []),
        ("alerts[*].labels.team", ["db"]),
        ("data.essentials.alertId", ["/subscriptions/x/alerts/42"]),
        ('["weird key"].x', [1]),
        ("['odd.name']", ["dotted"]),
        ("odd.name", []),
        ("a[0][1]", [1]),
        ("a[*][*]", [0, 1, 2, 3]),
        ("incident.state", ["triggered"]),
        ("incident.urgency", [None]),
        ("obj[*]", ["v", 1]),
        ("obj[0]", []),
        ("a.0", []),
        ("missing", []),
        ("missing.deeper[0]", []),
        ("incident.state.x", []),
        ("flag.x", []),
        ("unicode.clé", ["crème brûlée ☕"]),
        ('unicode["日本"]', ["東京"]),
        ("a[", []),
    ],
)
def test_lookup(key: str, expected: list) -> None:
    assert lookup(DOC, key) == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("Message.NewStateValue", ["ALARM"]),
        ("Message.Trigger.Dimensions[0].value", ["StandardStorage"]),
        ("Message.Trigger.Dimensions[*].name", ["StorageType", "BucketName"]),
        ("Message.Trigger.Threshold", [0.0]),
        ("Message.Trigger.Period", [86400]),
        ("Subject.x", []),
        ("Type", ["Notification"]),
    ],
)
def test_lookup_embedded_json(key: str, expected: list) -> None:
    assert lookup(SNS_BODY, key) == expected


def test_lookup_string_root_document() -> None:
    assert lookup("plain text body", "a") == []
    assert lookup('{"a": {"b": 1}}', "a.b") == [1]
    assert lookup(" [1, 2] ", "[1]") == [2]
    assert lookup("{not json", "a") == []
    assert lookup(None, "a") == []
    assert lookup(b'{"a": 1}', "a") == []


def test_lookup_message_itself_stays_a_string() -> None:
    assert isinstance(first_value(SNS_BODY, "Message"), str)


def test_deep_nesting_is_safe() -> None:
    deep: Any = "leaf"
    for _ in range(10_000):
        deep = [deep]
    steps = (("index", 0),) * 10_000
    assert resolve_path(deep, steps) == ["leaf"]
    assert lookup(deep, "[0]" * 10_000) == ["leaf"]
    assert lookup(deep, "[*]" * 9_999 + "[1]") == []
    event = EventView(body={"d": deep})
    for operator in OPERATORS:
        values = () if operator in ("exists", "not-exists") else ("1",)
        condition_holds(Condition("json-check", "d", operator, values), event, WorkOnly())
    assert isinstance(value_to_text(deep), str)


def test_deeply_nested_embedded_json_string() -> None:
    body = {"m": "[" * 100_000 + "]" * 100_000}
    assert lookup(body, "m[0]") == []
    assert holds("not-exists", "m[0]", body=body)
    assert holds("exists", "m", body=body)


def test_first_value() -> None:
    assert first_value(DOC, "alerts[*].status") == "firing"
    assert first_value(DOC, "missing") is None
    assert first_value(DOC, "a..b") is None
    assert first_value(DOC, "products[1].count") == "10"


# --------------------------------------------------------------------------- operators


@pytest.mark.parametrize(
    ("operator", "key", "values", "expected"),
    [
        # equal: strings, numbers, bool/null spelling
        ("equal", "incident.state", ["triggered"], True),
        ("equal", "incident.state", ["Triggered"], False),
        ("equal", "incident.state", ["x", "triggered"], True),
        ("equal", "products[1].count", ["10"], True),
        ("equal", "products[1].count", ["10.0"], True),
        ("equal", "products[1].count", ["1e1"], True),
        ("equal", "ten_float", ["10"], True),
        ("equal", "ten_text", ["10"], True),
        ("equal", "ten_text", [" 10 "], True),
        ("equal", "products[0].count", ["3.000"], True),
        ("equal", "zero", ["-0"], True),
        ("equal", "neg", ["-2.50"], True),
        ("equal", "huge", ["1" + "0" * 400], True),
        ("equal", "huge", ["1e400"], True),
        ("equal", "huge", ["1e399"], False),
        ("equal", "nan_text", ["NaN"], True),
        ("equal", "nan_text", ["nan"], False),
        ("equal", "inf_text", ["Infinity"], True),
        ("equal", "flag", ["true"], True),
        ("equal", "flag", ["True"], False),
        ("equal", "flag", ["1"], False),
        ("equal", "flag_text", ["true"], True),
        ("equal", "nothing", ["null"], True),
        ("equal", "nothing", [""], False),
        ("equal", "empty", [""], True),
        ("equal", "missing", ["null"], False),
        ("equal", "missing", [""], False),
        ("equal", "obj", ['{"k":"v","n":1}'], True),
        ("equal", "unicode.clé", ["crème brûlée ☕"], True),
        ("equal", "alerts[*].labels.severity", ["warning"], True),
        ("equal", "alerts[*].labels.severity", ["info"], False),
        # not-equal: all semantics
        ("not-equal", "incident.state", ["resolved"], True),
        ("not-equal", "incident.state", ["triggered"], False),
        ("not-equal", "incident.state", ["resolved", "triggered"], False),
        ("not-equal", "alerts[*].labels.severity", ["info"], True),
        ("not-equal", "alerts[*].labels.severity", ["warning"], False),
        ("not-equal", "alerts[*].labels.severity", ["critical"], False),
        ("not-equal", "ten_float", ["10.00"], False),
        ("not-equal", "missing", ["x"], True),
        ("not-equal", "flag", ["false"], True),
        # contains
        ("contains", "incident.state", ["trig"], True),
        ("contains", "incident.state", ["TRIG"], False),
        ("contains", "tags", ["eu"], True),
        ("contains", "tags", ["e"], False),
        ("contains", "tags", ["5.0"], True),
        ("contains", "tags", ["true"], True),
        ("contains", "tags", ["null"], True),
        ("contains", "huge", ["000"], True),
        ("contains", "obj", ['"k":"v"'], True),
        ("contains", "missing", ["x"], False),
        ("contains", "unicode.日本", ["東"], True),
        ("contains", "Message", ["BucketName"], True),
        ("not-contains", "tags", ["us"], True),
        ("not-contains", "tags", ["us", "prod"], False),
        ("not-contains", "alerts[*].status", ["fir"], False),
        ("not-contains", "alerts[*].status", ["pending"], True),
        ("not-contains", "missing", ["x"], True),
        # starts-with / ends-with
        ("starts-with", "data.essentials.alertId", ["/subscriptions/"], True),
        ("starts-with", "data.essentials.alertId", ["subscriptions"], False),
        ("ends-with", "data.essentials.alertId", ["/42"], True),
        ("starts-with", "ten_float", ["10."], True),
        ("ends-with", "flag", ["ue"], True),
        ("starts-with", "tags", ['["prod"'], True),
        ("starts-with", "missing", [""], False),
        ("ends-with", "alerts[*].status", ["ed"], True),
        # regex
        ("regex", "incident.state", ["^trig"], True),
        ("regex", "incident.state", ["^TRIG"], False),
        ("regex", "incident.state", ["(?i)^TRIG"], True),
        ("regex", "incident.state", ["gered$"], True),
        ("regex", "products[0].count", [r"^\d$"], True),
        ("regex", "nothing", ["^null$"], True),
        ("regex", "missing", [".*"], False),
        ("regex", "alerts[*].status", ["^res"], True),
        # numeric comparisons
        ("greater-than", "products[0].count", ["2"], True),
        ("greater-than", "products[0].count", ["3"], False),
        ("greater-or-equal", "products[0].count", ["3"], True),
        ("less-than", "products[1].count", ["10.5"], True),
        ("less-or-equal", "products[1].count", ["9.99"], False),
        ("greater-than", "huge", ["1e399"], True),
        ("less-than", "neg", ["-2"], True),
        ("greater-than", "products[*].count", ["5"], True),
        ("less-than", "products[*].count", ["1"], False),
        ("greater-than", "flag", ["0"], False),
        ("less-than", "flag", ["2"], False),
        ("greater-than", "nothing", ["-1"], False),
        ("greater-than", "incident.state", ["0"], False),
        ("greater-than", "nan_text", ["0"], False),
        ("less-than", "inf_text", ["0"], False),
        ("greater-than", "inf_text", ["0"], False),
        ("greater-than", "missing", ["0"], False),
        ("greater-than", "tags", ["0"], False),
        # exists / not-exists
        ("exists", "incident.state", [], True),
        ("exists", "incident.urgency", [], True),
        ("exists", "missing", [], False),
        ("exists", "alerts[*].labels.team", [], True),
        ("exists", "alerts[*].labels.owner", [], False),
        ("not-exists", "missing", [], True),
        ("not-exists", "incident.urgency", [], False),
        ("not-exists", "alerts[5]", [], True),
    ],
)
def test_operators(operator: str, key: str, values: list[str], expected: bool) -> None:
    body = {**DOC, "Message": SNS_BODY["Message"]}
    assert holds(operator, key, *values, body=body) is expected


@pytest.mark.parametrize(
    ("operator", "key", "values", "expected"),
    [
        ("equal", "Message.NewStateValue", ["ALARM"], True),
        ("regex", "Message.NewStateValue", ["^ALARM$"], True),
        ("regex", "Subject", ["^ALARM$"], False),
        ("regex", "Subject", ["^ALARM"], True),
        ("equal", "Message.Trigger.Dimensions[*].name", ["BucketName"], True),
        ("equal", "Message.Trigger.Dimensions[-1].value", ["example-bucket"], True),
        ("equal", "Message.Trigger.Threshold", ["0"], True),
        ("equal", "Message.Trigger.Period", ["86400.0"], True),
        ("greater-than", "Message.Trigger.Period", ["3600"], True),
        ("not-equal", "Message.Trigger.Dimensions[*].name", ["Other"], True),
        ("not-equal", "Message.Trigger.Dimensions[*].name", ["StorageType"], False),
        ("exists", "Message.Trigger.MetricName", [], True),
        ("not-exists", "Message.Trigger.Missing", [], True),
        ("equal", "Type", ["Notification"], True),
    ],
)
def test_sns_embedded_json(operator: str, key: str, values: list[str], expected: bool) -> None:
    assert holds(operator, key, *values, body=SNS_BODY) is expected


def test_sns_raw_text_body() -> None:
    raw = json.dumps(SNS_BODY)
    assert holds("equal", "Message.NewStateValue", "ALARM", body=raw)


def test_plain_string_body() -> None:
    event = EventView(body="server down", headers={})
    assert not condition_holds(cond("equal", "a", "server down"), event)
    assert condition_holds(cond("not-exists", "a"), event)
    assert condition_holds(cond("not-equal", "a", "x"), event)


def test_empty_body() -> None:
    event = EventView(body=None, headers={})
    assert not condition_holds(cond("exists", "a"), event)
    assert condition_holds(cond("not-exists", "a"), event)


@pytest.mark.parametrize(
    ("operator", "key", "values", "expected"),
    [
        ("equal", "x-github-event", ["push"], True),
        ("equal", "X-GITHUB-EVENT", ["push"], True),
        ("equal", "X-GitHub-Event", ["Push"], False),
        ("starts-with", "content-type", ["application/json"], True),
        ("exists", "x-signature", [], True),
        ("exists", "x-missing", [], False),
        ("not-exists", "x-missing", [], True),
        ("not-equal", "x-missing", ["a"], True),
        ("equal", "x-count", ["10"], True),
        ("greater-than", "x-count", ["9"], True),
        ("regex", "x-signature", ["^sha256=[0-9a-f]+$"], True),
        ("equal", "x.dotted", ["yes"], True),
    ],
)
def test_header_check(operator: str, key: str, values: list[str], expected: bool) -> None:
    headers = {
        "X-GitHub-Event": "push",
        "Content-Type": "application/json; charset=utf-8",
        "X-Signature": "sha256=abc123",
        "X-Count": "10.0",
        "X.Dotted": "yes",
    }
    assert holds(operator, key, *values, ctype="header-check", headers=headers) is expected


def test_header_check_ignores_body_and_odd_headers() -> None:
    condition = cond("exists", "a", ctype="header-check")
    assert not condition_holds(condition, EventView(body={"a": 1}, headers={}))
    odd = EventView(body=None, headers=None)  # type: ignore[arg-type]
    assert not condition_holds(condition, odd)
    assert condition_holds(cond("not-exists", "a", ctype="header-check"), odd)


def test_all_hold() -> None:
    conditions = compile_conditions(
        [
            {"type": "json-check", "key": "Type", "operator": "equal", "values": ["Notification"]},
            {
                "type": "json-check",
                "key": "Message.NewStateValue",
                "operator": "regex",
                "values": ["^ALARM$"],
            },
            {"type": "header-check", "key": "x-amz-sns-message-type", "operator": "exists"},
        ]
    )
    headers = {"X-Amz-Sns-Message-Type": "Notification"}
    assert all_hold(conditions, EventView(body=SNS_BODY, headers=headers))
    assert not all_hold(conditions, EventView(body=SNS_BODY, headers={}))
    assert not all_hold(conditions, EventView(body={"Type": "Notification"}, headers=headers))
    assert all_hold((), EventView(body=None, headers={}))


# --------------------------------------------------------------------------- compile


def test_compile_conditions() -> None:
    (compiled,) = compile_conditions(
        [{"type": "json-check", "key": "a[0]", "operator": "regex", "values": ["^x"]}]
    )
    assert compiled.steps == (("key", "a"), ("index", 0))
    assert compiled.values == ("^x",)
    assert compiled.patterns[0] is not None
    (exists,) = compile_conditions([{"type": "json-check", "key": "a", "operator": "exists"}])
    assert exists.values == ()
    assert compile_conditions([]) == ()


@pytest.mark.parametrize(
    "conditions",
    [
        None,
        [{"type": "json-check", "key": "a[", "operator": "equal", "values": ["x"]}],
        [{"type": "json-check", "key": "a", "operator": "regex", "values": ["("]}],
        [{"type": "json-check", "key": "a", "operator": "nope", "values": ["x"]}],
        [{"type": "json-check", "key": "a", "operator": "equal"}],
    ],
)
def test_compile_conditions_rejects_invalid(conditions: Any) -> None:
    with pytest.raises(ValueError):
        compile_conditions(conditions)


def test_condition_constructor_validates() -> None:
    with pytest.raises(ValueError):
        Condition("json-check", "a..b", "equal", ("x",))
    with pytest.raises(ValueError):
        Condition("json-check", "a", "equal", "abc")  # type: ignore[arg-type]
    assert Condition("json-check", "a", "equal", ["x"]).values == ("x",)  # type: ignore[arg-type]
    assert Condition("json-check", "a", "equal", ("x",)) == Condition(
        "json-check", "a", "equal", ("x",)
    )


# --------------------------------------------------------------------------- validation


def ok(**overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "json-check",
        "key": "a.b",
        "operator": "equal",
        "values": ["x"],
    }
    item.update(overrides)
    return {k: v for k, v in item.items() if v is not ...}


@pytest.mark.parametrize(
    "conditions",
    [
        [],
        [ok()],
        [ok(operator="exists", values=...)],
        [ok(operator="not-exists", values=[])],
        [ok(operator="regex", values=["^ALARM$", "(?i)ok"])],
        [ok(type="header-check", key="X-Thing")],
        [ok(type="header-check", key="x.y[0")],
        [ok(operator="greater-than", values=["1.5e3"])],
        [ok(values=[""])],
        [ok(key="k" * 500)],
        [ok(values=["v" * 1000] * 100)],
        [ok()] * 100,
        [ok(extra="ignored")],
    ],
)
def test_validate_conditions_valid(conditions: Any) -> None:
    assert validate_conditions(conditions) == {}


@pytest.mark.parametrize(
    ("conditions", "field", "fragment"),
    [
        (None, "conditions", "expected a list"),
        ("str", "conditions", "expected a list"),
        ({"type": "json-check"}, "conditions", "expected a list"),
        ([1], "conditions.0", "expected an object"),
        ([ok(), None], "conditions.1", "expected an object"),
        ([{"type": 1}], "conditions.0.type", "expected a string"),
        ([{"type": 1}], "conditions.0.operator", "required"),
        ([{"type": 1}], "conditions.0.key", "required"),
        ([ok(type="xml-check")], "conditions.0.type", "unknown type 'xml-check'"),
        ([ok(type="x" * 5000)], "conditions.0.type", "unknown type"),
        ([ok(operator="foo")], "conditions.0.operator", "unknown operator 'foo'; expected one of"),
        ([ok(operator=None)], "conditions.0.operator", "expected a string"),
        ([ok(key=3)], "conditions.0.key", "expected a string"),
        ([ok(key="")], "conditions.0.key", "must not be empty"),
        ([ok(type="header-check", key=" ")], "conditions.0.key", "must not be empty"),
        ([ok(key="a[")], "conditions.0.key", "invalid key path"),
        ([ok(key="a..b")], "conditions.0.key", "invalid key path"),
        ([ok(key="[abc]")], "conditions.0.key", "invalid key path"),
        ([ok(key="a.")], "conditions.0.key", "invalid key path"),
        ([ok(key='["x')], "conditions.0.key", "unterminated"),
        ([ok(key="k" * 501)], "conditions.0.key", "at most 500"),
        ([ok(operator="regex", values=["ok", "("])], "conditions.0.values.1", "invalid regex"),
        ([ok(operator="regex", values=["[z-a]"])], "conditions.0.values.0", "invalid regex"),
        ([ok(values=[1])], "conditions.0.values.0", "expected a string"),
        ([ok(values=["a", None])], "conditions.0.values.1", "expected a string"),
        ([ok(values="x")], "conditions.0.values", "expected a list"),
        ([ok(values=None)], "conditions.0.values", "expected a list"),
        ([ok(values=[])], "conditions.0.values", "at least one value"),
        ([ok(values=...)], "conditions.0.values", "at least one value"),
        ([ok(operator="exists", values=["x"])], "conditions.0.values", "must be empty"),
        ([ok(values=["v" * 1001])], "conditions.0.values.0", "at most 1000"),
        ([ok(values=["v"] * 101)], "conditions.0.values", "at most 100"),
        ([ok()] * 101, "conditions", "at most 100"),
        ([ok(operator="less-than", values=["ten"])], "conditions.0.values.0", "expected a number"),
        ([ok(operator="greater-than", values=["NaN"])], "conditions.0.values.0", "number"),
        ([ok(values=[[[["deep"]]]])], "conditions.0.values.0", "expected a string"),
    ],
)
def test_validate_conditions_errors(conditions: Any, field: str, fragment: str) -> None:
    errors = validate_conditions(conditions)
    assert field in errors, errors
    assert any(fragment in message for message in errors[field]), errors


@pytest.mark.parametrize(
    "pattern", ["(?=x)", "(?!x)", "(?<=a)b", "(?<!a)b", r"(a)\1", r"(?P<n>a)(?P=n)", "a{1001}"]
)
def test_patterns_re2_cannot_match_in_linear_time_are_refused(pattern: str) -> None:
    errors = validate_conditions([ok(operator="regex", values=["^ok$", pattern])])
    assert list(errors) == ["conditions.0.values.1"]
    assert errors["conditions.0.values.1"][0].startswith("invalid regex (RE2 syntax): ")


def test_a_catastrophic_pattern_for_backtracking_matches_in_linear_time() -> None:
    # Python's re backtracks for minutes on this; RE2 reads the text once.
    condition = cond("regex", "msg", "(a+)+$")
    assert not condition_holds(condition, EventView(body={"msg": "a" * 50_000 + "!"}), WorkOnly())
    assert condition_holds(condition, EventView(body={"msg": "a" * 50_000}), WorkOnly())


def test_regex_reads_text_with_lone_surrogates_and_non_ascii() -> None:
    assert holds("regex", "k", "^é.$", body={"k": "é\ud800"})
    assert holds("regex", "k", "(?i)CRÈME", body={"k": "crème"})


def test_validate_conditions_custom_field_and_multiple_errors() -> None:
    errors = validate_conditions(
        [ok(), ok(operator="foo", key="a..b"), ok(operator="regex", values=["("])],
        field="rules.3.conditions",
    )
    assert set(errors) == {
        "rules.3.conditions.1.operator",
        "rules.3.conditions.1.key",
        "rules.3.conditions.2.values.0",
    }
    assert all(isinstance(m, list) and all(isinstance(s, str) for s in m) for m in errors.values())


def test_validate_deeply_nested_garbage() -> None:
    deep: Any = []
    for _ in range(10_000):
        deep = [deep]
    assert validate_conditions(deep) == {"conditions.0": ["expected an object"]}
    errors = validate_conditions([ok(values=deep, key=deep, type=deep)])
    assert errors["conditions.0.values.0"] == ["expected a string"]
    assert errors["conditions.0.key"] == ["expected a string"]


# --------------------------------------------------------------------------- text & templates


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("abc", "abc"),
        ("", ""),
        (10, "10"),
        (10.0, "10.0"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        ([1, "a", None], '[1,"a",null]'),
        ({"k": "é"}, '{"k":"é"}'),
        (10**400, "1" + "0" * 400),
    ],
)
def test_value_to_text(value: Any, text: str) -> None:
    assert value_to_text(value) == text


def test_value_to_text_odd_objects() -> None:
    assert isinstance(value_to_text(object()), str)
    assert isinstance(value_to_text({1, 2}), str)
    assert isinstance(value_to_text(10**5000), str)


# --------------------------------------------------------------------------- properties

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)
key_chars = st.sampled_from(list("ab.[]*\"'\\0-1 é"))
keys = st.one_of(
    st.text(key_chars, max_size=12),
    st.text(max_size=12),
    st.sampled_from(["a", "a.b", "a[0]", "a[*]", "[*]", "[-1]", "a[*].b", '["a b"]']),
)
value_lists = st.lists(
    st.text(max_size=10) | st.sampled_from(["1", "1.0", "true", "null"]), max_size=3
)
documents = json_values | st.dictionaries(st.sampled_from(["a", "b", "a b"]), json_values)
headers = st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=4)


def try_condition(ctype: str, key: str, operator: str, values: list[str]) -> Condition | None:
    if operator in ("exists", "not-exists"):
        values = []
    elif not values:
        values = ["x"]
    try:
        return Condition(ctype, key, operator, tuple(values))
    except ValueError:
        return None


@settings(max_examples=300, deadline=None)
@given(
    documents,
    keys,
    st.sampled_from(OPERATORS),
    value_lists,
    st.sampled_from(CONDITION_TYPES),
    headers,
)
def test_evaluation_never_raises(
    document: Any, key: str, operator: str, values: list[str], ctype: str, hdrs: dict
) -> None:
    assert isinstance(lookup(document, key), list)
    first_value(document, key)
    assert isinstance(value_to_text(document), str)
    condition = try_condition(ctype, key, operator, values)
    if condition is not None:
        for body in (document, json.dumps(document), None, "text"):
            event = EventView(body=body, headers=hdrs)
            assert isinstance(condition_holds(condition, event, WorkOnly()), bool)
            assert isinstance(all_hold((condition,), event, WorkOnly()), bool)


@settings(max_examples=300, deadline=None)
@given(
    json_values,
    st.lists(st.text(max_size=6) | st.sampled_from(["0", "1e0", "true"]), min_size=1, max_size=3),
)
def test_negations_are_complements(value: Any, values: list[str]) -> None:
    event = EventView(body={"k": value, "l": [value, value]}, headers={})
    for key in ("k", "l[*]", "missing", "l"):
        for positive, negative in (("equal", "not-equal"), ("contains", "not-contains")):
            pos = condition_holds(cond(positive, key, *values), event, WorkOnly())
            neg = condition_holds(cond(negative, key, *values), event, WorkOnly())
            assert pos is not neg
        assert condition_holds(cond("exists", key), event, WorkOnly()) is not condition_holds(
            cond("not-exists", key), event, WorkOnly()
        )


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_single_value_equals_itself(value: Any) -> None:
    event = EventView(body={"k": value}, headers={})
    text = value_to_text(value)
    assert condition_holds(cond("equal", "k", text), event, WorkOnly())
    assert not condition_holds(cond("not-equal", "k", text), event, WorkOnly())
    assert condition_holds(cond("exists", "k"), event, WorkOnly())


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_validate_never_raises(data: Any) -> None:
    result = validate_conditions(data)
    assert isinstance(result, dict)
    wrapped = validate_conditions(
        [data, {"type": data, "key": data, "operator": data, "values": data}]
    )
    assert isinstance(wrapped, dict) and wrapped


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_parse_key_path_only_raises_key_path_error(key: str) -> None:
    try:
        steps = parse_key_path(key)
    except KeyPathError:
        return
    assert steps and isinstance(steps, tuple)
