"""The schedule validator names the file, the wave and send, and what to do, and misses nothing."""
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from feedback.instruments import load_catalogue
from feedback.waves.schedule import Send, Wave, windows_can_overlap
from feedback.waves.schedule_loader import ScheduleError, build_schedule, load_schedule, load_schedules
from feedback.waves.scheduling import QuietHours, Window, due_date

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = load_catalogue(ROOT / "questionnaires")
FILE = "schedules/demo.yaml"

VALID = """
id: demo
title: Demo schedule
timezone: Europe/London
quiet_hours: {start: "20:00", end: "09:00", no_sundays: true}
reminders: {after_days: [3, 7], limit: 2}
waves:
  - name: exit
    title: End of support
    anchor: exit
    window: {opens: -7, closes: 28}
    sends:
      - {instrument: exit-interview, to: members}
      - {instrument: practitioner-assessment, to: key_worker}
  - name: exit-3m
    title: 3 months after
    anchor: exit
    offset_months: 3
    window: {opens: -7, closes: 28}
    sends:
      - {instrument: follow-up, to: members}
  - name: partners
    title: Partner survey
    anchor: date
    anchor_date: {month: 3, day: 1}
    window: {opens: 0, closes: 42}
    sends:
      - {instrument: partner-survey, to: partner_contacts}
"""


def write(folder: Path, text: str, name: str = "demo.yaml") -> Path:
    path = folder / "schedules" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def problems_for(tmp_path, text) -> list[str]:
    with pytest.raises(ScheduleError) as caught:
        load_schedule(write(tmp_path, text), FILE, CATALOGUE)
    return [str(problem) for problem in caught.value.problems]


def changed(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, 1)


# -- what loads -----------------------------------------------------------------------------
def test_the_shipped_schedules_load_cleanly_against_the_shipped_instruments():
    schedules, problems = load_schedules(ROOT / "questionnaires", CATALOGUE)
    assert problems == []
    assert set(schedules) == {"family-support", "partner-survey"}
    family = schedules["family-support"]
    assert [wave.name for wave in family.waves] == ["entry", "exit", "exit-3m", "exit-6m", "exit-12m"]
    assert family.wave("exit-12m").offset_months == 12
    assert {send.instrument for send in family.wave("exit").sends} == {
        "exit-interview", "family-functioning", "practitioner-assessment"}
    partners = schedules["partner-survey"].wave("annual")
    assert partners.anchor == "date" and partners.anchor_date == (3, 1)
    assert partners.sends == (Send("partner-survey", "partner_contacts", channels=("email_link",),
                                  anonymous=True),)


def test_a_valid_file_loads_with_defaults_filled_in(tmp_path):
    schedule = load_schedule(write(tmp_path, VALID), FILE, CATALOGUE)
    exit_wave = schedule.wave("exit")
    assert exit_wave.offset_months == 0 and exit_wave.window == Window(-7, 28)
    members, key_worker = exit_wave.sends
    # exit-interview has modes web and interview: no SMS conversation.
    assert members.channels == ("sms_link", "interview", "email_link")
    assert key_worker.channels == ("staff_task",)
    assert schedule.wave("exit-3m").sends[0].channels == ("sms_link", "sms_conversation", "interview", "email_link")
    assert schedule.description == "" and len(schedule.content_hash) == 64
    with pytest.raises(KeyError):
        schedule.wave("exit-24m")


def test_quiet_hours_and_reminders_default_to_evenings_sundays_and_two_reminders(tmp_path):
    text = VALID.replace('quiet_hours: {start: "20:00", end: "09:00", no_sundays: true}\n', "")
    text = text.replace("reminders: {after_days: [3, 7], limit: 2}\n", "").replace("timezone: Europe/London\n", "")
    schedule = load_schedule(write(tmp_path, text), FILE, CATALOGUE)
    assert schedule.quiet_hours == QuietHours()
    assert schedule.reminders.after_days == (3, 7) and schedule.reminders.limit == 2


def test_the_time_zone_is_the_quiet_hours_time_zone(tmp_path):
    schedule = load_schedule(write(tmp_path, changed("Europe/London", "Europe/Dublin")), FILE, CATALOGUE)
    assert schedule.quiet_hours.timezone == "Europe/Dublin"


def test_comments_and_layout_do_not_change_the_hash_but_meaning_does(tmp_path):
    first = load_schedule(write(tmp_path, VALID), FILE, CATALOGUE)
    relaid = load_schedule(write(tmp_path, "# a comment\n" + changed("after_days: [3, 7]", "after_days: [3,   7]"),
                                 "b.yaml"), FILE, CATALOGUE)
    other = load_schedule(write(tmp_path, changed("limit: 2", "limit: 1"), "c.yaml"), FILE, CATALOGUE)
    assert relaid.content_hash == first.content_hash
    assert other.content_hash != first.content_hash


