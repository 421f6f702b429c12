"""De-identification for evaluator datasets: dates, ages, timestamps and spreadsheet-safe cells.

Pure functions, no Flask and no database, so every rule can be tested on its own. This module
is also the one place to import the whole toolkit from: pseudonymous ids and date offsets
(``pseudonyms``), free-text scrubbing (``scrub``) and disclosure control (``disclosure``).

Missing values (None) pass through every function here unchanged: an export has gaps, and a
gap must stay a gap rather than become an error or a made-up value.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from ..families.eligibility import age_on
from .formulas import defuse
from .disclosure import Drop, Generalised, Recode, Suppressed, generalise, matching_rows, smallest_group, suppress_locally
from .pseudonyms import MAX_SHIFT_DAYS, MIN_KEY_BYTES, check_key, pseudonym, recipient_key, shift_days
from .scrub import PLACEHOLDERS, scrub

__all__ = [
    "MAX_SHIFT_DAYS", "MIN_KEY_BYTES", "PLACEHOLDERS", "AGE_EDGES", "COARSE_UNITS",
    "check_key", "recipient_key", "pseudonym", "shift_days",
    "scrub",
    "days_since", "shifted", "age_at", "age_band", "wider_bands", "coarser_edges", "coarsen", "defuse",
    "Recode", "Drop", "Generalised", "smallest_group", "generalise",
    "Suppressed", "matching_rows", "suppress_locally",
    "local_days", "days_since_column", "age_column", "age_band_column", "coarsen_column", "shifted_column",
]

#: Default age bands: the ages services and evaluators report by (under 8s do not answer
#: questionnaires; 16–17 and 18–24 separate young people from young adults).
AGE_EDGES = (0, 8, 12, 16, 18, 25, 35, 50, 65)
COARSE_UNITS = ("day", "week", "month")
SERVICE_ZONE = "Europe/London"


# Dates -----------------------------------------------------------------------------------------

def days_since(day: date | None, anchor: date | None) -> int | None:
    """Whole days from ``anchor`` (the family's entry or exit) to ``day``; negative if before."""
    if day is None or anchor is None:
        return None
    return (_as_date(day) - _as_date(anchor)).days


def shifted(day: date | None, offset: int) -> date | None:
    """``day`` moved by ``offset`` days (from ``shift_days``); intervals within a family keep their length."""
    if day is None:
        return None
    return _as_date(day) + timedelta(days=offset)


def _as_date(value: date) -> date:
    # A datetime is a date too, but subtracting one from a plain date fails; take its own calendar day.
    return value.date() if isinstance(value, datetime) else value


# Ages ------------------------------------------------------------------------------------------

def age_at(birth_year: int | None, birth_month: int | None, on: date) -> int | None:
    """Age in whole years on ``on``, from the birth year and month the service holds.

    A missing month counts as December, the youngest the person could be, in keeping with
    ``age_on`` never overstating an age.
    """
    if birth_year is None:
        return None
    return age_on(birth_year, birth_month or 12, _as_date(on))


def age_band(age: int | None, edges: Sequence[int] = AGE_EDGES) -> str | None:
    """The band holding ``age``: with edges 0, 8, 12, 16, 18, …, 65 → "0–7", "16–17", "65+".

    Each edge starts a band that runs to the year before the next edge; the last is open. A band
    one year wide is written as that year ("16"). Refuses edges that do not rise, and ages below
    the first edge.
    """
    if age is None:
        return None
    if not edges or any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError(f"age band edges must be one or more rising whole numbers, not {list(edges)}")
    if age < edges[0]:
        raise ValueError(f"age {age} is below the first band, which starts at {edges[0]}")
    for low, high in zip(edges, edges[1:]):
        if age < high:
            return str(low) if high - low == 1 else f"{low}–{high - 1}"
    return f"{edges[-1]}+"


def wider_bands(edges: Sequence[int]) -> Callable[[str | None], str | None]:
    """A recoding from age bands (as ``age_band`` writes them) to the wider bands of ``edges``.

    For a disclosure ladder: ``Recode("age_band", wider_bands([0, 18, 65]), "wider age bands")``.
    The recoding refuses a band that straddles two wider bands ("16–17" into bands split at 17):
    the wider edges must be chosen from among the narrower ones.
    """
    def recode(label: str | None) -> str | None:
        if label is None or label != label:  # None, or NaN from pandas
            return None
        low, high = _band_limits(str(label))
        wider = age_band(low, edges)
        top = age_band(high, edges) if high is not None else None
        if (high is None and not wider.endswith("+")) or (high is not None and top != wider):
            raise ValueError(f"the age band {label} does not fit inside one of the bands made by edges "
                             f"{list(edges)}; choose wider edges from among the narrower ones")
        return wider
    return recode


def coarser_edges(edges: Sequence[int]) -> list[tuple[int, ...]]:
    """Wider and wider age bands made from ``edges`` (each from among the narrower edges, so
    ``wider_bands`` can recode to it): every other edge, keeping 18 (child or adult), then under
    and over 18 alone. Steps that would not change anything are left out."""
    edges = tuple(sorted(edges))
    steps = []
    for wider in (tuple(sorted(set(edges[::2]) | ({18} & set(edges)))), tuple(e for e in edges if e in (0, 18))):
        if wider and wider != (steps[-1] if steps else edges):
            steps.append(wider)
    return steps


def _band_limits(label: str) -> tuple[int, int | None]:
    if label.endswith("+"):
        return int(label[:-1]), None
    low, _, high = label.partition("–")
    return int(low), int(high or low)


# Timestamps ------------------------------------------------------------------------------------

def coarsen(ts: datetime | date | None, unit: str, timezone: str = SERVICE_ZONE) -> date | None:
    """The first day of the day, ISO week (Monday) or month that ``ts`` falls in.

    An exact submission time can single out a respondent ("the one who answered at 02:14"), so
    exports carry only its day, week or month. Time-zone aware moments are read in the service's
    zone first, so an answer at 00:30 on a summer night belongs to that day, not the day before
    in UTC; naive ones are taken as local already.
    """
    if unit not in COARSE_UNITS:
        raise ValueError(f"timestamps are coarsened to a {', a '.join(COARSE_UNITS)}, not {unit!r}")
    if ts is None:
        return None
    if isinstance(ts, datetime):
        if ts.tzinfo is not None:
            ts = ts.astimezone(ZoneInfo(timezone))
        ts = ts.date()
    if unit == "week":
        return ts - timedelta(days=ts.weekday())
    if unit == "month":
        return ts.replace(day=1)
    return ts


# Spreadsheet cells: ``defuse`` (re-exported above) lives in ``formulas``, shared with the writers.


# Whole columns ---------------------------------------------------------------------------------
# An export applies the rules above to hundreds of thousands of rows at once. These give the same
# values as the one-value functions above (a property test compares them), column by column in
# pandas: a Python call per cell was most of an export's time.

def local_days(moments: pd.Series, timezone: str = SERVICE_ZONE) -> pd.Series:
    """Midnight of each moment's calendar day in the service's zone (datetime64, NaT for missing).

    Aware moments are converted to the zone; naive ones are taken as local already, as ``coarsen``
    takes them. (The database's naive UTC times should be made aware with ``tz_localize("UTC")``.)
    """
    values = pd.to_datetime(moments)
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert(timezone).dt.tz_localize(None)
    return values.dt.normalize().astype("datetime64[us]")


def _as_day_column(values: pd.Series) -> pd.Series:
    values = pd.to_datetime(values)
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)  # its own calendar day, as _as_date takes it
    return values.dt.normalize().astype("datetime64[us]")


