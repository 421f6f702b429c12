"""Social return on investment (SROI), as the Cabinet Office's *A guide to Social Return on
Investment* (2012) and HM Treasury's *Green Book* (2022) describe it.

For each outcome:

- impact = quantity × financial proxy × (1 − deadweight) × (1 − displacement) × (1 − attribution):
  deadweight is the share that would have happened anyway, displacement the share that only
  moved elsewhere, attribution the share owed to others (other services, family, friends);
- the value in year t (t = 1 … benefit years) = impact × (1 − drop-off)^(t − 1): drop-off is the
  share of the outcome lost each year after the first;
- present value = Σ value in year t × discount factor of year t.

Then present value of benefits (PV, summed over outcomes), net present value NPV = PV −
investment, and the SROI ratio PV ÷ investment (£ of social value per £1 invested).

**Year convention.** The Green Book's tables of discount factors start at year 0 = 1.0 (the
present); the SROI guide discounts the first year's benefits by (1 + r)^1, as benefits arriving at
the end of the first year. Both agree once "year t" means the end of year t: this module counts
benefits in years 1 … N, discounted by the Green Book factor of year t, 1 ÷ (1 + r)^t, and
counts the investment in year 0, undiscounted. So year 1's benefits are discounted once, as the
SROI guide does.

**Discount rate.** 3.5% by default (Green Book's social time preference rate). For years beyond
30 the Green Book's rate declines: 3.0% for years 31–75, 2.5% for 76–125, 2.0% for 126–200,
1.5% for 201–300 and 1.0% beyond; each band's rate applies to the factor of the last year of the
band before (``discount_factor(31) = discount_factor(30) ÷ 1.03``). A stated rate other than 3.5%
keeps its own rate for years 1–30, and beyond takes the Green Book's band rate or its own,
whichever is lower (a lower stated rate is never raised). ``declining=False`` discounts every
year at the stated rate.

**Sensitivity.** Each assumption is moved on its own and the ratio and NPV worked out again:
deadweight, attribution, displacement and drop-off each 10 percentage points lower and higher for
every outcome (clipped to 0–100%); the discount rate at 1.5% and 5% (``SENSITIVITY_RATES``); the
benefit period one year shorter and longer for every outcome not counted once (clipped to at
least a year). The break-even value of an assumption is the value, the same for every outcome,
at which NPV = 0 (``scipy.optimize.brentq``); None when there is none within 0–100% (or, for the
benefit period, within 1–``MAX_YEARS`` years: the fewest whole years at which NPV ≥ 0).

Pure: no Flask, no database.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from scipy.optimize import brentq

DEFAULT_RATE = 0.035
DEFAULT_RATE_SOURCE = "HM Treasury, The Green Book (2022), social time preference rate: 3.5% a year"
#: The Green Book's declining long-term rates: (first year of the band, rate).
GREEN_BOOK_BANDS = ((1, 0.035), (31, 0.030), (76, 0.025), (126, 0.020), (201, 0.015), (301, 0.010))
FRACTIONS = ("deadweight", "attribution", "displacement", "drop_off")
#: How far each fraction is moved, down and up, in the sensitivity table.
SENSITIVITY_STEP = 0.10
#: The discount rates of the sensitivity table: the Green Book's rate for health effects, and 5%.
SENSITIVITY_RATES = (0.015, 0.05)
MAX_YEARS = 100
STATUSES = ("draft", "reviewed")
LABELS = {"deadweight": "Deadweight", "attribution": "Attribution", "displacement": "Displacement",
          "drop_off": "Drop-off (per year)", "discount_rate": "Discount rate",
          "benefit_years": "Benefit period (years)"}


@dataclass(frozen=True)
class OutcomeAssumptions:
    """One outcome's assumptions: fractions 0–1, ``benefit_years`` ≥ 1; ``once``: the unit value is
    a lifetime cost already, counted once (one year), whatever the benefit period."""

    deadweight: float = 0.0
    attribution: float = 0.0
    displacement: float = 0.0
    drop_off: float = 0.0
    benefit_years: int = 1
    once: bool = False
    #: Where each value comes from: field name → source text.
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        for name in FRACTIONS:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a fraction from 0 to 1, not {value!r}")
        if int(self.benefit_years) != self.benefit_years or self.benefit_years < 1:
            raise ValueError(f"benefit_years must be a whole number of years, at least 1, not {self.benefit_years!r}")

    @property
    def retained(self) -> float:
        """What is left of each outcome once deadweight, displacement and attribution are taken off."""
        return (1 - self.deadweight) * (1 - self.displacement) * (1 - self.attribution)


@dataclass(frozen=True)
class Review:
    status: str = "draft"
    by: str = ""
    on: date | str | None = None
    note: str = ""


@dataclass(frozen=True)
class Parameters:
    outcomes: dict[str, OutcomeAssumptions]
    discount_rate: float = DEFAULT_RATE
    discount_source: str = DEFAULT_RATE_SOURCE
    declining: bool = True
    review: Review = Review()
    #: The file they were read from, as problems and notes name it.
    file: str = ""

    @property
    def draft(self) -> bool:
        return self.review.status != "reviewed"


# --- discounting ----------------------------------------------------------------------------

def discount_factor(year: int, rate: float = DEFAULT_RATE, declining: bool = True) -> float:
    """The Green Book discount factor of ``year`` (year 0 = 1.0): 1 ÷ (1 + r)^t up to year 30, then
    (``declining``) the Green Book's lower long-term rates, each applied to the factor of the last
    year of the band before."""
    if year < 0:
        raise ValueError(f"a year is 0 or later, not {year!r}")
    if rate <= -1:
        raise ValueError(f"a discount rate must be above −100%, not {rate!r}")
    if not declining:
        return 1.0 / (1.0 + rate) ** year
    factor, done = 1.0, 0
    for n, (first, band_rate) in enumerate(GREEN_BOOK_BANDS):
        last = GREEN_BOOK_BANDS[n + 1][0] - 1 if n + 1 < len(GREEN_BOOK_BANDS) else math.inf
        use = rate if n == 0 else min(rate, band_rate)
        years = min(year, last) - done
        if years <= 0:
            break
        factor /= (1.0 + use) ** years
        done += years
    return factor


# --- one outcome ----------------------------------------------------------------------------

def impact(quantity: float, proxy: float, a: OutcomeAssumptions) -> float:
    """Year 1's value: quantity × proxy × (1 − deadweight) × (1 − displacement) × (1 − attribution)."""
    return quantity * proxy * a.retained


