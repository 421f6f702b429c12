"""Exports that run in the background with their progress, bundles named by their content, and
bad days: a full disk (mid-export or mid-zip), a refusal meant for admins only, a restarted server,
and bundles past the retention limit. Also the command line's progress and purge."""
from __future__ import annotations

import errno
import hashlib
import json
import re
import threading
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.config import ConfigurationError, Settings
from feedback.extensions import db
from feedback.exports import jobs
from feedback.exports.models import ExportRun
from feedback.exports.runner import ExportError, run_export
from feedback.timeutil import utcnow
from tests.conftest import app_under_test
from tests.exports.test_runner import KEY, profile
from tests.exports.test_views import answered, audit, exports_dir, signed_in, started  # noqa: F401 (fixtures)

ENOSPC = OSError(errno.ENOSPC, "No space left on device")


def state_of(app, status: str) -> ExportRun:
    with app.app_context():
        found = db.session.get(ExportRun, int(status.rsplit("/", 1)[1]))
        db.session.expunge(found)
        return found


def everything_in(folder: Path) -> list[str]:
    """Every file and folder left in the export folder, hidden ones too."""
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


# --- in the background, with progress --------------------------------------------------------------

def test_a_background_export_shows_its_stage_and_counts_then_its_download(app, world, exports_dir, answered,
                                                                         monkeypatch):
    app.config["FEEDBACK_EXPORTS_IN_BACKGROUND"] = True
    reached, go_on = threading.Event(), threading.Event()
    real = jobs.run_export

    def held_at_the_second_instrument(profile, out, actor, progress):
        def report(stage, done, total, rows):
            progress(stage, done, total, rows)
            if stage == "writing family-functioning":
                reached.set()
                go_on.wait(30)
        return real(profile, out, actor, progress=report)

    monkeypatch.setattr(jobs, "run_export", held_at_the_second_instrument)
    client = signed_in(app, "researcher_north")
    status = started(client)   # the request returned while the export goes on
    assert reached.wait(30), "the export never got going"
    try:
        page = client.get(status)
        text = page.get_data(as_text=True)
        assert '<meta http-equiv="refresh" content="2">' in text and page.headers["Refresh"] == "2"
        assert "Running: writing family-functioning" in text
        assert "Instruments done: 1 of 2" in text and "Responses read so far: 8" in text
        assert "Download" not in text
        assert "progress" in client.get("/staff/exports").get_data(as_text=True)
    finally:
        go_on.set()
        assert jobs.wait_for_exports(60)
    page = client.get(status)
    text = page.get_data(as_text=True)
    assert "http-equiv" not in text and "Refresh" not in page.headers and "Download mine-" in text
    finished = state_of(app, status)
    assert (finished.state, finished.rows, finished.instruments_done, finished.instruments_total) == ("done", 8, 2, 2)
    response = client.get(f"{status}/download")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    response.close()


def test_the_runner_reports_each_stage_with_instruments_and_rows(app, ctx, world, tmp_path):
    from tests.exports.test_dataset import answered_family

    answered_family(world, "N-1")
    answered_family(world, "N-2")
    heard = []
    run_export(profile(tmp_path), tmp_path / "out", key=KEY, progress=lambda *args: heard.append(args))
    assert heard == [("reading exit-interview", 0, 2, 0), ("writing exit-interview", 0, 2, 4),
                     ("reading family-functioning", 1, 2, 4), ("writing family-functioning", 1, 2, 8),
                     ("finishing files", 2, 2, 8), ("zipping", 2, 2, 8)]


# --- names a researcher can trust --------------------------------------------------------------------

