"""What reports read: the cohort, and transition counts made in SQL that match pandas' pairing."""
from __future__ import annotations

from datetime import date

import pandas as pd

from feedback.reports.data import Filters, answers, families, transitions
from feedback.reports.pairs import transitions as paired_in_pandas
from tests.reports.seeding import assessed_family, assessment


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    columns = list(frame.columns)
    return frame.astype({"n": int}).sort_values(columns[:-1], key=lambda s: s.astype(str)).reset_index(drop=True)


def test_transitions_counted_in_sql_match_pairing_in_pandas(app, ctx, world):
    risks = {"risk_debt": 2, "risk_housing_tenure": 0}
    first = assessed_family(world, "A", "north", 3, 2)
    assessment(first, "exit", 1, {"risk_debt": 0})            # re-assessed at exit: this one counts
    for n, (entry, exit_) in enumerate(((2, 2), (4, 3), (3, 4))):
        family = assessed_family(world, f"B{n}", "south", entry, exit_)
        assessment(family, "entry", entry, risks)           # a later entry reading with risks too
    another = assessed_family(world, "C", "north", 2, 2)
    items = ["level_of_need", "risk_debt", "risk_housing_tenure"]
    everyone = Filters()
    sql = transitions(everyone, "practitioner-assessment", items)
    pandas = paired_in_pandas(answers(everyone, "practitioner-assessment", items), "family_id")
    pd.testing.assert_frame_equal(_sorted(sql), _sorted(pandas), check_dtype=False)
    need = sql[sql["item_id"] == "level_of_need"].set_index(["before", "after"])["n"].to_dict()
    assert need[(3, 1)] == 1 and need[(2, 2)] == 2 and need[(4, 3)] == 1 and need[(3, 4)] == 1
    assert another.id in set(families(everyone)["family_id"])
    # The cohort: a site, and a period of exits.
    north = transitions(Filters(site_ids=(world["north"],)), "practitioner-assessment", ["level_of_need"])
    assert north["n"].sum() == 2
    none = transitions(Filters(start=date(2030, 1, 1)), "practitioner-assessment", ["level_of_need"])
    assert none.empty


def test_member_transitions_split_children_from_adults_as_pandas_does(app, ctx, world):
    from feedback.instruments.loader import load_instrument
    from feedback.survey.service import complete, create_response, save_answers
    from tests.families.helpers import family_with_members
    from tests.reports.seeding import QUESTIONNAIRES

    instrument = load_instrument(QUESTIONNAIRES / "member-assessment" / "v1.yaml")
    family, members = family_with_members(world["north"], None, case_ref="M-1", exit_=date(2026, 3, 1),
                                          members=(("mother", 1988, 3), ("child", 2014, 6), ("young_person", 2010, 1)))
    for member, (entry, exit_) in zip(members, ((2, 0), (3, 1), (1, 0))):
        for wave, level in (("entry", entry), ("exit", exit_)):
            response, _token = create_response(instrument, 28)
            response.family_id, response.member_id, response.wave = family.id, member.id, wave
            group = 1 if member.role == "mother" else 2
            save_answers(response, {"assessment_point": 1, "member_role": 1, "member_age_group": group,
                                    "risk_drugs": level}, mode="staff")
            complete(response, instrument)
    sql = transitions(Filters(), "member-assessment", ["risk_drugs"], level="member", by_role=True)
    long = answers(Filters(), "member-assessment", ["risk_drugs"])
    long["child"] = long["member_role"].isin(["child", "young_person"])
    pandas = paired_in_pandas(long, "member_id", by="child")
    pd.testing.assert_frame_equal(_sorted(sql), _sorted(pandas), check_dtype=False)
    children = sql[sql["child"]].set_index(["before", "after"])["n"].to_dict()
    assert children == {(3, 1): 1, (1, 0): 1} and sql[~sql["child"]]["n"].sum() == 1


