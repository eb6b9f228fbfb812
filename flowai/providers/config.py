"""Router settings: priorities per task, quotas, the time zone of quota periods, retry and
cool-down policy, price overrides.

Read at start from ``FLOWAI_HOME/providers.toml`` (or ``FLOWAI_PROVIDERS_FILE``); what an
admin sets in the UI or the management API is stored in the database and wins over the file
(priorities, quotas, time zone). The file's format::

    timezone = "Asia/Shanghai"          # quota days and months start at this zone's midnight
    test_only = ["groq"]                # keys refused when FLOWAI_ENV=production (admins can mark more)

    [priorities]                        # per task: these first, the others after in default order
    text = ["openai", "groq"]

    [quotas.groq]                       # per provider
    period = "day"                      # day | month
    limit = 1000
    unit = "calls"                      # calls | tokens | characters | seconds | images | cost (USD)

    [retry]
    retries = 1                         # extra attempts at one provider on 429 / 5xx / timeout
    backoff = 0.5                       # first wait in seconds, doubled per retry, with jitter
    max_backoff = 4.0
    max_retry_after = 10.0              # a longer Retry-After moves on to the next provider
    timeout = 0                         # seconds to a provider's first delta or answer (0: the HTTP client's)
    cooldown_failures = 3               # consecutive failed calls that cool a provider down ...
    cooldown_seconds = 60               # ... for this long (per process)

    [prices.groq]                       # USD; see catalog.Price
    prompt = 0.59
    completion = 0.79

    [models.replicate]                  # per provider and task: the model used (env <NAME>_<TASK>_MODEL wins)
    multimodal = "yorickvp/llava-13b:80537f9eead1a5bfa72d5ac6ea6414379be41d4d4f6679fd776e9535d1eb58bb"

    [alerts]
    failure_rate = 0.5                  # alert when a provider's failure rate reaches this ...
    window = "hour"                     # ... over this window (hour | day | week) ...
    min_calls = 5                       # ... with at least this many calls in it
    quota_warn = 0.9                    # alert when this share of a quota is used
    webhook = "https://example.com/hook"  # optional: alerts and the weekly report are POSTed here
    report_day = "mon"                  # the weekly free-quota report: day (mon..sun) ...
    report_hour = 9                     # ... and hour, in the quotas' time zone
    budget_warn = 0.8                   # warn when this share of a workflow's daily budget is spent ...
    budget_webhook = ""                 # ... and POST the warning here (optional; an admin may change both)
"""

from __future__ import annotations

import threading
import time
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .base import TASKS
from .catalog import CATALOG, DEFAULT_PRIORITIES, Price
from .store import ProviderStore

PERIODS = ("day", "month")
UNITS = ("calls", "tokens", "characters", "seconds", "images", "cost")  # the usage counters (storage's columns)
COUNTERS = (*UNITS, "failures")
CACHE_TTL = 5.0


class ConfigError(ValueError):
    """An invalid setting (in providers.toml, or sent by an admin)."""


@dataclass(frozen=True, slots=True)
class Quota:
    period: str
    limit: float
    unit: str = "calls"

    def as_dict(self) -> dict[str, Any]:
        return {"period": self.period, "limit": self.limit, "unit": self.unit}

    @classmethod
    def parse(cls, value: Any, where: str) -> Quota:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: a quota is a table with period, limit and unit.")
        period, limit, unit = value.get("period", "day"), value.get("limit"), value.get("unit", "calls")
        if period not in PERIODS:
            raise ConfigError(f"{where}: period must be one of {', '.join(PERIODS)}, not {period!r}.")
        if unit not in UNITS:
            raise ConfigError(f"{where}: unit must be one of {', '.join(UNITS)}, not {unit!r}.")
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit < 0:
            raise ConfigError(f"{where}: limit must be a number >= 0.")
        return cls(period, float(limit), unit)


