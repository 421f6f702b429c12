"""The disclosure audit: what an attacker can work out about each hidden count from everything a
report shows, by linear programming over whole numbers.

A report is computed from counts that are never shown one by one, its *atoms* (for need-flow, the
families at each level of need at entry and at exit). Every figure on the page is a function of
them: a count is a sum of atoms, a percentage a ratio of two sums, a saving a sum times a unit
saving, a total of money a weighted sum. What is shown pins each figure to the interval its
rounding allows (a count exactly, "12.5%" to 12.45–12.55, "£4,693" to ±0.5); what is hidden says
what its mark says ("<10": 1 to 9, or 0 to 9 when zeros are hidden too; "[c]": a count of at
least the threshold, since only counts that are not small are hidden to protect others).

For every hidden count the audit finds, by HiGHS (``highspy``, the solver's own Python interface;
scipy.optimize wraps the same solver but rebuilds the model for every solve, ten times slower
here), the least and the
greatest value it could take over non-negative whole atoms consistent with all of that. This is
the audit tau-Argus and sdcTable run: the attacker's interval. A table passes when every small count's interval is at least
``ProtectionRule.width`` wide (default 3): a small count is never worked out, nor narrowed to
fewer than four possible values. A count hidden only to protect others ("[c]") is not small: it
must not be worked out exactly, but may be narrowed (it is at least the threshold, as its mark
says; tau-Argus likewise gives secondary cells no protection levels of their own). Because "<t" itself says 1 to t − 1,
a threshold below width + 2 can never pass; the settings refuse it at start-up.

Only the atoms a hidden count shares figures with matter, so the figures are split into
independent components (linked by shared atoms, across every table of the page) and each is
solved on its own. A linear relaxation is solved first; the whole-number programme only when its
answer is not already whole (sums of atoms give whole vertices; ratios and money may not).

Pure: no Flask, no database.
"""
from __future__ import annotations

import math
import os
import sys
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

import highspy
import numpy as np

Atom = Hashable
#: At most this long for one whole-number programme; see ``_Problem._optimum``.
MILP_SECONDS = 0.2


@dataclass(frozen=True)
class Sum:
    """A linear expression over a report's atoms: Σ coefficient × atom + constant."""

    terms: tuple[tuple[Atom, float], ...] = ()
    constant: float = 0.0

    @staticmethod
    def of(atoms: Iterable[Atom]) -> "Sum":
        return Sum(tuple((atom, 1.0) for atom in atoms))

    def as_dict(self) -> dict[Atom, float]:
        merged: dict[Atom, float] = {}
        for atom, coefficient in self.terms:
            merged[atom] = merged.get(atom, 0.0) + coefficient
        return {atom: c for atom, c in merged.items() if c != 0}

    @property
    def atoms(self) -> set[Atom]:
        return set(self.as_dict())

    def __add__(self, other: "Sum | float") -> "Sum":
        if isinstance(other, Sum):
            return Sum(self.terms + other.terms, self.constant + other.constant)
        return Sum(self.terms, self.constant + float(other))

    def __sub__(self, other: "Sum | float") -> "Sum":
        return self + (other * -1.0 if isinstance(other, Sum) else -float(other))

    def __mul__(self, factor: float) -> "Sum":
        return Sum(tuple((atom, c * float(factor)) for atom, c in self.terms), self.constant * float(factor))

    __rmul__ = __mul__

    def shape(self) -> tuple:
        """What this sum says about the atoms up to scale and constant: two figures of one shape
        restate one quantity (a total saving and the net benefit beside a shown cost)."""
        terms = sorted(self.as_dict().items(), key=lambda kv: repr(kv[0]))
        if not terms:
            return ()
        first = terms[0][1]
        return tuple((atom, round(c / first, 9)) for atom, c in terms)


def total(sums: Iterable[Sum]) -> Sum:
    result = Sum()
    for one in sums:
        result = result + one
    return result


@dataclass(frozen=True)
class Ratio:
    """``scale × numerator ÷ denominator``: a percentage (scale 100) or a mean per family."""

    numerator: Sum
    denominator: Sum
    scale: float = 1.0

    @property
    def atoms(self) -> set[Atom]:
        return self.numerator.atoms | self.denominator.atoms

    def shape(self) -> tuple:
        return self.numerator.shape()


