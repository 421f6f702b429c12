"""``flask report NAME``: one report, with small numbers hidden, as CSV or JSON on stdout.

``--show-small-numbers`` is the command line's "show small numbers" tick box: for internal use, audited
like the web page's, and the output says it is not for publication.
"""
from __future__ import annotations

import json
import sys
import time
from datetime import datetime

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from ..audit.service import record
from ..extensions import db
from ..staff.models import Site
from .catalogue import REPORTS, run_alongside, run_report
from .data import Filters, describe
from .downloads import as_csv
from .protect import protect, to_json
from .undated import undated_note

NOT_FOR_PUBLICATION = "small numbers are shown (internal use only)"


def _date(_ctx, _param, value):
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-03-31") from None


@click.command("report", help="Print report NAME for the chosen sites and period. "
                              f"Reports: {', '.join(REPORTS)}.")
@click.argument("name", type=click.Choice(list(REPORTS)))
@click.option("--site", "sites", multiple=True, help="Site code (repeat for several; default every site).")
@click.option("--from", "start", callback=_date, help="Start of the period, YYYY-MM-DD.")
@click.option("--to", "end", callback=_date, help="End of the period, YYYY-MM-DD.")
@click.option("--cohort", type=click.Choice(["exit", "entry"]), default="exit", show_default=True,
              help="Families whose support ended (exit) or started (entry) in the period.")
@click.option("--programme-cost", type=float, help="Programme cost for the period in £ (cost-benefit).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--show-small-numbers", "unsuppressed", is_flag=True,
              help="Internal use only: show small numbers instead of hiding them. Each run is audited and the "
                   "output is marked not for publication.")
@with_appcontext
def report(name, sites, start, end, cohort, programme_cost, fmt, unsuppressed):
    site_ids = None
    names = {}
    if sites:
        found = {site.code: site for site in db.session.scalars(sa.select(Site).where(Site.code.in_(sites)))}
        unknown = sorted(set(sites) - set(found))
        if unknown:
            raise click.ClickException(f"no site with code {', '.join(unknown)}")
        site_ids = tuple(site.id for site in found.values())
        names = {site.id: site.name for site in found.values()}
    try:
        filters = Filters(site_ids=site_ids, start=start, end=end, cohort=cohort)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    settings = current_app.config["FEEDBACK_SETTINGS"]
    alongside = [] if unsuppressed else run_alongside(name, filters, programme_cost=programme_cost)
    shown = protect(run_report(name, filters, programme_cost=programme_cost), settings.report_threshold,
                    suppress=not unsuppressed, filters_text=describe(filters, names, name),
                    width=settings.report_protection_width, alongside=alongside)
    shown.missing_dates = undated_note(filters, name, settings.report_threshold, suppress=not unsuppressed)
    if unsuppressed:
        # No one is signed in on the command line: the record says where the view came from instead.
        record("report.unsuppressed", None, None, None, report=name, via="cli",
               sites=list(filters.site_ids) if filters.site_ids is not None else "all",
               start=str(filters.start or ""), end=str(filters.end or ""), cohort=filters.cohort)
        db.session.commit()
        click.echo("Warning: small numbers are shown. Not for publication: internal use only; "
                   "this run is recorded in the audit log.", err=True)
    if fmt == "json":
        data = to_json(shown)
        data["not_for_publication"] = unsuppressed
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        if unsuppressed:
            sys.stdout.write(f"NOT FOR PUBLICATION: {NOT_FOR_PUBLICATION}\n")
        sys.stdout.write(as_csv(shown).decode("utf-8-sig"))


@click.command("report-refresh", help="Bring what reports keep up to date for every site (each family's "
                                      "kept answers), printing seconds per report. Reports do this "
                                      "themselves for the families that changed; run it after an upgrade or a "
                                      "large import so that the first manager to open a report does not wait.")
@click.option("--recheck", is_flag=True,
              help="Compare every family's kept answers with its responses, not only the families the database "
                   "noted as changed, and invitations' copies of their responses' completion times: after "
                   "responses were changed with the triggers off (a restore by a superuser).")
@click.option("--drop-unread", is_flag=True,
              help="Then drop what reports kept that none of them read in this refresh: after an upgrade changed "
                   "what they keep. A site's report that still reads something dropped makes it again when opened.")
@with_appcontext
def report_refresh(recheck, drop_unread):
    if recheck:
        from ..waves import completion_times
        from . import response_changes
        response_changes.forget_checks()
        click.echo(f"invitations' completion times put right: {completion_times.put_right()}")
        db.session.commit()
    from . import pair_store
    # One page for the whole refresh: each keeping is checked once, and which were read is known.
    with pair_store.one_page() as page:
        for name in REPORTS:
            began = time.perf_counter()
            run_report(name, Filters())
            click.echo(f"{name}: {time.perf_counter() - began:.1f} s")
    if drop_unread:
        click.echo(f"dropped {pair_store.drop_unread(pair_store.read_on(page))} keepings no report read")
    # The kept tables' planner statistics, whatever the reports made (``pair_store.analyse``).
    pair_store.analyse()
