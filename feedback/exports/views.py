"""The researcher's export page: the profiles in ``exports/``, each with a button that starts an
export, and the history of the user's previous exports with their downloads.

An export runs off the request (``jobs``): starting one leads to its status page, which refreshes
itself (no JavaScript) while it runs and offers the zip when it is done. Researchers export only
the sites granted to them and see only their own runs; another person's run is "not found", as
if it did not exist. An identifiable ("full") profile runs only for an admin. Runs, downloads and
the deletion of old bundles are audited.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, send_file, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from ..audit.service import record
from ..error_pages import error_page
from ..extensions import db
from ..families.forms import ConfirmForm
from ..publishing.startup import current_catalogue
from ..staff.access import EXPORTS, require_roles, visible_sites
from ..waves.service import current_schedules
from .jobs import export_folder, start
from .models import UNFINISHED, ExportRun
from .profile import Profile, instrument_items, load_profiles, wave_names
from .retention import expires_on, purge, retention_days, site_of

bp = Blueprint("exports", __name__, template_folder="templates")
PROFILES = Path(__file__).resolve().parents[2] / "exports"
#: Seconds between refreshes of a running export's status page.
REFRESH_SECONDS = 2
#: Previous exports listed on the export page, newest first.
HISTORY = 50


def _profiles() -> tuple[dict[str, Profile], list]:
    folder = current_app.config.get("FEEDBACK_EXPORTS_DIR", PROFILES)
    return load_profiles(folder, instrument_items(current_catalogue()), wave_names(current_schedules()))


def may_see(run: ExportRun) -> bool:
    """Admins see every run; anyone else only their own, and only while granted all its sites."""
    if current_user.is_admin:
        return True
    if run.staff_id != current_user.id or run.identifiable or run.site_codes is None:
        return False
    return set(run.site_codes) <= {site.code for site in visible_sites()}


def run_or_404(run_id: int) -> ExportRun:
    run = db.session.get(ExportRun, run_id)
    if run is None or not may_see(run):
        abort(404)
    return run


def _history() -> list[ExportRun]:
    query = sa.select(ExportRun).order_by(ExportRun.created_at.desc(), ExportRun.id.desc()).limit(HISTORY)
    if not current_user.is_admin:
        query = query.where(ExportRun.staff_id == current_user.id)
    return [run for run in db.session.scalars(query) if may_see(run)]


@bp.get("/staff/exports")
@require_roles(*EXPORTS)
def index():
    purge()
    profiles, problems = _profiles()
    return render_template("exports/index.html", profiles=sorted(profiles.values(), key=lambda p: p.id),
                           problems=problems, form=ConfirmForm(), runs=_history(), expires_on=expires_on,
                           retention_days=retention_days())


@bp.post("/staff/exports/<profile_id>/run")
@require_roles(*EXPORTS)
def run(profile_id: str):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    profiles, _problems = _profiles()
    profile = profiles.get(profile_id)
    if profile is None:
        abort(404)
    if profile.deidentification.identifiable and not current_user.is_admin:
        flash(_("Not exported: %(profile)s is an identifiable (full) export: only an admin may run it.", profile=profile.id))
        return redirect(url_for("exports.index"))
    if not current_user.is_admin:
        # A researcher's export covers their own sites only, whatever the profile asks for.
        granted = {site.code for site in visible_sites()}
        wanted = granted if profile.sites == "all" else granted & set(profile.sites)
        if not wanted:
            flash(_("This profile covers no site you may export."))
            return redirect(url_for("exports.index"))
        profile = replace(profile, sites=tuple(sorted(wanted)))
    purge()
    running = _same_run_unfinished(profile)
    if running is not None:
        # A second press of the button (or a second tab) follows the export already under way.
        flash(_("This export is already running: here is its progress."))
        return redirect(url_for("exports.status", run_id=running.id))
    return redirect(url_for("exports.status", run_id=start(profile, current_user)))


def _same_run_unfinished(profile: Profile) -> ExportRun | None:
    sites = None if profile.sites == "all" else sorted(profile.sites)
    query = sa.select(ExportRun).where(ExportRun.staff_id == current_user.id, ExportRun.profile_id == profile.id,
                                       ExportRun.profile_hash == profile.content_hash,
                                       ExportRun.state.in_(UNFINISHED))
    return next((run for run in db.session.scalars(query) if run.site_codes == sites), None)


@bp.get("/staff/exports/runs/<int:run_id>")
@require_roles(*EXPORTS)
def status(run_id: int):
    run = run_or_404(run_id)
    page = make_response(render_template("exports/run.html", run=run, refresh=REFRESH_SECONDS,
                                          expires=expires_on(run), retention_days=retention_days()))
    if run.unfinished:
        page.headers["Refresh"] = str(REFRESH_SECONDS)  # as the page's own meta refresh, for any client
        page.headers["Cache-Control"] = "no-store"
    return page


@bp.get("/staff/exports/runs/<int:run_id>/download")
@require_roles(*EXPORTS)
def download(run_id: int):
    run = run_or_404(run_id)
    if run.state == "expired":
        return error_page(410, _("This export has been deleted"),
                          _("Its files were deleted on %(day)s, %(days)s days after it was made (the retention "
                            "limit). Run the profile again for a new bundle.",
                            day=format_date(run.expired_at.date(), "dd MMMM y"), days=retention_days()))
    if run.state != "done":
        flash(_("This export has no bundle to download.") if run.state == "failed" else _("This export is not finished yet."))
        return redirect(url_for("exports.status", run_id=run.id))
    path = export_folder() / run.zip_name
    if not path.is_file():
        return error_page(410, _("This export's files are gone"),
                          _("Its zip is no longer on the server (removed by hand, or the export folder moved). "
                            "Run the profile again for a new bundle."))
    record("export.downloaded", run, site_of(run), profile=run.profile_id, bundle=run.bundle)
    db.session.commit()
    return send_file(path, as_attachment=True, download_name=path.name, mimetype="application/zip")