@dataclass(frozen=True)
class Mean:
    """A mean over the units counted by some atoms, where each unit's value lies in a range known
    per atom (families who moved up on a 1–10 star moved by 1 to 9): the shown mean bounds how
    many units each atom can hold."""

    ranges: tuple[tuple[Atom, float, float], ...]

    @property
    def atoms(self) -> set[Atom]:
        return {atom for atom, _, _ in self.ranges}


Expression = Sum | Ratio | Mean


@dataclass
class Figure:
    """One value of a report as the page would show it.

    ``expression`` says how it follows from the atoms (None: it tells nothing about them, like a
    mean of readings); ``value`` is the true value; ``half_width`` how far the shown text may be
    from it (0 for a count, 0.05 for a percentage to one decimal); ``count`` marks the figures the
    audit protects; ``small`` a count hidden on its own (below the threshold).
    """

    key: Hashable
    expression: Expression | None
    value: float | None
    half_width: float = 0.0
    count: bool = False
    small: bool = False
    #: Hidden with every count it shares atoms with, all marked alike, because hiding more could not
    #: protect a small count among them: its mark then says only that it is not zero.
    withheld: bool = False

    @property
    def atoms(self) -> set[Atom]:
        return set() if self.expression is None else self.expression.atoms


@dataclass(frozen=True)
class ProtectionRule:
    """Counts below ``threshold`` are hidden; every hidden count's attacker interval must contain
    values at least ``width`` apart; zeros are shown unless ``suppress_zeros``."""

    threshold: int = 10
    width: int = 3
    suppress_zeros: bool = False

    def __post_init__(self) -> None:
        if self.width < 1:
            raise ValueError(f"the protection width must be at least 1, not {self.width!r}")
        if self.threshold - (1 if self.suppress_zeros else 2) < self.width:
            raise ValueError(f"a threshold of {self.threshold} cannot be honoured: '<{self.threshold}' leaves an "
                             f"interval narrower than the protection width of {self.width}; use a threshold of at "
                             f"least {self.width + (1 if self.suppress_zeros else 2)}")

    def is_small(self, count: float) -> bool:
        return count < self.threshold and (count > 0 or self.suppress_zeros)

    def required_width(self, figure: Figure) -> float:
        """A small count's interval must be ``width`` wide; a count hidden only to protect others
        must not be worked out exactly (else hiding it meant nothing), though narrowing it is no
        harm: it is at least the threshold, as its mark says."""
        return self.width if figure.small and not figure.withheld else (1 if not figure.withheld else 0)

    def mark_bounds(self, figure: Figure) -> tuple[float, float]:
        """What a hidden count's mark tells a reader: "<t", "[c]", or (withheld) only that it is not zero."""
        if figure.withheld:
            return (0.0 if self.suppress_zeros else 1.0), math.inf
        if figure.small:
            return (0.0 if self.suppress_zeros else 1.0), float(self.threshold - 1)
        return float(self.threshold), math.inf


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


class InconsistentFigures(ValueError):
    """The figures contradict each other: the report's description of its atoms is wrong."""


@dataclass
class Audit:
    """Each hidden count's interval, and those narrower than the rule allows."""

    intervals: dict[Hashable, Interval] = field(default_factory=dict)
    failing: list[Hashable] = field(default_factory=list)


def components(figures: Iterable[Figure]) -> dict[Hashable, int]:
    """Figure key → its component: figures sharing atoms, directly or through others, are one."""
    parent: dict[Atom, Atom] = {}

    def find(atom):
        while parent.setdefault(atom, atom) != atom:
            parent[atom] = parent[parent[atom]]
            atom = parent[atom]
        return atom

    figures = list(figures)
    for figure in figures:
        atoms = list(figure.atoms)
        for other in atoms[1:]:
            parent[find(other)] = find(atoms[0])
        if atoms:
            find(atoms[0])
    roots: dict[Atom, int] = {}
    result = {}
    for figure in figures:
        atoms = figure.atoms
        if atoms:
            result[figure.key] = roots.setdefault(find(next(iter(atoms))), len(roots))
    return result