def yearly_values(first_year: float, a: OutcomeAssumptions) -> list[float]:
    """The value in each year t = 1 … benefit years: first year's × (1 − drop-off)^(t − 1)."""
    years = 1 if a.once else a.benefit_years
    return [first_year * (1 - a.drop_off) ** (t - 1) for t in range(1, years + 1)]


def present_value(quantity: float, proxy: float, a: OutcomeAssumptions, rate: float = DEFAULT_RATE,
                  declining: bool = True) -> float:
    """Σ value in year t × discount factor of year t, t = 1 … benefit years."""
    return sum(value * discount_factor(t, rate, declining)
               for t, value in enumerate(yearly_values(impact(quantity, proxy, a), a), start=1))


# --- the whole valuation ----------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """One outcome to value: its key, how many (avoided), and its financial proxy (£ each)."""

    key: str
    quantity: float
    proxy: float


@dataclass
class Valuation:
    #: key → (impact in year 1, present value, present value per unit of quantity).
    outcomes: dict[str, tuple[float, float, float]]
    present_value: float
    investment: float | None
    npv: float | None
    ratio: float | None


def value(lines: list[Line], params: Parameters, investment: float | None = None) -> Valuation:
    """PV of every line and in all; NPV and ratio when there is an investment (> 0)."""
    outcomes = {}
    for line in lines:
        a = params.outcomes[line.key]
        per_unit = present_value(1, line.proxy, a, params.discount_rate, params.declining)
        outcomes[line.key] = (impact(line.quantity, line.proxy, a), line.quantity * per_unit, per_unit)
    pv = sum(pv for _, pv, _ in outcomes.values())
    if not investment:
        return Valuation(outcomes, pv, investment, None, None)
    return Valuation(outcomes, pv, investment, pv - investment, pv / investment)


def _with(params: Parameters, name: str, new) -> Parameters:
    """The parameters with one assumption changed: ``new`` is a value, or a function of each
    outcome's own value (for the fractions and the benefit period)."""
    if name == "discount_rate":
        return replace(params, discount_rate=new)
    outcomes = {}
    for key, a in params.outcomes.items():
        if name == "benefit_years" and a.once:
            outcomes[key] = a
            continue
        own = new(getattr(a, name)) if callable(new) else new
        if name == "benefit_years":
            own = max(1, int(own))
        else:
            own = min(1.0, max(0.0, own))
        outcomes[key] = replace(a, **{name: own})
    return replace(params, outcomes=outcomes)


def _npv(lines, params, investment) -> float:
    return value(lines, params, investment).npv


@dataclass(frozen=True)
class Sensitivity:
    assumption: str
    #: The base value (a fraction, a rate or years; None where outcomes differ).
    base: float | None
    low: float | str
    low_ratio: float
    low_npv: float
    high: float | str
    high_ratio: float
    high_npv: float
    #: The value (the same for every outcome) at which NPV = 0, or None where there is none in range.
    break_even: float | None


