"""Kept pairs: reports count pairs kept per family, and those pairs follow every change of the
responses they were made from — a new or repeated assessment, an erasure, a role corrected."""
from __future__ import annotations

import dataclasses
from datetime import date

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.reports import pair_store
from feedback.reports.data import Filters, transitions
from feedback.reports.models import KeptAnswer, KeptStamp
from feedback.reports.response_changes import KeptCheck
from tests.reports.seeding import QUESTIONNAIRES, assessed_family, assessment

NEED = ["level_of_need"]


def _need(filters=Filters()) -> dict:
    moves = transitions(filters, "practitioner-assessment", NEED)
    return moves.set_index(["before", "after"])["n"].to_dict()


def _kept(model=KeptAnswer) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_pairs_are_made_once_and_then_only_counted(app, ctx, world, monkeypatch):
    assessed_family(world, "A", "north", 3, 2)
    assessed_family(world, "B", "south", 2, 2)
    assert _need() == {(3, 2): 1, (2, 2): 1}
    assert _kept() == 2 and _kept(KeptStamp) == 2

    def must_not_pair(*args, **kwargs):
        raise AssertionError("nothing changed, so nothing is paired again")

    monkeypatch.setattr(pair_store, "_pair", must_not_pair)
    assert _need() == {(3, 2): 1, (2, 2): 1}
    assert _need(Filters(site_ids=(world["north"],))) == {(3, 2): 1}


def test_a_new_assessment_is_counted_at_the_next_report(app, ctx, world):
    family = assessed_family(world, "A", "north", 3, 2)
    assert _need() == {(3, 2): 1}
    assessment(family, "exit", 1)                # re-assessed at exit: the latest reading counts
    db.session.commit()
    assert _need() == {(3, 1): 1}
    later = assessed_family(world, "B", "north", 4, 4)
    assert _need() == {(3, 1): 1, (4, 4): 1}
    assert db.session.get(KeptStamp, (pair_store.pairing_id("practitioner-assessment", NEED, "family",
                                                                     "entry", "exit"), later.id)).responses == 2


def test_a_family_paired_before_it_had_both_readings_is_counted_once_it_has(app, ctx, world):
    from tests.families.helpers import family_with_members

    family, _members = family_with_members(world["north"], None, case_ref="C", entry=date(2025, 10, 1),
                                           exit_=date(2026, 3, 31), members=(("mother", 1988, 3),))
    assessment(family, "entry", 3)
    db.session.commit()
    assert _need() == {}
    assert _kept() == 0 and _kept(KeptStamp) == 1     # stamped: nothing to pair yet
    assessment(family, "exit", 2)
    db.session.commit()
    assert _need() == {(3, 2): 1}


@pytest.mark.parametrize("policy", ["delete", "deidentify"])
def test_an_erased_family_leaves_no_pairs_behind(app, ctx, world, policy, monkeypatch):
    from feedback.families.service import erase_family

    monkeypatch.setitem(app.config, "FEEDBACK_SETTINGS",
                        dataclasses.replace(app.config["FEEDBACK_SETTINGS"], erasure_responses=policy))
    gone = assessed_family(world, "A", "north", 3, 2)
    assessed_family(world, "B", "north", 2, 2)
    assert _need() == {(3, 2): 1, (2, 2): 1}
    erase_family(gone, None)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KeptAnswer)
                             .where(KeptAnswer.family_id == gone.id)) == 0
    assert _need() == {(2, 2): 1}


def test_a_stamp_that_does_not_match_the_responses_is_made_again(app, ctx, world):
    family = assessed_family(world, "A", "north", 3, 2)
    assert _need() == {(3, 2): 1}
    # As if the pairs had been made while another assessment was being completed: its change was
    # noted after the counter the keeping was checked at.
    db.session.execute(sa.update(KeptStamp).values(responses=1))
    db.session.execute(sa.update(KeptAnswer).values(after="4"))
    db.session.execute(sa.update(KeptCheck).values(changes=KeptCheck.changes - 1))
    db.session.commit()
    assert _need() == {(3, 2): 1}
    assert db.session.scalar(sa.select(KeptStamp.responses).where(KeptStamp.family_id == family.id)) == 2


