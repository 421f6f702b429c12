"""Staff fill in responses: telephone interviews with family members, and key workers' own assessments.

A telephone interview (a response of mode ``interview``, or a family member's link answered for
them by telephone) opens on the interview screen: who to call and what to read aloud first. The
response records mode ``interview`` and who interviewed. A key worker's own assessment (a
response of mode ``staff``, issued by the dispatcher) opens on the assessment screen instead:
the key worker's name and the family, and no script, since nobody is being asked to take part.
It keeps its mode. Both then go screen by screen to a check page, like a respondent's link.

An interview is read aloud in one of the languages the instrument offers here (those the app
speaks, ``offered_languages``): the interview screen lets the interviewer choose it before the
first question, recorded on the response with its wording hash as a respondent's choice is.

Practitioners open responses of their sites' families only (another site's is a 404); admins
open any, including responses with no family.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_login import current_user

from ..audit.service import record
from ..extensions import db
from ..families.models import Family, Member
from ..instruments.wording import wording_hash
from ..languages import offered_languages, staff_language_label
from ..staff.access import FAMILY_PAGES, require_roles, response_or_404
from ..staff.models import StaffUser
from .flow import ASSESSMENT, INTERVIEW, ResponseFlow
from .models import Response
from .service import instrument_for, remember_member_language

bp = Blueprint("interviews", __name__, url_prefix="/staff/interviews", template_folder="templates")


def is_assessment(response: Response) -> bool:
    """A key worker's own assessment, not an interview with a family member."""
    return response.mode == "staff"


def _load(response_id: int):
    response = response_or_404(response_id)
    instrument = instrument_for(response)
    if "interview" not in instrument.modes and not is_assessment(response):
        abort(404)
    g.instrument_languages = offered_languages(instrument.languages)
    g.locale = response.language if response.language in g.instrument_languages else g.instrument_languages[0]
    return response, instrument


def _about(response: Response) -> dict:
    """The family and member a response is about (either may be None)."""
    return {"family": db.session.get(Family, response.family_id) if response.family_id else None,
            "member": db.session.get(Member, response.member_id) if response.member_id else None}


def _assessment_context(response: Response) -> dict:
    """The family (and member) an assessment is about, and whose assessment it is."""
    from ..waves.models import Invitation

    about = _about(response)
    family, member = about["family"], about["member"]
    assessor_id = db.session.scalar(sa.select(Invitation.staff_id).where(Invitation.response_id == response.id))
    if assessor_id is None and family is not None:
        assessor_id = family.key_worker_id
    assessor = db.session.get(StaffUser, assessor_id) if assessor_id else None
    return {"family": family, "member": member, "assessor": assessor or current_user}


def _flow(response: Response, instrument) -> ResponseFlow:
    assessment = is_assessment(response)
    base_url = url_for("interviews.start", response_id=response.id)
    return ResponseFlow(
        response=response, instrument=instrument, language=g.locale,
        mode="staff" if assessment else "interview", interviewer_id=current_user.id,
        base_url=base_url, start_url=base_url, done_url=url_for("interviews.done", response_id=response.id),
        templates=ASSESSMENT if assessment else INTERVIEW,
        context=_assessment_context(response) if assessment else {},
    )


def _open_flow(response_id: int):
    """The flow for a response still open; a finished or expired one shows its start page (409)."""
    response, instrument = _load(response_id)
    if response.status != "open" or response.is_expired():
        abort(_start_page(response, instrument, 409))
    return _flow(response, instrument)


def _start_page(response: Response, instrument, status: int = 200):
    """The interview screen (who to call, what to read aloud) or, for a key worker's own
    assessment, the assessment screen (their name and the family; no script)."""
    if is_assessment(response):
        page = render_template("survey/assessment_start.html", response=response, instrument=instrument,
                               **_assessment_context(response))
    else:
        page = render_template("survey/interview_start.html", response=response, instrument=instrument,
                               language_labels={code: staff_language_label(code) for code in g.instrument_languages},
                               **_about(response))
    return current_app.make_response((page, status))


@bp.get("/<int:response_id>")
@require_roles(*FAMILY_PAGES)
def start(response_id: int):
    response, instrument = _load(response_id)
    site_id = db.session.scalar(db.select(Family.site_id).filter_by(id=response.family_id)) if response.family_id else None
    record("interview.opened", response, site_id)
    db.session.commit()
    return _start_page(response, instrument)


@bp.post("/<int:response_id>/language")
@require_roles(*FAMILY_PAGES)
def language(response_id: int):
    """The interview is to be read in another language: the response records it and its wording
    hash, as a respondent's own choice does (``survey.views.language``), and so does the member's
    preferred language. Refuses (400) a language the instrument is not offered in here."""
    response, instrument = _load(response_id)
    if response.status != "open" or response.is_expired():
        abort(_start_page(response, instrument, 409))
    chosen = request.form.get("language")
    if chosen not in g.instrument_languages:
        abort(400)
    response.language, response.wording_hash = chosen, wording_hash(instrument, chosen)
    if not is_assessment(response):  # the member's own language, not a key worker's
        remember_member_language(response, chosen)
    db.session.commit()
    return redirect(url_for("interviews.start", response_id=response.id))


@bp.get("/<int:response_id>/resume")
@require_roles(*FAMILY_PAGES)
def resume(response_id: int):
    return _open_flow(response_id).resume()


@bp.route("/<int:response_id>/q/<item_id>", methods=["GET", "POST"])
@require_roles(*FAMILY_PAGES)
def question(response_id: int, item_id: str):
    return _open_flow(response_id).question(item_id)


@bp.route("/<int:response_id>/p/<page_id>", methods=["GET", "POST"])
@require_roles(*FAMILY_PAGES)
def page(response_id: int, page_id: str):
    return _open_flow(response_id).page(page_id)


@bp.route("/<int:response_id>/check", methods=["GET", "POST"])
@require_roles(*FAMILY_PAGES)
def check(response_id: int):
    return _open_flow(response_id).check()


@bp.get("/<int:response_id>/done")
@require_roles(*FAMILY_PAGES)
def done(response_id: int):
    response, instrument = _load(response_id)
    if is_assessment(response):
        return render_template("survey/assessment_done.html", response=response, instrument=instrument,
                               **_assessment_context(response))
    return render_template("survey/interview_done.html", response=response, instrument=instrument)
