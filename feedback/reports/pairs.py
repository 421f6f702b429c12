"""Pairing a family's (or member's) readings across waves: the building block of "did it change?".

Pure pandas. When a wave holds more than one reading for the same family (a repeated
assessment), the latest completed one counts: it is the service's own final word for that wave.
"""
from __future__ import annotations

import pandas as pd


def latest(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per ``keys`` combination: the one completed last."""
    if frame.empty:
        return frame
    return frame.sort_values("completed_at", kind="stable").drop_duplicates(keys, keep="last")


def by_wave(frame: pd.DataFrame, key: str, value: str, waves: list[str]) -> pd.DataFrame:
    """A table indexed by ``key`` with one column per wave holding ``value`` at that wave (NaN
    where there is none). ``frame`` has columns key, wave, completed_at and value."""
    chosen = latest(frame[frame["wave"].isin(waves)], [key, "wave"])
    if chosen.empty:
        return pd.DataFrame(columns=waves)
    table = chosen.pivot(index=key, columns="wave", values=value)
    return table.reindex(columns=waves)


def paired(frame: pd.DataFrame, key: str, value: str, before: str, after: str) -> pd.DataFrame:
    """Rows with a value at both waves: columns ``before`` and ``after``."""
    table = by_wave(frame, key, value, [before, after])
    return table.dropna(subset=[before, after])