def _assessed_members(world, case_ref: str, roles, moves=((2, 0),)):
    """A family whose members (one per role) were assessed on drug risk at entry and exit."""
    from feedback.instruments.loader import load_instrument
    from feedback.survey.service import complete, create_response, save_answers
    from tests.families.helpers import family_with_members

    instrument = load_instrument(QUESTIONNAIRES / "member-assessment" / "v1.yaml")
    family, members = family_with_members(world["north"], None, case_ref=case_ref, exit_=date(2026, 3, 1),
                                          members=tuple((role, 1990, 3) for role in roles))
    for member, (entry, exit_) in zip(members, moves * len(members)):
        for wave, level in (("entry", entry), ("exit", exit_)):
            response, _token = create_response(instrument, 28)
            response.family_id, response.member_id, response.wave = family.id, member.id, wave
            save_answers(response, {"assessment_point": 1, "member_role": 1, "member_age_group": 1,
                                    "risk_drugs": level}, mode="staff")
            complete(response, instrument)
    db.session.commit()
    return family, members


def _children_and_adults() -> tuple[int, int]:
    moves = transitions(Filters(), "member-assessment", ["risk_drugs"], level="member", by_role=True)
    return int(moves.loc[moves["child"], "n"].sum()), int(moves.loc[~moves["child"], "n"].sum())


def test_a_corrected_role_counts_at_once(app, ctx, world):
    _family, members = _assessed_members(world, "M-1", ["child"])
    assert _children_and_adults() == (1, 0)
    members[0].role = "mother"                   # a key worker corrects the member's role
    db.session.commit()
    assert _children_and_adults() == (0, 1)
    members[0].role = "young_person"
    db.session.commit()
    assert _children_and_adults() == (1, 0)


def test_member_pairs_hold_the_role_and_only_a_role_change_makes_them_again(app, ctx, world, monkeypatch):
    """The split by role reads the role kept in each pair's slot (no members joined); an edit
    that leaves the role as it was (a name, a phone channel) makes nothing again, a role
    corrected makes only that family's pairs again."""
    corrected, (child, _carer) = _assessed_members(world, "M-1", ["child", "mother"])
    other, _members = _assessed_members(world, "M-2", ["young_person"])
    assert _children_and_adults() == (2, 1)
    pairing = pair_store.pairing_id("member-assessment", ["risk_drugs"], "member", "entry", "exit")
    slots = dict(db.session.execute(sa.select(KeptAnswer.subject_id, KeptAnswer.slot)
                                    .where(KeptAnswer.keeping == pairing)).all())
    assert slots == {child.id: "child", _carer.id: "adult", _members[0].id: "child"}
    made = []
    real = pair_store._pair
    monkeypatch.setattr(pair_store, "_pair", lambda pairing, families, *rest: (made.append(families),
                                                                               real(pairing, families, *rest)))
    child.name, child.channel = "Sam", "web_link"
    db.session.commit()
    assert _children_and_adults() == (2, 1) and made == []
    child.role = "other"
    db.session.commit()
    assert _children_and_adults() == (1, 2) and made == [[corrected.id]]


def test_a_removed_member_counts_as_pairing_the_answers_afresh_would(app, ctx, world):
    """A member removed (behind the app's back: the app erases families, not members): the split
    by role and the counts that ignore it equal the pandas pairing of the answers as they are now,
    on either database (PostgreSQL detaches the member's responses; SQLite, enforcing no foreign
    keys here, leaves them naming a member not on record)."""
    from feedback.families.models import Member
    from feedback.reports import pairs
    from feedback.reports.data import answers

    _family, (child, carer) = _assessed_members(world, "M-1", ["child", "mother"], moves=((2, 0), (3, 1)))
    _assessed_members(world, "M-2", ["young_person"])

    def both():
        split = transitions(Filters(), "member-assessment", ["risk_drugs"], level="member", by_role=True)
        whole = transitions(Filters(), "member-assessment", ["risk_drugs"], level="member")
        frame = answers(Filters(), "member-assessment", ["risk_drugs"])
        frame["child"] = frame["member_role"].map(lambda role: None if role is None or role != role
                                                   else role in ("child", "young_person"))
        expected_split = pairs.transitions(frame.dropna(subset=["child"]), "member_id", by="child")
        expected = pairs.transitions(frame, "member_id")
        as_set = lambda moves, columns: sorted(map(tuple, moves[columns].astype(str).values.tolist()))  # noqa: E731
        assert as_set(split, ["child", "before", "after", "n"]) == as_set(expected_split, ["child", "before", "after", "n"])
        assert as_set(whole, ["before", "after", "n"]) == as_set(expected, ["before", "after", "n"])
        return int(split["n"].sum()), int(whole["n"].sum())

    assert both() == (3, 3)
    db.session.execute(sa.delete(Member).where(Member.id == carer.id))
    db.session.commit()
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    assert both() == ((2, 2) if postgresql else (2, 3))


