"""Survey link tokens: 192 random bits in the link, only their SHA-256 in the database."""
import hashlib
import secrets

TOKEN_BYTES = 24  # 192 bits; the floor is 128


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(token: str) -> bool:
    """Cheap shape check so junk never reaches the database (token_urlsafe(24) is 32 chars)."""
    return 20 <= len(token) <= 64 and all(ch.isalnum() or ch in "-_" for ch in token)
