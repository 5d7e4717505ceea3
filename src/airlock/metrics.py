"""Prometheus metrics for ``/metrics``.

Each gateway owns its own registry (tests and several apps in one process never collide).
Labels are bounded: routes are the fixed route templates, tenants come from configuration,
rules from the loaded policy.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
)
_OVERHEAD_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "airlock_requests", "Requests by route, status and tenant", ["route", "status", "tenant"], registry=r
        )
        self.latency = Histogram(
            "airlock_request_seconds", "Total request latency", ["route"], buckets=_LATENCY_BUCKETS, registry=r
        )
        self.upstream_latency = Histogram(
            "airlock_upstream_seconds", "Upstream latency", ["deployment"], buckets=_LATENCY_BUCKETS, registry=r
        )
        self.overhead = Histogram(
            "airlock_overhead_seconds",
            "Gateway overhead (total minus upstream time)",
            ["route"],
            buckets=_OVERHEAD_BUCKETS,
            registry=r,
        )
        self.upstream_errors = Counter(
            "airlock_upstream_errors", "Failed upstream attempts", ["deployment", "kind"], registry=r
        )
        self.blocks = Counter("airlock_blocks", "Requests blocked, by rule", ["rule", "stage"], registry=r)
        self.alerts = Counter("airlock_alerts", "Policy alerts (spillage, red_line ...)", ["alert", "tenant"],
                              registry=r)
        self.tokens = Counter("airlock_tokens", "Tokens by tenant and kind", ["tenant", "kind"], registry=r)
        self.breaker_open = Gauge(
            "airlock_breaker_open", "1 when a deployment's circuit breaker is open", ["deployment"], registry=r
        )
        self.audit_failures = Counter("airlock_audit_failures", "Audit records that could not be written", registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
