"""Tests for the on-call recurrence engine (pure Python, no Django needed)."""

import calendar
from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedules.recurrence import (
    Rule,
    ScheduleValidationError,
    Shift,
    active_intervals,
    build_rule,
    day_matches,
    gaps,
    is_active,
    on_call,
    parse_time_of_day,
    parse_time_zone,
    render_shifts,
    validate_rule_fields,
)

S = timedelta(seconds=1)
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
ZONES = [UTC, BERLIN, NEW_YORK, ZoneInfo("Asia/Kolkata"), LORD_HOWE]
ALL_DAYS = frozenset(range(7))


def rule(days=ALL_DAYS, start="00:00", end="23:59:59", **kw) -> Rule:
    return Rule(frozenset(days), parse_time_of_day(start), parse_time_of_day(end), **kw)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone, *args, fold=0) -> datetime:
    return datetime(*args, tzinfo=zone, fold=fold)


def _merge(spans):
    merged: list[tuple[datetime, datetime]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def covered(intervals, t) -> bool:
    i = bisect_right([s for s, _ in intervals], t) - 1
    return i >= 0 and intervals[i][0] <= t < intervals[i][1]


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("00:00", 0), ("00:00:00", 0), ("09:30", 34200), ("17:00:01", 61201), ("23:59:59", 86399)],
)
def test_parse_time_of_day_valid(value, seconds):
    assert parse_time_of_day(value) == seconds


@pytest.mark.parametrize(
    "value",
    ["9:00", "24:00", "23:60", "12:00:60", "", "12", "12:00:00:00", " 12:00", "12:00\n",
     "１２:００", "12:0", "1200", "12-00", 1200, None, True],
)  # fmt: skip
def test_parse_time_of_day_invalid(value):
    with pytest.raises(ValueError):
        parse_time_of_day(value)


@pytest.mark.parametrize(
    "name", ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Asia/Kolkata"]
)
def test_parse_time_zone_valid(name):
    assert parse_time_zone(name).key == name


@pytest.mark.parametrize(
    "name",
    ["", "Mars/Base", "../etc", "../../etc/passwd", "/etc/localtime", "Europe", "Europe/",
     "Europe//Berlin", "Europe/Berlin\x00", "x" * 300, "Europe/" + "B" * 200, "zone.tab",
     None, 5],
)  # fmt: skip
def test_parse_time_zone_invalid(name):
    with pytest.raises(ValueError):
        parse_time_zone(name)


# --------------------------------------------------------------------------- validation

VALID = {
    "week_days": [1, 2, 3],
    "months_of_year": [1, 12],
    "weeks_of_month": [1, -1],
    "start_time": "09:00",
    "end_time": "17:30:00",
    "start_date": utc(2025, 1, 1),
    "end_date": utc(2025, 12, 31),
    "time_zone": "Europe/Berlin",
}


def test_validate_valid():
    assert validate_rule_fields(VALID) == {}
    minimal = {"week_days": [0], "start_time": "00:00", "end_time": "00:00"}
    assert validate_rule_fields(minimal) == {}
    optional_empty = {
        **minimal, "months_of_year": [], "weeks_of_month": None, "start_date": None,
        "end_date": None, "time_zone": None,
    }  # fmt: skip
    assert validate_rule_fields(optional_empty) == {}
    same = {**VALID, "start_date": utc(2025, 5, 1), "end_date": utc(2025, 5, 1)}
    assert validate_rule_fields(same) == {}
    assert validate_rule_fields({**VALID, "weeks_of_month": [1, 2, 3, 4, 5]}) == {}


