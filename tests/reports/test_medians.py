"""Medians from bins and the few values at the middle equal the median of every value."""
from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.reports.medians import Bin, Place, median, merged, middle


def _bins(values, width):
    """What the database's grouped pass gives: per bin of ``width``, how many, least and most."""
    by_number: dict[int, list[float]] = {}
    for value in values:
        by_number.setdefault(math.floor(value / width), []).append(value)
    return [Bin(number, len(part), min(part), max(part)) for number, part in by_number.items()], by_number


def _looked_up(place: Place, by_number) -> float:
    """The lookup: the bin's own values in order, at the offset (as the index gives it)."""
    return place.value if place.known else sorted(by_number[place.bin.number])[place.offset]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.floats(-5, 60, allow_nan=False), st.sampled_from([0.0, 1.5, 2.0, 7.25])),
                min_size=1, max_size=60),
       st.sampled_from([0.5, 1.0, 3.0, 100.0]))
def test_the_middle_values_found_by_place_give_the_median_of_all(values, width):
    bins, by_number = _bins(values, width)
    first, second = middle(reversed(bins))  # in any order
    assert median(_looked_up(first, by_number), _looked_up(second, by_number)) == pytest.approx(
        statistics.median(values), abs=1e-12)
    if len(values) % 2:
        assert first == second


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["sms_link", "interview", "email_link"]), st.floats(0, 30, allow_nan=False)),
                min_size=1, max_size=60))
def test_a_waves_median_from_its_channels_bins_merged_is_the_median_of_every_channel(values):
    """The per-wave median (channel None) is taken from the channels' bins added up."""
    every, parts = [], []
    for channel in {channel for channel, _ in values}:
        bins, _ = _bins([value for at, value in values if at == channel], 1.0)
        parts.extend(bins)
    bins = merged(parts)
    assert [part.number for part in bins] == sorted({part.number for part in parts})
    _, by_number = _bins([value for _, value in values], 1.0)
    for part in bins:
        assert (part.count, part.least, part.most) == (len(by_number[part.number]), min(by_number[part.number]),
                                                       max(by_number[part.number]))
    first, second = middle(bins)
    every = [value for _, value in values]
    assert median(_looked_up(first, by_number), _looked_up(second, by_number)) == pytest.approx(
        statistics.median(every), abs=1e-12)


def test_only_a_value_inside_a_bin_of_different_values_needs_a_lookup():
    spread = Bin(2, 5, 2.1, 2.9)
    assert Place(spread, 0).known and Place(spread, 0).value == 2.1
    assert Place(spread, 4).known and Place(spread, 4).value == 2.9
    assert not Place(spread, 2).known
    with pytest.raises(LookupError):
        Place(spread, 2).value
    tied = Bin(2, 1000, 2.0, 2.0)  # the benchmark's seed: every answer two days after its text
    assert Place(tied, 500).known and Place(tied, 500).value == 2.0


def test_no_values_have_no_median():
    assert middle([]) is None
    assert middle([Bin(1, 0, None, None)]) is None
