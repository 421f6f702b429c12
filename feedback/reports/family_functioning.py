"""family-functioning: the mean score at each wave, the mean change between waves for the same
members, and the share at or above the cut-off that suggests difficulties.

From ``family-functioning`` (scale ``general_functioning``; higher scores mean more difficulty).
Each member's latest score at a wave counts once.
"""
from __future__ import annotations

import math

import pandas as pd
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .disclosure import Mean, Sum
from .model import Chart, Column, Report, Table, not_enough, share
from .pairs import latest, paired

NAME, TITLE = "family-functioning", "Family functioning by wave"
INSTRUMENT, SCALE = "family-functioning", "general_functioning"
WAVES = {"entry": _l("Entry"), "exit": _l("Exit"), "exit-6m": _l("6 months after exit"),
         "exit-12m": _l("12 months after exit")}  # str() in a report
CHANGES = (("entry", "exit"), ("exit", "exit-6m"), ("exit", "exit-12m"), ("entry", "exit-12m"))


def score_ranges(scale) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """(flagged, not flagged): the least and greatest score a member in each can have, from the
    scale's answers, scoring and cut-off; None when unknown. A mean score with its n then bounds
    how many are flagged (a mean of 1.05 over 20 members on 1–4 with a cut-off of 2.0 allows one),
    which the disclosure audit must know."""
    cutoff = getattr(scale, "cutoff", None)
    if cutoff is None or scale.method != "mean" or not scale.items or scale.high <= scale.low:
        return None
    items = len(scale.items)
    fewest = max(1, math.ceil(scale.min_answered * items - 1e-9))
    # A mean of k answers is a multiple of 1/k (on whole answers): the nearest a score can come to
    # the cut-off without reaching it is the greatest such value on the other side.
    below = max(math.ceil(cutoff.value * k - 1) / k for k in range(fewest, items + 1))
    above = min(math.floor(cutoff.value * k + 1) / k for k in range(fewest, items + 1))
    if cutoff.direction == "at_or_above":
        return (cutoff.value, scale.high), (scale.low, min(below, cutoff.value))
    return (scale.low, cutoff.value), (max(above, cutoff.value), scale.high)


def summarise(scores: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(at_waves, changes) from scores one by one, as ``scale_data.latest_score_summary`` sums them in the
    database: ``at_waves``: wave, members, value_sum, flagged over each member's latest score at
    each wave; ``changes``: before, after, members, change_sum for each of ``CHANGES``, over the
    members scored at both."""
    scored = latest(scores.dropna(subset=["value", "member_id"]), ["member_id", "wave"])
    at_waves = [{"wave": wave, "members": len(at), "value_sum": float(at["value"].sum()),
                 "flagged": int(at["flagged"].fillna(False).astype(bool).sum())}
                for wave, at in ((wave, scored[scored["wave"] == wave]) for wave in WAVES) if not at.empty]
    changes = []
    for before, after in CHANGES:
        pairs = paired(scored, "member_id", "value", before, after)
        if not pairs.empty:
            changes.append({"before": before, "after": after, "members": len(pairs),
                            "change_sum": float((pairs[after] - pairs[before]).sum())})
    return (pd.DataFrame(at_waves, columns=["wave", "members", "value_sum", "flagged"]),
            pd.DataFrame(changes, columns=["before", "after", "members", "change_sum"]))


def compute(scores: pd.DataFrame, cutoff_label: str, ranges=None) -> Report:
    """``scores``: member_id, wave, completed_at, value, flagged (at or beyond the cut-off);
    ``ranges``: ``score_ranges`` of the scale, when known."""
    return compute_summary(*summarise(scores), cutoff_label, ranges)


def compute_summary(at_waves: pd.DataFrame, changes: pd.DataFrame, cutoff_label: str, ranges=None) -> Report:
    """The report from sums (``summarise``, or ``scale_data.latest_score_summary`` in the database): a
    100,000-family service has a million scores, too many to read one by one for a page."""
    found = {row.wave: row for row in at_waves.itertuples(index=False) if row.members}
    rows, made_of = [], {}
    for wave, label in WAVES.items():
        if wave not in found:
            continue
        at = found[wave]
        members, flagged = int(at.members), int(at.flagged)
        # The atoms: members at or beyond the cut-off and the rest.
        made_of[(len(rows), "members")] = Sum.of([(NAME, wave, "flagged"), (NAME, wave, "not flagged")])
        made_of[(len(rows), "flagged")] = Sum.of([(NAME, wave, "flagged")])
        if ranges is not None:
            (flagged_low, flagged_high), (rest_low, rest_high) = ranges
            made_of[(len(rows), "mean")] = Mean((((NAME, wave, "flagged"), flagged_low, flagged_high),
                                                 ((NAME, wave, "not flagged"), rest_low, rest_high)))
        rows.append({"wave": str(label), "members": members, "mean": round(float(at.value_sum) / members, 2),
                     "flagged": flagged, "flagged_pct": share(flagged, members)})
    if not rows:
        return not_enough(NAME, TITLE, _("a family-functioning score"))
    tables = [Table(_("Scores at each wave"), [
        Column("wave", _("Wave"), "label"), Column("members", _("Members scored")),
        Column("mean", _("Mean score"), "mean", base="members"), Column("flagged", cutoff_label),
        Column("flagged_pct", f"% {cutoff_label[0].lower()}{cutoff_label[1:]}", "percent", base="members",
               numerator="flagged")], rows, made_of=made_of,
        note=_("Higher scores mean more difficulty in how the family functions."))]
    change_rows = []
    moved = {(row.before, row.after): row for row in changes.itertuples(index=False) if row.members}
    for before, after in CHANGES:
        if (before, after) not in moved:
            continue
        pair = moved[before, after]
        change_rows.append({"pair": f"{WAVES[after]} − {str(WAVES[before]).lower()}", "members": int(pair.members),
                            "change": round(float(pair.change_sum) / int(pair.members), 2)})
    if change_rows:
        tables.append(Table(_("Mean change for the same members"), [
            Column("pair", _("Between"), "label"), Column("members", _("Members scored at both")),
            Column("change", _("Mean change"), "mean", base="members")], change_rows,
            note=_("A negative change is an improvement.")))
    return Report(NAME, TITLE, tables, Chart("bars", _("Mean family-functioning score by wave"), 0, "wave",
                                             {_("Mean score"): "mean"}))


