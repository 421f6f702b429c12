"""Figures derived from an instrument's answers that evaluators would otherwise compute by hand.

Pure pandas over an export's table (one row per response), no Flask. Two kinds, both found from
the instrument definition rather than listed per instrument, so a new version or a new instrument
of the same shape gets them too:

- **Level counts.** Three or more choice items whose ids share a prefix (``risk_…``) and whose
  choices are the same (codes and labels) form a group; each response gets, per code, the number
  of the group's items answered with it: ``n_risk_low``, ``n_risk_medium``, ``n_risk_high`` from
  the key worker's risk factors, ``n_resilience_yes`` from the resilience factors,
  ``n_outcome_better`` from the follow-up. Missing codes ("not known") count in none, and
  ``n_<prefix>_answered`` says how many of the group's items were answered at all, so a count of
  0 with nothing answered is not read as "no risks".
- **Reading gaps.** Two numeric items whose ids differ only in ending ``_parent`` and
  ``_practitioner`` (or starting ``parent_`` and ``practitioner_``) are two readings of one thing
  (the star chart's domains); each response gets ``gap_<stem>`` = parent − practitioner, and the
  same for two such scale scores (``parent_total`` / ``practitioner_total`` → ``gap_total``).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from ..instruments.definition import NOT_COLLECTED, Instrument
from .codebook import Variable

COUNTED_TYPES = ("single_choice", "yes_no", "agreement")
MIN_GROUP = 3


@dataclass(frozen=True)
class CountGroup:
    prefix: str
    items: tuple[str, ...]
    codes: tuple[tuple[int | str, str], ...]  # (code, English label), missing codes left out

    def column(self, label: str) -> str:
        return f"n_{self.prefix}_{_slug(label)}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "code"


def count_groups(instrument: Instrument) -> list[CountGroup]:
    """The instrument's groups of like items (see the module's docstring), in item order."""
    by_key: dict[tuple, list[str]] = defaultdict(list)
    for item in instrument.items:
        if item.type not in COUNTED_TYPES or "_" not in item.id:
            continue
        codes = tuple((choice.code, choice.label.get("en")) for choice in item.choices)
        by_key[(item.id.split("_", 1)[0], codes)].append(item.id)
    groups = []
    for (prefix, codes), items in by_key.items():
        labels = [_slug(label) for _, label in codes]
        if len(items) >= MIN_GROUP and len(set(labels)) == len(labels):
            groups.append(CountGroup(prefix, tuple(items), codes))
    # Two groups with one prefix (different choices) would share column names: leave both out.
    prefixes = [group.prefix for group in groups]
    return [group for group in groups if prefixes.count(group.prefix) == 1]


def reading_pairs(names: list[str]) -> list[tuple[str, str, str]]:
    """(stem, parent name, practitioner name) for each parent reading whose practitioner reading is
    present: ``<stem>_parent`` / ``<stem>_practitioner`` or ``parent_<stem>`` / ``practitioner_<stem>``,
    either optionally after ``score_``."""
    present = set(names)
    pairs = []
    for name in names:
        base = name.removeprefix("score_")
        before = name[: len(name) - len(base)]
        if base.endswith("_parent"):
            stem, other = base[: -len("_parent")], f"{before}{base[: -len('_parent')]}_practitioner"
        elif base.startswith("parent_"):
            stem, other = base[len("parent_"):], f"{before}practitioner_{base[len('parent_'):]}"
        else:
            continue
        if other in present:
            pairs.append((stem, name, other))
    return pairs


def add_level_counts(table: pd.DataFrame, instrument: Instrument) -> tuple[pd.DataFrame, list[Variable]]:
    """Per-response counts for each group whose items are all columns of ``table``."""
    added, variables = {}, []
    for group in count_groups(instrument):
        if not all(item in table.columns for item in group.items):
            continue  # an item left out of this export (or kept apart by version): no honest count
        answers = table[list(group.items)]
        members = f"{len(group.items)} items {', '.join(group.items)}"
        for code, label in group.codes:
            name = group.column(label)
            added[name] = (answers == code).sum(axis=1).astype("Int64")
            variables.append(_variable(name, f"Number of {group.prefix} items answered '{label}'", instrument,
                                       f"count of {members} answered {code}"))
        answered_name = f"n_{group.prefix}_answered"
        codes = [code for code, _ in group.codes]
        added[answered_name] = answers.isin(codes).sum(axis=1).astype("Int64")
        variables.append(_variable(answered_name, f"Number of {group.prefix} items answered", instrument,
                                   f"count of {members} answered with a code other than a missing code"))
    if not added:
        return table, []
    return pd.concat([table, pd.DataFrame(added, index=table.index)], axis=1), variables


def add_reading_gaps(table: pd.DataFrame, instrument: Instrument) -> tuple[pd.DataFrame, list[Variable]]:
    """``gap_<stem>`` = parent − practitioner for each pair of readings held as item or score columns."""
    numeric_items = {item.id for item in instrument.items if item.type in ("scale", "number")}
    missing = {choice.code for item in instrument.items for choice in item.missing_codes} | {NOT_COLLECTED}
    candidates = [c for c in table.columns if c in numeric_items or c.startswith("score_")]
    added, variables = {}, []
    for stem, parent, practitioner in reading_pairs(candidates):
        name = f"gap_{stem}"
        readings = [pd.to_numeric(table[column], errors="coerce") for column in (parent, practitioner)]
        # A missing code (-9, "prefer not to say"; -6, "not collected") is not a reading: no gap from it.
        readings = [values.where(~values.isin(missing)) if not parent.startswith("score_") else values
                    for values in readings]
        added[name] = readings[0] - readings[1]
        variables.append(_variable(name, f"Parent's minus key worker's reading: {stem}",
                                   instrument, f"{parent} minus {practitioner}, same response"))
    if not added:
        return table, []
    return pd.concat([table, pd.DataFrame(added, index=table.index)], axis=1), variables


def _variable(name: str, label: str, instrument: Instrument, rule: str) -> Variable:
    return Variable(name=name, label=label, type="numeric", instrument=instrument.id,
                    versions=(str(instrument.version),), scoring_rule=rule)
