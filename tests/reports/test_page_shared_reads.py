"""What one report page reads once and shares (issue 24, target 4), and the stamp check's one
full join: the figures are those the reports showed when each read for itself, for every site
and each, with small numbers hidden and shown, an empty period and no sites; and nothing read on
one page, or for one site, is served to another."""
from __future__ import annotations

import random
import sqlite3
from datetime import date

import sqlalchemy as sa

from feedback.extensions import db
from feedback.families.models import Family
from feedback.instruments.loader import load_instrument
from feedback.reports import cost_benefit, need_flow, pair_store
from feedback.reports.catalogue import run_alongside, run_report
from feedback.reports.data import Filters, cohort, families_avoiding_any
from feedback.reports.downloads import as_csv
from feedback.reports.models import KeptStamp
from feedback.reports.protect import protect
from feedback.survey.models import Response
from feedback.survey.service import complete, create_response, save_answers
from tests.families.helpers import family_with_members
from tests.reports.seeding import QUESTIONNAIRES, assessment

MEMBER_RISKS = sorted({o.item for o in cost_benefit.OUTCOMES if o.level == "member"} | {"risk_bullying"})
FAMILY_RISKS = ["risk_debt", "risk_employment", "risk_family_violence"]
PAGES = ("need-flow", "risk-change", "cost-benefit")


def _member_assessment(family, member, wave: str, risks: dict):
    instrument = load_instrument(QUESTIONNAIRES / "member-assessment" / "v1.yaml")
    response, _token = create_response(instrument, 28)
    response.family_id, response.member_id, response.wave = family.id, member.id, wave
    group = 2 if member.role in ("child", "young_person") else 1
    save_answers(response, {"assessment_point": 1, "member_role": 1, "member_age_group": group, **risks}, mode="staff")
    complete(response, instrument)
    return response


def _risks(rng: random.Random, items) -> dict:
    """Some items rated 0–3, some left out (not assessed)."""
    return {item: rng.choice((0, 0, 1, 2, 3)) for item in items if rng.random() < 0.85}


def _cohort(world) -> dict:
    """North: 16 families (a carer and a child or young person each) assessed at entry and exit on
    family and member risks, some re-assessed, one left at entry only; south: 3 (small numbers)."""
    rng = random.Random(2024)
    made = {}
    for site, count in (("north", 16), ("south", 3)):
        for n in range(count):
            child = ("child", 2014, 6) if n % 2 else ("young_person", 2009, 1)
            family, members = family_with_members(world[site], None, case_ref=f"{site}-{n}", entry=date(2025, 6, 1),
                                                  exit_=date(2026, 3, 31), members=(("mother", 1988, 3), child))
            made[f"{site}-{n}"] = family
            for wave in ("entry", "exit"):
                if wave == "exit" and n == 5:
                    continue
                assessment(family, wave, rng.randint(1, 4), _risks(rng, FAMILY_RISKS))
                for member in members:
                    _member_assessment(family, member, wave, _risks(rng, MEMBER_RISKS))
            if n % 4 == 0:   # re-assessed at exit: the latest counts
                assessment(family, "exit", rng.randint(1, 4), _risks(rng, FAMILY_RISKS))
                _member_assessment(family, members[1], "exit", _risks(rng, MEMBER_RISKS))
    db.session.commit()
    return made


def _filters(world) -> dict[str, Filters]:
    return {"all": Filters(), "north": Filters(site_ids=(world["north"],)),
            "south": Filters(site_ids=(world["south"],)), "empty period": Filters(start=date(2030, 1, 1)),
            "no sites": Filters(site_ids=())}


def _shown(report, alongside, suppress: bool) -> bytes:
    shown = protect(report, suppress=suppress, filters_text="", alongside=alongside if suppress else [],
                    threshold=10, width=3)
    return as_csv(shown)


def _page(name: str, filters: Filters) -> tuple:
    report = run_report(name, filters)
    return report, run_alongside(name, filters)


