"""A published version is immutable: start-up and `check` refuse a changed file."""
import shutil
from dataclasses import replace

import pytest

from tests.conftest import make_app
from feedback.extensions import db
from feedback.publishing.service import PublishedVersionChanged


@pytest.fixture
def own_questionnaires(tmp_path, questionnaires_dir):
    folder = tmp_path / "questionnaires"
    shutil.copytree(questionnaires_dir, folder)
    return folder


def test_a_changed_published_file_stops_start_up_and_fails_check(app, make_link, database_url, own_questionnaires):
    make_link("household")  # publishes household v1 (the shared database holds the published row)
    path = own_questionnaires / "household" / "v1.yaml"
    path.write_text(path.read_text().replace("How many adults live with you?", "How many grown-ups live with you?"))
    with pytest.raises(PublishedVersionChanged, match=r"v2\.yaml"):
        make_app(database_url, own_questionnaires)


def test_check_reports_a_changed_published_version_and_exits_non_zero(app, make_link, own_questionnaires):
    make_link("household")
    path = own_questionnaires / "household" / "v1.yaml"
    path.write_text(path.read_text().replace("A short test survey.", "A changed survey."))
    app.config["FEEDBACK_SETTINGS"] = replace(app.config["FEEDBACK_SETTINGS"], questionnaires_dir=own_questionnaires)
    result = app.test_cli_runner().invoke(args=["instruments", "check"])
    assert result.exit_code == 1, result.output
    assert "household/v1.yaml" in result.output and "cannot change" in result.output and "v2.yaml" in result.output


def test_layout_changes_to_a_published_file_are_allowed(app, make_link, database_url, own_questionnaires):
    make_link("household")
    path = own_questionnaires / "household" / "v1.yaml"
    path.write_text("# reformatted, same meaning\n" + path.read_text())
    make_app(database_url, own_questionnaires)  # does not raise


def test_a_new_version_file_is_the_way_to_change_a_published_instrument(app, make_link, database_url, own_questionnaires):
    make_link("household")
    old = own_questionnaires / "household" / "v1.yaml"
    new = own_questionnaires / "household" / "v2.yaml"
    new.write_text(old.read_text().replace("version: 1", "version: 2").replace("A short test survey.", "Changed."))
    changed_app = make_app(database_url, own_questionnaires)
    with changed_app.app_context():
        from feedback.publishing.startup import current_catalogue

        assert current_catalogue().latest("household").version == 2
        db.session.remove()


def test_a_response_is_shown_from_the_published_definition_even_if_the_file_is_gone(app, client, make_link, database_url, own_questionnaires):
    _, token = make_link("household")
    shutil.rmtree(own_questionnaires / "household")
    other = make_app(database_url, own_questionnaires)
    html = other.test_client().get(f"/s/{token}/q/adults").get_data(as_text=True)
    assert "How many adults live with you?" in html


def test_a_file_changed_after_an_app_started_on_its_folder_is_read_again_at_the_next_start(
        app, make_link, database_url, own_questionnaires):
    # The suite reuses a folder's catalogue between app starts when its files hold the same bytes
    # (tests/conftest.py): a file changed in place must still be read at the next start.
    make_link("household")
    make_app(database_url, own_questionnaires)  # starts, and its catalogue is kept
    path = own_questionnaires / "household" / "v1.yaml"
    path.write_text(path.read_text().replace("How many adults live with you?", "How many grown-ups live with you?"))
    with pytest.raises(PublishedVersionChanged, match=r"v2\.yaml"):
        make_app(database_url, own_questionnaires)
    path.write_text(path.read_text().replace("How many grown-ups live with you?", "How many adults live with you?"))
    make_app(database_url, own_questionnaires)  # the same bytes as the first start again: starts
