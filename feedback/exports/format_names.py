"""Variable names and label lengths that SPSS and Stata accept.

Our variable names come from stable item ids and may be long (``fam_functioning_change_exit_entry``)
or hold characters statistics packages refuse.  Each name is mapped once, deterministically, to a
valid SPSS name (≤64 characters) and a valid Stata name (≤28 characters, see ``STATA_NAME_LIMIT``);
the codebook records both mappings so an evaluator can always find the original variable.  Names are kept to ASCII
letters, digits and ``_``, which every version of both packages reads.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

SPSS_NAME_LIMIT = 64
#: Stata allows 32 characters, and so do its value-label set names.  pyreadstat names the set of
#: the n-th labelled variable ``<variable name><n>`` (n counts from 0 within the file), so a long
#: name fails once the counter has enough digits: a 31-character name works for the first ten
#: labelled variables and readstat refuses the eleventh ("A provided name is too long").  28
#: characters leave room for four digits, i.e. up to 10,000 labelled variables in one file; one
#: fixed limit (not one that depends on the file) keeps a variable's Stata name the same in every
#: export, so evaluators can merge them.
STATA_NAME_LIMIT = 28
#: The longest value-label set name readstat writes to a ``.dta`` file.
STATA_LABEL_SET_LIMIT = 32
#: SPSS keeps variable labels to 256 bytes and value labels to 120 bytes, truncating silently.
SPSS_LABEL_BYTES = 256
SPSS_VALUE_LABEL_BYTES = 120
#: Stata refuses variable labels over 80 characters.
STATA_LABEL_CHARS = 80

SPSS_RESERVED = frozenset({"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"})
#: Compared case-insensitively: stricter than Stata, and safe for anyone who retypes a name.
STATA_RESERVED = frozenset({
    "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n",
    "_pi", "_pred", "_rc", "_skip", "strl", "using", "with",
})
_STATA_STR_TYPE = re.compile(r"^str[0-9]+$", re.IGNORECASE)
_VALID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _is_reserved_spss(name: str) -> bool:
    return name.upper() in SPSS_RESERVED


def _is_reserved_stata(name: str) -> bool:
    return name.lower() in STATA_RESERVED or bool(_STATA_STR_TYPE.match(name))


def _is_valid(name: str, limit: int, reserved) -> bool:
    return len(name) <= limit and bool(_VALID.match(name)) and not reserved(name)


def _ascii_base(name: str) -> str:
    # Fold accents (ŵ → w) before replacing what is left, so Welsh ids stay readable.
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^A-Za-z0-9_]+", "_", folded).strip("_")
    if not base or not base[0].isalpha():
        base = "v_" + base
    return base


def map_names(names: Iterable[str], limit: int, reserved) -> dict[str, str]:
    """Map each name to a valid, unique (case-insensitively) name of at most ``limit`` characters.

    Names that are already valid keep themselves; the others are folded, truncated and, when two
    collide, numbered ``_2``, ``_3``… within the limit.
    """
    names = list(names)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    # First pass reserves names that need no change, so a mapped name never displaces one.
    for name in names:
        if _is_valid(name, limit, reserved) and name.lower() not in taken:
            mapping[name] = name
            taken.add(name.lower())
    for name in names:
        if name in mapping:
            continue
        base = _ascii_base(name)[:limit]
        if reserved(base):
            base = (base + "_")[:limit] if not reserved(base + "_") else ("v_" + base)[:limit]
        candidate, number = base, 1
        while candidate.lower() in taken:
            number += 1
            suffix = f"_{number}"
            candidate = base[: limit - len(suffix)] + suffix
        mapping[name] = candidate
        taken.add(candidate.lower())
    return mapping


def spss_names(names: Iterable[str]) -> dict[str, str]:
    return map_names(names, SPSS_NAME_LIMIT, _is_reserved_spss)


def stata_names(names: Iterable[str]) -> dict[str, str]:
    return map_names(names, STATA_NAME_LIMIT, _is_reserved_stata)


def truncate_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes without splitting a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")