def days_since_column(days: pd.Series, anchors: pd.Series) -> pd.Series:
    """``days_since`` row by row: whole days from each anchor to each day (nullable integers)."""
    difference = _as_day_column(days) - _as_day_column(anchors)
    return difference.dt.days.astype("Int64")


def age_column(birth_years: pd.Series, birth_months: pd.Series, on: pd.Series) -> pd.Series:
    """``age_at`` row by row (nullable integers; missing where the birth year is)."""
    day = _as_day_column(on)
    year = pd.to_numeric(birth_years, errors="coerce").astype("Int64")
    month = pd.to_numeric(birth_months, errors="coerce").astype("Int64").fillna(12)
    bad = month.notna() & year.notna() & ~month.between(1, 12)
    if bad.any():
        raise ValueError(f"birth month {month[bad].iloc[0]} is not 1–12")
    age = day.dt.year.astype("Int64") - year
    age = age - (day.dt.month.astype("Int64") <= month).astype("Int64")  # birthday may not have come yet
    return age.clip(lower=0)


def age_band_column(ages: pd.Series, edges: Sequence[int] = AGE_EDGES) -> pd.Series:
    """``age_band`` row by row (object column, None where the age is missing)."""
    bands = {age: age_band(int(age), edges) for age in pd.unique(ages.dropna())}
    return pd.Series([bands[a] if not pd.isna(a) else None for a in ages], index=ages.index, dtype="object")


def coarsen_column(moments: pd.Series, unit: str, timezone: str = SERVICE_ZONE) -> pd.Series:
    """``coarsen`` row by row: dates (object column, None where missing)."""
    if unit not in COARSE_UNITS:
        raise ValueError(f"timestamps are coarsened to a {', a '.join(COARSE_UNITS)}, not {unit!r}")
    days = local_days(moments, timezone)
    if unit == "week":
        days = days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    elif unit == "month":
        days = days - pd.to_timedelta(days.dt.day - 1, unit="D")
    return _dates(days)


def shifted_column(days: pd.Series, offsets: pd.Series) -> pd.Series:
    """``shifted`` row by row: each day moved by its offset (dates; None where either is missing)."""
    moved = _as_day_column(days) + pd.to_timedelta(pd.to_numeric(offsets, errors="coerce"), unit="D")
    return _dates(moved)


def _dates(values: pd.Series) -> pd.Series:
    return pd.Series([None if pd.isna(v) else v.date() for v in values], index=values.index, dtype="object")
