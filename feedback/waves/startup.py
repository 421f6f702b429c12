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
