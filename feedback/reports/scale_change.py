"""scale-change: for every scored scale measured twice, how much the same people changed, how
sure that is, and who changed reliably (Jacobson & Truax 1991).

One row per scale and pair of waves (entry → exit; the follow-up waves family-functioning has;
for readings not tied to waves, such as the family star, each family's first → latest reading):
paired n, mean before and after, mean change with its 95% t interval, Cohen's d_z and Hedges'
g_av with their intervals, the Wilcoxon signed-rank test's p, the reliability used and the
reliable-change threshold in scale units. Then, per scale, how many were recovered, improved,
unchanged or deteriorated.

The unit is whoever the scores are of: members where each member answers (family functioning),
families where the key worker scores the family. Each unit's latest score at a wave counts once.
Every statistic is of the same people as its paired n and is hidden with it; the counts of each
class are atoms of the disclosure audit, as in every table. Pure: frames in, ``Report`` out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from flask_babel import gettext as _

from ..instruments.reliability import VERSION_FILE, ScaleReliability, better_direction
from ..instruments.scoring import reverse, scorable
from ..statistics.change import paired_change
from ..statistics.reliable_change import CLASSES, Reliability, change_threshold, choose_reliability, classify_all
from .disclosure import Sum
from .model import Column, Report, Table, count_and_share, not_enough, p_text
from .pairs import latest, paired

NAME, TITLE = "scale-change", "Change on each scale: reliable change and effect sizes"
#: Fewer people than this behind a computed alpha: it is shown with a warning (unstable).
MIN_ALPHA_N = 30
FIRST_LATEST = None  # ``ScaleData.changes`` for readings not tied to waves


@dataclass(frozen=True)
class ItemSums:
    """A scale's item scores at the wave alpha is computed at, summed up (``scale_data.item_sums``):
    ``units`` with a response there, ``n`` of them with every item scored, and over those ``n``
    each item's sum and sum of squares and the same of their total. Enough for Cronbach's alpha
    without reading the answers one by one."""

    units: int
    n: int
    item_sums: tuple
    item_squares: tuple
    total_sum: Any
    total_squares: Any


def alpha_from_sums(sums: ItemSums) -> tuple[float | None, int]:
    """Cronbach's alpha from sums, as ``reliable_change.cronbach_alpha`` gives it from the rows:
    (alpha, rows used), alpha None with fewer than 2 items or 2 complete rows, or totals that do not
    vary. Worked out exactly (the sums of whole-number scores are exact) and rounded once."""
    n, k = sums.n, len(sums.item_sums)
    if k < 2 or n < 2:
        return None, n

    def spread(total, squares) -> Fraction:  # n(n − 1) × the sample variance
        return n * Fraction(squares) - Fraction(total) ** 2

    total_spread = spread(sums.total_sum, sums.total_squares)
    if total_spread == 0:
        return None, n
    item_spread = sum(spread(s, q) for s, q in zip(sums.item_sums, sums.item_squares))
    return float(Fraction(k, k - 1) * (1 - item_spread / total_spread)), n


def _alpha_reliability(sums: ItemSums, min_n: int) -> Reliability:
    """``choose_reliability`` without a stated value, from sums: only ``value`` and ``n`` are read here."""
    alpha, n = alpha_from_sums(sums)
    if alpha is None or alpha <= 0.0:
        return Reliability(None, "", n, None)
    return Reliability(alpha, "", n, None)


@dataclass
class ScaleData:
    """One scale of one instrument, with what the report needs of it.

    ``scores``: response_id, family_id, member_id, wave, completed_at, value (this scale only, as
    ``data.scores`` gives them); ``unit``: ``member_id`` or ``family_id``; ``changes``: the pairs
    of waves (before, after), or ``FIRST_LATEST``; ``items``: the scale's answers one by one
    (``data.answers``: response_id, family_id, member_id, wave, completed_at, item_id, value) at
    the first wave, for Cronbach's alpha when the sidecar gives no reliability; ``wave_labels``:
    wave → its name in the report.

    Read from the database at scale (``scale_data``), the same worked out there: ``pairs``, for
    each of ``changes`` (or ("first", "latest")), the units scored at both in columns named by
    the two waves, ascending by unit, instead of ``scores``; ``item_sums`` instead of ``items``."""

    instrument_id: str
    scale: Any
    label: str
    scores: pd.DataFrame
    unit: str = "member_id"
    changes: tuple[tuple[str, str], ...] | None = (("entry", "exit"),)
    items: pd.DataFrame | None = None
    reliability: ScaleReliability | None = None
    wave_labels: dict[str, str] | None = None
    pairs: dict[tuple[str, str], pd.DataFrame] | None = None
    item_sums: ItemSums | None = None


def first_wave(data: ScaleData) -> str | None:
    """The wave alpha is computed at: the first ``before`` (entry), or None for the first reading."""
    return data.changes[0][0] if data.changes else None


def entry_items(answers: pd.DataFrame | None, scale, unit: str, wave: str | None) -> pd.DataFrame | None:
    """Each unit's item scores at ``wave`` (its latest response there), or at its first response
    when ``wave`` is None: one row per unit, one column per item of the scale, reverse-scored as
    the scale is scored; missing codes and answers outside the scale's range are NaN."""
    if answers is None or answers.empty:
        return None
    frame = answers[answers["item_id"].isin(scale.items)].dropna(subset=[unit])
    if wave is not None:
        frame = frame[frame["wave"] == wave]
        responses = latest(frame.drop_duplicates("response_id"), [unit])
    else:
        responses = (frame.drop_duplicates("response_id").sort_values(["completed_at", "response_id"], kind="stable")
                     .drop_duplicates(unit, keep="first"))
    if responses.empty:
        return None
    chosen = frame[frame["response_id"].isin(responses["response_id"])]

    def number(answer) -> float:
        return float(answer) if scorable(answer, scale) else math.nan

    # Column by column rather than row by row: a national service's entry answers are millions of
    # rows (a row tuple each cost minutes). ``reverse`` over the whole column is the same sum.
    numbers = chosen["value"].map(number).astype(float)
    reversed_ = chosen["item_id"].isin(list(scale.reverse))
    scored = chosen.assign(score=numbers.where(~reversed_, reverse(numbers, scale.low, scale.high)))
    table = scored.pivot_table(index=unit, columns="item_id", values="score", aggfunc="first", dropna=False)
    return table.reindex(columns=list(scale.items))


