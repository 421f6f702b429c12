"""Forms for the partner agency pages. The sites to choose from depend on the user, so the view sets them.

Staff pages are not translated, so labels and messages are plain English.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from .models import CONTACT_ROLES, SECTORS

YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]


class SiteCheckboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AgencyForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired("Enter the agency's name."),
                                           Length(max=200, message="Use at most 200 characters.")])
    sector = SelectField("Sector", choices=[SelectChoice(key, label) for key, label in SECTORS.items()],
                         invalid_choice_message="Choose a sector from the list.")
    site_ids = SiteCheckboxes("Sites it works with", coerce=int,
                              validators=[InputRequired("Choose at least one site the agency works with.")],
                              invalid_choice_message="Choose among your sites.")
    active = RadioField("Working with the service now", choices=YES_NO, default="yes",
                        validators=[InputRequired("Choose whether the agency works with the service now.")])


class ContactForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired("Enter the contact's name."),
                                           Length(max=120, message="Use at most 120 characters.")])
    role = SelectField("Role", choices=[SelectChoice(key, label) for key, label in CONTACT_ROLES.items()],
                       invalid_choice_message="Choose a role from the list.")
    email = StringField("Email address", validators=[
        InputRequired("Enter the contact's email address."), Length(max=254, message="Use at most 254 characters."),
        Email("Enter an email address like name@example.org.")],
        filters=[lambda value: value.strip().lower() if value else value])
    consent = RadioField("Has agreed to be surveyed", choices=YES_NO,
                         validators=[InputRequired("Choose whether the contact agreed to be surveyed.")])
    active = RadioField("Still in this role", choices=YES_NO, default="yes",
                        validators=[InputRequired("Choose whether the contact is still in this role.")])


class EditContactForm(ContactForm):
    clear_opt_out = BooleanField("They asked to be emailed again: clear their opt-out")


class ImportContactsForm(FlaskForm):
    file = FileField("File", validators=[FileRequired("Choose the file to import."),
                                         FileAllowed(["csv"], "Choose a .csv file (save the sheet as “CSV UTF-8”).")])
    check_only = BooleanField("Only check the file: change nothing")