MISSING = object()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("week_days", MISSING), ("week_days", None), ("week_days", []), ("week_days", "1"),
        ("week_days", ["1"]), ("week_days", [True]), ("week_days", [7]), ("week_days", [-1]),
        ("week_days", [1.0]), ("week_days", 1), ("week_days", {1: 1}),
        ("months_of_year", [13]), ("months_of_year", [0]),
        ("months_of_year", "1"), ("months_of_year", [False]), ("months_of_year", 3),
        ("weeks_of_month", [0]), ("weeks_of_month", [6]), ("weeks_of_month", [-6]),
        ("weeks_of_month", [1, 2, 3, 4, 5, -1]),
        ("weeks_of_month", "1"), ("weeks_of_month", [1.5]),
        ("start_time", MISSING), ("start_time", None), ("start_time", "24:00"),
        ("start_time", "9:00"), ("start_time", 900), ("start_time", True),
        ("end_time", "12:61"), ("end_time", MISSING), ("end_time", ["12:00"]),
        ("start_date", "2025-01-01"), ("start_date", date(2025, 1, 1)),
        ("start_date", datetime(2025, 1, 1)), ("end_date", utc(2024, 12, 31, 23, 59, 59)),
        ("end_date", 0),
        ("time_zone", "Mars/Base"), ("time_zone", ""), ("time_zone", "../etc"),
        ("time_zone", 5), ("time_zone", "x" * 1000),
    ],
)  # fmt: skip
def test_validate_errors(field, value):
    data = dict(VALID)
    if value is MISSING:
        del data[field]
    else:
        data[field] = value
    errors = validate_rule_fields(data)
    assert list(errors) == [field]
    assert errors[field] and all(isinstance(m, str) for m in errors[field])
    with pytest.raises(ScheduleValidationError) as exc:
        build_rule(data)
    assert exc.value.errors == errors
    assert isinstance(exc.value, ValueError)


def test_validate_never_raises_on_garbage():
    assert validate_rule_fields(["week_days"])  # type: ignore[arg-type]
    errors = validate_rule_fields({})
    assert set(errors) == {"week_days", "start_time", "end_time"}


def test_build_rule():
    r = build_rule(VALID)
    assert r == Rule(
        week_days=frozenset({1, 2, 3}),
        start_time=9 * 3600,
        end_time=17 * 3600 + 1800,
        months_of_year=frozenset({1, 12}),
        weeks_of_month=frozenset({1, -1}),
        start_date=utc(2025, 1, 1),
        end_date=utc(2025, 12, 31),
    )
    minimal = build_rule({"week_days": [0], "start_time": "00:00", "end_time": "00:00"})
    assert minimal.months_of_year == frozenset() and minimal.start_date is None


def test_rule_normalises_and_rejects_naive_bounds():
    r = Rule([1, 2], 0, 10, start_date=local(BERLIN, 2025, 1, 1))  # type: ignore[arg-type]
    assert r.week_days == frozenset({1, 2}) and r.start_date == utc(2024, 12, 31, 23)
    assert r.start_date.tzinfo is UTC
    with pytest.raises(ValueError):
        Rule(ALL_DAYS, 0, 10, end_date=datetime(2025, 1, 1))


# --------------------------------------------------------------------------- day matching


def _days_in(rule_, year, month):
    n = calendar.monthrange(year, month)[1]
    return [d for d in range(1, n + 1) if day_matches(rule_, date(year, month, d))]


@pytest.mark.parametrize(
    ("weeks", "year", "month", "days"),
    [
        ({1}, 2025, 1, list(range(1, 8))),
        ({2}, 2025, 1, list(range(8, 15))),
        ({4}, 2023, 2, list(range(22, 29))),
        ({5}, 2024, 2, [29]),
        ({5}, 2023, 2, []),
        ({5}, 2025, 1, [29, 30, 31]),
        ({-1}, 2023, 2, list(range(22, 29))),
        ({-1}, 2024, 2, list(range(23, 30))),
        ({-1}, 2025, 1, list(range(25, 32))),
        ({-2}, 2025, 4, list(range(17, 24))),
        ({-5}, 2025, 1, [1, 2, 3]),
        ({-5}, 2024, 2, [1]),
        ({-5}, 2023, 2, []),
        ({1, -1}, 2023, 2, list(range(1, 8)) + list(range(22, 29))),
        (set(), 2024, 2, list(range(1, 30))),
    ],
)
def test_weeks_of_month(weeks, year, month, days):
    assert _days_in(rule(weeks_of_month=frozenset(weeks)), year, month) == days


