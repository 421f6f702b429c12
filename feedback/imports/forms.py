"""The upload form of the import page, worded in the staff page's language (``_l``: looked up when drawn)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import InputRequired


class ImportForm(FlaskForm):
    """Choices (instrument versions, waves) are set by the view from the catalogue and schedules."""

    file = FileField(_l("File"), validators=[FileRequired(_l("Choose the file to import.")),
                                             FileAllowed(["csv", "xlsx"], _l("Choose a .csv or .xlsx file."))])
    instrument = SelectField(_l("Instrument and version"), validators=[InputRequired(_l("Choose the instrument."))],
                             validate_choice=True)
    wave = SelectField(_l("Wave"), validators=[InputRequired(_l("Choose the wave."))], validate_choice=True)
