"""Provider credentials: from the environment (``Settings.env``, which includes ``.env``) and
from the UI, where they are stored in the database encrypted with Fernet.

The Fernet keys are their own (``keyring``: ``FLOWAI_HOME/encryption.keys`` or
``FLOWAI_ENCRYPTION_KEYS``), not the instance secret, so neither the database nor the signing
secret alone reveals a key; ``rotate`` re-encrypts every row under the newest key. The
environment's key is sent only to the origin it was configured for: a base URL entered in the
UI on another origin gets no environment key. A value entered in the UI wins over the
environment, field by field (key, base URL, options). Keys never leave this module in clear
except to the provider client that sends them: everything shown is ``masked``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
from cryptography.fernet import Fernet, InvalidToken

from .catalog import CATALOG, ProviderSpec
from .keyring import Keyring, legacy_key
from .store import ProviderStore

log = logging.getLogger("flowai.providers")
CACHE_TTL = 5.0  # seconds before a change made by another process is seen


NOTHING_STORED: dict[str, dict[str, Any]] = {}  # the stored values without a store (never written to)


@dataclass(frozen=True, slots=True)
class Credential:
    """What a provider client is built from. ``source`` says where the key came from."""

    name: str
    api_key: str | None
    base_url: str
    options: dict[str, str] = field(default_factory=dict)
    source: str | None = None  # "ui", "env" or None
    configured: bool = False
    base_url_overridden: bool = False
    env_name: str | None = None  # the environment variable the key came from (source "env")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or ""), port or {"http": 80, "https": 443}.get(scheme)


def masked(value: str | None) -> str | None:
    """``sk-…abcd``: enough to recognise a key, never enough to use it."""
    if not value:
        return None
    if len(value) >= 12:
        return f"{value[:3]}…{value[-4:]}"
    return "…" + value[-2:] if len(value) > 6 else "…"


class Credentials:
    def __init__(self, store: ProviderStore | None, keyring: Keyring | str, env: Mapping[str, str]):
        """``keyring``: the encryption keys (a bare string: a key derived from it, for embedding and tests)."""
        self.store = store
        self.env = dict(env)
        self.keyring = keyring if isinstance(keyring, Keyring) else Keyring([legacy_key(keyring)])
        self._lock = threading.Lock()
        self._cache: tuple[float, dict[str, dict[str, Any]]] | None = None
        # the credentials built from one reading of the stored values (the reading, name -> credential)
        self._memo: tuple[dict[str, dict[str, Any]], dict[str, Credential]] = (NOTHING_STORED, {})

    # -- reading --

    def get(self, name: str) -> Credential:
        """``name``'s credential, built once per reading of the stored values (every call asks for
        each provider of its task in priority order)."""
        stored = self._ui()
        memo = self._memo
        if memo[0] is not stored:
            memo = self._memo = (stored, {})
        found = memo[1].get(name)
        if found is None:
            found = memo[1][name] = self._build(name, stored.get(name, {}))
        return found

    def _build(self, name: str, ui: dict[str, Any]) -> Credential:
        spec = CATALOG[name]
        prefix = spec.prefix
        env_name = next((k for k in spec.key_env if self.env.get(k)), None)
        env_key = self.env[env_name] if env_name else None
        env_base = self.env.get(f"{prefix}_BASE_URL")
        base_url = ui.get("base_url") or env_base or spec.base_url
        if env_key and ui.get("base_url") and _origin(ui["base_url"]) != _origin(env_base or spec.base_url):
            env_key = None  # the environment's key goes only to the origin it was configured for
        api_key = ui.get("api_key") or env_key
        options = {opt: self.env[var] for opt, var in spec.option_env.items() if self.env.get(var)}
        options.update({k: v for k, v in (ui.get("options") or {}).items() if v})
        overridden = bool(ui.get("base_url") or env_base)
        has_options = all(options.get(opt) for opt in spec.option_env)
        configured = has_options and bool(api_key or (spec.keyless_with_base_url and overridden))
        if ui.get("api_key"):
            source = "ui"
        elif env_key:
            source = "env"
        elif configured:  # keyless: a self-hosted server's base URL
            source = "ui" if ui.get("base_url") else "env"
        else:
            source = None
        return Credential(
            name, api_key, base_url, options, source, configured, overridden, env_name if source == "env" else None
        )

    def spec(self, name: str) -> ProviderSpec:
        return CATALOG[name]

    # -- writing (the UI and the management API) --

    def set(
        self, name: str, *, api_key: str | None, base_url: str | None = None, options: dict[str, str] | None = None
    ) -> None:
        """Store UI values. An empty or None ``api_key`` keeps the stored key (a blank key field
        means "unchanged"); ``base_url`` None keeps it and "" removes it; ``options`` None keeps
        them, a dict replaces them. ``clear`` forgets everything entered in the UI."""
        if name not in CATALOG:
            raise KeyError(name)
        current = self._ui(fresh=True).get(name, {})
        key = (api_key or "").strip() or current.get("api_key")
        url = current.get("base_url") if base_url is None else (base_url.strip().rstrip("/") or None)
        opts = (current.get("options") or {}) if options is None else {k: str(v) for k, v in options.items() if v}
        self._require_store().put_credential(
            name=name,
            api_key=self._encrypt(key) if key else None,
            base_url=url,
            options=self._encrypt(orjson.dumps(opts).decode()) if opts else None,
        )
        self._cache = None

    def clear(self, name: str) -> None:
        self._require_store().delete_credential(name=name)
        self._cache = None

    # -- the stored values --

    def _ui(self, fresh: bool = False) -> dict[str, dict[str, Any]]:
        if self.store is None:
            return NOTHING_STORED
        cached = self._cache
        if not fresh and cached is not None and time.monotonic() - cached[0] < CACHE_TTL:
            return cached[1]
        values = {}
        for row in self.store.credentials():
            options = self._decrypt(row["options"], row["name"])
            values[row["name"]] = {
                "api_key": self._decrypt(row["api_key"], row["name"]),
                "base_url": row["base_url"],
                "options": orjson.loads(options) if options else {},
            }
        with self._lock:
            self._cache = (time.monotonic(), values)
        return values

    def _encrypt(self, value: str) -> str:
        return self.keyring.fernet().encrypt(value.encode()).decode()

    def _decrypt(self, token: str | None, name: str) -> str | None:
        if not token:
            return None
        try:
            return self.keyring.fernet().decrypt(token.encode()).decode()
        except InvalidToken:
            log.warning("stored credentials of %s cannot be decrypted (was the encryption key changed?)", name)
            return None

    # -- keys --

    def rotate(self) -> tuple[int, int]:
        """Re-encrypt every stored value under the newest key (any key of the keyring reads it).
        Returns (values re-encrypted, values no key could read: left as they are)."""
        return self._rewrap(lambda token: self.keyring.fernet().rotate(token.encode()).decode())

    def migrate(self, secret_key: str) -> int:
        """Re-encrypt values written before the keyring (under a key derived from the instance secret)."""
        old = Fernet(legacy_key(secret_key).encode())

        def rewrap(token: str) -> str:
            fernet = self.keyring.fernet()
            try:
                fernet.decrypt(token.encode())
                return token  # already under the keyring
            except InvalidToken:
                return fernet.encrypt(old.decrypt(token.encode())).decode()

        done, _ = self._rewrap(rewrap)
        return done

    def _rewrap(self, rewrap) -> tuple[int, int]:
        if self.store is None:
            return 0, 0
        done = unreadable = 0
        for row in self.store.credentials():
            values = dict(row)
            for column in ("api_key", "options"):
                token = row[column]
                if not token:
                    continue
                try:
                    values[column] = rewrap(token)
                except InvalidToken:
                    unreadable += 1
                    log.warning("stored %s of %s cannot be decrypted by any key: left as it is", column, row["name"])
                    continue
                done += values[column] != token
            if values != row:
                self.store.put_credential(
                    name=row["name"], api_key=values["api_key"], base_url=row["base_url"], options=values["options"]
                )
        self._cache = None
        return done, unreadable

    def _require_store(self) -> ProviderStore:
        if self.store is None:
            raise RuntimeError("credentials entered in the UI need a database")
        return self.store
