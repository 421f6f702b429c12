"""WTForms for one survey page, built from the instrument's visible items.

Each field turns what was posted into the value stored for the item, or an error written for the
respondent: what was wrong and what to do.  Field names are item ids, so a posted name that is
not a field on this page is tampering and is refused before anything is saved.
"""
from __future__ import annotations

from datetime import date

from flask_babel import get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF, generate_csrf
from markupsafe import Markup
from wtforms import Field, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..free_text import clean_free_text
from ..instruments import Item
from ..instruments.definition import FREE_TEXT_TYPES
from ..timeutil import utcnow
from .bidi import date_words, isolated, number_words
from .numbers import read_number

MISSING_SUFFIX = "__missing"
DATE_PARTS = ("day", "month", "year")
#: Names a page form may receive besides its fields.
CONTROL_FIELDS = {"csrf_token"}
INCOMPLETE_DATE = {
    "day": _l("The date must include a day."),
    "month": _l("The date must include a month."),
    "year": _l("The date must include a year."),
}


class AnswerRadioField(RadioField):
    """Radio buttons that treat "nothing chosen" as unanswered and a forged code as an error."""

    def pre_validate(self, form):
        if self.data in (None, "", "None"):
            self.data = None
            return
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(_l("Choose one of the answers shown."))


class AnswerCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        known = {choice.value for choice in self.choices}
        if any(value not in known for value in self.data or []):
            raise ValidationError(_l("Choose from the answers shown."))


class DatePartsField(Field):
    """A date typed as day, month and year boxes, the pattern people find easiest on a phone."""

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        self.data = None
        self.parts = {part: "" for part in DATE_PARTS}
        if formdata is not None:
            self.parts = {part: formdata.get(f"{self.name}-{part}", "").strip() for part in DATE_PARTS}
            self.raw_data = [value for value in self.parts.values() if value]
        else:
            self.raw_data = []
            if data not in (unset_value, None) and isinstance(data, str):
                try:
                    parsed = date.fromisoformat(data)
                except ValueError:
                    parsed = None
                if parsed:
                    self.data = parsed
                    self.parts = {"day": str(parsed.day), "month": str(parsed.month), "year": str(parsed.year)}


def needs_answer(item: Item, language: str, named: bool = False) -> str:
    """What to say when a required question has no answer.

    The instrument's own words (``error`` in its file) when it gives them; otherwise words made
    from the question's type, such as "Enter a number between 0 and 10". ``named`` adds the
    question, for a screen of several questions, so no two messages in its summary read the same.
    """
    if item.error:
        return item.error.get(language)
    question = item.text.get(language)
    if item.type == "number":
        return _number_range(item, question if named else None)
    if item.type == "scale":
        low, high = number_words(item.minimum), number_words(item.maximum)
        if named:
            return isolated(_("Select a number from %(min)s to %(max)s for “%(question)s”"), min=low, max=high, question=question)
        return isolated(_("Select a number from %(min)s to %(max)s"), min=low, max=high)
    if item.type == "agreement":
        return _("Select how much you agree with “%(question)s”", question=question) if named \
            else _("Select how much you agree")
    if item.type == "yes_no":
        return _("Select yes or no for “%(question)s”", question=question) if named else _("Select yes or no")
    if item.type == "single_choice":
        return _("Select an answer for “%(question)s”", question=question) if named else _("Select an answer")
    if item.type == "multiple_choice":
        return _("Select at least one answer for “%(question)s”", question=question) if named \
            else _("Select at least one answer")
    if item.type == "date":
        return _("Enter a date for “%(question)s”, for example 27 3 2024", question=question) if named \
            else _("Enter a date, for example 27 3 2024")
    return _("Enter your answer to “%(question)s”", question=question) if named else _("Enter your answer")


def _number_range(item: Item, question: str | None) -> str:
    low, high = number_words(item.minimum), number_words(item.maximum)
    if question:
        return isolated(_("Enter a number between %(min)s and %(max)s for “%(question)s”"), min=low, max=high, question=question)
    return isolated(_("Enter a number between %(min)s and %(max)s"), min=low, max=high)


def _choices(item: Item, language: str, include_missing: bool):
    chosen = item.all_choices if include_missing else item.choices
    return [SelectChoice(str(choice.code), choice.label.get(language)) for choice in chosen]


