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

SD_entry and alpha are computed over the whole table the runner passes, which is the whole export's
table for the instrument (the runner builds one instrument at a time, never part of one).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

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
        cells = [(reverse(v, scale.low, scale.high) if item in scale.reverse else v) if scorable(v, scale) else np.nan
                 for v in column.reindex(index)]
        out[item] = pd.Series(cells, index=index, dtype="float64")
    return pd.DataFrame(out, index=index)


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
    reliabilities = reliabilities or {}
    key = person if person in table.columns and table[person].notna().any() else family
    if key not in table.columns or "wave" not in table.columns:
        return table, [], []
    added: dict[str, pd.Series] = {}
    variables: list[Variable] = []
    notes: list[ScaleChange] = []
    rank = {wave: position for position, wave in enumerate(wave_order)}
    whose = "member" if key == person else "family"
    for scale in instrument.scales:
        column = f"score_{scale.id}"
        if column not in table.columns:
            continue
        score = pd.to_numeric(table[column], errors="coerce").astype("float64")
        keyed = table[key].notna() & score.notna()
        waves = table["wave"]
        if keyed.any() and waves[keyed].notna().all():
            def order(wave):
                return rank.get(wave, len(rank)), str(wave)
            first = min(waves[keyed].unique(), key=order)
            at_base = keyed & (waves == first)
            later = keyed & waves.map(lambda wave: pd.notna(wave) and order(wave) > order(first)).astype(bool)
            baseline = str(first)
        else:
            position = pd.Series(np.arange(len(table)), index=table.index)
            first_at = table[key].map(position[keyed].groupby(table.loc[keyed, key]).min())
            at_base = keyed & position.eq(first_at)
            later = keyed & position.gt(first_at)
            baseline = "first reading"
        base_rows = table.loc[at_base, [key]].drop_duplicates(key, keep="last").index  # the key column only
        before_by_key = pd.Series(score[base_rows].to_numpy(), index=table.loc[base_rows, key].to_numpy())
        before = table[key].map(before_by_key).where(later).astype("float64")
        change = (score - before).where(later)
        entry_scores = score[base_rows]
        n_entry = int(entry_scores.notna().sum())
        sd = float(entry_scores.std(ddof=1)) if n_entry >= 2 else None
        sd = sd if sd is not None and math.isfinite(sd) else None
        file = reliabilities.get(scale.id)
        reliability = choose_reliability(getattr(file, "value", None), getattr(file, "source", None),
                                         item_scores(item_values, scale, base_rows), min_n=MIN_N)
        threshold = None
        if sd is not None and sd > 0 and reliability.value is not None and 0 < reliability.value < 1:
            threshold = change_threshold(sd, reliability.value)
        better = better_direction(scale, file)
        cutoff = (f"{scale.cutoff.direction.replace('_', ' ')} {scale.cutoff.value:g}"
                  if scale.cutoff is not None else None)
        note = ScaleChange(instrument.id, scale.id, baseline, n_entry, sd, reliability,
                           getattr(file, "kind", None) if file is not None else None, threshold, better, cutoff,
                           getattr(file, "origin", None))
        notes.append(note)
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
        return table, [], []
    table = table.drop(columns=[name for name in added if name in table.columns])
    return pd.concat([table, pd.DataFrame(added, index=table.index)], axis=1), variables, notes


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
