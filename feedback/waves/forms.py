"""Forms for the invitation pages (staff pages are not translated)."""
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from ..families.forms import options


class ResolveForm(FlaskForm):
    """An admin's answer after checking an "unknown" send with the SMS provider."""

    reached = RadioField("Did the text reach the provider?",
                         choices=options([("yes", "Yes: record it as sent"), ("no", "No: release it to be sent")]),
                         validators=[InputRequired("Choose whether the text was sent.")])
