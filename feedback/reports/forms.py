"""The report filter (a GET form: it changes nothing, so it carries no CSRF token) and the form
that changes a unit saving (a POST, with one)."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms import BooleanField, DecimalField, RadioField, SelectMultipleField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..staff.date_input import DateInputField
from .savings import parse_amount


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReportFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that only reads; its values sit in the address like any search

    sites = MultiCheckboxField(_l("Sites"), coerce=int, validators=[Optional()])
    #: Day, month and year boxes (start-day, start-month, start-year); old links' start=2026-03-01 still work.
    start = DateInputField(_l("From"), subject=_l("Start date"), accept_iso=True)
    end = DateInputField(_l("To"), subject=_l("End date"), accept_iso=True)
    cohort = RadioField(_l("Families whose support"), choices=[SelectChoice("exit", _l("ended in the period")),
                                                               SelectChoice("entry", _l("started in the period"))],
                        default="exit")
    programme_cost = DecimalField(_l("Programme cost for the period (£)"), places=2,
                                  validators=[Optional(), NumberRange(min=0, max=1_000_000_000)])
    unsuppressed = BooleanField(_l("Show small numbers (internal use only; recorded in the audit log)"))

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_("The end of the period must not be before its start."))


class UnitSavingForm(FlaskForm):
    """One outcome's unit saving. A refused change is shown again with what was typed and each
    problem beside its box (``views.change_saving``), not lost behind a redirect."""

    # No InputRequired: an empty box gets the same words as a wrong one, from the checks below.
    amount = StringField(_l("Saving per individual (£)"), validators=[Length(max=20)])
    source = StringField(_l("Source of the figure"), validators=[Length(max=200)])

    def validate_amount(self, field):
        try:
            self.amount_value = parse_amount(field.data)
        except ValueError as error:
            raise ValidationError(_("Not changed: %(reason)s.", reason=error)) from None

    def validate_source(self, field):
        if not (field.data or "").strip():
            raise ValidationError(_("Not changed: %(reason)s.",
                                    reason=_("say where the figure comes from, so readers can judge it")))
