"""/api/v1/exports: a client runs a profile for its own sites the way the export page does, follows
it, and downloads the bundle it started (no other client can); each step audited."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pandas as pd
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.exports.jobs import export_folder
from feedback.exports.models import ExportRun
from feedback.extensions import db
from tests.api.conftest import bearer
from tests.exports.test_views import answered, exports_dir  # noqa: F401  (fixtures)


def events(app, action):
    with app.app_context():
        return [(event.actor_id, event.subject_id, event.detail)
                for event in db.session.scalars(sa.select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id))]


def test_a_client_runs_an_export_follows_it_and_downloads_a_bundle_whose_hash_matches(
        app, world, exports_dir, answered, make_token):
    token = make_token(scopes=("exports:run",), sites=("north",))
    api = app.test_client()
    profiles = api.get("/api/v1/exports/profiles", headers=bearer(token)).json["items"]
    # The identifiable profile is for an admin only: not offered.
    assert [(p["id"], p["sites"]) for p in profiles] == [("mine", ["north"])]

    started = api.post("/api/v1/exports", json={"profile": "mine"}, headers=bearer(token))
    assert started.status_code == 202, started.json
    run_id = started.json["id"]
    assert started.headers["Location"].endswith(f"/api/v1/exports/{run_id}")
    run = api.get(started.headers["Location"], headers=bearer(token)).json
    assert run["state"] == "done" and run["sites"] == ["north"] and run["finished_at"]
    assert run["progress"]["rows"] > 0 and run["download"] == f"/api/v1/exports/{run_id}/bundle"

    response = api.get(run["download"], headers=bearer(token))
    assert response.status_code == 200 and response.mimetype == "application/zip"
    data = response.data
    response.close()
    with app.app_context():
        recorded = db.session.get(ExportRun, run_id)
        assert recorded.staff_id is None and recorded.bundle == run["bundle"]
        on_disk = (export_folder() / recorded.zip_name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == hashlib.sha256(on_disk).hexdigest()
    # The bundle's files hash to the content hash the run reports (and its name ends with).
    archive = zipfile.ZipFile(io.BytesIO(data))
    folder = run["bundle"]
    manifest = json.loads(archive.read(f"{folder}/manifest.json"))
    each = {name: hashlib.sha256(archive.read(f"{folder}/{name}")).hexdigest() for name in manifest["files"]}
    listing = "".join(f"{sha}  {name}\n" for name, sha in sorted(each.items()))
    assert hashlib.sha256(listing.encode()).hexdigest() == run["content_hash"] == manifest["content_hash"]["sha256"]
    assert folder.endswith(run["content_hash"][:12])
    [data_file] = [name for name in archive.namelist() if name.endswith("family-functioning.csv")]
    assert set(pd.read_csv(archive.open(data_file))["site"]) == {"north"}  # the client's site only

    # Audited as the page's run and download are, the download naming the client.
    [(actor, _subject, ran)] = events(app, "export.run")
    [(downloader, subject, downloaded)] = events(app, "export.downloaded")
    assert actor is None and downloader is None and subject == run_id
    assert ran["bundle"] == downloaded["bundle"] == folder and "api_client" in downloaded
    calls = [detail for _a, _s, detail in events(app, "api.called")]
    assert any(call.get("export_run") == run_id and call["status"] == 202 for call in calls)


def test_another_client_finds_nothing_and_refusals_are_problems(app, world, exports_dir, answered, make_token):
    owner = make_token(scopes=("exports:run",), sites=("north",))
    other = make_token(scopes=("exports:run",), sites=("north",))
    api = app.test_client()
    run_id = api.post("/api/v1/exports", json={"profile": "mine"}, headers=bearer(owner)).json["id"]
    for path in (f"/api/v1/exports/{run_id}", f"/api/v1/exports/{run_id}/bundle"):
        refused = api.get(path, headers=bearer(other))
        assert refused.status_code == 404 and refused.mimetype == "application/problem+json"
    assert events(app, "export.downloaded") == []
    # Identifiable profiles are an admin's; a site not the client's is named; no scope, no export.
    assert api.post("/api/v1/exports", json={"profile": "everything"}, headers=bearer(owner)).status_code == 403
    south = api.post("/api/v1/exports", json={"profile": "mine", "sites": ["south"]}, headers=bearer(owner))
    assert south.status_code == 422 and south.json["errors"][0]["pointer"] == "/sites"
    unknown = api.post("/api/v1/exports", json={"profile": "nope"}, headers=bearer(owner))
    assert unknown.status_code == 422 and unknown.json["errors"][0]["pointer"] == "/profile"
    reader = make_token(scopes=("reports:read",), sites=("north",))
    assert api.post("/api/v1/exports", json={"profile": "mine"}, headers=bearer(reader)).status_code == 403
    assert api.get(f"/api/v1/exports/{run_id}", headers=bearer(reader)).status_code == 403
    assert api.get("/api/v1/exports/profiles").status_code == 401


def test_a_failed_run_says_why_and_has_no_bundle(app, world, exports_dir, make_token):
    token = make_token(scopes=("exports:run",), sites=("south",))
    api = app.test_client()
    started = api.post("/api/v1/exports", json={"profile": "mine"}, headers=bearer(token))
    assert started.status_code == 202 and started.json["state"] == "failed"
    assert "nothing to export" in started.json["message"] and started.json["download"] is None
    bundle = api.get(f"/api/v1/exports/{started.json['id']}/bundle", headers=bearer(token))
    assert bundle.status_code == 409 and bundle.mimetype == "application/problem+json"
