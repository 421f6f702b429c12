"""Fixtures shared by the dispatcher's tests."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from feedback.extensions import db
from feedback.families.service import update_family
from tests.families.helpers import family_with_members


@pytest.fixture
def exited(app, ctx, world):
    """A family that left support today: its exit wave is open now (four texts due, two to each parent)."""
    family, members = family_with_members(world["north"], world["kw_north"], entry=date.today() - timedelta(days=120),
                                          members=(("mother", 1988, 3), ("father", 1985, 7)))
    update_family(family, family.version, exit_date=date.today())
    db.session.commit()
    return family, members