@dataclass(frozen=True, slots=True)
class Policy:
    retries: int = 1
    backoff: float = 0.5
    max_backoff: float = 4.0
    max_retry_after: float = 10.0
    timeout: float = 0.0  # 0: no router timeout, the HTTP client's own timeouts apply
    cooldown_failures: int = 3
    cooldown_seconds: float = 60.0

    @classmethod
    def parse(cls, value: Any, where: str = "[retry]") -> Policy:
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table.")
        known = {f.name: f.type for f in fields(cls)}
        for key, item in value.items():
            if key not in known:
                raise ConfigError(f"{where}: unknown setting {key!r} (known: {', '.join(known)}).")
            if isinstance(item, bool) or not isinstance(item, (int, float)) or item < 0:
                raise ConfigError(f"{where}: {key} must be a number >= 0.")
        values: dict[str, Any] = {
            k: (int(v) if k in ("retries", "cooldown_failures") else float(v)) for k, v in value.items()
        }
        return replace(cls(), **values)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class AlertSettings:
    failure_rate: float = 0.5
    window: str = "hour"
    min_calls: int = 5
    quota_warn: float = 0.9
    webhook: str = ""
    report_day: str = "mon"
    report_hour: int = 9
    budget_warn: float = 0.8
    budget_webhook: str = ""

    @classmethod
    def parse(cls, value: Any, where: str = "[alerts]") -> AlertSettings:
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table.")
        known = {f.name for f in fields(cls)}
        for key in value:
            if key not in known:
                raise ConfigError(f"{where}: unknown setting {key!r} (known: {', '.join(sorted(known))}).")
        out = replace(cls(), **value)
        for key in ("failure_rate", "quota_warn", "budget_warn"):
            item = getattr(out, key)
            if isinstance(item, bool) or not isinstance(item, (int, float)) or not 0 < item <= 1:
                raise ConfigError(f"{where}: {key} must be a number in (0, 1].")
        if out.window not in ("hour", "day", "week"):
            raise ConfigError(f"{where}: window must be hour, day or week, not {out.window!r}.")
        if isinstance(out.min_calls, bool) or not isinstance(out.min_calls, int) or out.min_calls < 1:
            raise ConfigError(f"{where}: min_calls must be an integer >= 1.")
        for key in ("webhook", "budget_webhook"):
            url = getattr(out, key)
            if not isinstance(url, str) or (url and not url.startswith(("http://", "https://"))):
                raise ConfigError(f"{where}: {key} must be an http(s) URL.")
        if out.report_day not in WEEKDAYS:
            raise ConfigError(f"{where}: report_day must be one of {', '.join(WEEKDAYS)}.")
        if isinstance(out.report_hour, bool) or not isinstance(out.report_hour, int) or not 0 <= out.report_hour < 24:
            raise ConfigError(f"{where}: report_hour must be an integer 0..23.")
        return out


def check_timezone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"Unknown time zone {tz!r}; use an IANA name such as 'UTC' or 'Asia/Shanghai'.") from None
    return tz


def check_priorities(task: str, names: list[str]) -> list[str]:
    if task not in TASKS:
        raise ConfigError(f"Unknown task {task!r}; tasks are {', '.join(TASKS)}.")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"Priorities of {task} must be a list of provider names.")
    serving = DEFAULT_PRIORITIES[task]
    wrong = [n for n in names if n not in serving]
    if wrong:
        raise ConfigError(
            f"{', '.join(map(repr, wrong))} cannot serve {task}; providers for {task}: {', '.join(serving)}."
        )
    return list(dict.fromkeys(names))


@dataclass
class FileConfig:
    timezone: str = "UTC"
    priorities: dict[str, list[str]] | None = None
    quotas: dict[str, Quota] | None = None
    policy: Policy = Policy()
    prices: dict[str, Price] | None = None
    models: dict[str, dict[str, str]] | None = None
    test_only: list[str] | None = None
    alerts: AlertSettings = AlertSettings()

    @classmethod
    def read(cls, path: Path | None) -> FileConfig:
        if path is None or not path.exists():
            return cls()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        try:
            return cls.parse(data)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None

    @classmethod
    def parse(cls, data: dict) -> FileConfig:
        unknown = set(data) - {"timezone", "priorities", "quotas", "retry", "prices", "models", "test_only", "alerts"}
        if unknown:
            raise ConfigError(f"unknown section(s) {', '.join(sorted(unknown))}.")
        out = cls(timezone=check_timezone(data.get("timezone", "UTC")))
        out.priorities = {task: check_priorities(task, names) for task, names in (data.get("priorities") or {}).items()}
        quotas = {}
        for name, value in (data.get("quotas") or {}).items():
            _known(name, "[quotas]")
            quotas[name] = Quota.parse(value, f"[quotas.{name}]")
        out.quotas = quotas
        out.policy = Policy.parse(data.get("retry") or {})
        prices = {}
        for name, value in (data.get("prices") or {}).items():
            _known(name, "[prices]")
            try:
                prices[name] = replace(CATALOG[name].price, **{k: float(v) for k, v in value.items()})
            except (TypeError, ValueError):
                raise ConfigError(
                    f"[prices.{name}]: keys are {', '.join(f.name for f in fields(Price))}, values numbers."
                ) from None
        out.prices = prices
        out.models = {}
        for name, value in (data.get("models") or {}).items():
            _known(name, "[models]")
            if not isinstance(value, dict) or not all(t in TASKS and isinstance(m, str) for t, m in value.items()):
                raise ConfigError(f"[models.{name}]: keys are tasks ({', '.join(TASKS)}), values model names.")
            out.models[name] = dict(value)
        test_only = data.get("test_only") or []
        if not isinstance(test_only, list):
            raise ConfigError("test_only must be a list of provider names.")
        for name in test_only:
            _known(name, "test_only")
        out.test_only = list(test_only)
        out.alerts = AlertSettings.parse(data.get("alerts") or {})
        return out


