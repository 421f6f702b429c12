"""The researcher's export page: an export runs off the request, shows its progress, and is
downloaded from the researcher's own history; their own sites only; another researcher's export
does not exist for them; full exports for admins only; old bundles deleted after the retention limit."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.exports.models import ExportRun
from feedback.timeutil import utcnow
from tests.conftest import sign_in
from tests.exports.test_dataset import answered_family
from tests.exports.test_runner import PROFILE
from tests.staff.scene import form_token

BUNDLE_ZIP = re.compile(r"^mine-\d{8}-\d{6}-[0-9a-f]{12}\.zip$")


@pytest.fixture
def exports_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "mine.yaml").write_text(PROFILE.format(id="mine", shape="long", free_text="drop", extra=""))
    (folder / "everything.yaml").write_text("id: everything\ntitle: Everything\ninstruments: all\nwaves: all\n"
                                            "shape: long\ndeidentification: {level: full}\nformats: [csv]\n")
    app.config["FEEDBACK_EXPORTS_DIR"] = folder
    app.config["FEEDBACK_EXPORT_OUT"] = tmp_path / "bundles"
    monkeypatch.setenv("FEEDBACK_PSEUDONYM_KEY", "33" * 32)
    return folder


@pytest.fixture
def answered(app, world):
    # Data made in an app context of its own: requests made inside one would share its ``g``
    # (and Flask-WTF's cached CSRF token) across requests.
    with app.app_context():
        answered_family(world, "N-1")
        answered_family(world, "N-2")
        answered_family(world, "S-1", site="south")


def run(client, profile_id):
    return client.post(f"/staff/exports/{profile_id}/run", data={"csrf_token": form_token(client)})


def signed_in(app, name):
    client = app.test_client()
    return sign_in(client, f"{name}@example.org")


def started(client, profile_id="mine") -> str:
    """Start an export; the address of its status page."""
    response = run(client, profile_id)
    assert response.status_code == 302 and re.search(r"/staff/exports/runs/\d+$", response.location), response.location
    return response.location


def status_of(client, url) -> int:
    """The status of a GET, its body (a zip, perhaps) read and the file closed."""
    response = client.get(url)
    response.close()
    return response.status_code


def audit(app, action):
    with app.app_context():
        return [(event.actor_id, event.subject_id, event.detail)
                for event in db.session.scalars(sa.select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id))]


def test_a_researcher_runs_an_export_follows_it_and_downloads_their_own_sites(app, world, exports_dir, answered):
    client = signed_in(app, "researcher_north")
    status = started(client)
    page = client.get(status).get_data(as_text=True)
    assert "Done" in page and "Download mine-" in page and "http-equiv=\"refresh\"" not in page
    run_id = int(status.rsplit("/", 1)[1])

    response = client.get(f"{status}/download")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    zip_name = re.search(r'filename=([^;]+)', response.headers["Content-Disposition"]).group(1).strip('"')
    assert BUNDLE_ZIP.match(zip_name), zip_name
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    response.close()
    [data] = [name for name in archive.namelist() if name.endswith("family-functioning.csv")]
    assert data.startswith(zip_name.removesuffix(".zip") + "/")  # the folder inside is named as the zip
    frame = pd.read_csv(archive.open(data))
    assert set(frame["site"]) == {"north"} and len(frame) == 4

    # The audit records the run and the download, by the researcher, of this run's bundle.
    [(actor, _subject, ran)] = audit(app, "export.run")
    [(downloader, subject, downloaded)] = audit(app, "export.downloaded")
    assert actor == downloader == world["researcher_north"] and subject == run_id
    assert ran["bundle"] == downloaded["bundle"] == zip_name.removesuffix(".zip")

    # Their history lists it: when, the profile and its version, who ran it, a link to download again.
    with app.app_context():
        version = db.session.get(ExportRun, run_id).profile_hash[:12]
    history = client.get("/staff/exports").get_data(as_text=True)
    assert zip_name in history and version in history and "Researcher North" in history and "north" in history


def test_another_sites_researcher_cannot_see_or_download_it_and_the_audit_records_only_the_owner(
        app, world, exports_dir, answered):
    owner = signed_in(app, "researcher_north")
    status = started(owner)
    assert status_of(owner, f"{status}/download") == 200
    before = audit(app, "export.downloaded")

    other = signed_in(app, "researcher_south")
    assert other.get(status).status_code == 404
    assert other.get(f"{status}/download").status_code == 404
    assert "mine-" not in other.get("/staff/exports").get_data(as_text=True)
    assert audit(app, "export.downloaded") == before  # a refusal downloads nothing and records nothing

    admin = signed_in(app, "admin")
    assert "Researcher North" in admin.get("/staff/exports").get_data(as_text=True)
    assert status_of(admin, f"{status}/download") == 200
    assert [actor for actor, _s, _d in audit(app, "export.downloaded")] == [world["researcher_north"], world["admin"]]


def test_a_researcher_loses_their_exports_with_the_site(app, world, exports_dir, answered):
    from feedback.staff.models import StaffUser

    client = signed_in(app, "researcher_north")
    status = started(client)
    with app.app_context():
        db.session.get(StaffUser, world["researcher_north"]).sites = []
        db.session.commit()
    assert client.get(status).status_code == 404 and client.get(f"{status}/download").status_code == 404


def test_a_researcher_may_not_run_an_identifiable_export(app, world, exports_dir, answered):
    client = signed_in(app, "researcher_north")
    assert "Run export" in client.get("/staff/exports").get_data(as_text=True)
    response = run(client, "everything")
    assert response.status_code == 302 and response.location.endswith("/staff/exports")
    assert "only an admin" in client.get("/staff/exports").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExportRun)) == 0


def test_an_admin_runs_an_identifiable_export_named_as_such(app, world, exports_dir, answered):
    client = signed_in(app, "admin")
    status = started(client, "everything")
    response = client.get(f"{status}/download")
    assert response.status_code == 200 and "everything-IDENTIFIABLE-" in response.headers["Content-Disposition"]
    response.close()


def test_a_failed_export_says_why_on_its_page(app, world, exports_dir):
    client = signed_in(app, "researcher_north")
    status = started(client)  # nobody has answered anything yet
    page = client.get(status).get_data(as_text=True)
    assert "Not exported" in page and "nothing to export" in page
    response = client.get(f"{status}/download")
    assert response.status_code == 302 and response.location.endswith(status.split("localhost")[-1])


def test_pressing_run_again_follows_the_export_already_under_way(app, world, exports_dir, answered):
    with app.app_context():
        under_way = ExportRun(profile_id="mine", profile_hash=_profile_hash(app), site_codes=["north"],
                              staff_id=world["researcher_north"], state="running", stage="reading exit-interview")
        db.session.add(under_way)
        db.session.commit()
        run_id = under_way.id
    client = signed_in(app, "researcher_north")
    response = run(client, "mine")
    assert response.status_code == 302 and response.location.endswith(f"/staff/exports/runs/{run_id}")
    page = client.get(response.location)
    text = page.get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in text and "Running: reading exit-interview" in text
    assert page.headers["Refresh"] == "2"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExportRun)) == 1


def _profile_hash(app) -> str:
    from feedback.exports.views import _profiles

    with app.test_request_context():
        return _profiles()[0]["mine"].content_hash


def test_a_bundle_past_the_retention_limit_is_deleted_and_the_audit_says_so(app, world, exports_dir, answered,
                                                                           tmp_path):
    client = signed_in(app, "researcher_north")
    status = started(client)
    run_id = int(status.rsplit("/", 1)[1])
    bundles = tmp_path / "bundles"
    assert len(list(bundles.iterdir())) == 2  # the folder and its zip
    with app.app_context():
        finished = db.session.get(ExportRun, run_id)
        finished.finished_at = utcnow() - timedelta(days=30, minutes=1)  # the default limit: 30 days
        db.session.commit()

    history = client.get("/staff/exports").get_data(as_text=True)
    assert "deleted on" in history
    assert list(bundles.iterdir()) == []
    [(actor, subject, detail)] = audit(app, "export.expired")
    assert (actor, subject, detail["retention_days"]) == (world["researcher_north"], run_id, 30)
    gone = client.get(f"{status}/download")
    assert gone.status_code == 410 and "deleted on" in gone.get_data(as_text=True)
    assert "Deleted" in client.get(status).get_data(as_text=True)
    client.get("/staff/exports")
    assert len(audit(app, "export.expired")) == 1  # deleted once, audited once
