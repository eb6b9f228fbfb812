"""API keys: creation (secret shown once), authentication, scopes, per-key rate limits."""

from __future__ import annotations

import builtins
import hashlib
import hmac
import time
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from flowai.access.auth import digests_match, key_digest, new_api_key
from flowai.access.limiter import Limiter, LocalLimiter
from flowai.errors import AuthError, NotFoundError, RateLimitedError
from storage import queries
from storage.db import session
from storage.models import ApiKey, utcnow

CACHE_TTL = 2.0  # seconds a revocation made by another process may take to be seen


@dataclass(frozen=True, slots=True)
class KeyInfo:
    id: int
    owner_id: int
    rate_limit: int
    workflows: frozenset[str] | None

    def allows(self, workflow_id: str) -> bool:
        return self.workflows is None or workflow_id in self.workflows


class Keys:
    def __init__(self, db: Engine, secret: str, *, default_rate_limit: int = 600, limiter: Limiter | None = None):
        self.db = db
        self.secret = secret
        self.default_rate_limit = default_rate_limit
        self._cache: dict[str, tuple[float, KeyInfo | None]] = {}
        self.limiter: Limiter = limiter or LocalLimiter()  # shared by every process when scaled out
        self._touched: dict[int, float] = {}

    def create(
        self, *, owner_id: int, name: str, rate_limit: int | None = None, workflows: list[str] | None = None
    ) -> tuple[str, ApiKey]:
        secret, prefix = new_api_key()
        with session(self.db) as s:
            key = queries.create_key(
                s,
                owner_id=owner_id,
                name=name,
                prefix=prefix,
                key_hash=key_digest(self.secret, secret),
                rate_limit=self.default_rate_limit if rate_limit is None else rate_limit,
                workflows=workflows,
            )
            s.commit()
        return secret, key

    def list(self, *, owner_id: int) -> builtins.list[ApiKey]:
        with session(self.db) as s:
            return queries.list_keys(s, owner_id=owner_id)

    def page(self, *, owner_id: int, offset: int = 0, limit: int = 20) -> tuple[builtins.list[ApiKey], int]:
        """The account's keys (revoked ones too), newest first, and how many there are."""
        with session(self.db) as s:
            return queries.page_keys(s, owner_id=owner_id, offset=offset, limit=limit)

    def owner_of(self, key_id: int) -> int | None:
        """The owning account of a key, or None when there is no such key."""
        with session(self.db) as s:
            return queries.key_owner(s, key_id=key_id)

    def revoke(self, *, owner_id: int, key_id: int) -> ApiKey:
        with session(self.db) as s:
            key = queries.revoke_key(s, owner_id=owner_id, key_id=key_id)
            s.commit()
        if key is None:
            raise NotFoundError(f"API key {key_id} was not found.")
        self._cache = {k: v for k, v in self._cache.items() if v[1] is None or v[1].id != key_id}
        return key

    def authenticate(self, presented: str | None) -> KeyInfo:
        if not presented:
            raise AuthError("Missing X-API-KEY header.")
        if len(presented) > 200:
            raise AuthError("Invalid API key.")
        digest = key_digest(self.secret, presented)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is None or now - hit[0] >= CACHE_TTL:
            info = self._load(digest)
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = hit = (now, info)
        if hit[1] is None:
            raise AuthError("Invalid or revoked API key.")
        return hit[1]

    def _load(self, digest: str) -> KeyInfo | None:
        with session(self.db) as s:
            key = queries.get_key_by_hash(s, key_hash=digest)
        if key is None or key.revoked_at is not None or not digests_match(key.key_hash, digest):
            return None
        assert key.id is not None  # a stored row has its primary key
        return KeyInfo(key.id, key.owner_id, key.rate_limit, frozenset(key.workflows) if key.workflows else None)

    def signing_secret(self, key_id: int) -> str:
        """The secret that signs this key's callbacks: derived, never stored (shown at creation)."""
        with session(self.db) as s:
            key = s.get(ApiKey, key_id)
        if key is None:
            return ""
        return (
            "whsec_"
            + hmac.new(self.secret.encode(), f"callback:{key.key_hash}".encode(), hashlib.sha256).hexdigest()[:48]
        )

    async def check_rate(self, key: KeyInfo) -> None:
        """Count one run against the key's per-minute limit (see ``flowai.access.limiter``)."""
        if key.rate_limit <= 0:
            return
        retry = await self.limiter.hit(f"key:{key.id}", key.rate_limit, 60)
        if retry is not None:
            raise RateLimitedError(
                f"Rate limit of {key.rate_limit} runs per minute exceeded; retry in {retry} s.", retry_after=retry
            )

    def used(self, key: KeyInfo) -> object | None:
        """The last-used time to record, at most once a minute per key (else None)."""
        now = time.monotonic()
        if now - self._touched.get(key.id, -1e9) < 60:
            return None
        self._touched[key.id] = now
        return utcnow()
