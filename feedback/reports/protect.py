"""From a computed report to what may be shown: small numbers hidden, every cell as text, and the
chart drawn from the protected table (never from the raw figures).

Counts go through ``suppression.suppress_table`` table by table, with the table's total row and
column so that secondary suppression protects them. A percentage is hidden with its count or its
base, when its base is small, and when what it leaves out is small (95% of 20 says one family
did not); a mean is hidden when fewer than the threshold are behind it; a sum of money is hidden
with the count it multiplies. A row that restates another table's total row (``Table.follows``)
hides whatever that row hides. If nothing at all can be shown, the report says there is not enough
data rather than showing a page of hidden cells.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from markupsafe import Markup

from .drawing import chart_summary, render_chart
from .model import Column, Report, Table
from .suppression import HIDDEN, SmallNumbers, suppress_table

NOT_ENOUGH = ("Not enough data to show: every figure in this selection is based on fewer than {threshold} "
              "families or people. Choose a wider period or more sites.")


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
    empty: str | None = None
    filters_text: str = ""


def protect(report: Report, threshold: int, suppress: bool = True, filters_text: str = "") -> ShownReport:
    rule = SmallNumbers(threshold=threshold, enabled=suppress)
    shown = ShownReport(report.name, report.title, method=rule.method, filters_text=filters_text)
    if report.empty:
        shown.empty = report.empty
        return shown
    # Tables that restate others' rows are protected after the tables they restate.
    hidden_by_table: list[list[set[str]]] = [[] for _ in report.tables]
    for n in sorted(range(len(report.tables)), key=lambda n: bool(report.tables[n].follows)):
        hidden_by_table[n] = _hidden_cells(report.tables[n], rule, report.tables, hidden_by_table)
    anything_shown = False
    for table, hidden in zip(report.tables, hidden_by_table):
        rows = []
        for row, hidden_here in zip(table.rows, hidden):
            cells = []
            for column in table.columns:
                value = row.get(column.name)
                if column.name in hidden_here:
                    cells.append(ShownCell(None, rule.small_label if _small(column, value, rule) else HIDDEN, True))
                else:
                    cells.append(ShownCell(_plain(value), _text(column, value)))
                    # Zeros shown beside hidden cells tell a reader nothing: they do not make a report.
                    anything_shown |= column.kind in ("count", "percent", "mean") and value not in (None, 0, 0.0)
            rows.append(cells)
        shown.tables.append(ShownTable(table.title, table.columns, rows, table.note))
    if suppress and not anything_shown:
        shown.tables, shown.empty = [], NOT_ENOUGH.format(threshold=threshold)
        return shown
    if report.chart is not None and report.chart.table < len(shown.tables):
        chart, table = report.chart, shown.tables[report.chart.table]
        source = report.tables[chart.table]
        names = [c.name for c in table.columns]
        categories, series = [], {label: [] for label in chart.series}
        for raw, cells in zip(source.rows, table.rows):
            if source.total_row is not None and _label(source, raw) == source.total_row:
                continue
            categories.append(str(raw.get(chart.category)))
            for label, column in chart.series.items():
                cell = cells[names.index(column)]
                series[label].append(None if cell.suppressed or not isinstance(cell.value, (int, float))
                                     else float(cell.value))
        if categories:
            # One mark for every hidden value in a chart: "<10" would be untrue of a cell hidden to
            # protect another ("[c]"), and the chart cannot say which is which without giving it away.
            shown.chart_svg = Markup(render_chart(chart.kind, chart.title, categories, series, chart.unit, HIDDEN))
            shown.chart_summary = chart_summary(chart.kind, chart.title, categories, series, chart.unit, HIDDEN)
    return shown


def _label(table: Table, row: dict) -> Any:
    first = next((c.name for c in table.columns if c.kind == "label"), None)
    return row.get(first) if first else None


def _small(column: Column, value, rule: SmallNumbers) -> bool:
    return column.kind == "count" and isinstance(value, int) and rule.is_small(value)


def _hidden_cells(table: Table, rule: SmallNumbers, tables: list[Table], earlier: list[list[set[str]]]) -> list[set[str]]:
    """For each row, the names of the columns whose values must be hidden."""
    hidden: list[set[str]] = [set() for _ in table.rows]
    counts = table.counts
    if counts and table.rows:
        frame = pd.DataFrame([[int(row.get(name) or 0) for name in counts] for row in table.rows],
                             index=range(len(table.rows)), columns=counts)
        total_row = next((n for n, row in enumerate(table.rows) if table.total_row is not None
                          and _label(table, row) == table.total_row), None)
        total_column = table.total_column if table.total_column in counts else None
        result = suppress_table(frame, total_row=total_row, total_column=total_column, rule=rule)
        for n in range(len(table.rows)):
            hidden[n].update(name for name in counts if bool(result.suppressed.at[n, name]))
    for n, (source_table, source_label) in (table.follows or {}).items():
        source = tables[source_table]
        for m, row in enumerate(source.rows):
            if _label(source, row) == source_label:
                hidden[n].update(name for name in earlier[source_table][m] if name in {c.name for c in table.columns})
    if not rule.enabled:
        return hidden
    for n, row in enumerate(table.rows):
        for column in table.columns:
            value = row.get(column.name)
            if column.kind == "percent":
                base = row.get(column.base)
                rest = (base - row[column.numerator]) if column.numerator and isinstance(base, int) and \
                    isinstance(row.get(column.numerator), int) else None
                if (column.base in hidden[n] or (column.numerator and column.numerator in hidden[n])
                        or (isinstance(base, int) and base < rule.threshold)
                        or (rest is not None and rule.is_small(rest))) and value is not None:
                    hidden[n].add(column.name)
            elif column.kind == "mean":
                base = row.get(column.base)
                if (column.base in hidden[n] or (isinstance(base, int) and base < rule.threshold)) and value is not None:
                    hidden[n].add(column.name)
            elif column.kind == "money" and column.numerator and column.numerator in hidden[n]:
                hidden[n].add(column.name)
    return hidden


def _plain(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _text(column: Column, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if column.kind == "percent":
        return f"{value:.1f}%"
    if column.kind == "mean":
        return f"{value:.2f}"
    if column.kind == "money":
        return f"£{value:,.0f}"
    if column.kind in ("count", "number") and isinstance(value, (int, float)):
        return f"{value:,.0f}"
    return str(value)


def to_json(shown: ShownReport) -> dict:
    """The shown report for ``flask report --format json``: shown values as numbers, hidden ones as
    their text ("<10"), so nothing hidden on the page is in the file."""
    return {
        "report": shown.name, "title": shown.title, "filters": shown.filters_text, "method": shown.method,
        "empty": shown.empty,
        "tables": [{"title": table.title, "note": table.note,
                    "columns": [{"name": c.name, "label": c.label, "kind": c.kind} for c in table.columns],
                    "rows": [{c.name: (cell.text if cell.suppressed else cell.value) for c, cell in zip(table.columns, row)}
                             for row in table.rows]} for table in shown.tables],
    }