def test_distributions_counted_in_sql_match_pandas(app, ctx, world):
    from feedback.instruments.loader import load_instrument
    from feedback.reports.data import distribution
    from feedback.reports.pairs import distribution as counted_in_pandas
    from feedback.survey.service import complete, create_response, save_answers
    from tests.families.helpers import family_with_members
    from tests.reports.seeding import QUESTIONNAIRES

    instrument = load_instrument(QUESTIONNAIRES / "follow-up" / "v1.yaml")
    answered = []
    for case, site in (("F-1", "north"), ("F-2", "south")):
        family, members = family_with_members(world[site], None, case_ref=case, exit_=date(2026, 3, 1),
                                              members=(("mother", 1988, 3), ("father", 1986, 1)))
        answered.append((family, members))
    plan = [(0, 0, "exit-3m", {"outcome_behaviour": 1, "children_at_home": 1}),
            (0, 1, "exit-3m", {"outcome_behaviour": 2}),
            (0, 0, "exit-3m", {"outcome_behaviour": 3, "children_at_home": 0}),   # again: this one counts
            (1, 0, "exit-3m", {"outcome_behaviour": -9, "children_at_home": 1}),
            (1, 1, "exit-12m", {"outcome_behaviour": 1})]
    for family_index, member_index, wave, values in plan:
        family, members = answered[family_index]
        response, _token = create_response(instrument, 28)
        response.family_id, response.member_id, response.wave = family.id, members[member_index].id, wave
        save_answers(response, values, mode="web")
        complete(response, instrument)
    items, waves = ["outcome_behaviour", "children_at_home"], ["exit-3m", "exit-6m", "exit-12m"]
    long = answers(Filters(), "follow-up", items)
    for level, key in (("member", "member_id"), ("family", "family_id")):
        sql = distribution(Filters(), "follow-up", items, waves, level=level)
        pd.testing.assert_frame_equal(_sorted(sql), _sorted(counted_in_pandas(long, key, waves)), check_dtype=False)
    members = distribution(Filters(), "follow-up", ["outcome_behaviour"], waves)
    assert members.set_index(["wave", "value"])["n"].to_dict() == {("exit-3m", 3): 1, ("exit-3m", 2): 1,
                                                                    ("exit-3m", -9): 1, ("exit-12m", 1): 1}
    home = distribution(Filters(), "follow-up", ["children_at_home"], waves, level="family")
    assert home.set_index("value")["n"].to_dict() == {0: 1, 1: 1}


def test_invitation_counts_and_medians_in_sql_match_pandas(app, ctx, world):
    from feedback.reports import response_rates
    from feedback.reports.data import invitation_figures, invitations, wave_sets
    from tests.exports.test_dataset import answered_family

    answered_family(world, "N-1")
    answered_family(world, "S-1", site="south")
    everyone = Filters()
    counts, medians, sets = response_rates.summarise(invitations(everyone))
    assert counts["completed"].sum() > 0
    key = ["wave", "channel"]
    sql_counts, sql_medians = invitation_figures(everyone)
    pd.testing.assert_frame_equal(sql_counts.sort_values(key).reset_index(drop=True),
                                  counts.sort_values(key).reset_index(drop=True), check_dtype=False)
    sql_medians = sql_medians.fillna({"channel": "-"}).sort_values(key).reset_index(drop=True)
    expected = medians.fillna({"channel": "-"}).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(sql_medians[key], expected[key], check_dtype=False)
    assert (sql_medians["median_days"] - expected["median_days"].round(1)).abs().max() < 1e-9
    sql_sets = wave_sets(everyone, sorted(set(counts["wave"])))
    assert dict(zip(sql_sets["waves"], sql_sets["families"])) == dict(zip(sets["waves"], sets["families"]))
    assert sets["families"].sum() == 2