def _known(name: str, where: str) -> None:
    if name not in CATALOG:
        raise ConfigError(f"{where}: unknown provider {name!r}.")


class ProviderConfig:
    """The file's settings with the database's overrides on top (re-read every few seconds)."""

    def __init__(self, file: FileConfig | None = None, store: ProviderStore | None = None):
        self.file = file or FileConfig()
        self.store = store
        self.policy = self.file.policy
        self._local: dict[str, Any] = {}  # overrides when there is no database
        self._cache: tuple[float, dict[str, Any]] | None = None
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path | None, store: ProviderStore | None) -> ProviderConfig:
        return cls(FileConfig.read(path), store)

    # -- reading --

    def priorities(self, task: str) -> list[str]:
        """Every provider serving ``task``: the configured order first, the rest in default order."""
        chosen = self._overrides().get(f"priorities:{task}")
        if chosen is None:
            chosen = (self.file.priorities or {}).get(task, [])
        chosen = [n for n in chosen if n in DEFAULT_PRIORITIES.get(task, ())]
        return chosen + [n for n in DEFAULT_PRIORITIES.get(task, ()) if n not in chosen]

    def quota(self, name: str) -> Quota | None:
        overrides = self._overrides()
        key = f"quota:{name}"
        if key in overrides:
            return Quota(**overrides[key]) if overrides[key] else None
        return (self.file.quotas or {}).get(name)

    def timezone(self) -> str:
        return self._overrides().get("timezone") or self.file.timezone

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone())

    def price(self, name: str) -> Price:
        return (self.file.prices or {}).get(name) or CATALOG[name].price

    def models(self, name: str) -> dict[str, str]:
        """The models ``[models.<name>]`` chooses per task (the environment's ``<NAME>_<TASK>_MODEL`` wins)."""
        return dict((self.file.models or {}).get(name) or {})

    @property
    def alerts(self) -> AlertSettings:
        return self.file.alerts

    def test_only(self, name: str) -> bool:
        """Whether the provider's key is marked "test only" (refused when FLOWAI_ENV=production)."""
        value = self._overrides().get(f"test_only:{name}")
        return bool(value) if value is not None else name in (self.file.test_only or [])

    def budget_warning(self) -> tuple[float, str]:
        """(share of a workflow's daily budget that warns, webhook URL or "") — an admin's choice wins."""
        chosen = self._overrides().get("budget_warning") or {}
        threshold = chosen.get("threshold", self.file.alerts.budget_warn)
        return float(threshold), chosen.get("webhook", self.file.alerts.budget_webhook) or ""

    def set_budget_warning(self, threshold: float, webhook: str | None) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold <= 1:
            raise ConfigError("budget warning: threshold must be a number in (0, 1].")
        if webhook and not webhook.startswith(("http://", "https://")):
            raise ConfigError("budget warning: webhook must be an http(s) URL.")
        self._put("budget_warning", {"threshold": float(threshold), "webhook": webhook or ""})

    def state(self, key: str) -> Any:
        """A value the instance keeps for itself (e.g. the last weekly report), None if unset."""
        return self._overrides().get(f"state:{key}")

    # -- writing (admin) --

    def set_priorities(self, task: str, names: list[str]) -> None:
        self._put(f"priorities:{task}", check_priorities(task, names))

    def set_quota(self, name: str, quota: Quota | None) -> None:
        _known(name, "quota")
        self._put(f"quota:{name}", asdict(quota) if quota else None)

    def set_timezone(self, tz: str) -> None:
        self._put("timezone", check_timezone(tz))

    def set_test_only(self, name: str, value: bool) -> None:
        _known(name, "test_only")
        self._put(f"test_only:{name}", bool(value))

    def put_state(self, key: str, value: Any) -> None:
        self._put(f"state:{key}", value)

    # -- storage --

    def _put(self, key: str, value: Any) -> None:
        if self.store is None:
            self._local[key] = value
            return
        self.store.put_setting(key=key, value=value)
        self._cache = None

    def _overrides(self) -> dict[str, Any]:
        if self.store is None:
            return self._local
        cached = self._cache
        if cached is not None and time.monotonic() - cached[0] < CACHE_TTL:
            return cached[1]
        values = self.store.settings()
        with self._lock:
            self._cache = (time.monotonic(), values)
        return values
