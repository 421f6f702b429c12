"""`flask instruments check` warns about screens that would not suit a phone, and says what to change."""
from pathlib import Path

import yaml

from feedback.instruments import load_catalogue
from feedback.instruments.layout import PHONE_SCREEN_OPTIONS, catalogue_warnings, layout_warnings, options_on_screen
from feedback.instruments.loader import build_instrument

ROOT = Path(__file__).resolve().parents[2]

GRID = """
id: grid
version: 1
languages: [en]
title: Grid
description: How your family gets on.
respondents: [{role: parent_carer}]
modes: [web]
missing_codes: [{code: -9, label: Prefer not to say}]
choice_sets:
  agree4: [{code: 1, label: Agree}, {code: 2, label: Not sure}, {code: 3, label: Disagree}]
pages:
  - id: grid
    together: true
    title: How we get on
    items:
      - {id: s1, type: agreement, choices: agree4, text: We talk.}
      - {id: s2, type: agreement, choices: agree4, text: We listen.}
  - id: more
    title: More (1 of 2)
    items:
      - {id: s3, type: agreement, choices: agree4, missing: [-9], text: We laugh.}
      - {id: s4, type: agreement, choices: agree4, missing: [-9], text: We plan.}
      - {id: s5, type: agreement, choices: agree4, missing: [-9], text: We help.}
"""


def grid(text=GRID):
    return build_instrument(yaml.safe_load(text), "grid/v1.yaml")


def warnings(instrument):
    return [str(warning) for warning in layout_warnings(instrument)]


def test_a_together_page_of_up_to_eight_radios_fits_a_phone():
    assert options_on_screen(grid().pages[0].items) == 6 <= PHONE_SCREEN_OPTIONS
    assert not any("page 'grid'" in warning for warning in warnings(grid()))


def test_a_together_page_of_more_than_eight_radios_is_warned_about():
    crowded = GRID.replace("  - id: more\n", "  - id: more\n    together: true\n")
    found = [warning for warning in warnings(grid(crowded)) if "page 'more'" in warning]
    assert found == ["grid/v1.yaml: page 'more': together: true puts 12 radio buttons and checkboxes on one screen; "
                     "more than 8 do not fit a phone screen. Leave out together (one question per screen) or split the page"]


def test_questions_on_screens_of_their_own_are_never_too_many_radios():
    # A page that is not together shows one question per screen, however many questions it has.
    assert not any("radio buttons" in warning for warning in warnings(grid()))


def test_titles_that_count_pages_and_descriptions_that_give_the_time_are_warned_about():
    timed = GRID.replace("description: How your family gets on.", "description: It takes about 5 minutes.")
    assert warnings(grid(timed)) == [
        "grid/v1.yaml: pages 'more': titles count the pages, e.g. '(1 of 3)'; the survey shows its own progress "
        "('Question 3 of about 12'), so leave the count out of the titles",
        "grid/v1.yaml: description: says how long the survey takes; the first page already says so from "
        "estimated_minutes, so respondents would read it twice. Leave it out of the description"]


def test_only_the_latest_version_of_each_shipped_instrument_is_warned_about():
    catalogue = load_catalogue(ROOT / "questionnaires")
    latest = {(instrument.id, instrument.version) for instrument in catalogue}
    latest = {instrument_id: max(v for i, v in latest if i == instrument_id) for instrument_id, _ in latest}
    for warning in catalogue_warnings(catalogue):
        instrument_id, version = warning.file.split("/")[-2], int(warning.file.split("/v")[-1].split(".")[0])
        assert latest[instrument_id] == version, str(warning)


def test_the_check_command_prints_warnings_and_still_passes(schema, database_url, tmp_path):
    from tests.conftest import app_under_test

    crowded = GRID.replace("  - id: more\n", "  - id: more\n    together: true\n")
    (tmp_path / "grid").mkdir()
    (tmp_path / "grid" / "v1.yaml").write_text(crowded)
    with app_under_test(database_url, tmp_path) as app:
        result = app.test_cli_runner().invoke(args=["instruments", "check"])
    assert result.exit_code == 0, result.output
    assert "/grid/v1.yaml: page 'more': together: true puts 12 radio buttons" in result.output
    assert "/grid/v1.yaml: pages 'more': titles count the pages" in result.output
    layout = [line for line in result.output.splitlines() if line.startswith("warning: ") and "plain words" not in line]
    assert len(layout) == 2


def test_the_latest_family_facing_instruments_draw_no_layout_warning():
    """What families see: no page titles counting pages, no time given twice. (Staff-facing
    assessments still have "(1 of 3)" titles in their published versions.)"""
    from feedback.instruments.readability import is_family_facing

    catalogue = load_catalogue(ROOT / "questionnaires")
    latest = {instrument.id: instrument for instrument in catalogue}
    found = [str(w) for instrument in latest.values() if is_family_facing(instrument) for w in layout_warnings(instrument)]
    assert not found, "\n".join(found)
