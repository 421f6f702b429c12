"""Fixtures of the partner agency tests: a north agency, a south agency, and calls to re-plan watched."""
from __future__ import annotations

import pytest

from feedback.extensions import db
from feedback.partners.service import create_agency
from tests.partners.helpers import agency_with_contact


@pytest.fixture
def agencies(app, world):
    """Ids: ``north`` (a school at north, with contact ``head``), ``south`` (a GP at south, with contact
    ``gp``) and ``shared`` (housing at both sites, no contacts)."""
    with app.app_context():
        north, head = agency_with_contact([world["north"]])
        south, gp = agency_with_contact([world["south"]], name="South Surgery", email="gp@surgery.example.org",
                                        sector="health")
        shared = create_agency("Bridge Housing", "housing", [world["north"], world["south"]])
        db.session.commit()
        return {"north": north, "head": head, "south": south, "gp": gp, "shared": shared.id}


@pytest.fixture
def replans(monkeypatch):
    """Every call to ``waves.service.replan_contact``, as (contact id, cause), the real one still run."""
    from feedback.waves import service

    calls = []
    real = service.replan_contact

    def watched(contact, cause, actor_id=None, **kwargs):
        calls.append((contact.id, cause))
        return real(contact, cause, actor_id, **kwargs)

    monkeypatch.setattr(service, "replan_contact", watched)
    return calls
