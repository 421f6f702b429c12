"""From a computed report to what may be shown: small numbers hidden, what would give them away
hidden too, every cell as text, and the chart drawn from the protected table.

Everything a page, a download or a chart shows is a figure of one disclosure audit
(``disclosure``): counts, totals, percentages (as the interval their rounding allows), sums of
money with the unit values beside them, and restated rows in other tables. Counts below the
threshold are hidden ("<10"); then, while the audit finds a hidden count that an attacker could
work out or narrow to fewer values than the protection width, one more figure is hidden ("[c]"):
of those sharing its atoms, the first in order of least information lost (small counts before
large, cells before totals, sums of money after counts) that protects it, or else the one that
widens it most. A figure restated elsewhere (a total of savings and the net benefit beside a
shown cost; a row's count in two tables) is hidden everywhere at once, and a percentage or mean
with the count it divides or is based on. A chart is drawn from the protected table only; one
that cannot be drawn without giving a cell away is left out, and the page says why.

If nothing at all can be shown, the report says there is not enough data rather than showing a
page of hidden cells.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from .disclosure import Figure, InconsistentFigures, Mean, ProtectionRule, Ratio, Sum, audit, components, total
from .drawing import chart_summary, render_chart
from .model import Column, Report, Table

log = logging.getLogger(__name__)

HIDDEN = "[c]"   # the Government Statistical Service's mark for a value withheld as confidential
NOT_ENOUGH = ("Not enough data to show: every figure in this selection is based on fewer than {threshold} "
              "families or people. Choose a wider period or more sites.")
NO_CHART = ("The chart is not shown: drawn from this selection it would give away a number hidden in the table "
            "below.")
#: Decimals each kind of value is shown (and downloaded) with; the audit takes their rounding.
DECIMALS = {"percent": 1, "mean": 2, "money": 2, "number": 2}


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
    #: Small numbers are shown: internal use only.
    unsuppressed: bool = False


def method_text(rule: ProtectionRule | None) -> str:
    """The sentence printed under every report and download."""
    if rule is None:
        return ("Small numbers are not hidden in this table: it is for internal use by researchers only "
                "and must not be published or shared.")
    t = rule.threshold
    return (f"Counts below {t} are shown as <{t}; further figures are hidden, shown as {HIDDEN}, until no hidden "
            f"count can be worked out, or narrowed to a range of fewer than {rule.width + 1} values, from "
            "everything shown (totals, percentages, savings and other tables on this page). Percentages and means "
            f"based on fewer than {t} are not shown.")


def protect(report: Report, threshold: int, suppress: bool = True, filters_text: str = "",
            width: int = 3) -> ShownReport:
    """The report as it may be shown. ``suppress=False`` hides nothing (internal use only)."""
    rule = ProtectionRule(threshold=threshold, width=width) if suppress else None
    shown = ShownReport(report.name, report.title, method=method_text(rule), filters_text=filters_text,
                        unsuppressed=not suppress)
    if report.empty:
        shown.empty = report.empty
        return shown
    cells = _cells(report)
    hidden = _choose_hidden(cells, rule) if rule is not None else set()
    if hidden is None:
        shown.empty = NOT_ENOUGH.format(threshold=threshold)
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
        shown.tables, shown.empty = [], NOT_ENOUGH.format(threshold=threshold)
        return shown
    _draw(report, shown)
    return shown


# --- Figures: every cell as the audit sees it ------------------------------------------------

@dataclass
class _Cell:
    figure: Figure
    kind: str
    #: The figure whose hiding hides this one too (a percentage's count and base; a mean's base).
    follows: list[tuple] = field(default_factory=list)


def _cells(report: Report) -> dict[tuple, _Cell]:
    """Every count, percentage, mean and sum of money of the report, keyed (table, row, column)."""
    sums: dict[tuple, Sum] = {}
    order = sorted(range(len(report.tables)), key=lambda n: bool(report.tables[n].follows))
    for t in order:
        sums.update(_count_sums(t, report.tables[t], report.tables, sums))
    cells: dict[tuple, _Cell] = {}
    for t, table in enumerate(report.tables):
        total_row = _total_row(table)
        for r, row in enumerate(table.rows):
            for column in table.columns:
                kind, key, value = table.kind_at(r, column), (t, r, column.name), row.get(column.name)
                if kind == "label":
                    continue
                declared = table.made_of.get((r, column.name))
                if kind == "count":
                    cells[key] = _Cell(Figure(key, sums[key], _number(value), 0.0, count=True), kind)
                    continue
                value = _number(value)
                half = 0.5 * 10 ** -DECIMALS[kind]
                base = _base_key(t, r, column, table, total_row)
                numerator = (t, r, column.numerator) if column.numerator else None
                expression, follows = declared, [k for k in (numerator, base) if k is not None]
                follows += [(t, *cell) for cell in table.hidden_with.get((r, column.name), [])]
                if expression is None and kind == "percent" and numerator in sums and base in sums:
                    expression = Ratio(sums[numerator], sums[base], 100.0)
                elif expression is None and kind == "money" and numerator and column.factor:
                    factor = _number(row.get(column.factor))
                    expression = sums[numerator] * factor if factor is not None else None
                cells[key] = _Cell(Figure(key, expression, value, half), kind, follows)
    return cells


def _count_sums(t: int, table: Table, tables: list[Table], earlier: dict[tuple, Sum]) -> dict[tuple, Sum]:
    """Each count cell of ``table`` as a sum of atoms: declared, restated from another table's row,
    a total of the table's inner cells, or an atom of its own."""
    counts = [c.name for c in table.columns if c.kind == "count"]
    total_row = _total_row(table)
    total_column = table.total_column if table.total_column in counts else None
    inner_rows = [r for r in range(len(table.rows)) if r != total_row]
    inner_columns = [c for c in counts if c != total_column]
    result: dict[tuple, Sum] = {}
    restated = {}
    for r, (source_table, source_label) in (table.follows or {}).items():
        source = tables[source_table]
        match = next((m for m, row in enumerate(source.rows) if _label(source, row) == source_label), None)
        if match is None:
            raise ValueError(f"table {table.title!r} row {r} restates {source_label!r}, which table "
                             f"{source.title!r} does not have")
        restated[r] = (source_table, match)
    inner_rows = [r for r in inner_rows if r not in table.row_kinds or table.row_kinds[r] == "count"]

    def own(r: int, name: str) -> Sum:
        declared = table.made_of.get((r, name))
        if declared is not None:
            return declared
        if r in restated:
            return earlier[(restated[r][0], restated[r][1], name)]
        return Sum.of([(t, r, name)])

    for r in range(len(table.rows)):
        for column in table.columns:
            if table.kind_at(r, column) != "count":
                continue
            name = column.name
            is_total = (r == total_row and name in counts) or (name == total_column and r in inner_rows)
            if not is_total or (r, name) in table.made_of or r in restated:
                result[(t, r, name)] = own(r, name)
    for r in inner_rows:
        if total_column is not None and (r, total_column) not in result:
            result[(t, r, total_column)] = total(result[(t, r, c)] for c in inner_columns)
    if total_row is not None:
        for name in inner_columns:
            result.setdefault((t, total_row, name), total(result[(t, m, name)] for m in inner_rows))
        if total_column is not None:
            result.setdefault((t, total_row, total_column),
                              total(result[(t, m, c)] for m in inner_rows for c in inner_columns))
    _check_totals(t, table, result, total_row, total_column)
    # A base that is no column (``all``), declared by the report.
    for (r, name), expression in table.made_of.items():
        if name not in {c.name for c in table.columns} and isinstance(expression, Sum):
            result[(t, r, name)] = expression
    return result


