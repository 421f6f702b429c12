"""A north family and a south family with everything the staff pages act on, and signed-in clients.

Built through the same services the pages use. Ids only leave here, so tests never hold objects
from another session.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from feedback.extensions import db
from feedback.families.service import pause_contact
from feedback.publishing.startup import current_catalogue
from feedback.survey.service import create_response
from feedback.waves.models import Invitation
from tests.conftest import csrf_token, sign_in
from tests.families.helpers import family_with_members

ROLES = ("anonymous", "manager_north", "researcher_north", "practitioner_south", "practitioner_north", "admin")
#: Support started ten days ago: the entry wave's window is open, so a text can be sent now.
ENTRY = date.today() - timedelta(days=10)


@dataclass(frozen=True)
class Scene:
    family: int
    mother: int
    father: int
    pause: int
    invitation: int
    response: int
    south_family: int
    south_member: int
    south_pause: int


def build_scene(app, world) -> Scene:
    with app.app_context():
        family, (mother, father) = family_with_members(
            world["north"], world["kw_north"], "N-1", entry=ENTRY, members=(("mother", 1988, 3), ("father", 1985, 7)))
        pause = pause_contact(family, father, "Safety: see the case notes", world["kw_north"])
        south, (south_mother,) = family_with_members(world["south"], world["practitioner_south"], "S-1", entry=ENTRY,
                                                     members=(("mother", 1990, 1),))
        south_pause = pause_contact(south, None, "South reason", world["practitioner_south"])
        response, _token = create_response(current_catalogue().latest("household"), 28)
        response.family_id, response.member_id = family.id, mother.id
        db.session.commit()
        invitation = db.session.scalar(sa.select(Invitation.id).filter_by(
            member_id=mother.id, wave="entry", instrument_id="family-functioning"))
        return Scene(family.id, mother.id, father.id, pause.id, invitation, response.id, south.id, south_mother.id,
                     south_pause.id)


def client_as(app, role: str):
    """A test client signed in as one of ``world``'s staff (or not signed in, for "anonymous")."""
    client = app.test_client()
    if role != "anonymous":
        sign_in(client, f"{role}@example.org")
    return client


def form_token(client) -> str:
    """A CSRF token for the client's session (the sign-in form carries one whoever asks)."""
    return csrf_token(client.get("/staff/login").get_data(as_text=True))


def snapshot() -> dict:
    """Every row of every table except sign-in attempts: to show a refused request changed nothing."""
    return {table.name: db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            for table in db.metadata.sorted_tables if table.name != "login_attempts"}
