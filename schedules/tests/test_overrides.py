from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedules.overrides import OverrideSpan, apply_overrides, on_call_at, resolve
from schedules.recurrence import Shift

T0 = datetime(2025, 1, 6, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.mark.parametrize(
    ("base", "overrides", "expected"),
    [
        ({"a"}, [], {"a"}),
        ({"a", "b"}, [OverrideSpan("c", at(0), at(1), replaces="a")], {"b", "c"}),
        ({"b"}, [OverrideSpan("c", at(0), at(1), replaces="a")], {"b"}),
        ({"a", "b"}, [OverrideSpan("c", at(0), at(1))], {"c"}),
        (set(), [OverrideSpan("c", at(0), at(1))], {"c"}),
        ({"a"}, [OverrideSpan("c", at(0), at(1)), OverrideSpan("d", at(0), at(1))], {"c", "d"}),
        (
            {"a"},
            [OverrideSpan("c", at(0), at(1), replaces="a"), OverrideSpan("d", at(0), at(1))],
            {"d"},
        ),
        ({"a"}, [OverrideSpan("a", at(0), at(1), replaces="a")], {"a"}),
    ],
)
def test_resolve(base, overrides, expected):
    assert resolve(base, overrides) == expected


def test_override_is_active_from_start_inclusive_to_end_exclusive():
    override = OverrideSpan("c", at(1), at(2))
    assert on_call_at({"a"}, [override], at(1)) == ["c"]
    assert on_call_at({"a"}, [override], at(2)) == ["a"]
    assert on_call_at({"a"}, [override], at(0.5)) == ["a"]


def test_a_replacing_override_takes_exactly_the_replaced_members_shifts():
    shifts = [Shift("a", at(0), at(8)), Shift("a", at(24), at(32)), Shift("b", at(8), at(16))]
    overrides = [OverrideSpan("c", at(4), at(28), replaces="a")]
    assert apply_overrides(shifts, overrides, at(0), at(48)) == [
        Shift("a", at(0), at(4)),
        Shift("c", at(4), at(8)),
        Shift("b", at(8), at(16)),
        Shift("c", at(24), at(28)),
        Shift("a", at(28), at(32)),
    ]


def test_a_takeover_override_fills_gaps_and_clips_to_the_period():
    shifts = [Shift("a", at(0), at(8))]
    overrides = [OverrideSpan("c", at(-5), at(12))]
    assert apply_overrides(shifts, overrides, at(0), at(10)) == [Shift("c", at(0), at(10))]


def test_without_overrides_shifts_are_unchanged():
    shifts = [Shift("a", at(0), at(8))]
    assert apply_overrides(shifts, [OverrideSpan("c", at(20), at(30))], at(0), at(10)) == shifts


members = st.sampled_from(["a", "b", "c", "d"])
hours = st.integers(min_value=0, max_value=48)


@st.composite
def spans(draw):
    start = draw(hours)
    return start, start + draw(st.integers(min_value=1, max_value=20))


@settings(max_examples=300, deadline=None)
@given(
    shift_spans=st.lists(st.tuples(members, spans()), max_size=8),
    override_spans=st.lists(st.tuples(members, spans(), st.one_of(st.none(), members)), max_size=4),
    probe=st.integers(min_value=0, max_value=70 * 4),
)
def test_rendered_shifts_agree_with_the_point_function(shift_spans, override_spans, probe):
    by_member: dict[str, list[tuple[int, int]]] = {}
    for member, (s, e) in shift_spans:
        by_member.setdefault(member, []).append((s, e))
    shifts = []
    for member, spans_ in by_member.items():  # merge per member, as render_shifts does
        spans_.sort()
        merged = [list(spans_[0])]
        for s, e in spans_[1:]:
            if s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        shifts += [Shift(member, at(s), at(e)) for s, e in merged]
    overrides = [OverrideSpan(m, at(s), at(e), r) for m, (s, e), r in override_spans]
    start, end = at(0), at(70)
    rendered = apply_overrides(shifts, overrides, start, end)
    t = start + timedelta(minutes=15 * probe)
    if t >= end:
        return
    base = {s.member_id for s in shifts if s.start <= t < s.end}
    expected = on_call_at(base, overrides, t)
    assert sorted({s.member_id for s in rendered if s.start <= t < s.end}) == expected