def _distinct_texts(monkeypatch) -> list:
    """Every SELECT DISTINCT of kept texts ``families_avoiding_any`` makes."""
    found = []
    execute = db.session.execute

    def spy(statement, *args, **kwargs):
        text = str(statement)
        if text.startswith("SELECT DISTINCT report_kept_answers.before"):
            found.append(text)
        return execute(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", spy)
    return found


def test_a_page_shows_what_each_report_reading_for_itself_showed(app, ctx, world, monkeypatch):
    """need-flow's page (need-flow, risk-change and cost-benefit, protected together): every cell
    and hidden mark, suppressed and not, inside one page (the kept texts shared) equal those of the
    reports run outside any page (each reading its own, as before), for every filter."""
    _cohort(world)
    filters = _filters(world)
    outside = {}
    for label, chosen in filters.items():
        for name in PAGES:
            report, alongside = _page(name, chosen)
            outside[label, name] = (_shown(report, alongside, True), _shown(report, alongside, False))
    distinct = _distinct_texts(monkeypatch)
    for label, chosen in filters.items():
        for name in PAGES:
            with pair_store.one_page():
                report, alongside = _page(name, chosen)
            assert (_shown(report, alongside, True), _shown(report, alongside, False)) == outside[label, name], \
                (label, name)
    assert distinct == []   # every page read its texts from the counts it made
    assert b"avoided at least one" in outside["all", "cost-benefit"][1]


def _avoiding(filters: Filters) -> int:
    member_items = sorted({o.item for o in cost_benefit.OUTCOMES if o.level == "member"})
    family_items = sorted({o.item for o in cost_benefit.OUTCOMES if o.level == "family"})
    return families_avoiding_any(filters, [(o.item, o.who) for o in cost_benefit.OUTCOMES if o.level == "member"],
                                 [o.item for o in cost_benefit.OUTCOMES if o.level == "family"], member_items,
                                 family_items + [need_flow.ITEM])


def test_within_one_page_each_site_gets_its_own_texts(app, ctx, world):
    """One page asking for north, south and every site in turn (each after cost-benefit's counts
    for another site) gets each site's own count of families avoiding an outcome."""
    _cohort(world)
    filters = _filters(world)
    alone = {label: _avoiding(chosen) for label, chosen in filters.items()}
    assert alone["all"] == alone["north"] + alone["south"] and alone["north"] > alone["south"] > 0
    assert alone["empty period"] == alone["no sites"] == 0
    with pair_store.one_page():
        for label in ("north", "south", "all", "no sites", "north"):
            run_report("cost-benefit", filters[label])
            for other, chosen in filters.items():
                assert _avoiding(chosen) == alone[other], (label, other)


def test_the_next_page_sees_a_new_family_avoiding_an_outcome(app, ctx, world):
    """Texts are kept for one page only: a family assessed after a page is counted on the next."""
    _cohort(world)
    with pair_store.one_page():
        run_report("cost-benefit", Filters())
        before = _avoiding(Filters())
    family, members = family_with_members(world["north"], None, case_ref="late", entry=date(2025, 6, 1),
                                          exit_=date(2026, 3, 31), members=(("mother", 1988, 3), ("child", 2015, 6)))
    for wave, level in (("entry", 3), ("exit", 0)):
        assessment(family, wave, 2)
        _member_assessment(family, members[1], wave, {item: level for item in MEMBER_RISKS})
    db.session.commit()
    with pair_store.one_page():
        run_report("cost-benefit", Filters())
        inside = _avoiding(Filters())
    assert inside == before + 1 == _avoiding(Filters())


# --- the stamp check ---------------------------------------------------------------------------

def _old_changed(cohort_select, keepings, instrument_id, waves) -> dict:
    """The stamp check as it was (left join of answered × keepings with the stamps, and an anti
    join for stamps whose family has no response left), for comparison."""
    answered = pair_store._answered(cohort_select, instrument_id, waves).cte("answered")
    wanted = sa.union_all(*[sa.select(sa.literal(k, sa.BigInteger).label("keeping")) for k in keepings]).cte("wanted")
    stamped = (sa.select(KeptStamp.keeping, KeptStamp.family_id, KeptStamp.responses, KeptStamp.last_response_id,
                         KeptStamp.member_changes)
               .where(KeptStamp.keeping.in_(keepings), KeptStamp.family_id.in_(cohort_select)).cte("stamped"))
    changed = (sa.select(wanted.c.keeping, answered.c.family_id, answered.c.responses, answered.c.last_response_id,
                         answered.c.member_changes)
               .select_from(answered.join(wanted, sa.true()))
               .outerjoin(stamped, sa.and_(stamped.c.keeping == wanted.c.keeping,
                                           stamped.c.family_id == answered.c.family_id))
               .where(sa.or_(stamped.c.family_id.is_(None), stamped.c.responses != answered.c.responses,
                             stamped.c.last_response_id != answered.c.last_response_id,
                             stamped.c.member_changes != answered.c.member_changes)))
    gone = (sa.select(stamped.c.keeping, stamped.c.family_id, sa.null(), sa.null(), sa.null())
            .where(~sa.exists().where(answered.c.family_id == stamped.c.family_id)))
    results = {k: {} for k in keepings}
    for k, family_id, count, last, members in db.session.execute(sa.union_all(changed, gone)):
        results[k][family_id] = (count, last, members)
    return results


def test_the_stamp_check_finds_what_the_old_one_found(app, ctx, world):
    """New, re-assessed, erased and detached families, a member's role corrected, a keeping never
    made, stamps of other sites' families: the one full join returns exactly what the left and anti joins returned, for
    every filter and keeping."""
    made = _cohort(world)
    waves = ("entry", "exit")
    need = pair_store.pairing_id("practitioner-assessment", [need_flow.ITEM], "family", *waves)
    risks = pair_store.pairing_id("practitioner-assessment", sorted(FAMILY_RISKS), "family", *waves)
    never = pair_store.pairing_id("practitioner-assessment", ["risk_debt"], "family", *waves)
    pair_store.refresh("practitioner-assessment", [need_flow.ITEM], "family", *waves)
    pair_store.refresh("practitioner-assessment", FAMILY_RISKS, "family", *waves)
    assessment(made["north-2"], "exit", 1)                                        # re-assessed
    assessment(made["south-1"], "entry", 2)
    db.session.execute(sa.delete(Response).where(Response.family_id == made["north-3"].id))    # erased
    db.session.execute(sa.update(Response).where(Response.family_id == made["south-2"].id)
                       .values(family_id=None))                                  # detached
    family, _members = family_with_members(world["north"], None, case_ref="new", exit_=date(2026, 3, 31),
                                           members=(("mother", 1990, 3),))
    assessment(family, "entry", 3)                                               # never stamped
    db.session.execute(sa.update(Family).where(Family.id == made["north-4"].id)
                       .values(member_changes=Family.member_changes + 1))         # a role corrected
    db.session.commit()
    # Both ways on PostgreSQL; on SQLite the full join only where it has one (3.39 and later).
    full_join_known = db.session.get_bind().dialect.name == "postgresql" or sqlite3.sqlite_version_info >= (3, 39)
    ways = (True, False) if full_join_known else (False,)
    for label, chosen in _filters(world).items():
        for keepings in ([need], [need, risks, never], [risks, need]):
            for at in (waves, None):
                old = _old_changed(cohort(chosen), keepings, "practitioner-assessment", at)
                for full_join in ways:
                    new = pair_store._changed(cohort(chosen), keepings, "practitioner-assessment", at, full_join)
                    assert new == old, (label, keepings, at, full_join)
    everything = pair_store._changed(cohort(Filters()), [need, risks], "practitioner-assessment", waves)
    assert everything[need][made["north-3"].id] == (None, None, None)            # erased: its stamp gone
    assert everything[need][made["south-2"].id] == (None, None, None)
    assert everything[need][made["north-4"].id][2] == 1 and made["north-4"].id in everything[risks]
    assert made["north-2"].id in everything[need] and made["south-1"].id in everything[need]
    assert family.id in everything[need] and family.id in everything[risks]
    # Kept for every family, whatever cohort asked first: no other family differs.
    assert made["south-0"].id not in everything[risks] and made["north-0"].id not in everything[risks]


# --- planner statistics ------------------------------------------------------------------------

def test_a_whole_cohort_kept_again_brings_the_statistics_up_to_date(app, ctx, world, monkeypatch):
    """Many families paired again at once (more than ``CHUNK``) are analysed; a few by id are not;
    analysing works on either database (PostgreSQL only: SQLite has nothing to bring up to date)."""
    made = _cohort(world)
    analysed = []
    real = pair_store.analyse
    monkeypatch.setattr(pair_store, "analyse", lambda: (analysed.append(True), real()))
    monkeypatch.setattr(pair_store, "CHUNK", 3)

    def need() -> None:
        pair_store.refresh("practitioner-assessment", [need_flow.ITEM], "family", "entry", "exit")

    need()
    assert analysed == [True]
    need()
    assert analysed == [True]                      # nothing changed: nothing paired, nothing analysed
    assessment(made["north-1"], "exit", 2)
    db.session.commit()
    need()
    assert analysed == [True]                      # one family, paired again by id
    if db.session.get_bind().dialect.name == "postgresql":
        tuples = db.session.scalar(sa.text("SELECT reltuples FROM pg_class WHERE relname = 'report_kept_answers'"))
        assert tuples > 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KeptStamp)) > 0   # the session still works