def test_week_days_sunday_is_zero():
    # 2025-06-01 is a Sunday.
    assert [d for d in range(7) if day_matches(rule({d}), date(2025, 6, 1))] == [0]
    assert [d for d in range(7) if day_matches(rule({d}), date(2025, 6, 7))] == [6]
    assert _days_in(rule({1}), 2025, 6) == [2, 9, 16, 23, 30]


def test_months_of_year():
    r = rule(months_of_year=frozenset({1, 3}))
    assert [m for m in range(1, 13) if day_matches(r, date(2025, m, 15))] == [1, 3]
    assert day_matches(rule(), date(2025, 7, 4))


def test_combined_clauses():
    # Second Tuesday of March only: 2025-03-11.
    r = rule({2}, months_of_year=frozenset({3}), weeks_of_month=frozenset({2}))
    assert _days_in(r, 2025, 3) == [11]
    assert _days_in(r, 2025, 4) == []


# --------------------------------------------------------------------------- is_active tables


def test_start_end_date_inclusive():
    r = rule(start_date=utc(2025, 1, 10, 12), end_date=utc(2025, 1, 12, 12))
    z = UTC
    assert not is_active(r, z, utc(2025, 1, 10, 11, 59, 59))
    assert not is_active(r, z, utc(2025, 1, 10, 11, 59, 59, 999999))
    assert is_active(r, z, utc(2025, 1, 10, 12))
    assert is_active(r, z, utc(2025, 1, 12, 12))
    assert is_active(r, z, utc(2025, 1, 12, 12, 0, 0, 500000))  # judged at whole seconds
    assert not is_active(r, z, utc(2025, 1, 12, 12, 0, 1))
    assert not is_active(r, ZoneInfo("Asia/Kolkata"), local(BERLIN, 2025, 1, 12, 13, 0, 1))
    assert is_active(r, BERLIN, local(BERLIN, 2025, 1, 12, 13))
    ivs = active_intervals(r, BERLIN, utc(2025, 1, 1), utc(2025, 2, 1))
    assert ivs == [(utc(2025, 1, 10, 12), utc(2025, 1, 12, 12, 0, 1))]


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        ((2025, 6, 2, 8, 59, 59), False), ((2025, 6, 2, 9), True), ((2025, 6, 2, 12), True),
        ((2025, 6, 2, 17), True), ((2025, 6, 2, 17, 0, 0, 999999), True),
        ((2025, 6, 2, 17, 0, 1), False), ((2025, 6, 1, 12), False), ((2025, 6, 7, 12), False),
    ],
)  # fmt: skip
def test_day_window_inclusive_end(t, expected):
    r = rule({1, 2, 3, 4, 5}, "09:00", "17:00:00")
    assert is_active(r, BERLIN, local(BERLIN, *t)) is expected


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        ((2025, 6, 6, 5), False),  # Friday 05:00 belongs to Thursday's (unselected) shift
        ((2025, 6, 6, 21, 59, 59), False), ((2025, 6, 6, 22), True),
        ((2025, 6, 6, 23, 59, 59), True), ((2025, 6, 7, 0), True), ((2025, 6, 7, 5), True),
        ((2025, 6, 7, 6), True), ((2025, 6, 7, 6, 0, 1), False), ((2025, 6, 7, 22), False),
        ((2025, 6, 8, 5), False),
    ],
)  # fmt: skip
def test_overnight_owned_by_start_day(t, expected):
    r = rule({5}, "22:00", "06:00")  # Friday night
    assert is_active(r, NEW_YORK, local(NEW_YORK, *t)) is expected


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        ((2025, 6, 2, 7, 59, 59), False), ((2025, 6, 2, 8), True), ((2025, 6, 2, 23), True),
        ((2025, 6, 3, 7, 59, 59), True), ((2025, 6, 3, 8), False), ((2025, 6, 1, 9), False),
    ],
)  # fmt: skip
def test_same_start_end_is_24h_exclusive(t, expected):
    r = rule({1}, "08:00", "08:00")  # Monday 08:00 -> Tuesday 08:00
    assert is_active(r, UTC, utc(*t)) is expected


