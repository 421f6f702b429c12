"""scale-change worked out in the database (issue 24: alpha from sums, scores paired in SQL) shows
exactly what it showed when every entry answer and every score was read into pandas: every cell
and hidden mark, for every site and all of them, with odd answers (missing codes, "not collected",
text, true, null, halves, out of range, items left out) and reverse-scored items."""
from __future__ import annotations

import random
from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from feedback.demo import random_answers
from feedback.extensions import db
from feedback.instruments.definition import NOT_COLLECTED
from feedback.instruments.loader import load_instrument
from feedback.publishing.startup import current_catalogue
from feedback.reports import catalogue, family_functioning, scale_change, star
from feedback.reports.data import Filters, answers, scores
from feedback.reports.downloads import as_csv
from feedback.reports.protect import protect
from feedback.statistics.reliable_change import cronbach_alpha
from feedback.survey.models import Answer
from feedback.survey.service import complete, create_response, save_answers
from tests.families.helpers import family_with_members
from tests.reports.seeding import QUESTIONNAIRES

THRESHOLD = 10
ODD = [True, "often", None, NOT_COLLECTED, 2.5, 9, -1, 3.0]


def _answers(instrument, rng: random.Random) -> dict:
    """Random answers, with each scale's items answered near one level (so alpha is a number) and
    now and then a missing code left in."""
    answers = random_answers(instrument, rng)
    for scale in instrument.scales:
        level = rng.randint(int(scale.low), int(scale.high))
        for item in scale.items:
            if item in answers and rng.random() < 0.93:
                value = min(int(scale.high), max(int(scale.low), level + rng.choice((-1, 0, 0, 1))))
                answers[item] = int(scale.low + scale.high - value) if item in scale.reverse else value
    return answers


def _respond(instrument_id: str, family, member, wave: str, rng: random.Random, version: str = "v1.yaml"):
    instrument = load_instrument(QUESTIONNAIRES / instrument_id / version)
    response, _token = create_response(instrument, 28)
    response.family_id, response.member_id, response.wave = family.id, member.id if member else None, wave
    save_answers(response, _answers(instrument, rng), mode="staff")
    complete(response, instrument)
    return response


