"""Which languages families may read: English plus each compiled catalogue, named and written
the way the language is (issue 20)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from feedback.config import ConfigurationError
from tests.conftest import ROOT, app_under_test, csrf_token, make_app

URDU_SKIP_LINK = "مرکزی مواد پر جائیں"


@pytest.fixture
def translations_with_urdu(tmp_path) -> Path:
    """A translations folder holding only a minimal compiled Urdu catalogue."""
    catalogue = Catalog(locale="ur")
    catalogue.add("Skip to main content", URDU_SKIP_LINK)
    folder = tmp_path / "translations" / "ur" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "messages.mo", "wb") as mo:
        write_mo(mo, catalogue)
    return tmp_path / "translations"


@pytest.fixture
def urdu_app(schema, database_url, questionnaires_dir, translations_with_urdu):
    with app_under_test(database_url, questionnaires_dir, FEEDBACK_TRANSLATIONS=str(translations_with_urdu)) as app:
        yield app


def html_tag(page: str) -> str:
    return re.search(r"<html[^>]*>", page).group(0)


def test_the_app_offers_english_and_every_compiled_catalogue(urdu_app):
    from feedback.languages import language_names, ui_languages

    with urdu_app.app_context():
        assert ui_languages() == ("en", "ur")
        assert language_names() == {"en": "English", "ur": "اردو"}


def test_by_default_every_shipped_catalogue_is_offered_and_named_in_itself(app):
    from feedback.languages import language_names, staff_page_languages, text_direction

    with app.app_context():
        assert language_names() == {"en": "English", "ar": "العربية", "bn": "বাংলা", "cy": "Cymraeg",
                                    "pl": "polski", "ro": "română", "so": "Soomaali", "ur": "اردو"}
        assert [code for code in language_names() if text_direction(code) == "rtl"] == ["ar", "ur"]
        assert staff_page_languages() == ("en", "cy")  # staff pages: English and Welsh


def test_staff_pages_name_a_language_in_english_and_in_itself():
    from feedback.languages import staff_language_label

    assert staff_language_label("cy") == "Welsh (Cymraeg)"
    assert staff_language_label("ur") == "Urdu (اردو)"
    assert staff_language_label("en") == "English"


def test_a_page_in_urdu_is_marked_right_to_left(urdu_app):
    page = urdu_app.test_client().get("/s/no-such-link", headers={"Accept-Language": "ur"}).get_data(as_text=True)
    assert html_tag(page) == '<html lang="ur" dir="rtl">'
    assert URDU_SKIP_LINK in page


def test_english_and_welsh_pages_are_marked_left_to_right(client, make_link):
    _, token = make_link()
    welcome = client.get(f"/s/{token}").get_data(as_text=True)
    assert html_tag(welcome) == '<html lang="en" dir="ltr">'
    client.post(f"/s/{token}/language", data={"csrf_token": csrf_token(welcome), "language": "cy"})
    assert html_tag(client.get(f"/s/{token}").get_data(as_text=True)) == '<html lang="cy" dir="ltr">'


def test_a_language_named_in_the_setting_without_a_catalogue_stops_the_app(database_url, questionnaires_dir):
    with pytest.raises(ConfigurationError, match=r"FEEDBACK_LANGUAGES names xx\b"):
        make_app(database_url, questionnaires_dir, FEEDBACK_LANGUAGES="en,xx")


def test_the_setting_narrows_what_a_welsh_instrument_offers_to_english(schema, database_url, questionnaires_dir):
    from feedback.survey.service import create_response
    from feedback.publishing.startup import current_catalogue
    from feedback.extensions import db

    with app_under_test(database_url, questionnaires_dir, FEEDBACK_LANGUAGES="en") as app:
        with app.app_context():
            instrument = current_catalogue().latest("household")
            assert "cy" in instrument.languages
            _, token = create_response(instrument, 28, None)
            db.session.commit()
        client = app.test_client()
        welcome = client.get(f"/s/{token}", headers={"Accept-Language": "cy"}).get_data(as_text=True)
        assert html_tag(welcome) == '<html lang="en" dir="ltr">'
        assert "language-switch" not in welcome
        question = client.get(f"/s/{token}/q/has_children").get_data(as_text=True)
        chosen = client.post(f"/s/{token}/language", data={"csrf_token": csrf_token(question), "language": "cy"})
        assert chosen.status_code == 400


def test_a_case_file_may_give_members_only_the_apps_languages():
    from datetime import date

    from feedback.families.case_file import COLUMNS, CaseLookups, check_case_file

    def language_problems(cell: str, languages: tuple[str, ...]) -> list[str]:
        row = {"site": "north", "case_ref": "C1", "member_ref": "M1", "role": "mother", "language": cell}
        checked = check_case_file(list(COLUMNS), {2: row}, CaseLookups({"north": 1}, {}, date(2024, 6, 1), languages))
        return [problem.message for problem in checked.problems if problem.column == "language"]

    assert language_problems("UR", ("en", "ur")) == []
    assert language_problems("cy", ("en",)) == ["‘cy’ is not one of en."]


PHYSICAL = re.compile(r"\b(?:margin|padding|border|inset)-(?:left|right)\b|(?<![-\w])(?:left|right)\s*:"
                      r"|\b(?:text-align|float|clear)\s*:\s*(?:left|right)\b")
FOUR_SIDES = re.compile(r"\b(margin|padding|border-width|border-style|border-color|inset)\s*:\s*([^;}]+)")


def test_the_stylesheet_uses_no_physical_left_or_right_so_pages_mirror():
    css = re.sub(r"/\*.*?\*/", "", (ROOT / "feedback" / "static" / "feedback.css").read_text(), flags=re.S)
    assert PHYSICAL.findall(css) == []
    # A four-value shorthand whose second and fourth values differ sets right and left differently.
    lopsided = [f"{name}: {values}" for name, values in FOUR_SIDES.findall(css)
                if len(values.split()) == 4 and values.split()[1] != values.split()[3]]
    assert lopsided == []


def test_language_names_are_remembered_only_as_babel_gives_them_and_boundedly():
    from babel import Locale

    from feedback.languages import language_name

    language_name.cache_clear()
    for code in ("cy", "pl", "ur", "ar", "so", "bn", "ro"):
        assert language_name(code) == Locale.parse(code).get_display_name(code)
        assert language_name(code) == Locale.parse(code).get_display_name(code)  # again, from memory
    assert language_name("en") == "English"
    assert language_name("xx-not-a-language") == "xx-not-a-language"
    assert language_name.cache_info().maxsize == 128
    for n in range(300):  # codes from requests cannot grow it without end
        language_name(f"q{n}")
    assert language_name.cache_info().currsize <= 128