def test_overnight_across_month_end():
    r = rule(ALL_DAYS, "22:00", "06:00", months_of_year=frozenset({1}))
    assert is_active(r, UTC, utc(2025, 1, 31, 23))
    assert is_active(r, UTC, utc(2025, 2, 1, 5))  # owned by Jan 31
    assert not is_active(r, UTC, utc(2025, 2, 1, 22))
    assert not is_active(r, UTC, utc(2025, 1, 1, 5))  # owned by Dec 31


def test_overnight_across_year_end():
    r = rule(ALL_DAYS, "22:00", "06:00", months_of_year=frozenset({12}))
    assert is_active(r, BERLIN, local(BERLIN, 2024, 12, 31, 23))
    assert is_active(r, BERLIN, local(BERLIN, 2025, 1, 1, 3))
    assert not is_active(r, BERLIN, local(BERLIN, 2025, 1, 1, 23))
    ivs = active_intervals(r, BERLIN, utc(2024, 12, 31), utc(2025, 1, 3))
    assert ivs == [
        (utc(2024, 12, 31), utc(2024, 12, 31, 5, 0, 1)),
        (utc(2024, 12, 31, 21), utc(2025, 1, 1, 5, 0, 1)),
    ]


def test_leap_day():
    r = rule(ALL_DAYS, "22:00", "03:00", months_of_year=frozenset({2}))
    assert is_active(r, UTC, utc(2024, 2, 29, 2))  # owned by Feb 28
    assert is_active(r, UTC, utc(2024, 2, 29, 23))
    assert is_active(r, UTC, utc(2024, 3, 1, 3))  # owned by Feb 29
    assert not is_active(r, UTC, utc(2023, 3, 2, 1))
    last = rule(ALL_DAYS, "22:00", "03:00", weeks_of_month=frozenset({5}))
    assert not is_active(last, UTC, utc(2024, 2, 28, 23))
    assert is_active(last, UTC, utc(2024, 2, 29, 22))
    assert is_active(last, UTC, utc(2024, 3, 1, 3))
    assert not is_active(last, UTC, utc(2023, 3, 1, 2))  # no week 5 in Feb 2023


def test_naive_datetime_rejected():
    with pytest.raises(ValueError):
        is_active(rule(), UTC, datetime(2025, 1, 1))


# --------------------------------------------------------------------------- DST


def test_berlin_spring_forward():
    # 2025-03-30 02:00 CET -> 03:00 CEST at 01:00 UTC.
    r = rule(ALL_DAYS, "02:30", "04:00", months_of_year=frozenset({3}))
    assert not is_active(r, BERLIN, utc(2025, 3, 30, 0, 59, 59))  # 01:59:59 CET
    assert is_active(r, BERLIN, utc(2025, 3, 30, 1))  # 03:00 CEST
    ivs = active_intervals(r, BERLIN, utc(2025, 3, 30), utc(2025, 3, 31))
    assert ivs == [(utc(2025, 3, 30, 1), utc(2025, 3, 30, 2, 0, 1))]


def test_berlin_gap_window_never_matches():
    gap_only = rule(ALL_DAYS, "02:15", "02:45")
    ivs = active_intervals(gap_only, BERLIN, utc(2025, 3, 29, 12), utc(2025, 3, 30, 12))
    assert ivs == []
    t = utc(2025, 3, 30, 0)
    while t < utc(2025, 3, 30, 2):
        assert not is_active(gap_only, BERLIN, t)
        t += 7 * S


def test_new_york_spring_forward():
    # 2025-03-09 02:00 EST -> 03:00 EDT at 07:00 UTC.
    r = rule(ALL_DAYS, "02:30", "04:00")
    ivs = active_intervals(r, NEW_YORK, utc(2025, 3, 9), utc(2025, 3, 10))
    assert ivs == [(utc(2025, 3, 9, 7), utc(2025, 3, 9, 8, 0, 1))]
    assert active_intervals(rule(ALL_DAYS, "02:00", "02:59:59"), NEW_YORK, utc(2025, 3, 9),
                            utc(2025, 3, 10)) == []  # fmt: skip


