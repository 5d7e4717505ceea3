"""The request path, framework-free: authenticate → validate → detect → decide → route →
upstream → output → audit.

The HTTP layer (:mod:`airlock.server`) reads bytes and headers, calls these methods and
renders what they return; every policy choice is made here or in :mod:`airlock.policy`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from airlock.audit import AuditWriter, CheckpointSigner
from airlock.config import Config, DeploymentConfig, TenantConfig
from airlock.detectors import ScanContext, Scanner, Stage, build_scanner
from airlock.detectors.base import Finding
from airlock.errors import (
    AirlockError,
    InvalidRequestError,
    ModelNotFoundError,
    PermissionDeniedError,
    PolicyBlockedError,
    RateLimitedError,
    ServiceUnavailableError,
    UpstreamError,
    UpstreamTimeoutError,
)
from airlock.keys import Principal, authenticate, bearer_token
from airlock.metrics import Metrics
from airlock.policy import AllowAll, Policy, PolicyInput
from airlock.providers import AiohttpClient, HttpClient, Provider, ProviderError, build_provider
from airlock.ratelimit import InProcessRateLimiter, LimitDecision, RateLimiter
from airlock.requests import extract_texts, validate_chat, validate_embeddings
from airlock.routing import NoEligibleDeployment, Router, UpstreamFailed
from airlock.sse import encode_done, encode_event
from airlock.stores.base import Store, StoreError
from airlock.trace import Trace

__all__ = ["ChatResponse", "Gateway", "StreamResponse", "UpstreamClientError"]

log = logging.getLogger("airlock.gateway")

_DEFAULT_COMPLETION_ESTIMATE = 256


class UpstreamClientError(AirlockError):
    """The upstream rejected the request itself (4xx): its error is passed to the client."""

    error_type = "invalid_request_error"
    default_code = "upstream_rejected"
    should_retry = False

    def __init__(self, status: int, upstream_body: dict[str, Any] | None) -> None:
        error = (upstream_body or {}).get("error") if isinstance(upstream_body, dict) else None
        message = "The upstream model rejected the request."
        code = None
        param = None
        if isinstance(error, dict):
            if isinstance(error.get("message"), str):
                message = error["message"][:1000]
            code = error.get("code") if isinstance(error.get("code"), str) else None
            param = error.get("param") if isinstance(error.get("param"), str) else None
        super().__init__(message, code=code, param=param)
        self.status = status  # type: ignore[misc]


@dataclass
class ChatResponse:
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class StreamResponse:
    chunks: AsyncIterator[bytes]
    headers: dict[str, str] = field(default_factory=dict)


def _estimate_tokens(body: Mapping[str, Any], request_bytes: int) -> int:
    completion = body.get("max_completion_tokens") or body.get("max_tokens") or _DEFAULT_COMPLETION_ESTIMATE
    n = body.get("n") or 1
    return request_bytes // 4 + int(completion) * int(n)


def _ratelimit_headers(decision: LimitDecision, tenant: TenantConfig) -> dict[str, str]:
    headers: dict[str, str] = {}
    if tenant.limits.rpm:
        headers["x-ratelimit-limit-requests"] = str(tenant.limits.rpm)
        if decision.remaining_requests is not None:
            headers["x-ratelimit-remaining-requests"] = str(decision.remaining_requests)
    if tenant.limits.tpm:
        headers["x-ratelimit-limit-tokens"] = str(tenant.limits.tpm)
        if decision.remaining_tokens is not None:
            headers["x-ratelimit-remaining-tokens"] = str(decision.remaining_tokens)
    return headers


def _choice_text(choice: Mapping[str, Any]) -> str | None:
    msg = choice.get("message")
    content = msg.get("content") if isinstance(msg, dict) else None
    return content if isinstance(content, str) else None


class Gateway:
    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        signer: CheckpointSigner | None = None,
        providers: Mapping[str, Provider] | None = None,
        http: HttpClient | None = None,
        scanner: Scanner | None = None,
        policy: Policy | None = None,
        limiter: RateLimiter | None = None,
        metrics: Metrics | None = None,
        data_dir: Path | None = None,
    ) -> None:
        self.config = config
        self.revision = config.revision
        self.store = store
        self.data_dir = data_dir
        self.http = http or AiohttpClient()
        self.providers: dict[str, Provider] = dict(
            providers or {d.name: build_provider(d, self.http) for d in config.deployments}
        )
        self.router = Router(config, self.providers)
        self.scanner: Scanner = scanner or build_scanner(config.detectors.enabled, config.detectors.settings)
        self.policy: Policy = policy or AllowAll()
        self.limiter: RateLimiter = limiter or InProcessRateLimiter()
        self.metrics = metrics or Metrics()
        self.audit = AuditWriter(
            store,
            signer,
            batch_max=config.audit.batch_max,
            checkpoint_every=config.audit.checkpoint_every,
        )
        self.tenants = {t.id: t for t in config.tenants}
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self.audit.start()
        for provider in self.providers.values():
            warm = getattr(provider, "warm_up", None)
            if warm is not None:
                self._spawn(warm())

    async def close(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for provider in self.providers.values():
            await provider.aclose()
        await self.http.aclose()
        await asyncio.to_thread(self.audit.stop)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ tracing
    def begin(self, route: str) -> Trace:
        return Trace(route=route, config_revision=self.revision)

    async def finish(self, trace: Trace) -> None:
        """Write the audit record (durable on return) and count the request."""
        if trace.finished:
            return
        trace.finished = True
        tenant = trace.tenant or "-"
        self.metrics.requests.labels(trace.route, str(trace.status), tenant).inc()
        total = trace.elapsed_ms() / 1000.0
        self.metrics.latency.labels(trace.route).observe(total)
        if trace.upstream_ms:
            self.metrics.overhead.labels(trace.route).observe(max(total - trace.upstream_ms / 1000.0, 0.0))
        for rule in trace.rules if trace.action == "block" else ():
            self.metrics.blocks.labels(rule, "prompt").inc()
        try:
            await self.audit.write(trace.to_pending())
        except StoreError:
            self.metrics.audit_failures.inc()
            log.error("audit record lost", extra={"decision_id": trace.decision_id})
            raise ServiceUnavailableError(
                "The audit log is unavailable; the request was refused (fail closed).", code="audit_unavailable"
            ) from None

    def finish_in_background(self, trace: Trace) -> None:
        """For paths that cannot await (client gone): write the record without blocking."""

        async def write() -> None:
            with contextlib.suppress(AirlockError):
                await self.finish(trace)

        self._spawn(write())

    # ------------------------------------------------------------------ authentication
    def authenticate(
        self, trace: Trace, authorization: str | None, api_key: str | None, *, scope: str = "inference"
    ) -> tuple[Principal, TenantConfig | None]:
        principal = authenticate(self.store, bearer_token(authorization, api_key), scope)  # type: ignore[arg-type]
        trace.tenant = principal.tenant
        trace.key_id = principal.key_id
        tenant = self.tenants.get(principal.tenant)
        if tenant is None and scope == "inference":
            raise PermissionDeniedError(
                "This key belongs to a tenant that is not configured.", code="tenant_not_configured"
            )
        return principal, tenant

    # ------------------------------------------------------------------ models
    def visible_models(self, tenant: TenantConfig) -> list[DeploymentConfig]:
        seen: dict[str, DeploymentConfig] = {}
        for d in self.config.deployments:
            if tenant.may_use(d) and d.model_id not in seen:
                seen[d.model_id] = d
        return list(seen.values())

    def model_object(self, d: DeploymentConfig) -> dict[str, Any]:
        return {
            "id": d.model_id,
            "object": "model",
            "created": 0,
            "owned_by": "airlock",
            "airlock": {
                "provider": d.provider,
                "jurisdiction": d.jurisdiction,
                "max_classification": d.max_classification,
            },
        }

    def _candidates(self, tenant: TenantConfig, model: str) -> tuple[DeploymentConfig, ...]:
        candidates = self.router.for_tenant(tenant, model)
        if not candidates:
            raise ModelNotFoundError(
                f"The model '{model[:200]}' does not exist or you do not have access to it.", param="model"
            )
        return candidates

    # ------------------------------------------------------------------ detection and policy
    def _scan_prompt(self, trace: Trace, tenant: TenantConfig, body: dict[str, Any]) -> list[Finding]:
        if self.scanner.empty:
            return []
        ctx = ScanContext(tenant=tenant.id)
        findings: list[Finding] = []
        for path, text in extract_texts(body):
            for f in self.scanner.scan(text, stage=Stage.PROMPT, context=ctx):
                findings.append(replace(f, path=path, stage=Stage.PROMPT))
        trace.findings.extend(findings)
        return findings

    def _scan_completion(self, trace: Trace, tenant: TenantConfig, texts: list[tuple[str, str]]) -> None:
        if self.scanner.empty:
            return
        ctx = ScanContext(tenant=tenant.id, deployment=trace.deployment)
        for path, text in texts:
            for f in self.scanner.scan(text, stage=Stage.COMPLETION, context=ctx):
                trace.findings.append(replace(f, path=path, stage=Stage.COMPLETION))

    def _decide(
        self, trace: Trace, tenant: TenantConfig, findings: list[Finding], candidates: tuple[DeploymentConfig, ...]
    ) -> tuple[DeploymentConfig, ...]:
        decision = self.policy.decide(
            PolicyInput(stage=Stage.PROMPT, tenant=tenant, findings=findings, deployments=candidates)
        )
        trace.policy_revision = decision.revision
        trace.action = decision.action
        trace.rules.extend(decision.rules)
        if decision.blocked:
            raise PolicyBlockedError(
                decision.message or "The request was blocked by policy.",
                rules=list(decision.rules),
                code=decision.code,
                status=decision.status,
            )
        if decision.deployments is not None:
            allowed = set(decision.deployments)
            candidates = tuple(d for d in candidates if d.name in allowed)
        return candidates

    # ------------------------------------------------------------------ chat completions
    async def chat(
        self, trace: Trace, tenant: TenantConfig, body: dict[str, Any]
    ) -> ChatResponse | StreamResponse:
        model = validate_chat(body)
        trace.model = model
        trace.messages = len(body["messages"])
        stream = bool(body.get("stream"))
        trace.stream = stream
        candidates = self._candidates(tenant, model)

        limit = self.limiter.acquire(
            tenant.id, tenant.limits.rpm, tenant.limits.tpm, _estimate_tokens(body, trace.request_bytes)
        )
        if not limit.allowed:
            retry = max(1, int(limit.retry_after + 0.999))
            raise RateLimitedError(
                f"Rate limit exceeded for tenant '{tenant.id}' ({limit.limit}); retry after {retry}s.",
                headers={"retry-after": str(retry), "retry-after-ms": str(int(limit.retry_after * 1000))},
            )
        estimated = _estimate_tokens(body, trace.request_bytes)
        headers = _ratelimit_headers(limit, tenant)

        findings = self._scan_prompt(trace, tenant, body)
        candidates = self._decide(trace, tenant, findings, candidates)
        if not candidates:
            raise PolicyBlockedError(
                "No deployment is eligible for this request under the policy.",
                rules=list(trace.rules),
                code="no_eligible_deployment",
            )

        if stream:
            return await self._start_stream(
                trace, tenant=tenant, body=body, candidates=candidates, headers=headers, estimated=estimated
            )

        t_up = time.perf_counter()
        try:
            dep, result = await self.router.chat(
                candidates, body, request_id=trace.decision_id, attempts=trace.attempts
            )
        except (NoEligibleDeployment, UpstreamFailed) as exc:
            raise self.upstream_error(exc) from None
        finally:
            trace.upstream_ms = (time.perf_counter() - t_up) * 1000.0
            self._count_attempts(trace)
        trace.deployment = dep.name
        trace.upstream_status = result.status
        out = result.body
        out["model"] = model
        choices = out.get("choices")
        texts: list[tuple[str, str]] = []
        if isinstance(choices, list):
            for i, choice in enumerate(choices):
                if isinstance(choice, dict):
                    trace.finish_reasons.append(str(choice.get("finish_reason")))
                    text = _choice_text(choice)
                    if text:
                        texts.append((f"choices[{i}].message.content", text))
        self._scan_completion(trace, tenant, texts)
        usage = out.get("usage")
        if isinstance(usage, dict):
            trace.usage = {k: int(v) for k, v in usage.items() if isinstance(v, int)}
            self._settle(tenant, trace, estimated)
        await self.finish(trace)
        return ChatResponse(out, headers)

    def _count_attempts(self, trace: Trace) -> None:
        for a in trace.attempts:
            if a.outcome not in ("ok", "breaker_open"):
                self.metrics.upstream_errors.labels(a.deployment, a.outcome).inc()
        if trace.upstream_ms and trace.attempts:
            self.metrics.upstream_latency.labels(trace.attempts[-1].deployment).observe(trace.upstream_ms / 1000.0)

    def _settle(self, tenant: TenantConfig, trace: Trace, estimated: int) -> None:
        if not trace.usage:
            return
        used = trace.usage.get("total_tokens", 0)
        self.limiter.settle(tenant.id, tenant.limits.tpm, used - estimated)
        self.metrics.tokens.labels(tenant.id, "prompt").inc(trace.usage.get("prompt_tokens", 0))
        self.metrics.tokens.labels(tenant.id, "completion").inc(trace.usage.get("completion_tokens", 0))

    # ------------------------------------------------------------------ streaming
    async def _start_stream(
        self,
        trace: Trace,
        *,
        tenant: TenantConfig,
        body: dict[str, Any],
        candidates: tuple[DeploymentConfig, ...],
        headers: dict[str, str],
        estimated: int,
    ) -> StreamResponse:
        client_opts = body.get("stream_options") if isinstance(body.get("stream_options"), dict) else {}
        include_usage = bool(client_opts.get("include_usage")) if client_opts else False
        upstream_body = dict(body)
        # meter tokens even when the client did not ask for usage; stripped again below
        upstream_body["stream_options"] = {**(client_opts or {}), "include_usage": True}
        t_up = time.perf_counter()
        try:
            dep, first, upstream = await self.router.open_stream(
                candidates, upstream_body, request_id=trace.decision_id, attempts=trace.attempts
            )
        except (NoEligibleDeployment, UpstreamFailed) as exc:
            raise self.upstream_error(exc) from None
        finally:
            trace.upstream_ms = (time.perf_counter() - t_up) * 1000.0
            self._count_attempts(trace)
        trace.deployment = dep.name
        trace.upstream_status = 200
        relay = self._relay(
            trace,
            tenant=tenant,
            dep=dep,
            first=first,
            upstream=upstream,
            include_usage=include_usage,
            estimated=estimated,
            t_up=t_up,
            prompt_chars=sum(len(str(m.get("content") or "")) for m in body["messages"]),
        )
        return StreamResponse(relay, headers)

    async def _relay(
        self,
        trace: Trace,
        *,
        tenant: TenantConfig,
        dep: DeploymentConfig,
        first: dict[str, Any],
        upstream: AsyncIterator[dict[str, Any]],
        include_usage: bool,
        estimated: int,
        t_up: float,
        prompt_chars: int,
    ) -> AsyncIterator[bytes]:
        model = trace.model or ""
        pieces: dict[int, list[str]] = {}
        last_id = str(first.get("id") or "")
        last_created = first.get("created") or int(time.time())
        completed = False
        deadline = t_up + dep.timeouts.total
        try:
            chunk: dict[str, Any] | None = first
            while chunk is not None:
                out = self._relay_chunk(trace, chunk, model, pieces, include_usage)
                if out is not None:
                    yield out
                remaining = deadline - time.perf_counter()
                try:
                    async with asyncio.timeout(min(dep.timeouts.first_byte, max(remaining, 0.001))):
                        chunk = await anext(upstream, None)
                except TimeoutError:
                    raise ProviderError("upstream stream stalled or exceeded its time limit", kind="timeout") from None
            trace.upstream_ms = (time.perf_counter() - t_up) * 1000.0
            self._scan_completion(
                trace, tenant, [(f"choices[{i}].delta.content", "".join(p)) for i, p in sorted(pieces.items())]
            )
            if trace.usage is None:
                # the upstream sent no usage (llama.cpp server, some proxies): estimate it, one
                # token per content delta and ~4 characters per prompt token, and say so
                deltas = sum(len(p) for p in pieces.values())
                prompt = prompt_chars // 4 + 4 * trace.messages
                trace.usage = {"prompt_tokens": prompt, "completion_tokens": deltas, "total_tokens": prompt + deltas}
                trace.extra["usage_estimated"] = True
                if include_usage:
                    yield encode_event({"id": last_id, "object": "chat.completion.chunk", "created": last_created,
                                        "model": model, "choices": [], "usage": trace.usage})
            self._settle(tenant, trace, estimated)
            completed = True
            try:
                await self.finish(trace)
            except ServiceUnavailableError as exc:
                yield encode_event(exc.body(trace.decision_id))
                return
            yield encode_done()
        except ProviderError as exc:
            trace.upstream_ms = (time.perf_counter() - t_up) * 1000.0
            trace.fail(502, "upstream_error_mid_stream")
            trace.extra["stream_error"] = exc.kind
            self.metrics.upstream_errors.labels(dep.name, exc.kind).inc()
            err = UpstreamError("The upstream model failed while streaming; the response is incomplete.",
                                code="upstream_error_mid_stream")
            completed = True
            with contextlib.suppress(ServiceUnavailableError):
                await self.finish(trace)
            yield encode_event(err.body(trace.decision_id))
        except (asyncio.CancelledError, GeneratorExit):
            if not completed:
                trace.fail(499, "client_disconnected", outcome="client_disconnected")
                self.finish_in_background(trace)
            raise
        finally:
            closer = getattr(upstream, "aclose", None)
            if closer is not None:
                self._spawn(_quiet(closer()))

    def _relay_chunk(
        self,
        trace: Trace,
        chunk: dict[str, Any],
        model: str,
        pieces: dict[int, list[str]],
        include_usage: bool,
    ) -> bytes | None:
        choices = chunk.get("choices")
        usage = chunk.get("usage")
        if isinstance(usage, dict) and usage:
            trace.usage = {k: int(v) for k, v in usage.items() if isinstance(v, int)}
        if isinstance(choices, list) and not choices and usage:
            return encode_event({**chunk, "model": model}) if include_usage else None
        if not chunk.get("id") and not chunk.get("model"):
            # Azure asynchronous-filter annotation chunk: pass through untouched
            return encode_event(chunk)
        if isinstance(choices, list):
            for choice in choices:
                if not isinstance(choice, dict):
                    continue
                delta = choice.get("delta")
                if isinstance(delta, dict) and isinstance(delta.get("content"), str) and delta["content"]:
                    if trace.ttft_ms is None:
                        trace.ttft_ms = trace.elapsed_ms()
                    pieces.setdefault(int(choice.get("index", 0)), []).append(delta["content"])
                if choice.get("finish_reason"):
                    trace.finish_reasons.append(str(choice["finish_reason"]))
        out = dict(chunk)
        out["model"] = model
        if not include_usage:
            out.pop("usage", None)
        return encode_event(out)

    # ------------------------------------------------------------------ embeddings
    async def embeddings(self, trace: Trace, tenant: TenantConfig, body: dict[str, Any]) -> ChatResponse:
        model = validate_embeddings(body)
        trace.model = model
        candidates = tuple(d for d in self._candidates(tenant, model) if d.embeddings)
        if not candidates:
            raise InvalidRequestError(
                f"The model '{model[:200]}' does not serve embeddings.", param="model", code="unsupported_model"
            )
        limit = self.limiter.acquire(tenant.id, tenant.limits.rpm, tenant.limits.tpm, trace.request_bytes // 4)
        if not limit.allowed:
            retry = max(1, int(limit.retry_after + 0.999))
            raise RateLimitedError(
                f"Rate limit exceeded for tenant '{tenant.id}' ({limit.limit}); retry after {retry}s.",
                headers={"retry-after": str(retry)},
            )
        if not self.scanner.empty:
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            ctx = ScanContext(tenant=tenant.id)
            findings = [
                replace(f, path=f"input[{i}]")
                for i, text in enumerate(inputs)
                if isinstance(text, str)
                for f in self.scanner.scan(text, stage=Stage.PROMPT, context=ctx)
            ]
            trace.findings.extend(findings)
            candidates = self._decide(trace, tenant, findings, candidates)
        t_up = time.perf_counter()
        try:
            dep, result = await self.router.embeddings(
                candidates, body, request_id=trace.decision_id, attempts=trace.attempts
            )
        except (NoEligibleDeployment, UpstreamFailed) as exc:
            raise self.upstream_error(exc) from None
        finally:
            trace.upstream_ms = (time.perf_counter() - t_up) * 1000.0
            self._count_attempts(trace)
        trace.deployment = dep.name
        out = result.body
        out["model"] = model
        usage = out.get("usage")
        if isinstance(usage, dict):
            trace.usage = {k: int(v) for k, v in usage.items() if isinstance(v, int)}
        await self.finish(trace)
        return ChatResponse(out, _ratelimit_headers(limit, tenant))

    # ------------------------------------------------------------------ upstream failure mapping
    @staticmethod
    def upstream_error(exc: NoEligibleDeployment | UpstreamFailed) -> AirlockError:
        if isinstance(exc, NoEligibleDeployment):
            return ServiceUnavailableError(
                "No deployment is available for this model right now (circuit breakers open).",
                code="no_deployment_available",
            )
        last = exc.last
        if exc.client_error and last is not None and last.status is not None:
            return UpstreamClientError(last.status, last.body)
        if last is not None and last.kind == "timeout":
            return UpstreamTimeoutError("The upstream model did not answer in time.")
        return UpstreamError("Every eligible deployment failed; see the decision id in the audit log.")


async def _quiet(coro: Any) -> None:
    # closing a finished upstream stream is best effort
    with contextlib.suppress(Exception):
        await coro
