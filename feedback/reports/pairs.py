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


def transitions(frame: pd.DataFrame, key: str, before: str = "entry", after: str = "exit",
                by: str | None = None) -> pd.DataFrame:
    """Counts of (item_id, [by,] before, after): how many ``key``s (families or members) answered
    each pair of values at the two waves, from long answers (key, wave, completed_at, item_id,
    value[, by]). What ``data.transitions`` counts in the database."""
    names = ["item_id", *([by] if by else []), "before", "after", "n"]
    at_waves = frame[frame["wave"].isin([before, after])].dropna(subset=[key])
    # The latest response at each wave counts, with whatever it answered (as in the database).
    responses = latest(at_waves.drop_duplicates("response_id"), [key, "wave"])["response_id"]
    chosen = at_waves[at_waves["response_id"].isin(responses)]
    if chosen.empty:
        return pd.DataFrame(columns=names)
    index = [key, "item_id", *([by] if by else [])]
    table = chosen.pivot_table(index=index, columns="wave", values="value", aggfunc="first").reset_index()
    if before not in table or after not in table:
        return pd.DataFrame(columns=names)
    table = table.dropna(subset=[before, after]).rename(columns={before: "before", after: "after"})
    counted = table.groupby(["item_id", *([by] if by else []), "before", "after"]).size().reset_index(name="n")
    return counted[names]


def paired_counts(moves: pd.DataFrame, item: str) -> pd.DataFrame:
    """One item's transition counts as rows of (before, after, n)."""
    return moves.loc[moves["item_id"] == item, ["before", "after", "n"]]


def distribution(frame: pd.DataFrame, key: str, waves) -> pd.DataFrame:
    """Counts of (wave, item_id, value) from long answers, as ``data.distribution`` counts them in
    the database: over each member's latest response at each wave (``key="member_id"``), or each
    family's latest answer to each item at each wave (``key="family_id"``)."""
    at_waves = frame[frame["wave"].isin(list(waves))].dropna(subset=[key])
    if key == "family_id":
        chosen = latest(at_waves, [key, "wave", "item_id"])
    else:
        responses = latest(at_waves.drop_duplicates("response_id"), [key, "wave"])["response_id"]
        chosen = at_waves[at_waves["response_id"].isin(responses)]
    if chosen.empty:
        return pd.DataFrame(columns=["wave", "item_id", "value", "n"])
    return chosen.groupby(["wave", "item_id", "value"]).size().reset_index(name="n")
