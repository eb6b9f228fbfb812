"""Instance configuration, read once from the environment and the cwd's ``.env`` files.

``FLOWAI_ENV`` (development | production | test; default development) names the environment:
``.env.<env>`` is read, then ``.env``; a variable already set in the process wins over both,
and ``.env.<env>`` over ``.env``. ``FLOWAI_ENV`` itself may come from ``.env``. In production,
provider keys an admin marked "test only" are refused (``providers.directory``).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import dotenv_values, load_dotenv

ENVIRONMENTS = ("development", "production", "test")


class SettingsError(ValueError):
    """A setting of the environment that cannot be used (the CLI prints it, no traceback)."""


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _flag(name: str) -> bool | None:
    raw = os.environ.get(name, "").strip().lower()
    if raw in ("", "auto"):
        return None
    if raw in ("1", "true", "yes", "0", "false", "no"):
        return raw in ("1", "true", "yes")
    raise SettingsError(f"{name} must be 1 or 0 (or unset), not {raw!r}.")


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    secret_key: str
    disconnect_grace: float = 10.0  # seconds a dropped stream waits for a reconnect
    node_timeout: float = 300.0  # default per-node timeout, seconds
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 20 * 1024 * 1024  # one file uploaded to POST /api/v1/files
    max_media_bytes: int = 2 * 1024**3  # one file a provider returns (a video), fetched from its URL
    default_rate_limit: int = 600  # runs per minute per API key
    ping_interval: float = 15.0
    run_retention: int = 1000  # finished runs whose events stay replayable in memory
    run_retention_bytes: int = 32 * 1024 * 1024  # ... and at most this many bytes of their events (JSON)
    max_concurrent_runs: int = 4  # background runs executing at once in this process
    auth_failures_per_minute: int = 60  # 401s per client address before it is locked out (429)
    login_failures_per_account: int = 10  # wrong passwords per account name in 5 minutes before 429
    allow_private_urls: bool = False  # callback URLs / URL inputs may target private addresses
    public_url: str | None = None  # FLOWAI_PUBLIC_URL: the server's address as providers reach it
    env: dict[str, str] = field(default_factory=dict)  # provider credentials and base URLs
    environment: str = "development"  # FLOWAI_ENV
    env_files: tuple[str, ...] = ()  # the .env files read, most important first
    providers_file: Path | None = None  # router settings (priorities, quotas, ...); default home/providers.toml
    metrics_token: str | None = None  # FLOWAI_METRICS_TOKEN: /metrics then needs "Authorization: Bearer <it>"
    encryption_keys: str = field(default="", repr=False)  # FLOWAI_ENCRYPTION_KEYS; else home/encryption.keys
    auto_migrate: bool | None = None  # FLOWAI_AUTO_MIGRATE: upgrade the schema on start (unset: on SQLite only)

    @property
    def media_dir(self) -> Path:
        return self.home / "media"

    @property
    def providers_path(self) -> Path:
        return self.providers_file or self.home / "providers.toml"

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        environment, env_files = load_env_files(Path.cwd())
        home = Path(os.environ.get("FLOWAI_HOME") or Path.home() / ".flowai").expanduser()
        if not home.exists():
            home.mkdir(parents=True, mode=0o700, exist_ok=True)  # secrets, database, media: this user's only
        database_url = os.environ.get("FLOWAI_DATABASE_URL") or f"sqlite:///{home / 'flowai.db'}"
        secret_key = os.environ.get("FLOWAI_SECRET_KEY") or _secret_key_file(home)
        values: dict[str, Any] = dict(
            home=home,
            database_url=database_url,
            secret_key=secret_key,
            disconnect_grace=_float("FLOWAI_DISCONNECT_GRACE", 10.0),
            node_timeout=_float("FLOWAI_NODE_TIMEOUT", 300.0),
            max_body_bytes=_int("FLOWAI_MAX_BODY_BYTES", 1024 * 1024),
            max_upload_bytes=_int("FLOWAI_MAX_UPLOAD_BYTES", 20 * 1024 * 1024),
            max_media_bytes=_int("FLOWAI_MAX_MEDIA_BYTES", 2 * 1024**3),
            default_rate_limit=_int("FLOWAI_DEFAULT_RATE_LIMIT", 600),
            ping_interval=_float("FLOWAI_PING_INTERVAL", 15.0),
            max_concurrent_runs=_int("FLOWAI_MAX_CONCURRENT_RUNS", 4),
            run_retention_bytes=_int("FLOWAI_RUN_RETENTION_BYTES", 32 * 1024 * 1024),
            auth_failures_per_minute=_int("FLOWAI_AUTH_FAILURES_PER_MINUTE", 60),
            login_failures_per_account=_int("FLOWAI_LOGIN_FAILURES_PER_ACCOUNT", 10),
            allow_private_urls=os.environ.get("FLOWAI_ALLOW_PRIVATE_URLS", "").lower() in ("1", "true", "yes"),
            public_url=os.environ.get("FLOWAI_PUBLIC_URL") or None,
            env={
                k: v
                for k, v in os.environ.items()
                if k.endswith(("_KEY", "_TOKEN", "_BASE_URL", "_MODEL", "_USER_ID")) and not k.startswith("FLOWAI_")
            },
            environment=environment,
            env_files=env_files,
            metrics_token=os.environ.get("FLOWAI_METRICS_TOKEN") or None,
            encryption_keys=os.environ.get("FLOWAI_ENCRYPTION_KEYS", ""),
            auto_migrate=_flag("FLOWAI_AUTO_MIGRATE"),
            providers_file=Path(os.environ["FLOWAI_PROVIDERS_FILE"]).expanduser()
            if os.environ.get("FLOWAI_PROVIDERS_FILE")
            else None,
        )
        values.update(overrides)
        return cls(**values)


def load_env_files(directory: Path) -> tuple[str, tuple[str, ...]]:
    """Read ``.env.<FLOWAI_ENV>`` then ``.env`` from ``directory`` into the process environment
    (never over a variable already set); returns the environment and the files read."""
    base = directory / ".env"
    name = os.environ.get("FLOWAI_ENV") or (dotenv_values(base).get("FLOWAI_ENV") if base.exists() else None)
    name = (name or "development").strip().lower()
    if name not in ENVIRONMENTS:
        raise SettingsError(f"FLOWAI_ENV must be one of {', '.join(ENVIRONMENTS)}, not {name!r}.")
    read = []
    for path in (directory / f".env.{name}", base):
        if path.exists():
            load_dotenv(path, override=False)
            read.append(path.name)
    return name, tuple(read)


def _secret_key_file(home: Path) -> str:
    """The instance secret lives in ``FLOWAI_HOME/secret.key`` (mode 0600), made on first use."""
    path = home / "secret.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
