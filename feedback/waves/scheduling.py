"""Scheduling arithmetic for follow-up waves. Pure Python: no Flask, no database.

A wave falls due a whole number of calendar months after a family's anchor date (entry or exit),
opens and closes a number of days around that, and its messages go out only outside quiet hours
in the service's time zone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

SUNDAY = 6


def due_date(anchor: date, offset_months: int) -> date:
    """The anchor moved by calendar months; a day the month lacks becomes its last day.

    31 August + 6 months is 28 February (29 in a leap year), never 2 or 3 March.
    """
    return anchor + relativedelta(months=offset_months)


@dataclass(frozen=True)
class Window:
    """When a wave may be answered, in days relative to its due date (e.g. -7 to +28)."""

    opens: int = -7
    closes: int = 28

    def __post_init__(self):
        if self.opens > self.closes:
            raise ValueError(f"a window cannot close ({self.closes:+d} days) before it opens ({self.opens:+d} days)")

    def dates(self, due: date) -> tuple[date, date]:
        return due + timedelta(days=self.opens), due + timedelta(days=self.closes)


@dataclass(frozen=True)
class QuietHours:
    """No messages from ``start`` until ``end`` local time (across midnight when start > end),
    nor on Sundays when ``no_sundays``. Times are wall-clock times in ``timezone``."""

    start: time = time(20, 0)
    end: time = time(9, 0)
    no_sundays: bool = True
    timezone: str = "Europe/London"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _quiet_at(self, local: datetime) -> bool:
        if self.no_sundays and local.weekday() == SUNDAY:
            return True
        clock = local.time().replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.start > self.end:  # e.g. 20:00–09:00, across midnight
            return clock >= self.start or clock < self.end
        return self.start <= clock < self.end

    def allows(self, moment: datetime) -> bool:
        """Whether a message may go out at this (time-zone aware) moment."""
        return not self._quiet_at(_aware(moment).astimezone(self.zone))

    def next_allowed(self, moment: datetime) -> datetime:
        """The first moment at or after ``moment`` when a message may go out, in UTC."""
        moment = _aware(moment)
        if self.allows(moment):
            return moment.astimezone(ZoneInfo("UTC"))
        local = moment.astimezone(self.zone)
        # Quiet periods end at ``end`` on some day; try today and the following days in turn.
        # Eight days covers the longest quiet run (Saturday evening to Monday morning).
        for days_ahead in range(0, 9):
            day = local.date() + timedelta(days=days_ahead)
            candidate = datetime.combine(day, self.end, tzinfo=self.zone)
            if candidate >= local and self.allows(candidate):
                return candidate.astimezone(ZoneInfo("UTC"))
        raise ValueError("quiet hours leave no time at all for messages")


def reminder_times(first_sent: datetime, after_days: tuple[int, ...], limit: int, closes: datetime,
                   quiet: QuietHours) -> list[datetime]:
    """When reminders go out: ``after_days`` after the first message, at most ``limit`` of them,
    each moved out of quiet hours, and none once the window has closed."""
    times = []
    for days in sorted(after_days)[:limit]:
        moment = quiet.next_allowed(_aware(first_sent) + timedelta(days=days))
        if moment < _aware(closes):
            times.append(moment)
    return times


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("times must carry a time zone (store UTC, convert for quiet hours)")
    return moment