# --- one keeping and one count per instrument on need-flow's page ------------------------------

def _pair_counts_made(monkeypatch) -> list:
    """Every count of kept pairs (``data._pair_counts``) made, by its statement's text."""
    from feedback.reports import data

    made = []
    real = data._pair_counts

    def spy(filters, pairing, with_role):
        made.append((pairing, with_role))
        return real(filters, pairing, with_role)

    monkeypatch.setattr(data, "_pair_counts", spy)
    return made


def test_the_page_counts_each_instrument_once_and_each_report_gets_its_own_items(app, ctx, world, monkeypatch):
    """need-flow's page keeps one pairing per instrument (every item the three reports pair) and
    counts each once; each ``transitions`` call still returns exactly what a keeping of its own
    items alone counted (the pairing before ``kept_with``), split by role or not, for every filter."""
    from feedback.reports.catalogue import _entry_exit_items
    from feedback.reports.data import transitions

    _cohort(world)
    calls = [("practitioner-assessment", [need_flow.ITEM], "family", False),
             ("practitioner-assessment", FAMILY_RISKS, "family", False),
             ("practitioner-assessment", ["risk_employment", "risk_family_violence", need_flow.ITEM], "family", False),
             ("member-assessment", MEMBER_RISKS, "member", False),
             ("member-assessment", [o.item for o in cost_benefit.OUTCOMES if o.level == "member"], "member", True)]

    def ordered(frame):
        columns = [c for c in frame.columns if c != "n"]
        return frame.sort_values(columns, key=lambda s: s.astype(str)).reset_index(drop=True)

    for label, chosen in _filters(world).items():
        alone = [ordered(transitions(chosen, instrument, items, level=level, by_role=by_role))
                 for instrument, items, level, by_role in calls]
        made = _pair_counts_made(monkeypatch)
        with pair_store.one_page():
            together = [ordered(transitions(chosen, instrument, items, level=level, by_role=by_role,
                                            kept_with=_entry_exit_items(instrument)))
                        for instrument, items, level, by_role in calls]
        for call, left, right in zip(calls, alone, together):
            assert left.to_dict("records") == right.to_dict("records"), (label, call)
            assert set(right["item_id"]) <= set(call[1])
        assert len(made) == 2 and len({pairing for pairing, _ in made}) == 2, (label, made)
        monkeypatch.undo()
        if label == "all":   # children and adults both counted
            assert alone[4]["child"].any() and not alone[4]["child"].all()


