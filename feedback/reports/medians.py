"""Exact medians from a histogram and the one or two values found at the middle.

A median needs the middle value (or the two middle values) of a group, not the order of all the
others. So response-rates counts each group's values per bin (a whole hour: one pass, no sorting,
in parallel) with each bin's least and greatest value, works out here which bin holds each middle
position and where in that bin it lies, and asks the database for just those values, each found
by its place in an index of the bin's few values (``data.invitation_figures``). A bin whose
least and greatest values are equal needs no lookup: every value in it is that one.

Bins must not overlap: every value of a lower bin is below every value of a higher one (a bin is
the whole hours of a time to complete, rounded down). Pure: no database, no Flask.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable


@dataclass(frozen=True)
class Bin:
    """``count`` values of one group in one bin (``number``: bins sort by it), from ``least`` to
    ``most``."""

    number: int
    count: int
    least: Any
    most: Any


@dataclass(frozen=True)
class Place:
    """The ``offset``-th value (from 0, in ascending order) of ``bin``'s values."""

    bin: Bin
    offset: int

    @property
    def known(self) -> bool:
        """Whether the value is known without a lookup: the bin's first or last, or any of a bin
        whose values are all the same."""
        return self.offset in (0, self.bin.count - 1) or self.bin.least == self.bin.most

    @property
    def value(self):
        if self.offset == 0 or self.bin.least == self.bin.most:
            return self.bin.least
        if self.offset == self.bin.count - 1:
            return self.bin.most
        raise LookupError(f"the value at {self.offset} of bin {self.bin.number} must be looked up")


def merged(bins: Iterable[Bin]) -> list[Bin]:
    """Bins of several groups (a wave's channels) as one group's: same-numbered bins added up."""
    by_number: dict[int, Bin] = {}
    for part in bins:
        had = by_number.get(part.number)
        by_number[part.number] = part if had is None else Bin(
            part.number, had.count + part.count, min(had.least, part.least), max(had.most, part.most))
    return [by_number[number] for number in sorted(by_number)]


def middle(bins: Iterable[Bin]) -> tuple[Place, Place] | None:
    """Where the two middle values of a group lie (the same place twice for an odd count), or
    None for a group with no values."""
    bins = sorted(bins, key=lambda part: part.number)
    total = sum(part.count for part in bins)
    if not total:
        return None
    wanted = ((total - 1) // 2, total // 2)
    places, before = [], 0
    for part in bins:
        for position in wanted:
            if before <= position < before + part.count:
                places.append(Place(part, position - before))
        before += part.count
    return places[0], places[1]


def median(first: float, second: float) -> float:
    """The median from the two middle values (the same one twice for an odd count): their mean,
    as pandas and ``percentile_cont(0.5)`` take it."""
    return (first + second) / 2
