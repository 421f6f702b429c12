"""The page that imports families from a case list: upload a file, see every problem or what it stored.

For the roles of the family pages (practitioners, admins), not researchers: a case list holds
names, phone numbers and email addresses that only the family pages show, and it creates and
changes families. Practitioners import rows of their own sites only (another site's code is a
problem like an unknown one, so nothing is stored); admins import for every site. A file larger
than the app's upload limit goes through ``flask import-families``.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import BooleanField

from ..staff.access import FAMILY_PAGES, may_use, require_roles, visible_site_ids
from .case_file import COLUMNS, Problem
from .eligibility import MEMBER_ROLES
from .importing import LONG_PAST_MONTHS, FamilyImport, import_families
from .models import CHANNELS

bp = Blueprint("family_imports", __name__, url_prefix="/staff/families/import", template_folder="templates")


class FamilyImportForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose the file to import.")),
                                             FileAllowed(["csv", "xlsx"], _l("Choose a .csv or .xlsx file."))])
    skip_long_past = BooleanField(_l("Do not plan waves for families whose windows are long past (support ended more "
                                     "than %(months)s months ago): record them closed", months=LONG_PAST_MONTHS))
    check_only = BooleanField(_l("Only check the file and say what importing it would do: store nothing"))


@bp.route("", methods=["GET", "POST"])
@require_roles(*FAMILY_PAGES)
def index():
    form = FamilyImportForm()
    outcome = None
    if form.validate_on_submit():
        outcome = import_families(form.file.data.read(), current_user, visible_site_ids(),
                                  check_only=form.check_only.data, skip_long_past=form.skip_long_past.data)
        if outcome.status == "imported":
            flash(outcome.summary())
            return redirect(url_for(".index"))
    status = 422 if request.method == "POST" and (outcome is None or outcome.status == "refused") else 200
    return _page(form, outcome, status)


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge):
    """The page again, saying so (the role check is made here: the upload is refused before the view)."""
    if not (current_user.is_authenticated and current_user.is_active and may_use(current_user, FAMILY_PAGES)):
        return error
    limit = current_app.config["MAX_CONTENT_LENGTH"] / 2**20
    message = _("The file is larger than %(limit)s MB, the most this page takes. Split it into smaller files, each "
                "starting with the heading row, or ask an administrator to import it with flask import-families.",
                limit=format(limit, "g"))
    return _page(FamilyImportForm(formdata=None), FamilyImport("refused", [Problem(None, None, message)]), 413)


def _page(form: FamilyImportForm, outcome: FamilyImport | None, status: int):
    return render_template("families/import.html", form=form, outcome=outcome, columns=COLUMNS, roles=MEMBER_ROLES,
                           channels=CHANNELS, long_past_months=LONG_PAST_MONTHS), status
