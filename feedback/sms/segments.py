"""How many SMS segments a text costs, so templates can be held to a budget. Pure Python.

A text goes as GSM-7 when every character is in the GSM 03.38 default alphabet or its extension
table, otherwise as UCS-2 — and one Welsh ŵ, ŷ or â is enough to switch a whole message to UCS-2,
which more than halves what fits in a segment. Limits: one segment holds 160 septets or 70 UCS-2
code units; a multipart message loses room to its header, leaving 153 or 67 per segment. Phones
never split an extension character's escape pair or a surrogate pair (an emoji) between two
segments, so neither do we: counting by character keeps each pair whole.
"""
from __future__ import annotations

from dataclasses import dataclass

# The GSM 03.38 default alphabet, in code order, without 0x1B (the escape to the extension table).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
) - {"\x1b"}
#: Characters reached through the escape, so each costs two septets.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_LIMIT = {"GSM-7": 160, "UCS-2": 70}
PART_LIMIT = {"GSM-7": 153, "UCS-2": 67}


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int     # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int  # 0 for an empty text: there is nothing to send


class SegmentBudgetExceeded(ValueError):
    """A message template needs more segments than it is allowed."""

    def __init__(self, name: str, count: SegmentCount, budget: int, non_gsm: tuple[str, ...]):
        self.name, self.count, self.budget, self.non_gsm = name, count, budget, non_gsm
        message = (f"The '{name}' message needs {count.segments} SMS segments ({count.units} "
                   f"{'septets' if count.encoding == 'GSM-7' else 'UCS-2 units'}, sent as {count.encoding}) "
                   f"but may use at most {budget}.")
        if non_gsm:
            shown = ", ".join(repr(char) for char in non_gsm)
            message += (f" It is sent as UCS-2 because of {shown}, which GSM-7 cannot carry; "
                        "shorten the text or, where the language allows, replace those characters.")
        else:
            message += " Shorten the text."
        super().__init__(message)


def is_gsm(text: str) -> bool:
    return all(char in GSM_BASIC or char in GSM_EXTENSION for char in text)


def non_gsm_characters(text: str) -> tuple[str, ...]:
    """The characters that force UCS-2, each once, in the order they first appear."""
    return tuple(dict.fromkeys(char for char in text if char not in GSM_BASIC and char not in GSM_EXTENSION))


def _cost(char: str, encoding: str) -> int:
    if encoding == "GSM-7":
        return 2 if char in GSM_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1  # outside the BMP: a surrogate pair


def segments(text: str) -> SegmentCount:
    """The encoding a phone network will use for ``text``, its size and its number of segments."""
    encoding = "GSM-7" if is_gsm(text) else "UCS-2"
    costs = [_cost(char, encoding) for char in text]
    units = sum(costs)
    if units == 0:
        return SegmentCount(encoding, 0, 0)
    if units <= SINGLE_LIMIT[encoding]:
        return SegmentCount(encoding, units, 1)
    return SegmentCount(encoding, units, _parts(costs, PART_LIMIT[encoding]))


def _parts(costs: list[int], limit: int) -> int:
    # Fill each segment greedily; a pair that would straddle the boundary starts the next one.
    count, used = 1, 0
    for cost in costs:
        if used + cost > limit:
            count, used = count + 1, 0
        used += cost
    return count


def check_budget(text: str, budget: int, name: str) -> SegmentCount:
    """The segment count of ``text``; raise ``SegmentBudgetExceeded`` if it is over ``budget``."""
    count = segments(text)
    if count.segments > budget:
        raise SegmentBudgetExceeded(name, count, budget, non_gsm_characters(text) if count.encoding == "UCS-2" else ())
    return count