def test_need_flows_page_makes_two_counts_of_kept_pairs(app, ctx, world, monkeypatch):
    """The whole page (need-flow with risk-change and cost-benefit): two counts, one per
    instrument; it made five when each report kept and counted its own item list."""
    _cohort(world)
    made = _pair_counts_made(monkeypatch)
    with pair_store.one_page():
        _page("need-flow", Filters())
    assert sorted(with_role for _pairing, with_role in made) == [False, True]


def test_a_pair_whose_member_is_gone_counts_unsplit_but_not_by_role(app, ctx, world):
    """The member count reads roles by a left join: a kept pair whose member is no longer on
    record still counts where roles are not asked for (as before, with no join) and is left out
    of the split by role (as the inner join left it out)."""
    from feedback.reports.data import transitions
    from feedback.reports.models import KeptAnswer

    made = _cohort(world)
    items = ["risk_drugs"]
    before_split = transitions(Filters(), "member-assessment", items, level="member", by_role=True)
    before = transitions(Filters(), "member-assessment", items, level="member")
    pairing = pair_store.pairing_id("member-assessment", items, "member", "entry", "exit")
    # A pair kept for a member id no member has (one removed behind the app's back).
    db.session.add(KeptAnswer(keeping=pairing, subject_id=987_654, slot="pair", item_id="risk_drugs",
                              family_id=made["north-1"].id, before="2", after="0"))
    db.session.commit()
    after = transitions(Filters(), "member-assessment", items, level="member")
    after_split = transitions(Filters(), "member-assessment", items, level="member", by_role=True)
    assert after["n"].sum() == before["n"].sum() + 1
    assert after.set_index(["before", "after"])["n"].get((2, 0), 0) == \
        before.set_index(["before", "after"])["n"].get((2, 0), 0) + 1
    pd_records = lambda frame: sorted(map(tuple, frame.astype(str).values.tolist()))  # noqa: E731
    assert pd_records(after_split) == pd_records(before_split)


