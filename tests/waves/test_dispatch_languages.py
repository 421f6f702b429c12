"""A family member's language reaches the response the dispatcher makes: language, wording hash
and the published wording, for a language added by a language file (issue 20)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from feedback.extensions import db
from feedback.instruments.wording import wording_hash
from feedback.publishing.models import InstrumentWording
from feedback.publishing.startup import current_catalogue
from feedback.survey.models import Response
from feedback.waves.channels import OutboxBackend
from feedback.waves.dispatcher import dispatch_once
from feedback.waves.models import Invitation
from tests.waves.seeding import sending_moment


def test_responses_made_for_polish_and_urdu_speakers_record_their_wording(exited):
    family, (mother, father) = exited
    mother.language, father.language = "pl", "ur"
    db.session.commit()
    dispatch_once(OutboxBackend(), now=sending_moment(date.today()))
    catalogue = current_catalogue()
    for member, language in ((mother, "pl"), (father, "ur")):
        invitations = db.session.scalars(sa.select(Invitation).filter_by(member_id=member.id, wave="exit")).all()
        assert invitations
        for invitation in invitations:
            response = db.session.get(Response, invitation.response_id)
            instrument = catalogue.get(response.instrument_id, response.version)
            assert language in instrument.added_wording  # from the shipped language file
            assert (response.language, response.wording_hash) == (language, wording_hash(instrument, language))
            assert response.content_hash == instrument.content_hash  # the version file's own hash
            published = db.session.scalar(sa.select(InstrumentWording).filter_by(
                instrument_id=instrument.id, version=instrument.version, language=language))
            assert published.wording_hash == response.wording_hash
            assert published.texts == dict(instrument.added_wording[language])
