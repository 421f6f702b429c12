"""Report fixtures: families with key worker's assessments stored through the survey services."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from feedback.extensions import db
from feedback.instruments.loader import load_instrument
from feedback.survey.service import complete, create_response, save_answers
from tests.families.helpers import family_with_members

QUESTIONNAIRES = Path(__file__).resolve().parents[2] / "questionnaires"
EXIT = date(2026, 3, 31)


def assessment(family, wave: str, level: int, risks: dict | None = None):
    instrument = load_instrument(QUESTIONNAIRES / "practitioner-assessment" / "v1.yaml")
    response, _token = create_response(instrument, 28)
    response.family_id, response.wave = family.id, wave
    answers = {"assessment_point": 1 if wave == "entry" else 2, "level_of_need": level}
    answers.update(risks or {})
    save_answers(response, answers, mode="staff")
    complete(response, instrument)
    return response


def assessed_family(world, case: str, site: str, entry_level: int, exit_level: int, exit_: date = EXIT):
    """A family assessed at entry and at exit (levels of need 1–4), which left support on ``exit_``."""
    family, _members = family_with_members(world[site], None, case_ref=case, entry=date(2025, 10, 1), exit_=exit_,
                                           members=(("mother", 1988, 3),))
    assessment(family, "entry", entry_level)
    assessment(family, "exit", exit_level)
    db.session.commit()
    return family


def north_need_flow(world) -> None:
    """North: 11 families improved (specialist → targeted), 15 stayed specialist and one escalated
    (specialist → statutory): a count of 1 with enough around it to be protected and the rest shown."""
    for n in range(11):
        assessed_family(world, f"N-{n}", "north", 3, 2)
    for n in range(15):
        assessed_family(world, f"N-S{n}", "north", 3, 3)
    assessed_family(world, "N-ESC", "north", 3, 4)