def break_even(lines: list[Line], params: Parameters, investment: float, name: str) -> float | None:
    """The value of one assumption, the same for every outcome, at which NPV = 0: a fraction or
    rate within 0–1 (``brentq``), or the fewest whole benefit years (1 … ``MAX_YEARS``) at which
    NPV ≥ 0. None when there is none in that range."""
    if name == "benefit_years":
        if not any(not a.once for key, a in params.outcomes.items() if key in {line.key for line in lines}):
            return None
        for years in range(1, MAX_YEARS + 1):
            if _npv(lines, _with(params, name, years), investment) >= 0:
                return float(years)
        return None

    def npv_at(x: float) -> float:
        return _npv(lines, _with(params, name, x), investment)

    low, high = npv_at(0.0), npv_at(1.0)
    if low == 0:
        return 0.0
    if high == 0:
        return 1.0
    if (low > 0) == (high > 0):
        return None
    return brentq(npv_at, 0.0, 1.0, xtol=1e-10)


def sensitivity(lines: list[Line], params: Parameters, investment: float) -> list[Sensitivity]:
    """Each assumption moved down and up on its own (see the module's note), with the ratio and
    NPV at each, and its break-even value."""
    if not investment:
        raise ValueError("a sensitivity table needs an investment above £0")
    keys = {line.key for line in lines}
    rows = []
    moves = [(name, (lambda v: v - SENSITIVITY_STEP), (lambda v: v + SENSITIVITY_STEP)) for name in FRACTIONS]
    moves.append(("discount_rate", SENSITIVITY_RATES[0], SENSITIVITY_RATES[1]))
    moves.append(("benefit_years", (lambda v: v - 1), (lambda v: v + 1)))
    for name, down, up in moves:
        if name == "discount_rate":
            base = params.discount_rate
            low, high = down, up
        else:
            values = {getattr(a, name) for key, a in params.outcomes.items() if key in keys
                      and not (name == "benefit_years" and a.once)}
            base = values.pop() if len(values) == 1 else None
            if name == "benefit_years":
                low = "−1 year" if base is None else max(1, int(base) - 1)
                high = "+1 year" if base is None else int(base) + 1
            else:
                low = "−10 points" if base is None else max(0.0, base - SENSITIVITY_STEP)
                high = "+10 points" if base is None else min(1.0, base + SENSITIVITY_STEP)
        at_low, at_high = (value(lines, _with(params, name, move), investment) for move in (down, up))
        rows.append(Sensitivity(name, base, low, at_low.ratio, at_low.npv, high, at_high.ratio, at_high.npv,
                                break_even(lines, params, investment, name)))
    return rows


# --- the parameters file --------------------------------------------------------------------

