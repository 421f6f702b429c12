"""Counting SMS segments the way the networks' rules are written, independently of
``feedback.sms.segments``, so tests can check that module and the texts it prices."""
from __future__ import annotations

from tests.sms.fake_twilio import GSM7

#: GSM 03.38 characters reached through the escape: each takes two septets.
EXTENSION = set("\f^{}\\[~]|€")


def independent_count(text: str) -> tuple[str, int, int]:
    """(encoding, units, segments): GSM-7 holds 160 septets in one segment, 153 in each part of a
    longer text, extension characters counting 2; anything else goes as UCS-2, 70 UTF-16 units in
    one segment and 67 per part."""
    if all(char in GSM7 or char in EXTENSION for char in text):
        encoding, units, single, part = "GSM-7", sum(2 if char in EXTENSION else 1 for char in text), 160, 153
    else:
        encoding, units, single, part = "UCS-2", len(text.encode("utf-16-le")) // 2, 70, 67
    if units == 0:
        return encoding, 0, 0
    return encoding, units, 1 if units <= single else -(-units // part)
