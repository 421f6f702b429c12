"""An attacker who sees only what leaves the app: can a hidden count be worked out?

Given a shown report as ``protect.to_json`` writes it, build the attacker's own integer model of
the report: unknowns for what lies behind the tables (need-flow's entry × exit cells, each risk
factor's 4 × 4 before/after counts, each outcome's at-risk and avoided counts, ...), every
relation the shown figures imply (sums, totals, percentages as the interval their rounding
allows, money = count × unit, figures restated in another table), shown cells fixed and hidden
ones bounded by their mark ("<t": 1 to t − 1; "[c]": t or more, or, should that be impossible,
only not zero). Then, for every hidden count, its feasible minimum and maximum over non-negative
integers by ``scipy.optimize.milp`` (HiGHS). A small count ("<t") is *disclosed* when
max − min < ``WIDTH``, a "[c]" when it is determined; a count shown although it is below the
threshold is reported too.

Deliberately independent of ``feedback.reports.protect`` and ``suppression``: nothing here asks
the app what it hid or why. Relations come from reading each report's ``compute()``; only those
that hold by construction are modelled, so a model the data contradicts is a bug in this file
(``ModelContradicted``), not a finding.

One ``model_*`` function per report, matched to tables by title. A table no model knows is still
attacked, its counts as independent unknowns, and its title is listed in ``Attack.unknown_tables``
so a test can warn that the model needs extending.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

WIDTH = 3  # the protection width: a hidden count must range over values at least this far apart
BIG = 10**6  # no count in a report comes near this; it only keeps the programs bounded (money is not bounded)
PERCENT_SLACK = 0.05 + 1e-6  # one decimal place
MEAN_SLACK = 0.005 + 1e-7  # two decimal places
MONEY_SLACK = 0.5 + 1e-6  # whole pounds
SMALL_MARK = re.compile(r"^<(\d+)$")
HIDDEN_MARK = "[c]"


class ModelContradicted(AssertionError):
    """The shown figures admit no solution: a relation in this model does not hold in the data."""


@dataclass(frozen=True)
class Disclosure:
    table: str
    row: str
    column: str
    shown: str
    low: int
    high: int

    def __str__(self) -> str:
        where = f"{self.table} / {self.row} / {self.column}"
        if self.low == self.high:
            return f"{where}: shown {self.shown!r}, must be {self.low}"
        return f"{where}: shown {self.shown!r}, must be {self.low} to {self.high}"


@dataclass
class Attack:
    disclosed: list[Disclosure] = field(default_factory=list)
    #: Counts shown as numbers although they are below the threshold (1 to t − 1).
    shown_small: list[Disclosure] = field(default_factory=list)
    #: Titles of tables no model knows (attacked with their counts as independent unknowns).
    unknown_tables: list[str] = field(default_factory=list)
    #: How many hidden counts were examined.
    examined: int = 0
    #: Whether "[c]" had to be read as "not zero" rather than "at least the threshold".
    marks_relaxed: bool = False

    @property
    def safe(self) -> bool:
        return not self.disclosed and not self.shown_small


# --- the integer program ------------------------------------------------------------------------

class Expr(dict):
    """A linear expression: variable index → coefficient (constants are not needed here)."""

    def __add__(self, other: "Expr") -> "Expr":
        out = Expr(self)
        for k, v in other.items():
            out[k] = out.get(k, 0.0) + v
        return out

    def __sub__(self, other: "Expr") -> "Expr":
        return self + other * -1.0

    def __mul__(self, scale: float) -> "Expr":
        return Expr({k: v * scale for k, v in self.items()})

    __rmul__ = __mul__


def total(exprs) -> Expr:
    out = Expr()
    for e in exprs:
        out = out + e
    return out


class Unknowns:
    """The attacker's unknowns and what the page says about them."""

    def __init__(self, threshold: int):
        self.threshold = threshold
        self.integer: list[bool] = []
        self.low: list[float] = []
        self.high: list[float] = []
        self.rows: list[tuple[Expr, float, float]] = []
        self.hidden: list[tuple[Expr, Disclosure]] = []
        #: The rows saying a "[c]" is at least the threshold: an attacker who finds them impossible
        #: learns that some "[c]" stand for small counts too, and drops them (keeping "not zero").
        self.withheld_bounds: list[int] = []
        self.attack = Attack()

    def count(self) -> Expr:
        return self._var(True, 0, BIG)

    def real(self, low: float = -math.inf, high: float = math.inf) -> Expr:
        return self._var(False, low, high)

    def _var(self, integer: bool, low: float, high: float) -> Expr:
        self.integer.append(integer)
        self.low.append(low)
        self.high.append(high)
        return Expr({len(self.integer) - 1: 1.0})

    def between(self, expr: Expr, low: float, high: float) -> None:
        self.rows.append((expr, low, high))

    def equal(self, expr: Expr, value: float) -> None:
        self.between(expr, value, value)

    def at_most(self, small: Expr, large: Expr) -> None:
        self.between(small - large, -math.inf, 0)

    # What one shown cell says. ``where`` is (table title, row label, column label).

    def shows_count(self, expr: Expr, value, where: tuple[str, str, str]) -> None:
        if value is None:
            return
        if isinstance(value, str):
            small = SMALL_MARK.match(value)
            if small:
                self.between(expr, 1, int(small.group(1)) - 1)
            elif value == HIDDEN_MARK:
                self.withheld_bounds.append(len(self.rows))
                self.between(expr, self.threshold, math.inf)
            else:
                raise ValueError(f"{where}: a count shown as {value!r}, neither a number nor a mark")
            self.hidden.append((expr, Disclosure(*where, value, 0, 0)))
            return
        self.equal(expr, float(value))
        if 1 <= value < self.threshold:
            self.attack.shown_small.append(Disclosure(*where, str(value), int(value), int(value)))

    def shows_share(self, part: Expr, base: Expr, value=...) -> None:
        """A percentage of ``base`` rounded to one decimal; null ("–") only when the base is 0.
        Left out (``...``, a column the table no longer has) it says nothing."""
        if value is ...:
            return
        if value is None:
            self.equal(base, 0)
        elif isinstance(value, str):
            self.between(base, 1, math.inf)  # a hidden share had something to be a share of
        else:
            self.between(part * 100.0 - base * (value + PERCENT_SLACK), -math.inf, 0)
            self.between(part * 100.0 - base * (value - PERCENT_SLACK), 0, math.inf)

    def shows_mean(self, amount: Expr, base: Expr, value=...) -> None:
        """A mean (``amount`` ÷ ``base``) rounded to two decimals; null only when the base is 0."""
        if value is ...:
            return
        if value is None:
            self.equal(base, 0)
        elif isinstance(value, str):
            self.between(base, 1, math.inf)
        else:
            self.between(amount - base * (value + MEAN_SLACK), -math.inf, 0)
            self.between(amount - base * (value - MEAN_SLACK), 0, math.inf)

    def shows_money(self, expr: Expr, value) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.between(expr, value - MONEY_SLACK, value + MONEY_SLACK)

    # Solving.

    def solve(self, width: int = WIDTH) -> Attack:
        n = len(self.integer)
        if n == 0:
            return self.attack
        matrix = lil_matrix((len(self.rows), n))
        lows, highs = np.empty(len(self.rows)), np.empty(len(self.rows))
        for r, (expr, low, high) in enumerate(self.rows):
            for k, v in expr.items():
                matrix[r, k] = v
            lows[r], highs[r] = low, high
        constraints = [LinearConstraint(matrix.tocsr(), lows, highs)] if self.rows else []
        bounds = Bounds(np.array(self.low, float), np.array(self.high, float))
        integrality = np.array(self.integer, dtype=int)

        def optimum(objective: Expr, sense: float):
            c = np.zeros(n)
            for k, v in objective.items():
                c[k] = sense * v
            result = milp(c, integrality=integrality, bounds=bounds, constraints=constraints,
                          options={"time_limit": 10})
            if result.status == 2:
                raise ModelContradicted("the shown figures admit no solution under this model: "
                                        "a relation in tests/reports/attacker.py does not hold")
            if result.x is None:
                return None, None  # time limit without an answer: undecided, not disclosed
            return sense * result.fun, result.x

        try:
            _, point = optimum(Expr(), 1.0)  # feasibility, and one solution to start from
        except ModelContradicted:
            if not self.withheld_bounds:
                raise
            for r in self.withheld_bounds:
                expr, _low, high = self.rows[r]
                self.rows[r] = (expr, 1, high)
            self.withheld_bounds = []
            self.attack.marks_relaxed = True
            return self.solve(width)
        seen: dict[frozenset, tuple[int, int]] = {}
        for expr, where in self.hidden:
            key = frozenset(expr.items())
            if key not in seen:
                self.attack.examined += 1
                at = sum(v * point[k] for k, v in expr.items()) if point is not None else None
                least, _ = optimum(expr, 1.0)
                if least is None:
                    continue
                low = math.ceil(least - 1e-6)
                if at is not None and at - low >= width:
                    seen[key] = (low, BIG)
                    continue
                most, _ = optimum(expr, -1.0)
                if most is None:
                    continue
                seen[key] = (low, math.floor(most + 1e-6))
            low, high = seen[key]
            # A small count ("<t") must range over values ``width`` apart; a "[c]" must not be
            # worked out exactly (it may be narrowed: it is not small).
            if high - low < (width if SMALL_MARK.match(where.shown) else 1):
                self.attack.disclosed.append(Disclosure(where.table, where.row, where.column, where.shown, low, high))
        return self.attack