def first_and_latest(scores: pd.DataFrame, unit: str) -> pd.DataFrame:
    """Each unit with two scored readings or more: its first and latest score (columns ``first``
    and ``latest``), readings in the order completed."""
    scored = scores.dropna(subset=["value", unit]).sort_values(["completed_at", "response_id"], kind="stable")
    if scored.empty:
        return pd.DataFrame(columns=["first", "latest"])
    grouped = scored.groupby(unit)
    table = pd.DataFrame({"first": grouped["value"].first(), "latest": grouped["value"].last(),
                          "readings": grouped.size()})
    return table[table["readings"] >= 2][["first", "latest"]]


def _label(labels: dict[str, str], wave: str) -> str:
    return str(labels.get(wave, wave))


def _r(value: float | None, places: int = 4) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), places)


def _reliability(data: ScaleData, min_n: int):
    """(Reliability, source label for the page, n behind a computed alpha or None, warning or None)."""
    given = data.reliability
    if given is not None and given.value is not None:
        kind = f", {given.kind}" if given.kind else ""
        return (choose_reliability(given.value, given.source, None, min_n),
                (_("%(source)s (reliability.yaml%(kind)s)", source=given.source or "", kind=kind)
                 if given.origin != VERSION_FILE else
                 _("%(source)s (version file%(kind)s)", source=given.source or "", kind=kind)), None, None)
    wave = first_wave(data)
    if data.item_sums is not None:
        items, units = None, data.item_sums.units
    else:
        items = entry_items(data.items, data.scale, data.unit, wave)
        units = 0 if items is None or items.empty else len(items)
    where = _("Cronbach's alpha at %(wave)s", wave=_label(data.wave_labels or {}, wave).lower()) if wave \
        else _("Cronbach's alpha at the first reading")
    if not units:
        return choose_reliability(None, None, None, min_n), where, None, \
            _("%(scale)s: no reliability stated (reliability.yaml or the version file) and no item answers to compute alpha from, so no "
              "reliable change is given.", scale=data.label)
    chosen = (_alpha_reliability(data.item_sums, min_n) if data.item_sums is not None
              else choose_reliability(None, None, items, min_n))
    warning = None
    if chosen.value is None:
        warning = _("%(scale)s: Cronbach's alpha cannot be computed from these answers (too few complete, or "
                    "they do not vary, or it is not above 0), so no reliable change is given.", scale=data.label)
    elif chosen.n is not None and chosen.n < min_n:
        warning = _("%(scale)s: Cronbach's alpha is computed from fewer than %(min)s people, so it and the "
                    "reliable-change threshold are unstable.", scale=data.label, min=min_n)
    return chosen, where, chosen.n, warning