def test_a_role_corrected_while_its_pairs_are_made_is_not_missed(app, ctx, world, monkeypatch):
    """PostgreSQL (SQLite's writers take turns): a key worker corrects a role while a report is
    making that family's pairs with the role as it was. The correction waits for the report to
    commit (the report holds ``ROLE_LOCK`` shared), then notes the family it paired; the pairs'
    stamp counts the same responses as before, and only the member changes it holds show them to
    be stale. The report shows the role it read; the next one shows the correction."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite's writers take turns: a correction cannot commit inside a report's keeping")
    import threading

    from feedback.families.models import Member

    _family, (child,) = _assessed_members(world, "M-1", ["child"])
    child_id, engine = child.id, db.engine
    real = pair_store._pair
    correction = []

    def correct():
        with engine.begin() as other:             # the key worker's correction
            other.execute(sa.update(Member).where(Member.id == child_id).values(role="father"))

    def pair_then_correct(*args):
        real(*args)                              # rows made with the role as it was (uncommitted)
        if not correction:
            correction.append(threading.Thread(target=correct))
            correction[0].start()
            correction[0].join(0.5)
            assert correction[0].is_alive(), "the correction waits for the report to commit"

    monkeypatch.setattr(pair_store, "_pair", pair_then_correct)
    assert _children_and_adults() == (1, 0)      # this report read the role before the correction
    correction[0].join(10)
    assert not correction[0].is_alive()
    assert _children_and_adults() == (0, 1)      # the next one sees it


def test_a_role_corrected_while_the_members_answers_arrive_is_not_missed(app, ctx, world):
    """PostgreSQL, the race the reports' shared lock closes: a member's assessments are being
    completed (an import, say) when a key worker corrects the member's role. The correction's
    trigger sees none of them (not committed yet), so it notes nothing under the assessment; the
    assessments commit; a report pairs them while the correction is still in flight. The report
    waits for the correction and reads the corrected role, so neither it nor the next one counts
    the old one."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite's writers take turns: a correction cannot be in flight while a report pairs")
    import threading

    from feedback.families.models import Member
    from feedback.instruments.loader import load_instrument
    from feedback.survey.models import Response
    from feedback.survey.service import create_response, save_answers
    from tests.families.helpers import family_with_members

    _assessed_members(world, "M-0", ["mother"])             # the assessment has been reported on before
    assert _children_and_adults() == (0, 1)
    instrument = load_instrument(QUESTIONNAIRES / "member-assessment" / "v1.yaml")
    family, (child,) = family_with_members(world["north"], None, case_ref="M-1", exit_=date(2026, 3, 1),
                                           members=(("child", 1990, 3),))
    for wave in ("entry", "exit"):
        response, _token = create_response(instrument, 28)
        response.family_id, response.member_id, response.wave = family.id, child.id, wave
        save_answers(response, {"assessment_point": 1, "member_role": 1, "member_age_group": 1,
                                "risk_drugs": 2 if wave == "entry" else 0}, mode="staff")
    db.session.commit()                                     # answered, not completed yet
    arriving, correcting = db.engine.connect(), db.engine.connect()
    try:
        arriving.execute(sa.update(Response).where(Response.member_id == child.id)
                         .values(status="completed", completed_at=sa.func.now()))
        correcting.execute(sa.update(Member).where(Member.id == child.id).values(role="father"))
        arriving.commit()                                   # the assessments arrive
        # The correction commits a moment later, while the report below waits for it.
        later = threading.Timer(1.0, correcting.commit)
        later.start()
        assert _children_and_adults() == (0, 2)             # read after the correction, not before
        later.join()
    finally:
        arriving.close()
        correcting.close()
    assert _children_and_adults() == (0, 2)


def test_pairings_differ_by_what_they_pair():
    base = pair_store.pairing_id("practitioner-assessment", ["a", "b"], "family", "entry", "exit")
    assert base == pair_store.pairing_id("practitioner-assessment", ["b", "a"], "family", "entry", "exit")
    others = {pair_store.pairing_id("practitioner-assessment", ["a"], "family", "entry", "exit"),
              pair_store.pairing_id("member-assessment", ["a", "b"], "family", "entry", "exit"),
              pair_store.pairing_id("practitioner-assessment", ["a", "b"], "member", "entry", "exit"),
              pair_store.pairing_id("practitioner-assessment", ["a", "b"], "family", "entry", "exit-6m")}
    assert base not in others and len(others) == 4
    assert 0 <= base < 2 ** 63


