"""Forms for the family pages. Choices that depend on the user (sites, key workers) are set by the view.

Labels and messages are lazy (``_l``): the staff catalogue gives them in the page's language.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from ..languages import staff_language_label, ui_languages
from ..staff import words
from ..staff.date_input import MONTH_YEAR, DateInputField
from .eligibility import MEMBER_ROLES
from .models import CHANNELS, CONSENT_PARTIES, CONSENT_PURPOSES
from .service import local_today

NO_ONE = 0  # the "no key worker" / "whole family" choice of a select whose values are ids
# The words are ``staff.words``'s (one place says how a code reads); these are the forms' choices of them.
CHANNEL_LABELS = words.CHANNEL_LABELS
#: One label per code of ``MEMBER_ROLES``, in its order (the codes are stored; only these words are shown).
ROLE_LABELS = {role: words.ROLE_LABELS[role] for role in MEMBER_ROLES}
PURPOSE_LABELS = words.CONSENT_PURPOSE_LABELS
PARTY_LABELS = words.CONSENT_PARTY_LABELS
#: The statuses a family's edit form offers (the stored codes).
STATUS_LABELS = {status: words.FAMILY_STATUS_LABELS[status] for status in ("open", "closed")}
#: The longest a member's preferred interview times may be (``Member.interview_times``).
INTERVIEW_TIMES_MAX = 200


def language_label(code: str | None) -> str:
    return staff_language_label(code) if code else ""


def options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def email_field(label: str) -> StringField:
    """An optional address, checked for its form only: whether mail reaches it shows at the first send."""
    return StringField(label, filters=[stripped], render_kw={"autocomplete": "off", "spellcheck": "false"},
                       validators=[Optional(), Length(max=254, message=_l("Use at most 254 characters.")),
                                   Email(_l("Enter an email address like name@example.org."))])


def optional_date(label: str, subject: str) -> DateInputField:
    """Day, month and year boxes; all blank is no date. ``subject`` names the date in its messages."""
    return DateInputField(label, subject=subject)


class FamilyDatesForm(FlaskForm):
    key_worker_id = SelectField(_l("Key worker"), coerce=int,
                                invalid_choice_message=_l("Choose a key worker from the list."))
    referral_date = optional_date(_l("Referral date"), _l("Referral date"))
    entry_date = optional_date(_l("Entry date (support started)"), _l("Entry date"))
    exit_date = optional_date(_l("Exit date (support ended)"), _l("Exit date"))

    def validate(self, extra_validators=None) -> bool:
        """The dates' order, said at the later date (the service refuses the same; on the same day is fine)."""
        valid = super().validate(extra_validators)
        referral, entry, exit_ = self.referral_date.data, self.entry_date.data, self.exit_date.data
        if entry and exit_ and exit_ < entry and not self.exit_date.errors:
            self.exit_date.errors.append(_l("Exit date must be after the entry date"))
            valid = False
        if referral and entry and entry < referral and not self.entry_date.errors:
            self.entry_date.errors.append(_l("Entry date must be after the referral date"))
            valid = False
        return valid


class NewFamilyForm(FamilyDatesForm):
    site_id = SelectField(_l("Site"), coerce=int, invalid_choice_message=_l("Choose one of your sites."))
    case_ref = StringField(_l("Case reference"), validators=[
        InputRequired(_l("Enter the case reference.")), Length(max=64, message=_l("Use at most 64 characters."))])


