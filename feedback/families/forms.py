"""Forms for the family pages. Choices that depend on the user (sites, key workers) are set by the view.

Staff pages are not translated, so labels and messages are plain English.
"""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from ..languages import staff_language_label, ui_languages
from .eligibility import MEMBER_ROLES
from .models import CHANNELS, CONSENT_PARTIES, CONSENT_PURPOSES

NO_ONE = 0  # the "no key worker" / "whole family" choice of a select whose values are ids
CHANNEL_LABELS = {"sms_link": "Link by text", "sms_conversation": "Questions by text", "email_link": "Link by email",
                  "interview": "Telephone interview", "none": "Do not contact"}
ROLE_LABELS = {role: role.replace("_", " ").capitalize() for role in MEMBER_ROLES}
PURPOSE_LABELS = {"participation": "Taking part in surveys", "sms": "Being contacted by text",
                  "email": "Being contacted by email"}
PARTY_LABELS = {"self": "The member themself", "parent": "Their parent or carer"}


def language_label(code: str | None) -> str:
    return staff_language_label(code) if code else ""


def options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def email_field(label: str) -> StringField:
    """An optional address, checked for its form only: whether mail reaches it shows at the first send."""
    return StringField(label, filters=[stripped], render_kw={"autocomplete": "off", "spellcheck": "false"},
                       validators=[Optional(), Length(max=254, message="Use at most 254 characters."),
                                   Email("Enter an email address like name@example.org.")])


def optional_date(label: str) -> DateField:
    return DateField(label, validators=[Optional()], render_kw={"autocomplete": "off"})


class FamilyDatesForm(FlaskForm):
    key_worker_id = SelectField("Key worker", coerce=int, invalid_choice_message="Choose a key worker from the list.")
    referral_date = optional_date("Referral date")
    entry_date = optional_date("Entry date (support started)")
    exit_date = optional_date("Exit date (support ended)")


class NewFamilyForm(FamilyDatesForm):
    site_id = SelectField("Site", coerce=int, invalid_choice_message="Choose one of your sites.")
    case_ref = StringField("Case reference", validators=[
        InputRequired("Enter the case reference."), Length(max=64, message="Use at most 64 characters.")])


class EditFamilyForm(FamilyDatesForm):
    status = SelectField("Status", choices=options([("open", "Open"), ("closed", "Closed")]))
    #: The version the page was built from: saving over someone else's change is refused.
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class MemberForm(FlaskForm):
    role = SelectField("Role in the family", choices=options(ROLE_LABELS.items()))
    name = StringField("Name", validators=[Optional(), Length(max=120, message="Use at most 120 characters.")])
    birth_year = IntegerField("Birth year", validators=[
        Optional(), NumberRange(min=1900, message="Enter a year from 1900 on, for example 1988.")])
    birth_month = IntegerField("Birth month (1–12)", validators=[
        Optional(), NumberRange(1, 12, "Enter a month from 1 to 12.")])
    #: Choices are the app's languages, set when the form is made (they are the app's settings).
    language = SelectField("Language")
    channel = SelectField("How to contact", choices=options((c, CHANNEL_LABELS[c]) for c in CHANNELS))
    mobile = StringField("Mobile number", validators=[Optional(), Length(max=40)])
    # Not named ``email``: a form built from a member must never fill in the address in full.
    email_address = email_field("Email address")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = options((code, staff_language_label(code)) for code in ui_languages())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.birth_year.data and self.birth_year.data > date.today().year:
            self.birth_year.errors.append("The birth year is in the future. Check the year.")
            valid = False
        # An age needs both: a year alone would leave a child's age unknown.
        if (self.birth_year.data is None) != (self.birth_month.data is None) and not self.birth_year.errors \
                and not self.birth_month.errors:
            self.birth_month.errors.append("Enter both the birth year and the birth month, or neither.")
            valid = False
        if self.channel.data == "email_link" and not self.email_address.errors and not self.will_have_email():
            self.email_address.errors.append(
                "Enter an email address to contact this member by email, or choose another way to contact them.")
            valid = False
        return valid

    def will_have_email(self) -> bool:
        """Whether the member has an address once this form is saved."""
        return bool(self.email_address.data)


class EditMemberForm(MemberForm):
    mobile = StringField("New mobile number", validators=[Optional(), Length(max=40)])
    remove_mobile = BooleanField("Remove the mobile number")
    email_address = email_field("New email address")
    remove_email = BooleanField("Remove the email address")
    clear_email_opt_out = BooleanField("They asked to be emailed again: clear their unsubscribe")
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    #: Set by the view: an address on record is kept when the field is left blank.
    email_on_record = False

    def will_have_email(self) -> bool:
        return not self.remove_email.data and (bool(self.email_address.data) or self.email_on_record)


class ConsentForm(FlaskForm):
    purpose = SelectField("Consent to", choices=options((p, PURPOSE_LABELS[p]) for p in CONSENT_PURPOSES))
    party = RadioField("Decision by", choices=options((p, PARTY_LABELS[p]) for p in CONSENT_PARTIES),
                       validators=[InputRequired("Choose who made the decision.")])
    given = RadioField("Decision", choices=options([("yes", "Consent given"), ("no", "Consent withdrawn or refused")]),
                       validators=[InputRequired("Choose whether consent was given.")])
    text_version = StringField("Version of the consent text", validators=[
        InputRequired("Enter the version of the consent text (for example v1)."), Length(max=32)])


class PauseForm(FlaskForm):
    member_id = SelectField("Whom to stop contacting", coerce=int, invalid_choice_message="Choose a member of this family.")
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=2000)])


class EraseForm(FlaskForm):
    case_ref = StringField("Type the case reference to confirm", validators=[
        InputRequired("Type the case reference to confirm.")])


class ConfirmForm(FlaskForm):
    """A button only: the CSRF token is the whole form."""
