"""The texts families receive: short, neutral (no service name, no family details), in their language.

A service may put its own wording before every text (``FEEDBACK_SMS_SENDER_WORDING``); by default
there is none, because a text on a shared phone should not tell anyone which service a family
is involved with. Every template is checked at start-up against the segment budget, in every
language, with a link as long as real ones: a template that would cost more segments than the
service allows stops the app with a message naming it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..languages import ui_languages
from ..sms.segments import check_budget, segments

#: As long as a real survey link (https address, 32-character token) for the budget check.
SAMPLE_LINK = "https://feedback.example.org/s/" + "x" * 32


def _sender(text: str) -> str:
    wording = current_app.config["FEEDBACK_SETTINGS"].sms.sender_wording
    return f"{wording}{text}" if wording else text


def invitation_text(language: str, link: str, minutes: int) -> str:
    with force_locale(language):
        return _sender(_("Hello. We would like to hear how things are for you. It takes about %(minutes)s minutes: "
                         "%(link)s Reply STOP to stop these messages.", minutes=minutes, link=link))


def reminder_text(language: str, link: str) -> str:
    with force_locale(language):
        return _sender(_("A reminder: your answers would help. You can still answer here: %(link)s "
                         "Reply STOP to stop these messages.", link=link))


def conversation_opening(language: str, first_question: str) -> str:
    with force_locale(language):
        return _sender(_("Hello. We would like to hear how things are for you. Answer by replying to these "
                         "texts; reply STOP to stop.")) + "\n" + first_question


def conversation_reminder(language: str, question: str) -> str:
    with force_locale(language):
        return _sender(_("A reminder: your answers would help. Reply STOP to stop.")) + "\n" + question


def opted_out_text(language: str) -> str:
    with force_locale(language):
        return _sender(_("You will get no more texts from us. Reply START if you change your mind."))


def opted_in_text(language: str) -> str:
    with force_locale(language):
        return _sender(_("Texts from us are switched back on. Reply STOP at any time to stop them."))


def help_text(language: str) -> str:
    contact = current_app.config["FEEDBACK_SETTINGS"].sms.help_contact
    with force_locale(language):
        text = _("These texts ask how things are for you; answering is up to you. Reply STOP to stop them.")
        if contact:
            text += " " + _("To talk to someone: %(contact)s", contact=contact)
        return _sender(text)


def nothing_open_text(language: str) -> str:
    """For a reply we cannot place: says nothing about any family, or whether the number is known."""
    with force_locale(language):
        return _sender(_("Thank you for your message. There is nothing to answer at the moment."))


def already_answered_text(language: str) -> str:
    with force_locale(language):
        return _sender(_("Thank you: these questions have already been answered."))


def language_changed_text(language: str) -> str:
    """The reply to a language keyword, written in the language chosen."""
    with force_locale(language):
        # "This language": the text is in it, so no translation has to name its own language.
        return _sender(_("Thank you. We will text you in this language from now on."))


def translator(language: str) -> Callable[[str], str]:
    """A gettext for the SMS conversation wording (marked with ``N_``) in the member's language."""
    def gettext(message: str) -> str:
        with force_locale(language):
            return _(message)
    return gettext


def _samples() -> dict[str, Callable[[str], str]]:
    """Each template families may be sent on its own, by the name staff see, as a sample text."""
    return {
        "invitation": lambda language: invitation_text(language, SAMPLE_LINK, 10),
        "reminder": lambda language: reminder_text(language, SAMPLE_LINK),
        "opted out": opted_out_text, "opted in": opted_in_text, "help": help_text,
        "nothing open": nothing_open_text, "already answered": already_answered_text,
        "language changed": language_changed_text,
    }


#: Shown with each conversation text: the question that follows it differs from text to text.
CONVERSATION_SAMPLES: dict[str, Callable[[str], str]] = {
    "conversation opening (before the question)": lambda language: conversation_opening(language, "").rstrip("\n"),
    "conversation reminder (before the question)": lambda language: conversation_reminder(language, "").rstrip("\n"),
}


def check_templates(budget: int) -> None:
    """Refuse to start when a template, in any language, needs more segments than the budget."""
    for name, render in _samples().items():
        for language in ui_languages():
            check_budget(render(language), budget, f"{name} text ({language})")


@dataclass(frozen=True)
class TemplateCost:
    """What one template costs in one language, with a link as long as real ones."""

    template: str
    language: str
    text: str
    encoding: str    # "GSM-7" or "UCS-2"
    characters: int  # as a person counts them
    units: int       # as the network counts them: GSM-7 extension characters and emoji count 2
    segments: int


def template_costs() -> list[TemplateCost]:
    """Every template in every language the app speaks: its sample text and what it costs to send.

    Conversation texts are counted without their question, which differs from text to text.
    """
    costs = []
    for name, render in {**_samples(), **CONVERSATION_SAMPLES}.items():
        for language in ui_languages():
            text = render(language)
            count = segments(text)
            costs.append(TemplateCost(name, language, text, count.encoding, len(text), count.units, count.segments))
    return costs


def over_budget_templates(limit: int = 2) -> list[tuple[str, str, int]]:
    """(template, language, segments) for each template that needs more than ``limit`` segments
    in a language, for ``flask instruments check`` to print."""
    return [(cost.template, cost.language, cost.segments) for cost in template_costs() if cost.segments > limit]
