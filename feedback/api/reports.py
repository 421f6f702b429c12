"""/api/v1/reports: the managers' reports, for the client's sites, as protected figures in JSON.

A report is built exactly as the staff page builds it (``reports.catalogue.run_report`` and the
reports published with it, ``reports.protect.protect`` with the site's threshold and protection
width, ``reports.undated.undated_note``), always with small numbers hidden: a client never has the
"show small numbers" switch. What the page hides is returned as a marker, never as the value: a
hidden cell is ``{"value": null, "hidden": true, "code": "<10" | "[c]", "reason": …}`` with the
page's own mark, so the JSON says no more than the page or its CSV download.

The filters are the page's: sites (by code, the client's own: another site is 404, as everywhere
in the API), a period and a cohort, and the programme cost of the cost-benefit report. Text is in
English, as the page's downloads are. Every call is audited (``api.called``) with the report and
the filters, as the page's audited views record them.
"""
from __future__ import annotations

import math

import sqlalchemy as sa
from flask import current_app, g
from flask_babel import LazyString, force_locale
from flask_smorest import Blueprint

from ..extensions import db
from ..reports.catalogue import REPORTS, run_alongside, run_report
from ..reports.cost_benefit import NAME as COST_BENEFIT
from ..reports.data import Filters, describe
from ..reports.protect import HIDDEN, protect, to_json
from ..reports.undated import undated_note
from ..staff.models import Site
from .auth import current_client, protect as protect_blueprint, requires, security
from .problems import ApiProblem
from .schemas import ReportListSchema, ReportQuerySchema, ReportSchema

blp = protect_blueprint(Blueprint("api_reports", __name__, url_prefix="/api/v1/reports",
                                  description="The managers' reports for the client's sites, small numbers hidden."))

#: Why a cell is hidden, by the page's mark for it.
SMALL, PROTECTING = "small", "protecting"
REASONS = {SMALL: "A count below the threshold: shown on the page as <threshold.",
           PROTECTING: f"Hidden ({HIDDEN}) so that no hidden count can be worked out from what is shown."}

#: The filters every report takes (query parameters), and the one only cost-benefit takes.
FILTERS = [
    {"name": "site", "description": "A site code of the client's; repeat for several. Default: all of them."},
    {"name": "start", "description": "First day of the period (YYYY-MM-DD)."},
    {"name": "end", "description": "Last day of the period (YYYY-MM-DD)."},
    {"name": "cohort", "description": "Families whose support ended (exit, the default) or started (entry) in "
                                      "the period."},
]
PROGRAMME_COST = {"name": "programme_cost", "description": "Programme cost for the period in £ (0 to 1,000,000,000)."}


def _protection() -> dict:
    settings = current_app.config["FEEDBACK_SETTINGS"]
    return {"threshold": settings.report_threshold, "width": settings.report_protection_width}


@blp.get("")
@blp.response(200, ReportListSchema)
@blp.doc(summary="List the reports", **security("reports:read"))
@requires("reports:read")
def list_reports():
    """Each report's name (for /api/v1/reports/{name}), title, summary and the filters it takes."""
    with force_locale("en"):
        items = [{"name": kind.name, "title": str(kind.title), "summary": str(kind.summary),
                  "filters": FILTERS + ([PROGRAMME_COST] if kind.name == COST_BENEFIT else [])}
                 for kind in REPORTS.values()]
    return {"items": items}


@blp.get("/<name>")
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, ReportSchema)
@blp.doc(summary="Read a report's figures, small numbers hidden", **security("reports:read"))
@requires("reports:read")
def get_report(query, name):
    """The report's tables as the staff page shows them for the same filters: each cell shown, or
    hidden with the page's mark ("<10" for a small count, "[c]" for a figure hidden to protect one)."""
    if name not in REPORTS:
        raise ApiProblem(404, "There is no report of that name. GET /api/v1/reports lists them.")
    client = current_client()
    sites = {site.code.lower(): site for site in client.sites}
    wanted = query.get("site") or []
    if any(code.lower() not in sites for code in wanted):
        # Another site's code and a code that does not exist alike, as for a family.
        raise ApiProblem(404, "Nothing is found at this address for this client.")
    chosen = [sites[code.lower()] for code in dict.fromkeys(wanted)] or list(client.sites)
    filters = Filters(site_ids=tuple(sorted({site.id for site in chosen})), start=query.get("start"),
                      end=query.get("end"), cohort=query.get("cohort") or "exit")
    options = {"programme_cost": query.get("programme_cost") if name == COST_BENEFIT else None}
    g.api_audit_detail = {"report": name, "sites": sorted(site.code for site in chosen),
                          "start": str(filters.start or ""), "end": str(filters.end or ""), "cohort": filters.cohort}
    with force_locale("en"):  # words as in the page's downloads: English, whatever the caller's language
        return _texts(shown_json(name, filters, options, {site.id: site.name for site in chosen}))


def shown_report(name: str, filters: Filters, options: dict, site_names: dict[int, str]):
    """The report as the staff page shows it to a manager of those sites (small numbers hidden)."""
    protection = _protection()
    with force_locale("en"):
        shown = protect(run_report(name, filters, **options), suppress=True,
                        filters_text=describe(filters, site_names, name),
                        alongside=run_alongside(name, filters, **options), **protection)
        shown.missing_dates = undated_note(filters, name, protection["threshold"], suppress=True)
    return shown


def shown_json(name: str, filters: Filters, options: dict, site_names: dict[int, str]) -> dict:
    shown = shown_report(name, filters, options, site_names)
    body = to_json(shown)  # the command line's JSON: the same words and columns
    body.pop("report")
    body["tables"] = [{**table, "rows": [{column.name: _cell(cell) for column, cell in zip(source.columns, row)}
                                         for row in source.rows]}
                      for table, source in zip(body["tables"], shown.tables)]
    codes = dict(db.session.execute(sa.select(Site.id, Site.code).where(Site.id.in_(filters.site_ids))).all())
    return {"name": name, **body, "threshold": _protection()["threshold"],
            "selection": {"sites": sorted(codes.values()), "start": filters.start, "end": filters.end,
                          "cohort": filters.cohort}}


def _texts(value):
    """Translated words made text now, in the locale in force (not when the response is written)."""
    if isinstance(value, dict):
        return {key: _texts(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_texts(item) for item in value]
    return str(value) if isinstance(value, LazyString) else value


def _cell(cell) -> dict:
    if cell.suppressed:
        reason = SMALL if cell.text.startswith("<") else PROTECTING
        return {"value": None, "text": cell.text, "hidden": True, "code": cell.text, "reason": reason}
    return {"value": _plain(cell.value), "text": cell.text, "hidden": False}


def _plain(value):
    """A shown value as JSON holds it: numbers from pandas as Python's, no NaN."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