def test_a_window_may_close_before_an_entry_or_exit_anchor(tmp_path):
    schedule = load_schedule(write(tmp_path, changed("{opens: -7, closes: 28}", "{opens: -21, closes: -1}")),
                             FILE, CATALOGUE)
    assert schedule.wave("exit").window == Window(-21, -1)


def test_the_same_instrument_may_go_to_different_roles_at_once(tmp_path):
    text = changed("      - {instrument: exit-interview, to: members}\n",
                   "      - {instrument: exit-interview, to: members, roles: [mother, father]}\n"
                   "      - {instrument: exit-interview, to: members, roles: [young_person]}\n")
    assert len(load_schedule(write(tmp_path, text), FILE, CATALOGUE).wave("exit").sends) == 3


def test_entry_and_exit_waves_are_not_compared_as_the_time_between_them_is_unknown(tmp_path):
    text = changed("anchor: exit\n    offset_months: 3", "anchor: entry\n    offset_months: 0").replace(
        "follow-up, to: members", "exit-interview, to: members")
    load_schedule(write(tmp_path, text), FILE, CATALOGUE)


PARTNERS_AGAIN = """      - {instrument: partner-survey, to: partner_contacts}
  - name: partners-again
    title: Partner survey again
    anchor: date
    anchor_date: {month: 4, day: 1}
    window: {opens: 0, closes: 42}
    sends:
      - {instrument: partner-survey, to: partner_contacts}
"""