def test_berlin_fall_back():
    # 2025-10-26 03:00 CEST -> 02:00 CET at 01:00 UTC; 02:00-02:59:59 happens twice.
    r = rule(ALL_DAYS, "02:15", "02:45")
    ivs = active_intervals(r, BERLIN, utc(2025, 10, 25, 12), utc(2025, 10, 26, 12))
    assert ivs == [
        (utc(2025, 10, 26, 0, 15), utc(2025, 10, 26, 0, 45, 1)),
        (utc(2025, 10, 26, 1, 15), utc(2025, 10, 26, 1, 45, 1)),
    ]
    assert is_active(r, BERLIN, local(BERLIN, 2025, 10, 26, 2, 30, fold=0))
    assert is_active(r, BERLIN, local(BERLIN, 2025, 10, 26, 2, 30, fold=1))
    assert not is_active(r, BERLIN, utc(2025, 10, 26, 1))
    wide = rule(ALL_DAYS, "01:00", "03:00")
    ivs = active_intervals(wide, BERLIN, utc(2025, 10, 25, 12), utc(2025, 10, 26, 12))
    assert ivs == [(utc(2025, 10, 25, 23), utc(2025, 10, 26, 2, 0, 1))]


def test_new_york_fall_back():
    # 2025-11-02 02:00 EDT -> 01:00 EST at 06:00 UTC; 01:00-01:59:59 happens twice.
    r = rule({0}, "01:15", "01:45")
    ivs = active_intervals(r, NEW_YORK, utc(2025, 11, 1), utc(2025, 11, 3))
    assert ivs == [
        (utc(2025, 11, 2, 5, 15), utc(2025, 11, 2, 5, 45, 1)),
        (utc(2025, 11, 2, 6, 15), utc(2025, 11, 2, 6, 45, 1)),
    ]
    # Overnight shift spanning the fold is one continuous 9-hour span (8 wall hours).
    night = rule({6}, "22:00", "06:00")
    ivs = active_intervals(night, NEW_YORK, utc(2025, 11, 1), utc(2025, 11, 3))
    assert ivs == [(utc(2025, 11, 2, 2), utc(2025, 11, 2, 11, 0, 1))]


def test_lord_howe_half_hour_fold():
    # 2025-04-06 02:00 (+11) -> 01:30 (+10:30) at 15:00 UTC on 04-05.
    r = rule(ALL_DAYS, "01:40", "01:50")
    ivs = active_intervals(r, LORD_HOWE, utc(2025, 4, 5, 12), utc(2025, 4, 5, 18))
    assert ivs == [
        (utc(2025, 4, 5, 14, 40), utc(2025, 4, 5, 14, 50, 1)),
        (utc(2025, 4, 5, 15, 10), utc(2025, 4, 5, 15, 20, 1)),
    ]


TRANSITIONS = [
    (BERLIN, utc(2025, 3, 30, 1)),
    (BERLIN, utc(2025, 10, 26, 1)),
    (NEW_YORK, utc(2025, 3, 9, 7)),
    (NEW_YORK, utc(2025, 11, 2, 6)),
    (LORD_HOWE, utc(2025, 4, 5, 15)),
    (LORD_HOWE, utc(2025, 10, 4, 15, 30)),
]


@pytest.mark.parametrize(("zone", "at"), TRANSITIONS)
@pytest.mark.parametrize(
    ("start", "end"),
    [("01:59:59", "02:00:00"), ("02:00", "03:00"), ("02:30", "01:30"), ("01:30", "01:30"),
     ("00:00", "23:59:59"), ("02:29:59", "02:30:00"), ("03:00", "02:00")],
)  # fmt: skip
def test_every_second_around_transitions(zone, at, start, end):
    r = rule(ALL_DAYS, start, end)
    lo, hi = at - timedelta(hours=3), at + timedelta(hours=3)
    ivs = active_intervals(r, zone, lo, hi)
    t = lo
    while t < hi:
        assert is_active(r, zone, t) == covered(ivs, t), t
        t += S