def test_median_days_are_the_middle_of_each_cells_days_as_shown(app, ctx, world):
    """Medians recomputed as an evaluator would, from the invitations' own times: the middle day
    (the mean of the two middle ones for an even count) of each wave and channel's completed
    invitations, and of each wave's over every channel; odd and even counts, ties, a completed
    invitation never sent and one without a family (a partner's) left out; every family and one
    site."""
    import random
    import statistics
    from datetime import datetime, timedelta

    import sqlalchemy as sa

    from feedback.extensions import db
    from feedback.reports.data import invitation_figures
    from feedback.survey.models import Response
    from feedback.waves.models import Invitation
    from tests.exports.test_dataset import answered_family

    for n in range(5):
        answered_family(world, f"M-{n}", site="north" if n % 2 else "south")
    rng = random.Random(7)
    start = datetime(2026, 1, 5, 9, 0)
    done = db.session.scalars(sa.select(Invitation).where(Invitation.state == "completed")
                              .order_by(Invitation.id)).all()
    assert len(done) == 20
    for number, invitation in enumerate(done):
        invitation.wave = rng.choice(("exit", "exit-3m"))
        invitation.channel = rng.choice(("sms_link", "email", "telephone"))
        invitation.sent_at = start + timedelta(days=rng.randint(0, 9), microseconds=rng.randint(0, 10**6))
        response = db.session.get(Response, invitation.response_id)
        # Ties on purpose: several invitations take 1.5 days exactly.
        taken = timedelta(days=1.5) if number % 5 == 0 else \
            timedelta(days=rng.uniform(0, 20), microseconds=rng.randint(0, 10**6))
        response.completed_at = invitation.sent_at + taken
    done[3].sent_at = None                      # completed, never sent: no days
    done[4].family_id = None                    # no family: in no cohort
    db.session.commit()
    for chosen in (Filters(), Filters(site_ids=(world["north"],))):
        cells: dict = {}
        for invitation in done:
            family = invitation.family
            if invitation.sent_at is None or family is None or (
                    chosen.site_ids is not None and family.site_id not in chosen.site_ids):
                continue
            days = (db.session.get(Response, invitation.response_id).completed_at - invitation.sent_at
                    ).total_seconds() / 86400
            cells.setdefault((invitation.wave, invitation.channel), []).append(days)
            cells.setdefault((invitation.wave, None), []).append(days)
        expected = {key: round(statistics.median(days), 1) for key, days in cells.items()}
        _counts, medians = invitation_figures(chosen)
        shown = {(row.wave, row.channel if isinstance(row.channel, str) else None): row.median_days
                 for row in medians.itertuples(index=False)}
        assert shown == expected
        assert any(len(days) % 2 == 0 for days in cells.values()) and any(len(days) % 2 for days in cells.values())


def test_median_days_found_by_their_place_in_crowded_days_are_an_evaluators(app, ctx, world, monkeypatch):
    """Hundreds of completed invitations within six hours, so each hour's bin holds many different
    times and ties: on PostgreSQL the middle values are looked up by their place in a bin (the
    lookups are counted, so this cannot pass on bins alone), and every median is still the one an
    evaluator takes from the responses' own times; for every family, one site, and a period."""
    import random
    import statistics
    from datetime import timedelta

    import pytest
    import sqlalchemy as sa

    from feedback.extensions import db
    from feedback.reports import data
    from feedback.survey.models import Response
    from feedback.waves.models import Invitation
    from tests.exports.test_dataset import TODAY, answered_family

    for n in range(3):
        answered_family(world, f"P-{n}", site="north" if n % 2 else "south")
    rng = random.Random(11)
    done = db.session.scalars(sa.select(Invitation).where(Invitation.state == "completed")).all()
    copied = [column.key for column in Invitation.__table__.columns if column.key not in ("id", "completed_at")]
    for invitation in done:
        finished = db.session.get(Response, invitation.response_id).completed_at
        for number in range(rng.randint(15, 40)):
            twin = Invitation(**{key: getattr(invitation, key) for key in copied})
            twin.recipient_key = f"{invitation.recipient_key}-{number}"
            twin.wave, twin.channel = rng.choice(("exit", "exit-3m")), rng.choice(("sms_link", "email_link"))
            taken = (timedelta(hours=rng.choice((2, 5))) if number % 4 == 0  # ties
                     else timedelta(seconds=rng.randint(0, 6 * 3600), microseconds=rng.randint(0, 10**6)))
            twin.sent_at = finished - taken
            db.session.add(twin)
    db.session.commit()
    looked_up = []
    real = data._values_at
    monkeypatch.setattr(data, "_values_at", lambda connection, chosen, wanted: looked_up.append(len(wanted))
                        or real(connection, chosen, wanted))
    everything = db.session.execute(
        sa.select(Invitation.wave, Invitation.channel, Invitation.sent_at, Response.completed_at,
                  Invitation.family_id).join(Response, Response.id == Invitation.response_id)
        .where(Invitation.state == "completed", Invitation.sent_at.is_not(None))).all()
    north = {family for family, site in db.session.execute(sa.text("SELECT id, site_id FROM families"))
             if site == world["north"]}
    for chosen, keep in ((Filters(), lambda family: True),
                         (Filters(site_ids=(world["north"],)), lambda family: family in north),
                         (Filters(start=TODAY, end=TODAY), lambda family: True)):
        cells: dict = {}
        for wave, channel, sent_at, completed_at, family in everything:
            if keep(family):
                days = (completed_at - sent_at).total_seconds() / 86400
                cells.setdefault((wave, channel), []).append(days)
                cells.setdefault((wave, None), []).append(days)
        expected = {key: round(statistics.median(days), 1) for key, days in cells.items()}
        _counts, medians = data.invitation_figures(chosen)
        shown = {(row.wave, row.channel if isinstance(row.channel, str) else None): row.median_days
                 for row in medians.itertuples(index=False)}
        assert shown == expected
        assert min(len(days) for days in cells.values()) > 15
        if db.engine.dialect.name == "postgresql":
            # Shown to a tenth of a day, a median a few minutes out would still look right: the
            # unrounded ones are checked too.
            _counts, exact = data._figures_by_place(data.in_cohort(Invitation.family_id, chosen))
            assert {(row.wave, row.channel if isinstance(row.channel, str) else None): row.median_days
                    for row in exact.itertuples(index=False)} == pytest.approx(
                {key: statistics.median(days) for key, days in cells.items()}, abs=1e-9)
    if db.engine.dialect.name == "postgresql":
        assert len(looked_up) == 6 and min(looked_up) > 0


