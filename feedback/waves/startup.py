"""At start-up: load the schedules and refuse to run if any is invalid.

Unlike a draft instrument, a broken schedule cannot just be left out: re-planning without it
would cancel every waiting invitation it made. So the app stops and says what to fix.
"""
from __future__ import annotations

from flask import Flask

from ..config import ConfigurationError
from ..instruments import Catalogue
from .schedule_loader import load_schedules


def load_schedules_into(app: Flask, catalogue: Catalogue) -> None:
    settings = app.config["FEEDBACK_SETTINGS"]
    schedules, problems = load_schedules(settings.questionnaires_dir, catalogue)
    if problems:
        listed = "\n".join(f"  {problem}" for problem in problems)
        raise ConfigurationError(f"{len(problems)} problem(s) in the schedules; fix them and start again "
                                 f"(`flask instruments check` lists them too):\n{listed}")
    app.extensions["feedback.schedules"] = schedules


def check_text_templates(app: Flask) -> None:
    """Refuse to start when a text template (with the service's sender wording, in any language)
    needs more SMS segments than ``FEEDBACK_SMS_SEGMENT_BUDGET``: every segment is billed."""
    from ..sms.segments import SegmentBudgetExceeded
    from .messages import check_templates

    with app.app_context():
        try:
            check_templates(app.config["FEEDBACK_SETTINGS"].sms.segment_budget)
        except SegmentBudgetExceeded as error:
            raise ConfigurationError(f"{error} Shorten FEEDBACK_SMS_SENDER_WORDING or the template, or raise "
                                     "FEEDBACK_SMS_SEGMENT_BUDGET.") from None
