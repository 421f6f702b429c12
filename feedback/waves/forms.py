"""Forms for the invitation pages (labels and messages lazy: the staff catalogue translates them)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from ..families.forms import options
from ..staff.date_input import DateInputField


class ResolveForm(FlaskForm):
    """An admin's answer after checking an "unknown" send with the SMS provider."""

    reached = RadioField(_l("Did the text reach the provider?"),
                         choices=options([("yes", _l("Yes: record it as sent")), ("no", _l("No: release it to be sent"))]),
                         validators=[InputRequired(_l("Choose whether the text was sent."))])


class BulkResolveForm(FlaskForm):
    """An admin's answer for many "unknown" sends at once, after checking the provider's log.
    The invitations chosen arrive as ``invitation`` checkboxes beside the list."""

    reached = RadioField(_l("What does the provider's log show for the invitations ticked?"),
                         choices=options([("yes", _l("They were sent: record them as sent")),
                                          ("no", _l("They were not sent: release them to be sent"))]),
                         validators=[InputRequired(_l("Choose whether the texts were sent."))])
    reason = TextAreaField(_l("Reason (kept in each invitation's history and the audit log)"),
                           validators=[InputRequired(_l("Give a reason: what you checked and what it showed.")),
                                       Length(max=200, message=_l("Shorten the reason to 200 characters or fewer."))])


class SendNowForm(FlaskForm):
    """Staff send one survey to one family member now ("send a survey now" on the member's page).
    The instruments offered and the channels the member can be reached by are set by the view."""

    instrument = SelectField(_l("Survey"), validators=[InputRequired(_l("Choose a survey."))])
    channel = RadioField(_l("How"), validators=[InputRequired(_l("Choose how to send it."))])


class InvitationDatesForm(Form):
    """The invitations list's "from" and "to" dates: a GET form (its filters stay in the address for
    paging and bookmarks; nothing changes, so no CSRF token). ``accept_iso``: links made before the
    dates were typed as day, month and year (``?from=2026-03-01``) still work. A date with a problem
    is shown with it and left out of the filter."""

    start = DateInputField(_l("From"), name="from", accept_iso=True, subject=_l("The ‘from’ date"))
    end = DateInputField(_l("To"), name="to", accept_iso=True, subject=_l("The ‘to’ date"))

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The ‘to’ date must be the same as or after the ‘from’ date."))
