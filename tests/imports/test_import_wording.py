"""An imported response records the wording it is taken to have been answered in.

A response file has no column for the language a paper form was filled in, so every imported
response is recorded in the instrument's source language (its first: English), with that
language's wording hash, even for a member whose own language is Welsh. An evaluator can tell
them apart by mode ``import``; a file that says its language would need a column the import does
not read (yet).
"""
from __future__ import annotations

import sqlalchemy as sa

from feedback.extensions import db
from feedback.families.service import add_member, create_family
from feedback.imports.service import import_responses
from feedback.instruments.wording import wording_hash
from feedback.publishing.startup import current_catalogue
from feedback.survey.models import Response
from tests.imports.files import csv_bytes
from tests.imports.test_import import FILLED

#: The same answers for a second member, M2, of the same family.
SECOND = ["north", "N-1", "M2", *FILLED[3:]]


def test_imported_responses_are_recorded_in_the_source_language_even_for_a_welsh_member(ctx, world):
    family = create_family(world["north"], "N-1", world["kw_north"])
    add_member(family, "mother", "Mam", 1988, 3, "cy", "none", None, member_ref="M1")
    add_member(family, "father", "Dad", 1986, 5, "en", "none", None, member_ref="M2")
    db.session.commit()
    instrument = current_catalogue().get("household", 1)
    assert instrument.languages[0] == "en" and "cy" in instrument.languages

    outcome = import_responses(csv_bytes([FILLED, SECOND]), "round.csv", instrument, "exit", None, None)
    assert outcome.status == "imported", [str(problem) for problem in outcome.problems]

    recorded = db.session.execute(sa.select(Response.mode, Response.language, Response.wording_hash)
                                  .where(Response.family_id == family.id)).all()
    assert len(recorded) == 2
    assert {tuple(row) for row in recorded} == {("import", "en", wording_hash(instrument, "en"))}
    assert wording_hash(instrument, "en") != wording_hash(instrument, "cy")  # the check means something
