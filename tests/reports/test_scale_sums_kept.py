"""scale-change's sums for Cronbach's alpha kept per family and its scores kept per unit
(``scale_data.item_sums``, ``paired_scores``, ``first_and_latest``; ``kept_sums``) are never
stale and never another site's: after a family is re-assessed, a response removed, a family
erased or its responses detached, and for every site filter, they equal the sums worked out over
the answers and the pairs ranked from the scores (``item_sums_in_one_pass``, ``*_from_scores``),
and the report equals the one computed from every answer and score in pandas."""
from __future__ import annotations

import dataclasses
import random
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.families.models import Family
from feedback.reports import catalogue, pair_store, response_changes, scale_data
from feedback.reports.data import Filters
from feedback.reports.kept_sums import KeptScaleScore, KeptScaleSums
from feedback.reports.models import KeptStamp
from feedback.survey.models import Response
from tests.reports.test_scale_change_in_database import _cohort, _new, _old, _respond

#: (instrument, unit, wave alpha is computed at) as the report reads them.
READS = (("family-functioning", "member_id", "entry"), ("family-star", "family_id", None),
         ("practitioner-assessment", "family_id", "entry"))


def _filters(world) -> list[Filters]:
    return [Filters(), Filters(site_ids=(world["north"],)), Filters(site_ids=(world["south"],)),
            Filters(site_ids=(world["north"], world["south"])), Filters(site_ids=()),
            Filters(start=date(2030, 1, 1)), Filters(cohort="entry", end=date(2025, 6, 1))]


def _sums(filters: Filters, kept: bool) -> dict:
    found = {}
    for instrument_id, unit, wave in READS:
        scales = catalogue._instrument(instrument_id).scales
        read = scale_data.item_sums if kept else scale_data.item_sums_in_one_pass
        found[instrument_id] = read(filters, instrument_id, scales, unit, wave)
    return found


def _scores(filters: Filters, kept: bool) -> dict:
    """Every scale's pairs as the report reads them: kept per unit, or ranked from the scores."""
    from feedback.reports import family_functioning

    paired = scale_data.paired_scores if kept else scale_data.paired_scores_from_scores
    readings = scale_data.first_and_latest if kept else scale_data.first_and_latest_from_scores
    found = {}
    for instrument_id, unit, _wave in READS:
        for scale in catalogue._instrument(instrument_id).scales:
            if instrument_id == "family-star":
                found[scale.id] = {("first", "latest"): readings(filters, instrument_id, scale.id, unit)}
            else:
                changes = (family_functioning.CHANGES if instrument_id == "family-functioning"
                           else (("entry", "exit"),))
                found[scale.id] = paired(filters, instrument_id, scale.id, unit, changes)
    return found


def _same_scores(kept: dict, ranked: dict) -> None:
    assert kept.keys() == ranked.keys()
    for scale in kept:
        assert kept[scale].keys() == ranked[scale].keys()
        for pair, frame in kept[scale].items():
            pd.testing.assert_frame_equal(frame, ranked[scale][pair], check_exact=True)


def _same_everywhere(app, world, check_report: bool = True) -> None:
    """Kept sums and scores equal those worked out over the answers and scores, and the report
    the old one, for every filter."""
    with app.test_request_context():
        for filters in _filters(world):
            with pair_store.one_page():
                kept, kept_scores = _sums(filters, kept=True), _scores(filters, kept=True)
            assert kept == _sums(filters, kept=False), filters
            _same_scores(kept_scores, _scores(filters, kept=False))
            if check_report and filters.start is None and filters.end is None:   # the sites' reports
                old, new = _old(filters), _new(filters)
                assert [t.rows for t in new.tables] == [t.rows for t in old.tables], filters
                assert [t.note for t in new.tables] == [t.note for t in old.tables], filters


def _family(case_ref: str) -> Family:
    return db.session.scalar(sa.select(Family).where(Family.case_ref == case_ref))


def _kept_rows(family_id: int | None = None, model=KeptScaleSums) -> int:
    query = sa.select(sa.func.count()).select_from(model)
    if family_id is not None:
        query = query.where(model.family_id == family_id)
    return db.session.scalar(query)


