"""/api/v1/exports: run an export profile for the client's sites, follow it, download its bundle.

A run goes the way the researcher's export page starts one (``exports.jobs.start``): a queued
``ExportRun`` is recorded and run off the request (inline under test), by ``runner.run_export``,
which writes the bundle and audits it ("export.run"); old bundles are purged first
(``retention.purge``), as the page does. Like a researcher's, a client's export covers only its
own sites, and never an identifiable (full) profile: those are for an admin. A run is no staff
member's (its ``staff_id`` is empty: admins see it in the export history); ``api_export_runs``
says which client started it, and only that client sees it: for any other, it does not exist (404).
A download is audited as the page's is ("export.downloaded"), naming the client.
"""
from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace

import sqlalchemy as sa
from flask import g, send_file, url_for
from flask_smorest import Blueprint
from sqlalchemy import Column, ForeignKey, Table

from ..audit.service import record
from ..exports.jobs import export_folder, start
from ..exports.models import UNFINISHED, ExportRun
from ..exports.retention import expires_on, purge, site_of
from ..exports.views import _profiles
from ..extensions import db
from .auth import current_client, protect, requires, security
from .problems import INVALID_FIELDS, ApiProblem
from .schemas import ExportProfileListSchema, ExportRunSchema, ExportStartSchema