def test_a_bundle_is_named_by_profile_time_and_a_hash_of_its_data_that_anyone_can_check(app, ctx, world, tmp_path):
    from tests.exports.test_dataset import answered_family

    answered_family(world, "N-1")
    answered_family(world, "N-2")
    bundle = run_export(profile(tmp_path), tmp_path / "out", key=KEY)
    match = re.fullmatch(r"test-export-(\d{8})-(\d{6})-([0-9a-f]{12})", bundle.directory.name)
    assert match and bundle.zip_path.name == f"{bundle.directory.name}.zip"
    content = json.loads((bundle.directory / "manifest.json").read_text())["content_hash"]
    assert content["short"] == match.group(3) == content["sha256"][:12]
    assert "sha256sum" in content["covers"] and "manifest.json" in content["covers"]
    # Recomputed as the manifest says: sha256sum's lines for the listed files, sorted by name.
    files = json.loads((bundle.directory / "manifest.json").read_text())["files"]
    assert sorted(content["files"]) == sorted(files)
    listing = "".join(f"{hashlib.sha256((bundle.directory / name).read_bytes()).hexdigest()}  {name}\n"
                      for name in sorted(files))
    assert hashlib.sha256(listing.encode()).hexdigest() == content["sha256"]
    # The same data gives the same hash; the time in the name tells the two exports apart.
    again = run_export(profile(tmp_path), tmp_path / "again", key=KEY)
    assert again.directory.name[-12:] == bundle.directory.name[-12:]
    assert {p.name for p in (tmp_path / "out").iterdir()} == {bundle.directory.name, bundle.zip_path.name}


# --- a full disk ---------------------------------------------------------------------------------------

def test_a_disk_that_fills_mid_export_fails_clearly_and_leaves_nothing(app, world, exports_dir, answered,
                                                                      monkeypatch, tmp_path):
    import feedback.exports.runner as runner

    def fills_up(table, codebook, folder, stem, formats, background):
        (folder / f"{stem}.csv").write_text("response,site\nR1,no")   # half a file, then the disk is full
        raise ENOSPC

    monkeypatch.setattr(runner, "write_bundle_files", fills_up)
    client = signed_in(app, "researcher_north")
    status = started(client)
    page = client.get(status).get_data(as_text=True)
    assert "Not exported" in page and "The disk is full" in page
    failed = state_of(app, status)
    assert failed.state == "failed" and failed.message == jobs.DISK_FULL and failed.bundle is None
    assert everything_in(tmp_path / "bundles") == []
    assert audit(app, "export.run") == []


def test_a_disk_that_fills_while_zipping_leaves_no_half_zip_and_no_folder(app, ctx, world, tmp_path, monkeypatch):
    from tests.exports.test_dataset import answered_family

    answered_family(world, "N-1")
    answered_family(world, "N-2")
    real_write = zipfile.ZipFile.write
    written = []

    def fills_up(archive, path, arcname=None, *args, **kwargs):
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(arcname)
        return real_write(archive, path, arcname, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "write", fills_up)
    with pytest.raises(OSError) as failed:
        run_export(profile(tmp_path), tmp_path / "out", key=KEY)
    assert jobs.disk_full(failed.value) and written
    assert everything_in(tmp_path / "out") == []


