"""Languages added to published versions by language files (``<id>/languages/<code>.yaml``)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.instruments import load_catalogue
from feedback.instruments.language_files import language_file_text, pairs_for
from feedback.instruments.wording import wording_hash
from feedback.publishing.models import InstrumentWording
from feedback.publishing.service import _built, publish, published_instrument
from feedback.publishing.startup import current_catalogue
from feedback.survey.service import create_response
from tests.conftest import app_under_test

HOUSEHOLD = Path(__file__).resolve().parents[1] / "fixtures" / "questionnaires" / "household"


def folder_with_household(tmp_path: Path) -> Path:
    folder = tmp_path / "q"
    shutil.copytree(HOUSEHOLD, folder / "household")
    return folder


def write_polish(folder: Path, translate=lambda text: f"PL {text}", skip: int = 0) -> Path:
    """A Polish file for household translating every text (but the first ``skip``) with ``translate``."""
    versions = [instrument for instrument in load_catalogue(folder) if instrument.id == "household"]
    pairs = [(text, "" if index < skip else translate(text), place)
             for index, (text, _, place) in enumerate(pairs_for(versions, "pl"))]
    path = folder / "household" / "languages" / "pl.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(language_file_text("household", "pl", "en", pairs), encoding="utf-8")
    return path


def test_a_complete_language_file_adds_the_language_and_leaves_the_version_and_other_wording_alone(tmp_path):
    folder = folder_with_household(tmp_path)
    before = load_catalogue(folder).get("household", 1)
    write_polish(folder)
    catalogue = load_catalogue(folder)
    after = catalogue.get("household", 1)

    assert catalogue.problems == []
    assert after.languages == ("en", "cy", "pl")
    assert after.content_hash == before.content_hash and after.raw == before.raw  # what is published
    assert wording_hash(after, "en") == wording_hash(before, "en")
    assert wording_hash(after, "cy") == wording_hash(before, "cy")
    assert after.title.get("pl") == "PL Your household"
    assert after.item("adults").text.get("pl") == "PL How many adults live with you?"
    # The built-in yes/no labels carry Polish, so the file need not.
    assert [choice.label.get("pl") for choice in after.item("has_children").choices] == ["Tak", "Nie"]


def test_a_language_file_short_of_a_text_is_not_offered_and_says_what_is_missing(tmp_path):
    folder = folder_with_household(tmp_path)
    write_polish(folder, skip=1)
    catalogue = load_catalogue(folder)
    assert catalogue.get("household", 1).languages == ("en", "cy")
    assert catalogue.language_gaps[("household", 1, "pl")] == {"Your household": "title"}


def test_revising_a_translation_changes_only_that_languages_wording_hash(tmp_path):
    folder = folder_with_household(tmp_path)
    write_polish(folder)
    first = load_catalogue(folder).get("household", 1)
    write_polish(folder, translate=lambda text: f"PL* {text}")
    second = load_catalogue(folder).get("household", 1)
    assert wording_hash(first, "pl") != wording_hash(second, "pl")
    assert wording_hash(first, "cy") == wording_hash(second, "cy")
    assert first.texts_key != second.texts_key  # caches of built pages cannot serve the old words


@pytest.mark.parametrize("pair, says", [
    ('  - en: "Your household"\n    pl: "%(link)s"\n', "placeholders differ"),
    ('  - en: "Your household"\n    pl: 3\n', "must be text"),
    ('  - pl: "Twoje"\n', "must be {en: <source text>, pl: <translation>}"),
])
def test_a_bad_pair_is_refused_naming_the_file_and_the_pair(tmp_path, pair, says):
    folder = folder_with_household(tmp_path)
    path = folder / "household" / "languages" / "pl.yaml"
    path.parent.mkdir()
    path.write_text("language: pl\nsource: en\ntexts:\n" + pair, encoding="utf-8")
    problems = [str(problem) for problem in load_catalogue(folder).problems]
    assert len(problems) == 1 and "household/languages/pl.yaml: texts[1]" in problems[0] and says in problems[0]


def test_a_language_file_named_for_another_language_is_refused(tmp_path):
    folder = folder_with_household(tmp_path)
    path = folder / "household" / "languages" / "ro.yaml"
    path.parent.mkdir()
    path.write_text("language: pl\ntexts: []\n", encoding="utf-8")
    assert any("the file is named ro.yaml" in str(problem) for problem in load_catalogue(folder).problems)


def test_added_languages_are_published_once_per_wording_and_serve_a_version_whose_file_has_gone(
        schema, database_url, tmp_path):
    folder = folder_with_household(tmp_path)
    write_polish(folder)
    with app_under_test(database_url, folder) as app, app.app_context():
        instrument = current_catalogue().get("household", 1)
        response, _ = create_response(instrument, 28, language="pl")
        publish(instrument)  # again: nothing new
        db.session.commit()
        rows = db.session.scalars(sa.select(InstrumentWording)).all()
        assert [(row.language, row.wording_hash) for row in rows] == [("pl", wording_hash(instrument, "pl"))]
        assert response.wording_hash == wording_hash(instrument, "pl")
        polish_hash = response.wording_hash

        # The Polish is revised: a second row; the first stays for the responses answered in it.
        write_polish(folder, translate=lambda text: f"PL2 {text}")
        revised = load_catalogue(folder).get("household", 1)
        current_catalogue().instruments[revised.key] = revised  # as a restarted app would load it
        publish(revised)
        db.session.commit()
        hashes = db.session.scalars(sa.select(InstrumentWording.wording_hash).order_by(InstrumentWording.id)).all()
        assert hashes == [polish_hash, wording_hash(revised, "pl")]
        # Before the tables empty: read the version as if its file had gone.
        row_loader = lambda: db.session.scalar(sa.text("select 1"))  # never called: the catalogue has it
        assert published_instrument(revised.content_hash, row_loader) is revised
        current_catalogue().instruments.clear()
        _built.pop(revised.content_hash, None)
        from feedback.publishing.models import InstrumentVersion

        rebuilt = published_instrument(revised.content_hash, lambda: db.session.scalar(
            sa.select(InstrumentVersion).filter_by(instrument_id="household", version=1)))
        _built.pop(revised.content_hash, None)
        assert rebuilt.languages == ("en", "cy", "pl")
        assert rebuilt.title.get("pl") == "PL2 Your household"  # the newest published wording
        assert wording_hash(rebuilt, "pl") == wording_hash(revised, "pl")


def test_every_family_facing_instrument_offers_all_eight_shipped_languages():
    """The shipped language files are complete for every version of the instruments families
    answer (staff complete the practitioner and member assessments; partners the partner survey)."""
    catalogue = load_catalogue(Path(__file__).resolve().parents[2] / "questionnaires")
    assert catalogue.problems == []
    family = ("exit-interview", "family-functioning", "family-star", "follow-up")
    gaps = {key: len(missing) for key, missing in catalogue.language_gaps.items() if key[0] in family}
    assert gaps == {}
    for instrument in catalogue:
        if instrument.id in family:
            assert set(instrument.languages) == {"en", "cy", "pl", "ro", "ur", "ar", "bn", "so"}, instrument.key


def test_a_review_covers_the_wording_reviewed_and_not_an_earlier_draft(tmp_path):
    import pandas as pd

    from feedback.exports.wording import translation_statuses

    folder = folder_with_household(tmp_path)
    write_polish(folder, translate=lambda text: f"draft {text}")
    draft = wording_hash(load_catalogue(folder).get("household", 1), "pl")
    write_polish(folder)
    reviewed = wording_hash(load_catalogue(folder).get("household", 1), "pl")
    (folder / "household" / "translations.yaml").write_text(
        "1:\n  pl: {status: reviewed, reviewed_by: A. Nowak, reviewed_on: 2026-12-01, "
        f"wording_hash: {reviewed}}}\n", encoding="utf-8")
    catalogue = load_catalogue(folder)
    assert catalogue.problems == []
    frame = pd.DataFrame({"instrument": ["household"] * 4, "version": [1] * 4, "language": ["pl", "pl", "cy", "en"],
                          "wording_hash": [reviewed, draft, None, None]})
    assert list(translation_statuses(frame, catalogue)) == ["reviewed", "draft", "draft", "source"]

    # The file changes after the review: the sidecar no longer matches, and says so.
    write_polish(folder, translate=lambda text: f"again {text}")
    problems = [str(problem) for problem in load_catalogue(folder).problems]
    assert len(problems) == 1 and "the translation changed after its review" in problems[0]