@pytest.mark.parametrize("policy", ["delete", "deidentify"])
def test_kept_sums_follow_every_change_and_stay_within_the_site(app, ctx, world, policy, monkeypatch):
    monkeypatch.setitem(app.config, "FEEDBACK_SETTINGS",
                        dataclasses.replace(app.config["FEEDBACK_SETTINGS"], erasure_responses=policy))
    _cohort(world)
    with app.test_request_context():
        everyone = _sums(Filters(), kept=True)
        north = _sums(Filters(site_ids=(world["north"],)), kept=True)
    # Alpha is worked out from enough people for every scale, and a site's sums are its own.
    assert all(sums.n >= 5 for found in everyone.values() for sums in found.values())
    assert all(north[i][s].units < everyone[i][s].units for i in north for s in north[i])
    assert _kept_rows() > 0
    _same_everywhere(app, world)
    assert _kept_rows(model=KeptScaleScore) > 0

    # Nothing changed: the kept sums are only added up, never made again.
    def must_not_make(*args, **kwargs):
        pytest.fail("nothing changed: nothing summed again")

    made = {name: getattr(scale_data, name) for name in ("family_sums", "_latest_rows", "_readings_rows")}
    for name in made:
        monkeypatch.setattr(scale_data, name, must_not_make)
    _same_everywhere(app, world, check_report=False)
    for name, function in made.items():
        monkeypatch.setattr(scale_data, name, function)

    rng = random.Random(11)
    reassessed = _family("north-1")
    members = list(reassessed.members)
    # Re-assessed: a later entry response for a member, a new star reading, a new entry assessment.
    _respond("family-functioning", reassessed, members[0], "entry", rng)
    _respond("family-star", _family("north-2"), None, "exit", rng)
    _respond("practitioner-assessment", _family("south-1"), None, "entry", rng)
    # A response removed (a member's only entry answers to family functioning).
    removed = _family("north-5")
    db.session.execute(sa.delete(Response).where(Response.family_id == removed.id,
                                                 Response.instrument_id == "family-functioning",
                                                 Response.wave == "entry",
                                                 Response.member_id == removed.members[1].id))
    # Detached: a family's responses no longer its own.
    detached = _family("north-6")
    db.session.execute(sa.update(Response).where(Response.family_id == detached.id).values(family_id=None))
    db.session.commit()
    _same_everywhere(app, world)
    assert _kept_rows(detached.id) == 0          # no responses left: its rows went with its stamps
    assert _kept_rows(detached.id, KeptScaleScore) == 0

    # Erased: its kept sums go at once, and the next report adds up without it.
    from feedback.families.service import erase_family

    erased = _family("south-2")
    assert _kept_rows(erased.id) > 0
    erase_family(erased, None)
    db.session.commit()
    assert _kept_rows(erased.id) == 0 and _kept_rows(erased.id, KeptScaleScore) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KeptStamp)
                             .where(KeptStamp.family_id == erased.id)) == 0
    _same_everywhere(app, world)


def test_rows_made_from_responses_their_stamp_does_not_match_are_made_again(app, ctx, world):
    """As if the sums had been made while another response was being completed: a stamp behind
    the responses throws the family's rows away, whatever they hold."""
    _cohort(world)
    with app.test_request_context():
        before, scores = _sums(Filters(), kept=True), _scores(Filters(), kept=True)
        db.session.execute(sa.update(KeptStamp).values(responses=KeptStamp.responses + 1))
        db.session.execute(sa.update(KeptScaleSums).values(units=KeptScaleSums.units + 7, s0=12345))
        db.session.execute(sa.update(KeptScaleScore).values(value=KeptScaleScore.value + 1))
        response_changes.forget_checks()     # every family compared with its stamp again
        db.session.commit()
        assert _sums(Filters(), kept=True) == before == _sums(Filters(), kept=False)
        _same_scores(_scores(Filters(), kept=True), scores)
        _same_scores(scores, _scores(Filters(), kept=False))


