"""Scheduling arithmetic: month ends, leap years, clock changes and quiet hours."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedback.waves.scheduling import QuietHours, Window, due_date, reminder_times

LONDON = ZoneInfo("Europe/London")
QUIET = QuietHours()
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC))


@pytest.mark.parametrize("anchor, months, due", [
    (date(2026, 8, 31), 6, date(2027, 2, 28)),
    (date(2027, 8, 31), 6, date(2028, 2, 29)),  # leap year
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 5, 15), 12, date(2027, 5, 15)),
    (date(2028, 2, 29), 12, date(2029, 2, 28)),
])
def test_due_dates_fall_on_the_same_day_or_the_last_day_of_a_shorter_month(anchor, months, due):
    assert due_date(anchor, months) == due


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)), st.integers(0, 36))
def test_a_due_date_is_exactly_the_months_later_and_never_spills_into_the_next_month(anchor, months):
    due = due_date(anchor, months)
    assert (due.year - anchor.year) * 12 + due.month - anchor.month == months
    assert due.day <= anchor.day


def test_a_window_opens_and_closes_around_the_due_date_and_cannot_be_inverted():
    assert Window(-7, 28).dates(date(2027, 2, 28)) == (date(2027, 2, 21), date(2027, 3, 28))
    with pytest.raises(ValueError, match="before it opens"):
        Window(10, -3)


def local(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.mark.parametrize("moment, allowed", [
    (local(2026, 11, 23, 8, 59), False),   # Monday before nine
    (local(2026, 11, 23, 9, 0), True),
    (local(2026, 11, 23, 19, 59), True),
    (local(2026, 11, 23, 20, 0), False),
    (local(2026, 11, 22, 12, 0), False),   # Sunday
])
def test_quiet_hours_are_evenings_nights_and_sundays(moment, allowed):
    assert QUIET.allows(moment) is allowed


def test_saturday_evening_waits_until_monday_morning():
    assert QUIET.next_allowed(local(2026, 11, 21, 21, 0)) == local(2026, 11, 23, 9, 0)


@pytest.mark.parametrize("day", [date(2026, 3, 30), date(2026, 10, 26)])  # Mondays after the clocks change
def test_nine_oclock_means_nine_on_the_wall_clock_after_the_clocks_change(day):
    before = datetime.combine(day, time(7, 0), tzinfo=LONDON)
    sent = QUIET.next_allowed(before)
    assert sent.astimezone(LONDON).time() == time(9, 0)
    assert sent.tzinfo is not None and sent.utcoffset() == timedelta(0)


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        QUIET.allows(datetime(2026, 1, 5, 12, 0))


@given(moments)
def test_the_next_allowed_moment_is_allowed_not_earlier_and_never_far_off(moment):
    sent = QUIET.next_allowed(moment)
    assert QUIET.allows(sent)
    assert sent >= moment
    assert sent - moment < timedelta(days=2, hours=14)  # Saturday 20:00 to Monday 09:00 at most
    if QUIET.allows(moment):
        assert sent == moment


@given(moments)
def test_nothing_between_a_quiet_moment_and_its_next_allowed_moment_is_allowed(moment):
    sent = QUIET.next_allowed(moment)
    probe = moment
    while probe < sent:
        assert not QUIET.allows(probe)
        probe += timedelta(minutes=29)


def test_reminders_come_three_and_seven_days_on_out_of_quiet_hours_and_stop_at_the_window():
    first = local(2026, 11, 19, 19, 30)  # Thursday
    closes = local(2026, 12, 31, 0, 0)
    reminders = reminder_times(first, (3, 7, 10), 2, closes, QUIET)
    assert [moment.astimezone(LONDON) for moment in reminders] == [
        local(2026, 11, 23, 9, 0),   # Sunday evening → Monday morning
        local(2026, 11, 26, 19, 30),
    ]
    assert reminder_times(first, (3, 7), 2, local(2026, 11, 24, 0, 0), QUIET) == [local(2026, 11, 23, 9, 0)]