def test_an_outcome_avoided_counts_only_for_the_members_it_is_about(app, ctx, world):
    """Families avoiding an outcome, inside a page (the texts ``transitions`` counted) and outside
    one: a child's move on an adults' outcome and an adult's on a children's count for neither; a
    move to a concern, or staying at one, for no one. Only the last two families avoided anything."""
    cases = {
        "child on alcohol (adults only)": ("child", 2014, {"risk_alcohol": (2, 0)}),
        "mother on teenage parenthood (children only)": ("mother", 1988, {"risk_teenage_parent": (3, 0)}),
        "child getting worse": ("child", 2014, {"risk_drugs": (0, 2)}),
        "mother staying at a concern": ("mother", 1988, {"risk_alcohol": (1, 1)}),
        "child on teenage parenthood": ("young_person", 2009, {"risk_teenage_parent": (1, 0)}),
        "mother on alcohol": ("mother", 1988, {"risk_alcohol": (3, 0)}),
    }
    for n, (case, (role, born, moves)) in enumerate(cases.items()):
        family, members = family_with_members(world["north"], None, case_ref=f"A-{n}", entry=date(2025, 6, 1),
                                              exit_=date(2026, 3, 31), members=((role, born, 3),))
        for wave, at in (("entry", 0), ("exit", 1)):
            assessment(family, wave, 2)
            risks = {item: 0 for item in MEMBER_RISKS}
            risks.update({item: values[at] for item, values in moves.items()})
            _member_assessment(family, members[0], wave, risks)
    db.session.commit()
    from feedback.reports.catalogue import _entry_exit_items

    def avoiding():
        # As cost-benefit asks: the pairings kept with need-flow's and risk-change's items.
        return families_avoiding_any(
            Filters(), [(o.item, o.who) for o in cost_benefit.OUTCOMES if o.level == "member"],
            [o.item for o in cost_benefit.OUTCOMES if o.level == "family"], _entry_exit_items("member-assessment"),
            _entry_exit_items("practitioner-assessment"))

    outside = avoiding()
    with pair_store.one_page():
        run_report("cost-benefit", Filters())
        inside = avoiding()
    assert outside == inside == 2
