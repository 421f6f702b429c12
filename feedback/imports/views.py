"""The researcher's import page: upload a file, see every problem in it or what it stored.

Researchers import rows of the sites granted to them only (a row of another site is a problem
like any other, so nothing is stored); admins import for every site. Uploads are limited by the
app's MAX_CONTENT_LENGTH (refused with the page and what to do); a larger file goes through
``flask import-responses``.
"""
from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..staff.access import IMPORTS, may_use, require_roles, visible_site_ids
from .choices import (ImportChoiceError, check_wave, chosen_instrument, default_wave, importable_instruments,
                      wave_titles, waves_for)
from .forms import ImportForm
from .models import ImportBatch
from .reading import MAX_FILE_BYTES, MAX_ROWS
from .service import Outcome, import_responses
from .summary import capped, group_problems
from .family_dates import FAMILY_DATE_COLUMNS
from .validation import KEY_COLUMNS, PARTNER_COLUMNS, ROLE_COLUMN, Problem, Report, answered_for

bp = Blueprint("imports", __name__, url_prefix="/staff/imports", template_folder="templates")
RECENT = 20


def _form(**kwargs) -> ImportForm:
    """The upload form. No instrument or wave is chosen for staff (a wrong guess files forms under the
    wrong wave), except the only instrument there is, or the one of ``?instrument=<id>:<version>`` (the
    table of instruments links so), and then the wave only when exactly one wave asks that instrument."""
    instruments = importable_instruments()
    form = ImportForm(**kwargs)
    form.instrument.choices = [SelectChoice(f"{i.id}:{i.version}", f"{i.title.get('en')} ({i.id} v{i.version})")
                               for i in instruments]
    if len(instruments) != 1:
        form.instrument.choices.insert(0, SelectChoice("", _("Choose an instrument")))
    form.wave.choices = [SelectChoice("", _("Choose a wave")),
                         *(SelectChoice(wave, f"{wave} – {title}") for wave, title in wave_titles().items())]
    if form.is_submitted() and kwargs.get("formdata", True) is not None:
        return form  # what was posted stays as posted, even a wave left to choose
    chosen = request.args.get("instrument", "")
    if len(instruments) == 1:
        chosen = f"{instruments[0].id}:{instruments[0].version}"
    instrument = next((i for i in instruments if f"{i.id}:{i.version}" == chosen), None)
    if instrument is not None:
        form.instrument.data = chosen
        form.wave.data = default_wave(instrument)
    return form


@bp.route("", methods=["GET", "POST"])
@require_roles(*IMPORTS)
def index():
    form = _form()
    outcome = None
    if form.validate_on_submit():
        instrument_id, _colon, version = form.instrument.data.rpartition(":")
        instrument = chosen_instrument(instrument_id, int(version))
        try:
            check_wave(form.wave.data, instrument)
        except ImportChoiceError as error:
            form.wave.errors = [*form.wave.errors, str(error)]
            return _page(form, None, 422)
        upload = form.file.data
        outcome = import_responses(upload.read(), upload.filename, instrument, form.wave.data, current_user,
                                   visible_site_ids())
        if outcome.status != "refused":
            flash(outcome.summary())
            return redirect(url_for(".index"))
    return _page(form, outcome, 422 if request.method == "POST" else 200)


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge):
    """The page again, saying so: the upload is refused before its form can be read (and before the
    view's role check, so that check is made here)."""
    if not (current_user.is_authenticated and current_user.is_active and may_use(current_user, IMPORTS)):
        return error
    limit = current_app.config["MAX_CONTENT_LENGTH"] / 2**20
    message = _("The file is larger than %(limit)s MB, the most this page takes. Split it into smaller files (at "
                "most %(rows)s rows of answers each, each starting with the heading row), or ask an administrator "
                "to import it with flask import-responses (files up to %(largest)s MB).",
                limit=format(limit, "g"), rows=format(MAX_ROWS, ","), largest=MAX_FILE_BYTES // 2**20)
    # formdata=None: reading the posted form again would refuse again.
    return _page(_form(formdata=None), Outcome("refused", report=Report([], [Problem(None, None, message)])), 413)


def _page(form: ImportForm, outcome: Outcome | None, status: int):
    query = sa.select(ImportBatch).order_by(ImportBatch.imported_at.desc(), ImportBatch.id.desc()).limit(RECENT)
    if not current_user.is_admin:
        # A batch may span sites; a researcher sees the ones they made.
        query = query.where(ImportBatch.imported_by_id == current_user.id)
    batches = db.session.scalars(query).all()
    instruments = [(i, answered_for(i), waves_for(i)) for i in importable_instruments()]
    return render_template("imports/index.html", form=form, outcome=outcome, batches=batches,
                           instruments=instruments, max_rows=MAX_ROWS), status


@bp.get("/<instrument_id>/v<int:version>/headings.csv")
@require_roles(*IMPORTS)
def headings(instrument_id: str, version: int):
    """A CSV with just the heading row an instrument version's file needs, to fill in."""
    instrument = next((i for i in importable_instruments() if i.key == (instrument_id, version)), None)
    if instrument is None:
        abort(404)
    kind = answered_for(instrument)
    if kind == "partner":
        # Anonymous: no site, family or member; its own ``role`` question is among the items.
        columns = list(PARTNER_COLUMNS)
    else:
        columns = [name for name in KEY_COLUMNS if not (name == "member_ref" and kind == "family")]
    if kind not in ("family", "partner"):
        columns.append(ROLE_COLUMN)
    if kind != "partner":
        columns += FAMILY_DATE_COLUMNS
    out = io.StringIO()
    csv.writer(out).writerow(columns + [item.id for item in instrument.items])
    # The byte-order mark tells Excel the file is UTF-8.
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={instrument_id}-v{version}.csv"})


# Every import page (responses, families, partner contacts) shows its file's problems the same way
# (``templates/_file_problems.html``).
bp.add_app_template_global(capped, "capped_problems")
bp.add_app_template_global(group_problems, "grouped_problems")