def _check_totals(t: int, table: Table, sums: dict[tuple, Sum], total_row, total_column) -> None:
    """Inferred totals must be sums of their cells: the audit relies on it."""
    value = {name: [(_number(row.get(name)) or 0) for row in table.rows] for name in (c.name for c in table.columns)}
    inner = [r for r in range(len(table.rows)) if r != total_row and table.row_kinds.get(r, "count") == "count"]
    counts = [c.name for c in table.columns if c.kind == "count" and c.name != total_column]
    lines = []
    if total_column is not None:
        lines += [((r, total_column), [(r, c) for c in counts]) for r in inner]
    if total_row is not None:
        lines += [((total_row, c), [(r, c) for r in inner]) for c in counts + ([total_column] if total_column else [])]
    for (r, name), parts in lines:
        if (r, name) in table.made_of:
            continue
        added = sum(value[c][m] for m, c in parts)
        if added != value[name][r]:
            raise ValueError(f"table {table.title!r}: the total at row {r}, column {name!r} is {value[name][r]} but "
                             f"its cells add up to {added}; totals must be sums of their cells")


def _total_row(table: Table) -> int | None:
    if table.total_row is None:
        return None
    return next((r for r, row in enumerate(table.rows) if _label(table, row) == table.total_row), None)


def _base_key(t: int, r: int, column: Column, table: Table, total_row: int | None) -> tuple | None:
    """The count a percentage or mean is based on: a column of its row, a declared base, or (for a
    share of everyone) the total row's value of its numerator."""
    if column.base is None:
        return None
    if column.base in {c.name for c in table.columns} or (r, column.base) in table.made_of:
        return (t, r, column.base)
    if total_row is not None and column.numerator:
        return (t, total_row, column.numerator)
    raise ValueError(f"table {table.title!r}: column {column.name!r} is based on {column.base!r}, which is no column; "
                     "declare it in made_of")


# --- Choosing what to hide ----------------------------------------------------------------