def audit(figures: Mapping[Hashable, Figure], hidden: set[Hashable], rule: ProtectionRule,
          only: Iterable[Hashable] | None = None, linked: bool = False) -> Audit:
    """The attacker's interval of every hidden count (or of those in ``only``), component by
    component, and those narrower than the rule allows.

    Raises ``InconsistentFigures`` when the shown figures and marks admit no whole non-negative
    atoms at all: the true data always satisfy them, so the report described its atoms wrongly.
    """
    # ``linked``: the caller passes one component's figures, already split.
    component_of = ({key: 0 for key, f in figures.items() if f.atoms} if linked
                    else components(figures.values()))
    wanted = [key for key in (only if only is not None else figures)
              if key in hidden and figures[key].count and key in component_of]
    result = Audit()
    by_component: dict[int, list[Hashable]] = {}
    for key in wanted:
        by_component.setdefault(component_of[key], []).append(key)
    for number, keys in by_component.items():
        members = [f for f in figures.values() if component_of.get(f.key) == number]
        problem = _Problem(members, hidden, rule)
        for key in keys:
            interval = problem.interval(figures[key].expression, figures[key].value)
            result.intervals[key] = interval
            if interval.width < rule.required_width(figures[key]):
                result.failing.append(key)
    return result


def _solver():
    """A silent HiGHS instance. HiGHS prints its banner on stdout when a process makes its first
    one, before any option can be set, and ``flask report`` writes its CSV to stdout: the first is
    made with stdout pointed elsewhere for that moment."""
    global _BANNER_SHOWN
    if not _BANNER_SHOWN:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                highs = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_SHOWN = True
    else:
        highs = highspy.Highs()
    highs.silent()
    highs.setOptionValue("time_limit", MILP_SECONDS)
    return highs


_BANNER_SHOWN = False


