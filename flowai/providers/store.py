"""Where the provider gateway keeps its state (credentials, settings, usage, quotas, budgets):
a protocol, implemented by ``storage.provider_store.DbProviderStore``. Providers never import
the database; the composition root hands them a store."""

from __future__ import annotations

from typing import Any, Protocol


class ProviderStore(Protocol):
    def credentials(self) -> list[dict[str, Any]]:
        """``{"name", "api_key", "base_url", "options"}`` per stored provider (encrypted values)."""

    def put_credential(self, *, name: str, api_key: str | None, base_url: str | None, options: str | None) -> None: ...

    def delete_credential(self, *, name: str) -> None: ...

    def settings(self) -> dict[str, Any]: ...

    def put_setting(self, *, key: str, value: Any) -> None: ...

    def reserve(self, *, provider: str, period: str, unit: str, amount: float, limit: float) -> bool:
        """Add ``amount`` to the period's counter unless that passes ``limit``; whether it did."""

    def release(self, *, provider: str, period: str, unit: str, amount: float) -> None: ...

    def add_usage(
        self,
        *,
        provider: str,
        periods: dict[str, dict[str, float]],
        spend: tuple[str, str, float] | None = None,
        release: tuple[str, str, float] | None = None,
    ) -> None:
        """Add the period counters and ``spend`` (workflow id, day, cost), and give back a spend
        hold ``release`` (workflow id, day, amount): one transaction."""

    def usage(self, *, periods: list[str]) -> dict[str, dict[str, float]]: ...

    def daily_usage(self, *, first_day: str) -> list[dict[str, Any]]: ...

    def budget(self, *, workflow_id: str) -> float | None: ...

    def put_budget(self, *, workflow_id: str, daily_usd: float | None) -> None: ...

    def workflow_spend(self, *, workflow_id: str, day: str) -> float: ...

    def budgets_spent(self, *, day: str) -> list[dict[str, Any]]:
        """``{"workflow_id", "daily_usd", "spent"}`` of every workflow with a budget, spend on ``day``."""

    def hold_spend(self, *, workflow_id: str, day: str, amount: float, limit: float) -> bool:
        """Count ``amount`` against the day's spend unless the spend already reached ``limit``."""

    def release_spend(self, *, workflow_id: str, day: str, amount: float) -> None: ...

    def put_call_slots(self, *, rows: list[dict[str, Any]]) -> None:
        """Upsert per-process call statistics slots (``flowai.providers.monitor``)."""

    def call_slots(self, *, since: int, exclude_runner: str) -> list[dict[str, Any]]: ...

    def delete_call_slots(self, *, before: int) -> None: ...