def _choose_hidden(cells: dict[tuple, _Cell], rule: ProtectionRule) -> set[tuple] | None:
    """The keys of every figure to hide, or None when the report cannot be protected at all."""
    figures = {key: cell.figure for key, cell in cells.items() if cell.figure.expression is not None}
    for cell in cells.values():
        f = cell.figure
        f.small = f.count and f.value is not None and rule.is_small(f.value)
    # Groups hidden together: sums of one shape (a figure and its restatements), and on their own
    # the shares of differences (a net change), which may give away what neither count does.
    shape_of: dict[tuple, tuple] = {}
    groups: dict[tuple, list[tuple]] = {}
    for key, f in figures.items():
        if isinstance(f.expression, Sum):
            shape_of[key] = f.expression.shape()
            groups.setdefault(shape_of[key], []).append(key)
    ratios = {key: (f.expression.numerator.shape(), f.expression.denominator.shape())
              for key, f in figures.items() if isinstance(f.expression, Ratio)}
    for key, (numerator, denominator) in ratios.items():
        if numerator not in groups or denominator not in groups:
            groups[("figure", key)] = [key]
    for key, f in figures.items():
        if isinstance(f.expression, Mean):
            groups[("figure", key)] = [key]
    follows = {key: cell.follows for key, cell in cells.items() if cell.follows}
    component_of = components(figures.values())
    members: dict[int, dict[tuple, Figure]] = {}
    for key, number in component_of.items():
        members.setdefault(number, {})[key] = figures[key]

    def hidden_keys(hidden_groups: set) -> set[tuple]:
        """What hiding these groups hides: their figures, the shares and means that follow them,
        and everywhere a figure hidden that way is restated."""
        keys: set[tuple] = set()
        while True:
            for group in hidden_groups:
                keys.update(groups[group])
            more = set()
            for key, (numerator, denominator) in ratios.items():
                if key not in keys and (numerator in hidden_groups or denominator in hidden_groups):
                    more.add(key)
            for key, depends in follows.items():
                if key not in keys and any(k in keys for k in depends):
                    more.add(key)
            if not more:
                return keys
            keys |= more
            grown = {shape_of[k] for k in more if k in shape_of} - hidden_groups
            if not grown:
                return keys
            hidden_groups = hidden_groups | grown

    def cost(group: tuple) -> tuple:
        if group and group[0] == "figure":
            return (-1, 0, 0, 0)
        counts = [figures[k].value for k in groups[group] if figures[k].count]
        if counts:
            return (0, len(group) > 1, min(counts), len(group))
        return (1, 0, min(abs(figures[k].value or 0) for k in groups[group]), len(group))

    hidden_groups = {shape_of[key] for key, f in figures.items() if f.small}
    try:
        for component in sorted(members):
            figures_here = members[component]
            if not any(f.small for f in figures_here.values()):
                continue
            left, before = None, set()
            while True:
                keys = hidden_keys(hidden_groups)
                # Hiding more only widens intervals: what passed once passes still, so only the
                # counts still failing, and those just hidden, are audited again.
                only = None if left is None else left + [k for k in keys - before if k in figures_here]
                left, before = audit(figures_here, keys, rule, only=only, linked=True).failing, keys
                if not left:
                    break
                target = left[0]
                candidates = sorted(
                    (group for group, group_keys in groups.items() if group not in hidden_groups
                     and group_keys[0] in figures_here
                     and all(not figures[k].count or (figures[k].value or 0) > 0 for k in group_keys)), key=cost)
                if not candidates:
                    # The marks themselves give the count away ("<10" beside "[c]"s of 10 or more
                    # adding to a shown total): mark every count here alike, saying nothing more.
                    for key, f in figures_here.items():
                        if f.count and (f.value or 0) > 0:
                            f.withheld = True
                            hidden_groups.add(shape_of[key])
                    break
                chosen, widest = None, None
                for group in candidates[:24]:
                    trial = hidden_keys(hidden_groups | {group})
                    width = audit(figures_here, trial, rule, only=[target], linked=True).intervals[target].width
                    if width >= rule.required_width(figures[target]):
                        chosen = group
                        break
                    if widest is None or width > widest[0]:
                        widest = (width, group)
                hidden_groups.add(chosen or (widest[1] if widest and widest[0] > 0 else candidates[0]))
    except InconsistentFigures:
        log.exception("report figures contradict each other; withholding the report")
        return None
    return hidden_keys(hidden_groups)


# --- Text and charts --------------------------------------------------------------------------

def _draw(report: Report, shown: ShownReport) -> None:
    chart = report.chart
    if chart is None or chart.table >= len(shown.tables):
        return
    table, source = shown.tables[chart.table], report.tables[chart.table]
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
        shown.chart_note = NO_CHART
        return
    shown.chart_svg, shown.chart_summary = Markup(svg), summary


def _label(table: Table, row: dict) -> Any:
    first = next((c.name for c in table.columns if c.kind == "label"), None)
    return row.get(first) if first else None


def _number(value) -> float | None:
    if value is None or isinstance(value, str) or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _rounded(kind: str, value):
    """What a download carries: no more precise than the page."""
    value = _number(value) if not isinstance(value, str) else value
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
        "empty": shown.empty, "chart_note": shown.chart_note or None,
        "tables": [{"title": table.title, "note": table.note,
                    "columns": [{"name": c.name, "label": c.label, "kind": c.kind} for c in table.columns],
                    "rows": [{c.name: (cell.text if cell.suppressed else cell.value) for c, cell in zip(table.columns, row)}
                             for row in table.rows]} for table in shown.tables],
    }