# --- reading the JSON ---------------------------------------------------------------------------

def threshold_of(shown: dict) -> int:
    """The threshold, from a "<t" mark or the method sentence ("Counts below 10 ...")."""
    for table in shown.get("tables", []):
        for row in table["rows"]:
            for value in row.values():
                if isinstance(value, str) and SMALL_MARK.match(value):
                    return int(value[1:])
    found = re.search(r"Counts below (\d+)", shown.get("method") or "")
    if not found:
        raise ValueError("no threshold: pass it, or give a shown report whose method sentence states it")
    return int(found.group(1))


def label_of(table: dict, row: dict) -> str:
    first = next((c["name"] for c in table["columns"] if c["kind"] == "label"), None)
    return str(row.get(first, "")) if first else ""


def column_label(table: dict, name: str) -> str:
    return next((c["label"] for c in table["columns"] if c["name"] == name), name)


def has_columns(table: dict, *names: str) -> bool:
    return set(names) <= {c["name"] for c in table["columns"]}


class Report:
    """The shown tables of one report, handed to a model; ``used`` collects the tables it knew."""

    def __init__(self, shown: dict, unknowns: Unknowns):
        self.tables = shown.get("tables", [])
        self.m = unknowns
        self.used: set[int] = set()
        self.modelled: set[tuple[int, str]] = set()

    def table(self, title: str, *columns: str) -> dict | None:
        for n, table in enumerate(self.tables):
            if table["title"] == title and n not in self.used and has_columns(table, *columns):
                self.used.add(n)
                return table
        return None

    def tables_where(self, test: Callable[[dict], bool]) -> list[dict]:
        found = [(n, t) for n, t in enumerate(self.tables) if n not in self.used and test(t)]
        self.used.update(n for n, _ in found)
        return [t for _, t in found]

    def count(self, table: dict, row: dict, name: str, expr: Expr) -> None:
        self.modelled.add((id(table), name))
        self.m.shows_count(expr, row.get(name), (table["title"], label_of(table, row), column_label(table, name)))


