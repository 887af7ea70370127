"""The calendar layout of the on-call page: pure functions, no database."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from schedules.calendar_grid import (
    lay_out,
    local_midnight,
    member_colours,
    period,
    weeks,
    zone_of,
)
from schedules.recurrence import Shift

PARIS = ZoneInfo("Europe/Paris")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_week_runs_monday_to_sunday_around_the_date_asked_for():
    week = period("week", date(2025, 3, 12))
    assert (week.first, week.last) == (date(2025, 3, 10), date(2025, 3, 16))
    assert (week.previous, week.next) == (date(2025, 3, 3), date(2025, 3, 17))
    assert len(week.days) == 7


def test_a_month_covers_whole_weeks_and_navigates_by_month():
    march = period("month", date(2025, 3, 12))
    assert (march.first, march.last) == (date(2025, 2, 24), date(2025, 4, 6))
    assert (march.previous, march.next) == (date(2025, 2, 1), date(2025, 4, 1))
    assert march.month == (2025, 3)
    assert len(march.days) % 7 == 0
    january = period("month", date(2025, 1, 31))
    assert january.previous == date(2024, 12, 1) and january.next == date(2025, 2, 1)


def test_an_overnight_shift_is_split_at_local_midnight():
    # 22:00 to 06:00 in Paris (UTC+1 in January)
    shift = Shift("alice", utc(2025, 1, 6, 21), utc(2025, 1, 7, 5))
    monday, tuesday = lay_out(
        [date(2025, 1, 6), date(2025, 1, 7)], PARIS, [shift], [], names={"alice": "Alice"}
    )
    [evening] = monday.shifts
    [morning] = tuesday.shifts
    assert (evening.offset, evening.size, evening.label) == (91.667, 8.333, "22:00–24:00")
    assert (morning.offset, morning.size, morning.label) == (0.0, 25.0, "00:00–06:00")
    assert evening.name == "Alice" and evening.shift_start == shift.start


def test_a_daylight_saving_day_is_laid_out_over_its_23_hours():
    # 2025-03-30 in Paris has 23 hours; 12:00-13:00 CEST is 10:00-11:00 UTC, 11 h after midnight.
    day = date(2025, 3, 30)
    assert local_midnight(day, PARIS) == utc(2025, 3, 29, 23)
    [laid] = lay_out([day], PARIS, [Shift("a", utc(2025, 3, 30, 10), utc(2025, 3, 30, 11))], [])
    [block] = laid.shifts
    assert block.offset == round(100 * 11 / 23, 3)
    assert block.size == round(100 / 23, 3)
    assert block.label == "12:00–13:00"


def test_overlapping_shifts_get_lanes_side_by_side_and_later_ones_reuse_a_free_lane():
    day = date(2025, 1, 6)
    shifts = [
        Shift("a", utc(2025, 1, 6, 8), utc(2025, 1, 6, 12)),
        Shift("b", utc(2025, 1, 6, 10), utc(2025, 1, 6, 14)),
        Shift("c", utc(2025, 1, 6, 12), utc(2025, 1, 6, 16)),
    ]
    [laid] = lay_out([day], ZoneInfo("UTC"), shifts, [])
    lanes = {block.member_id: (block.lane, block.lanes) for block in laid.shifts}
    assert lanes == {"a": (0, 2), "b": (1, 2), "c": (0, 2)}
    assert laid.lanes == 2
    assert [b.lane_offset for b in laid.shifts] == [0.0, 50.0, 0.0]


def test_gaps_are_clipped_to_each_day_and_days_outside_the_month_are_marked():
    gap = (utc(2025, 2, 28, 18), utc(2025, 3, 1, 6))
    feb, mar = lay_out(
        [date(2025, 2, 28), date(2025, 3, 1)], ZoneInfo("UTC"), [], [gap], month=(2025, 3)
    )
    assert [g.label for g in feb.gaps] == ["18:00–24:00"]
    assert [g.label for g in mar.gaps] == ["00:00–06:00"]
    assert (feb.in_period, mar.in_period) == (False, True)
    assert feb.shifts == [] and feb.lanes == 1


def test_every_member_gets_a_distinct_colour_that_depends_only_on_their_position():
    members = [f"member-{n}" for n in range(12)]
    colours = member_colours(members)
    assert len(set(colours.values())) == 12
    assert member_colours(members[:3]) == {m: colours[m] for m in members[:3]}


def test_days_are_grouped_in_weeks_and_unknown_zones_fall_back():
    assert [len(w) for w in weeks(list(range(14)))] == [7, 7]
    assert zone_of("Nowhere/Atlantis", "Europe/Paris") == PARIS
    assert zone_of("", None) == ZoneInfo("UTC")


def test_now_is_marked_on_the_day_it_falls_in():
    monday, tuesday = lay_out(
        [date(2025, 1, 6), date(2025, 1, 7)], ZoneInfo("UTC"), [], [], now=utc(2025, 1, 7, 6)
    )
    assert (monday.now_offset, tuesday.now_offset) == (None, 25.0)
