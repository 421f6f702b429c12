"""Per-person change since the first wave, the reliable change index and a change classification.

Pure pandas over an export's table (one row per response, before it is shaped wide), no Flask:
the runner passes in the scale reliabilities from the instrument's sidecar
(``questionnaires/<id>/reliability.yaml``) and the answers, so this module reads nothing itself.

For each scale score column ``score_<scale>`` of the instrument, and for each response at a later
point than the person's baseline (the member's, or the family's for a family-level instrument):

- ``chg_<scale>`` = the score − the same person's baseline score;
- ``rci_<scale>`` = chg / S_diff (Jacobson & Truax), S_diff = √2 · SD_entry · √(1 − r), with
  SD_entry the sample SD of the baseline scores in this export and r the scale's reliability from
  the sidecar or, without one, Cronbach's alpha of the scale's item scores at baseline in this
  export (``statistics.reliable_change.choose_reliability``);
- ``rcc_<scale>`` = 1 recovered, 2 improved, 3 unchanged, 4 deteriorated (``classify``); "recovered"
  only for a scale with a cut-off.

The baseline: for an instrument whose scored responses all carry a wave, the person's score at the
export's first wave (in schedule order; ``entry`` when it is selected); a person without a score
at that wave gets no change. For an instrument answered without waves (the family star's
readings), the person's first reading (table order is completion order). Baseline rows, and rows
at the baseline wave, get blanks.

SD_entry and alpha are the whole export's for the instrument: ``change_basis`` works them out once
over the cohort (the table's ids, waves and scores, and the baseline rows' answers) and
``apply_change`` applies them to any part of the table that holds all of its people's rows (the
runner builds a large export a block of families at a time); ``add_reliable_change`` does both
over one table.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..instruments.definition import Instrument, Scale
from ..instruments.reliability import better_direction
from ..instruments.scoring import reverse, scorable
from ..statistics.reliable_change import (CLASSES, Z95, ChangeThreshold, Reliability, change_threshold,
                                          choose_reliability, classify_all)
from .codebook import Variable

#: rcc codes, in the order of ``statistics.reliable_change.CLASSES``.
CODES = {"recovered": 1, "improved": 2, "unchanged": 3, "deteriorated": 4}
LABELS = {1: "Recovered", 2: "Improved", 3: "Unchanged", 4: "Deteriorated"}
#: |rci| beyond this is a reliable change (5% two-sided): 1.959964…, printed as 1.96.
Z = Z95
#: Below this many complete baselines, alpha is reported with a warning (``choose_reliability``).
MIN_N = 30
PREFIXES = ("chg_", "rci_", "rcc_")


@dataclass(frozen=True)
class ScaleChange:
    """What the change variables of one scale were computed with, for the codebook and manifest."""

    instrument: str
    scale: str
    baseline: str           # the baseline wave's name, or "first reading"
    n_entry: int            # baseline scores the SD is taken over
    sd_entry: float | None
    reliability: Reliability | None
    reliability_kind: str | None
    threshold: ChangeThreshold | None
    better: str | None
    cutoff: str | None
    #: Where a stated reliability was written: "reliability.yaml" (the sidecar) or "version file".
    reliability_origin: str | None = None

    def reliability_text(self) -> str:
        r = self.reliability
        if r is None or r.value is None:
            return "no reliability: no sidecar value and Cronbach's alpha could not be computed" + (
                f" ({r.warning})" if r is not None and r.warning else "")
        if r.n is not None:  # computed here, not from the sidecar
            text = f"r = Cronbach's alpha of the item scores at {self._at()} in this export (n = {r.n})"
        else:
            kind = f" ({self.reliability_kind})" if self.reliability_kind else ""
            where = (f"the version file of {self.instrument} (its scale's reliability:)"
                     if self.reliability_origin == "version file"
                     else f"questionnaires/{self.instrument}/reliability.yaml")
            text = f"r = {_n(r.value)}{kind} from {where}: {r.source.removeprefix('instrument file: ')}"
        return text + (f"; warning: {r.warning}" if r.warning else "")

    def _at(self) -> str:
        return "the first reading" if self.baseline == "first reading" else self.baseline

    def manifest(self) -> dict[str, Any]:
        r, t = self.reliability, self.threshold
        return {"scale": self.scale, "baseline": self.baseline, "n_baseline": self.n_entry,
                "sd_baseline": self.sd_entry, "reliability": None if r is None else r.value,
                "reliability_source": None if r is None else r.source,
                "reliability_kind": self.reliability_kind, "reliability_n": None if r is None else r.n,
                "warning": None if r is None else r.warning,
                "s_diff": None if t is None else t.s_diff, "threshold": None if t is None else t.threshold,
                "z": Z, "better": self.better, "cutoff": self.cutoff}


def _n(value: float) -> str:
    """A number as the codebook prints it: six significant digits, enough to recompute to 1e-5."""
    return f"{value:.6g}"


def item_scores(values: pd.DataFrame | None, scale: Scale, index: pd.Index) -> pd.DataFrame:
    """The scale's item scores as scoring counts them (reverse items mirrored, missing codes and
    answers out of range left out), one row per row of ``index``."""
    out = {}
    for item in scale.items:
        column = values[item] if values is not None and item in values.columns else pd.Series(None, index=index)
        flipped = item in scale.reverse

        def item_score(value) -> float:
            if not scorable(value, scale):
                return np.nan
            return reverse(value, scale.low, scale.high) if flipped else value

        cells = column.reindex(index).to_numpy(dtype=object)
        scored = np.full(len(cells), np.nan)
        # Each distinct answer (by type and value: True is not 1) worked out once: most are a few codes.
        memo: dict = {}
        for position, value in enumerate(cells):
            if value is None or (isinstance(value, float) and value != value):  # unanswered (NaN: each its own key)
                continue
            try:
                key = (value.__class__, value)
                found = memo.get(key)
                if found is None:
                    found = memo[key] = item_score(value)
            except TypeError:  # a list of codes: never scorable
                found = item_score(value)
            scored[position] = found
        out[item] = pd.Series(scored, index=index, dtype="float64")
    return pd.DataFrame(out, index=index)


#: ``ScaleChange.baseline`` of an instrument answered without waves: each person's first reading.
FIRST_READING = "first reading"


@dataclass(frozen=True)
class ChangeBasis:
    """What reliable change is computed against, over a whole export's table for an instrument:
    who a person is (the member, or the family for a family-level instrument) and, per scale, the
    baseline, SD_entry, reliability and threshold (``notes``). Worked out once over the cohort
    (``change_basis``) and applied to any part of its rows (``apply_change``): a person's rows are
    never split between parts, so each part gets the values the whole table would have."""

    by_member: bool
    notes: tuple[ScaleChange, ...]


def add_reliable_change(table: pd.DataFrame, instrument: Instrument, *, person: str, family: str,
                        wave_order: Sequence[str], item_values: pd.DataFrame | None = None,
                        reliabilities: Mapping[str, Any] | None = None
                        ) -> tuple[pd.DataFrame, list[Variable], list[ScaleChange]]:
    """``chg_``, ``rci_`` and ``rcc_`` columns for each scale score column of ``table``.

    ``person`` and ``family`` name the id columns (pseudonymous or internal); a table whose rows
    have no member (a family-level instrument) follows the family. ``wave_order`` is every wave
    of the schedules in order. ``item_values`` holds the raw answers (item id columns) with the
    same index as ``table``; ``reliabilities`` maps scale id → ``ScaleReliability``.
    """
    basis = change_basis(table, instrument, person=person, family=family, wave_order=wave_order,
                         item_values=lambda rows: item_values, reliabilities=reliabilities)
    if basis is None:
        return table, [], []
    table, variables = apply_change(table, instrument, basis, person=person, family=family, wave_order=wave_order)
    return table, variables, list(basis.notes)


def change_basis(table: pd.DataFrame, instrument: Instrument, *, person: str, family: str,
                 wave_order: Sequence[str], item_values: Callable[[pd.Index], pd.DataFrame | None] | None = None,
                 reliabilities: Mapping[str, Any] | None = None) -> ChangeBasis | None:
    """The basis of reliable change over ``table``: the ids, ``wave`` and ``score_<scale>`` columns
    are all it reads (in table order, which is completion order). ``item_values(rows)`` gives the
    raw answers of those rows (item id columns), asked once, for the baseline rows of the scales
    that have no published reliability (Cronbach's alpha is then computed from them). None when
    the table has no person or wave to follow."""
    reliabilities = reliabilities or {}
    key = person if person in table.columns and table[person].notna().any() else family
    if key not in table.columns or "wave" not in table.columns:
        return None
    rank = {wave: position for position, wave in enumerate(wave_order)}
    found = []  # per scale: (scale, baseline, entry scores' rows, SD and its n)
    for scale in instrument.scales:
        column = f"score_{scale.id}"
        if column not in table.columns:
            continue
        score = _score(table, column)
        keyed = table[key].notna() & score.notna()
        waves = table["wave"]
        if keyed.any() and waves[keyed].notna().all():
            baseline = str(min(waves[keyed].unique(), key=lambda wave: _order(rank, wave)))
        else:
            baseline = FIRST_READING
        at_base, _later = _rows(table, key, keyed, baseline, rank)
        base_rows = table.loc[at_base, [key]].drop_duplicates(key, keep="last").index  # the key column only
        entry_scores = score[base_rows]
        n_entry = int(entry_scores.notna().sum())
        sd = float(entry_scores.std(ddof=1)) if n_entry >= 2 else None
        sd = sd if sd is not None and math.isfinite(sd) else None
        found.append((scale, baseline, base_rows, n_entry, sd))
    # One read of the answers for every scale that computes alpha: the union of their baseline rows.
    alpha_rows = [rows for scale, _b, rows, _n, _sd in found if getattr(reliabilities.get(scale.id), "value", None) is None]
    values = None
    if alpha_rows and item_values is not None:
        values = item_values(alpha_rows[0].append(alpha_rows[1:]).unique() if len(alpha_rows) > 1 else alpha_rows[0])
    notes = []
    for scale, baseline, base_rows, n_entry, sd in found:
        file = reliabilities.get(scale.id)
        reliability = choose_reliability(getattr(file, "value", None), getattr(file, "source", None),
                                         item_scores(values, scale, base_rows), min_n=MIN_N)
        threshold = None
        if sd is not None and sd > 0 and reliability.value is not None and 0 < reliability.value < 1:
            threshold = change_threshold(sd, reliability.value)
        cutoff = (f"{scale.cutoff.direction.replace('_', ' ')} {scale.cutoff.value:g}"
                  if scale.cutoff is not None else None)
        notes.append(ScaleChange(instrument.id, scale.id, baseline, n_entry, sd, reliability,
                                 getattr(file, "kind", None) if file is not None else None, threshold,
                                 better_direction(scale, file), cutoff, getattr(file, "origin", None)))
    return ChangeBasis(by_member=key == person, notes=tuple(notes))


def apply_change(table: pd.DataFrame, instrument: Instrument, basis: ChangeBasis, *, person: str, family: str,
                 wave_order: Sequence[str]) -> tuple[pd.DataFrame, list[Variable]]:
    """``chg_``, ``rci_`` and ``rcc_`` columns of each scale in ``basis`` on ``table``: the whole
    export's table or any part of it that holds every row of each of its people."""
    key = person if basis.by_member else family
    rank = {wave: position for position, wave in enumerate(wave_order)}
    added: dict[str, pd.Series] = {}
    variables: list[Variable] = []
    whose = "member" if basis.by_member else "family"
    scales = {scale.id: scale for scale in instrument.scales}
    for note in basis.notes:
        scale = scales[note.scale]
        column = f"score_{scale.id}"
        score = _score(table, column)
        keyed = table[key].notna() & score.notna()
        at_base, later = _rows(table, key, keyed, note.baseline, rank)
        base_rows = table.loc[at_base, [key]].drop_duplicates(key, keep="last").index
        before_by_key = pd.Series(score[base_rows].to_numpy(), index=table.loc[base_rows, key].to_numpy())
        before = table[key].map(before_by_key).where(later).astype("float64")
        change = (score - before).where(later)
        threshold, better = note.threshold, note.better
        rci = (change / threshold.s_diff) if threshold is not None else pd.Series(np.nan, index=table.index)
        codes = pd.Series(np.nan, index=table.index, dtype="float64")
        if threshold is not None and better is not None:
            # Classed all at once (``classify_all``); rows with no change (no baseline, or the
            # baseline itself) keep no code.
            classes = classify_all(before.to_numpy(dtype=float), score.to_numpy(dtype=float), threshold.threshold,
                                   better, cutoff=scale.cutoff.value if scale.cutoff is not None else None,
                                   cutoff_direction=scale.cutoff.direction if scale.cutoff is not None else None)
            by_class = np.array([CODES[kind] for kind in CLASSES], dtype="float64")
            codes = pd.Series(np.where(change.notna().to_numpy(), by_class[classes], np.nan), index=table.index,
                              dtype="float64")
        names = {prefix: f"{prefix}{scale.id}" for prefix in PREFIXES}
        added[names["chg_"]] = change
        added[names["rci_"]] = rci.astype("float64")
        added[names["rcc_"]] = codes
        variables += _variables(instrument, scale, note, names, column, whose)
    if not added:
        return table, []
    table = table.drop(columns=[name for name in added if name in table.columns])
    return pd.concat([table, pd.DataFrame(added, index=table.index)], axis=1), variables


def _score(table: pd.DataFrame, column: str) -> pd.Series:
    if column not in table.columns:  # a part of the table nobody in it was scored on
        return pd.Series(np.nan, index=table.index, dtype="float64")
    return pd.to_numeric(table[column], errors="coerce").astype("float64")


def _order(rank: Mapping[str, int], wave) -> tuple[int, str]:
    return rank.get(wave, len(rank)), str(wave)


def _rows(table: pd.DataFrame, key: str, keyed: pd.Series, baseline: str, rank: Mapping[str, int]
          ) -> tuple[pd.Series, pd.Series]:
    """Which rows are at a person's baseline, and which are later than it (both only rows with a
    person and a score): by wave, or by table order when the baseline is each one's first reading."""
    if baseline != FIRST_READING:
        first = _order(rank, baseline)
        at_base = keyed & (table["wave"] == baseline)
        # Each wave compared once, not each row's (a national cohort has millions of rows, a few waves).
        later_waves = [wave for wave in table["wave"].dropna().unique() if _order(rank, wave) > first]
        return at_base, keyed & table["wave"].isin(later_waves)
    position = pd.Series(np.arange(len(table)), index=table.index)
    first_at = table[key].map(position[keyed].groupby(table.loc[keyed, key]).min())
    return keyed & position.eq(first_at), keyed & position.gt(first_at)


def _variables(instrument: Instrument, scale: Scale, note: ScaleChange, names: dict[str, str], column: str,
               whose: str) -> list[Variable]:
    at = note._at()
    chg, rci, rcc = names["chg_"], names["rci_"], names["rcc_"]
    versions = (str(instrument.version),)
    t = note.threshold
    sd_text = (f"SD_entry = {_n(note.sd_entry)} (sample SD of {column} at {at}, one per {whose}, n = {note.n_entry})"
               if note.sd_entry is not None else f"SD_entry not computable ({note.n_entry} {column} at {at})")
    if t is not None:
        rci_rule = (f"rci = {chg} / {_n(t.s_diff)}; S_diff = √2 × {_n(t.sd_before)} × √(1 − {_n(t.reliability)}); "
                    f"{sd_text}; {note.reliability_text()}; reliable when |rci| > {Z:.2f} "
                    f"(|{chg}| > {_n(t.threshold)} scale units)")
    else:
        rci_rule = f"not computed (blank): {sd_text}; {note.reliability_text()}"
    if t is None:
        rcc_rule = "not computed (blank): no reliable-change threshold (see rci)"
    elif note.better is None:
        rcc_rule = ("not computed (blank): which direction is better is not known for this scale "
                    "(no cut-off and no 'better' in the reliability sidecar)")
    else:
        sign = "−" if note.better == "lower" else "+"
        worse = "+" if note.better == "lower" else "−"
        rcc_rule = (f"from {chg} with threshold T = {Z:.6g} × S_diff = {_n(t.threshold)} ({note.better} scores are "
                    f"better): 2 improved when {chg} is beyond {sign}T, 4 deteriorated when beyond {worse}T, "
                    f"3 unchanged otherwise")
        if note.cutoff is not None:
            rcc_rule += (f"; 1 recovered when improved and the score at {at} was {note.cutoff} "
                         f"(the cut-off) and is no longer")
    labels = dict(LABELS) if scale.cutoff is not None else {code: label for code, label in LABELS.items() if code != 1}
    return [
        Variable(name=chg, label=f"Change in {scale.id} since {at} (same {whose})", type="numeric",
                 instrument=instrument.id, versions=versions,
                 scoring_rule=f"{chg} = {column} − {column} at {at}, same {whose}; blank at {at} and without a "
                              f"score at {at}"),
        Variable(name=rci, label=f"Reliable change index of {scale.id} since {at}", type="numeric",
                 instrument=instrument.id, versions=versions, scoring_rule=rci_rule),
        Variable(name=rcc, label=f"Reliable change in {scale.id} since {at}", type="numeric", value_labels=labels,
                 instrument=instrument.id, versions=versions, scoring_rule=rcc_rule),
    ]


def readme_lines(notes: Mapping[str, list[dict]]) -> list[str]:
    """The bundle README's paragraph on reliable change, from the manifest's ``reliable_change``."""
    if not notes:
        return []
    lines = ["", "Reliable change (chg_, rci_, rcc_ columns; each variable's formula is in the codebook):",
             "S_diff = √2 × SD at baseline × √(1 − r); reliable when |rci| = |chg / S_diff| > 1.96."]
    for instrument, scales in notes.items():
        for note in scales:
            if note["s_diff"] is None:
                lines.append(f"  {instrument} {note['scale']}: not computed (n = {note['n_baseline']} at "
                             f"{note['baseline']}, r = {note['reliability']})")
                continue
            lines.append(f"  {instrument} {note['scale']}: baseline {note['baseline']}, n = {note['n_baseline']}, "
                         f"SD = {_n(note['sd_baseline'])}, r = {_n(note['reliability'])} ({note['reliability_source']}), "
                         f"S_diff = {_n(note['s_diff'])}, threshold = {_n(note['threshold'])} scale units"
                         + (f"; {note['warning']}" if note["warning"] else ""))
    return lines
