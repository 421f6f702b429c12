"""The demo's answers to multi-item scales hang together, as real questionnaires' do."""
from __future__ import annotations

import random
from pathlib import Path

import pandas as pd

from feedback.demo import coherent_answers, demo_change, random_answers, star_areas
from feedback.instruments.loader import load_instrument
from feedback.instruments.scoring import reverse
from feedback.statistics.reliable_change import cronbach_alpha

QUESTIONNAIRES = Path(__file__).resolve().parent.parent / "questionnaires"


def latest(instrument_id: str):
    return load_instrument(max((QUESTIONNAIRES / instrument_id).glob("v*.yaml")))


def scored(instrument, scale_id: str, people: int, seed: int = 7, star: bool = False) -> pd.DataFrame:
    """Item scores (reverse-scored, missing codes as NaN) of ``people`` made-up respondents."""
    rng, levels = random.Random(seed), random.Random(seed + 1)
    scale = next(scale for scale in instrument.scales if scale.id == scale_id)
    rows = []
    for _ in range(people):
        answers = coherent_answers(instrument, random_answers(instrument, rng), levels.gauss(0, 1), levels,
                                   star_areas(instrument, levels) if star else None)
        row = {}
        for item_id in scale.items:
            value = answers[item_id]
            if value in instrument.item(item_id).missing_code_values:
                row[item_id] = float("nan")
            else:
                row[item_id] = reverse(value, scale.low, scale.high) if item_id in scale.reverse else value
        rows.append(row)
    return pd.DataFrame(rows)


def test_family_functioning_star_and_resilience_items_agree_with_each_other():
    for instrument_id, scale_id, star in (("family-functioning", "general_functioning", False),
                                          ("family-star", "parent_total", True),
                                          ("family-star", "practitioner_total", True),
                                          ("practitioner-assessment", "resilience_count", False)):
        alpha, n = cronbach_alpha(scored(latest(instrument_id), scale_id, 300, star=star))
        assert n > 100 and 0.65 < alpha < 0.95, (instrument_id, scale_id, alpha, n)


def test_reverse_scored_items_go_the_other_way_and_other_answers_are_kept():
    instrument = latest("family-functioning")
    rng = random.Random(1)

    def mean_code(level: float, item_ids) -> float:
        codes = [answers[item_id] for answers in (coherent_answers(instrument, random_answers(instrument, rng),
                                                                   level, rng) for _ in range(40))
                 for item_id in item_ids if answers[item_id] != -9]
        return sum(codes) / len(codes)

    # Healthy statements (not reversed): a thriving family agrees (1 = strongly agree), a struggling
    # one disagrees; the unhealthy, reversed statements the other way round.
    healthy, unhealthy = ["gf01", "gf03", "gf05"], ["gf02", "gf04", "gf06"]
    assert set(unhealthy) <= instrument.scales[0].reverse and not set(healthy) & instrument.scales[0].reverse
    assert mean_code(2.0, healthy) < 2 < 3 < mean_code(-2.0, healthy)
    assert mean_code(2.0, unhealthy) > 3 > 2 > mean_code(-2.0, unhealthy)
    assessment = latest("practitioner-assessment")
    plain = random_answers(assessment, random.Random(3))
    answers = coherent_answers(assessment, plain, 0.0, random.Random(4))
    scale_items = set(assessment.scales[0].items)
    assert {k: v for k, v in answers.items() if k not in scale_items} == \
        {k: v for k, v in plain.items() if k not in scale_items}


def test_most_families_improve_some_a_lot_and_a_few_get_worse():
    rng = random.Random(5)
    changes = [demo_change(rng) for _ in range(2000)]
    worse = sum(change < 0 for change in changes) / len(changes)
    a_lot = sum(change > 1.0 for change in changes) / len(changes)
    assert 0.08 < worse < 0.25 and 0.15 < a_lot < 0.35 and sorted(changes)[1000] > 0
