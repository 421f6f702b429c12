"""Answering a response one screen at a time, then checking the answers and sending them.

Shared by the respondent's link, telephone interviews and a key worker's own assessment; each
gives its own addresses and templates. Within a response's address:

    q/<item id>     one question (the default: one thing per page)
    p/<page id>     a page whose file says ``together: true``; any other page's address goes
                    to its first question (an old bookmark), and a whole page posted from a tab
                    opened before questions had screens of their own is still saved
    check           "Check your answers", the only place answers are sent from

A "Change" link from the check page adds ``?from=check``: after the change the respondent goes
through any question the change opened, then back to the check page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import abort, redirect, render_template, request

from ..instruments import Instrument
from ..instruments.wording import shown_wording
from . import navigation
from .answers import answer_sections
from .forms import allowed_names, form_data_for, page_form_class, read_answers
from .models import Response
from .navigation import Screen
from .screen_frame import draw_screen
from .service import complete, save_answers

FROM_CHECK = "check"


@dataclass(frozen=True)
class Templates:
    screen: str
    check: str


WEB = Templates("survey/page.html", "survey/check.html")
INTERVIEW = Templates("survey/interview_page.html", "survey/interview_check.html")
ASSESSMENT = Templates("survey/assessment_page.html", "survey/assessment_check.html")


@dataclass
class ResponseFlow:
    response: Response
    instrument: Instrument
    language: str
    mode: str  # "web", "interview" or "staff": what ``save_answers`` records
    #: The response's own address, e.g. ``/s/<token>``; screens are below it.
    base_url: str
    #: Where "Back" goes from the first screen (the welcome or start page).
    start_url: str
    done_url: str
    templates: Templates = WEB
    interviewer_id: int | None = None
    #: More for the templates (the family an assessment is about, say).
    context: dict[str, Any] = field(default_factory=dict)

    # -- addresses ------------------------------------------------------------------------------
    def url(self, screen: Screen, changing: bool = False) -> str:
        return f"{self.base_url}/{screen.address}" + (f"?from={FROM_CHECK}" if changing else "")

    @property
    def check_url(self) -> str:
        return f"{self.base_url}/check"

    def addresses(self) -> set[str]:
        """Every address a "come back here" (after choosing a language, say) may name."""
        return {screen.address for screen in navigation.screens(self.instrument)} | {"check"}

    # -- views ----------------------------------------------------------------------------------
    def resume(self):
        screen = navigation.resume_screen(self.instrument, self.response.answer_values())
        return redirect(self.url(screen) if screen else self.check_url)

    def question(self, item_id: str):
        screen = navigation.screen_at(self.instrument, f"q/{item_id}")
        if screen is None:
            abort(404)
        return self._screen(screen)

    def page(self, page_id: str):
        screen = navigation.screen_at(self.instrument, f"p/{page_id}")
        if screen is not None:
            return self._screen(screen)
        whole = navigation.whole_page(self.instrument, page_id)
        if whole is None:
            abort(404)
        if request.method == "POST":
            return self._screen(whole)
        effective = navigation.effective_answers(self.instrument, self.response.answer_values())
        first = next((screen for screen in navigation.screens(self.instrument)
                      if screen.page.id == page_id and screen.visible_items(effective)), None)
        if first is None:
            abort(404)
        return redirect(self.url(first, self._changing()))

    def check(self):
        answers = self.response.answer_values()
        gaps = navigation.unanswered_required(self.instrument, answers)
        if gaps:
            # Reached by skipping questions (an old bookmark, a typed address): answer them first.
            return redirect(self.url(navigation.screen_of_item(self.instrument, gaps[0][1].id)))
        if request.method == "POST":
            # Completion re-reads the stored answers: another tab may have saved a screen meanwhile.
            complete(self.response, self.instrument)
            return redirect(self.done_url)
        shown = navigation.visible_screens(self.instrument, answers)
        sections = answer_sections(self.instrument, answers, self.language,
                                   lambda screen: self.url(screen, changing=True))
        return render_template(self.templates.check, flow=self, sections=sections,
                               back_url=self.url(shown[-1]) if shown else self.start_url, return_to="check")

    # -- one screen -----------------------------------------------------------------------------
    def _changing(self) -> bool:
        return request.args.get("from") == FROM_CHECK

    def _screen(self, screen: Screen):
        answers = self.response.answer_values()
        # Visibility is worked out once per request; what is shown and saved derives from it.
        effective = navigation.effective_answers(self.instrument, answers)
        items = screen.visible_items(effective)
        if not items:
            # A question that does not exist, or one the respondent's answers hide: the same 404.
            abort(404)
        changing = self._changing()
        form_class = page_form_class(items, self.language, self.instrument.texts_key)
        errors: dict = {}
        if request.method == "POST":
            form = form_class()
            unexpected = set(request.form) - allowed_names(form)
            if unexpected:
                return render_template("survey/refused.html", reason="fields",
                                       back_url=self.url(screen, changing)), 400
            form.validate()  # runs the per-field checks; the messages are read below
            values, errors = read_answers(form, items, self.language)
            if not errors:
                save_answers(self.response, values, self.mode, self.interviewer_id,
                             shown=shown_wording(self.instrument, self.language))
                # The answers now stored, worked out here rather than read back from the database.
                saved = {key: value for key, value in {**answers, **values}.items() if value is not None}
                return self._after_save(screen, saved, changing)
        else:
            form = form_class(formdata=None, data=form_data_for(items, answers))
        if changing:
            back_url = self.check_url
        else:
            previous = navigation.previous_screen(self.instrument, answers, screen, effective)
            back_url = self.url(previous) if previous else self.start_url
        progress = None if changing else navigation.progress(self.instrument, answers, screen, effective)
        token = request.view_args.get("token") if self.templates is WEB and not errors else None
        if token:
            # A link's screen: its fixed parts come from a kept frame (``screen_frame.py``).
            drawn = draw_screen(self, screen, items, form, back_url, changing, progress, token)
            if drawn is not None:
                return drawn, 200
        return render_template(
            self.templates.screen, flow=self, screen=screen, page=screen.page, items=items, form=form,
            errors=errors, back_url=back_url, changing=changing, return_to=screen.address, progress=progress,
        ), (200 if not errors else 422)

    def _after_save(self, screen: Screen, answers: dict, changing: bool):
        if changing:
            opened = navigation.next_opened_screen(self.instrument, answers, screen)
            return redirect(self.url(opened, changing=True) if opened else self.check_url)
        following = navigation.next_screen(self.instrument, answers, screen)
        return redirect(self.url(following) if following else self.check_url)