def test_star_summary_in_sql_matches_pandas(app, ctx, world):
    from feedback.instruments.loader import load_instrument
    from feedback.reports import star
    from feedback.reports.data import star_summary
    from feedback.survey.service import complete, create_response, save_answers
    from tests.families.helpers import family_with_members
    from tests.reports.seeding import QUESTIONNAIRES

    instrument = load_instrument(QUESTIONNAIRES / "family-star" / "v1.yaml")
    readings = {"A": [(5, 3, 4), (8, 6, -9)], "B": [(6, 6, 2), (6, 5, 3), (7, 7, 3)], "C": [(4, 2, 2)]}
    for case, chart in readings.items():
        family, _members = family_with_members(world["north"], None, case_ref=case, exit_=date(2026, 3, 1))
        for health_parent, health_keyworker, safety_parent in chart:
            response, _token = create_response(instrument, 28)
            response.family_id, response.wave = family.id, "exit"
            save_answers(response, {"assessment_point": 3, "health_parent": health_parent,
                                    "health_practitioner": health_keyworker, "safety_parent": safety_parent,
                                    "safety_practitioner": 3}, mode="staff")
            complete(response, instrument)
    stems = ["health", "safety"]
    moves, gaps = star_summary(Filters(), "family-star", stems)
    expected_moves, expected_gaps = star.summarise(answers(Filters(), "family-star",
                                                           [f"{s}_{r}" for s in stems for r in star.READERS]), stems)
    order = ["item_id"]
    pd.testing.assert_frame_equal(moves.sort_values(order).reset_index(drop=True).astype(float, errors="ignore"),
                                  expected_moves.sort_values(order).reset_index(drop=True).astype(float, errors="ignore"),
                                  check_dtype=False)
    pd.testing.assert_frame_equal(gaps, expected_gaps, check_dtype=False)
    health = moves.set_index("item_id").loc["health_parent"]
    assert (health["families"], health["first_sum"], health["latest_sum"], health["up"]) == (2, 11, 15, 2)
    # Safety: A's latest parent reading is "prefer not to say" (-9): A counts for neither.
    assert moves.set_index("item_id").loc["safety_parent"]["families"] == 1
    assert gaps.set_index("stem").loc["health"].tolist() == [3, 2 + 0 + 2]


