"""The shape every report returns: tables whose columns say what they hold, so suppression,
charts and downloads treat every report alike.

A column's ``kind`` decides how small numbers are protected:

- ``count``: suppressed below the threshold (and secondarily, where a total could reveal it);
- ``percent`` / ``mean``: suppressed when their ``base`` (the count of families or people behind
  them, another column of the same row) is below the threshold; a percent is also suppressed
  when its ``numerator`` count is, or it would give the hidden count away;
- ``money``: a service's own figure (a unit saving) is shown as it is; a sum of money that
  multiplies a count (``numerator``, times the row's ``factor`` column) is hidden with that count;
- ``label`` and ``number``: shown as they are.

Every count, percentage and derived sum of money is also a figure of the disclosure audit
(``disclosure``): how each follows from the report's atoms is inferred (a table's total row and
column are sums of its inner cells; a percentage is its numerator over its base) or declared by
the report in ``Table.made_of`` where tables share atoms or relate in ways a layout cannot say.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

KINDS = ("label", "count", "percent", "mean", "money", "number")


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str = "count"
    #: For percent and mean: the count column holding the number of families or people behind it.
    base: str | None = None
    #: For percent: the count column it is a share of (suppressed with it). For money: the count
    #: column it multiplies.
    numerator: str | None = None
    #: For money with a numerator: the column holding what each counted one is worth.
    factor: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.kind in ("percent", "mean") and self.base is None:
            raise ValueError(f"column {self.name!r}: a {self.kind} needs the count it is based on")


def count_and_share(name: str, label: str, base: str, share_label: str | None = None) -> list[Column]:
    """A count column and its percentage of ``base`` (named ``<name>_pct``), hidden together."""
    return [Column(name, label), Column(f"{name}_pct", share_label or f"% {label[0].lower()}{label[1:]}", "percent",
                                        base=base, numerator=name)]


@dataclass
class Table:
    """Rows of values keyed by column name. ``total_row`` / ``total_column`` name the row label and
    the column that hold totals of the count columns (for secondary suppression)."""

    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    total_row: str | None = None
    total_column: str | None = None
    note: str = ""
    #: Rows that restate another table's row: {row index: (table index, that row's label)}. They
    #: hide whatever that row hides, so the same figure is never hidden in one place and shown in another.
    follows: dict[int, tuple[int, str]] | None = None
    #: How cells follow from the report's atoms, where it cannot be inferred: {(row index, column
    #: name): disclosure.Sum or disclosure.Ratio}. A base that is no column (``all``) goes here too.
    made_of: dict[tuple[int, str], Any] = field(default_factory=dict)
    #: A row whose values are not of its column's kind ({row index: kind}), as in a table of
    #: measures where one is a count of families and the rest are money.
    row_kinds: dict[int, str] = field(default_factory=dict)
    #: Cells hidden whenever any of some other cells is: {(row, column): [(row, column) of this table,
    #: or (table, row, column) of another]}.
    #: A total of money weighted by unit savings is one: with one count behind it hidden, the
    #: weights make the total a puzzle with usually one answer.
    hidden_with: dict[tuple[int, str], list[tuple[int, str]]] = field(default_factory=dict)
    #: Cells that follow exactly from other cells (as ``hidden_with`` names them): a total of rows
    #: that are all in the table, a sum of money from counts and the unit savings beside them, a
    #: ratio of two shown figures. Each is shown only when all of those are, and then tells an
    #: attacker nothing more, so the audit leaves it out. That keeps tables whose only link is such
    #: a total (one outcome per risk factor, added up) from becoming one large puzzle.
    derived: dict[tuple[int, str], list[tuple]] = field(default_factory=dict)

    def kind_at(self, row: int, column: Column) -> str:
        return self.row_kinds.get(row, column.kind) if column.kind != "label" else "label"

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    @property
    def counts(self) -> list[str]:
        return [column.name for column in self.columns if column.kind == "count"]


@dataclass
class Chart:
    """What to draw, from one of the report's tables *after* suppression (so a chart never shows
    what its table hides): ``kind`` is "bars" (grouped bars), "stacked" (100% bars) or "dumbbell"
    (two readings per category). Each row of table ``table`` (but its total row) is a category,
    labelled by ``category``; ``series`` maps a series name to the column drawn for it."""

    kind: str
    title: str
    table: int
    category: str
    series: dict[str, str]
    unit: str = ""


@dataclass
class Report:
    name: str
    title: str
    tables: list[Table] = field(default_factory=list)
    chart: Chart | None = None
    #: Why there is nothing to show ("not enough data"), instead of tables of zeros.
    empty: str | None = None
    notes: list[str] = field(default_factory=list)


def not_enough(name: str, title: str, what: str) -> Report:
    """A report with nothing to show: ``what`` the families lack, in the page's language (``_()``)."""
    return Report(name, title, empty=_("Not enough data: no families in this selection have %(what)s. Choose a "
                                       "wider period, more sites or another cohort.", what=what))


def share(part: int, whole: int) -> float | None:
    """A percentage, or None when there is nothing to divide by (never a misleading 0%)."""
    return None if not whole else round(100.0 * part / whole, 1)


def p_text(p: float | None) -> str | None:
    """A p value as a reader sees it: three decimals, or "<0.001"; None ("–") when there is none.
    Text, because a count-like "number" column would be shown as a whole number."""
    if p is None:
        return None
    return "<0.001" if p < 0.0005 else f"{p:.3f}"
