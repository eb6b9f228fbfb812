"""The keys that encrypt stored provider credentials: their own, not the instance secret.

The instance secret (``FLOWAI_SECRET_KEY`` / ``FLOWAI_HOME/secret.key``) signs things (logins,
file URLs, callbacks, API-key digests); the credentials in the database are encrypted with
Fernet keys kept apart from it:

- ``FLOWAI_ENCRYPTION_KEYS``: Fernet keys, comma-separated, newest first; or else
- ``FLOWAI_HOME/encryption.keys``: one key a line, newest first, mode 0600, made on first use.

Encryption uses the newest key; decryption tries each (``MultiFernet``), so an old key still
reads while ``flowai secrets rotate`` re-encrypts every row under a new one. A running server
notices a rotated key file (its modification time) before it encrypts or decrypts, so a rotation
needs no restart. Rows written before this key file existed (encrypted with a key derived from
the instance secret) are re-encrypted under the new key once, at start-up (``Credentials.migrate``).
"""

from __future__ import annotations

import base64
import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEYS_FILE = "encryption.keys"


def legacy_key(secret_key: str) -> str:
    """The key earlier versions derived from the instance secret (read once, to migrate)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"flowai provider credentials").derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(raw).decode()


class KeyringError(Exception):
    """The configured keys cannot be used (not Fernet keys, or rotation impossible)."""


class Keyring:
    def __init__(self, keys: list[str] | None = None, *, path: Path | None = None):
        """Fixed ``keys`` (newest first), or the key file at ``path`` (made with one new key if missing)."""
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        if keys is not None:
            self._keys = list(keys)
        else:
            if path is None:
                raise KeyringError("a keyring needs keys or a key file")
            if not path.exists():
                write_keys(path, [Fernet.generate_key().decode()], exclusive=True)
            self._keys = self._read()
        self._multi = _multi(self._keys)

    @classmethod
    def for_home(cls, home: Path, env_keys: str = "") -> Keyring:
        keys = [k.strip() for k in env_keys.split(",") if k.strip()]
        return cls(keys) if keys else cls(path=home / KEYS_FILE)

    @property
    def keys(self) -> list[str]:
        self._refresh()
        return list(self._keys)

    @property
    def from_file(self) -> bool:
        return self.path is not None

    def fernet(self) -> MultiFernet:
        """Encrypts with the newest key, decrypts with any (the key file re-read when it changed)."""
        self._refresh()
        return self._multi

    def _read(self) -> list[str]:
        assert self.path is not None
        stamp = _stamp(self.path)
        keys = [line.strip() for line in self.path.read_text().splitlines() if line.strip()]
        if not keys:
            raise KeyringError(f"{self.path} holds no key")
        self._stamp = stamp
        return keys

    def _refresh(self) -> None:
        if self.path is None:
            return
        try:
            stamp = _stamp(self.path)
        except OSError:
            return
        if stamp != self._stamp:
            with self._lock:
                self._keys = self._read()
                self._multi = _multi(self._keys)


def write_keys(path: Path, keys: list[str], *, exclusive: bool = False) -> None:
    """Write the key file (mode 0600) in one step: a temporary file renamed (or, for a first key
    file that another process may be making too, hard-linked) into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(keys) + "\n")
    if not exclusive:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # appears whole or not at all; another process's file wins
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def _stamp(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_ino, st.st_mtime_ns, st.st_size  # a rotation replaces the file: a new inode


def _multi(keys: list[str]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError):
        raise KeyringError(
            "An encryption key is not a Fernet key (32 url-safe base64-encoded bytes); "
            "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        ) from None