# -- what is refused, one rule at a time -------------------------------------------------------
# Each case: the change to VALID, where the problem is, and words of the message.
RULES = [
    # unknown and missing fields, wrong types
    (("  - name: exit-3m\n", "  - name: exit-3m\n    offest_months: 3\n"),
     "waves[1] 'exit-3m'", "unknown field 'offest_months' (allowed: anchor, anchor_date,"),
    (("title: Demo schedule\n", ""), "", "missing required field 'title'"),
    (("    title: 3 months after\n", ""), "waves[1] 'exit-3m'", "missing required field 'title'"),
    (("{instrument: follow-up, to: members}", "{instrument: follow-up}"),
     "waves[1] 'exit-3m' sends[0]", "missing required field 'to'"),
    (("offset_months: 3", "offset_months: three"), "waves[1] 'exit-3m'",
     "offset_months must be a whole number, not 'three'"),
    (("{opens: -7, closes: 28}", "{opens: -7, closes: 4 weeks}"), "waves[0] 'exit' window",
     "closes must be a whole number, not '4 weeks'"),
    (("no_sundays: true", "no_sundays: sometimes"), "quiet_hours", "no_sundays must be true or false"),
    (("{instrument: follow-up, to: members}", "{instrument: follow-up, to: members, roles: mother}"),
     "waves[1] 'exit-3m' sends[0]", "roles must be a list of member roles, e.g. [mother, father]"),
    (("waves:\n", "waves: {}\nold_waves:\n"), "waves", "must be a list of waves"),
    (("    sends:\n      - {instrument: follow-up, to: members}\n", "    sends: []\n"),
     "waves[1] 'exit-3m'", "sends must be a list of {instrument, to}"),
    # wave names and anchors
    (("name: exit-3m", "name: exit"), "waves[1] 'exit'", "duplicate wave name 'exit'; each wave needs its own name"),
    (("name: exit-3m", "name: Exit 3m"), "waves[1] 'Exit 3m'", "must be lower-case letters, digits and hyphens"),
    (("anchor: exit\n    offset_months: 3", "anchor: referral\n    offset_months: 3"),
     "waves[1] 'exit-3m'", "anchor 'referral' must be one of entry, exit, date"),
    (("    anchor_date: {month: 3, day: 1}\n", ""), "waves[2] 'partners'",
     "anchor: date needs anchor_date: {month: M, day: D}"),
    (("{month: 3, day: 1}", "{month: 2, day: 30}"), "waves[2] 'partners' anchor_date",
     "month 2 and day 30 are not a date in every year"),
    (("{month: 3, day: 1}", "{month: 2, day: 29}"), "waves[2] 'partners' anchor_date", "29 February is refused"),
    (("{month: 3, day: 1}", "{month: 13, day: 1}"), "waves[2] 'partners' anchor_date",
     "month 13 and day 1 are not a date"),
    (("offset_months: 3\n", "offset_months: 3\n    anchor_date: {month: 3, day: 1}\n"), "waves[1] 'exit-3m'",
     "anchor_date is only for anchor: date; remove it or set anchor: date"),
    # offsets and windows
    (("offset_months: 3", "offset_months: 121"), "waves[1] 'exit-3m'", "offset_months is 121; it must be 0–120"),
    (("offset_months: 3", "offset_months: -3"), "waves[1] 'exit-3m'", "offset_months is -3; it must be 0–120"),
    (("{opens: -7, closes: 28}", "{opens: 28, closes: -7}"), "waves[0] 'exit' window",
     "opens +28 days after it closes (-7 days); opens must be at or before closes"),
    (("{opens: -7, closes: 28}", "{opens: -200, closes: 200}"), "waves[0] 'exit' window",
     "is 400 days long; keep it to 366 days or fewer"),
    (("{opens: 0, closes: 42}", "{opens: 0, closes: 365}"), "waves[2] 'partners' window",
     "a yearly wave's window must be shorter than a year"),
    # overlapping waves
    (("{opens: -7, closes: 28}\n    sends:\n      - {instrument: follow-up",
      "{opens: -70, closes: 28}\n    sends:\n      - {instrument: exit-interview"),
     "waves[1] 'exit-3m' sends[0]", "sends 'exit-interview' to members while wave 'exit' can still be open "
                                    "for the same people; move the windows apart or drop one send"),
    (("      - {instrument: partner-survey, to: partner_contacts}\n", PARTNERS_AGAIN),
     "waves[3] 'partners-again' sends[0]", "sends 'partner-survey' to partner_contacts while wave 'partners'"),
    (("      - {instrument: practitioner-assessment, to: key_worker}\n",
      "      - {instrument: practitioner-assessment, to: key_worker}\n"
      "      - {instrument: practitioner-assessment, to: key_worker}\n"),
     "waves[0] 'exit' sends[2]", "sends 'practitioner-assessment' to key_worker twice in one wave"),
    # instruments and recipients
    (("instrument: follow-up", "instrument: follow-ups"), "waves[1] 'exit-3m' sends[0]",
     "instrument 'follow-ups' is not in the catalogue"),
    (("{instrument: practitioner-assessment, to: key_worker}", "{instrument: exit-interview, to: key_worker}"),
     "waves[0] 'exit' sends[1]", "to: key_worker needs an instrument with respondent role practitioner, "
                                 "but 'exit-interview' is answered by parent_carer, young_person 11+"),
    (("{instrument: follow-up, to: members}", "{instrument: member-assessment, to: members}"),
     "waves[1] 'exit-3m' sends[0]", "instrument 'member-assessment' is not answered by family members"),
    (("{instrument: partner-survey, to: partner_contacts}", "{instrument: follow-up, to: partner_contacts}"),
     "waves[2] 'partners' sends[0]", "to: partner_contacts needs an instrument with respondent role partner_staff"),
    (("to: members}", "to: family}"), "waves[0] 'exit' sends[0]",
     "to 'family' must be one of members, key_worker, partner_contacts"),
    # roles and ages
    (("{instrument: follow-up, to: members}", "{instrument: follow-up, to: members, roles: [mother, aunt]}"),
     "waves[1] 'exit-3m' sends[0]", "unknown role(s) aunt; member roles are mother, father,"),
    (("{instrument: follow-up, to: members}", "{instrument: follow-up, to: members, roles: [other]}"),
     "waves[1] 'exit-3m' sends[0]", "no family member with roles other may answer 'follow-up'"),
    (("{instrument: follow-up, to: members}", "{instrument: follow-up, to: members, min_age: 200}"),
     "waves[1] 'exit-3m' sends[0]", "min_age is 200; it must be 0–120"),
    (("to: key_worker}", "to: key_worker, roles: [mother]}"), "waves[0] 'exit' sends[1]",
     "roles are only for to: members; remove them"),
    (("to: key_worker}", "to: key_worker, min_age: 18}"), "waves[0] 'exit' sends[1]",
     "min_age is only for to: members; remove it"),
    # channels
    (("{instrument: follow-up, to: members}", "{instrument: follow-up, to: members, channels: [email]}"),
     "waves[1] 'exit-3m' sends[0]", "channel 'email' is not one of sms_link, sms_conversation, interview, staff_task, email_link"),
    (("{instrument: exit-interview, to: members}", "{instrument: exit-interview, to: members, channels: [sms_conversation]}"),
     "waves[0] 'exit' sends[0]", "channel sms_conversation needs the instrument to have mode 'sms', "
                                 "but 'exit-interview' has modes web, interview"),
    (("{instrument: partner-survey, to: partner_contacts}",
      "{instrument: partner-survey, to: partner_contacts, channels: [interview]}"),
     "waves[2] 'partners' sends[0]", "partner contacts are reached by email_link (they have an email address, "
                                     "not a phone), not interview"),
    (("{instrument: partner-survey, to: partner_contacts}",
      "{instrument: follow-up, to: members, anonymous: true}"),
     "waves[2] 'partners' sends[0]", "anonymous: true is only for to: partner_contacts"),
    (("{instrument: partner-survey, to: partner_contacts}",
      "{instrument: partner-survey, to: partner_contacts, anonymous: 'yes'}"),
     "waves[2] 'partners' sends[0]", "anonymous must be true or false"),
    (("{instrument: follow-up, to: members}", "{instrument: follow-up, to: members, channels: [staff_task]}"),
     "waves[1] 'exit-3m' sends[0]", "channel staff_task is only for to: key_worker"),
    (("to: key_worker}", "to: key_worker, channels: [sms_link]}"), "waves[0] 'exit' sends[1]",
     "a key worker is asked through a staff task, not sms_link"),
    (("{instrument: follow-up, to: members}", "{instrument: follow-up, to: members, channels: [sms_link, sms_link]}"),
     "waves[1] 'exit-3m' sends[0]", "channels lists a channel twice"),
    # time zone, quiet hours, reminders
    (("Europe/London", "Europe/Cardiff"), "timezone", "'Europe/Cardiff' is not a time zone; use a name such as"),
    (('start: "20:00"', 'start: "8pm"'), "quiet_hours", "start '8pm' must be a 24-hour time \"HH:MM\""),
    (('end: "09:00"', 'end: "9:00"'), "quiet_hours", "end '9:00' must be a 24-hour time"),
    (('start: "20:00"', "start: 20:00"), "quiet_hours", "start must be a time in quotes, e.g. \"20:00\""),
    (("after_days: [3, 7]", "after_days: [0, 7]"), "reminders", "after_days must be a list of whole numbers of days from 1"),
    (("after_days: [3, 7]", "after_days: [7, 3]"), "reminders", "after_days [7, 3] must increase"),
    (("after_days: [3, 7]", "after_days: [3, 3]"), "reminders", "after_days [3, 3] must increase"),
    (("limit: 2", "limit: -1"), "reminders", "limit is -1; it must be at least 0"),
]


