"""Routing: which deployments may serve a request, in what order, and how failures move on.

Candidates for a model are the deployments that serve it (by ``public_name`` or ``name``),
ordered by ``priority``, followed by each one's configured ``fallbacks``. Every deployment has
a circuit breaker; a failing call is retried on the same deployment (exponential backoff,
honouring ``Retry-After`` up to ``retry_after_max``) and then falls back to the next
candidate. Upstream 4xx errors other than 401/403/404/408/409/429 are the client's fault and
are returned to it without trying elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airlock.config import Config, DeploymentConfig, TenantConfig
from airlock.providers.base import ChatResult, Provider, ProviderError

__all__ = ["Attempt", "Body", "CircuitBreaker", "NoEligibleDeployment", "Router", "UpstreamFailed"]

#: the request body, or a function that prepares it for one deployment (transformations and
#: cross-border recording happen there, right before that deployment is called)
Prepare = Callable[[DeploymentConfig], Awaitable[dict[str, Any]]]
Body = dict[str, Any] | Prepare


def _preparer(body: Body) -> Prepare:
    if callable(body):
        return body
    fixed = body

    async def same(dep: DeploymentConfig) -> dict[str, Any]:
        return fixed

    return same


class NoEligibleDeployment(Exception):
    """Every candidate is unavailable (breakers open) before any call was made."""


class UpstreamFailed(Exception):
    """Every candidate failed; ``last`` is the final provider error."""

    def __init__(self, last: ProviderError | None, *, client_error: bool = False) -> None:
        super().__init__(last.message if last else "no deployment could be called")
        self.last = last
        #: the upstream rejected the request itself (passed through as 4xx)
        self.client_error = client_error


@dataclass(frozen=True, slots=True)
class Attempt:
    deployment: str
    outcome: str  # ok | connect | timeout | http | auth | not_found | protocol | model | breaker_open
    status: int | None
    ms: float

    def to_dict(self) -> dict[str, Any]:
        return {"deployment": self.deployment, "outcome": self.outcome, "status": self.status, "ms": round(self.ms, 2)}


class CircuitBreaker:
    """Closed → open after ``threshold`` consecutive failures → half-open after ``reset_after``
    seconds (one trial request) → closed on success, open again on failure."""

    def __init__(self, threshold: int, reset_after: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.reset_after = reset_after
        self._clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        if self._clock() - self.opened_at >= self.reset_after:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        return False

    def release(self) -> None:
        """The trial request never reached the upstream (refused before sending)."""
        self._trial_in_flight = False

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self._trial_in_flight = False

    def failure(self) -> None:
        self.failures += 1
        if self._trial_in_flight or self.failures >= self.threshold:
            self.opened_at = self._clock()
        self._trial_in_flight = False


def _client_error(exc: ProviderError) -> bool:
    """The upstream refused the request itself: trying another deployment will not help."""
    return (
        not exc.retryable
        and exc.status is not None
        and 400 <= exc.status < 500
        and exc.kind not in ("auth", "not_found")
    )


class Router:
    def __init__(
        self,
        config: Config,
        providers: Mapping[str, Provider],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.providers = providers
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self.deployments = {d.name: d for d in config.deployments}
        self.breakers = {
            d.name: CircuitBreaker(d.breaker.failure_threshold, d.breaker.reset_after, clock)
            for d in config.deployments
        }
        pools: dict[str, list[DeploymentConfig]] = {}
        for d in config.deployments:
            pools.setdefault(d.model_id, []).append(d)
        self._pools = {k: sorted(v, key=lambda d: d.priority) for k, v in pools.items()}
        self._candidates: dict[str, tuple[DeploymentConfig, ...]] = {}

    # ------------------------------------------------------------------ selection
    def models(self) -> list[str]:
        return list(self._pools)

    def candidates(self, model: str) -> tuple[DeploymentConfig, ...]:
        """Deployments that may serve ``model``, in the order they are tried."""
        cached = self._candidates.get(model)
        if cached is not None:
            return cached
        pool = self._pools.get(model)
        if pool is None and model in self.deployments:
            pool = [self.deployments[model]]
        out: list[DeploymentConfig] = []
        seen: set[str] = set()
        queue = list(pool or [])
        while queue:
            d = queue.pop(0)
            if d.name in seen:
                continue
            seen.add(d.name)
            out.append(d)
            for fb in d.fallbacks:
                target = self.deployments[fb]
                queue.extend(self._pools.get(target.model_id, [target]) if target.model_id != d.model_id else [target])
        result = tuple(out)
        self._candidates[model] = result
        return result

    def for_tenant(self, tenant: TenantConfig, model: str) -> tuple[DeploymentConfig, ...]:
        return tuple(d for d in self.candidates(model) if tenant.may_use(d))

    # ------------------------------------------------------------------ calling
    def _backoff(self, dep: DeploymentConfig, attempt: int, exc: ProviderError) -> float | None:
        """Seconds to wait before retrying on ``dep``, or None to move to the next deployment."""
        r = dep.retries
        if exc.retry_after is not None:
            wait = float(exc.retry_after)
            return wait if wait <= r.retry_after_max else None
        base = min(r.backoff_max, r.backoff_initial * (2.0**attempt))
        return base * (0.5 + self._rng.random() / 2)

    async def _run(
        self,
        candidates: Sequence[DeploymentConfig],
        attempts: list[Attempt],
        call: Callable[[Provider, DeploymentConfig], Awaitable[Any]],
    ) -> tuple[DeploymentConfig, Any]:
        last: ProviderError | None = None
        called = False
        for dep in candidates:
            breaker = self.breakers[dep.name]
            provider = self.providers[dep.name]
            for attempt in range(dep.retries.max_attempts):
                if not breaker.allow():
                    attempts.append(Attempt(dep.name, "breaker_open", None, 0.0))
                    break
                called = True
                t0 = time.perf_counter()
                try:
                    result = await call(provider, dep)
                except ProviderError as exc:
                    attempts.append(Attempt(dep.name, exc.kind, exc.status, (time.perf_counter() - t0) * 1000))
                    last = exc
                    if _client_error(exc):
                        breaker.success()  # the upstream is healthy; the request was bad
                        raise UpstreamFailed(exc, client_error=True) from None
                    breaker.failure()
                    if not exc.retryable or attempt + 1 >= dep.retries.max_attempts:
                        break
                    wait = self._backoff(dep, attempt, exc)
                    if wait is None:
                        break
                    await self._sleep(wait)
                    continue
                except BaseException:
                    breaker.release()
                    raise
                attempts.append(Attempt(dep.name, "ok", 200, (time.perf_counter() - t0) * 1000))
                breaker.success()
                return dep, result
        if not called:
            raise NoEligibleDeployment("every eligible deployment is unavailable (circuit breaker open)")
        raise UpstreamFailed(last)

    async def _unary(
        self,
        operation: str,
        candidates: Sequence[DeploymentConfig],
        body: Body,
        *,
        request_id: str,
        attempts: list[Attempt],
    ) -> tuple[DeploymentConfig, ChatResult]:
        prepare = _preparer(body)

        async def call(provider: Provider, dep: DeploymentConfig) -> ChatResult:
            prepared = await prepare(dep)
            send = provider.chat if operation == "chat" else provider.embeddings
            try:
                async with asyncio.timeout(dep.timeouts.total):
                    return await send(prepared, request_id=request_id)
            except TimeoutError:
                raise ProviderError(
                    f"upstream call exceeded {dep.timeouts.total:g}s", kind="timeout", retryable=True
                ) from None

        dep, result = await self._run(candidates, attempts, call)
        return dep, result

    async def chat(
        self, candidates: Sequence[DeploymentConfig], body: Body, *, request_id: str, attempts: list[Attempt]
    ) -> tuple[DeploymentConfig, ChatResult]:
        return await self._unary("chat", candidates, body, request_id=request_id, attempts=attempts)

    async def embeddings(
        self, candidates: Sequence[DeploymentConfig], body: Body, *, request_id: str, attempts: list[Attempt]
    ) -> tuple[DeploymentConfig, ChatResult]:
        return await self._unary("embeddings", candidates, body, request_id=request_id, attempts=attempts)

    async def open_stream(
        self, candidates: Sequence[DeploymentConfig], body: Body, *, request_id: str, attempts: list[Attempt]
    ) -> tuple[DeploymentConfig, dict[str, Any], AsyncIterator[dict[str, Any]]]:
        """Start a stream on the first deployment that produces a first chunk.

        Retries and fallback happen only here, before anything reached the client.
        """

        Opened = tuple[dict[str, Any], AsyncIterator[dict[str, Any]]]

        prepare = _preparer(body)

        async def call(provider: Provider, dep: DeploymentConfig) -> Opened:
            stream = provider.chat_stream(await prepare(dep), request_id=request_id)
            try:
                async with asyncio.timeout(dep.timeouts.first_byte):
                    first = await anext(stream)
            except TimeoutError:
                await _aclose(stream)
                raise ProviderError(
                    f"upstream sent nothing within {dep.timeouts.first_byte:g}s", kind="timeout", retryable=True
                ) from None
            except StopAsyncIteration:
                raise ProviderError("upstream stream was empty", kind="protocol", retryable=True) from None
            except BaseException:
                await _aclose(stream)
                raise
            return first, stream

        dep, (first, stream) = await self._run(candidates, attempts, call)
        return dep, first, stream


async def _aclose(stream: AsyncIterator[dict[str, Any]]) -> None:
    close = getattr(stream, "aclose", None)
    if close is not None:
        # best-effort cleanup of a failed upstream stream
        with contextlib.suppress(Exception):
            await close()