class EditFamilyForm(FamilyDatesForm):
    status = SelectField(_l("Status"), choices=options(STATUS_LABELS.items()))
    #: The version the page was built from: saving over someone else's change is refused.
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class MemberForm(FlaskForm):
    role = SelectField(_l("Role in the family"), choices=options(ROLE_LABELS.items()))
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120, message=_l("Use at most 120 characters."))])
    #: Stored as ``birth_year`` and ``birth_month``: a month and year say a child's age, a day is not needed.
    birth = DateInputField(_l("Month and year of birth"), subject=_l("Date of birth"), parts=MONTH_YEAR, past=True,
                           example=_l("For example, 6 1988"), messages={
                               "month": _l("Enter the month of birth as a number from 1 to 12"),
                               "past_year": _l("Year of birth must be in the past"),
                               "past": _l("Month of birth must be this month or earlier")})
    #: Choices are the app's languages, set when the form is made (they are the app's settings).
    language = SelectField(_l("Language"))
    channel = SelectField(_l("How to contact"), choices=options((c, CHANNEL_LABELS[c]) for c in CHANNELS))
    mobile = StringField(_l("Mobile number"), validators=[Optional(), Length(max=40)])
    # Not named ``email``: a form built from a member must never fill in the address in full.
    email_address = email_field(_l("Email address"))
    interview_times = StringField(_l("When a telephone interview suits them"), filters=[stripped], validators=[
        Optional(), Length(max=INTERVIEW_TIMES_MAX, message=_l("Use at most 200 characters."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = options((code, staff_language_label(code)) for code in ui_languages())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.birth.data and self.birth.data.year < 1900 and not self.birth.errors:
            self.birth.wrong_parts = {"year"}
            self.birth.errors.append(_l("Enter a year from 1900 on, for example 1988."))
            valid = False
        if self.channel.data == "email_link" and not self.email_address.errors and not self.will_have_email():
            self.email_address.errors.append(
                _l("Enter an email address to contact this member by email, or choose another way to contact them."))
            valid = False
        return valid

    def will_have_email(self) -> bool:
        """Whether the member has an address once this form is saved."""
        return bool(self.email_address.data)

    @property
    def birth_year_and_month(self) -> tuple[int | None, int | None]:
        """What is stored: ``(birth_year, birth_month)``, or ``(None, None)`` when left blank."""
        born = self.birth.data
        return (born.year, born.month) if born else (None, None)


class EditMemberForm(MemberForm):
    mobile = StringField(_l("New mobile number"), validators=[Optional(), Length(max=40)])
    remove_mobile = BooleanField(_l("Remove the mobile number"))
    email_address = email_field(_l("New email address"))
    remove_email = BooleanField(_l("Remove the email address"))
    clear_email_opt_out = BooleanField(_l("They asked to be emailed again: clear their unsubscribe"))
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    #: Set by the view: an address on record is kept when the field is left blank.
    email_on_record = False

    def will_have_email(self) -> bool:
        return not self.remove_email.data and (bool(self.email_address.data) or self.email_on_record)


class ConsentForm(FlaskForm):
    purpose = SelectField(_l("Consent to"), choices=options((p, PURPOSE_LABELS[p]) for p in CONSENT_PURPOSES))
    party = RadioField(_l("Decision by"), choices=options((p, PARTY_LABELS[p]) for p in CONSENT_PARTIES),
                       validators=[InputRequired(_l("Choose who made the decision."))])
    given = RadioField(_l("Decision"), choices=options([("yes", _l("Consent given")),
                                                        ("no", _l("Consent withdrawn or refused"))]),
                       validators=[InputRequired(_l("Choose whether consent was given."))])
    text_version = StringField(_l("Version of the consent text"), validators=[
        InputRequired(_l("Enter the version of the consent text (for example v1).")), Length(max=32)])


class PauseForm(FlaskForm):
    member_id = SelectField(_l("Whom to stop contacting"), coerce=int,
                            invalid_choice_message=_l("Choose a member of this family."))
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    #: The pause's last day; blank: until someone lifts it.
    ends_on = DateInputField(_l("Pause until"), subject=_l("The date the pause ends"))

    def validate(self, extra_validators=None) -> bool:
        """A pause cannot end before today (the service's day, in the UK): it would be lifted at once."""
        valid = super().validate(extra_validators)
        if self.ends_on.data and self.ends_on.data < local_today() and not self.ends_on.errors:
            self.ends_on.errors.append(_l("The date the pause ends must be today or later. "
                                          "Leave it blank to pause until someone lifts it."))
            valid = False
        return valid


class EraseForm(FlaskForm):
    case_ref = StringField(_l("Type the case reference to confirm"), validators=[
        InputRequired(_l("Type the case reference to confirm."))])


class ConfirmForm(FlaskForm):
    """A button only: the CSRF token is the whole form."""