# --- one model per report -----------------------------------------------------------------------

def model_need_flow(r: Report) -> None:
    """Unknowns: families at each (entry, exit) level. Rows and columns add up to the totals;
    improved / same / escalated are the cells below, on and above the diagonal (by level code)."""
    flow = r.table("Families by level of need at entry (rows) and exit (columns)", "entry", "total")
    if flow is None:
        return
    exits = [c["name"] for c in flow["columns"] if c["name"].startswith("exit_")]
    codes = [int(name.removeprefix("exit_")) for name in exits]
    levels = [row for row in flow["rows"] if row["entry"] not in ("Total", "% of families at exit")]
    if len(levels) != len(codes):
        r.used.discard(r.tables.index(flow))
        return
    m = r.m
    x = [[m.count() for _ in codes] for _ in codes]
    everyone = total(total(row) for row in x)
    for i, row in enumerate(levels):
        for j, name in enumerate(exits):
            r.count(flow, row, name, x[i][j])
        r.count(flow, row, "total", total(x[i]))
        m.shows_share(total(x[i]), everyone, row.get("total_pct", ...))
    for row in flow["rows"]:
        if row["entry"] == "Total":
            for j, name in enumerate(exits):
                r.count(flow, row, name, total(x[i][j] for i in range(len(codes))))
            r.count(flow, row, "total", everyone)
        if row["entry"] == "% of families at exit":   # each exit level's share of everyone
            for j, name in enumerate(exits):
                m.shows_share(total(x[i][j] for i in range(len(codes))), everyone, row.get(name, ...))
    change = r.table("Change in level of need", "change", "families")
    if change is None:
        return
    cells = [(i, j) for i in range(len(codes)) for j in range(len(codes))]
    groups = {"Improved": [x[i][j] for i, j in cells if codes[j] < codes[i]],
              "Stayed": [x[i][j] for i, j in cells if codes[j] == codes[i]],
              "Escalated": [x[i][j] for i, j in cells if codes[j] > codes[i]]}
    for row in change["rows"]:
        if row["change"] == "Total":
            r.count(change, row, "families", everyone)
            continue
        part = next((total(v) for k, v in groups.items() if row["change"].startswith(k)), None)
        if part is None:  # a new kind of change: its count on its own
            part = m.count()
        r.count(change, row, "families", part)
        m.shows_share(part, everyone, row.get("pct", ...))


RISK_LEVELS = (0, 1, 2, 3)


