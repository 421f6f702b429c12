"""A link's question screen drawn once as a frame, with the respondent's own parts put in per page.

Issue 24: drawing ``survey/page.html`` was the largest part of a screen's GET (Flask's context
processors, ``base.html``, the language switch and its ``url_for``, the progress line's words),
yet nearly all it draws is fixed by the instrument's version, the screen, the language and the
app. What belongs to one respondent is only:

- the link token, in the language switch's address;
- the form token (``csrf_token()``, signed per request for the link, ``link_forms.py``);
- the "Back" address (it names the link, and depends on the answers);
- the three progress numbers (their wording, "Question … of about …", is keyed instead);
- each question's markup: ticks and typed values, drawn by ``question_markup`` per request.

So the frame is drawn through the template itself, with random per-process markers standing in
for those five, then split at the markers; each request puts its own values in, escaped as the
template escapes them. The key holds everything else the template reads (see ``_key``); nothing
of a respondent is ever in it or in the kept markup. Drawn without the frame, as before: a page
with errors (a refused post), the interview and assessment templates, an instrument without a
content hash (its texts have no name). The kept frames live on the app (each app has its own
templates, catalogues and settings), are bounded, and are dropped when the settings change.
"""
from __future__ import annotations

import re
import secrets
import threading

from flask import current_app, g, render_template, request
from flask_babel import get_locale, get_translations
from markupsafe import Markup, escape

from .bidi import bdi
from .link_forms import link_form_token
from .question_markup import question_markup

#: Frames per app: one per screen, language, progress wording and offered languages in use; a
#: frame is a few kB, so a few MB per worker at most.
MAX_FRAMES = 1024
EXTENSION = "survey.screen_frames"

# Letters and digits only, so a marker passes through ``url_for`` and escaping unchanged.
# Random per process: no instrument text or translation can contain one.
_MARK = secrets.token_hex(8)
_SLOT = re.compile(f"{_MARK}([a-z0-9]+?){_MARK}")
#: The slots every frame may hold, besides one per question (``q0``, ``q1``, ...).
FIXED_SLOTS = frozenset({"token", "csrf", "back", "number", "last", "total"})


def _slot(name: str) -> str:
    return f"{_MARK}{name}{_MARK}"


class _Frames:
    def __init__(self, settings):
        self.settings = settings
        self.entries: dict[tuple, tuple] = {}
        self.lock = threading.Lock()

    def put(self, key: tuple, frame: tuple) -> None:
        with self.lock:
            if len(self.entries) >= MAX_FRAMES:
                # The oldest first (dicts keep insertion order): a simple bound, not an LRU.
                del self.entries[next(iter(self.entries))]
            self.entries[key] = frame


def _frames() -> _Frames:
    # The organisation, contact line and language names come from the app's settings: a new
    # settings object (tests replace it) means frames drawn with the old one are not served.
    settings = current_app.config["FEEDBACK_SETTINGS"]
    frames = current_app.extensions.get(EXTENSION)
    if frames is None or frames.settings is not settings:
        frames = current_app.extensions[EXTENSION] = _Frames(settings)
    return frames


def _key(flow, screen, items, changing: bool, progress) -> tuple:
    """Everything ``page.html`` (with ``base.html`` and the language switch) reads, other than
    the slots: the instrument's texts, the screen and which of its questions show, the language
    asked for and the locale and catalogue the words come from, the languages offered, the
    progress line's wording, and the prefix of the app's addresses."""
    instrument = flow.instrument
    shape = None if progress is None else (progress.last > progress.number, bool(progress.approximate))
    return (instrument.id, instrument.version, instrument.texts_key, screen.address,
            tuple(item.id for item in items), flow.language, str(get_locale()), get_translations(),
            tuple(g.instrument_languages), changing, shape, request.script_root)


def draw_screen(flow, screen, items, form, back_url: str, changing: bool, progress, token: str) -> str | None:
    """The web screen ``render_template(flow.templates.screen, ...)`` would draw for a page with no
    errors, or None when it cannot come from a frame (the caller then draws it as before)."""
    instrument = flow.instrument
    if not instrument.texts_key:
        return None
    key = _key(flow, screen, items, changing, progress)
    frames = _frames()
    frame = frames.entries.get(key)
    if frame is None:
        frame = _draw_frame(flow, screen, items, form, changing, progress)
        if frame is None:
            return None
        frames.put(key, frame)
    segments, layouts = frame
    values = {"token": escape(token), "csrf": escape(link_form_token(token)), "back": escape(back_url)}
    if progress is not None:
        # What ``page.html`` writes for each number (``|bdi``): the locale's figures, isolated.
        values.update(number=bdi(progress.number), last=bdi(progress.last), total=bdi(progress.total))
    for index, (item, (heading, intro_id)) in enumerate(zip(items, layouts)):
        values[f"q{index}"] = question_markup(instrument, item, form, {}, flow.language,
                                              heading=heading, intro_id=intro_id)
    return "".join(segment if index % 2 == 0 else str(values[segment])
                   for index, segment in enumerate(segments))


def _draw_frame(flow, screen, items, form, changing: bool, progress) -> tuple | None:
    """The page drawn by its template with markers for the slots, split at them: (segments, the
    heading/intro layout each question was drawn with). None if a marker is not where expected."""
    layouts: list[tuple[bool, str]] = []
    positions = {id(item): index for index, item in enumerate(items)}

    def question_slot(_instrument, item, _form, _errors, _language, heading=False, intro_id=""):
        index = positions[id(item)]
        if index != len(layouts):  # drawn out of order or twice: not a page this frame knows
            raise _Unexpected
        layouts.append((bool(heading), intro_id))
        return Markup(_slot(f"q{index}"))

    numbers = None if progress is None else tuple(Markup(_slot(name)) for name in ("number", "last", "total"))
    try:
        drawn = render_template(
            flow.templates.screen, flow=flow, screen=screen, page=screen.page, items=items, form=form,
            errors={}, back_url=Markup(_slot("back")), changing=changing, return_to=screen.address,
            progress=progress, progress_numbers=numbers, link_token=_slot("token"),
            csrf_token=lambda: Markup(_slot("csrf")), question_markup=question_slot,
        )
    except _Unexpected:
        return None
    segments = tuple(_SLOT.split(drawn))
    named = segments[1::2]
    questions = {f"q{index}" for index in range(len(items))}
    # Every question exactly once, in order, and nothing but known slots: otherwise not kept.
    if ([name for name in named if name in questions] != [f"q{index}" for index in range(len(items))]
            or len(layouts) != len(items)
            or not set(named) <= FIXED_SLOTS | questions
            or (progress is not None and not {"number", "total"} <= set(named))
            or "csrf" not in named or "back" not in named):
        return None
    return segments, tuple(layouts)


class _Unexpected(Exception):
    pass
