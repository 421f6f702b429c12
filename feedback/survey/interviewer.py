"""Interviewer mode: staff read questions aloud by telephone and enter the answers.

The response records mode ``interview`` and who interviewed. Roles and sites limit which
responses a member of staff may open once families arrive; for now any signed-in staff may.
"""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..extensions import db
from . import navigation
from .flow import PageFlow
from .models import Response
from .service import instrument_for

bp = Blueprint("interviews", __name__, url_prefix="/staff/interviews", template_folder="templates")


def _load(response_id: int):
    response = db.session.get(Response, response_id)
    if response is None:
        abort(404)
    instrument = instrument_for(response)
    if "interview" not in instrument.modes:
        abort(404)
    g.locale = response.language if response.language in instrument.languages else instrument.languages[0]
    return response, instrument


@bp.get("/<int:response_id>")
@login_required
def start(response_id: int):
    response, instrument = _load(response_id)
    return render_template("survey/interview_start.html", response=response, instrument=instrument)


@bp.route("/<int:response_id>/p/<page_id>", methods=["GET", "POST"])
@login_required
def page(response_id: int, page_id: str):
    response, instrument = _load(response_id)
    if response.status != "open" or response.is_expired():
        return render_template("survey/interview_start.html", response=response, instrument=instrument), 409
    flow = PageFlow(
        response=response, instrument=instrument, language=g.locale, mode="interview",
        interviewer_id=current_user.id,
        page_url=lambda pid: url_for("interviews.page", response_id=response_id, page_id=pid),
        done_url=url_for("interviews.done", response_id=response_id),
        start_url=url_for("interviews.start", response_id=response_id),
        template="survey/interview_page.html",
    )
    return flow.handle(page_id)


@bp.get("/<int:response_id>/resume")
@login_required
def resume(response_id: int):
    response, instrument = _load(response_id)
    first = navigation.resume_page(instrument, response.answer_values())
    return redirect(url_for("interviews.page", response_id=response_id, page_id=first.id))


@bp.get("/<int:response_id>/done")
@login_required
def done(response_id: int):
    response, instrument = _load(response_id)
    return render_template("survey/interview_done.html", response=response, instrument=instrument)