def model_risk_change(r: Report, cells_of: Callable[[str, str], list[list[Expr]]] | None = None) -> None:
    """Unknowns: per factor, the 4 × 4 counts of (level at entry, level at exit). Assessed, concern
    at entry / exit, no longer at risk (concern at entry, none at exit), the level table's columns
    and the where-were-they-at-exit table's cells are sums of them. ``cells_of(who, factor)``, when
    another report counts the same people, gives the 4 × 4 counts both share."""
    for who in ("Families", "Members"):
        change = r.table(f"{who} with a concern at entry and at exit", "factor", "assessed")
        levels = r.table(f"Level of concern at entry and exit ({who.lower()})", "factor")
        paths = r.table(f"Where {who.lower()} at risk at entry were at exit", "path", "total")
        factors = {}
        for table in (t for t in (change, levels) if t is not None):
            for row in table["rows"]:
                if row["factor"] not in factors:
                    factors[row["factor"]] = (cells_of(who, row["factor"]) if cells_of else
                                              [[r.m.count() for _ in RISK_LEVELS] for _ in RISK_LEVELS])
        for factor, y in factors.items():
            everyone = total(total(row) for row in y)
            at_entry = total(y[a][b] for a in RISK_LEVELS for b in RISK_LEVELS if a > 0)
            at_exit = total(y[a][b] for a in RISK_LEVELS for b in RISK_LEVELS if b > 0)
            gone = total(y[a][0] for a in RISK_LEVELS if a > 0)
            for row in (change or {"rows": []})["rows"]:
                if row["factor"] == factor:
                    r.count(change, row, "assessed", everyone)
                    r.count(change, row, "concern_entry", at_entry)
                    r.count(change, row, "concern_exit", at_exit)
                    r.m.shows_share(at_entry - at_exit, at_entry, row.get("reduction", ...))
                    r.m.shows_share(at_exit - at_entry, everyone, row.get("net", ...))
                    r.m.shows_share(at_entry, everyone, row.get("concern_entry_pct", ...))
                    r.m.shows_share(at_exit, everyone, row.get("concern_exit_pct", ...))
                    if "gone" in row:
                        r.count(change, row, "gone", gone)
                        r.m.shows_share(gone, at_entry, row.get("gone_pct", ...))
            for row in (levels or {"rows": []})["rows"]:
                if row["factor"] == factor:
                    for code in RISK_LEVELS:
                        r.count(levels, row, f"entry_{code}", total(y[code]))
                        r.count(levels, row, f"exit_{code}", total(y[a][code] for a in RISK_LEVELS))
            for row in (paths or {"rows": []})["rows"]:
                for code in RISK_LEVELS[1:]:
                    if row["path"] == f"{factor}: {RISK_LEVELS_NAMED[code]} at entry":
                        for later in RISK_LEVELS:
                            r.count(paths, row, f"to_{later}", y[code][later])
                        r.count(paths, row, "total", total(y[code]))


RISK_LEVELS_NAMED = {1: "low", 2: "medium", 3: "high"}


def model_resilience(r: Report) -> None:
    """The three rows of the means table share one count of families; scores are counts of
    factors (never negative). Each factor row: with it at entry / exit, each at most assessed."""
    m = r.m
    means = r.table("Mean number of resilience factors", "wave", "families", "mean")
    if means is not None:
        n, at_entry, at_exit = m.count(), m.real(0), m.real(0)
        for row in means["rows"]:
            r.count(means, row, "families", n)
            amount = {"Entry": at_entry, "Exit": at_exit}.get(row["wave"], at_exit - at_entry)
            m.shows_mean(amount, n, row.get("mean", ...))
    factors = r.table("Families with each resilience factor", "factor", "families", "entry", "exit")
    entries, exits = [], []
    for row in (factors or {"rows": []})["rows"]:
        # The factor's paired 2 × 2: with it at both, lost it, gained it, at neither (shown too, issue 21).
        both, lost, gained, neither = m.count(), m.count(), m.count(), m.count()
        n_k, entry, exit_ = both + lost + gained + neither, both + lost, both + gained
        for name, expr in (("families", n_k), ("entry", entry), ("exit", exit_), ("lost", lost), ("gained", gained)):
            if name in row:
                r.count(factors, row, name, expr)
        m.shows_share(entry, n_k, row.get("entry_pct", ...))
        m.shows_share(exit_, n_k, row.get("exit_pct", ...))
        entries.append((row.get("families"), entry))
        exits.append(exit_)
    # The score is the number of factors present. When every factor row counts as many families as
    # the means table (all shown), those are the same families: the mean's total is the factors'.
    if means is not None and entries:
        shown_n = {row.get("families") for row in means["rows"]}
        if len(shown_n) == 1 and all(isinstance(f, int) and {f} == shown_n for f, _ in entries):
            m.equal(at_entry - total(e for _, e in entries), 0)
            m.equal(at_exit - total(exits), 0)


#: What the shipped scale says of every score: a mean of 1–4 answers, flagged at or above 2.0, and
#: (as a mean of 8 to 12 whole answers) never above 23/12 when not flagged.
FF_FLAGGED, FF_NOT_FLAGGED = (2.0, 4.0), (1.0, 23 / 12)


