"""What an export reads: completed responses with their respondents' facts, answers and scores."""
from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from feedback.demo import random_answers
from feedback.extensions import db
from feedback.exports.dataset import Selection, answers, answers_wide, responses, scores
from feedback.families.service import erase_family, update_family
from feedback.survey.service import complete, instrument_for, save_answers
from feedback.waves.channels import OutboxBackend
from feedback.waves.dispatcher import dispatch_once
from feedback.waves.models import Invitation
from tests.families.helpers import family_with_members
from tests.waves.seeding import sending_moment

TODAY = date.today()


def answered_family(world, case, site="north"):
    """A family that left support today and answered every text of its exit wave."""
    family, members = family_with_members(world[site], world["kw_north"] if site == "north" else world["practitioner_south"],
                                          case_ref=case, entry=TODAY - timedelta(days=120),
                                          members=(("mother", 1988, 3), ("father", 1985, 7)))
    update_family(family, family.version, exit_date=TODAY)
    db.session.commit()
    dispatch_once(OutboxBackend(), now=sending_moment(TODAY))
    rng = random.Random(case)
    for invitation in db.session.scalars(sa.select(Invitation).filter_by(family_id=family.id, state="sent")):
        response = invitation.response
        instrument = instrument_for(response)
        save_answers(response, random_answers(instrument, rng), mode="web")
        complete(response, instrument)
    return family, members


def test_completed_responses_come_with_their_respondents_facts(app, ctx, world):
    family, (mother, father) = answered_family(world, "C-1")
    frame = responses(Selection())
    assert len(frame) == 4  # exit-interview and family-functioning, from each parent
    assert set(frame["instrument"]) == {"exit-interview", "family-functioning"}
    row = frame[frame["member_id"] == mother.id].iloc[0]
    assert (row["site"], row["role"], row["birth_year"], row["wave"]) == ("north", "mother", 1988, "exit")
    assert row["exit_date"] == TODAY and row["version"] >= 1 and row["content_hash"]


def test_the_selection_narrows_by_instrument_wave_and_site(app, ctx, world):
    answered_family(world, "C-1")
    answered_family(world, "S-1", site="south")
    assert len(responses(Selection(instruments=("exit-interview",)))) == 4
    assert len(responses(Selection(waves=("exit-3m",)))) == 0
    assert set(responses(Selection(site_codes=("south",)))["site"]) == {"south"}


def test_answers_and_scores_belong_to_the_selected_responses(app, ctx, world):
    answered_family(world, "C-1")
    chosen = Selection(instruments=("family-functioning",))
    frame = responses(chosen)
    long = answers(chosen)
    assert set(long["response_id"]) == set(frame["response_id"])
    wide = answers_wide(long)
    assert len(wide) == len(frame) and wide.notna().any().all()
    scored = scores(chosen)
    assert set(scored["response_id"]) == set(frame["response_id"]) and scored["scoring_version"].notna().all()


def test_an_erased_familys_kept_responses_have_no_link_to_it(app, ctx, world):
    family, _ = answered_family(world, "C-1")
    erase_family(family, None)
    db.session.commit()
    frame = responses(Selection())
    assert len(frame) == 4 and frame["family_id"].isna().all() and frame["site"].isna().all()
    assert len(responses(Selection(site_codes=("north",)))) == 0
