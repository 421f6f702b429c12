"""Read follow-up schedules from YAML and refuse anything malformed, naming file, wave and send.

Schedules live in ``<questionnaires>/schedules/*.yaml``; the format is documented in
``questionnaires/README.md``.  As for instruments, validation collects every problem rather than
stopping at the first, and each names the file, the place (e.g. ``waves[2] 'exit-3m' sends[0]``,
counting from 0) and what to do.  Instruments are checked against the latest valid version in the
catalogue.  Pure Python: no Flask, no database.
"""
from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ..families.eligibility import MEMBER_ROLES, may_answer
from ..instruments.catalogue import Catalogue
from ..instruments.checks import Checks, Problem, yaml_problem
from ..instruments.yaml_text import parse as parse_yaml
from ..instruments.definition import Instrument
from ..instruments.loader import INSTRUMENT_ID_PATTERN, content_hash
from .schedule import (
    ANCHORS, CHANNEL_MODES, CHANNELS, FAMILY_RESPONDENT_ROLES, RECIPIENT_RESPONDENT_ROLES, RECIPIENTS,
    CONTACT_CHANNELS, Reminders, Schedule, Send, Wave, default_channels, windows_can_overlap,
)
from .scheduling import QuietHours, Window

SCHEDULE_FIELDS = {"id", "title", "description", "timezone", "quiet_hours", "reminders", "waves"}
WAVE_FIELDS = {"name", "title", "anchor", "offset_months", "anchor_date", "window", "sends"}
SEND_FIELDS = {"instrument", "to", "roles", "min_age", "channels", "anonymous"}
MAX_OFFSET_MONTHS = 120
MAX_WINDOW_DAYS = 366
OLDEST = 120
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ScheduleError(Exception):
    """Raised with every problem found in a schedule file."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def load_schedule(path: Path | str, display_name: str, catalogue: Catalogue) -> Schedule:
    """Parse and validate one schedule file; raise ``ScheduleError`` listing every problem."""
    try:
        raw = parse_yaml(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ScheduleError([yaml_problem(display_name, error)])
    except (OSError, UnicodeDecodeError) as error:
        raise ScheduleError([Problem(display_name, "", f"cannot be read ({error})")])
    return build_schedule(raw, display_name, catalogue)


def build_schedule(raw: Any, display_name: str, catalogue: Catalogue) -> Schedule:
    builder = _Builder(display_name, catalogue)
    schedule = builder.schedule(raw)
    if builder.problems or schedule is None:
        raise ScheduleError(builder.problems)
    return schedule


def schedule_files(folder: Path) -> list[Path]:
    sub = folder / "schedules"
    if not sub.is_dir():
        return []
    return sorted(path for path in sub.iterdir() if path.is_file() and path.suffix in (".yaml", ".yml"))


def load_schedules(folder: Path | str, catalogue: Catalogue) -> tuple[dict[str, Schedule], list[Problem]]:
    """Every valid schedule in ``<folder>/schedules/`` by id, and the problems of the others.

    A folder without ``schedules/`` has no schedules and no problems.
    """
    folder = Path(folder)
    schedules: dict[str, Schedule] = {}
    problems: list[Problem] = []
    for path in schedule_files(folder):
        display = str(path.relative_to(folder.parent))
        try:
            schedule = load_schedule(path, display, catalogue)
        except ScheduleError as error:
            problems.extend(error.problems)
            continue
        if schedule.id in schedules:
            problems.append(Problem(display, "id", f"'{schedule.id}' is already the id of "
                                                   f"{schedules[schedule.id].path}; give each schedule its own id"))
            continue
        schedules[schedule.id] = schedule
    return schedules, problems


class _Builder(Checks):
    def __init__(self, name: str, catalogue: Catalogue):
        super().__init__(name)
        self.catalogue = catalogue

    # -- the schedule ---------------------------------------------------------------------
    def schedule(self, raw: Any) -> Schedule | None:
        data = self.fields(raw, SCHEDULE_FIELDS, {"id", "title", "waves"}, "")
        if not data:
            return None
        schedule_id = data.get("id")
        if not isinstance(schedule_id, str) or not INSTRUMENT_ID_PATTERN.match(schedule_id):
            self.problem("id", f"{schedule_id!r} must be lower-case letters, digits and hyphens, starting with a letter")
        title = self.words(data.get("title"), "title", "title")
        description = self.words(data.get("description", ""), "description", "description", optional=True)
        quiet_hours = self.quiet_hours(data.get("quiet_hours"), self.timezone(data.get("timezone", "Europe/London")))
        reminders = self.reminders(data.get("reminders"))
        waves = self.waves(data.get("waves"))
        if self.problems:
            return None
        return Schedule(id=schedule_id, title=title, description=description, quiet_hours=quiet_hours,
                        reminders=reminders, waves=waves, content_hash=content_hash(raw), path=self.name, raw=raw)

    def words(self, value: Any, where: str, what: str, optional: bool = False) -> str:
        if not isinstance(value, str) or not (value.strip() or optional):
            self.problem(where, f"{what} must be {'' if optional else 'a non-empty '}English text, not {value!r}")
            return ""
        return value.strip()

    def whole(self, value: Any, where: str, what: str, low: int, high: int | None = None) -> int | None:
        """A whole number from ``low`` (to ``high``), or None after recording a problem."""
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(where, f"{what} must be a whole number, not {value!r}")
            return None
        if value < low or (high is not None and value > high):
            self.problem(where, f"{what} is {value}; it must be {low}–{high}" if high is not None
                         else f"{what} is {value}; it must be at least {low}")
            return None
        return value

    def timezone(self, value: Any) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            self.problem("timezone", f"{value!r} is not a time zone; use a name such as Europe/London")
            return "Europe/London"
        return value

    def quiet_hours(self, raw: Any, timezone: str) -> QuietHours:
        default = QuietHours(timezone=timezone)
        if raw is None:
            return default
        data = self.fields(raw, {"start", "end", "no_sundays"}, set(), "quiet_hours")
        start = self.clock(data.get("start"), "start", default.start)
        end = self.clock(data.get("end"), "end", default.end)
        no_sundays = self.boolean(data.get("no_sundays"), "quiet_hours", "no_sundays", default.no_sundays)
        return QuietHours(start, end, no_sundays, timezone)

    def clock(self, value: Any, what: str, default: time) -> time:
        if value is None:
            return default
        if isinstance(value, int) and not isinstance(value, bool):
            # Unquoted, YAML 1.1 reads 20:00 as the base-60 number 1200.
            self.problem("quiet_hours", f'{what} must be a time in quotes, e.g. "20:00" '
                                        "(unquoted, YAML reads it as a number)")
            return default
        match = TIME_PATTERN.match(value) if isinstance(value, str) else None
        if not match:
            self.problem("quiet_hours", f'{what} {value!r} must be a 24-hour time "HH:MM", e.g. "20:00"')
            return default
        return time(int(match.group(1)), int(match.group(2)))

    def reminders(self, raw: Any) -> Reminders:
        if raw is None:
            return Reminders()
        data = self.fields(raw, {"after_days", "limit"}, set(), "reminders")
        after_days = data.get("after_days", list(Reminders.after_days))
        if not isinstance(after_days, list) or not all(
                isinstance(days, int) and not isinstance(days, bool) and days > 0 for days in after_days):
            self.problem("reminders", f"after_days must be a list of whole numbers of days from 1, e.g. [3, 7], "
                                      f"not {after_days!r}")
            after_days = []
        elif any(later <= earlier for earlier, later in zip(after_days, after_days[1:])):
            self.problem("reminders", f"after_days {after_days} must increase, e.g. [3, 7]")
        limit = self.whole(data.get("limit", Reminders.limit), "reminders", "limit", 0)
        return Reminders(tuple(after_days), Reminders.limit if limit is None else limit)

    # -- waves ----------------------------------------------------------------------------
    def waves(self, raw: Any) -> tuple[Wave, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem("waves", "must be a list of waves, each with a name, anchor, window and sends")
            return ()
        waves, names, placed = [], set(), []
        for index, entry in enumerate(raw):
            name = entry.get("name") if isinstance(entry, dict) else None
            where = f"waves[{index}] '{name}'" if isinstance(name, str) else f"waves[{index}]"
            if isinstance(name, str) and name in names:
                self.problem(where, f"duplicate wave name '{name}'; each wave needs its own name")
            names.add(name)
            wave, places = self.wave(entry, where)
            if wave is not None:
                waves.append(wave)
                placed.extend((place, wave, send) for place, send in zip(places, wave.sends))
        self.check_overlaps(placed)
        return tuple(waves)

    def wave(self, raw: Any, where: str) -> tuple[Wave | None, list[str]]:
        """The wave, and where each of its sends is in the file (for problems found later)."""
        data = self.fields(raw, WAVE_FIELDS, {"name", "title", "anchor", "window", "sends"}, where)
        if not data:
            return None, []
        name = data.get("name")
        if not isinstance(name, str) or not INSTRUMENT_ID_PATTERN.match(name):
            self.problem(where, f"name {name!r} must be lower-case letters, digits and hyphens, e.g. exit-3m")
        title = self.words(data.get("title"), where, "title")
        anchor = data.get("anchor")
        if anchor not in ANCHORS:
            self.problem(where, f"anchor {anchor!r} must be one of {', '.join(ANCHORS)}")
        offset = self.whole(data.get("offset_months", 0), where, "offset_months", 0, MAX_OFFSET_MONTHS)
        anchor_date = self.anchor_date(data.get("anchor_date"), where, anchor)
        window = self.window(data.get("window"), where, anchor)
        places, sends = self.sends(data.get("sends"), where)
        if None in (offset, window) or anchor not in ANCHORS or (anchor == "date" and anchor_date is None):
            return None, []
        return Wave(name, title, anchor, offset, window, sends, anchor_date), places

    def anchor_date(self, raw: Any, where: str, anchor: Any) -> tuple[int, int] | None:
        if anchor != "date":
            if raw is not None:
                self.problem(where, "anchor_date is only for anchor: date; remove it or set anchor: date")
            return None
        if raw is None:
            self.problem(where, "anchor: date needs anchor_date: {month: M, day: D}, e.g. {month: 3, day: 1}")
            return None
        data = self.fields(raw, {"month", "day"}, {"month", "day"}, f"{where} anchor_date")
        month, day = data.get("month"), data.get("day")
        if month is None or day is None:
            return None  # already reported as a missing field
        try:
            if isinstance(month, bool) or isinstance(day, bool):
                raise TypeError
            # 2023 is not a leap year: 29 February would leave three years in four without a wave.
            date(2023, month, day)
        except (TypeError, ValueError):
            self.problem(f"{where} anchor_date", f"month {month!r} and day {day!r} are not a date in every year; "
                                                 "use e.g. {month: 3, day: 1} (29 February is refused)")
            return None
        return (month, day)

    def window(self, raw: Any, where: str, anchor: Any) -> Window | None:
        data = self.fields(raw, {"opens", "closes"}, {"opens", "closes"}, f"{where} window")
        if not data:
            return None
        opens = self.whole(data.get("opens"), f"{where} window", "opens", -MAX_WINDOW_DAYS, MAX_WINDOW_DAYS)
        closes = self.whole(data.get("closes"), f"{where} window", "closes", -MAX_WINDOW_DAYS, MAX_WINDOW_DAYS)
        if opens is None or closes is None:
            return None
        if opens > closes:
            self.problem(f"{where} window", f"opens {opens:+d} days after it closes ({closes:+d} days); "
                                            "opens must be at or before closes")
            return None
        if closes - opens > MAX_WINDOW_DAYS:
            self.problem(f"{where} window", f"is {closes - opens} days long; keep it to {MAX_WINDOW_DAYS} days or fewer")
            return None
        if anchor == "date" and closes - opens >= 365:
            self.problem(f"{where} window", "a yearly wave's window must be shorter than a year, so one year's "
                                            "invitations close before the next year's open")
            return None
        return Window(opens, closes)

    # -- sends ----------------------------------------------------------------------------
    def sends(self, raw: Any, wave_where: str) -> tuple[list[str], tuple[Send, ...]]:
        if not isinstance(raw, list) or not raw:
            self.problem(wave_where, "sends must be a list of {instrument, to}, e.g. [{instrument: follow-up, to: members}]")
            return [], ()
        places, sends = [], []
        for index, entry in enumerate(raw):
            send = self.send(entry, f"{wave_where} sends[{index}]")
            if send is not None:
                places.append(f"{wave_where} sends[{index}]")
                sends.append(send)
        return places, tuple(sends)

    def send(self, raw: Any, where: str) -> Send | None:
        data = self.fields(raw, SEND_FIELDS, {"instrument", "to"}, where)
        if not data:
            return None
        instrument_id, to = data.get("instrument"), data.get("to")
        instrument = None
        try:
            instrument = self.catalogue.latest(instrument_id)
        except (KeyError, TypeError):
            self.problem(where, f"instrument {instrument_id!r} is not in the catalogue; use the id of a folder in "
                                "questionnaires/ whose files pass 'instruments check'")
        if to not in RECIPIENTS:
            self.problem(where, f"to {to!r} must be one of {', '.join(RECIPIENTS)}")
            return None
        if instrument is not None:
            self.check_respondents(instrument, to, where)
        roles = self.roles(data.get("roles"), to, where)
        min_age = None
        if "min_age" in data:
            if to != "members":
                self.problem(where, "min_age is only for to: members; remove it")
            else:
                min_age = self.whole(data["min_age"], where, "min_age", 0, OLDEST)
        channels = self.channels(data.get("channels"), to, instrument, where)
        anonymous = data.get("anonymous", False)
        if not isinstance(anonymous, bool):
            self.problem(where, f"anonymous must be true or false, not {anonymous!r}")
            return None
        if anonymous and to != "partner_contacts":
            # Families' answers are paired across waves (entry and exit): they cannot be unlinked.
            self.problem(where, "anonymous: true is only for to: partner_contacts; families' answers are paired "
                                "across waves and cannot be unlinked from the member")
            return None
        if instrument is None or roles is None or channels is None:
            return None
        if to == "members" and (roles or min_age is not None):
            self.check_reach(instrument, roles, min_age, where)
        return Send(instrument_id, to, roles, min_age, channels, anonymous)

    def check_respondents(self, instrument: Instrument, to: str, where: str) -> None:
        roles = {respondent.role for respondent in instrument.respondents}
        needed = RECIPIENT_RESPONDENT_ROLES[to]
        if needed is None and not roles & set(FAMILY_RESPONDENT_ROLES):
            self.problem(where, f"instrument '{instrument.id}' is not answered by family members (its respondents: "
                                f"{_respondents(instrument)}); send it to key_worker or partner_contacts, "
                                "or choose an instrument for families")
        elif needed is not None and needed not in roles:
            self.problem(where, f"to: {to} needs an instrument with respondent role {needed}, but '{instrument.id}' "
                                f"is answered by {_respondents(instrument)}")

    def roles(self, raw: Any, to: str, where: str) -> tuple[str, ...] | None:
        if raw is None:
            return ()
        if to != "members":
            self.problem(where, "roles are only for to: members; remove them")
            return None
        if not isinstance(raw, list) or not all(isinstance(role, str) for role in raw):
            self.problem(where, f"roles must be a list of member roles, e.g. [mother, father], not {raw!r}")
            return None
        unknown = [role for role in raw if role not in MEMBER_ROLES]
        if unknown:
            self.problem(where, f"unknown role(s) {', '.join(unknown)}; member roles are {', '.join(MEMBER_ROLES)}")
        if len(set(raw)) != len(raw):
            self.problem(where, "roles lists a role twice")
        return None if unknown else tuple(dict.fromkeys(raw))

    def channels(self, raw: Any, to: str, instrument: Instrument | None, where: str) -> tuple[str, ...] | None:
        modes = instrument.modes if instrument is not None else ()
        if raw is None:
            channels = default_channels(to, modes)
            if instrument is not None and to == "partner_contacts" and "web" not in modes:
                self.problem(where, f"the default channel for partner_contacts, email_link, needs mode web, which "
                                    f"'{instrument.id}' lacks; list channels the instrument supports")
                return None
            return channels
        if not isinstance(raw, list) or not raw or not all(isinstance(channel, str) for channel in raw):
            self.problem(where, f"channels must be a list drawn from {', '.join(CHANNELS)}, not {raw!r}")
            return None
        fine = True
        if len(set(raw)) != len(raw):
            self.problem(where, "channels lists a channel twice")
            fine = False
        for channel in raw:
            mode = CHANNEL_MODES.get(channel)
            if channel not in CHANNELS:
                self.problem(where, f"channel '{channel}' is not one of {', '.join(CHANNELS)}")
            elif to == "key_worker" and channel != "staff_task":
                self.problem(where, f"a key worker is asked through a staff task, not {channel}; "
                                    "use channels: [staff_task] or leave channels out")
            elif channel == "staff_task" and to != "key_worker":
                self.problem(where, "channel staff_task is only for to: key_worker")
            elif to == "partner_contacts" and channel not in CONTACT_CHANNELS:
                self.problem(where, f"partner contacts are reached by {', '.join(CONTACT_CHANNELS)} (they have an "
                                    f"email address, not a phone), not {channel}")
            elif mode is not None and instrument is not None and mode not in modes:
                self.problem(where, f"channel {channel} needs the instrument to have mode '{mode}', but "
                                    f"'{instrument.id}' has modes {', '.join(modes)}; remove the channel or "
                                    "add the mode in a new instrument version")
            else:
                continue
            fine = False
        return tuple(raw) if fine else None

    def check_reach(self, instrument: Instrument, roles: tuple[str, ...], min_age: int | None, where: str) -> None:
        """Refuse a send whose roles and minimum age leave no one the instrument allows to answer."""
        ages = range(min_age or 0, OLDEST + 1)
        if not any(may_answer(instrument, role, age) for role in roles or MEMBER_ROLES for age in ages):
            limits = (f"roles {', '.join(roles)}" if roles else "") + (
                f"{' and ' if roles else ''}min_age {min_age}" if min_age is not None else "")
            self.problem(where, f"no family member with {limits} may answer '{instrument.id}' (its respondents: "
                                f"{_respondents(instrument)}); widen roles or lower min_age")

    # -- across waves ---------------------------------------------------------------------
    def check_overlaps(self, placed: list[tuple[str, Wave, Send]]) -> None:
        """Refuse the same instrument to the same recipients in two windows that can be open at once.

        Entry and exit waves are not compared with each other: the time between a family's entry
        and exit is not known in advance.
        """
        for position, (_, wave_a, send_a) in enumerate(placed):
            for spot, wave_b, send_b in placed[position + 1:]:
                if not (_same_recipients(send_a, send_b) and wave_a.anchor == wave_b.anchor
                        and windows_can_overlap(wave_a, wave_b)):
                    continue
                if wave_a is wave_b:
                    self.problem(spot, f"sends '{send_b.instrument}' to {send_b.to} twice in one wave; remove one")
                else:
                    self.problem(spot, f"sends '{send_b.instrument}' to {send_b.to} while wave '{wave_a.name}' "
                                       "can still be open for the same people; move the windows apart or drop one send")


def _same_recipients(a: Send, b: Send) -> bool:
    if a.instrument != b.instrument or a.to != b.to:
        return False
    return not a.roles or not b.roles or bool(set(a.roles) & set(b.roles))


def _respondents(instrument: Instrument) -> str:
    parts = []
    for respondent in instrument.respondents:
        ages = ""
        if respondent.min_age is not None and respondent.max_age is not None:
            ages = f" {respondent.min_age}–{respondent.max_age}"
        elif respondent.min_age is not None:
            ages = f" {respondent.min_age}+"
        elif respondent.max_age is not None:
            ages = f" up to {respondent.max_age}"
        parts.append(respondent.role + ages)
    return ", ".join(parts)
