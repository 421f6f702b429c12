"""The upload form of the import page. Staff pages are not translated, so the wording is plain English."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import InputRequired


class ImportForm(FlaskForm):
    """Choices (instrument versions, waves) are set by the view from the catalogue and schedules."""

    file = FileField("File", validators=[FileRequired("Choose the file to import."),
                                         FileAllowed(["csv", "xlsx"], "Choose a .csv or .xlsx file.")])
    instrument = SelectField("Instrument and version", validators=[InputRequired("Choose the instrument.")],
                             validate_choice=True)
    wave = SelectField("Wave", validators=[InputRequired("Choose the wave.")], validate_choice=True)
