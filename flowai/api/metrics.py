"""``GET /metrics``: Prometheus text exposition (``prometheus-client``), on the parent app.

Nothing is counted here: a collector reads the numbers the platform already keeps when a
scrape comes (the router's ``CallStats``, the run manager's counters, the quotas in the
ledger, the active alerts), so the request path pays nothing for metrics. A registry per app,
no module globals. ``FLOWAI_METRICS_TOKEN``, when set, must be sent as ``Authorization:
Bearer <token>``.

    flowai_provider_calls_total{provider,task,outcome}       counter (outcome: ok or an error class)
    flowai_provider_call_duration_seconds{provider,task}     histogram
    flowai_provider_success_ratio{provider,window}           gauge (hour, day, week)
    flowai_provider_quota_used_ratio{provider,unit,period}   gauge (providers with a quota)
    flowai_provider_alerts_active                            gauge
    flowai_runs_finished_total{status}                       counter
    flowai_run_duration_seconds                              histogram
    flowai_runs_running / flowai_run_queue_depth             gauges
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowai.platform import Platform
from flowai.stats import Histogram


class PlatformCollector:
    def __init__(self, platform: Platform):
        self.platform = platform

    def collect(self) -> Iterator[Metric]:
        p = self.platform
        calls = CounterMetricFamily(
            "flowai_provider_calls", "Provider call attempts by outcome", labels=["provider", "task", "outcome"]
        )
        latency = HistogramMetricFamily(
            "flowai_provider_call_duration_seconds", "Provider call attempt latency", labels=["provider", "task"]
        )
        for (provider, task), tally in sorted(p.call_stats.totals().items()):
            for outcome, n in sorted(tally.outcomes.items()):
                calls.add_metric([provider, task, outcome], n)
            latency.add_metric([provider, task], tally.latency.cumulative(), tally.latency.total)
        yield calls
        yield latency

        ratio = GaugeMetricFamily(
            "flowai_provider_success_ratio", "Share of successful attempts per window", labels=["provider", "window"]
        )
        for window, providers in p.call_stats.windows().items():
            for provider, summary in providers.items():
                if summary["success_rate"] is not None:
                    ratio.add_metric([provider, window], summary["success_rate"])
        yield ratio

        quota = GaugeMetricFamily(
            "flowai_provider_quota_used_ratio",
            "Share of the quota used this period",
            labels=["provider", "unit", "period"],
        )
        report = p.alerts.report()
        for item in report["providers"]:
            if item["quota"] and item["share_used"] is not None:
                quota.add_metric([item["provider"], item["quota"]["unit"], item["quota"]["period"]], item["share_used"])
        yield quota
        yield GaugeMetricFamily(
            "flowai_provider_alerts_active", "Provider alerts active now", value=len(p.alerts.active())
        )

        runs = CounterMetricFamily("flowai_runs_finished", "Runs finished by status", labels=["status"])
        for status, n in sorted(p.runs.finished.items()):
            runs.add_metric([status], n)
        yield runs
        durations: Histogram = p.runs.durations
        yield HistogramMetricFamily(
            "flowai_run_duration_seconds",
            "Total time of finished runs",
            buckets=durations.cumulative(),
            sum_value=durations.total,
        )
        yield GaugeMetricFamily("flowai_runs_running", "Runs executing now", value=p.runs.running)
        yield GaugeMetricFamily(
            "flowai_run_queue_depth", "Background runs waiting for a slot", value=p.runs.queue_depth
        )


def metrics_route(platform: Platform, token: str | None = None) -> Route:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PlatformCollector(platform))

    async def metrics(request: Request) -> Response:  # on the event loop, beside the runs it reads
        if token:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return Response("metrics need the bearer token\n", status_code=401, media_type="text/plain")
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", metrics, methods=["GET"])
