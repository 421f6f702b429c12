"""The managers' reports page: pick sites, a period and a cohort; see each report as a chart with
its table beside it; download it as CSV or XLSX.

Managers and researchers see only their own sites (admins every site). Small numbers are hidden
unless a researcher or admin switches that off for internal use, which is recorded in the audit log
each time. The cost-benefit report's unit savings are changed here by managers and admins.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..audit.service import record
from ..extensions import db
from ..staff.access import REPORTS as REPORT_ROLES
from ..staff.access import UNIT_SAVINGS, UNSUPPRESSED_REPORTS, may_use, require_roles, visible_sites
from .catalogue import REPORTS, run_alongside, run_report
from . import pair_store
from .cost_benefit import OUTCOMES
from .data import SUBJECTS, Filters, cohort, describe
from .drawing import too_small_text
from .downloads import as_csv, as_xlsx
from .forms import ReportFilterForm, UnitSavingForm
from .protect import protect
from .savings import set_unit_saving, unit_savings
from .undated import undated_note

bp = Blueprint("reports", __name__, template_folder="templates")


def _protection() -> dict:
    settings = current_app.config["FEEDBACK_SETTINGS"]
    return {"threshold": settings.report_threshold, "width": settings.report_protection_width}


def _read_filters():
    """The filter form, and the Filters and options it gives (None while it has errors)."""
    form = ReportFilterForm(request.args)
    sites = visible_sites()
    form.sites.choices = [SelectChoice(site.id, site.name) for site in sites]
    if not form.validate():
        return form, None, {}, False
    granted = [site.id for site in sites]
    chosen = [site_id for site_id in (form.sites.data or []) if site_id in granted]
    if chosen:
        site_ids = tuple(chosen)
    else:
        # Nothing ticked: every site the user may see (all of them, for an admin).
        site_ids = None if current_user.is_admin else tuple(granted)
    filters = Filters(site_ids=site_ids, start=form.start.data, end=form.end.data, cohort=form.cohort.data or "exit")
    unsuppressed = bool(form.unsuppressed.data) and may_use(current_user, UNSUPPRESSED_REPORTS)
    options = {"programme_cost": float(form.programme_cost.data) if form.programme_cost.data is not None else None}
    return form, filters, options, unsuppressed


def _shown(name: str):
    kind = REPORTS.get(name)
    if kind is None:
        abort(404)
    form, filters, options, unsuppressed = _read_filters()
    if filters is None:
        return kind, form, None, unsuppressed
    with pair_store.one_page():
        report = run_report(name, filters, **options)
        alongside = [] if unsuppressed else run_alongside(name, filters, **options)
    names = {site.id: site.name for site in visible_sites()}
    shown = protect(report, suppress=not unsuppressed, filters_text=describe(filters, names, name), alongside=alongside,
                    **_protection())
    shown.missing_dates = undated_note(filters, name, _protection()["threshold"], suppress=not unsuppressed)
    if getattr(shown.chart_summary, "too_small", None):
        # No chart: every value is hidden. The sentence instead says how many families the page covers.
        shown.chart_summary.too_small = too_small_text(*_families_covered(name, filters, unsuppressed))
    if unsuppressed:
        record("report.unsuppressed", None, None, current_user.id, report=name,
               sites=list(filters.site_ids) if filters.site_ids is not None else "all",
               start=str(filters.start or ""), end=str(filters.end or ""), cohort=filters.cohort)
        db.session.commit()
    return kind, form, shown, unsuppressed


def _families_covered(name: str, filters: Filters, unsuppressed: bool) -> tuple[int | None, int | None, bool]:
    """How many families the page's cohort holds, the threshold, and whether small numbers are shown;
    no count for a report whose rows are not families."""
    if name in SUBJECTS:
        return None, None, False
    count = db.session.scalar(sa.select(sa.func.count()).select_from(cohort(filters).subquery()))
    return int(count or 0), _protection()["threshold"], unsuppressed


@bp.get("/staff/reports")
@require_roles(*REPORT_ROLES)
def index():
    form, _filters, _options, _unsuppressed = _read_filters()
    return render_template("reports/index.html", reports=list(REPORTS.values()), form=form,
                           query=request.query_string.decode(), may_unsuppress=may_use(current_user, UNSUPPRESSED_REPORTS))


@bp.get("/staff/reports/<name>")
@require_roles(*REPORT_ROLES)
def show(name: str):
    return _show_page(name)


def _show_page(name: str, saving_form: UnitSavingForm | None = None, refused_outcome: str | None = None,
               status: int = 200):
    """A report's page; for cost-benefit also its unit savings, with ``refused_outcome``'s row
    showing what was typed in ``saving_form`` and its problems."""
    kind, form, shown, unsuppressed = _shown(name)
    savings = None
    if name == "cost-benefit":
        savings = [(outcome, *unit_savings()[outcome.key]) for outcome in OUTCOMES]
    return render_template("reports/show.html", kind=kind, form=form, shown=shown, unsuppressed=unsuppressed,
                           query=request.query_string.decode(), reports=list(REPORTS.values()),
                           may_unsuppress=may_use(current_user, UNSUPPRESSED_REPORTS),
                           may_edit_savings=may_use(current_user, UNIT_SAVINGS), savings=savings,
                           saving_form=saving_form or UnitSavingForm(formdata=None),
                           refused_outcome=refused_outcome), status


@bp.get("/staff/reports/<name>/download/<fmt>")
@require_roles(*REPORT_ROLES)
def download(name: str, fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    # A download is data that leaves the app: in English whatever language the page is read in.
    with force_locale("en"):
        kind, _form, shown, unsuppressed = _shown(name)
    if shown is None:
        abort(400)
    stem = f"{name}{'-UNSUPPRESSED' if unsuppressed else ''}"
    if fmt == "csv":
        return Response(as_csv(shown), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
    return Response(as_xlsx(shown), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'})


@bp.post("/staff/reports/cost-benefit/savings/<outcome>")
@require_roles(*UNIT_SAVINGS)
def change_saving(outcome: str):
    """Change one unit saving. The form's address carries the page's filters, so the page comes
    back as it was; a refused change comes back at once (400) with what was typed and each problem
    beside its box, nothing lost behind a redirect."""
    if outcome not in {o.key for o in OUTCOMES}:
        abort(404)
    form = UnitSavingForm()
    if not form.validate_on_submit():
        return _show_page("cost-benefit", form, outcome, 400)
    set_unit_saving(outcome, form.amount_value, form.source.data, current_user.id)
    db.session.commit()
    flash(_("Unit saving changed."))
    query = request.query_string.decode()
    # Only this page's own address with the filters it was posted from: nothing else to go to.
    return redirect(url_for("reports.show", name="cost-benefit") + (f"?{query}" if query else ""))