@pytest.mark.parametrize("part", [16, 5])
def test_a_member_answering_in_two_waves_counts_at_the_wave_alpha_is_computed_at(app, ctx, world, part,
                                                                                 monkeypatch):
    """Only the first wave's responses are summed: a new exit response leaves the family's entry
    sums alone, a new entry response replaces the member's earlier one. Also with a scale's items
    over several rows (5 to a row: family functioning's 12 in three)."""
    from tests.families.helpers import family_with_members

    monkeypatch.setattr(scale_data, "PART", part)

    rng = random.Random(3)
    family, members = family_with_members(world["north"], None, case_ref="two", exit_=date(2026, 3, 31),
                                          members=(("mother", 1988, 3), ("father", 1986, 2), ("child", 2012, 6)))
    for member in members:
        _respond("family-functioning", family, member, "entry", rng)
    db.session.commit()
    with app.test_request_context():
        first = _sums(Filters(), kept=True)
        assert first == _sums(Filters(), kept=False)
        _respond("family-functioning", family, members[0], "exit", rng)
        db.session.commit()
        assert _sums(Filters(), kept=True) == first
        _same_scores(_scores(Filters(), kept=True), _scores(Filters(), kept=False))
        _respond("family-functioning", family, members[0], "entry", rng)
        db.session.commit()
        assert _sums(Filters(), kept=True) == _sums(Filters(), kept=False)
        _same_scores(_scores(Filters(), kept=True), _scores(Filters(), kept=False))


def test_kept_sums_differ_by_scale_definition():
    scale = dataclasses.make_dataclass("Scale", ["id", "items", "reverse", "low", "high"])(
        "s", ("a", "b", "c"), frozenset({"b"}), 1, 4)
    ids = {scale_data.sums_keeping("i", scale, "member_id", "entry"),
           scale_data.sums_keeping("i", scale, "family_id", "entry"),
           scale_data.sums_keeping("i", scale, "member_id", None),
           scale_data.sums_keeping("j", scale, "member_id", "entry"),
           scale_data.sums_keeping("i", dataclasses.replace(scale, items=("a", "c", "b")), "member_id", "entry"),
           scale_data.sums_keeping("i", dataclasses.replace(scale, reverse=frozenset()), "member_id", "entry"),
           scale_data.sums_keeping("i", dataclasses.replace(scale, high=5), "member_id", "entry"),
           scale_data.sums_keeping("i", dataclasses.replace(scale, id="t"), "member_id", "entry")}
    assert len(ids) == 8 and all(0 <= n < 2 ** 63 for n in ids)
    scores = {scale_data.scores_keeping("latest", "i", "s", "member_id", ["entry", "exit"]),
              scale_data.scores_keeping("latest", "i", "s", "member_id", ["entry", "exit-12m"]),
              scale_data.scores_keeping("latest", "i", "s", "family_id", ["entry", "exit"]),
              scale_data.scores_keeping("latest", "i", "t", "member_id", ["entry", "exit"]),
              scale_data.scores_keeping("readings", "i", "s", "member_id")}
    assert len(scores) == 5 and not scores & ids


def test_an_instrument_scored_only_after_entry_pairs_first_and_latest_readings(app, ctx, world):
    """No entry score (the key workers' assessments only at exit, twice for some): first and
    latest readings, as when the waves scored were read; nobody scored at all: left out."""
    from tests.families.helpers import family_with_members

    rng = random.Random(5)
    with app.test_request_context():
        for n in range(8):
            family, members = family_with_members(world["north" if n % 2 else "south"], None, case_ref=f"x-{n}",
                                                  exit_=date(2026, 3, 31), members=(("mother", 1988, 3),))
            _respond("family-functioning", family, members[0], "entry", rng)
            for _reading in range(1 + n % 3):
                _respond("practitioner-assessment", family, None, "exit", rng)
        db.session.commit()
        for filters in (Filters(), Filters(site_ids=(world["north"],)), Filters(start=date(2030, 1, 1))):
            old, new = _old(filters), _new(filters)
            assert [t.rows for t in new.tables] == [t.rows for t in old.tables], filters
            assert [t.note for t in new.tables] == [t.note for t in old.tables], filters
        rows = _new(Filters()).tables[0].rows
        assert [row["between"] for row in rows] == ["Latest − first reading"]   # the assessments only