# --------------------------------------------------------------------------- rendering


def test_active_intervals_basic_and_clipping():
    r = rule({1, 2, 3, 4, 5}, "09:00", "17:00")
    ivs = active_intervals(r, UTC, utc(2025, 6, 2, 12), utc(2025, 6, 3, 10))
    assert ivs == [
        (utc(2025, 6, 2, 12), utc(2025, 6, 2, 17, 0, 1)),
        (utc(2025, 6, 3, 9), utc(2025, 6, 3, 10)),
    ]
    assert active_intervals(r, UTC, utc(2025, 6, 3), utc(2025, 6, 3)) == []
    assert active_intervals(r, UTC, utc(2025, 6, 4), utc(2025, 6, 3)) == []


def test_full_day_coverage_is_continuous():
    r = rule(ALL_DAYS, "00:00:00", "23:59:59")
    for zone in ZONES:
        ivs = active_intervals(r, zone, utc(2025, 1, 1), utc(2026, 1, 1))
        assert ivs == [(utc(2025, 1, 1), utc(2026, 1, 1))]


def test_render_shifts_merges_per_member_and_sorts():
    entries = [
        ("bob", rule({1}, "12:00", "23:59:59"), UTC),
        ("alice", rule({1}, "00:00", "11:59:59"), UTC),
        ("alice", rule({1}, "12:00", "18:00"), UTC),
        ("carol", rule({1}, "00:00", "11:59:59"), BERLIN),
    ]
    shifts = render_shifts(entries, utc(2025, 6, 2), utc(2025, 6, 3))
    assert shifts == [
        Shift("alice", utc(2025, 6, 2), utc(2025, 6, 2, 18, 0, 1)),
        Shift("carol", utc(2025, 6, 2), utc(2025, 6, 2, 10)),  # Berlin Monday, 22:00Z Sunday on
        Shift("bob", utc(2025, 6, 2, 12), utc(2025, 6, 3)),
    ]
    assert gaps(shifts, utc(2025, 6, 1), utc(2025, 6, 4)) == [
        (utc(2025, 6, 1), utc(2025, 6, 2)),
        (utc(2025, 6, 3), utc(2025, 6, 4)),
    ]
    assert gaps([], utc(2025, 6, 1), utc(2025, 6, 2)) == [(utc(2025, 6, 1), utc(2025, 6, 2))]
    assert on_call(entries, utc(2025, 6, 2, 12, 30)) == ["alice", "bob"]
    assert on_call(entries, utc(2025, 6, 2, 9, 59, 59)) == ["alice", "carol"]
    assert on_call(entries, utc(2025, 6, 1, 22)) == ["carol"]
    assert on_call(entries, utc(2025, 6, 2, 23)) == ["bob"]
    assert on_call(entries, utc(2025, 6, 3, 12)) == []


def test_gaps_ignore_shifts_outside_range():
    shifts = [
        Shift("a", utc(2025, 1, 1), utc(2025, 1, 2)),
        Shift("b", utc(2025, 1, 5), utc(2025, 1, 6)),
    ]
    assert gaps(shifts, utc(2025, 1, 3), utc(2025, 1, 4)) == [(utc(2025, 1, 3), utc(2025, 1, 4))]
    assert gaps(shifts, utc(2025, 1, 1, 12), utc(2025, 1, 5, 12)) == [
        (utc(2025, 1, 2), utc(2025, 1, 5))
    ]


# --------------------------------------------------------------------------- properties