def test_kept_star_moves_and_gaps_add_up_as_the_answers_do_for_random_charts(app, ctx, world):
    """The kept moves and gaps (``pair_store.refresh_star``) against the star's own pandas summary
    of the answers, over 40 random families of 1–4 readings with values off the scale (0, 11, the
    -9 code, none) and ties in completion time; then one site, and then after more readings."""
    import random

    from feedback.extensions import db
    from feedback.instruments.loader import load_instrument
    from feedback.reports import star
    from feedback.reports.data import star_summary
    from feedback.survey.service import complete, create_response, save_answers
    from tests.families.helpers import family_with_members
    from tests.reports.seeding import QUESTIONNAIRES

    instrument = load_instrument(QUESTIONNAIRES / "family-star" / "v1.yaml")
    stems = ["health", "safety", "boundaries"]
    items = [f"{stem}_{reader}" for stem in stems for reader in star.READERS]
    chance = random.Random(24)
    made = []

    def reading(family):
        response, _token = create_response(instrument, 28)
        response.family_id, response.wave = family.id, "exit"
        values = {"assessment_point": 3}
        for item in items:
            value = chance.choice([None, -9, 0, 11, *range(1, 11), *range(1, 11)])
            if value is not None:
                values[item] = value
        save_answers(response, values, mode="staff")
        complete(response, instrument)

    for n in range(40):
        family, _members = family_with_members(world["north" if n % 3 else "south"], None, case_ref=f"R{n}",
                                               exit_=date(2026, 3, 1))
        made.append(family)
        for _ in range(chance.randint(1, 4)):
            reading(family)
    db.session.commit()

    def check(filters):
        moves, gaps = star_summary(filters, "family-star", stems)
        expected_moves, expected_gaps = star.summarise(answers(filters, "family-star", items), stems)
        order = ["item_id"]
        pd.testing.assert_frame_equal(
            moves.sort_values(order).reset_index(drop=True).astype(float, errors="ignore"),
            expected_moves.sort_values(order).reset_index(drop=True).astype(float, errors="ignore"), check_dtype=False)
        pd.testing.assert_frame_equal(gaps, expected_gaps, check_dtype=False)
        return moves

    moves = check(Filters())
    assert moves["families"].sum() > 20 and gaps_seen(star_summary(Filters(), "family-star", stems)[1])
    check(Filters(site_ids=(world["south"],)))
    for family in made[:10]:
        reading(family)
    db.session.commit()
    check(Filters())


def gaps_seen(gaps) -> bool:
    return bool((gaps["families"] > 0).all())


def test_every_family_counts_the_same_as_every_site_named(app, ctx, world):
    """An admin's first view (every site, no period) counts kept rows without testing each one's
    family on PostgreSQL (``in_cohort``): it must count what naming every site counts, and
    still leave another service's sites out when a site is named."""
    import sqlalchemy as sa

    from feedback.extensions import db
    from feedback.reports.data import distribution, in_cohort, star_summary
    from feedback.reports.models import KeptAnswer
    from feedback.staff.models import Site

    for n, (site, entry, exit_) in enumerate((("north", 3, 2), ("north", 2, 2), ("south", 4, 3), ("south", 3, 4))):
        assessed_family(world, f"E{n}", site, entry, exit_)
    every_site = Filters(site_ids=tuple(db.session.scalars(sa.select(Site.id))))
    items = ["level_of_need", "risk_debt"]
    everyone = transitions(Filters(), "practitioner-assessment", items)
    pd.testing.assert_frame_equal(_sorted(everyone), _sorted(transitions(every_site, "practitioner-assessment", items)))
    assert everyone["n"].sum() == 4
    north = transitions(Filters(site_ids=(world["north"],)), "practitioner-assessment", ["level_of_need"])
    assert north["n"].sum() == 2
    waves = ["entry", "exit"]
    pd.testing.assert_frame_equal(
        distribution(Filters(), "practitioner-assessment", ["level_of_need"], waves, level="family"),
        distribution(every_site, "practitioner-assessment", ["level_of_need"], waves, level="family"))
    for left, right in zip(star_summary(Filters(), "family-star", ["health"]), star_summary(every_site, "family-star", ["health"])):
        pd.testing.assert_frame_equal(left, right)
    # The condition itself: nothing to test only for every family, and only where the database
    # enforces that a kept row's family exists.
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    unfiltered = in_cohort(KeptAnswer.__table__.c.family_id, Filters())
    assert (str(unfiltered) == "report_kept_answers.family_id IS NOT NULL") == postgresql
    for narrower in (every_site, Filters(site_ids=()), Filters(start=date(2025, 1, 1)), Filters(end=date(2030, 1, 1)),
                     Filters(cohort="entry", start=date(2025, 1, 1))):
        assert "IN" in str(in_cohort(KeptAnswer.__table__.c.family_id, narrower))