def _field_for(item: Item, language: str) -> Field:
    label = item.text.get(language)
    description = item.hint.get(language) if item.hint else ""
    kwargs = {"label": label, "description": description}
    if item.type in ("single_choice", "agreement", "scale", "yes_no"):
        return AnswerRadioField(choices=_choices(item, language, True), **kwargs)
    if item.type == "multiple_choice":
        return AnswerCheckboxField(choices=_choices(item, language, False), **kwargs)
    if item.type == "date":
        return DatePartsField(**kwargs)
    if item.type == "long_text":
        return TextAreaField(**kwargs)
    return StringField(**kwargs)  # number and text are typed; parsed in ``item_value``


#: Built form classes by (instrument content hash, visible item ids, language). A published
#: version never changes, so a class never goes stale; the bound only guards against growth.
_FORM_CLASSES: dict[tuple, type[FlaskForm]] = {}
MAX_FORM_CLASSES = 1024


def page_form_class(items: tuple[Item, ...], language: str, instrument_hash: str) -> type[FlaskForm]:
    """A FlaskForm class (CSRF included) with a field per visible item on the page.

    Built once per page, set of visible items and language, then reused: making the class and
    WTForms' first binding of it cost more than filling in a form. Each request still gets its
    own form instance, with its own CSRF token, data and errors.
    """
    key = (instrument_hash, tuple(item.id for item in items), language)
    form_class = _FORM_CLASSES.get(key)
    if form_class is None:
        if len(_FORM_CLASSES) >= MAX_FORM_CLASSES:
            _FORM_CLASSES.clear()
        form_class = _FORM_CLASSES[key] = _build_form_class(items, language)
    return form_class


class _TokenWhenShown:
    """A form's CSRF token, signed only if the form's token field is drawn.

    WTForms signs a token for every form it builds; a page's template writes the token with
    ``csrf_token()`` (the same token, cached for the request by Flask-WTF), and a post that is
    saved draws nothing, so its token was signed for nothing. Checking a posted token does not use
    this object (CSRFProtect checks before the view; the form checks ``field.data``)."""

    __slots__ = ("secret_key", "token_key")

    def __init__(self, secret_key, token_key):
        self.secret_key, self.token_key = secret_key, token_key

    def __str__(self) -> str:
        return generate_csrf(secret_key=self.secret_key, token_key=self.token_key)

    def __html__(self) -> str:
        return Markup.escape(str(self))

    def __eq__(self, other) -> bool:
        return str(self) == other

    __hash__ = None


class _CSRFSignedWhenShown(_FlaskFormCSRF):
    def generate_csrf_token(self, csrf_token_field):
        return _TokenWhenShown(self.meta.csrf_secret, self.meta.csrf_field_name)


class _PageFormBase(FlaskForm):
    class Meta:
        csrf_class = _CSRFSignedWhenShown


def _build_form_class(items: tuple[Item, ...], language: str) -> type[FlaskForm]:
    class PageForm(_PageFormBase):
        pass

    for item in items:
        setattr(PageForm, item.id, _field_for(item, language))
        if item.missing_codes and item.type in ("number", "date", "text", "long_text"):
            setattr(PageForm, item.id + MISSING_SUFFIX,
                    AnswerRadioField(label=item.text.get(language),
                                     choices=[SelectChoice(str(c.code), c.label.get(language)) for c in item.missing_codes]))
    PageForm.items = items
    # Item ids start with a letter, so this name cannot clash with a field.
    PageForm._allowed_names = None  # filled in by the first ``allowed_names`` call
    return PageForm


def allowed_names(form: FlaskForm) -> frozenset[str]:
    """The names a post of this form may carry; the same for every instance of a page's class."""
    form_class = type(form)
    if getattr(form_class, "_allowed_names", None) is None:
        names = set(CONTROL_FIELDS)
        for field in form:
            if isinstance(field, DatePartsField):
                names.update(f"{field.name}-{part}" for part in DATE_PARTS)
            else:
                names.add(field.name)
        form_class._allowed_names = frozenset(names)
    return form_class._allowed_names


def form_data_for(items: tuple[Item, ...], answers: dict) -> dict:
    """Stored answers shaped as the form's initial data, so a page shows what was saved."""
    data = {}
    for item in items:
        if item.id not in answers:
            continue
        value = answers[item.id]
        if item.missing_codes and value in item.missing_code_values and item.type in ("number", "date", "text", "long_text"):
            data[item.id + MISSING_SUFFIX] = str(value)
        elif isinstance(value, list):
            data[item.id] = [str(code) for code in value]
        elif value is not None:
            data[item.id] = str(value) if not isinstance(value, str) else value
    return data