class InvalidParameters(ValueError):
    """The parameters file cannot be used; ``problems`` names each bad value with file and key."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _shown(path: Path) -> str:
    """How problems name the file: its folder and name (``valuation/sroi.yaml``)."""
    path = Path(path)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def load_sroi_parameters(path, outcome_keys=None, display: str | None = None) -> tuple[Parameters | None, list[str]]:
    """The parameters in a YAML file, and the problems found (each naming the file and the key).
    With any problem the parameters are None: a valuation is never made from half a file.

    ``outcome_keys``: the outcomes there must be (default: cost-benefit's); a key the file names
    that is not one of them is a problem, and so is one it leaves out. ``display``: how problems
    name the file (default: its folder and name)."""
    import yaml

    from ..instruments.yaml_text import parse as parse_yaml

    if outcome_keys is None:
        from ..reports.cost_benefit import OUTCOMES
        outcome_keys = [outcome.key for outcome in OUTCOMES]
    shown_name = display or _shown(path)
    try:
        data = parse_yaml(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [f"{shown_name}: no such file"]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return None, [f"{shown_name}: cannot be read: {error}".splitlines()[0]]
    if not isinstance(data, dict):
        return None, [f"{shown_name}: expected a mapping with 'discount_rate', 'reviewed' and 'outcomes'"]
    problems: list[str] = []

    def problem(key: str, text: str) -> None:
        problems.append(f"{shown_name}: {key}: {text}")

    def sourced(entry, key: str) -> tuple[object, str] | None:
        """A value given with its source: {value: …, source: "…"}."""
        if not isinstance(entry, dict) or "value" not in entry:
            problem(key, "give it as {value: …, source: \"…\"}")
            return None
        source = entry.get("source")
        if not isinstance(source, str) or not source.strip():
            problem(key, "missing source: say where the value comes from")
        unknown = set(entry) - {"value", "source"}
        if unknown:
            problem(key, f"unknown field(s) {', '.join(sorted(map(str, unknown)))}")
        return entry["value"], (source or "").strip() if isinstance(source, str) else ""

    def fraction(entry, key: str, upper: float = 1.0) -> tuple[float, str] | None:
        got = sourced(entry, key)
        if got is None:
            return None
        value, source = got
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) \
                or not 0.0 <= value <= upper:
            problem(key, f"{value!r} is not a fraction from 0 to {upper:g} (write 20% as 0.20)")
            return None
        return float(value), source

    unknown = set(data) - {"discount_rate", "declining", "reviewed", "outcomes"}
    for key in sorted(map(str, unknown)):
        problem(key, "unknown setting (expected discount_rate, declining, reviewed, outcomes)")
    rate, rate_source = DEFAULT_RATE, DEFAULT_RATE_SOURCE
    if "discount_rate" in data:
        got = fraction(data["discount_rate"], "discount_rate", upper=1.0)
        if got is not None:
            rate, rate_source = got
    declining = data.get("declining", True)
    if not isinstance(declining, bool):
        problem("declining", f"{declining!r} is not true or false")
        declining = True
    review = Review()
    reviewed = data.get("reviewed")
    if not isinstance(reviewed, dict):
        problem("reviewed", "missing: give status (draft or reviewed), by, on and note")
    else:
        # YAML 1.1 reads a bare ``on:`` key as true: take it as the date it means.
        reviewed = {("on" if key is True else key): value for key, value in reviewed.items()}
        status = reviewed.get("status")
        if status not in STATUSES:
            problem("reviewed.status", f"{status!r} is not one of {', '.join(STATUSES)}")
            status = "draft"
        if status == "reviewed" and not (str(reviewed.get("by") or "").strip() and reviewed.get("on")):
            problem("reviewed", "a reviewed file says who reviewed it (by) and when (on)")
        extra = set(reviewed) - {"status", "by", "on", "note"}
        if extra:
            problem("reviewed", f"unknown field(s) {', '.join(sorted(map(str, extra)))}")
        review = Review(status, str(reviewed.get("by") or ""), reviewed.get("on"), str(reviewed.get("note") or ""))
    outcomes_data = data.get("outcomes")
    outcomes: dict[str, OutcomeAssumptions] = {}
    if not isinstance(outcomes_data, dict):
        problem("outcomes", "missing: give every outcome's assumptions")
        outcomes_data = {}
    for key in sorted(set(map(str, outcomes_data)) - set(outcome_keys)):
        problem(f"outcomes.{key}", f"unknown outcome (expected one of {', '.join(outcome_keys)})")
    for key in outcome_keys:
        if key not in outcomes_data:
            problem(f"outcomes.{key}", "missing: every outcome needs its assumptions")
            continue
        entry = outcomes_data[key]
        where = f"outcomes.{key}"
        if not isinstance(entry, dict):
            problem(where, "expected deadweight, attribution, displacement, drop_off and benefit_years")
            continue
        extra = set(entry) - {*FRACTIONS, "benefit_years", "once", "note"}
        if extra:
            problem(where, f"unknown field(s) {', '.join(sorted(map(str, extra)))}")
        values, sources, ok = {}, {}, True
        for name in FRACTIONS:
            if name not in entry:
                problem(f"{where}.{name}", "missing")
                ok = False
                continue
            got = fraction(entry[name], f"{where}.{name}")
            if got is None:
                ok = False
            else:
                values[name], sources[name] = got
        if "benefit_years" not in entry:
            problem(f"{where}.benefit_years", "missing")
            ok = False
        else:
            got = sourced(entry["benefit_years"], f"{where}.benefit_years")
            years = None if got is None else got[0]
            if got is not None and (isinstance(years, bool) or not isinstance(years, int) or years < 1):
                problem(f"{where}.benefit_years", f"{years!r} is not a whole number of years, at least 1")
                ok = False
            elif got is None:
                ok = False
            else:
                values["benefit_years"], sources["benefit_years"] = years, got[1]
        once = entry.get("once", False)
        if not isinstance(once, bool):
            problem(f"{where}.once", f"{once!r} is not true or false")
            ok = False
        elif once and values.get("benefit_years", 1) != 1:
            problem(f"{where}.benefit_years",
                    "an outcome counted once (a lifetime cost) has a benefit period of 1 year")
            ok = False
        if ok:
            outcomes[key] = OutcomeAssumptions(**values, once=once, sources=sources)
    if problems:
        return None, problems
    return Parameters(outcomes, rate, rate_source, declining, review, shown_name), []


def percent(fraction: float | None, decimals: int = 1) -> str:
    """A fraction as a percentage to show ("20.0%"), or "–"."""
    return "–" if fraction is None else f"{100 * fraction:.{decimals}f}%"
