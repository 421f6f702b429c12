"""Reports summed up in the database for national scale (issue 24) show exactly the figures they
showed when every score was read into pandas: every cell, every hidden mark, for every site and
for all of them, with small numbers hidden and shown."""
from __future__ import annotations

import random
from datetime import date

import pandas as pd
import sqlalchemy as sa

from feedback.demo import random_answers
from feedback.extensions import db
from feedback.families.models import Family, Member
from feedback.instruments.loader import load_instrument
from feedback.reports import family_functioning as ff
from feedback.reports.data import Filters, scores
from feedback.reports.scale_data import latest_score_summary
from feedback.reports.downloads import as_csv
from feedback.reports.protect import protect
from feedback.survey.service import complete, create_response, save_answers
from tests.families.helpers import family_with_members
from tests.reports.seeding import QUESTIONNAIRES

THRESHOLD = 10


def _functioning(family, member, wave: str, rng: random.Random):
    """A completed family-functioning response with random answers (some "prefer not to say": a
    response with too few answers has no score)."""
    instrument = load_instrument(QUESTIONNAIRES / "family-functioning" / "v1.yaml")
    response, _token = create_response(instrument, 28)
    response.family_id, response.member_id, response.wave = family.id, member.id, wave
    save_answers(response, random_answers(instrument, rng), mode="staff")
    complete(response, instrument)
    return response


def _cohort(world) -> None:
    """North: 14 families of two members scored at entry and exit, some at 12 months, some twice at
    a wave; south: 3 families (small numbers everywhere); one member with no score at exit."""
    rng = random.Random(24)
    for site, families in (("north", 14), ("south", 3)):
        for n in range(families):
            family, members = family_with_members(world[site], None, case_ref=f"{site}-{n}", entry=date(2025, 6, 1),
                                                  exit_=date(2026, 3, 31),
                                                  members=(("mother", 1988, 3), ("child", 2014, 6)))
            for k, member in enumerate(members):
                _functioning(family, member, "entry", rng)
                if n % 5 == 0:
                    _functioning(family, member, "entry", rng)  # re-scored: the latest counts
                if not (n == 2 and k == 1):
                    _functioning(family, member, "exit", rng)
                if n % 3 == 0:
                    _functioning(family, member, "exit-12m", rng)
    db.session.commit()


def _old(filters: Filters) -> ff.Report:
    """The report as it was computed before: every score read, pandas picks and averages."""
    return ff.compute(scores(filters, ff.INSTRUMENT, [ff.SCALE]), "At or above the cut-off")


def _new(filters: Filters) -> ff.Report:
    summary = latest_score_summary(filters, ff.INSTRUMENT, ff.SCALE, ff.WAVES, ff.CHANGES)
    return ff.compute_summary(*summary, "At or above the cut-off")


def test_family_functioning_summed_in_the_database_shows_the_figures_pandas_showed(app, ctx, world):
    _cohort(world)
    selections = [Filters(), Filters(site_ids=(world["north"],)), Filters(site_ids=(world["south"],)),
                  Filters(start=date(2030, 1, 1)), Filters(site_ids=())]
    for filters in selections:
        old, new = _old(filters), _new(filters)
        assert [table.rows for table in new.tables] == [table.rows for table in old.tables], filters
        assert new.empty == old.empty
        for suppress in (True, False):
            shown = [as_csv(protect(report, THRESHOLD, suppress=suppress)) for report in (old, new)]
            assert shown[0] == shown[1], (filters, suppress)
    everyone = _new(Filters())
    assert [row["wave"] for row in everyone.tables[0].rows] == ["Entry", "Exit", "12 months after exit"]
    assert everyone.tables[0].rows[0]["members"] > 20 and len(everyone.tables[1].rows) == 3
    south = as_csv(protect(_new(Filters(site_ids=(world["south"],))), THRESHOLD)).decode("utf-8-sig")
    assert "[c]" in south or "Not enough data" in south   # 6 members: hidden


def test_the_database_sums_match_pandas_sums_wave_by_wave(app, ctx, world):
    _cohort(world)
    at_waves, changes = latest_score_summary(Filters(), ff.INSTRUMENT, ff.SCALE, ff.WAVES, ff.CHANGES)
    old_waves, old_changes = ff.summarise(scores(Filters(), ff.INSTRUMENT, [ff.SCALE]))
    pd.testing.assert_frame_equal(at_waves, old_waves, check_dtype=False)
    pd.testing.assert_frame_equal(changes, old_changes, check_dtype=False)
    assert set(at_waves["wave"]) == {"entry", "exit", "exit-12m"}


def test_a_new_score_is_in_the_next_report(app, ctx, world):
    """A member scored again at exit moves the figures at once: the kept scores follow the change."""
    _cohort(world)
    before = _new(Filters()).tables[0].rows[1]["members"]
    member = db.session.scalars(sa.select(Member).join(Member.family)
                                .where(Family.case_ref == "north-2", Member.role == "child")).one()
    rng = random.Random(1)
    while _new(Filters()).tables[0].rows[1]["members"] == before:   # until a response has a score
        _functioning(member.family, member, "exit", rng)
        db.session.commit()
    assert _new(Filters()).tables[0].rows[1]["members"] == before + 1




def _entry_items_row_by_row(answers, scale, unit, wave):
    """``scale_change.entry_items`` as it was: each answer scored in a Python loop over row tuples."""
    import math

    from feedback.instruments.scoring import reverse, scorable
    from feedback.reports.pairs import latest

    frame = answers[answers["item_id"].isin(scale.items)].dropna(subset=[unit])
    frame = frame[frame["wave"] == wave]
    responses = latest(frame.drop_duplicates("response_id"), [unit])
    chosen = frame[frame["response_id"].isin(responses["response_id"])]

    def value(row) -> float:
        answer = row.value
        if not scorable(answer, scale):
            return math.nan
        answer = float(answer)
        return reverse(answer, scale.low, scale.high) if row.item_id in scale.reverse else answer

    scored = chosen.assign(score=[value(row) for row in chosen.itertuples(index=False)])
    table = scored.pivot_table(index=unit, columns="item_id", values="score", aggfunc="first", dropna=False)
    return table.reindex(columns=list(scale.items))


def test_entry_items_scored_column_by_column_equal_scoring_row_by_row():
    """Every kind of stored answer: in range, reversed, a missing code, out of range, true/false
    (not a number), text, a list, nothing; a member answering twice at entry (the latest counts)."""
    from types import SimpleNamespace

    from feedback.reports.scale_change import entry_items

    scale = SimpleNamespace(items=["a", "b", "c"], reverse=["b"], low=1, high=4)
    odd = [1, 4, 2.5, -9, 5, 0, True, False, "3", [1], None, 3.0, 2]
    rows = []
    for n, value in enumerate(odd):
        for item in ("a", "b", "c", "d"):
            rows.append({"response_id": n, "member_id": n % 7, "wave": "entry" if n % 5 else "exit",
                         "completed_at": pd.Timestamp("2025-01-01") + pd.Timedelta(days=n), "item_id": item,
                         "value": value if item != "c" else odd[(n + 3) % len(odd)]})
    answers = pd.DataFrame(rows)
    new = entry_items(answers, scale, "member_id", "entry")
    old = _entry_items_row_by_row(answers, scale, "member_id", "entry")
    pd.testing.assert_frame_equal(new, old)
    assert new.notna().any().any() and new.isna().any().any()