@pytest.mark.parametrize("change, where, message", RULES, ids=[rule[2] for rule in RULES])
def test_each_mistake_is_reported_with_file_place_and_what_to_do(tmp_path, change, where, message):
    problems = problems_for(tmp_path, changed(*change))
    prefix = f"{FILE}: {where}: " if where else f"{FILE}: "
    assert any(problem.startswith(prefix) and message in problem for problem in problems), problems


def test_yearly_windows_are_compared_across_the_turn_of_the_year(tmp_path):
    text = changed("{month: 3, day: 1}", "{month: 12, day: 20}")
    text = text.replace("      - {instrument: partner-survey, to: partner_contacts}\n",
                        PARTNERS_AGAIN.replace("{month: 4, day: 1}", "{month: 1, day: 15}"), 1)
    assert any("while wave 'partners' can still be open" in problem for problem in problems_for(tmp_path, text))
    later = text.replace("{month: 1, day: 15}", "{month: 2, day: 15}")
    assert load_schedule(write(tmp_path, later), FILE, CATALOGUE).wave("partners-again").anchor_date == (2, 15)


def test_a_later_problem_names_the_send_by_its_place_in_the_file_even_after_a_refused_send(tmp_path):
    text = changed("      - {instrument: practitioner-assessment, to: key_worker}\n",
                   "      - {instrument: nothing, to: members}\n"
                   "      - {instrument: practitioner-assessment, to: key_worker}\n" * 2)
    problems = problems_for(tmp_path, text)
    assert f"{FILE}: waves[0] 'exit' sends[1]: instrument 'nothing' is not in the catalogue" in problems[0]
    assert problems[-1].startswith(f"{FILE}: waves[0] 'exit' sends[4]: sends 'practitioner-assessment' to key_worker twice")


def test_malformed_yaml_is_reported_with_its_line(tmp_path):
    problems = problems_for(tmp_path, changed("title: Demo schedule", "title: [Demo schedule"))
    assert len(problems) == 1
    assert problems[0].startswith(f"{FILE}: line ") and "not valid YAML" in problems[0]


def test_an_empty_file_is_refused(tmp_path):
    assert problems_for(tmp_path, "") == [f"{FILE}: must be a mapping of fields, not NoneType"]


