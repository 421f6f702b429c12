"""The respondent's web flow at /s/<token>: welcome, one question per screen, check, thank-you.

Addresses below the token are explained in ``flow.py``; none carries anything about the person.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for

from ..extensions import csrf, db, limiter
from ..instruments.wording import wording_hash
from ..languages import offered_languages, remember_chosen_language
from ..publishing.startup import current_catalogue
from ..transactions import begin_reading
from . import bidi
from .anonymous import follow_link, link_invitation
from .flow import ResponseFlow
from .link_forms import check_link_form, link_form_token
from .page_words import page_translations
from .question_markup import question_markup
from .service import find_by_token, find_row_by_token, instrument_for, progressed, remember_member_language

bp = Blueprint("survey", __name__, template_folder="templates")
# Values in translated words (numbers, dates, phone numbers) isolated and written the locale's way,
# on every page that extends base.html (error pages too), so registered on the app.
for _filter in (bidi.bdi, bidi.date_words, bidi.number_words, bidi.isolate_numbers):
    bp.add_app_template_filter(_filter)
# Every screen of a response (the link's, an interview's, an assessment's) draws its questions with it.
bp.add_app_template_global(question_markup)

# A link's forms carry a token signed for the link itself, not one kept in a session, so a link's
# pages set and read no cookie (``link_forms.py`` says why that is as safe). Checked here instead.
csrf.exempt(bp)


@bp.url_value_preprocessor
def _nobody_signed_in(_endpoint, _values):
    # A link's pages act for whoever holds the link, never for a member of staff signed in in the
    # same browser: nothing on them reads the signed-in user. Saying so before any before-request
    # hook (this runs first) spares Flask-Login loading one on every page (the staff session check
    # and the templates' ``current_user`` would each ask; issue 24). ``_login_user`` is where
    # Flask-Login keeps the request's user; staff pages are untouched.
    g._login_user = current_app.login_manager.anonymous_user()


@bp.before_request
def _check_link_form():
    if request.method not in current_app.config["WTF_CSRF_METHODS"]:
        return
    # Every address of this blueprint names its link (the ``token`` of the route).
    check_link_form(request.view_args.get("token", ""))


@bp.context_processor
def _link_page_context():
    # The templates' ``csrf_token()`` on a link's pages is the link's token (``link_forms``), and
    # their words come from one catalogue lookup per page (``page_words``). Staff screens drawn
    # from the same templates are another blueprint's, with Flask-WTF's and Flask-Babel's own.
    context = page_translations()
    token = request.view_args.get("token") if request.view_args else None
    if token:
        context["csrf_token"] = lambda: link_form_token(token)
    return context


def _load(token: str, follow_anonymous: bool = False, read_only: bool = False):
    """The response for a link, or the plain 404 that any missing page gets.

    With ``follow_anonymous`` (the welcome page only), an anonymous send's link, which leads to an
    invitation rather than a response, goes on to a response of its own (``anonymous.py``).
    With ``read_only``, the response comes as a ``service.ResponseRow`` (no ORM object): for the
    views that read it and save answers, but neither complete it nor change it otherwise.
    """
    response = find_row_by_token(token) if read_only else find_by_token(token)
    if response is None:
        abort(_follow_anonymous_link(token) if follow_anonymous else 404)
    instrument = instrument_for(response)
    g.instrument_languages = offered_languages(instrument.languages)
    g.locale = choose_language(response.language, g.instrument_languages)
    return response, instrument


def choose_language(stored: str | None, offered: tuple[str, ...]) -> str:
    if stored in offered:
        return stored
    return request.accept_languages.best_match(offered) or offered[0]


def _load_open(token: str, follow_anonymous: bool = False, read_only: bool = False):
    """Like ``_load``, but a completed or expired link stops here with a kind page that shows
    nothing of the answers."""
    response, instrument = _load(token, follow_anonymous, read_only)
    if response.status == "completed":
        abort(_closed("completed"))
    if response.is_expired():
        abort(_closed("expired"))
    return response, instrument


def _closed(reason: str):
    return current_app.make_response((render_template("survey/closed.html", reason=reason),
                                      200 if reason == "completed" else 410))


#: Where an anonymous link's page keeps the language chosen before the response exists.
LINK_LANGUAGE = "anonymous_language"


def _follow_anonymous_link(token: str):
    """An anonymous send's emailed link: a page with a Start button, which begins (posts); or the
    response this browser began from it; or why it is closed."""
    followed = follow_link(token, begin=False)
    if followed is None:
        return 404
    if followed.closed:
        return _closed(followed.closed)
    if followed.token:
        return redirect(url_for("survey.welcome", token=followed.token), 303)
    instrument = current_catalogue().latest(link_invitation(token).instrument_id)
    g.instrument_languages = offered_languages(instrument.languages)
    g.locale = choose_language(session.get(LINK_LANGUAGE), g.instrument_languages)
    return current_app.make_response(render_template("survey/anonymous_welcome.html", instrument=instrument,
                                                     token=token))


@bp.post("/s/<token>/begin")
# Each begin makes a response: a leaked link must not let one address fill the table with them.
@limiter.limit("20 per minute; 100 per hour")
def begin(token: str):
    """Begin answering from an anonymous send's link: the unlinked response is made now."""
    followed = follow_link(token, begin=True, language=session.pop(LINK_LANGUAGE, None))
    if followed is None:
        abort(404)
    if followed.closed:
        return _closed(followed.closed)
    return redirect(url_for("survey.start", token=followed.token), 303)