def test_kept_rows_cannot_outlive_their_family_on_postgresql(app, ctx, world):
    """What ``in_cohort`` relies on: on PostgreSQL every kept table's family_id (and the
    invitations') is a foreign key to families that cascades; the kept tables' is never empty."""
    import pytest
    import sqlalchemy as sa

    from feedback.extensions import db

    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite enforces no foreign keys here: the cohort is always tested there")
    rules = dict(db.session.execute(sa.text(
        """SELECT c.table_name, r.delete_rule FROM information_schema.referential_constraints r
           JOIN information_schema.key_column_usage c ON c.constraint_name = r.constraint_name
           JOIN information_schema.constraint_column_usage u ON u.constraint_name = r.constraint_name
           WHERE c.column_name = 'family_id' AND u.table_name = 'families'
             AND c.table_name IN ('report_kept_answers', 'report_kept_scale_scores', 'report_kept_scale_sums',
                                  'invitations')""")).all())
    assert rules == {"report_kept_answers": "CASCADE", "report_kept_scale_scores": "CASCADE",
                     "report_kept_scale_sums": "CASCADE", "invitations": "CASCADE"}
    nullable = dict(db.session.execute(sa.text(
        """SELECT table_name, is_nullable FROM information_schema.columns WHERE column_name = 'family_id'
             AND table_name IN ('report_kept_answers', 'report_kept_scale_scores', 'report_kept_scale_sums')""")).all())
    assert set(nullable.values()) == {"NO"}
    family = assessed_family(world, "GONE", "north", 3, 2)
    assert not transitions(Filters(), "practitioner-assessment", ["level_of_need"]).empty
    db.session.execute(sa.text("DELETE FROM report_kept_stamps WHERE family_id = :f"), {"f": family.id})
    db.session.execute(sa.text("DELETE FROM families WHERE id = :f"), {"f": family.id})
    assert not db.session.execute(sa.text("SELECT 1 FROM report_kept_answers WHERE family_id = :f"),
                                  {"f": family.id}).first()


def test_reading_kept_rows_puts_the_planner_setting_back(app, ctx):
    """``pair_store.reading_kept`` turns PostgreSQL's sequential scans off for one count only:
    afterwards (and after a failed count) the setting is what it was, on or off; SQLite is left
    alone."""
    import pytest
    import sqlalchemy as sa

    from feedback.extensions import db
    from feedback.reports.pair_store import reading_kept

    postgresql = db.session.get_bind().dialect.name == "postgresql"

    def setting():
        return db.session.scalar(sa.text("SELECT current_setting('enable_seqscan')")) if postgresql else None

    before = setting()
    with reading_kept():
        assert setting() == ("off" if postgresql else None)
    assert setting() == before
    with pytest.raises(RuntimeError):
        with reading_kept():
            raise RuntimeError("a count that failed")
    assert setting() == before
    if postgresql:
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))   # an administrator's choice
        with reading_kept():
            pass
        assert setting() == "off"
        db.session.rollback()
        assert setting() == "on"


def test_resilience_from_kept_scores_is_the_report_the_scores_give(app, ctx, world):
    """The resilience page pairs the kept resilience_count scores (``scale_data.paired_scores``);
    the report must be the one ``resilience.compute`` makes from every score read: random families
    with factors at entry and exit, some re-assessed at a wave (the latest counts), some with too
    few factors answered to be scored, some at one wave only; for every site and for one."""
    import random

    from feedback.reports import resilience
    from feedback.reports.catalogue import run_report
    from feedback.reports.data import scores

    factors = ["resilience_child_wellbeing", "resilience_no_offending", "resilience_engages_services",
               "resilience_financial_stability", "resilience_peer_relationships", "resilience_no_domestic_violence",
               "resilience_stable_home", "resilience_safe_neighbourhood", "resilience_parent_wellbeing",
               "resilience_trusted_adult", "resilience_school_attendance", "resilience_learning_at_home"]
    chance = random.Random(7)

    def factors_answered():
        answered = factors if chance.random() < 0.85 else factors[:chance.randint(0, 8)]  # under 75%: no score
        return {item: chance.choice([0, 1, 1]) for item in answered}

    for n in range(30):
        family = assessed_family(world, f"R{n}", "north" if n % 2 else "south", 3, 2)
        # assessed_family's own assessments have no factors: each family gets more, later, at each wave.
        for wave in ("entry", "exit") if n % 5 else ("entry",):
            for _ in range(chance.randint(1, 2)):
                assessment(family, wave, 3, factors_answered())
    from feedback.extensions import db
    db.session.commit()
    labels = {item: item for item in factors}
    for filters in (Filters(), Filters(site_ids=(world["north"],))):
        expected = resilience.compute(scores(filters, resilience.INSTRUMENT, [resilience.SCALE], ["entry", "exit"]),
                                      transitions(filters, resilience.INSTRUMENT, labels), labels)
        shown = run_report("resilience", filters)
        means, expected_means = shown.tables[0], expected.tables[0]
        assert means.rows == expected_means.rows and means.made_of == expected_means.made_of
        assert means.rows[0]["families"] >= 5
