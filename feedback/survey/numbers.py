"""Reading a number a respondent typed, in the way their language writes numbers.

Polish and Romanian write two and a half as "2,5"; English writes a thousand as "1,000"; Arabic
script phones may type "٢٫٥" or Eastern Arabic digits. Dropping every comma (as the survey once
did) stored "2,5" as 25. Here a comma is a decimal separator unless it groups thousands exactly
("1,000", "12,500.5"), and in languages that write decimals with a comma it always is. Pure Python:
the decimal symbol comes from Babel's locale data.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from babel import Locale, UnknownLocaleError

#: Spaces people and phones put between digit groups: space, no-break and narrow no-break space.
_SPACES = dict.fromkeys(map(ord, " \u00a0\u202f\u2009'"), None)
#: Arabic decimal and thousands separators, as some phone keyboards type them.
_ARABIC = {ord("\u066b"): ".", ord("\u066c"): ","}
_GROUPED_POINT = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_GROUPED_COMMA = re.compile(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?")


@lru_cache(maxsize=None)
def decimal_symbol(language: str) -> str:
    try:
        # Latin-digit conventions: a phone keyboard types Latin (or Eastern Arabic) digits.
        return Locale.parse(language).number_symbols.get("latn", {}).get("decimal", ".")
    except (UnknownLocaleError, ValueError, AttributeError):
        return "."


def read_number(text: str, language: str = "en") -> float:
    """The number in ``text``; ``ValueError`` if it is not one. Whole numbers come back as float
    too: the caller decides whether a fraction is allowed."""
    cleaned = unicodedata.normalize("NFKC", text).translate(_SPACES).translate(_ARABIC).strip()
    # Eastern Arabic and other Unicode digits become ASCII (float() accepts them, re does not).
    cleaned = "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in cleaned)
    if decimal_symbol(language) == ",":
        if _GROUPED_COMMA.fullmatch(cleaned):
            cleaned = cleaned.replace(".", "")
        cleaned = cleaned.replace(",", ".") if cleaned.count(",") == 1 and "." not in cleaned else cleaned
    elif _GROUPED_POINT.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    elif cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")  # "2,5" typed on an English page still means two and a half
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", cleaned):
        raise ValueError(f"not a number: {text!r}")
    return float(cleaned)
