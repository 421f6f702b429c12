"""One report page counts each instrument's responses once (``pair_store.one_page``), and a page
never serves what an earlier page read: a new assessment, an erasure, another site."""
from __future__ import annotations

import sqlalchemy as sa

from feedback.extensions import db
from feedback.reports import pair_store, response_changes
from feedback.reports.catalogue import run_alongside, run_report
from feedback.reports.data import Filters, transitions
from feedback.survey.models import Response
from tests.reports.seeding import assessed_family, assessment

NEED = ["level_of_need"]


def _need(filters=Filters()) -> dict:
    return transitions(filters, "practitioner-assessment", NEED).set_index(["before", "after"])["n"].to_dict()


def _counting_responses(monkeypatch) -> list:
    """Every grouped count of completed responses ``_keep`` makes, by instrument."""
    counted = []
    execute = db.session.execute

    def spy(statement, *args, **kwargs):
        text = str(statement)
        if "FROM responses" in text and "GROUP BY responses.family_id" in text:
            counted.append(text)
        return execute(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", spy)
    return counted


def test_need_flows_page_counts_each_instruments_responses_once(app, ctx, world, monkeypatch):
    for n in range(3):
        assessed_family(world, f"A{n}", "north", 3, 2)
    outside = [run_report("need-flow", Filters()), *run_alongside("need-flow", Filters())]
    counted = _counting_responses(monkeypatch)
    run_report("need-flow", Filters()), run_alongside("need-flow", Filters())
    assert counted == []                             # nothing changed: no response counted at all
    # Every family compared again (``response_changes``): once per keeping outside a page, once
    # per instrument inside one; the three reports now keep one pairing per instrument
    # (``transitions``' ``kept_with``), so that is twice either way (it was five times outside).
    response_changes.forget_checks()
    db.session.commit()
    run_report("need-flow", Filters()), run_alongside("need-flow", Filters())
    without = len(counted)
    counted.clear()
    response_changes.forget_checks()
    db.session.commit()
    with pair_store.one_page():
        inside = [run_report("need-flow", Filters()), *run_alongside("need-flow", Filters())]
    assert without == 2 and len(counted) == 2        # key worker's and member assessments, once each
    assert [[table.rows for table in report.tables] for report in inside] == \
        [[table.rows for table in report.tables] for report in outside]


def test_the_next_page_sees_a_new_assessment_and_an_erasure(app, ctx, world):
    family = assessed_family(world, "A", "north", 3, 2)
    assessed_family(world, "B", "north", 2, 2)
    with pair_store.one_page():
        assert _need() == {(3, 2): 1, (2, 2): 1}
    assessment(family, "exit", 1)
    db.session.commit()
    with pair_store.one_page():
        assert _need() == {(3, 1): 1, (2, 2): 1}
    db.session.execute(sa.delete(Response).where(Response.family_id == family.id))
    db.session.commit()
    with pair_store.one_page():
        assert _need() == {(2, 2): 1}


def test_within_one_page_each_site_gets_its_own_families(app, ctx, world):
    assessed_family(world, "N", "north", 3, 2)
    assessed_family(world, "S", "south", 4, 1)
    with pair_store.one_page():
        assert _need(Filters(site_ids=(world["north"],))) == {(3, 2): 1}
        assert _need(Filters(site_ids=(world["south"],))) == {(4, 1): 1}
        assert _need() == {(3, 2): 1, (4, 1): 1}
        assert _need(Filters(site_ids=(world["north"],))) == {(3, 2): 1}


def test_a_site_restricted_managers_page_shows_only_their_sites_families(app, world):
    """Through the pages: after an admin's page of every site, a north manager's page is exactly
    the admin's page for north alone, and the south's families are in neither."""
    from tests.conftest import sign_in

    with app.app_context():
        for n in range(12):
            assessed_family(world, f"N{n}", "north", 3, 2)
        for n in range(12):
            assessed_family(world, f"S{n}", "south", 4, 1)
    admin = sign_in(app.test_client(), "admin@example.org")
    everyone = admin.get("/staff/reports/need-flow/download/csv?unsuppressed=y").get_data(as_text=True)
    north = admin.get(f"/staff/reports/need-flow/download/csv?sites={world['north']}").get_data(as_text=True)
    manager = sign_in(app.test_client(), "manager_north@example.org")
    mine = manager.get("/staff/reports/need-flow/download/csv").get_data(as_text=True)
    assert mine == north and mine != everyone
    assert "South" not in mine and "North" in mine


def _need_and_point(filters=Filters()) -> dict:
    """Another keeping of the same instrument and waves (two items): checked with need-flow's in one pass."""
    found = transitions(filters, "practitioner-assessment", ["assessment_point", "level_of_need"])
    found = found[found["item_id"] == "level_of_need"]
    return found.set_index(["before", "after"])["n"].to_dict()


def test_keepings_checked_together_each_see_a_new_assessment_and_an_erasure(app, ctx, world):
    """The stamps of an instrument's keepings are compared in the database, all in one pass a page:
    each keeping still sees what changed since the last page, and only in the families asked for."""
    family = assessed_family(world, "A", "north", 3, 2)
    assessed_family(world, "B", "south", 2, 2)
    with pair_store.one_page():
        assert _need() == _need_and_point() == {(3, 2): 1, (2, 2): 1}
    assessment(family, "exit", 1)
    db.session.commit()
    with pair_store.one_page():
        assert _need_and_point() == _need() == {(3, 1): 1, (2, 2): 1}
        assert _need_and_point(Filters(site_ids=(world["south"],))) == {(2, 2): 1}
    db.session.execute(sa.delete(Response).where(Response.family_id == family.id))
    db.session.commit()
    with pair_store.one_page():
        assert _need() == _need_and_point() == {(2, 2): 1}
        assert _need(Filters(site_ids=(world["north"],))) == {}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(pair_store.KeptAnswer)
                             .where(pair_store.KeptAnswer.family_id == family.id)) == 0