def model_family_functioning(r: Report) -> None:
    """Members scored per wave, of whom at the cut-off; members scored at both of two waves are
    at most those scored at either. The mean score bounds how many are flagged: the total lies
    between flagged·2.0 + rest·1.0 and flagged·4.0 + rest·23/12."""
    m = r.m
    waves = r.table("Scores at each wave", "wave", "members", "flagged")
    members = {}
    for row in (waves or {"rows": []})["rows"]:
        n, flagged = m.count(), m.count()
        m.at_most(flagged, n)
        members[row["wave"].lower()] = n
        r.count(waves, row, "members", n)
        r.count(waves, row, "flagged", flagged)
        m.shows_share(flagged, n, row.get("flagged_pct", ...))
        amount = m.real()
        m.between(amount - flagged * FF_FLAGGED[0] - (n - flagged) * FF_NOT_FLAGGED[0], 0, math.inf)
        m.between(amount - flagged * FF_FLAGGED[1] - (n - flagged) * FF_NOT_FLAGGED[1], -math.inf, 0)
        m.shows_mean(amount, n, row.get("mean", ...))
    pairs = r.table("Mean change for the same members", "pair", "members")
    for row in (pairs or {"rows": []})["rows"]:
        n = m.count()
        for wave in row["pair"].split(" − "):
            if wave.lower() in members:
                m.at_most(n, members[wave.lower()])
        r.count(pairs, row, "members", n)
        m.shows_mean(m.real(), n, row.get("change", ...))


STAR_READERS = {"parent": "parent", "practitioner": "key worker"}


def model_star(r: Report) -> None:
    """Per area and reader, families with two readings (restated in the move table), who moved up,
    stayed or moved down (adding up to them), and the sums of first and latest readings (1–10
    each) behind the means: the latest sum exceeds the first by at most 9 per family moving up."""
    m = r.m
    means = r.table("Mean readings at the first and latest reading (1–10)", "area")
    moves = r.table("Families who moved up, stayed or moved down", "area", "families", "up", "same", "down")
    readers = {}
    for row in (means or {"rows": []})["rows"]:
        for reader in STAR_READERS:
            n, first, latest = m.count(), m.real(), m.real()
            m.between(first - n, 0, math.inf)
            m.between(first - n * 10.0, -math.inf, 0)
            m.between(latest - n, 0, math.inf)
            m.between(latest - n * 10.0, -math.inf, 0)
            readers[f"{row['area']} ({STAR_READERS[reader]})"] = (n, first, latest)
            r.count(means, row, f"{reader}_families", n)
            m.shows_mean(first, n, row.get(f"{reader}_first", ...))
            m.shows_mean(latest, n, row.get(f"{reader}_latest", ...))
            m.shows_mean(latest - first, n, row.get(f"{reader}_travelled", ...))
        gap_n, gap = m.count(), m.real()
        m.between(gap - gap_n * 9.0, -math.inf, 0)
        m.between(gap + gap_n * 9.0, 0, math.inf)
        r.count(means, row, "gap_families", gap_n)
        m.shows_mean(gap, gap_n, row.get("gap", ...))
    moved = set()
    for row in (moves or {"rows": []})["rows"]:
        n, first, latest = readers.get(row["area"]) or (m.count(), m.real(), m.real())
        moved.add(row["area"])
        up, same, down = m.count(), m.count(), m.count()
        m.equal(up + same + down - n, 0)
        m.between(latest - first - up * 9.0, -math.inf, 0)
        m.between(first - latest - down * 9.0, -math.inf, 0)
        r.count(moves, row, "families", n)
        for name, part in (("up", up), ("same", same), ("down", down)):
            r.count(moves, row, name, part)
            m.shows_share(part, n, row.get(f"{name}_pct", ...))
    if moves is not None:
        for area, (n, _, _) in readers.items():
            if area not in moved:  # the move table has a row for every area and reader with families
                m.equal(n, 0)


def model_follow_up(r: Report) -> None:
    """Each outcome row's answers are better + same + worse; families with children still at home
    are at most those answering."""
    m = r.m
    outcomes = r.table("Compared with when support ended", "area", "answers", "better", "same", "worse")
    for row in (outcomes or {"rows": []})["rows"]:
        parts = {name: m.count() for name in ("better", "same", "worse")}
        answers = total(parts.values())
        r.count(outcomes, row, "answers", answers)
        for name, part in parts.items():
            r.count(outcomes, row, name, part)
            m.shows_share(part, answers, row.get(f"{name}_pct", ...))
    home = r.table("Children still living at home", "wave", "families", "home")
    for row in (home or {"rows": []})["rows"]:
        n, yes = m.count(), m.count()
        m.at_most(yes, n)
        r.count(home, row, "families", n)
        r.count(home, row, "home", yes)
        m.shows_share(yes, n, row.get("home_pct", ...))