def compute(scales: list[ScaleData], min_n: int = MIN_ALPHA_N) -> Report:
    stat_rows: list[dict] = []
    stat_made_of: dict[tuple[int, str], Sum] = {}
    hidden_with: dict[tuple[int, str], list[tuple[int, str]]] = {}
    notes: list[str] = []
    class_tables: list[Table] = []
    for data in scales:
        labels = data.wave_labels or {}
        scored = latest(data.scores.dropna(subset=["value", data.unit]), [data.unit, "wave"]) \
            if data.changes and data.pairs is None else data.scores
        pairs = []
        if data.changes:
            for before, after in data.changes:
                found = data.pairs[(before, after)] if data.pairs is not None \
                    else paired(scored, data.unit, "value", before, after)
                if not found.empty:
                    between = _("%(after)s − %(before)s", after=_label(labels, after),
                                before=_label(labels, before).lower())
                    pairs.append((before, after, between, found[before], found[after]))
        else:
            found = data.pairs[("first", "latest")] if data.pairs is not None \
                else first_and_latest(data.scores, data.unit)
            if not found.empty:
                pairs.append(("first", "latest", _("Latest − first reading"), found["first"], found["latest"]))
        if not pairs:
            continue
        reliability, source, alpha_n, warning = _reliability(data, min_n)
        if warning:
            notes.append(warning)
        better = better_direction(data.scale, data.reliability)
        cutoff = getattr(data.scale, "cutoff", None)
        class_rows, class_made_of = [], {}
        for before, after, between, values_before, values_after in pairs:
            change = paired_change(values_before.to_numpy(dtype=float), values_after.to_numpy(dtype=float))
            threshold = None
            if reliability.value is not None and change.sd_before:
                threshold = change_threshold(change.sd_before, reliability.value)
            row = {"scale": data.label, "between": between, "n": change.n,
                   "mean_before": _r(change.mean_before), "mean_after": _r(change.mean_after),
                   "change": _r(change.mean_change),
                   "ci_low": _r(change.ci[0]) if change.ci else None, "ci_high": _r(change.ci[1]) if change.ci else None,
                   "d_z": _r(change.d_z), "d_z_low": _r(change.d_z_ci[0]) if change.d_z_ci else None,
                   "d_z_high": _r(change.d_z_ci[1]) if change.d_z_ci else None, "g_av": _r(change.g_av),
                   "g_av_low": _r(change.g_av_ci[0]) if change.g_av_ci else None,
                   "g_av_high": _r(change.g_av_ci[1]) if change.g_av_ci else None,
                   "wilcoxon_p": p_text(change.wilcoxon_p), "reliability": _r(reliability.value),
                   "reliability_source": source, "alpha_n": alpha_n,
                   "threshold": _r(threshold.threshold) if threshold else None}
            r = len(stat_rows)
            atom = (NAME, data.instrument_id, data.scale.id, before, after)
            if alpha_n is not None:
                alpha_atom = Sum.of([(NAME, data.instrument_id, data.scale.id, "alpha")])
                stat_made_of[(r, "alpha_n")] = alpha_atom
                # Alpha and the threshold worked out from it describe the people behind alpha: hidden with their count.
                hidden_with[(r, "threshold")] = [(r, "alpha_n")]
                hidden_with[(r, "reliability")] = [(r, "alpha_n")]
            if threshold is not None and better is not None:
                found_classes = classify_all(values_before.to_numpy(dtype=float), values_after.to_numpy(dtype=float),
                                             threshold.threshold, better, cutoff.value if cutoff else None,
                                             cutoff.direction if cutoff else None)
                counts = dict(zip(CLASSES, np.bincount(found_classes, minlength=len(CLASSES)).tolist()))
                classes = [c for c in CLASSES if cutoff is not None or c != "recovered"]
                atoms = {c: atom + (c,) for c in classes}
                stat_made_of[(r, "n")] = Sum.of(atoms.values())
                cr = len(class_rows)
                class_made_of[(cr, "n")] = Sum.of(atoms.values())
                class_made_of.update({(cr, c): Sum.of([a]) for c, a in atoms.items()})
                class_row = {"between": between, "n": change.n}
                for c in classes:
                    class_row[c] = counts[c]
                    class_row[f"{c}_pct"] = round(100.0 * counts[c] / change.n, 1) if change.n else None
                class_rows.append(class_row)
            else:
                stat_made_of[(r, "n")] = Sum.of([atom + ("pairs",)])
            stat_rows.append(row)
        if class_rows:
            class_tables.append(_class_table(data, class_rows, class_made_of, better, cutoff))
        elif reliability.value is not None and better is None:
            notes.append(_("%(scale)s: which way is better is not recorded (better: in reliability.yaml or the version file), so "
                           "nobody is classed as improved or deteriorated.", scale=data.label))
    if not stat_rows:
        return not_enough(NAME, TITLE, _("a score on the same scale twice"))
    columns = [Column("scale", _("Scale"), "label"), Column("between", _("Between"), "label"),
               Column("n", _("Scored at both")),
               Column("mean_before", _("Mean before"), "mean", base="n"),
               Column("mean_after", _("Mean after"), "mean", base="n"),
               Column("change", _("Mean change"), "mean", base="n"),
               Column("ci_low", _("95% CI low"), "mean", base="n"),
               Column("ci_high", _("95% CI high"), "mean", base="n"),
               Column("d_z", _("Cohen's d_z"), "mean", base="n"),
               Column("d_z_low", _("d_z 95% CI low"), "mean", base="n"),
               Column("d_z_high", _("d_z 95% CI high"), "mean", base="n"),
               Column("g_av", _("Hedges' g_av"), "mean", base="n"),
               Column("g_av_low", _("g_av 95% CI low"), "mean", base="n"),
               Column("g_av_high", _("g_av 95% CI high"), "mean", base="n"),
               Column("wilcoxon_p", _("Wilcoxon p"), "number", base="n"),
               Column("reliability", _("Reliability used"), "mean", base="n"),
               Column("reliability_source", _("Reliability from"), "label"),
               Column("alpha_n", _("People behind alpha")),
               Column("threshold", _("Reliable change threshold (scale units)"), "mean", base="n")]
    note = " ".join([
        _("Change = after − before, for the same people scored at both (each one's latest score at a wave). "
          "The interval is the 95% t interval; d_z = mean change ÷ SD of the changes; g_av = mean change ÷ the "
          "mean of the two SDs, with Hedges' correction; p is the two-sided Wilcoxon signed-rank test "
          "(exact without ties or with few pairs, else the normal approximation; '–': nobody changed)."),
        _("Reliable change (Jacobson & Truax 1991): RCI = (after − before) ÷ S_diff, where S_diff = √2 × "
          "SD before × √(1 − r) and r is the reliability used; a change larger than the threshold "
          "1.96 × S_diff is reliable."),
        *notes])
    tables = [Table(_("Change on each scale"), columns, stat_rows, made_of=stat_made_of, hidden_with=hidden_with,
                    note=note)]
    return Report(NAME, TITLE, tables + class_tables)


def _class_table(data: ScaleData, rows: list[dict], made_of: dict, better: str, cutoff) -> Table:
    columns = [Column("between", _("Between"), "label"), Column("n", _("Scored at both"))]
    names = {"recovered": _("Recovered"), "improved": _("Improved"), "unchanged": _("No reliable change"),
             "deteriorated": _("Deteriorated")}
    for c in CLASSES:
        if cutoff is not None or c != "recovered":
            columns += count_and_share(c, str(names[c]), "n")
    direction = _("higher scores are better") if better == "higher" else _("lower scores are better")
    if cutoff is not None:
        why = _("Recovered: a reliable improvement from the range the cut-off (%(value)s) marks to outside it; "
                "improved: any other reliable improvement.", value=f"{cutoff.value:g}")
    else:
        why = _("This scale has no cut-off, so nobody is counted as recovered: a reliable improvement is "
                "counted as improved.")
    return Table(_("Reliable change: %(scale)s", scale=data.label), columns, rows, made_of=made_of,
                 note=f"{direction[0].upper()}{direction[1:]}. {why}")
