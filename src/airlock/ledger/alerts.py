"""Alerts before a threshold is reached: audit events, Prometheus gauges, optional webhook.

An alert fires on the one transfer that moves a count across ``fraction × next threshold``
(default 80 % and 95 %), across a tier boundary, or into a violation (a tier the tenant has
not filed for). Because the counters come back exact from the store (``RETURNING``), exactly
one request crosses each line, on any number of replicas.

The webhook runs on its own thread with a bounded queue and bounded retries; the request path
only enqueues (never waits, never fails because of it). Payloads hold counts, tiers and rule
ids, never identifiers.
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from airlock.ledger.rules import Facts, Pack, TierResult

__all__ = ["Alert", "LedgerMetrics", "WebhookSender", "compute_alerts"]

log = logging.getLogger("airlock.ledger")


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str  # threshold | tier | violation
    tenant: str
    period: int
    pack: str
    #: persons | sensitive_persons (threshold alerts), else the measure that moved the tier
    measure: str | None
    count: int
    threshold: int | None
    fraction: float | None
    #: tier at the threshold (threshold alerts) or the tier now required
    tier: str
    rule: str
    #: crossing this threshold (or this tier) is a violation for the tenant's filing
    violation: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compute_alerts(
    *,
    tenant: str,
    period: int,
    pack: Pack,
    before: Facts,
    after: Facts,
    tier_before: TierResult,
    tier_after: TierResult,
    covered_rank: int,
    fractions: Sequence[float],
) -> list[Alert]:
    out: list[Alert] = []
    for t in pack.next_thresholds(before, tier_before.rank):
        prev = before.persons if t.measure == "persons" else before.sensitive_persons
        now = after.persons if t.measure == "persons" else after.sensitive_persons
        for f in fractions:
            line = math.ceil(f * t.value)
            if line >= t.value or not prev < line <= now:
                continue
            label = "persons" if t.measure == "persons" else "persons with sensitive PI"
            out.append(
                Alert(
                    "threshold", tenant, period, pack.pack, t.measure, now, t.value, f, t.tier, t.rule,
                    t.rank > covered_rank,
                    f"tenant {tenant!r} reached {now:,} {label} in {period} ({f:.0%} of the {t.value:,} "
                    f"threshold of {t.rule}, tier {t.tier})",
                )
            )
    if tier_after.rank > tier_before.rank:
        out.append(
            Alert(
                "tier", tenant, period, pack.pack, None, after.persons, None, None, tier_after.tier, tier_after.rule,
                tier_after.rank > covered_rank,
                f"tenant {tenant!r} now requires {tier_after.tier} under {tier_after.rule} "
                f"({after.persons:,} persons, {after.sensitive_persons:,} sensitive in {period})",
            )
        )
    if tier_after.rank > covered_rank >= tier_before.rank:
        out.append(
            Alert(
                "violation", tenant, period, pack.pack, None, after.persons, None, None, tier_after.tier,
                tier_after.rule, True,
                f"tenant {tenant!r} transferred personal information beyond its filed mechanism: "
                f"{tier_after.tier} is required under {tier_after.rule}",
            )
        )
    return out


class LedgerMetrics:
    """Gauges per tenant and tier; registered on the gateway's registry (or any given one)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.persons = Gauge(
            "airlock_ledger_persons", "Persons whose PI crossed in the current window", ["tenant", "measure"],
            registry=r,
        )
        self.threshold_ratio = Gauge(
            "airlock_ledger_threshold_ratio",
            "Count divided by each tier's threshold (1.0 = reached)",
            ["tenant", "tier", "measure"],
            registry=r,
        )
        self.tier = Gauge("airlock_ledger_tier_rank", "Rank of the tier required (0 = exempt)", ["tenant"], registry=r)
        self.violation = Gauge(
            "airlock_ledger_violation", "1 when the required tier exceeds the filed mechanism", ["tenant"], registry=r
        )
        self.refusals = Counter(
            "airlock_ledger_refusals", "Transfers refused in enforce mode", ["tenant", "rule"], registry=r
        )
        self.alerts = Counter("airlock_ledger_alerts", "Ledger alerts raised", ["tenant", "kind"], registry=r)
        self.record_seconds = Histogram(
            "airlock_ledger_record_seconds",
            "Time to record one transfer (including the commit)",
            buckets=(0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
            registry=r,
        )

    def observe(self, tenant: str, pack: Pack, facts: Facts, tier: TierResult, violation: bool) -> None:
        self.persons.labels(tenant, "persons").set(facts.persons)
        self.persons.labels(tenant, "sensitive_persons").set(facts.sensitive_persons)
        for t in pack.thresholds:
            count = facts.persons if t.measure == "persons" else facts.sensitive_persons
            self.threshold_ratio.labels(tenant, t.tier, t.measure).set(count / t.value)
        self.tier.labels(tenant).set(tier.rank)
        self.violation.labels(tenant).set(1 if violation else 0)


class WebhookSender:
    """Posts alert JSON to configured URLs off the request path, with bounded retries."""

    def __init__(
        self,
        *,
        timeout: float = 5.0,
        max_attempts: int = 3,
        backoff: float = 1.0,
        queue_max: int = 1000,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = backoff
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue(maxsize=queue_max)
        self._client = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.sent = 0
        self.failed = 0
        self.dropped = 0

    def send(self, url: str, payload: dict[str, Any]) -> bool:
        """Enqueue; False (and logged) when the queue is full. Never blocks."""
        self._start()
        try:
            self._queue.put_nowait((url, payload))
        except queue.Full:
            self.dropped += 1
            log.warning("ledger webhook queue full; alert dropped")
            return False
        return True

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="airlock-ledger-webhook", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._deliver(*item)
            finally:
                self._queue.task_done()

    def _deliver(self, url: str, payload: dict[str, Any]) -> None:
        wait = self.backoff
        for attempt in range(1, self.max_attempts + 1):
            try:
                resp = self._client.post(url, json=payload)
                if resp.status_code < 300:
                    self.sent += 1
                    return
                log.warning("ledger webhook answered %d (attempt %d)", resp.status_code, attempt)
            except httpx.HTTPError as exc:
                log.warning("ledger webhook failed: %s (attempt %d)", type(exc).__name__, attempt)
            if attempt < self.max_attempts:
                time.sleep(wait)
                wait *= 2
        self.failed += 1

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until the queue is drained (tests, shutdown); True if it drained in time."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self.flush(timeout)
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(None)
            thread.join(timeout)
        self._client.close()