def model_exit_feedback(r: Report) -> None:
    """One table per question (titled by the question): answers add up to the Total row, and each
    share is of that total."""
    m = r.m
    for table in r.tables_where(lambda t: has_columns(t, "answer", "people", "pct")
                                and any(row["answer"] == "Total" for row in t["rows"])):
        answers = [(row, m.count()) for row in table["rows"] if row["answer"] != "Total"]
        everyone = total(n for _, n in answers)
        for row, n in answers:
            r.count(table, row, "people", n)
            m.shows_share(n, everyone, row.get("pct", ...))
        for row in table["rows"]:
            if row["answer"] == "Total":
                r.count(table, row, "people", everyone)


RATE_COUNTS = ("asked", "sent", "opened", "completed", "expired")
ALL_CHANNELS = "All channels"


def model_response_rates(r: Report) -> None:
    """Per wave and channel: completed ≤ sent ≤ asked, opened ≤ asked, completed + expired ≤ asked
    (one state each); "All channels" adds the channels up and the summary restates it per wave.
    Attrition: kept + lost = families answering the first wave; those kept answered the next, so
    they are at most the next step's families."""
    m = r.m
    by_wave = {}
    for table in r.tables_where(lambda t: t["title"].endswith(": invitations by channel")
                                and has_columns(t, "group", *RATE_COUNTS)):
        channels = []
        for row in table["rows"]:
            if row["group"] == ALL_CHANNELS:
                continue
            c = {name: m.count() for name in RATE_COUNTS}
            m.at_most(c["sent"], c["asked"])
            m.at_most(c["completed"], c["sent"])
            m.at_most(c["opened"], c["asked"])
            m.at_most(c["completed"] + c["expired"], c["asked"])
            channels.append((row, c))
        everyone = {name: total(c[name] for _, c in channels) for name in RATE_COUNTS}
        by_wave[table["title"].removesuffix(": invitations by channel")] = everyone
        for row, c in channels + [(row, everyone) for row in table["rows"] if row["group"] == ALL_CHANNELS]:
            for name in RATE_COUNTS:
                r.count(table, row, name, c[name])
            m.shows_share(c["completed"], c["sent"], row.get("rate", ...))
    summary = r.table("Invitations by wave, all channels", "group", *RATE_COUNTS)
    for row in (summary or {"rows": []})["rows"]:
        c = by_wave.get(row["group"])
        if c is None:
            c = {name: m.count() for name in RATE_COUNTS}
        for name in RATE_COUNTS:
            r.count(summary, row, name, c[name])
        m.shows_share(c["completed"], c["sent"], row.get("rate", ...))
    attrition = r.table("Attrition: families answering one wave who answered the next", "step", "families", "kept",
                        "lost")
    steps = []
    for row in (attrition or {"rows": []})["rows"]:
        n, kept = m.count(), m.count()
        m.at_most(kept, n)
        r.count(attrition, row, "families", n)
        r.count(attrition, row, "kept", kept)
        r.count(attrition, row, "lost", n - kept)
        m.shows_share(kept, n, row.get("kept_pct", ...))
        m.shows_share(n - kept, n, row.get("lost_pct", ...))
        steps.append((row["step"].split(" → "), n, kept))
    for (waves, _, kept), (next_waves, next_n, _) in zip(steps, steps[1:]):
        if len(waves) == 2 and len(next_waves) == 2 and waves[1] == next_waves[0]:
            m.at_most(kept, next_n)


def model_cost_benefit(r: Report, counts_of: Callable[[str], tuple[Expr, Expr] | None] | None = None) -> None:
    """Per outcome: at risk at entry, of whom avoided (no longer at risk); saving = avoided × the
    unit saving shown beside it; the Total row adds them up; the Totals table restates the total
    saving, the saving per family (total ÷ families, to the pound), the net benefit (total − cost)
    and the cost per family. ``counts_of(outcome)``, when risk-change is read alongside, gives an
    outcome's (at risk, avoided) as sums of that report's counts of its risk factor."""
    m = r.m
    outcomes = r.table("Adverse outcomes avoided", "outcome", "at_risk", "avoided", "unit", "saving")
    parts = []
    for row in (outcomes or {"rows": []})["rows"]:
        if row["outcome"] == "Total":
            continue
        shared = counts_of(row["outcome"]) if counts_of else None
        at_risk, gone = shared or (m.count(), m.count())
        m.at_most(gone, at_risk)
        unit = row.get("unit")
        saving = gone * float(unit) if isinstance(unit, (int, float)) else m.real(0)
        parts.append((at_risk, gone, saving))
        r.count(outcomes, row, "at_risk", at_risk)
        r.count(outcomes, row, "avoided", gone)
        m.shows_money(saving, row.get("saving", ...))
    saved = total(p[2] for p in parts) if parts else m.real(0)
    for row in (outcomes or {"rows": []})["rows"]:
        if row["outcome"] == "Total":
            r.count(outcomes, row, "at_risk", total(p[0] for p in parts))
            r.count(outcomes, row, "avoided", total(p[1] for p in parts))
            m.shows_money(saved, row.get("saving", ...))
    totals = r.table("Totals", "measure", "value")
    families, cost = m.count(), m.real(0)
    for row in (totals or {"rows": []})["rows"]:
        measure, value = row["measure"], row.get("value")
        if measure.startswith("Families assessed"):
            r.count(totals, row, "value", families)
        elif measure.startswith("Total saving"):
            m.shows_money(saved, value)
        elif measure.startswith("Programme cost"):
            m.shows_money(cost, value)
        elif measure.startswith("Net benefit"):
            m.shows_money(saved - cost, value)
        elif measure.startswith(("Saving per family", "Cost per family")) and isinstance(value, (int, float)):
            amount = saved if measure.startswith("Saving") else cost
            m.between(amount - families * (value + MONEY_SLACK), -math.inf, 0)
            m.between(amount - families * (value - MONEY_SLACK), 0, math.inf)
    labels = [row["outcome"] for row in (outcomes or {"rows": []})["rows"] if row["outcome"] != "Total"]
    model_sroi(r, dict(zip(labels, (p[1] for p in parts))), families, cost)


