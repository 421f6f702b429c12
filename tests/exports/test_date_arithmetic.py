"""Relative and shifted dates survive an attacker's arithmetic: no column of a de-identified export,
alone or added to or taken from another, gives back a family's real dates or its shift.

For every date style, timestamp unit and shape, two families whose real entry, exit and completion
dates the test knows are exported; then every date column and every difference and sum of a date
column with a day-count column, and every difference of two date columns, is compared, family by
family, with the real dates and with the family's shift. A value that lands within a month of the
real one for both families (whose shifts are months apart) is a leak: the profile promised dates
that are relative (no calendar date at all) or moved by an offset of up to six months.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from itertools import combinations

import pandas as pd
import pytest

from feedback.exports.profile import load_profile
from feedback.exports.pseudonyms import pseudonym_map, shift_days
from feedback.exports.runner import run_export
from tests.exports.test_dataset import TODAY, answered_family

PROFILE = """id: dates
title: Dates under attack
instruments: [exit-interview, family-functioning]
waves: all
shape: {shape}
deidentification:
  dates: {dates}
  timestamps: {timestamps}
  free_text: drop
disclosure:
  k: 2
  on_fail: refuse
formats: [csv]
"""
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CLOSE = 31   # days: "within a month" (of any length) or better is a leak


def day_number(text) -> int | None:
    return date.fromisoformat(text).toordinal() if isinstance(text, str) and ISO.match(text) else None


def leaks(frame: pd.DataFrame, real: dict[str, dict[str, date]], shifts: dict[str, int]) -> list[str]:
    """Every derived value that recovers, for every family, a real date or the family's shift."""
    dates = [c for c in frame.columns if frame[c].dropna().map(lambda v: day_number(v) is not None).all()
             and frame[c].notna().any()]
    counts = [c for c in frame.columns if "days_since" in c]
    candidates = [(c, lambda row, c=c: day_number(row[c])) for c in dates]
    for d, n in ((d, n) for d in dates for n in counts):
        candidates.append((f"{d} − {n}", lambda row, d=d, n=n: _minus(day_number(row[d]), row[n])))
        candidates.append((f"{d} + {n}", lambda row, d=d, n=n: _minus(day_number(row[d]), -row[n] if pd.notna(row[n]) else None)))
    found = []
    for name, value in candidates:
        for what in ("entry", "exit", "completed"):
            if _matches_every_family(frame, lambda row, family: _close(value(row), real[family][what].toordinal())):
                found.append(f"{name} gives the real {what} date")
    for a, b in combinations(dates, 2):
        if _matches_every_family(frame, lambda row, family: _close(_minus(day_number(row[a]), day_number(row[b])),
                                                                   shifts[family], either_sign=True)):
            found.append(f"{a} − {b} gives the family's shift")
    return found


def _minus(a, b):
    return None if a is None or b is None or pd.isna(b) else a - int(b)


def _close(value, target, either_sign=False) -> bool:
    if value is None:
        return False
    return abs(value - target) <= CLOSE or (either_sign and abs(value + target) <= CLOSE)


def _matches_every_family(frame, test) -> bool:
    matched = {}
    for _, row in frame.iterrows():
        family = row["family"] if "family" in frame.columns else None
        if family is None or pd.isna(family):
            continue
        matched[family] = matched.get(family, False) or bool(test(row, family))
    return len(matched) >= 2 and all(matched.values())


@pytest.mark.parametrize("dates", ["days_since_entry", "days_since_exit", "shifted"])
@pytest.mark.parametrize("timestamps", ["day", "week", "month"])
@pytest.mark.parametrize("shape", ["long", "wide_member", "wide_family"])
def test_no_column_or_pair_of_columns_gives_back_a_real_date_or_a_shift(app, ctx, world, tmp_path, dates, timestamps,
                                                                         shape):
    ids = [answered_family(world, case)[0].id for case in ("D-1", "D-2")]
    path = tmp_path / "dates.yaml"
    path.write_text(PROFILE.format(shape=shape, dates=dates, timestamps=timestamps))
    profile = load_profile(path)
    # Pseudonyms, and so shifts, depend on the key: take one under which the two families' shifts
    # are far from nothing and from each other, so that a match for both cannot be chance. Worked
    # out from the ids (one export, not one per key tried); the bundle's own ids are checked below.
    for n in range(1, 200):
        key = n.to_bytes(2, "big") * 16
        shifts = {name: shift_days(name, key) for name in pseudonym_map("family", ids, key).values()}
        values = list(shifts.values())
        if all(abs(s) > 3 * CLOSE for s in values) and abs(values[0] - values[1]) > 3 * CLOSE:
            break
    else:
        raise AssertionError("no key gives the two families distant shifts")
    bundle = run_export(profile, tmp_path / "bundle", key=key)
    exported = set(pd.read_csv(bundle.directory / "family-functioning.csv", dtype=str)["family"].dropna())
    assert exported == set(shifts), "the bundle's family ids are not the pseudonyms the shifts were chosen for"
    # Both families entered 120 days ago and left, and answered, today.
    real = {family: {"entry": TODAY - timedelta(days=120), "exit": TODAY, "completed": TODAY} for family in shifts}
    for name in ("family-functioning", "exit-interview"):
        frame = pd.read_csv(bundle.directory / f"{name}.csv", dtype=str)
        for column in frame.columns:
            if "days_since" in column:
                frame[column] = pd.to_numeric(frame[column])
        found = leaks(frame, real, shifts)
        assert not found, f"{dates}, {timestamps}, {shape}, {name}: " + "; ".join(found)
