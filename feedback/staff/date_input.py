"""A typed date as the GOV.UK Design System's "Date input": three boxes (day, month, year) in a fieldset.

``DateInputField`` reads ``<name>-day``, ``<name>-month`` and ``<name>-year`` from the form data; its
``data`` is a ``datetime.date``, or None when all three are blank (an optional date left empty). It
renders the whole question (legend, hint "For example, 27 3 2026", one error message for the date,
then the three boxes with ``inputmode="numeric"``): ``{{ form.entry_date(hint=_("…")) }}``. An error
summary links to ``field.anchor_id`` (the day box, ``<name>-day``).

Each problem has its own message, naming the date by ``subject`` ("Entry date must include a month",
"… must be a real date", "… must include a year with 4 numbers"). Server-side checks are the rule: no
script is involved. ``accept_iso=True`` also reads ``<name>=YYYY-MM-DD`` (old links to a GET form).

``parts=MONTH_YEAR`` asks for a month and year only (a date of birth): two boxes, ``data`` the first of
that month. ``messages`` replaces a message by its kind: ``"real"``, ``"month"`` (a month not from 1
to 12; otherwise "… must be a real date"), ``"past"`` and ``"past_year"`` (a month-and-year date whose
year is after this one).
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms.fields import Field
from wtforms.utils import unset_value
from wtforms.validators import ValidationError

PARTS = ("day", "month", "year")
#: The boxes of a date asked for as a month and year only.
MONTH_YEAR = ("month", "year")
PART_LABELS = {"day": _l("Day"), "month": _l("Month"), "year": _l("Year")}
PART_WIDTHS = {"day": "width-2", "month": "width-2", "year": "width-4"}


def missing_message(subject, missing: list[str]) -> str:
    """"Entry date must include a month" (or "a day and year" …): the parts left blank, in order."""
    messages = {
        ("day",): _("%(subject)s must include a day", subject=subject),
        ("month",): _("%(subject)s must include a month", subject=subject),
        ("year",): _("%(subject)s must include a year", subject=subject),
        ("day", "month"): _("%(subject)s must include a day and month", subject=subject),
        ("day", "year"): _("%(subject)s must include a day and year", subject=subject),
        ("month", "year"): _("%(subject)s must include a month and year", subject=subject),
    }
    return messages[tuple(missing)]


class DateInputWidget:
    """The question: a fieldset whose legend is the label, a hint with an example, errors, three boxes."""

    def __call__(self, field: "DateInputField", hint=None, example=True, **kwargs) -> Markup:
        field_id = escape(field.id)
        errors = list(field.errors)
        described = []
        if example:
            whole = field.parts == PARTS
            example = field.example or (_("For example, 27 3 2026") if whole else _("For example, 3 2026"))
        hint_text = " ".join(str(text) for text in (hint, example) if text)
        out = [Markup('<div class="question govuk-form-group{}">').format(" has-error" if errors else "")]
        if hint_text:
            described.append(f"{field_id}-hint")
        if errors:
            described.append(f"{field_id}-error")
        described_by = Markup(' aria-describedby="{}"').format(" ".join(described)) if described else ""
        out.append(Markup('<fieldset class="govuk-fieldset" role="group"{}>').format(described_by))
        out.append(Markup('<legend class="govuk-fieldset__legend">{}</legend>').format(field.label.text))
        if hint_text:
            out.append(Markup('<p class="hint" id="{}-hint">{}</p>').format(field_id, hint_text))
        for message in errors:
            out.append(Markup('<p class="error-message" id="{}-error"><span class="visually-hidden">{}</span> {}</p>')
                       .format(field_id, _("Error:"), message))
        out.append(Markup('<div class="date-parts govuk-date-input" id="{}">').format(field_id))
        for part in field.parts:
            box_id = f"{field.id}-{part}"
            wrong = errors and (part in field.wrong_parts or not field.wrong_parts)
            classes = PART_WIDTHS[part] + (" govuk-input--error" if wrong else "")
            out.append(Markup('<div class="govuk-date-input__item">'
                              '<label class="govuk-label" for="{id}">{label}</label>'
                              '<input class="{classes}" id="{id}" name="{name}" type="text" inputmode="numeric" '
                              'autocomplete="off" value="{value}"></div>').format(
                id=box_id, name=f"{field.name}-{part}", label=PART_LABELS[part], classes=classes,
                value=field.part_values.get(part, "")))
        out.append(Markup("</div></fieldset></div>"))
        return Markup("").join(out)


class DateInputField(Field):
    """A date typed as day, month and year. ``subject`` names it in messages (default: the label).

    ``required``: all three blank is an error (``required_message``); otherwise blank gives None.
    ``past``: a date after today is refused ("… must be today or in the past"); for a month and
    year, a month after this one.
    ``parts``: ``PARTS`` (day, month and year) or ``MONTH_YEAR``; ``example``: the hint's example
    (default: one for the parts asked); ``messages``: messages replaced by kind (see the module).
    """
    widget = DateInputWidget()

    def __init__(self, label=None, validators=None, *, subject=None, required=False, required_message=None,
                 past=False, accept_iso=False, parts=PARTS, example=None, messages=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        if tuple(parts) not in (PARTS, MONTH_YEAR):
            raise ValueError(f"parts must be {PARTS} or {MONTH_YEAR}")
        self.parts = tuple(parts)
        self.example = example
        self.messages = dict(messages or {})
        self.subject = subject or label
        self.required = required
        self.required_message = required_message
        self.past = past
        self.accept_iso = accept_iso
        self.part_values: dict[str, str] = {}
        self.wrong_parts: set[str] = set()
        self._formdata = None

    @property
    def anchor_id(self) -> str:
        """Where an error summary's link for this date goes: its first box (the day's, or the month's)."""
        return f"{self.id}-{self.parts[0]}"

    def message(self, kind: str, default: str) -> str:
        """``default``, unless the field was given its own message of this kind."""
        return str(self.messages[kind]) if kind in self.messages else default

    def process(self, formdata, data=unset_value, extra_filters=None):
        self._formdata = formdata  # process_formdata reads the three boxes from it
        super().process(formdata, data, extra_filters)

    def process_data(self, value):
        self.data = value if isinstance(value, date) else None
        self.part_values = ({part: str(getattr(value, part)) for part in self.parts} if self.data else {})

    def process_formdata(self, valuelist):
        formdata = self._formdata
        parts = self.parts
        values = {part: (formdata.get(f"{self.name}-{part}") or "").strip() for part in parts}
        if not any(values.values()) and self.accept_iso and valuelist and (valuelist[0] or "").strip():
            try:  # an old link: start=2026-03-01
                typed = date.fromisoformat(valuelist[0].strip())
            except ValueError:
                typed = None
            if typed:
                values = {part: str(getattr(typed, part)) for part in parts}
            else:
                self.part_values, self.data, self.raw_data = {}, None, [valuelist[0]]
                self.wrong_parts = set(parts)
                raise ValueError(self.message("real", _("%(subject)s must be a real date", subject=self.subject)))
        self.part_values = values
        self.wrong_parts = set()
        # Optional() and InputRequired() look at raw_data: blank only when every box is.
        self.raw_data = [" ".join(value for value in values.values() if value)]
        self.data = None
        if not any(values.values()):
            return
        missing = [part for part in parts if not values[part]]
        if missing:
            self.wrong_parts = set(missing)
            raise ValueError(missing_message(self.subject, missing))
        real = _("%(subject)s must be a real date", subject=self.subject)
        if not all(value.isdigit() and value.isascii() for value in values.values()):
            self.wrong_parts = {part for part in parts if not (values[part].isdigit() and values[part].isascii())}
            if self.wrong_parts == {"month"} and "month" in self.messages:
                raise ValueError(self.message("month", real))
            raise ValueError(self.message("real", real))
        if len(values["year"]) != 4:
            self.wrong_parts = {"year"}
            raise ValueError(_("%(subject)s must include a year with 4 numbers, for example 2026",
                               subject=self.subject))
        if int(values["month"]) not in range(1, 13) and "month" in self.messages:
            self.wrong_parts = {"month"}
            raise ValueError(self.message("month", real))
        try:
            self.data = date(int(values["year"]), int(values["month"]), int(values.get("day", 1)))
        except ValueError:
            self.wrong_parts = ({"day", "month"} if int(values["month"]) in range(1, 13) else {"month"}) & set(parts)
            raise ValueError(self.message("real", real)) from None

    def pre_validate(self, form):
        if self.process_errors:
            return
        if self.data is None and self.required and not any(self.part_values.values()):
            subject = str(self.subject)  # "Enter the entry date"
            raise ValidationError(self.required_message
                                  or _("Enter the %(subject)s", subject=subject[:1].lower() + subject[1:]))
        if self.data and self.past:
            today = date.today()
            if self.parts == MONTH_YEAR and self.data.year > today.year and "past_year" in self.messages:
                self.wrong_parts = {"year"}
                raise ValidationError(self.message("past_year", ""))
            if self.data > (today.replace(day=1) if self.parts == MONTH_YEAR else today):
                self.wrong_parts = set() if self.parts == PARTS else {"month", "year"}
                raise ValidationError(self.message("past", _("%(subject)s must be today or in the past",
                                                             subject=self.subject)))

