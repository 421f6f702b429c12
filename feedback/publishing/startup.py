"""At start-up: load the questionnaires folder and refuse to run if a published version changed."""
from __future__ import annotations

import logging

from flask import Flask

from ..instruments import Catalogue, load_catalogue
from .service import verify_unchanged

log = logging.getLogger(__name__)


def load_and_verify_catalogue(app: Flask) -> Catalogue:
    settings = app.config["FEEDBACK_SETTINGS"]
    catalogue = load_catalogue(settings.questionnaires_dir)
    for problem in catalogue.problems:
        # An invalid file that was never published harms nobody: it is left out and reported.
        log.error("instrument left out: %s", problem)
    with app.app_context():
        verify_unchanged(catalogue)
    app.extensions["feedback.catalogue"] = catalogue
    return catalogue


def current_catalogue() -> Catalogue:
    from flask import current_app

    return current_app.extensions["feedback.catalogue"]
