"""Error pages: what went wrong and what to do, in the respondent's language.

A page drawn for a survey link (``/s/<token>/…``) speaks the language stored on that link, even
when the error came before the survey's own code ran (an expired form's CSRF check, a mistyped
page name); other pages use the language the browser last saw (see ``feedback.languages``).
"""
from __future__ import annotations

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException


def error_page(status: int, title: str, *paragraphs: str):
    return render_template("error.html", title=title, paragraphs=paragraphs), status


def use_the_links_language() -> None:
    """Speak the survey link's stored language if the failed request was for one and the
    survey's code had not yet chosen (``g.locale``). An unknown link changes nothing."""
    token = (request.view_args or {}).get("token")
    if g.get("locale") or request.blueprint != "survey" or not token:
        return
    from .survey.service import find_by_token

    try:
        response = find_by_token(token)
    except SQLAlchemyError:
        return
    if response is not None and response.language:
        g.locale = response.language


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(404)
    def not_found(_error):
        use_the_links_language()
        return error_page(404, _("Page not found"),
                          _("If you typed the web address, check it is correct. "
                            "If you followed a link from a text message, check you copied all of it."))

    @app.errorhandler(403)
    def forbidden(_error):
        # Only staff pages refuse by role, and staff pages are not translated.
        return error_page(403, "You cannot use this page",
                          "Your role does not include this page. If you need it for your work, ask an administrator.")

    @app.errorhandler(400)
    @app.errorhandler(405)
    @app.errorhandler(413)
    def bad_request(error: HTTPException):
        use_the_links_language()
        return error_page(error.code or 400, _("Something went wrong with that request"),
                          _("Nothing was saved. Go back and try again."))

    @app.errorhandler(410)
    def gone(_error):
        use_the_links_language()
        return error_page(410, _("This link has expired"),
                          _("Thank you for wanting to take part. The time for answering this survey has ended, "
                            "so this link no longer works."),
                          _("If you would still like to share your views, please speak to your key worker."))

    @app.errorhandler(429)
    def too_many(_error):
        use_the_links_language()
        return error_page(429, _("Too many attempts"), _("Please wait a few minutes before trying again."))

    @app.errorhandler(CSRFError)
    def csrf_failed(_error):
        use_the_links_language()
        return error_page(400, _("This page had expired"),
                          _("For your security, nothing was saved. Go back, reload the page and try again."))

    @app.errorhandler(500)
    def server_error(_error):
        # The database may be what failed, so the link's language is not looked up here.
        return error_page(500, _("Sorry, there is a problem with the service"),
                          _("Your answers to the pages you sent before this one are saved. Try again later."))
