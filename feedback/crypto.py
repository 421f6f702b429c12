"""Encryption at rest for personal details (phone numbers, message texts) and keyed digests for lookup.

Fernet (from ``cryptography``) gives authenticated encryption with a random IV, so the same number
encrypts differently each time; a keyed HMAC digest beside it lets the app find a member by
number (an inbound text) without decrypting every row.
"""
from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import String, Text
from sqlalchemy.types import TypeDecorator

_fernet: Fernet | None = None
_digest_key: bytes = b""


def configure(data_key: str) -> None:
    """Bind the key once at start-up (``create_app``); columns use it on every read and write."""
    global _fernet, _digest_key
    _fernet = Fernet(data_key.encode())
    _digest_key = hashlib.sha256(b"feedback lookup digest\0" + data_key.encode()).digest()


def _cipher() -> Fernet:
    if _fernet is None:
        raise RuntimeError("feedback.crypto.configure() was not called: no data key to encrypt with")
    return _fernet


def encrypt(plain: str) -> str:
    return _cipher().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        raise RuntimeError("a stored value cannot be decrypted: FEEDBACK_DATA_KEY differs from the key it was written with") from None


def lookup_digest(value: str) -> str:
    """A keyed digest to find a row by an exact value without storing the value in clear."""
    return hmac.new(_digest_key, value.encode(), hashlib.sha256).hexdigest()


class Encrypted(TypeDecorator):
    """A text column stored encrypted; Python code sees plain text."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


DIGEST = String(64)
