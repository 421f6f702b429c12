"""Which language a page speaks, and the per-language words every family page carries.

A respondent's language is the one stored on their survey link (the survey views put it in
``g.locale``). Pages drawn without a link, such as a 404 for a mistyped address, use the language
the respondent last chose in this browser (``remember_chosen_language``, kept in the session),
and only then the browser's Accept-Language: a Welsh speaker on an English phone keeps reading
Welsh. Only a choice is kept: a link's ordinary pages set and read no cookie (issue 24), since
the response itself stores its language.

Which languages exist is data, not code: English (the source wording) plus every language with a
compiled catalogue in the translations folder, narrowed by ``FEEDBACK_LANGUAGES`` (see
``feedback.config``). Names and writing direction come from Babel's locale data, so adding a
catalogue is all a new language needs. These are functions, not constants: the answer belongs to
the app, and some callers are imported before there is one.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from types import MappingProxyType

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from flask import Flask, current_app, g, has_request_context, request, session

from .config import SOURCE_LANGUAGE
#: Blueprints whose pages families see; staff pages are in English and carry no family contact line.
FAMILY_BLUEPRINTS = (None, "survey")


def ui_languages() -> tuple[str, ...]:
    """The current app's languages, English first (``Settings.languages``)."""
    return current_app.config["FEEDBACK_SETTINGS"].languages


def offered_languages(instrument_languages: tuple[str, ...]) -> tuple[str, ...]:
    """The languages a page of an instrument offers: those it is written in that the app speaks.

    When the app speaks none of them, the instrument's first language, so the page can still be
    drawn rather than fail in front of a family.
    """
    enabled = ui_languages()
    return tuple(code for code in instrument_languages if code in enabled) or tuple(instrument_languages[:1])


@lru_cache(maxsize=None)
def _locale(code: str) -> Locale | None:
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return None


# Babel's names never change while the app runs, and every survey page names each language it
# offers (8 display-name lookups a page, about 0.1 ms: issue 24). Bounded: the code may come from a request.
@lru_cache(maxsize=128)
def language_name(code: str) -> str:
    """A language's name in itself ("Cymraeg", "Polski", "اردو"); the code when Babel has no name."""
    if code == SOURCE_LANGUAGE:
        return "English"
    locale = _locale(code)
    name = locale.get_display_name(code) if locale else None
    return name or code


def staff_language_label(code: str) -> str:
    """How staff pages (in English) name a language: "Welsh (Cymraeg)", "Urdu (اردو)"."""
    if code == SOURCE_LANGUAGE:
        return "English"
    locale = _locale(code)
    english = locale.get_display_name(SOURCE_LANGUAGE) if locale else None
    own = language_name(code)
    return f"{english} ({own})" if english and english != own else own


def language_names() -> dict[str, str]:
    """Each of the app's languages and its own name, English first."""
    return {code: language_name(code) for code in ui_languages()}


def text_direction(code: str) -> str:
    """"rtl" or "ltr", as the language is written (Babel's locale data); "ltr" when unknown."""
    locale = _locale(code)
    return locale.text_direction if locale else "ltr"


def staff_page_languages() -> tuple[str, ...]:
    """The languages staff pages are written in (English, and each with a staff catalogue)."""
    return current_app.config["FEEDBACK_SETTINGS"].staff_languages


#: Where a member of staff's chosen language for staff pages is kept (``/staff/language``).
STAFF_LANGUAGE = "staff_language"
#: Where a respondent's last chosen language is kept, for pages drawn without a link.
RESPONDENT_LANGUAGE = "language"


def select_locale() -> str:
    chosen = g.get("locale")
    if chosen:
        return chosen
    if not has_request_context():
        return "en"
    if request.path.startswith("/staff"):
        # Staff pages: the language chosen on them, else the browser's, among those they are
        # written in. A respondent's choice never changes them (nor theirs a respondent's).
        languages = staff_page_languages()
        remembered = session.get(STAFF_LANGUAGE)
        if remembered in languages:
            return remembered
        return request.accept_languages.best_match(languages) or SOURCE_LANGUAGE
    remembered = session.get(RESPONDENT_LANGUAGE)
    languages = ui_languages()
    if remembered in languages:
        return remembered
    return request.accept_languages.best_match(languages) or SOURCE_LANGUAGE


def remember_chosen_language(code: str) -> None:
    """Keep a respondent's chosen language for pages drawn without their link (a 404, say).

    Called when the respondent chooses, never on an ordinary page: those need no cookie. Staff
    pages never read it (an interviewer reading a Welsh interview aloud keeps English pages).
    """
    if code in ui_languages() and session.get(RESPONDENT_LANGUAGE) != code:
        session[RESPONDENT_LANGUAGE] = code


def init_languages(app: Flask) -> None:
    @app.template_filter("when")
    def when(value, pattern: str) -> str:
        """A date or time on a staff page in its language's words (CLDR ``pattern``, e.g.
        "dd MMM y HH:mm": "04 Dec 2026 09:30", "04 Rhag 2026 09:30"). Times are UTC, as stored."""
        if value is None:
            return ""
        if isinstance(value, datetime):
            return babel_dates.format_datetime(value, pattern, locale=select_locale())
        return babel_dates.format_date(value, pattern, locale=select_locale())

    @app.context_processor
    def language_globals():
        language = select_locale()
        family_page = has_request_context() and request.blueprint in FAMILY_BLUEPRINTS
        return page_language_words(language, family_page)


#: Where an app keeps its pages' language words: (the settings they were made from, {key: words}).
LANGUAGE_WORDS = "feedback.language_words"


def page_language_words(language: str, family_page: bool) -> dict:
    """What every page's templates say about languages, the organisation and its contact.

    Made once per app, language and kind of page from the app's settings, then reused: every page
    drew the same eight language names, organisation and contact again (issue 24). Made afresh if
    the app's settings object is replaced. Read-only: a template cannot change the next page's.
    """
    settings = current_app.config["FEEDBACK_SETTINGS"]
    made_from, kept = current_app.extensions.get(LANGUAGE_WORDS, (None, None))
    if made_from is not settings:
        kept = {}
        current_app.extensions[LANGUAGE_WORDS] = (settings, kept)
    key = (language, family_page)
    words = kept.get(key)
    if words is None:
        if len(kept) >= 256:  # the language comes from the request: bounded
            kept.clear()
        words = kept[key] = MappingProxyType({
            "language_names": MappingProxyType(language_names()),
            "current_language": language,
            "text_direction": text_direction(language),
            "organisation": settings.organisation.in_language(language),
            "contact": settings.contact.in_language(language) if family_page else "",
            # Staff pages offer their own languages (each named in itself).
            "staff_language_names": MappingProxyType({code: language_name(code) for code in settings.staff_languages}),
        })
    return words
