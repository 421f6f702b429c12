"""Keyed derivations for evaluator datasets: pseudonymous ids and per-family date offsets.

Everything here is an HMAC-SHA256 under the service's pseudonym key (from configuration, never
written into a bundle). The same key and recipient always give the same values, so waves and
later exports link; without the key nobody can go from a pseudonym back to an internal id, nor
guess the id of a family they know. A named recipient gets a key of its own, derived from the
service key, so two evaluators' datasets share no ids and cannot be joined.
"""
from __future__ import annotations

import base64
import hmac
import re

#: Shorter keys are refused: HMAC-SHA256 is only as strong as its key, and 32 bytes (256 bits)
#: is the hash's own size, the length RFC 2104 recommends.
MIN_KEY_BYTES = 32
#: 16 base32 characters are 80 bits. Among a million ids the chance that any two collide is about
#: n²/2⁸¹ ≈ 4 in 10¹³, so a clash is not a practical risk, yet the id is short enough to read
#: over the phone and fits an SPSS or Stata string column. Base32 (A–Z, 2–7) has one case and no
#: 0/O or 1/I confusion, and its letters stop spreadsheets reading an id as a number.
PSEUDONYM_CHARS = 16
#: Digest bytes encoded for a pseudonym: whole 5-byte groups, as many as its characters need.
_ENCODED_BYTES = -(-PSEUDONYM_CHARS // 8) * 5
#: Offsets run from −182 to +182 days: about six months either way, wide enough that a shifted
#: date does not give away a season, narrow enough that intervals stay the same length.
MAX_SHIFT_DAYS = 182

_KIND = re.compile(r"[a-z][a-z_]*\Z")


def check_key(key: bytes) -> bytes:
    """The key itself, or an error saying what is wrong with it and how to make a good one."""
    if not isinstance(key, (bytes, bytearray)):
        raise TypeError(f"the pseudonym key must be bytes, not {type(key).__name__}; encode a text key first")
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"the pseudonym key is {len(key)} bytes long; at least {MIN_KEY_BYTES} are needed. "
            "Make one with: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    return bytes(key)


def _mac(key: bytes, message: str) -> bytes:
    # The one-call form (OpenSSL's): the same digest as hmac.new(...).digest(), a third of the cost.
    return hmac.digest(key, message.encode("utf-8"), "sha256")


def recipient_key(key: bytes, recipient: str | None) -> bytes:
    """The key used for one recipient's datasets; the service key itself when there is none.

    Derived keys are HMACs of the recipient's name, so ids made for one recipient say nothing
    about another's, and no recipient key needs storing. Names are compared exactly.
    """
    key = check_key(key)
    if recipient is None:
        return key
    if not isinstance(recipient, str) or not recipient.strip():
        raise ValueError("a recipient must have a name; leave it out for the service's own datasets")
    return _mac(key, "recipient:" + recipient)


def pseudonym(kind: str, internal_id: int, key: bytes, recipient: str | None = None) -> str:
    """A stable pseudonymous id, e.g. ``pseudonym("family", 42, key)`` → ``"K3Q7…"`` (16 chars).

    ``kind`` (family, member, response, …) is part of the hashed message, so family 42 and
    member 42 get unrelated ids. Refuses short keys, kinds other than lower-case words, and ids
    that are not whole numbers.
    """
    return pseudonym_map(kind, (internal_id,), key, recipient)[internal_id]


def pseudonym_map(kind: str, internal_ids, key: bytes, recipient: str | None = None) -> dict[int, str]:
    """``pseudonym`` for many ids at once: {internal id: pseudonym} for each distinct id given.

    For a whole export: the recipient key is derived once rather than once per id, and an id
    repeated on many rows (a member's responses) is hashed once.
    """
    if not isinstance(kind, str) or not _KIND.match(kind):
        raise ValueError(f"a pseudonym kind is a lower-case word such as 'family', not {kind!r}")
    derived = recipient_key(key, recipient)
    result: dict[int, str] = {}
    for internal_id in internal_ids:
        if isinstance(internal_id, bool) or not isinstance(internal_id, int):
            raise TypeError(f"internal ids are whole numbers, not {type(internal_id).__name__}")
        if internal_id not in result:
            digest = _mac(derived, f"{kind}:{internal_id}")
            # Base32 turns each 5 bytes into 8 characters on their own, so encoding only the bytes
            # the kept characters come from gives the same characters (a national export hashes
            # hundreds of thousands of ids; base64's encoder is pure Python).
            result[internal_id] = base64.b32encode(digest[:_ENCODED_BYTES]).decode("ascii")[:PSEUDONYM_CHARS]
    return result


def shift_days(family: str | int, key: bytes, max_days: int = MAX_SHIFT_DAYS) -> int:
    """A family's date offset in −max_days..+max_days, the same every time for the same family.

    Pass the family's pseudonym (so each recipient's offsets differ, as its ids do) or its
    internal id. Zero is a possible offset: leaving it out would tell a reader that every shown
    date is not the real one.
    """
    if max_days < 1:
        raise ValueError(f"the largest shift must be at least one day, not {max_days}")
    digest = _mac(check_key(key), f"date-shift:{family}")
    # 64 bits reduced modulo a few hundred: the bias is below 10⁻¹⁶, far from noticeable.
    return int.from_bytes(digest[:8], "big") % (2 * max_days + 1) - max_days
