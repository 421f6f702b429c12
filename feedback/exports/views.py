"""The researcher's export page: the profiles in ``exports/``, each with a button that runs it and
hands back the bundle's zip. Researchers export only the sites granted to them; an identifiable
("full") profile runs only for an admin. Each run is audited by the runner."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user

from ..families.forms import ConfirmForm
from ..publishing.startup import current_catalogue
from ..staff.access import EXPORTS, require_roles, visible_sites
from ..waves.service import current_schedules
from .profile import Profile, ProfileError, instrument_items, load_profiles, wave_names
from .runner import ExportError, run_export

bp = Blueprint("exports", __name__, template_folder="templates")
PROFILES = Path(__file__).resolve().parents[2] / "exports"


def _profiles() -> tuple[dict[str, Profile], list]:
    folder = current_app.config.get("FEEDBACK_EXPORTS_DIR", PROFILES)
    return load_profiles(folder, instrument_items(current_catalogue()), wave_names(current_schedules()))


@bp.get("/staff/exports")
@require_roles(*EXPORTS)
def index():
    profiles, problems = _profiles()
    return render_template("exports/index.html", profiles=sorted(profiles.values(), key=lambda p: p.id),
                           problems=problems, form=ConfirmForm())


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
    if not current_user.is_admin:
        # A researcher's export covers their own sites only, whatever the profile asks for.
        granted = {site.code for site in visible_sites()}
        wanted = granted if profile.sites == "all" else granted & set(profile.sites)
        if not wanted:
            flash("This profile covers no site you may export.")
            return redirect(url_for("exports.index"))
        profile = replace(profile, sites=tuple(sorted(wanted)))
    out = Path(current_app.config.get("FEEDBACK_EXPORT_OUT", Path(current_app.instance_path) / "exports"))
    try:
        bundle = run_export(profile, out, current_user)
    except ExportError as error:
        flash(f"Not exported: {error}")
        return redirect(url_for("exports.index"))
    return send_file(bundle.zip_path, as_attachment=True, download_name=bundle.zip_path.name,
                     mimetype="application/zip")
