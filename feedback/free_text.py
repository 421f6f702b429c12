"""A respondent's free text as it is stored: one kind of line break and no control characters.

Free text reaches the database from the web survey, interviewer mode, SMS replies and imported
files; each path cleans it with ``clean_free_text`` before its own checks (length, "any words?"),
so the same words are stored the same way whichever way they came. Pure Python, no Flask.
"""
from __future__ import annotations

import re

_CR_LINE_BREAK = re.compile(r"\r\n?")
#: C0 control characters other than tab (made a space first) and LF, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def normalise_line_breaks(text: str) -> str:
    """CR LF and a bare CR become LF: ``"a\\r\\nb\\rc"`` → ``"a\\nb\\nc"``.

    A bare CR ends a row for a spreadsheet and for readers that split lines, but Python's csv
    module (writing LF rows) neither quotes it nor treats it as a break, so it once split rows.
    """
    return _CR_LINE_BREAK.sub("\n", text)


def clean_free_text(text: str) -> str:
    """``text`` with line breaks as LF, each tab as a space, and NUL, the other C0 control
    characters and DEL removed. Ordinary newlines are kept; nothing else is changed (not even
    surrounding spaces: callers trim as they always have).

    Tabs become spaces rather than being kept: a tab at the start of a line can hide a formula in
    a spreadsheet, and nobody means a tab in a survey answer (pasted text brings them).
    """
    return _CONTROL.sub("", normalise_line_breaks(text).replace("\t", " "))
