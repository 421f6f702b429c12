"""Every cell of a report as a figure of the disclosure audit: how each follows from the report's
atoms, inferred from the table's layout or declared by the report.

A count is declared (``Table.made_of``), restates another table's row (``Table.follows``), is a
total of the table's inner cells (its total row and column), or is an atom of its own. A
percentage is its numerator over its base; a saving its count times the unit beside it; a mean
tells nothing unless declared. Pure: no Flask.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .disclosure import Figure, Ratio, Sum, total
from .model import Column, Report, Table

#: Decimals each kind of value is shown (and downloaded) with; the audit takes their rounding.
DECIMALS = {"percent": 1, "mean": 2, "money": 2, "number": 2}


@dataclass
class Cell:
    figure: Figure
    kind: str
    #: The figure whose hiding hides this one too (a percentage's count and base; a mean's base).
    follows: list[tuple] = field(default_factory=list)
    #: Follows exactly from ``follows`` (``Table.derived``): left out of the audit.
    derived: bool = False


def report_cells(report: Report) -> dict[tuple, Cell]:
    """Every count, percentage, mean and sum of money of the report, keyed (table, row, column)."""
    sums: dict[tuple, Sum] = {}
    order = sorted(range(len(report.tables)), key=lambda n: bool(report.tables[n].follows))
    for t in order:
        sums.update(_count_sums(t, report.tables[t], report.tables, sums))
    cells: dict[tuple, Cell] = {}
    for t, table in enumerate(report.tables):
        total_row = _total_row(table)
        for r, row in enumerate(table.rows):
            for column in table.columns:
                kind, key, value = table.kind_at(r, column), (t, r, column.name), row.get(column.name)
                if kind == "label":
                    continue
                declared = table.made_of.get((r, column.name))
                derived_from = [cell if len(cell) == 3 else (t, *cell) for cell in table.derived.get((r, column.name), [])]
                if kind == "count":
                    # A count may also be hidden with other cells (``hidden_with``) while staying in
                    # the audit: one that bounds them without being their sum (families who avoided
                    # any outcome are at most the outcomes avoided) must not narrow one that is hidden.
                    hidden_with = [cell if len(cell) == 3 else (t, *cell)
                                   for cell in table.hidden_with.get((r, column.name), [])]
                    cells[key] = Cell(Figure(key, sums[key], number(value), 0.0, count=True), kind,
                                      derived_from + hidden_with, bool(derived_from))
                    continue
                # What a reader sees (and downloads) is the rounded value: the true one lies within
                # half a step of it, which is all the audit may assume.
                value = number(value)
                value = None if value is None else round(float(value), DECIMALS[kind])
                half = 0.5 * 10 ** -DECIMALS[kind]
                base = _base_key(t, r, column, table, total_row)
                numerator = (t, r, column.numerator) if column.numerator else None
                expression, follows = declared, [k for k in (numerator, base) if k is not None]
                follows += [cell if len(cell) == 3 else (t, *cell) for cell in table.hidden_with.get((r, column.name), [])]
                follows += derived_from
                if expression is None and kind == "percent" and numerator in sums and base in sums:
                    expression = Ratio(sums[numerator], sums[base], 100.0)
                elif expression is None and kind == "money" and numerator and column.factor:
                    factor = number(row.get(column.factor))
                    expression = sums[numerator] * factor if factor is not None else None
                cells[key] = Cell(Figure(key, expression, value, half), kind, follows, bool(derived_from))
    _check_derived(cells)
    return cells


def _check_derived(cells: dict[tuple, Cell]) -> None:
    """A derived cell is left out of the audit: it must be made of what it is derived from (the
    least that can be checked without solving; the attacker tests check the rest)."""
    for key, cell in cells.items():
        if not cell.derived or cell.figure.expression is None:
            continue
        missing = [ref for ref in cell.follows if ref not in cells]
        behind = set().union(*(cells[ref].figure.atoms for ref in cell.follows if ref in cells))
        if missing or not cell.figure.atoms <= behind:
            raise ValueError(f"cell {key} is declared derived from {cell.follows}, which "
                             + (f"do not exist: {missing}" if missing else "do not make it"))


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
        match = next((m for m, row in enumerate(source.rows) if label(source, row) == source_label), None)
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
    value = {name: [(number(row.get(name)) or 0) for row in table.rows] for name in (c.name for c in table.columns)}
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
    return next((r for r, row in enumerate(table.rows) if label(table, row) == table.total_row), None)


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


def label(table: Table, row: dict) -> Any:
    """A row's label: its first label column."""
    first = next((c.name for c in table.columns if c.kind == "label"), None)
    return row.get(first) if first else None


def number(value) -> float | None:
    if value is None or isinstance(value, str) or (isinstance(value, float) and math.isnan(value)):
        return None
    return value
