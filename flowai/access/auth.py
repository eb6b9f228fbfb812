"""API-key and password primitives.

API keys look like ``fai_<8 prefix chars>_<32 secret chars>``. Only the prefix (for lists)
and HMAC-SHA256(server secret, key) are stored; lookups go by the HMAC, and the stored
digest is compared in constant time. Passwords use Argon2id (argon2-cffi).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import time

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_ALPHABET = string.ascii_letters + string.digits
_hasher = PasswordHasher()


def new_api_key() -> tuple[str, str]:
    """Return ``(secret, prefix)``; the secret is shown to its owner once and never stored."""
    prefix = "fai_" + "".join(secrets.choice(_ALPHABET) for _ in range(8))
    secret = prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(32))
    return secret, prefix


def key_digest(server_secret: str, key: str) -> str:
    return hmac.new(server_secret.encode(), key.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def digests_match(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


TOKEN_TTL = 12 * 3600  # seconds a sign-in token is valid


def issue_token(server_secret: str, user_id: int, *, version: int = 0, ttl: int = TOKEN_TTL) -> str:
    """A signed token for ``user_id``; ``version`` is the account's token version, so bumping it
    (sign-out everywhere, a password change) revokes every token issued before."""
    now = int(time.time())
    claims = {"sub": str(user_id), "ver": version, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, _jwt_key(server_secret), algorithm="HS256")


def read_token(server_secret: str, token: str) -> tuple[int, int] | None:
    """``(user id, token version)`` of a valid, unexpired token; None otherwise."""
    try:
        claims = jwt.decode(token, _jwt_key(server_secret), algorithms=["HS256"], options={"require": ["exp", "sub"]})
        version = claims.get("ver", 0)
        if not isinstance(version, int):
            return None
        return int(claims["sub"]), version
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return None


def _jwt_key(server_secret: str) -> str:
    return hmac.new(server_secret.encode(), b"jwt", hashlib.sha256).hexdigest()
