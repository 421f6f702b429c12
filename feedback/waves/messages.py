"""The texts families receive: short, neutral (no service name, no family details), in their language."""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _


def invitation_text(language: str, link: str, minutes: int) -> str:
    with force_locale(language):
        return _("Hello. We would like to hear how things are for you. It takes about %(minutes)s minutes: "
                 "%(link)s Reply STOP to stop these messages.", minutes=minutes, link=link)


def reminder_text(language: str, link: str) -> str:
    with force_locale(language):
        return _("A reminder: your answers would help. You can still answer here: %(link)s "
                 "Reply STOP to stop these messages.", link=link)