class _Problem:
    """One component's constraints: shown figures pinned to their rounding, hidden counts to their
    marks. One HiGHS model is built and only its objective changes between solves (warm starts)."""

    def __init__(self, figures: list[Figure], hidden: set[Hashable], rule: ProtectionRule):
        self.atoms = sorted({atom for f in figures for atom in f.atoms}, key=repr)
        self.index = {atom: k for k, atom in enumerate(self.atoms)}
        self.highs = _solver()
        n = len(self.atoms)
        self.highs.addVars(n, np.zeros(n), np.full(n, highspy.kHighsInf))
        self.columns = np.arange(n, dtype=np.int32)
        self.integral = False

        def add(coefficients: dict[Atom, float], constant: float, low: float, high: float) -> None:
            indices = np.array([self.index[a] for a in coefficients], dtype=np.int32)
            values = np.array(list(coefficients.values()), dtype=float)
            self.highs.addRow(_bound(low - constant), _bound(high - constant), len(indices), indices, values)

        for figure in figures:
            expression = figure.expression
            if figure.key in hidden:
                if figure.count and isinstance(expression, Sum):
                    low, high = rule.mark_bounds(figure)
                    add(expression.as_dict(), expression.constant, low, high)
                continue
            if isinstance(expression, Sum):
                if figure.value is None:
                    continue
                add(expression.as_dict(), expression.constant, figure.value - figure.half_width,
                    figure.value + figure.half_width)
            elif isinstance(expression, Mean):
                if figure.value is None:
                    continue
                # Σ low·x ≤ (m + h)·Σ x and Σ high·x ≥ (m − h)·Σ x
                top, bottom = figure.value + figure.half_width, figure.value - figure.half_width
                add({a: low - top for a, low, _ in expression.ranges}, 0.0, -math.inf, 0.0)
                add({a: high - bottom for a, _, high in expression.ranges}, 0.0, 0.0, math.inf)
            elif isinstance(expression, Ratio):
                numerator, denominator = expression.numerator, expression.denominator
                if figure.value is None:   # "–": nobody to divide by
                    add(denominator.as_dict(), denominator.constant, 0.0, 0.0)
                    continue
                add(denominator.as_dict(), denominator.constant, 1.0, math.inf)
                for bound, upper in ((figure.value + figure.half_width, True), (figure.value - figure.half_width, False)):
                    # scale·N − bound·D ≤ 0 (the upper end) or ≥ 0 (the lower end)
                    coefficients = {a: expression.scale * c for a, c in numerator.as_dict().items()}
                    for a, c in denominator.as_dict().items():
                        coefficients[a] = coefficients.get(a, 0.0) - bound * c
                    coefficients = {a: c for a, c in coefficients.items() if c != 0}
                    constant = expression.scale * numerator.constant - bound * denominator.constant
                    if coefficients:
                        add(coefficients, constant, -math.inf if upper else 0.0, 0.0 if upper else math.inf)

    def interval(self, expression: Sum, value: float | None = None) -> Interval:
        """The least and greatest ``expression`` can be; ``value``, its true value, is what it can
        surely be, should the solver stop early."""
        objective = np.zeros(len(self.atoms))
        for atom, c in expression.as_dict().items():
            objective[self.index[atom]] = c
        known = None if value is None else value - expression.constant
        low = self._optimum(objective, known)
        high = -self._optimum(-objective, None if known is None else -known)
        return Interval(low + expression.constant, high + expression.constant)

    def _optimum(self, objective: np.ndarray, known: float | None) -> float:
        """The least value of objective·atoms over whole non-negative atoms (−inf if unbounded).

        The linear relaxation first: when its best vertex is whole, that is the answer. Else the
        whole-number programme, stopped after ``MILP_SECONDS``: stopped early, the best whole
        solution found is a value the count can really take, so the interval is never wider than
        the attacker's (at worst more is hidden), and without one, the true value is used."""
        highs = self.highs
        if self.integral:
            highs.changeColsIntegrality(len(self.atoms), self.columns,
                                        np.full(len(self.atoms), highspy.HighsVarType.kContinuous))
            self.integral = False
        highs.changeColsCost(len(self.atoms), self.columns, objective)
        highs.run()
        status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            status = self._feasible_or_not()
        if status == highspy.HighsModelStatus.kUnbounded:
            return -math.inf
        if status == highspy.HighsModelStatus.kInfeasible:
            raise InconsistentFigures("the shown figures admit no counts at all")
        if status == highspy.HighsModelStatus.kOptimal:
            x = np.array(highs.getSolution().col_value)
            # Whole to an absolute tolerance: a relative one would take 20,000.2 as whole.
            if np.allclose(x, np.round(x), rtol=0, atol=1e-7):
                return float(np.round(highs.getInfo().objective_function_value, 6))
        highs.changeColsIntegrality(len(self.atoms), self.columns,
                                    np.full(len(self.atoms), highspy.HighsVarType.kInteger))
        self.integral = True
        highs.run()
        status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return float(np.round(highs.getInfo().objective_function_value, 6))
        if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            status = self._feasible_or_not()
        if status == highspy.HighsModelStatus.kUnbounded:
            return -math.inf
        if status == highspy.HighsModelStatus.kInfeasible:
            raise InconsistentFigures("the shown figures admit no whole counts")
        if highs.getInfo().primal_solution_status == 2:   # a feasible whole solution, not proven best
            return float(np.round(highs.getInfo().objective_function_value, 6))
        if known is None:
            raise InconsistentFigures("the solver stopped before finding any whole counts")
        return known


def _feasible_or_not_impl(problem: "_Problem"):
    """HiGHS may answer "unbounded or infeasible": solve with no objective to tell which (an
    infeasible model means the figures contradict their declarations and must not pass)."""
    highs = problem.highs
    saved = np.array(highs.getLp().col_cost_)
    highs.changeColsCost(len(problem.atoms), problem.columns, np.zeros(len(problem.atoms)))
    highs.run()
    feasible = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    highs.changeColsCost(len(problem.atoms), problem.columns, saved)
    return highspy.HighsModelStatus.kUnbounded if feasible else highspy.HighsModelStatus.kInfeasible


_Problem._feasible_or_not = _feasible_or_not_impl


def _bound(value: float) -> float:
    return highspy.kHighsInf if value == math.inf else -highspy.kHighsInf if value == -math.inf else value
