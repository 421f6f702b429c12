"""A language chosen on a member's survey pages becomes the member's language for texts to come;
a response nobody is linked to changes nobody."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.families.models import Member
from feedback.survey.models import Response
from tests.conftest import csrf_token
from tests.families.helpers import family_with_members


@pytest.fixture
def mother(app, world):
    """A mother of a north family, in English; returns her member id."""
    with app.app_context():
        family, (mother, _child) = family_with_members(world["north"], world["kw_north"], "N-1")
        return mother.id


def linked(app, make_link, member_id: int | None, **columns) -> str:
    """A link to the household survey, for ``member_id`` (None: nobody); returns its token."""
    response_id, token = make_link()
    with app.app_context():
        response = db.session.get(Response, response_id)
        if member_id is not None:
            member = db.session.get(Member, member_id)
            response.member_id, response.family_id = member.id, member.family_id
        for name, value in columns.items():
            setattr(response, name, value)
        db.session.commit()
    return token


def choose(client, token: str, language: str):
    welcome = client.get(f"/s/{token}").get_data(as_text=True)
    return client.post(f"/s/{token}/language", data={"csrf_token": csrf_token(welcome), "language": language})


def members_languages(app) -> dict[int, tuple[str, int]]:
    with app.app_context():
        return {row.id: (row.language, row.version) for row in db.session.execute(
            sa.select(Member.id, Member.language, Member.version))}


def test_a_language_chosen_on_a_members_survey_becomes_their_language(app, client, make_link, mother):
    token = linked(app, make_link, mother)
    before = members_languages(app)
    assert choose(client, token, "cy").status_code == 302
    after = members_languages(app)
    assert after[mother] == ("cy", before[mother][1] + 1)  # staff editing the member see a conflict
    assert {k: v for k, v in after.items() if k != mother} == {k: v for k, v in before.items() if k != mother}
    # Choosing the language already on record changes nothing more.
    assert choose(client, token, "cy").status_code == 302
    assert members_languages(app) == after


def test_a_response_linked_to_nobody_changes_no_member(app, client, make_link, mother):
    before = members_languages(app)
    assert choose(client, linked(app, make_link, None), "cy").status_code == 302
    assert choose(client, linked(app, make_link, None, anonymous=True), "cy").status_code == 302
    assert members_languages(app) == before


def test_a_language_the_survey_does_not_offer_changes_nothing(app, client, make_link, mother):
    before = members_languages(app)
    assert choose(client, linked(app, make_link, mother), "fr").status_code == 400
    assert members_languages(app) == before
