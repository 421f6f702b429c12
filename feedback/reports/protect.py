"""From a computed report to what may be shown: small numbers hidden, what would give them away
hidden too (``suppression``, driven by the disclosure audit over every cell as a figure,
``figures``), every cell as text, and the chart drawn from the protected table only. A chart that
could still give a cell away is left out, and the page says why; protection never fails a page.

If nothing at all can be shown, the report says there is not enough data rather than showing a
page of hidden cells.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from .disclosure import ProtectionRule
from .drawing import chart_summary, render_chart
from .figures import DECIMALS, label, number, report_cells
from .model import Column, Report
from .suppression import hidden_figures

log = logging.getLogger(__name__)

HIDDEN = "[c]"   # the Government Statistical Service's mark for a value withheld as confidential


# Sentences shown on the page and in downloads: in the page's language, and in English in a
# download (``views.download`` makes it in English) and from the command line.
def not_enough_text(threshold: int) -> str:
    return _("Not enough data to show: every figure in this selection is based on fewer than %(threshold)s "
             "families or people. Choose a wider period or more sites.", threshold=threshold)


def no_chart_text() -> str:
    return _("The chart is not shown: drawn from this selection it would give away a number hidden in the table "
             "below.")


@dataclass
class ShownCell:
    value: Any
    text: str
    suppressed: bool = False


@dataclass
class ShownTable:
    title: str
    columns: list[Column]
    rows: list[list[ShownCell]]
    note: str = ""


@dataclass
class ShownReport:
    name: str
    title: str
    tables: list[ShownTable] = field(default_factory=list)
    method: str = ""
    chart_svg: Markup | None = None
    chart_summary: list[str] = field(default_factory=list)
    #: Why the report's chart is not shown, when it is not.
    chart_note: str = ""
    empty: str | None = None
    filters_text: str = ""
    #: How many families of the chosen sites a period cannot place, having no cohort date (``undated``).
    missing_dates: str = ""
    #: Small numbers are shown: internal use only.
    unsuppressed: bool = False


def method_text(rule: ProtectionRule | None, alongside: Sequence[str] = ()) -> str:
    """The sentence printed under every report and download (``alongside``: the titles of the
    reports protected with it)."""
    if rule is None:
        return _("Small numbers are not hidden in this table: it is for internal use by researchers only "
                 "and must not be published or shared.")
    t = rule.threshold
    # The titles are the reports' English titles, each a message of the staff catalogue (``catalogue.REPORTS``).
    shown_with = "".join(_("; the report '%(title)s'", title=_(title)) for title in alongside)
    return _("Counts below %(threshold)s are shown as <%(threshold)s; further figures are hidden, shown as "
             "%(hidden)s, until no hidden count can be worked out, or narrowed to a range of fewer than %(width)s "
             "values, from everything shown (totals, percentages, savings and other tables on this "
             "page%(alongside)s). Percentages and means based on fewer than %(threshold)s are not shown.",
             threshold=t, hidden=HIDDEN, width=rule.width + 1, alongside=shown_with)


def protect(report: Report, threshold: int, suppress: bool = True, filters_text: str = "",
            width: int = 3, alongside: Sequence[Report] = ()) -> ShownReport:
    """The report as it may be shown. ``suppress=False`` hides nothing (internal use only).

    ``alongside``: reports published with this one (computed for the same selection) that show
    the same families and members: they are protected together, as one publication, so that
    nothing hidden here can be worked out with what they show, and each hides the same cells
    whichever of them is opened (see ``catalogue.ReportKind.published_with``)."""
    rule = ProtectionRule(threshold=threshold, width=width) if suppress else None
    shown = ShownReport(report.name, report.title, filters_text=filters_text, unsuppressed=not suppress,
                        method=method_text(rule, [other.title for other in alongside if other.tables]))
    if report.empty:
        shown.empty = report.empty
        return shown
    try:
        cells = report_cells(_together(report, alongside) if rule is not None else report)
    except ValueError:
        # A report's description of its figures is wrong (a total that is not a sum): a bug to
        # fix, logged as one, but never a page that fails or shows what may not be protected.
        log.exception("report %s: figures could not be described for the disclosure audit", report.name)
        shown.empty = not_enough_text(threshold)
        return shown
    hidden = hidden_figures(cells, rule) if rule is not None else set()
    if hidden is None:
        shown.empty = not_enough_text(threshold)
        return shown
    anything_shown = False
    for t, table in enumerate(report.tables):
        rows = []
        for r, row in enumerate(table.rows):
            texts = []
            for column in table.columns:
                value, kind = row.get(column.name), table.kind_at(r, column)
                if (t, r, column.name) in hidden:
                    figure = cells[(t, r, column.name)].figure
                    small = kind == "count" and figure.small and not figure.withheld
                    texts.append(ShownCell(None, f"<{threshold}" if small else HIDDEN, True))
                else:
                    texts.append(ShownCell(_rounded(kind, value), _text(kind, value)))
                    # Zeros shown beside hidden cells tell a reader nothing: they do not make a report.
                    # A percentage that follows from no count (100% of everyone) is no figure either.
                    informative = kind in ("count", "mean") or (
                        kind == "percent" and cells[(t, r, column.name)].figure.expression is not None)
                    anything_shown |= informative and value not in (None, 0, 0.0)
            rows.append(texts)
        shown.tables.append(ShownTable(table.title, table.columns, rows, table.note))
    if rule is not None and not anything_shown:
        shown.tables, shown.empty = [], not_enough_text(threshold)
        return shown
    _draw(report, shown)
    return shown


def _together(report: Report, alongside: Sequence[Report]) -> Report:
    """One report of this report's tables followed by those of the reports alongside it, their
    references to other tables moved to where those tables now are."""
    tables = list(report.tables)
    for other in alongside:
        offset = len(tables)

        def moved(refs, offset=offset):
            return [(ref[0] + offset, *ref[1:]) if len(ref) == 3 else ref for ref in refs]

        for table in other.tables:
            tables.append(replace(
                table, follows={r: (t + offset, row) for r, (t, row) in (table.follows or {}).items()} or None,
                hidden_with={key: moved(refs) for key, refs in table.hidden_with.items()},
                derived={key: moved(refs) for key, refs in table.derived.items()}))
    return replace(report, tables=tables)


# --- Text and charts --------------------------------------------------------------------------

def _draw(report: Report, shown: ShownReport) -> None:
    chart = report.chart
    if chart is None or chart.table >= len(shown.tables):
        return
    table, source = shown.tables[chart.table], report.tables[chart.table]
    names = [c.name for c in table.columns]
    categories, series = [], {name: [] for name in chart.series}
    for raw, cells in zip(source.rows, table.rows):
        if source.total_row is not None and label(source, raw) == source.total_row:
            continue
        categories.append(str(raw.get(chart.category)))
        for name, column in chart.series.items():
            cell = cells[names.index(column)]
            series[name].append(None if cell.suppressed or not isinstance(cell.value, (int, float))
                                 else float(cell.value))
    if not categories:
        return
    try:
        # One mark for every hidden value in a chart: "<10" would be untrue of a cell hidden to
        # protect another ("[c]"), and the chart cannot say which is which without giving it away.
        svg = render_chart(chart.kind, chart.title, categories, series, chart.unit, HIDDEN)
        summary = chart_summary(chart.kind, chart.title, categories, series, chart.unit, HIDDEN)
    except ValueError:
        # The chart's own check found a value it would give away: the table stands alone.
        log.warning("report %s: chart left out", report.name, exc_info=True)
        shown.chart_note = no_chart_text()
        return
    shown.chart_svg, shown.chart_summary = Markup(svg), summary


def _rounded(kind: str, value):
    """What a download carries: no more precise than the page."""
    value = number(value) if not isinstance(value, str) else value
    if value is None or isinstance(value, str) or kind not in DECIMALS:
        return value
    rounded = round(float(value), DECIMALS[kind])
    return int(rounded) if kind == "money" and rounded.is_integer() else rounded


def _text(kind: str, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "percent":
        return f"{value:.1f}%"
    if kind == "mean":
        return f"{value:.2f}"
    if kind == "money":
        return f"−£{-value:,.0f}" if value < 0 else f"£{value:,.0f}"
    if kind in ("count", "number") and isinstance(value, (int, float)):
        return f"{value:,.0f}"
    return str(value)


def to_json(shown: ShownReport) -> dict:
    """The shown report for ``flask report --format json``: shown values as numbers, hidden ones as
    their text ("<10"), so nothing hidden on the page is in the file."""
    return {
        "report": shown.name, "title": shown.title, "filters": shown.filters_text, "method": shown.method,
        "empty": shown.empty, "chart_note": shown.chart_note or None, "missing_dates": shown.missing_dates or None,
        "tables": [{"title": table.title, "note": table.note,
                    "columns": [{"name": c.name, "label": c.label, "kind": c.kind} for c in table.columns],
                    "rows": [{c.name: (cell.text if cell.suppressed else cell.value) for c, cell in zip(table.columns, row)}
                             for row in table.rows]} for table in shown.tables],
    }