def test_every_problem_is_reported_at_once(tmp_path):
    text = changed("instrument: follow-up", "instrument: follow-ups").replace("limit: 2", "limit: -1")
    text = text.replace("anchor: exit\n    window", "anchor: start\n    window")
    problems = problems_for(tmp_path, text)
    assert len(problems) == 3, problems


def test_two_files_may_not_share_a_schedule_id(tmp_path):
    folder = tmp_path / "questionnaires"
    write(folder, VALID, "a.yaml")
    write(folder, VALID, "b.yaml")
    schedules, problems = load_schedules(folder, CATALOGUE)
    assert list(schedules) == ["demo"]
    assert [str(problem) for problem in problems] == [
        "questionnaires/schedules/b.yaml: id: 'demo' is already the id of questionnaires/schedules/a.yaml; "
        "give each schedule its own id"]


def test_problems_from_several_files_are_collected_and_valid_files_still_load(tmp_path):
    folder = tmp_path / "questionnaires"
    write(folder, VALID, "a.yaml")
    write(folder, changed("id: demo", "id: other").replace("limit: 2", "limit: -1"), "b.yaml")
    schedules, problems = load_schedules(folder, CATALOGUE)
    assert list(schedules) == ["demo"]
    assert [problem.file for problem in problems] == ["questionnaires/schedules/b.yaml"]


def test_a_folder_without_schedules_has_none_and_no_problems(tmp_path):
    assert load_schedules(tmp_path, CATALOGUE) == ({}, [])


# -- properties -------------------------------------------------------------------------------
def one_wave(waves: list[dict]) -> dict:
    return {"id": "demo", "title": "Demo", "waves": waves}


def follow_up_wave(name: str, months: int, opens: int, closes: int) -> dict:
    return {"name": name, "title": name, "anchor": "exit", "offset_months": months,
            "window": {"opens": opens, "closes": closes}, "sends": [{"instrument": "follow-up", "to": "members"}]}


@given(st.integers(-400, 400), st.integers(-400, 400))
def test_a_window_is_accepted_exactly_when_it_opens_before_it_closes_and_lasts_at_most_366_days(opens, closes):
    raw = one_wave([follow_up_wave("w", 3, opens, closes)])
    acceptable = -366 <= opens <= closes <= 366 and closes - opens <= 366
    try:
        build_schedule(raw, FILE, CATALOGUE)
    except ScheduleError:
        assert not acceptable
    else:
        assert acceptable


@settings(max_examples=60, deadline=None)  # a new pair of offsets costs a few thousand date sums
# One month after 1 February is only 28 days later: these windows touch then, never in a long month.
@example(0, 1, 0, 28, 0, 10, date(2023, 2, 1))
@given(st.integers(0, 24), st.integers(0, 24), st.integers(-60, 0), st.integers(0, 60), st.integers(-60, 0),
       st.integers(0, 60), st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_two_waves_whose_windows_overlap_for_some_familys_exit_date_are_refused(
        months_a, months_b, opens_a, closes_a, opens_b, closes_b, exit_date):
    raw = one_wave([follow_up_wave("a", months_a, opens_a, closes_a), follow_up_wave("b", months_b, opens_b, closes_b)])
    due_a, due_b = due_date(exit_date, months_a), due_date(exit_date, months_b)
    overlap_here = (due_a + timedelta(days=opens_a) <= due_b + timedelta(days=closes_b)
                    and due_b + timedelta(days=opens_b) <= due_a + timedelta(days=closes_a))
    try:
        build_schedule(raw, FILE, CATALOGUE)
    except ScheduleError as error:
        assert all("can still be open" in problem.message for problem in error.problems)
    else:
        assert not overlap_here


def test_the_parsed_yaml_is_kept_for_storing_the_schedule(tmp_path):
    schedule = load_schedule(write(tmp_path, VALID), FILE, CATALOGUE)
    assert schedule.raw == yaml.safe_load(VALID)
    assert schedule.path == FILE


def test_the_example_in_the_format_guide_is_a_valid_schedule():
    guide = (ROOT / "questionnaires" / "README.md").read_text(encoding="utf-8")
    example = guide.split("## Schedules", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    schedule = build_schedule(yaml.safe_load(example), "README.md", CATALOGUE)
    assert [wave.name for wave in schedule.waves] == ["exit-3m", "annual"]


def test_waves_with_different_anchors_cannot_be_compared():
    entry = Wave("entry", "Entry", "entry", 0, Window(0, 28), ())
    exit_wave = Wave("exit", "Exit", "exit", 0, Window(0, 28), ())
    with pytest.raises(ValueError, match="cannot compare"):
        windows_can_overlap(entry, exit_wave)
