"""Per-tenant request and token limits (RPM / TPM), in process (see ratelimit_redis for replicas).

Token buckets refilled continuously: a tenant with ``rpm: 600`` may burst 600 requests and
then gets 10 per second. Tokens are charged up front from an estimate of the prompt and the
requested completion length, then settled with the real usage when the response is known.
A refusal names the limit and carries the seconds until the request would fit
(``Retry-After``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["InProcessRateLimiter", "LimitDecision", "RateLimiter"]


@dataclass(frozen=True, slots=True)
class LimitDecision:
    allowed: bool
    limit: str | None = None  # "rpm" | "tpm" when refused
    retry_after: float = 0.0
    remaining_requests: int | None = None
    remaining_tokens: int | None = None


class RateLimiter(Protocol):
    async def acquire(self, tenant: str, rpm: int | None, tpm: int | None, tokens: int) -> LimitDecision: ...

    async def settle(self, tenant: str, tpm: int | None, delta_tokens: int) -> None:
        """Correct the token charge once real usage is known (negative = refund)."""
        ...

    async def aclose(self) -> None: ...


class _Bucket:
    __slots__ = ("capacity", "level", "rate", "stamp")

    def __init__(self, capacity: float, now: float) -> None:
        self.capacity = capacity
        self.level = capacity
        self.rate = capacity / 60.0
        self.stamp = now

    def refill(self, now: float) -> None:
        if now > self.stamp:
            self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait_for(self, amount: float) -> float:
        missing = amount - self.level
        return 0.0 if missing <= 0 else missing / self.rate


class InProcessRateLimiter:
    """Exact within one process; use the Redis limiter when several replicas share a tenant."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str, int], _Bucket] = {}
        self._lock = threading.Lock()

    def _bucket(self, tenant: str, kind: str, capacity: int, now: float) -> _Bucket:
        key = (tenant, kind, capacity)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(capacity), now)
        else:
            bucket.refill(now)
        return bucket

    async def acquire(self, tenant: str, rpm: int | None, tpm: int | None, tokens: int) -> LimitDecision:
        return self.take(tenant, rpm, tpm, tokens)

    def take(self, tenant: str, rpm: int | None, tpm: int | None, tokens: int) -> LimitDecision:
        if rpm is None and tpm is None:
            return LimitDecision(True)
        now = self._clock()
        with self._lock:
            req = self._bucket(tenant, "rpm", rpm, now) if rpm else None
            tok = self._bucket(tenant, "tpm", tpm, now) if tpm else None
            if req is not None and req.level < 1.0:
                return LimitDecision(False, "rpm", max(req.wait_for(1.0), 0.001))
            if tok is not None:
                # a single request larger than the whole budget can never fit: charge what fits
                need = float(min(tokens, tok.capacity))
                if tok.level < need:
                    return LimitDecision(False, "tpm", max(tok.wait_for(need), 0.001))
                tok.level -= need
            if req is not None:
                req.level -= 1.0
            return LimitDecision(
                True,
                remaining_requests=math.floor(req.level) if req else None,
                remaining_tokens=math.floor(tok.level) if tok else None,
            )

    async def settle(self, tenant: str, tpm: int | None, delta_tokens: int) -> None:
        if not tpm or delta_tokens == 0:
            return
        with self._lock:
            tok = self._bucket(tenant, "tpm", tpm, self._clock())
            tok.level = min(tok.capacity, tok.level - delta_tokens)

    async def aclose(self) -> None:
        return None
