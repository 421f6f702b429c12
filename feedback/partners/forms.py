"""Forms for the partner agency pages. The sites to choose from depend on the user, so the view sets them.

Labels and messages are read in the staff page's language (``_l``: looked up when the form is drawn).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..staff.words import ROLE_LABELS as STAFF_WORDS_ROLES
from .models import CONTACT_ROLES, SECTORS

YES_NO = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]
#: The words staff pages show for ``models.SECTORS`` and ``CONTACT_ROLES``, in the page's language.
#: Those stay English: reports, downloads and the command line use them.
SECTOR_LABELS = {"education": _l("Education"), "health": _l("Health"), "police": _l("Police"),
                 "housing": _l("Housing"), "social_care": _l("Social care"), "voluntary": _l("Voluntary sector"),
                 "other": _l("Other")}
#: Contacts' roles read as staff roles do: one table of role words (``staff.words.ROLE_LABELS``).
ROLE_LABELS = {code: STAFF_WORDS_ROLES[code] for code in CONTACT_ROLES}
assert SECTOR_LABELS.keys() == SECTORS.keys() and ROLE_LABELS.keys() == CONTACT_ROLES.keys()


class SiteCheckboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AgencyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(_l("Enter the agency's name.")),
                                               Length(max=200, message=_l("Use at most 200 characters."))])
    sector = SelectField(_l("Sector"), choices=[SelectChoice(key, label) for key, label in SECTOR_LABELS.items()],
                         invalid_choice_message=_l("Choose a sector from the list."))
    site_ids = SiteCheckboxes(_l("Sites it works with"), coerce=int,
                              validators=[InputRequired(_l("Choose at least one site the agency works with."))],
                              invalid_choice_message=_l("Choose among your sites."))
    active = RadioField(_l("Working with the service now"), choices=YES_NO, default="yes",
                        validators=[InputRequired(_l("Choose whether the agency works with the service now."))])


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(_l("Enter the contact's name.")),
                                               Length(max=120, message=_l("Use at most 120 characters."))])
    role = SelectField(_l("Role"), choices=[SelectChoice(key, label) for key, label in ROLE_LABELS.items()],
                       invalid_choice_message=_l("Choose a role from the list."))
    email = StringField(_l("Email address"), validators=[
        InputRequired(_l("Enter the contact's email address.")),
        Length(max=254, message=_l("Use at most 254 characters.")),
        Email(_l("Enter an email address like name@example.org."))],
        filters=[lambda value: value.strip().lower() if value else value])
    consent = RadioField(_l("Has agreed to be surveyed"), choices=YES_NO,
                         validators=[InputRequired(_l("Choose whether the contact agreed to be surveyed."))])
    active = RadioField(_l("Still in this role"), choices=YES_NO, default="yes",
                        validators=[InputRequired(_l("Choose whether the contact is still in this role."))])


class EditContactForm(ContactForm):
    clear_opt_out = BooleanField(_l("They asked to be emailed again: clear their opt-out"))


class ImportContactsForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose the file to import.")),
                                             FileAllowed(["csv"], _l("Choose a .csv file (save the sheet as “CSV UTF-8”)."))])
    check_only = BooleanField(_l("Only check the file: change nothing"))