def read_answers(form: FlaskForm, items: tuple[Item, ...], language: str) -> tuple[dict, dict]:
    """(values, errors): the value to store per item id (None = unanswered), or an error message.

    On a screen of several questions each message names its question (see ``needs_answer``).
    """
    values, errors = {}, {}
    named = len(items) > 1
    for item in items:
        field = form[item.id]
        missing_field = form._fields.get(item.id + MISSING_SUFFIX)
        missing = missing_field.data if missing_field is not None else None
        try:
            value = item_value(item, field, language, named)
        except ValidationError as error:
            message = error.args[0]
            # Messages with numbers or dates in them are markup (values in <bdi>); others are text.
            errors[item.id] = message if isinstance(message, Markup) else str(message)
            continue
        if missing is not None:
            if value is not None:
                chosen = item.choice(int(missing))
                label = chosen.label.get(language) if chosen else missing
                errors[item.id] = _l("Either give an answer or choose “%(label)s”, not both.", label=label)
                continue
            value = int(missing)
        if value is None and item.required:
            errors[item.id] = needs_answer(item, language, named)
            continue
        values[item.id] = value
    return values, errors


def item_value(item: Item, field: Field, language: str = "en", named: bool = False):
    """Turn one field's data into the stored value; raise ValidationError with a helpful message."""
    for message in field.errors:
        raise ValidationError(message)
    if item.type in ("single_choice", "agreement", "scale", "yes_no"):
        if field.data is None:
            return None
        return next(choice.code for choice in item.all_choices if str(choice.code) == field.data)
    if item.type == "multiple_choice":
        picked = set(field.data or [])
        return [choice.code for choice in item.choices if str(choice.code) in picked] or None
    if item.type == "date":
        return _date_value(item, field)
    text = field.data or ""
    if item.type in FREE_TEXT_TYPES:
        text = clean_free_text(text)
    text = text.strip()
    if not text:
        return None
    if item.type == "number":
        return _number_value(item, text, item.text.get(language) if named else None, language)
    if item.max_length and len(text) > item.max_length:
        raise ValidationError(too_long(item.max_length, len(text)))
    return text


def too_long(limit: int, length: int) -> Markup:
    """Two sentences, each with its own count, so each noun takes the plural form its number needs
    (Polish: 1 znak, 2 znaki, 5 znaków)."""
    translations = get_translations()
    allowed = translations.ungettext("Your answer must be %(num)s character or fewer.",
                                     "Your answer must be %(num)s characters or fewer.", limit)
    typed = translations.ungettext("It is now %(num)s character.", "It is now %(num)s characters.", length)
    return isolated(allowed, num=limit) + " " + isolated(typed, num=length)


def _number_value(item: Item, text: str, question: str | None, language: str = "en"):
    try:
        # In the respondent's language's way of writing numbers: "2,5" in Polish is two and a
        # half, never 25 (``numbers``).
        number = read_number(text, language)
        if item.integer:
            if not number.is_integer():
                raise ValueError(text)
            number = int(number)
    except ValueError:
        if item.integer:
            raise ValidationError(_l("Enter a whole number, like 3.")) from None
        raise ValidationError(_l("Enter a number, like 3 or 2.5.")) from None
    if not (item.minimum <= number <= item.maximum):
        raise ValidationError(_number_range(item, question))
    return number


def _date_value(item: Item, field: DatePartsField):
    parts = field.parts
    if not any(parts.values()):
        return None
    if not all(parts.values()):
        missing = [part for part in DATE_PARTS if not parts[part]]
        raise ValidationError(INCOMPLETE_DATE[missing[0]])
    try:
        value = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        raise ValidationError(_l("Enter a real date, for example 27 3 2024.")) from None
    if value.year < 1900:
        raise ValidationError(_l("Enter the year as four digits, for example 2024."))
    if item.latest_today and value > utcnow().date():
        raise ValidationError(_l("The date must be today or in the past."))
    if item.earliest and value < item.earliest:
        raise ValidationError(isolated(_("The date must be on or after %(date)s."), date=date_words(item.earliest)))
    return value.isoformat()
