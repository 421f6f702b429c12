"""What makes a staff password acceptable, after the NCSC's guidance: long, and not one that
guessers try first. No composition rules (they push people to "Password1!"); instead length of at
least 12 and zxcvbn's estimate of how guessable it is, which knows common passwords, keyboard runs,
repeats, dates and the person's own name and email. Pure: no Flask.
"""
from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

MIN_LENGTH = 12
#: zxcvbn's scores run 0–4; 3 is "safely unguessable: moderate protection from offline attacks".
MIN_SCORE = 3


def password_problem(password: str, about_the_person: Iterable[str] = ()) -> str | None:
    """Why this password will not do (a sentence for the person choosing it), or None if it will.
    ``about_the_person``: their email, name and the like, which a guesser tries first."""
    if len(password) < MIN_LENGTH:
        return f"use a password of at least {MIN_LENGTH} characters; a few unrelated words make a good one"
    # zxcvbn's own cost grows with length, and a long passphrase needs no estimate.
    checked = zxcvbn(password[:100], user_inputs=[s for s in about_the_person if s])
    if checked["score"] < MIN_SCORE:
        why = checked["feedback"]["warning"] or "it is one that guessers try early"
        return f"choose a less guessable password: {why.rstrip('.')}. A few unrelated words make a good one"
    return None
