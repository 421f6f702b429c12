"""Showing and saving one page of a response: shared by the respondent's link and interviewer mode."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import abort, redirect, render_template, request

from ..instruments import Instrument
from . import navigation
from .forms import allowed_names, form_data_for, page_form_class, read_answers
from .models import Response
from .service import complete, save_answers


@dataclass
class PageFlow:
    response: Response
    instrument: Instrument
    language: str
    mode: str  # "web" or "interview"
    page_url: Callable[[str], str]
    done_url: str
    start_url: str
    interviewer_id: int | None = None
    template: str = "survey/page.html"

    def resume(self):
        page = navigation.resume_page(self.instrument, self.response.answer_values())
        return redirect(self.page_url(page.id))

    def handle(self, page_id: str):
        answers = self.response.answer_values()
        # Visibility is worked out once per request; position, back and progress all derive from it.
        effective = navigation.effective_answers(self.instrument, answers)
        pages = [candidate for candidate in self.instrument.pages if candidate.visible_items(effective)]
        position = next((index for index, candidate in enumerate(pages) if candidate.id == page_id), None)
        if position is None:
            # A page that does not exist, or one the respondent's answers hide: the same 404.
            abort(404)
        page = pages[position]
        items = page.visible_items(effective)
        form_class = page_form_class(items, self.language, self.instrument.content_hash)
        errors: dict = {}
        if request.method == "POST":
            form = form_class()
            unexpected = set(request.form) - allowed_names(form)
            if unexpected:
                return render_template("survey/refused.html", reason="fields", back_url=self.page_url(page.id)), 400
            form.validate()  # runs the CSRF check and the per-field checks; messages are read below
            values, errors = read_answers(form, items, self.language)
            if not errors:
                save_answers(self.response, values, self.mode, self.interviewer_id)
                # The answers now stored, worked out here rather than read back from the database.
                saved = {key: value for key, value in {**answers, **values}.items() if value is not None}
                return self._after_save(page.id, saved)
        else:
            form = form_class(formdata=None, data=form_data_for(items, answers))
        back_url = self.page_url(pages[position - 1].id) if position > 0 else self.start_url
        return render_template(
            self.template, flow=self, page=page, items=items, form=form, errors=errors,
            number=position + 1, total=len(pages), back_url=back_url, last=position == len(pages) - 1,
        ), (200 if not errors else 422)

    def _after_save(self, page_id: str, answers: dict):
        following = navigation.next_page(self.instrument, answers, page_id)
        if following is not None:
            return redirect(self.page_url(following.id))
        gaps = navigation.unanswered_required(self.instrument, answers)
        if gaps:
            # Someone reached the end by skipping pages (an old bookmark, a typed URL): send them back.
            return redirect(self.page_url(gaps[0][0].id))
        # Completion re-reads the stored answers: another tab may have saved a page meanwhile.
        complete(self.response, self.instrument)
        return redirect(self.done_url)