@bp.get("/s/<token>")
def welcome(token: str):
    response, instrument = _load_open(token, follow_anonymous=True)
    if response.started_at is None and response.family_id is not None:
        progressed(response, "opened")
        db.session.commit()
    return render_template(
        "survey/welcome.html", response=response, instrument=instrument, token=token,
        started=response.started_at is not None,
    )


@bp.post("/s/<token>/language")
def language(token: str):
    if find_by_token(token) is None and link_invitation(token) is not None:
        # An anonymous link not yet begun: remember the choice for the response it will make.
        invitation = link_invitation(token)
        chosen = request.form.get("language")
        if chosen not in offered_languages(current_catalogue().latest(invitation.instrument_id).languages):
            abort(400)
        session[LINK_LANGUAGE] = chosen
        remember_chosen_language(chosen)
        return redirect(url_for("survey.welcome", token=token))
    response, instrument = _load_open(token)
    chosen = request.form.get("language")
    if chosen not in offered_languages(instrument.languages):
        abort(400)
    response.language, response.wording_hash = chosen, wording_hash(instrument, chosen)
    remember_member_language(response, chosen)
    db.session.commit()
    remember_chosen_language(chosen)
    flow = _flow(token, response, instrument)
    return_to = request.form.get("return_to", "")
    if return_to in flow.addresses():
        return redirect(f"{flow.base_url}/{return_to}")
    return redirect(url_for("survey.welcome", token=token))


@bp.get("/s/<token>/start")
def start(token: str):
    return _flow(token, read_only=True).resume()


@bp.route("/s/<token>/q/<item_id>", methods=["GET", "POST"])
def question(token: str, item_id: str):
    return _flow(token, read_only=True).question(item_id)


@bp.route("/s/<token>/p/<page_id>", methods=["GET", "POST"])
def page(token: str, page_id: str):
    return _flow(token, read_only=True).page(page_id)


@bp.route("/s/<token>/check", methods=["GET", "POST"])
def check(token: str):
    if request.method == "GET":
        begin_reading()  # the check page only reads; its POST completes, in a transaction
    return _flow(token).check()


@bp.get("/s/<token>/done")
def done(token: str):
    begin_reading()  # only reads
    response, _instrument = _load(token)
    if response.status != "completed":
        return redirect(url_for("survey.welcome", token=token))
    return render_template("survey/done.html")


def _flow(token: str, response=None, instrument=None, read_only: bool = False) -> ResponseFlow:
    """The flow for a link; ``read_only`` for screens that never complete the response (check
    does, with the ORM ``Response``)."""
    if response is None:
        response, instrument = _load_open(token, read_only=read_only)
    # The link's addresses as url_for writes them ("survey.welcome", "survey.done"), without its
    # work twice a request (issue 24): the token was just found by its hash, so it is one of ours,
    # made of URL-safe characters only, and needs no quoting.
    welcome_url = f"{request.script_root}/s/{token}"
    return ResponseFlow(
        response=response, instrument=instrument, language=g.locale, mode="web",
        base_url=welcome_url, start_url=welcome_url, done_url=f"{welcome_url}/done",
    )