PENNY = 0.005 + 1e-9  # money in a download: to the penny


def model_sroi(r: Report, gone_of: dict[str, Expr], families: Expr, cost: Expr) -> None:
    """Cost-benefit's social return on investment (issue 21): each outcome's avoided count restated;
    its present value = that count × the present value per outcome avoided shown beside it (both
    to the penny); the present value of benefits adds them up, the net present value takes the
    cost off. The ratios and break-even values of the sensitivity table are read but not modelled.
    Then families who avoided at least one outcome: a count of its own, beside the families assessed."""
    m = r.m
    sroi = r.table("Social return on investment", "outcome", "avoided", "pv_unit", "pv")
    per_unit: list[tuple[Expr, float]] = []
    for row in (sroi or {"rows": []})["rows"]:
        gone = gone_of.get(row["outcome"])
        if gone is None:
            gone = m.count()
        r.count(sroi, row, "avoided", gone)
        unit, pv = row.get("pv_unit"), row.get("pv")
        if isinstance(unit, (int, float)):
            per_unit.append((gone, float(unit)))
            if isinstance(pv, (int, float)):
                m.between(gone * (unit + PENNY), pv - PENNY, math.inf)
                m.between(gone * (unit - PENNY), -math.inf, pv + PENNY)
        else:
            per_unit = None if per_unit is None else per_unit + [None]
    totals = r.table("Social return on investment: totals", "measure", "value")
    complete = sroi is not None and all(p is not None for p in per_unit)
    for row in (totals or {"rows": []})["rows"]:
        measure, value = row["measure"], row.get("value")
        if not complete or not isinstance(value, (int, float)):
            continue
        if measure.startswith("Present value of benefits"):
            m.between(total(g * (u + PENNY) for g, u in per_unit), value - PENNY, math.inf)
            m.between(total(g * (u - PENNY) for g, u in per_unit), -math.inf, value + PENNY)
        elif measure.startswith("Net present value"):
            m.between(total(g * (u + PENNY) for g, u in per_unit) - cost, value - PENNY, math.inf)
            m.between(total(g * (u - PENNY) for g, u in per_unit) - cost, -math.inf, value + PENNY)
    r.table("Social return on investment: sensitivity", "assumption")
    r.table("Social return on investment: not worked out")
    avoiding = r.table("Families who avoided at least one adverse outcome", "measure", "value")
    for row in (avoiding or {"rows": []})["rows"]:
        r.count(avoiding, row, "value", families if row["measure"].startswith("Families assessed") else m.count())


RELIABLE_CHANGE_CLASSES = ("recovered", "improved", "unchanged", "deteriorated")
RELIABLE_CHANGE = "Reliable change: "


