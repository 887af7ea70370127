"""The rotation engine and the final schedule (pure Python, no database)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedules.layers import ENTRY, OVERRIDE, final_shifts, on_call_at
from schedules.overrides import OverrideSpan
from schedules.recurrence import Rule, is_active, render_shifts
from schedules.rotations import (
    CUSTOM,
    DAILY,
    WEEKLY,
    Restriction,
    Rotation,
    Span,
    Version,
    member_at,
    parse_handoff,
    render,
    shift_bounds,
    validate_rotation_fields,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
H = 3600


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def version(length=WEEKLY, handoff="2025-01-06T09:00", zone=BERLIN, people="ABCD", **kw):
    return Version(
        participants=tuple(people),
        shift_length=length,
        handoff=datetime.fromisoformat(handoff),
        zone=zone,
        **kw,
    )


def spans(rotation, start, end):
    return [(s.member_id, s.start, s.end) for s in render(rotation, utc(start), utc(end))]


# --------------------------------------------------------------------------- DST tables


@pytest.mark.parametrize(
    ("zone", "length", "handoff", "k", "start", "hours"),
    [
        # Europe/Berlin: 2025-03-30 02:00 -> 03:00; 2025-10-26 03:00 -> 02:00.
        (BERLIN, WEEKLY, "2025-03-24T09:00", 0, "2025-03-24T08:00", 167),
        (BERLIN, WEEKLY, "2025-03-24T09:00", 1, "2025-03-31T07:00", 168),
        (BERLIN, WEEKLY, "2025-10-20T09:00", 0, "2025-10-20T07:00", 169),
        (BERLIN, WEEKLY, "2025-10-20T09:00", 1, "2025-10-27T08:00", 168),
        (BERLIN, DAILY, "2025-03-29T09:00", 0, "2025-03-29T08:00", 23),
        (BERLIN, DAILY, "2025-03-29T09:00", 1, "2025-03-30T07:00", 24),
        (BERLIN, DAILY, "2025-10-25T09:00", 0, "2025-10-25T07:00", 25),
        # A handoff at a time that does not exist that day moves on by the jump (02:30 -> 03:30).
        (BERLIN, DAILY, "2025-03-29T02:30", 1, "2025-03-30T01:30", 23),
        # ... and at a repeated one takes its first pass.
        (BERLIN, DAILY, "2025-10-25T02:30", 1, "2025-10-26T00:30", 25),
        # America/New_York: 2025-03-09 02:00 -> 03:00; 2025-11-02 02:00 -> 01:00.
        (NEW_YORK, DAILY, "2025-03-08T09:00", 0, "2025-03-08T14:00", 23),
        (NEW_YORK, DAILY, "2025-03-08T09:00", 1, "2025-03-09T13:00", 24),
        (NEW_YORK, WEEKLY, "2025-03-03T09:00", 0, "2025-03-03T14:00", 167),
        (NEW_YORK, WEEKLY, "2025-10-27T09:00", 0, "2025-10-27T13:00", 169),
        (NEW_YORK, DAILY, "2025-11-01T09:00", 1, "2025-11-02T14:00", 24),
        # Australia/Sydney: 2025-04-06 03:00 -> 02:00 (ends); 2025-10-05 02:00 -> 03:00 (starts).
        (SYDNEY, DAILY, "2025-04-05T09:00", 0, "2025-04-04T22:00", 25),
        (SYDNEY, DAILY, "2025-10-04T09:00", 0, "2025-10-03T23:00", 23),
        (SYDNEY, WEEKLY, "2025-03-31T09:00", 0, "2025-03-30T22:00", 169),
        (SYDNEY, WEEKLY, "2025-09-29T09:00", 0, "2025-09-28T23:00", 167),
    ],
)
def test_daily_and_weekly_handoffs_keep_their_wall_clock_time_across_dst(
    zone, length, handoff, k, start, hours
):
    v = version(length, handoff, zone)
    assert shift_bounds(v, k) == utc(start)
    assert shift_bounds(v, k + 1) - shift_bounds(v, k) == timedelta(hours=hours)
    local = shift_bounds(v, k + 1).astimezone(zone)
    assert (local.hour, local.minute) in {(9, 0), (3, 30), (2, 30)}


def test_a_weekly_rotation_hands_off_at_nine_berlin_all_year_in_turn():
    rotation = Rotation("r", [version(WEEKLY, "2025-01-06T09:00")])
    found = render(rotation, utc("2025-01-06T00:00"), utc("2026-01-05T00:00"))
    assert len(found) == 52
    for k, span in enumerate(found):
        assert span.member_id == "ABCD"[k % 4]
        assert span.start.astimezone(BERLIN).strftime("%a %H:%M") == "Mon 09:00"
        assert span.layer == 1 and span.source == "r"


def test_a_36_hour_custom_shift_steps_in_elapsed_hours_across_dst():
    rotation = Rotation("r", [version(CUSTOM, "2025-03-29T09:00", shift_hours=36, people="AB")])
    assert spans(rotation, "2025-03-29T00:00", "2025-04-02T00:00") == [
        ("A", utc("2025-03-29T08:00"), utc("2025-03-30T20:00")),
        ("B", utc("2025-03-30T20:00"), utc("2025-04-01T08:00")),
        ("A", utc("2025-04-01T08:00"), utc("2025-04-02T00:00")),
    ]
    # 2025-04-01 08:00 UTC is 10:00 in Berlin: elapsed hours, not wall-clock ones.
    assert utc("2025-04-01T08:00").astimezone(BERLIN).hour == 10


def test_nothing_before_the_first_handoff_nor_from_the_end():
    rotation = Rotation("r", [version(DAILY, "2025-01-06T09:00", end=utc("2025-01-08T12:00"))])
    assert spans(rotation, "2025-01-05T00:00", "2025-01-10T00:00") == [
        ("A", utc("2025-01-06T08:00"), utc("2025-01-07T08:00")),
        ("B", utc("2025-01-07T08:00"), utc("2025-01-08T08:00")),
        ("C", utc("2025-01-08T08:00"), utc("2025-01-08T12:00")),
    ]
    assert member_at(rotation, utc("2025-01-06T07:59:59")) is None
    assert member_at(rotation, utc("2025-01-08T12:00")) is None


# --------------------------------------------------------------------------- restrictions


def test_a_restriction_cuts_a_shift_in_two():
    lunch_break = (
        Restriction(frozenset(), 9 * H, 12 * H),
        Restriction(frozenset(), 13 * H, 17 * H),
    )
    rotation = Rotation(
        "r", [version(DAILY, "2025-01-06T00:00", people="AB", restrictions=lunch_break)]
    )
    assert spans(rotation, "2025-01-06T00:00", "2025-01-07T00:00") == [
        ("A", utc("2025-01-06T08:00"), utc("2025-01-06T11:00")),
        ("A", utc("2025-01-06T12:00"), utc("2025-01-06T16:00")),
    ]


def test_weekday_nights_are_owned_by_their_start_day():
    nights = (Restriction(frozenset({1, 2, 3, 4, 5}), 18 * H, 8 * H),)
    rotation = Rotation("r", [version(WEEKLY, "2025-01-06T09:00", restrictions=nights)])
    found = spans(rotation, "2025-01-06T00:00", "2025-01-13T09:00")
    # Monday to Friday nights, the last one ending Saturday 08:00; none Saturday or Sunday.
    assert [
        (s.astimezone(BERLIN).strftime("%a %H"), e.astimezone(BERLIN).strftime("%a %H"))
        for _, s, e in found
    ] == [
        ("Mon 18", "Tue 08"),
        ("Tue 18", "Wed 08"),
        ("Wed 18", "Thu 08"),
        ("Thu 18", "Fri 08"),
        ("Fri 18", "Sat 08"),
    ]
    assert {m for m, _, _ in found} == {"A"}
    assert member_at(rotation, utc("2025-01-11T12:00")) is None
    assert member_at(rotation, utc("2025-01-10T20:00")) == ("A", 1)


# --------------------------------------------------------------------------- versions


def test_a_participant_change_leaves_the_past_untouched():
    first = version(WEEKLY, "2025-01-06T09:00", people="AB")
    changed = version(
        WEEKLY, "2025-01-06T09:00", people="CA", effective_from=utc("2025-01-15T12:00")
    )
    before = spans(Rotation("r", [first]), "2025-01-06T00:00", "2025-01-15T12:00")
    rotation = Rotation("r", [first, changed])
    assert spans(rotation, "2025-01-06T00:00", "2025-01-15T12:00") == before
    # Shift 1 (from 2025-01-13) keeps its boundaries: B until the change, then A (1 mod 2).
    assert spans(rotation, "2025-01-13T08:00", "2025-01-27T08:00") == [
        ("B", utc("2025-01-13T08:00"), utc("2025-01-15T12:00")),
        ("A", utc("2025-01-15T12:00"), utc("2025-01-20T08:00")),
        ("C", utc("2025-01-20T08:00"), utc("2025-01-27T08:00")),
    ]


def test_an_ended_rotation_keeps_its_past():
    rotation = Rotation("r", [version(DAILY, "2025-01-06T09:00")], ended_at=utc("2025-01-07T10:00"))
    assert spans(rotation, "2025-01-06T00:00", "2025-01-09T00:00") == [
        ("A", utc("2025-01-06T08:00"), utc("2025-01-07T08:00")),
        ("B", utc("2025-01-07T08:00"), utc("2025-01-07T10:00")),
    ]


# --------------------------------------------------------------------------- layers


def test_a_higher_layer_wins_and_a_lower_one_fills_its_gaps():
    days = (Restriction(frozenset({1, 2, 3, 4, 5}), 9 * H, 17 * H),)
    primary = Rotation("primary", [version(DAILY, people="AB", layer=2, restrictions=days)])
    backup = Rotation("backup", [version(WEEKLY, people="X", layer=1)])
    start, end = utc("2025-01-06T00:00"), utc("2025-01-08T00:00")
    entries = [Span("E", utc("2025-01-05T00:00"), utc("2025-01-10T00:00"), 0, ENTRY)]
    final = final_shifts(
        [*render(primary, start, end), *render(backup, start, end), *entries], [], start, end
    )
    assert [(s.member_id, s.start, s.end, s.source) for s in final] == [
        ("E", utc("2025-01-06T00:00"), utc("2025-01-06T08:00"), ENTRY),
        ("A", utc("2025-01-06T08:00"), utc("2025-01-06T16:00"), "primary"),
        ("X", utc("2025-01-06T16:00"), utc("2025-01-07T08:00"), "backup"),
        ("B", utc("2025-01-07T08:00"), utc("2025-01-07T16:00"), "primary"),
        ("X", utc("2025-01-07T16:00"), utc("2025-01-08T00:00"), "backup"),
    ]


def test_overrides_apply_over_every_layer_and_say_so():
    rotation = Rotation("r", [version(DAILY, "2025-01-06T00:00", zone=UTC, people="A")])
    start, end = utc("2025-01-06T00:00"), utc("2025-01-06T12:00")
    cover = OverrideSpan("C", utc("2025-01-06T04:00"), utc("2025-01-06T06:00"), replaces="A")
    final = final_shifts(render(rotation, start, end), [cover], start, end)
    assert [(s.member_id, s.start.hour, s.end.hour, s.source) for s in final] == [
        ("A", 0, 4, "r"),
        ("C", 4, 6, OVERRIDE),
        ("A", 6, 12, "r"),
    ]


# --------------------------------------------------------------------------- property


ZONES = [BERLIN, NEW_YORK, SYDNEY, ZoneInfo("UTC"), ZoneInfo("Asia/Kolkata")]


@st.composite
def schedules(draw):
    base = datetime(2025, 3, 1) + timedelta(minutes=15 * draw(st.integers(0, 4 * 24 * 300)))
    rotations = []
    for i in range(draw(st.integers(0, 3))):
        length = draw(st.sampled_from([DAILY, WEEKLY, CUSTOM]))
        restrictions = tuple(
            Restriction(
                frozenset(draw(st.lists(st.integers(0, 6), max_size=3))),
                draw(st.integers(0, 95)) * 900,
                draw(st.integers(0, 95)) * 900,
            )
            for _ in range(draw(st.integers(0, 2)))
        )
        first = Version(
            participants=tuple(draw(st.lists(st.sampled_from("ABCD"), min_size=1, max_size=4))),
            shift_length=length,
            shift_hours=draw(st.integers(1, 60)) if length == CUSTOM else None,
            handoff=base + timedelta(hours=draw(st.integers(-400, 400))),
            zone=draw(st.sampled_from(ZONES)),
            layer=draw(st.integers(1, 3)),
            restrictions=restrictions,
        )
        versions = [first]
        if draw(st.booleans()):
            when = first.handoff.replace(tzinfo=UTC) + timedelta(hours=draw(st.integers(0, 500)))
            versions.append(
                Version(
                    participants=tuple(draw(st.lists(st.sampled_from("ABCDE"), min_size=1))),
                    shift_length=first.shift_length,
                    shift_hours=first.shift_hours,
                    handoff=first.handoff,
                    zone=first.zone,
                    layer=draw(st.integers(1, 3)),
                    effective_from=when,
                )
            )
        rotations.append(Rotation(f"r{i}", versions))
    entries = [
        (
            draw(st.sampled_from("ABCDEF")),
            Rule(
                week_days=frozenset(draw(st.lists(st.integers(0, 6), min_size=1, max_size=7))),
                start_time=draw(st.integers(0, 95)) * 900,
                end_time=draw(st.integers(0, 95)) * 900,
            ),
            draw(st.sampled_from(ZONES)),
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    overrides = []
    for _ in range(draw(st.integers(0, 2))):
        s = base.replace(tzinfo=UTC) + timedelta(minutes=30 * draw(st.integers(-200, 800)))
        overrides.append(
            OverrideSpan(
                draw(st.sampled_from("ABCDEF")),
                s,
                s + timedelta(minutes=30 * draw(st.integers(1, 100))),
                draw(st.sampled_from([None, "A", "B", "C"])),
            )
        )
    return base.replace(tzinfo=UTC), rotations, entries, overrides


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules(), st.lists(st.integers(0, 20 * 86_400), min_size=1, max_size=12))
def test_on_call_at_any_instant_agrees_with_the_rendered_shifts(schedule, offsets):
    base, rotations, entries, overrides = schedule
    start, end = base - timedelta(days=5), base + timedelta(days=20)
    spans = [
        Span(s.member_id, s.start, s.end, 0, ENTRY) for s in render_shifts(entries, start, end)
    ]
    for rotation in rotations:
        spans.extend(render(rotation, start, end))
    final = final_shifts(spans, overrides, start, end)
    for offset in offsets:
        t = start + timedelta(seconds=offset)
        layered = [(m, 0, ENTRY) for m, rule, zone in entries if is_active(rule, zone, t)]
        for rotation in rotations:
            held = member_at(rotation, t)
            if held is not None:
                layered.append((*held, rotation.id))
        expected = {(s.member_id, s.source) for s in final if s.start <= t < s.end}
        assert set(on_call_at(layered, overrides, t).items()) == expected


# --------------------------------------------------------------------------- validation


def test_rotation_fields_are_validated_naming_each_field():
    errors = validate_rotation_fields(
        {
            "layer": 0,
            "participants": [],
            "shift_length": "custom",
            "handoff": "soon",
            "time_zone": "Mars/Base",
            "restrictions": [{"week_days": [7], "start_time": "25:00", "end_time": "08:00"}],
        }
    )
    assert set(errors) == {
        "layer",
        "participants",
        "shift_hours",
        "handoff",
        "time_zone",
        "restrictions.0.week_days",
        "restrictions.0.start_time",
    }


def test_a_handoff_with_an_offset_is_read_in_the_rotations_zone():
    assert parse_handoff("2025-01-06T08:00:00Z", BERLIN) == datetime(2025, 1, 6, 9, 0)
    assert parse_handoff("2025-01-06T09:00", BERLIN) == datetime(2025, 1, 6, 9, 0)