# -- latest answers (the distributions) and star readings, kept the same way -------------------

def _star_reading(family, health_parent: int):
    from feedback.instruments.loader import load_instrument
    from feedback.survey.service import complete, create_response, save_answers

    instrument = load_instrument(QUESTIONNAIRES / "family-star" / "v1.yaml")
    response, _token = create_response(instrument, 28)
    response.family_id, response.wave = family.id, "exit"
    save_answers(response, {"assessment_point": 3, "health_parent": health_parent, "health_practitioner": 5},
                 mode="staff")
    complete(response, instrument)
    db.session.commit()


def _health() -> dict:
    from feedback.reports.data import star_summary

    moves, _gaps = star_summary(Filters(), "family-star", ["health"])
    row = moves.set_index("item_id").loc["health_parent"] if len(moves) else None
    return {} if row is None else {"families": int(row["families"]), "first": row["first_sum"],
                                   "latest": row["latest_sum"]}


def test_star_readings_are_kept_then_follow_a_new_reading(app, ctx, world, monkeypatch):
    from tests.families.helpers import family_with_members

    family, _members = family_with_members(world["north"], None, case_ref="S", exit_=date(2026, 3, 1))
    _star_reading(family, 4)
    assert _health() == {}                                  # one reading: no distance travelled yet
    assert _kept(KeptAnswer) == 1                           # its latest reading's gap (4 − 5)
    _star_reading(family, 7)
    assert _health() == {"families": 1, "first": 4, "latest": 7}
    kept = _kept(KeptAnswer)
    assert kept == 3                                        # a move for each reader, and the gap

    def must_not_keep(*args, **kwargs):
        raise AssertionError("nothing changed, so nothing is kept again")

    monkeypatch.setattr(pair_store, "_star_rows", must_not_keep)
    assert _health() == {"families": 1, "first": 4, "latest": 7} and _kept(KeptAnswer) == kept
    monkeypatch.undo()
    _star_reading(family, 9)                                # a third reading: the latest moves on
    assert _health() == {"families": 1, "first": 4, "latest": 9}


@pytest.mark.parametrize("policy", ["delete", "deidentify"])
def test_latest_answers_are_kept_once_and_an_erased_family_leaves_none(app, ctx, world, policy, monkeypatch):
    from feedback.families.service import erase_family
    from feedback.instruments.loader import load_instrument
    from feedback.reports.data import distribution
    from feedback.survey.service import complete, create_response, save_answers
    from tests.families.helpers import family_with_members

    monkeypatch.setitem(app.config, "FEEDBACK_SETTINGS",
                        dataclasses.replace(app.config["FEEDBACK_SETTINGS"], erasure_responses=policy))
    instrument = load_instrument(QUESTIONNAIRES / "follow-up" / "v1.yaml")
    made = []
    for case, value in (("F-1", 1), ("F-2", 2)):
        family, members = family_with_members(world["north"], None, case_ref=case, exit_=date(2026, 3, 1))
        response, _token = create_response(instrument, 28)
        response.family_id, response.member_id, response.wave = family.id, members[0].id, "exit-3m"
        save_answers(response, {"outcome_behaviour": value}, mode="web")
        complete(response, instrument)
        made.append(family)
    db.session.commit()

    def counts():
        frame = distribution(Filters(), "follow-up", ["outcome_behaviour"], ["exit-3m", "exit-12m"])
        return frame.set_index("value")["n"].to_dict()

    assert counts() == {1: 1, 2: 1}
    monkeypatch.setattr(pair_store, "_latest", lambda *a, **k: pytest.fail("nothing changed: nothing kept again"))
    assert counts() == {1: 1, 2: 1}
    erase_family(made[0], None)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KeptAnswer)
                             .where(KeptAnswer.family_id == made[0].id)) == 0
    assert counts() == {2: 1}


def test_keepings_differ_by_kind_and_definition():
    ids = {pair_store.keeping_id("latest", "follow-up", ["a"], "member", ["exit-3m"]),
           pair_store.keeping_id("latest", "follow-up", ["a"], "family", ["exit-3m"]),
           pair_store.keeping_id("latest", "follow-up", ["a"], "member", ["exit-3m", "exit-12m"]),
           pair_store.keeping_id("readings", "follow-up", ["a"], "member", ["exit-3m"]),
           pair_store.keeping_id("latest", "follow-up", ["a", "b"], "member", ["exit-3m"])}
    assert len(ids) == 5 and all(0 <= n < 2 ** 63 for n in ids)
