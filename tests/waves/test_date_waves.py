"""Date-anchored waves (the yearly partner survey): which year's instance is planned on a day,
across years, leap days and clock changes. Pure planning, so Hypothesis can range widely."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.waves.planning import PartnerFacts, contact_reason, occurrence, plan_contact, window_moments
from feedback.waves.schedule import Reminders, Schedule, Send, Wave
from feedback.waves.scheduling import QuietHours, Window, due_date

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
DAYS = st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31))
#: Days that exist in every year (the loader refuses 29 February as an anchor).
ANCHORS = st.dates(min_value=date(2023, 1, 1), max_value=date(2023, 12, 31)).map(lambda d: (d.month, d.day))


@st.composite
def waves(draw) -> Wave:
    opens = draw(st.integers(-120, 120))
    length = draw(st.integers(0, 364))  # the loader refuses windows of a year or more
    return Wave(name="annual", title="Yearly", anchor="date", offset_months=draw(st.integers(0, 24)),
                window=Window(opens, opens + length), sends=(Send("partner-survey", "partner_contacts",
                                                                   channels=("email_link",)),),
                anchor_date=draw(ANCHORS))


def instance(wave: Wave, year: int) -> tuple[date, date, date]:
    due = due_date(date(year, *wave.anchor_date), wave.offset_months)
    return (due, *wave.window.dates(due))


@settings(max_examples=300, deadline=None)
@given(waves(), DAYS)
def test_the_planned_instance_is_the_earliest_whose_window_has_not_closed(wave, today):
    chosen = occurrence(wave, today)
    assert chosen.opens_on <= chosen.closes_on and chosen.closes_on >= today
    assert chosen.opens_on == chosen.due_on + timedelta(days=wave.window.opens)
    # It is one of the wave's yearly instances...
    years = [year for year in range(today.year - 4, today.year + 3) if instance(wave, year)[0] == chosen.due_on]
    assert len(years) == 1
    # ...and the one before it had already closed.
    assert instance(wave, years[0] - 1)[2] < today


@settings(max_examples=200, deadline=None)
@given(waves(), DAYS, st.data())
def test_every_day_of_a_window_plans_the_same_instance_and_the_day_after_plans_next_years(wave, today, data):
    chosen = occurrence(wave, today)
    inside = data.draw(st.dates(min_value=max(chosen.opens_on, today), max_value=chosen.closes_on))
    assert occurrence(wave, inside) == chosen  # planned once per year, however often planning runs
    following = occurrence(wave, chosen.closes_on + timedelta(days=1))
    assert following.due_on > chosen.due_on and following.opens_on > chosen.closes_on
    assert 364 <= (following.due_on - chosen.due_on).days <= 366


@settings(max_examples=100, deadline=None)
@given(st.integers(2001, 2098), st.integers(0, 11))
def test_leap_days_fall_inside_windows_without_a_second_instance(year, offset):
    # 31 January + 1 month is 28 February, or 29 in a leap year; a window around it spans 29 February.
    wave = Wave(name="annual", title="Yearly", anchor="date", offset_months=1, window=Window(-3, 3),
                sends=(Send("partner-survey", "partner_contacts", channels=("email_link",)),), anchor_date=(1, 31))
    due = occurrence(wave, date(year, 2, 20)).due_on
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    assert due == date(year, 2, 29 if leap else 28)
    if leap:
        assert occurrence(wave, date(year, 2, 29)).due_on == due


@settings(max_examples=200, deadline=None)
@given(DAYS, st.integers(0, 100))
def test_windows_run_from_local_midnight_to_local_midnight_across_clock_changes(opens_on, days):
    closes_on = opens_on + timedelta(days=days)
    start, end = window_moments(opens_on, closes_on, LONDON)
    local_start = start.replace(tzinfo=UTC).astimezone(LONDON)
    local_end = end.replace(tzinfo=UTC).astimezone(LONDON)
    assert (local_start.date(), local_start.hour, local_start.minute) == (opens_on, 0, 0)
    assert (local_end.date(), local_end.hour, local_end.minute) == (closes_on + timedelta(days=1), 0, 0)
    # Each local day is 23, 24 or 25 hours: the window is as long as its days, clock changes included.
    hours = sum((datetime.combine(day + timedelta(days=1), datetime.min.time(), LONDON).astimezone(UTC)
                 - datetime.combine(day, datetime.min.time(), LONDON).astimezone(UTC)).total_seconds() / 3600
                for day in (opens_on + timedelta(days=n) for n in range(days + 1)))
    assert (end - start).total_seconds() / 3600 == hours


def test_the_partner_surveys_window_spans_the_spring_clock_change_and_is_an_hour_short():
    wave = Wave(name="annual", title="Yearly", anchor="date", offset_months=0, window=Window(0, 42),
                sends=(), anchor_date=(3, 1))
    chosen = occurrence(wave, date(2027, 2, 1))
    start, end = window_moments(chosen.opens_on, chosen.closes_on, LONDON)
    assert (start, end) == (datetime(2027, 3, 1, 0, 0), datetime(2027, 4, 12, 23, 0))  # BST from 28 March
    assert (end - start) == timedelta(days=43, hours=-1)


FACTS = st.builds(PartnerFacts, id=st.integers(1, 10_000), active=st.booleans(), consent=st.booleans(),
                  has_email=st.booleans(), opted_out=st.booleans(), email_failed=st.booleans())


@settings(max_examples=200, deadline=None)
@given(waves(), FACTS, DAYS)
def test_a_contact_gets_one_invitation_per_send_unless_a_rule_says_why_not(wave, contact, today):
    schedule = Schedule("partner-survey", "Yearly", "", QuietHours(), Reminders(), (wave,), "0" * 64)
    plan = plan_contact(schedule, contact, today)
    reason = contact_reason(contact)
    key = ("annual", "partner-survey", f"c{contact.id}")
    if reason:
        assert plan.invitations == [] and plan.left_out == {key: reason}
    else:
        assert plan.left_out == {} and len(plan.invitations) == 1
        planned = plan.invitations[0]
        assert planned.key == key and planned.channel == "email_link" and planned.member_id is None
        assert planned.due_on == occurrence(wave, today).due_on
    # Every rule is a reason on its own.
    assert (reason is None) == (contact.active and contact.consent and contact.has_email and not contact.opted_out
                                and not contact.email_failed)