#: Which client started which run (a run started from the web has no row here).
api_export_runs = Table(
    "api_export_runs", db.metadata,
    Column("run_id", ForeignKey("export_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("client_id", ForeignKey("api_clients.id", ondelete="CASCADE"), nullable=False, index=True),
)

blp = protect(Blueprint("api_exports", __name__, url_prefix="/api/v1/exports",
                        description="De-identified evaluator exports of the client's sites."))
NOT_FOUND = "Nothing is found at this address for this client."


def _runnable(profile, client) -> tuple[str, ...]:
    """The client's site codes the profile covers (none for an identifiable profile)."""
    if profile.deidentification.identifiable:
        return ()
    granted = {site.code for site in client.sites}
    return tuple(sorted(granted if profile.sites == "all" else granted & set(profile.sites)))


@blp.get("/profiles")
@blp.response(200, ExportProfileListSchema)
@blp.doc(summary="List the export profiles the client may run", **security("exports:run"))
@requires("exports:run")
def list_profiles():
    """De-identified profiles covering at least one of the client's sites."""
    client = current_client()
    profiles, _problems = _profiles()
    items = []
    for profile in sorted(profiles.values(), key=lambda p: p.id):
        sites = _runnable(profile, client)
        if sites:
            items.append({"id": profile.id, "title": profile.title, "description": profile.description or "",
                          "sites": list(sites), "formats": list(profile.formats), "shape": profile.shape,
                          "version": profile.content_hash})
    return {"items": items}


def _invalid(pointer: str, detail: str) -> ApiProblem:
    return ApiProblem(422, "Nothing was started. Correct each field listed in errors and send it again.",
                      type_=INVALID_FIELDS, title="Some fields are not valid",
                      errors=[{"pointer": pointer, "detail": detail}])


@blp.post("")
@blp.arguments(ExportStartSchema)
@blp.response(202, ExportRunSchema, description="Started (or already running: the run under way), with its "
                                                "address in Location.")
@blp.doc(summary="Start an export", **security("exports:run"))
@requires("exports:run")
def start_export(body):
    """Runs the profile for the client's sites it covers (or those of ``sites``). The same export
    asked for again while it runs answers with the run under way."""
    client = current_client()
    profiles, _problems = _profiles()
    profile = profiles.get(body["profile"])
    if profile is None:
        raise _invalid("/profile", "No such profile: GET /api/v1/exports/profiles lists them.")
    if profile.deidentification.identifiable:
        raise ApiProblem(403, f"{profile.id} is an identifiable (full) export: only an admin may run it, on the "
                              "staff export page.")
    covered = _runnable(profile, client)
    wanted = covered
    if body.get("sites"):
        by_code = {code.lower(): code for code in covered}
        unknown = [code for code in body["sites"] if code.lower() not in by_code]
        if unknown:
            raise _invalid("/sites", f"Not a site of this client's that {profile.id} covers: {', '.join(unknown)}.")
        wanted = tuple(sorted({by_code[code.lower()] for code in body["sites"]}))
    if not wanted:
        raise _invalid("/profile", f"{profile.id} covers none of this client's sites.")
    profile = replace(profile, sites=wanted)
    purge()
    run = _same_run_unfinished(client, profile)
    if run is None:
        # ``start`` records the run as no staff member's (the client is no account) and runs it.
        run_id = start(profile, SimpleNamespace(id=None))
        db.session.execute(api_export_runs.insert().values(run_id=run_id, client_id=client.id))
        db.session.commit()
        run = db.session.get(ExportRun, run_id)
        db.session.refresh(run)
    g.api_audit_detail = {"export_run": run.id, "profile": profile.id, "sites": list(wanted)}
    location = url_for("api_exports.get_export", run_id=run.id)
    return run_json(run), 202, {"Location": location}


def _same_run_unfinished(client, profile) -> ExportRun | None:
    query = (sa.select(ExportRun).join(api_export_runs, api_export_runs.c.run_id == ExportRun.id)
             .where(api_export_runs.c.client_id == client.id, ExportRun.profile_id == profile.id,
                    ExportRun.profile_hash == profile.content_hash, ExportRun.state.in_(UNFINISHED)))
    return next((run for run in db.session.scalars(query) if run.site_codes == sorted(profile.sites)), None)


def run_or_404(run_id: int) -> ExportRun:
    """The client's own run; any other run, or none, is 404 alike."""
    if run_id > 2**31 - 1:
        raise ApiProblem(404, NOT_FOUND)
    run = db.session.scalar(sa.select(ExportRun).join(api_export_runs, api_export_runs.c.run_id == ExportRun.id)
                            .where(ExportRun.id == run_id, api_export_runs.c.client_id == current_client().id))
    if run is None:
        raise ApiProblem(404, NOT_FOUND)
    return run


def _content_hash(run: ExportRun) -> str | None:
    """The manifest's content hash of a finished run's bundle (the manifest is beside its zip)."""
    if run.state != "done" or not run.bundle:
        return None
    try:
        manifest = json.loads((export_folder() / run.bundle / "manifest.json").read_text(encoding="utf-8"))
        return manifest["content_hash"]["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def run_json(run: ExportRun) -> dict:
    done = run.state == "done"
    return {"id": run.id, "profile": run.profile_id, "profile_version": run.profile_hash,
            "sites": list(run.site_codes or []), "state": run.state,
            "progress": {"stage": run.stage, "instruments_done": run.instruments_done,
                         "instruments_total": run.instruments_total, "rows": run.rows},
            "created_at": run.created_at, "finished_at": run.finished_at,
            "expires_at": expires_on(run) if done else None,
            "message": run.message if run.state == "failed" else None,  # never the admin's fuller reason
            "bundle": run.bundle if done else None, "content_hash": _content_hash(run),
            "download": url_for("api_exports.download_bundle", run_id=run.id) if done else None}


@blp.get("/<int:run_id>")
@blp.response(200, ExportRunSchema)
@blp.doc(summary="Follow an export", **security("exports:run"))
@requires("exports:run")
def get_export(run_id):
    """Its state and progress; once done, when it finished, its content hash and a download link."""
    run = run_or_404(run_id)
    g.api_audit_detail = {"export_run": run.id}
    return run_json(run)


@blp.get("/<int:run_id>/bundle")
@blp.response(200, description="The bundle (zip).")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(410, response="GONE")
@blp.doc(summary="Download an export's bundle", **security("exports:run"),
         responses={"200": {"description": "The bundle (zip).",
                            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}})
@requires("exports:run")
def download_bundle(run_id):
    run = run_or_404(run_id)
    g.api_audit_detail = {"export_run": run.id}
    if run.state == "expired":
        raise ApiProblem(410, "This export's files were deleted after the retention limit. Start it again.")
    if run.state != "done":
        raise ApiProblem(409, "This export failed: it has no bundle." if run.state == "failed" else
                         "This export is not finished yet: follow it at its address, then download.")
    path = export_folder() / run.zip_name
    if not path.is_file():
        raise ApiProblem(410, "This export's zip is no longer on the server. Start it again.")
    record("export.downloaded", run, site_of(run), None, profile=run.profile_id, bundle=run.bundle,
           api_client=current_client().id)
    db.session.commit()
    return send_file(path, as_attachment=True, download_name=path.name, mimetype="application/zip")
