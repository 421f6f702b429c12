"""Forms for the invitation pages (staff pages are not translated)."""
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..families.forms import options


class ResolveForm(FlaskForm):
    """An admin's answer after checking an "unknown" send with the SMS provider."""

    reached = RadioField("Did the text reach the provider?",
                         choices=options([("yes", "Yes: record it as sent"), ("no", "No: release it to be sent")]),
                         validators=[InputRequired("Choose whether the text was sent.")])


class BulkResolveForm(FlaskForm):
    """An admin's answer for many "unknown" sends at once, after checking the provider's log.
    The invitations chosen arrive as ``invitation`` checkboxes beside the list."""

    reached = RadioField("What does the provider's log show for the invitations ticked?",
                         choices=options([("yes", "They were sent: record them as sent"),
                                          ("no", "They were not sent: release them to be sent")]),
                         validators=[InputRequired("Choose whether the texts were sent.")])
    reason = TextAreaField("Reason (kept in each invitation's history and the audit log)",
                           validators=[InputRequired("Give a reason: what you checked and what it showed."),
                                       Length(max=200, message="Shorten the reason to 200 characters or fewer.")])