def _cohort(world) -> None:
    """North 16 and south 3 families: members' family functioning at entry (some twice), exit and
    after; key workers' star readings and assessments. Then some entry answers made odd, some left out."""
    rng = random.Random(7)
    entry_responses = []
    for site, count in (("north", 16), ("south", 3)):
        for n in range(count):
            family, members = family_with_members(world[site], None, case_ref=f"{site}-{n}", entry=date(2025, 6, 1),
                                                  exit_=date(2026, 3, 31),
                                                  members=(("mother", 1988, 3), ("child", 2012, 6)))
            for k, member in enumerate(members):
                entry_responses.append(_respond("family-functioning", family, member, "entry", rng))
                if n % 4 == 0:
                    entry_responses.append(_respond("family-functioning", family, member, "entry", rng))
                if not (n == 3 and k == 1):
                    _respond("family-functioning", family, member, "exit", rng)
                if n % 3 == 0:
                    _respond("family-functioning", family, member, "exit-12m", rng)
            for reading in range(1 + n % 3):
                entry_responses.append(_respond("family-star", family, None, "entry" if reading == 0 else "exit", rng))
            if n % 5 != 4:
                entry_responses.append(_respond("practitioner-assessment", family, None, "entry", rng))
                _respond("practitioner-assessment", family, None, "exit", rng)
    db.session.commit()
    ids = [response.id for response in entry_responses]
    rows = db.session.execute(sa.select(Answer.id, Answer.response_id).where(Answer.response_id.in_(ids))
                              .order_by(Answer.id)).all()
    for n, (answer_id, response_id) in enumerate(rows):
        if n % 23 == 0:
            db.session.execute(sa.update(Answer).where(Answer.id == answer_id).values(value=ODD[(n // 23) % len(ODD)]))
        elif n % 61 == 5:
            db.session.execute(sa.delete(Answer).where(Answer.id == answer_id))
    db.session.commit()


def _old(filters: Filters):
    """The report as it was computed before: every entry answer and every score read into pandas."""
    from feedback.instruments.reliability import reliabilities_for

    labels = {wave: str(label) for wave, label in family_functioning.WAVES.items()}
    wanted = []
    for instrument_id in sorted({key[0] for key in current_catalogue().instruments}):
        instrument = catalogue._instrument(instrument_id)
        roles = {respondent.role for respondent in instrument.respondents} if instrument else set()
        if instrument is None or not instrument.scales or roles <= {"partner_staff"}:
            continue
        found = scores(filters, instrument_id, [scale.id for scale in instrument.scales])
        if found.empty:
            continue
        unit = "family_id" if instrument_id == star.INSTRUMENT or roles <= {"practitioner"} else "member_id"
        if instrument_id == family_functioning.INSTRUMENT:
            changes = family_functioning.CHANGES
        elif instrument_id == star.INSTRUMENT or "entry" not in set(found["wave"]):
            changes = scale_change.FIRST_LATEST
        else:
            changes = (("entry", "exit"),)
        first = changes[0][0] if changes else None
        items = answers(filters, instrument_id, sorted({i for scale in instrument.scales for i in scale.items}),
                        [first] if first else None)
        sidecar = reliabilities_for(instrument_id, scales=instrument.scales)
        for scale in instrument.scales:
            wanted.append(scale_change.ScaleData(
                instrument_id, scale, scale.label.get("en"), found[found["scale_id"] == scale.id], unit, changes,
                items, sidecar.get(scale.id), labels))
    return scale_change.compute(wanted)


def _new(filters: Filters):
    return catalogue.REPORTS[scale_change.NAME].run(filters)


def test_scale_change_from_the_database_shows_what_pandas_showed(app, ctx, world):
    _cohort(world)
    with app.test_request_context():
        everyone = _new(Filters())
        assert len({row["scale"] for row in everyone.tables[0].rows}) == 4   # every scale of every instrument
        # Alpha computed (not stated) over enough people for every scale.
        assert all(row["alpha_n"] >= 5 and row["reliability"] for row in everyone.tables[0].rows)
        for filters in (Filters(), Filters(site_ids=(world["north"],)), Filters(site_ids=(world["south"],)),
                        Filters(start=date(2030, 1, 1)), Filters(site_ids=())):
            old, new = _old(filters), _new(filters)
            assert [table.rows for table in new.tables] == [table.rows for table in old.tables], filters
            assert [table.note for table in new.tables] == [table.note for table in old.tables], filters
            for suppress in (True, False):
                shown = [as_csv(protect(report, THRESHOLD, suppress=suppress)) for report in (old, new)]
                assert shown[0] == shown[1], (filters, suppress)


def _sums_of(frame: pd.DataFrame) -> scale_change.ItemSums:
    complete = frame.dropna(how="any")
    total = complete.sum(axis=1)
    return scale_change.ItemSums(len(frame), len(complete), tuple(complete.sum()), tuple((complete ** 2).sum()),
                                 total.sum(), (total ** 2).sum())


@pytest.mark.parametrize("seed", range(8))
def test_alpha_from_sums_is_cronbachs_alpha_of_the_rows(seed):
    rng = np.random.default_rng(seed)
    people, k = int(rng.integers(2, 60)), int(rng.integers(1, 9))
    level = rng.integers(1, 5, size=(people, 1))
    frame = pd.DataFrame(np.clip(level + rng.integers(-1, 2, size=(people, k)), 1, 4).astype(float))
    frame = frame.mask(rng.random(frame.shape) < 0.1)      # some left out
    expected, n = cronbach_alpha(frame)
    alpha, n_sums = scale_change.alpha_from_sums(_sums_of(frame))
    assert n_sums == n
    assert (alpha is None) == (expected is None)
    if alpha is not None:
        assert alpha == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_alpha_from_sums_refuses_what_cronbachs_alpha_refuses():
    same = pd.DataFrame([[2.0, 3.0], [3.0, 2.0], [1.0, 4.0]])       # totals all 5: no variance
    assert scale_change.alpha_from_sums(_sums_of(same)) == cronbach_alpha(same) == (None, 3)
    one = pd.DataFrame([[1.0, 2.0], [np.nan, 3.0]])
    assert scale_change.alpha_from_sums(_sums_of(one)) == cronbach_alpha(one) == (None, 1)
