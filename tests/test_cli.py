"""The command line: checking instruments and making a demo whose links work."""
import re

import sqlalchemy as sa

from feedback.extensions import db
from feedback.survey.models import Response


def test_check_passes_on_the_shipped_instruments(runner):
    result = runner.invoke(args=["instruments", "check"])
    assert result.exit_code == 0, result.output
    assert "instrument version(s) OK" in result.output
    assert "2 schedule(s) OK" in result.output


def test_check_names_file_item_and_problem_and_exits_non_zero(app, tmp_path):
    from dataclasses import replace

    folder = tmp_path / "q" / "broken"
    folder.mkdir(parents=True)
    (folder / "v1.yaml").write_text(
        "id: broken\nversion: 1\nlanguages: [en]\ntitle: Broken\nrespondents: [{role: parent_carer}]\n"
        "modes: [web]\npages:\n  - id: p\n    items:\n      - {id: a, type: yes_no, text: A}\n"
        "      - {id: a, type: yes_no, text: B}\n")
    app.config["FEEDBACK_SETTINGS"] = replace(app.config["FEEDBACK_SETTINGS"], questionnaires_dir=tmp_path / "q")
    result = app.test_cli_runner().invoke(args=["instruments", "check"])
    assert result.exit_code == 1
    assert "broken/v1.yaml: item 'a': duplicate item id" in result.output


def test_list_shows_versions_and_publication(runner, make_link):
    make_link("household")
    result = runner.invoke(args=["instruments", "list"])
    assert re.search(r"household\s+v1\s+published", result.output)


def test_the_demo_prints_survey_links_that_open_and_a_staff_login_that_works(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    links = re.findall(r"http://127\.0\.0\.1:5000(/s/[\w-]+)", result.output)
    password = re.search(r"password: (\S+)", result.output).group(1)
    assert links
    client = app.test_client()
    for link in links:
        assert client.get(link).status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response).filter_by(status="completed")) > 0
    from conftest import csrf_token

    form = csrf_token(client.get("/staff/login").get_data(as_text=True))
    signed_in = client.post("/staff/login", data={"csrf_token": form, "email": "demo@example.org", "password": password})
    assert signed_in.status_code == 302


def test_check_also_validates_schedules_naming_file_wave_and_send(app, questionnaires_dir, tmp_path):
    import shutil
    from dataclasses import replace

    folder = tmp_path / "q"
    shutil.copytree(questionnaires_dir, folder)
    (folder / "schedules" / "broken.yaml").write_text(
        "id: broken\ntitle: Broken\nwaves:\n  - name: exit\n    title: Exit\n    anchor: exit\n"
        "    window: {opens: -7, closes: 28}\n    sends: [{instrument: exit-survey, to: members}]\n")
    app.config["FEEDBACK_SETTINGS"] = replace(app.config["FEEDBACK_SETTINGS"], questionnaires_dir=folder)
    result = app.test_cli_runner().invoke(args=["instruments", "check"])
    assert result.exit_code == 1
    assert "q/schedules/broken.yaml: waves[0] 'exit' sends[0]: instrument 'exit-survey' is not in the catalogue" \
        in result.output
