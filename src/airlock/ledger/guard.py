"""Wiring into the request path: record right before a call to a deployment abroad.

The router picks the deployment only at call time (priority, retries, fallback), so the
ledger sits at the one place that sees the real destination: each provider of a deployment
outside a ledger tenant's jurisdiction is wrapped in a :class:`LedgerGuard`. The gateway
declares what would cross with :func:`prepare_transfer` (a context variable, so concurrent
requests never see each other's data); the guard records it before the first byte leaves —
once per request and deployment (retries do not count again) — and refuses the call when the
ledger refuses. A call abroad without a declared transfer is refused (fail closed).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airlock.ledger.errors import LedgerRefusedError, LedgerUnavailableError
from airlock.ledger.service import Ledger

if TYPE_CHECKING:
    from airlock.config import Config, DeploymentConfig, TenantConfig
    from airlock.detectors.base import Finding
    from airlock.providers.base import ChatResult, Provider
    from airlock.trace import Trace

__all__ = ["LedgerGuard", "PendingTransfer", "guard_providers", "prepare_transfer"]


@dataclass
class PendingTransfer:
    ledger: Ledger
    trace: Trace
    tenant: TenantConfig
    texts: Sequence[tuple[str, str]]
    findings: Sequence[Finding]
    purpose: str | None
    recorded: dict[str, dict[str, Any]] = field(default_factory=dict)


_PENDING: contextvars.ContextVar[PendingTransfer | None] = contextvars.ContextVar("airlock_ledger", default=None)


def prepare_transfer(
    ledger: Ledger,
    trace: Trace,
    tenant: TenantConfig,
    texts: Sequence[tuple[str, str]],
    findings: Sequence[Finding],
    *,
    purpose: str | None = None,
) -> None:
    """Declare what this request would send (pass only findings whose values leave in clear)."""
    _PENDING.set(PendingTransfer(ledger, trace, tenant, texts, findings, purpose))


async def _before(deployment: DeploymentConfig) -> None:
    pending = _PENDING.get()
    if pending is None:
        raise LedgerUnavailableError(
            "A call to a deployment abroad had no ledger context; refused (fail closed).", code="ledger_unavailable"
        )
    if deployment.name in pending.recorded or not pending.ledger.applies(pending.tenant, deployment):
        return
    trace = pending.trace
    ledger = pending.ledger

    def record() -> dict[str, Any]:
        subjects = ledger.subjects(pending.tenant, pending.texts, pending.findings)
        outcome = ledger.record(
            tenant=pending.tenant, deployment=deployment, subjects=subjects, purpose=pending.purpose,
            decision_id=trace.decision_id, at=trace.started,
        )
        return outcome.to_audit()

    try:
        audit = await asyncio.to_thread(record)
    except LedgerRefusedError as exc:
        pending.recorded[deployment.name] = exc.outcome.to_audit()
        trace.rules.extend(exc.rules)
        _note(trace, pending)
        raise
    pending.recorded[deployment.name] = audit
    _note(trace, pending)


def _note(trace: Trace, pending: PendingTransfer) -> None:
    outcomes = list(pending.recorded.values())
    trace.extra["ledger"] = outcomes[0] if len(outcomes) == 1 else outcomes


class LedgerGuard:
    """A provider wrapper that records the transfer before delegating."""

    def __init__(self, inner: Provider, deployment: DeploymentConfig) -> None:
        self.inner = inner
        self.deployment = deployment
        self.name = inner.name

    def __getattr__(self, item: str) -> Any:  # warm_up and other optional hooks
        return getattr(self.inner, item)

    async def chat(self, body: dict[str, Any], *, request_id: str) -> ChatResult:
        await _before(self.deployment)
        return await self.inner.chat(body, request_id=request_id)

    async def chat_stream(self, body: dict[str, Any], *, request_id: str) -> AsyncIterator[dict[str, Any]]:
        await _before(self.deployment)
        inner = self.inner.chat_stream(body, request_id=request_id)
        try:
            async for chunk in inner:
                yield chunk
        finally:
            close = getattr(inner, "aclose", None)
            if close is not None:
                await close()

    async def embeddings(self, body: dict[str, Any], *, request_id: str) -> ChatResult:
        await _before(self.deployment)
        return await self.inner.embeddings(body, request_id=request_id)

    async def ready(self) -> bool:
        return await self.inner.ready()

    async def aclose(self) -> None:
        await self.inner.aclose()


def guard_providers(ledger: Ledger, config: Config, providers: Mapping[str, Provider]) -> dict[str, Provider]:
    """Wrap every provider whose deployment is abroad for at least one tenant."""
    out: dict[str, Provider] = dict(providers)
    for dep in config.deployments:
        if dep.name in out and any(ledger.applies(t, dep) for t in config.tenants):
            out[dep.name] = LedgerGuard(out[dep.name], dep)
    return out
