"""Which language a page speaks, and the per-language words every family page carries.

A respondent's language is the one stored on their survey link (the survey views put it in
``g.locale``). Pages drawn without a link, such as a 404 for a mistyped address or an expired
form, use the language the respondent last saw in this browser, kept in the session, and only
then the browser's Accept-Language: a Welsh speaker on an English phone keeps reading Welsh.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, g, has_request_context, request, session

LANGUAGES = ("en", "cy")
LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg"}
#: Blueprints whose pages families see; staff pages are in English and carry no family contact line.
FAMILY_BLUEPRINTS = (None, "survey")


def select_locale() -> str:
    chosen = g.get("locale")
    if chosen:
        return chosen
    if not has_request_context():
        return "en"
    remembered = session.get("language")
    if remembered in LANGUAGES:
        return remembered
    return request.accept_languages.best_match(LANGUAGES) or "en"


def init_languages(app: Flask) -> None:
    @app.after_request
    def remember_respondent_language(response: Response) -> Response:
        # Only the respondent's own pages: an interviewer reading a Welsh interview aloud keeps
        # English staff pages. Written only when it changes, so no page gains a Set-Cookie.
        language = g.get("locale")
        if request.blueprint == "survey" and language in LANGUAGES and session.get("language") != language:
            session["language"] = language
        return response

    @app.context_processor
    def language_globals():
        language = select_locale()
        settings = current_app.config["FEEDBACK_SETTINGS"]
        family_page = has_request_context() and request.blueprint in FAMILY_BLUEPRINTS
        return {
            "language_names": LANGUAGE_NAMES,
            "current_language": language,
            "organisation": settings.organisation.in_language(language),
            "contact": settings.contact.in_language(language) if family_page else "",
        }
