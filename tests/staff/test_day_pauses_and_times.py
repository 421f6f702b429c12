"""A key worker's day (issue 22): contact pauses ending in the next 14 days, then those with no end
date; and a telephone interview due says when an interview suits the member."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from feedback.extensions import db
from feedback.families.models import ContactPause, Family, Member
from feedback.families.service import lift_pause, pause_contact
from feedback.staff.day import PAUSE_ENDING_DAYS
from tests.families.helpers import family_with_members
from tests.staff.scene import ENTRY
from tests.staff.test_key_worker_day import day_for, home, seeded  # noqa: F401  (the fixture)
from tests.conftest import page_text

TIMES = "Weekday mornings, not after 3pm"


def pause_family(world, case_ref: str, ends_in: int | None, key_worker: str = "kw_north") -> int:
    """A north family paused as a whole until ``ends_in`` days from today (None: no end); its id."""
    from feedback.families.service import local_today

    family, _members = family_with_members(world["north"], world[key_worker], case_ref, entry=ENTRY,
                                           members=(("mother", 1990, 1),))
    ends_on = local_today() + timedelta(days=ends_in) if ends_in is not None else None
    pause_contact(family, None, "", world[key_worker], ends_on=ends_on)
    db.session.commit()
    return family.id


def test_pauses_ending_soon_come_first_then_those_with_no_end(app, world, seeded):  # noqa: F811
    with app.app_context():
        pause_family(world, "N-40", 3)
        pause_family(world, "N-41", PAUSE_ENDING_DAYS)
        pause_family(world, "N-42", PAUSE_ENDING_DAYS + 1)  # not yet: it comes within 14 days later
        pause_family(world, "N-43", 1, key_worker="practitioner_north")
        pause_family(world, "N-44", None, key_worker="practitioner_north")
        lifted = pause_family(world, "N-45", 2)
        lift_pause(db.session.scalars(sa.select(ContactPause).filter_by(family_id=lifted)).one(), None)
        db.session.commit()
    day = day_for(app, world, "kw_north")
    # Ending ones (the user's own families first, each part the soonest first), then those with no end.
    assert [(row.case_ref, row.until is not None) for row in day.pauses] == [
        ("N-40", True), ("N-41", True), ("N-43", True), ("N-1", False), ("N-44", False)]
    ending = {row.case_ref: row.until for row in day.pauses if row.until}
    assert ending["N-40"] - ending["N-43"] == timedelta(days=2)

    html = home(app, "kw_north")
    assert "Contact pauses ending (5)" in html
    assert "Pauses that end in the next 14 days, then pauses with no end date" in html
    pauses = html[html.index('id="pauses"'):]
    assert "Ends on" in pauses and "No end date." in pauses and "Paused since" in pauses
    assert "N-42" not in page_text(html) and "N-45" not in page_text(html)


def test_another_sites_pauses_never_show(app, world, seeded):  # noqa: F811
    with app.app_context():
        pause_family(world, "N-46", 2)
    south = day_for(app, world, "practitioner_south")
    assert [row.case_ref for row in south.pauses] == ["S-1"]
    assert "N-46" not in home(app, "practitioner_south")


def test_an_ended_pause_not_yet_lifted_still_shows_at_the_top(app, world, seeded):  # noqa: F811
    with app.app_context():
        pause_family(world, "N-47", -1)
    day = day_for(app, world, "kw_north")
    assert [row.case_ref for row in day.pauses] == ["N-47", "N-1"]


def test_a_telephone_interview_says_when_it_suits_the_member(app, world, seeded):  # noqa: F811
    assert "Suits them" not in home(app, "kw_north")
    with app.app_context():
        gran = db.session.scalar(sa.select(Member).join(Family).where(Member.name == "Gran",
                                                                      Family.id == seeded.family))
        gran.interview_times = TIMES
        db.session.commit()
    [interview] = day_for(app, world, "kw_north").interviews
    assert interview.times == TIMES
    html = home(app, "kw_north")
    interviews = html[html.index('id="interviews"'):html.index('id="failed-texts"')]
    assert f"Suits them: {TIMES}" in interviews
    # A manager sees counts only: never the member's words.
    assert TIMES not in home(app, "manager_north")
    assert TIMES not in home(app, "practitioner_south")