def test_the_command_line_says_the_disk_is_full(app, world, monkeypatch, tmp_path):
    import feedback.exports.runner as runner
    from tests.exports.test_dataset import answered_family

    with app.app_context():
        answered_family(world, "N-1")
        answered_family(world, "N-2")

    def fills_up(*args):
        raise OSError(errno.ENOSPC, "No space left on device", "family-functioning.csv")

    monkeypatch.setattr(runner, "write_bundle_files", fills_up)
    monkeypatch.setenv("FEEDBACK_PSEUDONYM_KEY", "44" * 32)
    profile(tmp_path)   # writes test-export.yaml
    path = tmp_path / "test-export.yaml"
    result = app.test_cli_runner().invoke(args=["export", "run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "The disk is full" in result.output
    assert everything_in(tmp_path / "out") == []


# --- what a failure says, and to whom ----------------------------------------------------------------

class NeedsAnAdmin(ExportError):
    public_message = "An administrator must finish setting up exports first."


def test_a_failure_meant_for_admins_shows_researchers_its_public_words(app, world, exports_dir, answered,
                                                                       monkeypatch):
    def refuses(profile, out, actor, progress):
        raise NeedsAnAdmin("SOME_SERVER_SETTING is not set: put 32 random bytes in it.")

    monkeypatch.setattr(jobs, "run_export", refuses)
    researcher = signed_in(app, "researcher_north")
    status = started(researcher)
    page = researcher.get(status).get_data(as_text=True)
    assert "An administrator must finish setting up exports first." in page and "SOME_SERVER_SETTING" not in page
    assert "SOME_SERVER_SETTING" not in researcher.get("/staff/exports").get_data(as_text=True)
    admin_page = signed_in(app, "admin").get(status).get_data(as_text=True)
    assert "SOME_SERVER_SETTING is not set" in admin_page


def test_a_bad_pseudonym_key_is_not_explained_to_a_researcher_in_server_settings(app, world, exports_dir,
                                                                                answered, monkeypatch):
    monkeypatch.setenv("FEEDBACK_PSEUDONYM_KEY", "too-short")
    researcher = signed_in(app, "researcher_north")
    status = started(researcher)
    failed = state_of(app, status)
    assert failed.state == "failed" and "FEEDBACK_PSEUDONYM_KEY" not in failed.message
    assert "FEEDBACK_PSEUDONYM_KEY" not in researcher.get(status).get_data(as_text=True)
    assert "FEEDBACK_PSEUDONYM_KEY" in signed_in(app, "admin").get(status).get_data(as_text=True)


def test_an_unexpected_error_is_logged_and_the_run_says_to_ask_an_admin(app, world, exports_dir, answered,
                                                                        monkeypatch, caplog):
    import logging

    def breaks(profile, out, actor, progress):
        raise KeyError("a bug")

    logging.getLogger("feedback.exports.jobs").disabled = False   # the migrations' logging setup turns it off
    monkeypatch.setattr(jobs, "run_export", breaks)
    status = started(signed_in(app, "researcher_north"))
    assert state_of(app, status).message == jobs.UNEXPECTED
    assert any("failed" in record.getMessage() and record.exc_info for record in caplog.records)


@pytest.mark.parametrize("error, words", [
    (ExportError("nothing to export: no completed responses"), "nothing to export"),
    (OSError(errno.ENOSPC, "No space left on device"), "The disk is full"),
    (OSError(errno.EACCES, "Permission denied"), "could not be written to the server's disk (Permission denied)"),
    (RuntimeError("boom"), "failed unexpectedly"),
])
def test_each_failure_is_described_for_the_person_who_reads_it(error, words):
    public, detail = jobs.describe_failure(error)
    assert words in public and words.split(" (")[0] in detail


def test_a_full_disk_is_recognised_behind_another_error():
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise ValueError("could not write the table") from inner
    except ValueError as outer:
        assert jobs.disk_full(outer)
    assert not jobs.disk_full(ValueError("no"))


# --- a restarted server, and the retention limit -------------------------------------------------------

def test_a_run_cut_off_by_a_restart_is_marked_failed_and_its_leftovers_removed(app, world, exports_dir, tmp_path):
    import os

    bundles = tmp_path / "bundles"
    leftover = bundles / ".mine-20260101-000000.x1.partial"
    leftover.mkdir(parents=True)
    (leftover / "exit-interview.csv").write_text("half")
    long_ago = (utcnow() - timedelta(hours=7)).timestamp()
    os.utime(leftover, (long_ago, long_ago))
    recent = bundles / ".mine-20260101-000001.x2.partial"
    recent.mkdir()
    with app.app_context():
        for silent in (timedelta(hours=7), timedelta(minutes=5)):
            db.session.add(ExportRun(profile_id="mine", profile_hash="0" * 64, site_codes=["north"],
                                     staff_id=world["researcher_north"], state="running", updated_at=utcnow() - silent))
        db.session.commit()
    page = signed_in(app, "researcher_north").get("/staff/exports").get_data(as_text=True)
    assert "interrupted" in page
    with app.app_context():
        states = db.session.scalars(sa.select(ExportRun.state).order_by(ExportRun.id)).all()
    assert states == ["failed", "running"]   # a run still reporting is left alone
    assert everything_in(bundles) == [recent.name]


def test_flask_export_purge_deletes_what_is_past_the_limit_the_setting_names(schema, database_url,
                                                                           questionnaires_dir, tmp_path):
    with app_under_test(database_url, questionnaires_dir, FEEDBACK_EXPORT_RETENTION_DAYS="7") as app:
        app.config["FEEDBACK_EXPORT_OUT"] = bundles = tmp_path / "bundles"
        bundles.mkdir()
        with app.app_context():
            from feedback.staff.models import StaffUser

            researcher = StaffUser(email="r@example.org", name="R", role="researcher", password_hash="x")
            db.session.add(researcher)
            db.session.flush()
            for name, days in (("mine-20260101-000000-aaaaaaaaaaaa", 8), ("mine-20260101-000000-bbbbbbbbbbbb", 6)):
                (bundles / name).mkdir()
                (bundles / f"{name}.zip").write_bytes(b"PK")
                db.session.add(ExportRun(profile_id="mine", profile_hash="0" * 64, site_codes=[],
                                         staff_id=researcher.id, state="done", bundle=name,
                                         finished_at=utcnow() - timedelta(days=days)))
            db.session.commit()
        result = app.test_cli_runner().invoke(args=["export", "purge"])
        assert result.exit_code == 0, result.output
        assert "deleted mine-20260101-000000-aaaaaaaaaaaa" in result.output
        assert "1 export(s) past the retention limit of 7 days deleted" in result.output
        assert everything_in(bundles) == ["mine-20260101-000000-bbbbbbbbbbbb", "mine-20260101-000000-bbbbbbbbbbbb.zip"]
        with app.app_context():
            [event] = db.session.scalars(sa.select(AuditEvent).filter_by(action="export.expired")).all()
            assert event.detail["bundle"] == "mine-20260101-000000-aaaaaaaaaaaa" and event.detail["retention_days"] == 7


@pytest.mark.parametrize("value", ["0", "-3", "thirty"])
def test_a_bad_retention_setting_stops_the_app_naming_it(tmp_path, value):
    with pytest.raises(ConfigurationError, match="FEEDBACK_EXPORT_RETENTION_DAYS"):
        Settings.from_env({"FEEDBACK_EXPORT_RETENTION_DAYS": value}, tmp_path)
    assert Settings.from_env({}, tmp_path).export_retention_days == 30


# --- the command line's progress ---------------------------------------------------------------------

@pytest.fixture
def answered_with_profile(app, world, tmp_path, monkeypatch):
    from tests.exports.test_dataset import answered_family

    with app.app_context():
        answered_family(world, "N-1")
        answered_family(world, "N-2")
    monkeypatch.setenv("FEEDBACK_PSEUDONYM_KEY", "44" * 32)
    profile(tmp_path)
    return tmp_path / "test-export.yaml"


def test_flask_export_run_prints_plain_progress_lines_when_not_on_a_terminal(app, answered_with_profile, tmp_path):
    result = app.test_cli_runner().invoke(args=["export", "run", str(answered_with_profile),
                                                "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "reading exit-interview: 0 of 2 instruments done, 0 responses so far" in lines
    assert "writing family-functioning: 1 of 2 instruments done, 8 responses so far" in lines
    assert re.fullmatch(r"wrote .*test-export-\d{8}-\d{6}-[0-9a-f]{12} and test-export-\d{8}-\d{6}-[0-9a-f]{12}\.zip "
                        r"\(exit-interview 4, family-functioning 4 responses\)", lines[-1])


def test_flask_export_run_draws_a_bar_on_a_terminal(app, answered_with_profile, tmp_path, monkeypatch):
    from feedback.exports import cli

    monkeypatch.setattr(cli, "on_terminal", lambda: True)
    result = app.test_cli_runner().invoke(args=["export", "run", str(answered_with_profile),
                                                "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Exporting" in result.output and "instruments done" not in result.output
    assert result.output.splitlines()[-1].startswith("wrote ")


def test_the_progress_bar_moves_over_the_instruments(monkeypatch):
    from feedback.exports.cli import ProgressReport

    moves = []
    report = ProgressReport(terminal=True)
    report("reading a", 0, 3, 0)
    monkeypatch.setattr(report.bar, "update", lambda steps, item=None: moves.append((steps, item)))
    report("writing a", 0, 3, 10)
    report.bar.pos = 1
    report("zipping", 3, 3, 30)
    report.close()
    assert moves == [(0, "writing a (10 responses)"), (2, "zipping (30 responses)")]