HOUR = 3600
interesting_seconds = st.sampled_from(
    [0, 1, HOUR, 2 * HOUR - 1, 2 * HOUR, 2 * HOUR + 1, int(2.5 * HOUR), 3 * HOUR - 1, 3 * HOUR,
     3 * HOUR + 1, 12 * HOUR, 23 * HOUR, 86399]
)  # fmt: skip
seconds_of_day = st.one_of(st.integers(0, 86399), interesting_seconds)
base_instants = st.one_of(
    st.sampled_from([at for _, at in TRANSITIONS] + [utc(2024, 2, 28), utc(2024, 12, 31)]),
    st.datetimes(
        min_value=datetime(2023, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
    ),
)


@st.composite
def windows(draw):
    base = draw(base_instants).replace(microsecond=0)
    start = base + timedelta(seconds=draw(st.integers(-2 * 86400, 86400)))
    return start, start + timedelta(seconds=draw(st.integers(1, 3 * 86400)))


@st.composite
def rules(draw, around: datetime | None = None):
    bounds = {}
    for name in ("start_date", "end_date"):
        if around is not None and draw(st.booleans()):
            bounds[name] = around + timedelta(seconds=draw(st.integers(-2 * 86400, 3 * 86400)))
    if len(bounds) == 2 and bounds["start_date"] > bounds["end_date"]:
        bounds["start_date"], bounds["end_date"] = bounds["end_date"], bounds["start_date"]
    return Rule(
        week_days=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        start_time=draw(seconds_of_day),
        end_time=draw(seconds_of_day),
        months_of_year=draw(st.one_of(st.just(frozenset()), st.frozensets(st.integers(1, 12)))),
        weeks_of_month=draw(
            st.one_of(
                st.just(frozenset()),
                st.frozensets(st.sampled_from([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5]), max_size=5),
            )
        ),
        **bounds,
    )


PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(data=st.data(), zone=st.sampled_from(ZONES), window=windows())
def test_property_intervals_agree_with_is_active(data, zone, window):
    start, end = window
    r = data.draw(rules(around=start))
    ivs = active_intervals(r, zone, start, end)
    for i, (s, e) in enumerate(ivs):
        assert start <= s < e <= end and s.tzinfo is UTC
        assert i + 1 == len(ivs) or e < ivs[i + 1][0]  # sorted, disjoint and merged
        assert is_active(r, zone, s) and is_active(r, zone, e - S)
        assert s == start or not is_active(r, zone, s - S)
        assert e == end or not is_active(r, zone, e)
    step = timedelta(seconds=data.draw(st.integers(97, 1201)))
    t = start
    while t < end:
        assert is_active(r, zone, t) == covered(ivs, t), t
        t += step
    for offset in data.draw(
        st.lists(st.integers(0, int((end - start).total_seconds()) - 1), max_size=20)
    ):
        t = start + timedelta(seconds=offset)
        assert is_active(r, zone, t) == covered(ivs, t), t


entries_strategy = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c"]), rules(), st.sampled_from(ZONES)), max_size=6
)


@PROPS
@given(entries=entries_strategy, window=windows(), offsets=st.lists(st.floats(0, 1), max_size=20))
def test_property_on_call_render_and_gaps(entries, window, offsets):
    start, end = window
    shifts = render_shifts(entries, start, end)
    assert shifts == sorted(shifts, key=lambda x: (x.start, x.member_id))
    by_member: dict[str, list[tuple[datetime, datetime]]] = {}
    for sh in shifts:
        assert start <= sh.start < sh.end <= end
        spans = by_member.setdefault(sh.member_id, [])
        assert not spans or spans[-1][1] < sh.start  # merged per member
        spans.append((sh.start, sh.end))
    for member, spans in by_member.items():
        ivs = sorted(
            iv for m, r, z in entries if m == member for iv in active_intervals(r, z, start, end)
        )
        assert spans == _merge(ivs)
    for frac in offsets:
        t = (start + (end - start) * frac).replace(microsecond=0)
        if t >= end:
            continue
        expected = sorted(m for m, spans in by_member.items() if covered(spans, t))
        assert on_call(entries, t) == expected
    # gaps and shifts together tile [start, end) exactly.
    holes = gaps(shifts, start, end)
    assert _merge([(s.start, s.end) for s in shifts] + holes) == [(start, end)]
    for hs, he in holes:
        assert hs < he
        assert not any(s.start < he and hs < s.end for s in shifts)
