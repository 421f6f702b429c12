"""Scale scores from answers: reverse items, the minimum-answered rule, cut-offs and bands.

Pure functions of an instrument's ``Scale`` and a mapping of item id to answer.  A score that
cannot be given is ``None`` — never zero — so an evaluator never mistakes "too few answers" for
"no problems".
"""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any, Mapping

from .definition import NOT_COLLECTED, Instrument, Scale

#: Bump when the arithmetic below changes, so stored scores say which rules made them.
SCORING_VERSION = "1"


@dataclass(frozen=True)
class ScaleScore:
    scale_id: str
    value: float | None
    answered: int
    items: int
    flagged: bool | None
    band: str | None
    scoring_version: str = SCORING_VERSION


def reverse(value: float, low: float, high: float) -> float:
    """Mirror a value within its range: on 1–4, 1 becomes 4 and 3 becomes 2."""
    return low + high - value


def required_answers(scale: Scale) -> int:
    """How many items must be answered before a score is given (60% of 12 items is 8)."""
    # The small epsilon keeps 0.6 × 10 at 6 rather than letting float error push it to 7.
    return max(1, ceil(scale.min_answered * len(scale.items) - 1e-9))


def scorable(value: Any, scale: Scale) -> bool:
    """An answer counts when it is a number inside the scale's range; missing codes do not, and
    "not collected" never does, whatever the range."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and value != NOT_COLLECTED and scale.low <= value <= scale.high)


def score_scale(scale: Scale, answers: Mapping[str, Any]) -> ScaleScore:
    values = []
    for item_id in scale.items:
        value = answers.get(item_id)
        if scorable(value, scale):
            values.append(reverse(value, scale.low, scale.high) if item_id in scale.reverse else value)
    answered = len(values)
    if answered < required_answers(scale):
        return ScaleScore(scale.id, None, answered, len(scale.items), None, None)
    mean = sum(values) / answered
    # A sum with some items unanswered is prorated (mean × number of items) so that scores from
    # respondents who skipped an item stay comparable with those who answered every item.
    value = mean if scale.method == "mean" else mean * len(scale.items)
    value = round(value, 6)
    flagged = scale.cutoff.flags(value) if scale.cutoff else None
    band = next((band.id for band in scale.bands if band.minimum <= value <= band.maximum), None)
    return ScaleScore(scale.id, value, answered, len(scale.items), flagged, band)


def score_instrument(instrument: Instrument, answers: Mapping[str, Any]) -> list[ScaleScore]:
    return [score_scale(scale, answers) for scale in instrument.scales]