def model_scale_change(r: Report) -> None:
    """Per scale and pair of waves, whoever was scored at both (at least one, or there is no row):
    how many were recovered, improved, unchanged or deteriorated, each a count of its own; n is
    their sum and each share is of n, to one decimal. The statistics table restates each n (matched
    by scale and "Between", in order: one instrument's scale may share another's label); its people
    behind alpha are one count per scale, the same on every pair of waves of that scale. Means,
    intervals, p, reliability and threshold are continuous and hidden with their n: not modelled."""
    m = r.m
    stats = r.table("Change on each scale", "scale", "between", "n")
    n_of: dict[tuple[str, str], list[Expr]] = {}
    for table in r.tables_where(lambda t: t["title"].startswith(RELIABLE_CHANGE) and has_columns(t, "between", "n")
                                and any(has_columns(t, c) for c in RELIABLE_CHANGE_CLASSES)):
        scale = table["title"].removeprefix(RELIABLE_CHANGE)
        classes = [c for c in RELIABLE_CHANGE_CLASSES if has_columns(table, c)]
        for row in table["rows"]:
            parts = {c: m.count() for c in classes}
            n = total(parts.values())
            m.between(n, 1, math.inf)
            n_of.setdefault((scale, row["between"]), []).append(n)
            r.count(table, row, "n", n)
            for c, part in parts.items():
                r.count(table, row, c, part)
                m.shows_share(part, n, row.get(f"{c}_pct", ...))
    alpha, scale, seen = None, None, set()
    for row in (stats or {"rows": []})["rows"]:
        if row["scale"] != scale or row["between"] in seen:  # the next scale: its own people behind alpha
            alpha, scale, seen = m.count(), row["scale"], set()
        seen.add(row["between"])
        linked = n_of.get((row["scale"], row["between"]))
        n = linked.pop(0) if linked else m.count()
        m.between(n, 1, math.inf)
        r.count(stats, row, "n", n)
        if "alpha_n" in row:
            r.count(stats, row, "alpha_n", alpha)


MODELS: dict[str, Callable[[Report], None]] = {
    "need-flow": model_need_flow, "risk-change": model_risk_change, "resilience": model_resilience,
    "family-functioning": model_family_functioning, "star": model_star, "follow-up": model_follow_up,
    "exit-feedback": model_exit_feedback, "response-rates": model_response_rates,
    "cost-benefit": model_cost_benefit, "scale-change": model_scale_change,
}


def model_unknown_table(r: Report, n: int) -> None:
    """A table no model knows: each count an unknown of its own, bounded by what it shows."""
    table = r.tables[n]
    for row in table["rows"]:
        for column in table["columns"]:
            if column["kind"] == "count":
                r.count(table, row, column["name"], r.m.count())


def attack(shown: dict, name: str | None = None, threshold: int | None = None, width: int = WIDTH) -> Attack:
    """Attack one shown report (``protect.to_json`` output): what its hidden counts must be."""
    if shown.get("empty") or not shown.get("tables"):
        return Attack()
    unknowns = Unknowns(threshold if threshold is not None else threshold_of(shown))
    report = Report(shown, unknowns)
    model = MODELS.get(name or shown.get("report"))
    if model is not None:
        model(report)
    _unmodelled(report, unknowns)
    return unknowns.solve(width)


def attack_risk_and_cost(risk: dict, cost: dict, outcomes: dict[str, tuple[str, str, str | None]],
                         threshold: int, width: int = WIDTH) -> Attack:
    """Attack risk-change and cost-benefit read side by side, as a commissioner handed both would:
    one set of unknowns, each risk factor's 4 × 4 counts (members' split into children and adults,
    whom cost-benefit counts apart). ``outcomes``: each cost-benefit outcome's label → (who, risk
    factor label, "child"/"adult"/None), as the report's note and its source name them."""
    unknowns = Unknowns(threshold)
    grids: dict[tuple, list[list[Expr]]] = {}

    def grid(*key) -> list[list[Expr]]:
        return grids.setdefault(key, [[unknowns.count() for _ in RISK_LEVELS] for _ in RISK_LEVELS])

    def cells_of(who: str, factor: str, age: str | None = None) -> list[list[Expr]]:
        if who == "Families":
            return grid(who, factor)
        if age is not None:
            return grid(who, factor, age)
        child, adult = grid(who, factor, "child"), grid(who, factor, "adult")
        return [[child[b][a] + adult[b][a] for a in RISK_LEVELS] for b in RISK_LEVELS]

    def counts_of(label: str):
        if label not in outcomes:
            return None
        y = cells_of(*outcomes[label])
        return (total(y[b][a] for b in RISK_LEVELS[1:] for a in RISK_LEVELS),
                total(y[b][0] for b in RISK_LEVELS[1:]))

    for shown, model in ((risk, lambda r: model_risk_change(r, cells_of)),
                         (cost, lambda r: model_cost_benefit(r, counts_of))):
        if shown.get("empty") or not shown.get("tables"):
            continue
        report = Report(shown, unknowns)
        model(report)
        _unmodelled(report, unknowns)
    return unknowns.solve(width)


def _unmodelled(report: Report, unknowns: Unknowns) -> None:
    """Tables and count columns no model knows: their counts as unknowns of their own, and said so."""
    for n, table in enumerate(report.tables):
        if n not in report.used:
            unknowns.attack.unknown_tables.append(table["title"])
            model_unknown_table(report, n)
            continue
        # A count column the model does not know yet: its counts on their own, and said so.
        for column in table["columns"]:
            if column["kind"] == "count" and (id(table), column["name"]) not in report.modelled:
                unknowns.attack.unknown_tables.append(f"{table['title']} [column {column['label']!r}]")
                for row in table["rows"]:
                    report.count(table, row, column["name"], unknowns.count())
