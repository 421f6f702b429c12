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
    from tests.conftest import csrf_token

    form = csrf_token(client.get("/staff/login").get_data(as_text=True))
    signed_in = client.post("/staff/login", data={"csrf_token": form, "email": "demo@example.org", "password": password})
    assert signed_in.status_code == 302


def test_the_demo_records_families_at_three_sites_and_sends_their_waves_through_the_dispatcher(app, runner):
    from feedback.families.models import Family, Member
    from feedback.staff.models import Site, StaffUser
    from feedback.waves.models import Invitation, OutboxMessage

    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        def count(model, **where):
            return db.session.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**where))

        assert count(Site) == 3
        assert {role for (role,) in db.session.execute(sa.select(StaffUser.role))} == {
            "admin", "researcher", "manager", "practitioner"}
        from feedback.demo import PAST_FAMILIES
        from feedback.reports.catalogue import run_report
        from feedback.reports.data import Filters
        from feedback.reports.protect import protect

        families, members = count(Family), count(Member)
        assert families == 12 + 3 * PAST_FAMILIES and members > 24
        # Families who left months ago give the manager reports figures to show, all sites together.
        for name in ("need-flow", "family-functioning", "exit-feedback", "risk-change"):
            shown = protect(run_report(name, Filters()), 10)
            assert not shown.empty and shown.tables, name
        # Texts went through the outbox to real members' numbers, one per sent invitation.
        assert count(OutboxMessage) == db.session.scalar(
            sa.select(sa.func.count()).select_from(Invitation).where(Invitation.sent_at.is_not(None),
                                                                     Invitation.family_id.is_not(None)))
        # The partner survey's latest yearly wave went by email, one per contact invited, and some
        # answered anonymously: responses owned by no one, and invitations that only say so.
        from feedback.mail.models import EmailMessage
        from feedback.survey.models import Response

        emailed = db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(
            Invitation.contact_id.is_not(None), Invitation.sent_at.is_not(None)))
        assert emailed > 0 and count(EmailMessage) == emailed
        answered = count(Invitation, state="completed", instrument_id="partner-survey")
        assert answered > 0 and count(Response, instrument_id="partner-survey", anonymous=True,
                                      status="completed") == answered
        assert count(Response, instrument_id="partner-survey", contact_id=None) == answered
        assert count(OutboxMessage) > 0
        assert count(Invitation, state="cancelled", reason="paused") > 0  # the paused family gets nothing
        assert count(Invitation, channel="staff_task", state="due") > 0  # key workers' assessments
        texts = count(OutboxMessage)
    # Running it again makes new passwords but no second set of families or texts.
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert (count(Site), count(Family), count(Member), count(OutboxMessage)) == (3, families, members, texts)
    assert re.search(r"password: (\S+)", first.output).group(1) != re.search(r"password: (\S+)", second.output).group(1)


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


def test_a_first_demo_run_is_quiet_on_stderr_and_prints_links_for_the_address_given(tmp_path, questionnaires_dir):
    """Run as a newcomer does, in a process of its own: no migration log (unless --verbose), and
    survey links, texts and emails for the address the app will be served at."""
    import os
    import subprocess
    import sys

    from tests.conftest import TEST_SECRET

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "SECRET_KEY": TEST_SECRET,
           "FEEDBACK_QUESTIONNAIRES": str(questionnaires_dir), "FEEDBACK_ENV": "development"}
    env.pop("FEEDBACK_PUBLIC_BASE_URL", None)
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "demo", "--base-url",
                          "http://phone.example:8080/"], env=env, capture_output=True, text=True, timeout=300,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert run.returncode == 0, run.stderr
    assert "Running upgrade" not in run.stderr and "alembic" not in run.stderr, run.stderr
    links = re.findall(r"(https?://\S+)/s/\S+", run.stdout)
    assert links and set(links) == {"http://phone.example:8080"}
    assert "http://phone.example:8080/staff/login" in run.stdout
    # FLASK_RUN_PORT (what `flask run --port` reads from the environment) is followed too.
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'second.sqlite3'}"
    env["FLASK_RUN_PORT"] = "8123"
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "demo", "--verbose"], env=env,
                         capture_output=True, text=True, timeout=300,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert run.returncode == 0, run.stderr
    assert "Running upgrade" in run.stderr  # asked for
    assert set(re.findall(r"(https?://\S+)/s/\S+", run.stdout)) == {"http://127.0.0.1:8123"}
