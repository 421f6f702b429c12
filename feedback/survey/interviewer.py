"""Interviewer mode: staff read questions aloud by telephone and enter the answers.

The response records mode ``interview`` and who interviewed. A key worker's own assessment (a
response of mode ``staff``, issued by the dispatcher) is filled in on the same pages and keeps its
mode. Practitioners open responses of their sites' families only (another site's is a 404);
admins open any, including responses with no family.
"""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, url_for
from flask_login import current_user

from ..audit.service import record
from ..extensions import db
from ..families.models import Family
from ..staff.access import FAMILY_PAGES, require_roles, response_or_404
from . import navigation
from .flow import PageFlow
from .service import instrument_for

bp = Blueprint("interviews", __name__, url_prefix="/staff/interviews", template_folder="templates")


def _load(response_id: int):
    response = response_or_404(response_id)
    instrument = instrument_for(response)
    if "interview" not in instrument.modes and response.mode != "staff":
        abort(404)
    g.locale = response.language if response.language in instrument.languages else instrument.languages[0]
    return response, instrument


@bp.get("/<int:response_id>")
@require_roles(*FAMILY_PAGES)
def start(response_id: int):
    response, instrument = _load(response_id)
    site_id = db.session.scalar(db.select(Family.site_id).filter_by(id=response.family_id)) if response.family_id else None
    record("interview.opened", response, site_id)
    db.session.commit()
    return render_template("survey/interview_start.html", response=response, instrument=instrument)


@bp.route("/<int:response_id>/p/<page_id>", methods=["GET", "POST"])
@require_roles(*FAMILY_PAGES)
def page(response_id: int, page_id: str):
    response, instrument = _load(response_id)
    if response.status != "open" or response.is_expired():
        return render_template("survey/interview_start.html", response=response, instrument=instrument), 409
    flow = PageFlow(
        response=response, instrument=instrument, language=g.locale,
        mode="staff" if response.mode == "staff" else "interview",
        interviewer_id=current_user.id,
        page_url=lambda pid: url_for("interviews.page", response_id=response_id, page_id=pid),
        done_url=url_for("interviews.done", response_id=response_id),
        start_url=url_for("interviews.start", response_id=response_id),
        template="survey/interview_page.html",
    )
    return flow.handle(page_id)


@bp.get("/<int:response_id>/resume")
@require_roles(*FAMILY_PAGES)
def resume(response_id: int):
    response, instrument = _load(response_id)
    first = navigation.resume_page(instrument, response.answer_values())
    return redirect(url_for("interviews.page", response_id=response_id, page_id=first.id))


@bp.get("/<int:response_id>/done")
@require_roles(*FAMILY_PAGES)
def done(response_id: int):
    response, instrument = _load(response_id)
    return render_template("survey/interview_done.html", response=response, instrument=instrument)
