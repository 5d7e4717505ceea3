"""The request path, framework-free: authenticate → validate → detect → decide → route →
upstream → output → audit.

The HTTP layer (:mod:`airlock.server`) reads bytes and headers, calls these methods and
renders what they return; every policy choice is made here or in :mod:`airlock.policy`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from airlock.annotations import airlock_block, content_filter_results, prompt_filter_results
from airlock.audit import AuditWriter, CheckpointSigner
from airlock.config import Config, DeploymentConfig, TenantConfig
from airlock.detectors import ScanContext, Scanner, Stage, build_scanner
from airlock.detectors.base import Finding
from airlock.errors import (
    AirlockError,
    ConfigError,
    InvalidRequestError,
    ModelNotFoundError,
    PermissionDeniedError,
    PolicyBlockedError,
    RateLimitedError,
    ServiceUnavailableError,
    UpstreamError,
    UpstreamTimeoutError,
)
from airlock.exchange import CrossBorderLedger, Exchange
from airlock.guard import GuardCascade, build_guard
from airlock.keys import Principal, authenticate, bearer_token
from airlock.labels import AIGC_FIELD, AIGC_HEADER, aigc_metadata, apply_explicit, header_value
from airlock.ledger.service import Ledger
from airlock.metrics import Metrics
from airlock.policy import Decision, Policy, PolicyInput
from airlock.policy.engine import PolicyEngine
from airlock.policy.lattice import UnknownLevel
from airlock.policy.rules import AigcLabelSettings
from airlock.providers import AiohttpClient, HttpClient, Provider, build_provider
from airlock.ratelimit import InProcessRateLimiter, LimitDecision, RateLimiter
from airlock.relay import StreamRelay
from airlock.requests import extract_texts, validate_chat, validate_embeddings
from airlock.routing import NoEligibleDeployment, Router, UpstreamFailed
from airlock.stores.base import Store, StoreError
from airlock.trace import Trace
from airlock.transform import Action, PseudonymMap, Restorer, TransformError, transform, with_texts
from airlock.vault import CONVERSATION_HEADER, Vault, VaultKeyError, scope_for

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


def _role_of(path: str, roles: Sequence[str]) -> str | None:
    if path.startswith("messages["):
        try:
            index = int(path[len("messages["):path.index("]")])
        except ValueError:
            return None
        return roles[index] if 0 <= index < len(roles) else None
    return None


def _choice_text(choice: Mapping[str, Any]) -> str | None:
    msg = choice.get("message")
    content = msg.get("content") if isinstance(msg, dict) else None
    return content if isinstance(content, str) else None


def _limiter(config: Config) -> RateLimiter:
    settings = config.ratelimit
    if settings.backend == "memory":
        return InProcessRateLimiter()
    url = os.environ.get(settings.redis_url_env)
    if not url:
        raise ConfigError(f"ratelimit.backend is redis but {settings.redis_url_env} is not set")
    from airlock.ratelimit_redis import RedisRateLimiter

    return RedisRateLimiter(url, prefix=settings.key_prefix)


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
        vault: Vault | None = None,
        guard: GuardCascade | None = None,
        ledger: CrossBorderLedger | None = None,
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
        self._engine: PolicyEngine | None = None
        if policy is None:
            self._engine = PolicyEngine(config.policy, config, config.source_dir)
            policy = self._engine
        elif isinstance(policy, PolicyEngine):
            self._engine = policy
        self.policy: Policy = policy
        #: opened lazily: no key or database access until a request needs a pseudonym
        self.vault = vault or Vault.open(config.vault, config.store.url, data_dir or Path.cwd())
        self.guard = guard if guard is not None else build_guard(config.detectors.settings)
        self.ledger = ledger
        self.limiter: RateLimiter = limiter or _limiter(config)
        self.metrics = metrics or Metrics()
        self.audit = AuditWriter(
            store,
            signer,
            batch_max=config.audit.batch_max,
            checkpoint_every=config.audit.checkpoint_every,
        )
        if self.ledger is None:  # issue 6: the configured ledger (None unless ledger.enabled)
            self.ledger = Ledger.from_config(
                config, data_dir=data_dir, metrics=self.metrics, audit=self.audit, store_url=store.url)
        self.tenants = {t.id: t for t in config.tenants}
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self.audit.start()
        for provider in self.providers.values():
            warm = getattr(provider, "warm_up", None)
            if warm is not None:
                self._spawn(warm())
        prepare = getattr(self.scanner, "prepare", None)
        if prepare is not None and not self.scanner.empty:
            # compile every tenant's and deployment's dictionaries now, not on a first request
            contexts = [ScanContext()] + [ScanContext(tenant=t) for t in self.tenants] + [
                ScanContext(tenant=t, deployment=d.name) for t in self.tenants for d in self.config.deployments
            ]
            await asyncio.to_thread(prepare, contexts)
            # warm the detectors once so lazily built tables are ready
            await asyncio.to_thread(self.scanner.scan, "warm up 138 0013 8000", stage=Stage.PROMPT)
        gc.collect()
        gc.freeze()  # long-lived start-up objects leave the GC's generations: steadier p99

    async def close(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for provider in self.providers.values():
            await provider.aclose()
        await self.http.aclose()
        await self.limiter.aclose()
        if self.guard is not None:
            await self.guard.aclose()
        if isinstance(self.ledger, Ledger):
            self.ledger.close()
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

    @contextlib.asynccontextmanager
    async def _upstream(self, trace: Trace) -> AsyncIterator[float]:
        """Time the upstream part of a request and map routing failures to client errors."""
        t_up = time.perf_counter()
        try:
            yield t_up
        except (NoEligibleDeployment, UpstreamFailed) as exc:
            raise self.upstream_error(exc) from None
        finally:
            trace.upstream_ms = (time.perf_counter() - t_up) * 1000.0
            self._count_attempts(trace)

    async def _acquire(self, tenant: TenantConfig, tokens: int) -> LimitDecision:
        limit = await self.limiter.acquire(tenant.id, tenant.limits.rpm, tenant.limits.tpm, tokens)
        if not limit.allowed:
            retry = max(1, int(limit.retry_after + 0.999))
            raise RateLimitedError(
                f"Rate limit exceeded for tenant '{tenant.id}' ({limit.limit}); retry after {retry}s.",
                headers={"retry-after": str(retry), "retry-after-ms": str(int(limit.retry_after * 1000))},
            )
        return limit

    @staticmethod
    def _purpose(trace: Trace, tenant: TenantConfig, headers: Mapping[str, str]) -> str | None:
        """The declared x-airlock-purpose, validated against the tenant's purposes and recorded."""
        purpose = headers.get("x-airlock-purpose") or None
        if purpose is not None:
            trace.purpose = purpose[:64]
            if purpose not in tenant.purposes:
                allowed = ", ".join(tenant.purposes) or "none"
                raise PermissionDeniedError(
                    f"Purpose '{purpose[:64]}' is not allowed for this tenant (allowed: {allowed}).",
                    code="purpose_not_allowed", param="x-airlock-purpose",
                )
        return purpose

    # ------------------------------------------------------------------ detection and policy
    def _scan(
        self, texts: Sequence[tuple[str, str]], stage: Stage, ctx: ScanContext
    ) -> list[Finding]:
        if self.scanner.empty:
            return []
        findings: list[Finding] = []
        for path, text in texts:
            for f in self.scanner.scan(text, stage=stage, context=ctx):
                findings.append(replace(f, path=path, stage=stage))
        return findings

    async def _scan_guarded(
        self, trace: Trace, texts: Sequence[tuple[str, str]], stage: Stage, ctx: ScanContext,
        *, roles: Sequence[str] = (), prompt: str | None = None,
    ) -> list[Finding]:
        """The fast tiers, then the guard model for texts whose scores were uncertain."""
        findings = self._scan(texts, stage, ctx)
        guard = self.guard
        if guard is None or (not findings and guard.settings.escalate != "always"):
            return findings
        by_path: dict[str, list[Finding]] = {}
        for f in findings:
            by_path.setdefault(f.path, []).append(f)
        documents = [t for p, t in texts if _role_of(p, roles) in ("tool", "function")]
        out: list[Finding] = []
        for path, text in texts:
            mine = by_path.get(path, [])
            if not guard.needs_guard(mine, stage):
                out.extend(mine)
                continue
            result = await guard.escalate(text, mine, stage=stage, context=ctx, prompt=prompt,
                                          documents=[d for d in documents if d is not text])
            trace.extra.setdefault("guard", []).append({"path": path, **result.audit()})
            if result.refuse:
                trace.findings.extend(replace(f, path=path) for f in result.findings)
                raise ServiceUnavailableError(
                    "The guard model did not answer and the policy fails closed; the request was refused.",
                    code="guard_unavailable",
                )
            out.extend(replace(f, path=path, stage=stage) for f in result.findings)
        return out

    def _note_decision(self, trace: Trace, decision: Decision, stage: Stage) -> None:
        trace.policy_revision = decision.revision
        trace.rules.extend(r for r in decision.rules if r not in trace.rules)
        if decision.shadow_rules:
            shadow = trace.extra.setdefault("shadow_rules", [])
            shadow.extend(r for r in decision.shadow_rules if r not in shadow)
        if decision.level and stage == Stage.PROMPT:
            trace.classification = decision.level
        for alert in decision.alerts:
            alerts = trace.extra.setdefault("alerts", [])
            if alert not in alerts:
                alerts.append(alert)
            self.metrics.alerts.labels(alert, trace.tenant or "-").inc()
            log.warning("policy alert", extra={"alert": alert, "decision_id": trace.decision_id,
                                               "tenant": trace.tenant, "stage": str(stage)})
        if decision.blocked:
            trace.action = "block"
            for rule in decision.rules:
                self.metrics.blocks.labels(rule, str(stage)).inc()

    def _refusal(self, ex: Exchange, decision: Decision) -> PolicyBlockedError:
        acted = {i for h in decision.hits if h.action in ("block", "restrict_route") and not h.shadow
                 for i in h.findings}
        code = decision.code or "content_filter"
        extra: dict[str, Any] = {
            "innererror": {
                "code": "ResponsibleAIPolicyViolation" if code == "content_filter" else "AirlockPolicyViolation",
                "content_filter_results": content_filter_results(ex.findings, filtered=acted, roles=ex.roles),
            },
            "airlock": airlock_block(ex.trace.decision_id, decision.rules, ex.findings, action="block",
                                     policy_revision=decision.revision,
                                     extra={"level": decision.level} if decision.level else None),
        }
        return PolicyBlockedError(
            decision.message or "The request was blocked by policy.",
            rules=list(decision.rules), code=code, status=decision.status, extra=extra,
        )

    def _aigc_settings(self, tenant: TenantConfig, label_rule: bool) -> AigcLabelSettings | None:
        if tenant.aigc is not None:
            return tenant.aigc
        return self.config.policy.aigc if label_rule else None

    async def _prompt_phase(
        self,
        trace: Trace,
        *,
        tenant: TenantConfig,
        body: dict[str, Any],
        model: str,
        candidates: tuple[DeploymentConfig, ...],
        headers: Mapping[str, str],
    ) -> tuple[Exchange, tuple[DeploymentConfig, ...]]:
        purpose = self._purpose(trace, tenant, headers)
        classification = headers.get("x-airlock-classification") or None
        if classification is not None and self._engine is not None:
            try:
                self._engine.level(classification)
            except UnknownLevel as exc:
                raise InvalidRequestError(
                    f"Unknown classification in x-airlock-classification; accepted: {', '.join(exc.accepted)}.",
                    code="invalid_classification", param="x-airlock-classification",
                ) from None
        texts = extract_texts(body) if not self.scanner.empty else []
        ctx = ScanContext(tenant=tenant.id)
        roles = [str(m.get("role")) for m in body["messages"]]
        findings = await self._scan_guarded(trace, texts, Stage.PROMPT, ctx, roles=roles)
        trace.findings.extend(findings)
        decision = self.policy.decide(PolicyInput(
            stage=Stage.PROMPT, tenant=tenant, findings=findings, deployments=candidates,
            purpose=purpose, classification=classification,
        ))
        self._note_decision(trace, decision, Stage.PROMPT)
        label_decision = self.policy.decide(PolicyInput(
            stage=Stage.COMPLETION, tenant=tenant, findings=(), deployments=candidates[:1], purpose=purpose,
        )) if self._engine is not None and self._engine.labels else None
        ex = Exchange(
            trace=trace, tenant=tenant, body=body, model=model, texts=texts, findings=findings,
            decision=decision, purpose=purpose,
            conversation=headers.get(CONVERSATION_HEADER) or None,
            key_id=trace.key_id or "",
            annotate=not self.scanner.empty,
            aigc=self._aigc_settings(tenant, bool(label_decision and label_decision.label)),
            roles=roles,
        )
        if decision.blocked:
            raise self._refusal(ex, decision)
        eligible = tuple(d for d in candidates if (p := decision.plan(d.name)) is None or p.eligible)
        return ex, eligible

    async def _transform(self, ex: Exchange, transforms: dict[int, str]) -> tuple[dict[str, Any], PseudonymMap | None]:
        """Apply the plan's redactions and pseudonyms to the request texts (vault-backed)."""
        selected = [ex.findings[i] for i in sorted(transforms)]
        actions: dict[str, Action] = {}
        for i, action in transforms.items():
            kind = ex.findings[i].type
            wanted = Action.REDACT if action == "redact" else Action.PSEUDONYMISE
            if actions.get(kind) is not Action.REDACT:  # redaction is the safer of the two
                actions[kind] = wanted
        vault = self.vault

        def build(pm: PseudonymMap | None) -> Any:
            return transform(ex.texts, selected, actions=actions, pseudonyms=pm, redaction=vault.redaction)

        pm: PseudonymMap | None = None
        try:
            if Action.PSEUDONYMISE not in actions.values():
                result = build(None)
            elif ex.conversation is None:
                # the request is its own scope: numbering by first appearance, nothing stored
                pm = vault.empty(ex.tenant.id, scope_for(ex.key_id, None, ex.trace.decision_id))
                result = build(pm)
            else:
                scope = scope_for(ex.key_id, ex.conversation, ex.trace.decision_id)
                result, pm = await asyncio.to_thread(vault.transact, ex.tenant.id, scope, build)
        except TransformError as exc:
            raise ServiceUnavailableError(
                f"The request could not be transformed as the policy requires ({exc}); refused (fail closed).",
                code="transform_failed",
            ) from None
        changed = result.changed()
        names = [p for p in changed if p.endswith(".name")]
        body = with_texts(ex.body, {p: t for p, t in changed.items() if p not in names})
        for path in names:  # a name field cannot carry a placeholder: drop it
            index = int(path[len("messages["):path.index("]")])
            body["messages"] = list(body["messages"])
            body["messages"][index] = {k: v for k, v in body["messages"][index].items() if k != "name"}
        ex.trace.extra["transform"] = result.summary()
        if pm is not None:
            ex.trace.extra["pseudonyms"] = pm.summary()
        return body, pm

    async def _load_conversation(self, ex: Exchange) -> PseudonymMap | None:
        scope = scope_for(ex.key_id, ex.conversation, ex.trace.decision_id)
        try:
            pm = await asyncio.to_thread(self.vault.load, ex.tenant.id, scope)
        except VaultKeyError as exc:
            if exc.code == "vault_key_missing":
                return None  # without a key nothing can have been stored
            raise
        return pm if pm.size else None

    async def _prepare(self, ex: Exchange, dep: DeploymentConfig) -> dict[str, Any]:
        """The request body for one deployment: transformations, then the cross-border record."""
        plan = ex.decision.plan(dep.name)
        transforms = dict(plan.transforms) if plan is not None else {}
        key = tuple(sorted(transforms.items()))
        body = ex.prepared.get(key)
        if body is None:
            if transforms:
                body, pm = await self._transform(ex, transforms)
                if pm is not None:
                    ex.maps[key] = pm
            else:
                body = ex.body
            ex.prepared[key] = body
        if key not in ex.maps and ex.conversation is not None:
            # a named conversation: the answer may cite placeholders issued in earlier turns
            loaded = await self._load_conversation(ex)
            if loaded is not None:
                ex.maps[key] = loaded
        if key in ex.maps:
            ex.pseudonyms[dep.name] = ex.maps[key]
        if plan is not None and plan.cross_border:
            in_clear = [f for i, f in enumerate(ex.findings) if i not in transforms]
            await self._record_crossing(ex.trace, ex.tenant, dep, texts=ex.texts, in_clear=in_clear,
                                        purpose=ex.purpose, recorded=ex.recorded_jurisdictions)
        return body

    async def _record_crossing(
        self,
        trace: Trace,
        tenant: TenantConfig,
        dep: DeploymentConfig,
        *,
        texts: Sequence[tuple[str, str]],
        in_clear: Sequence[Finding],
        purpose: str | None,
        recorded: set[str],
    ) -> None:
        """Before anything is sent abroad: count the people whose data leaves in clear (fail closed)."""
        juris = dep.jurisdiction.upper()
        if self.ledger is not None and juris not in recorded:
            outcome = await asyncio.to_thread(
                self.ledger.record_transfer,
                trace=trace, tenant=tenant, deployment=dep, texts=texts, findings=in_clear, purpose=purpose,
            )
            recorded.add(juris)
            if outcome:
                trace.extra.setdefault("ledger", []).append(outcome)
        trace.extra["cross_border"] = {"jurisdiction": juris, "findings_in_clear": len(in_clear)}

    # ------------------------------------------------------------------ chat completions
    async def chat(
        self, trace: Trace, tenant: TenantConfig, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> ChatResponse | StreamResponse:
        model = validate_chat(body)
        trace.model = model
        trace.messages = len(body["messages"])
        stream = bool(body.get("stream"))
        trace.stream = stream
        candidates = self._candidates(tenant, model)

        estimated = _estimate_tokens(body, trace.request_bytes)
        limit = await self._acquire(tenant, estimated)
        out_headers = _ratelimit_headers(limit, tenant)

        ex, eligible = await self._prompt_phase(
            trace, tenant=tenant, body=body, model=model, candidates=candidates, headers=headers or {}
        )

        async def prepare(dep: DeploymentConfig) -> dict[str, Any]:
            return await self._prepare(ex, dep)

        if stream:
            return await self._start_stream(ex, eligible, prepare, out_headers, estimated)

        async with self._upstream(trace):
            dep, result = await self.router.chat(eligible, prepare, request_id=trace.decision_id,
                                                 attempts=trace.attempts)
        trace.deployment = dep.name
        trace.upstream_status = result.status
        out = await self._complete(ex, dep, result.body, out_headers)
        usage = out.get("usage")
        if isinstance(usage, dict):
            trace.usage = {k: int(v) for k, v in usage.items() if isinstance(v, int)}
            await self._settle(tenant, trace, estimated)
        await self.finish(trace)
        return ChatResponse(out, out_headers)

    def _completion_decision(self, ex: Exchange, dep: DeploymentConfig, findings: list[Finding]) -> Decision:
        decision = self.policy.decide(PolicyInput(
            stage=Stage.COMPLETION, tenant=ex.tenant, findings=findings, deployments=(dep,), purpose=ex.purpose,
        ))
        self._note_decision(ex.trace, decision, Stage.COMPLETION)
        return decision

    async def _complete(
        self, ex: Exchange, dep: DeploymentConfig, out: dict[str, Any], headers: dict[str, str]
    ) -> dict[str, Any]:
        """Check, restore, label and annotate a non-streamed completion."""
        trace = ex.trace
        out["model"] = ex.model
        ctx = ScanContext(tenant=ex.tenant.id, deployment=dep.name)
        raw_choices = out.get("choices")
        choices: list[Any] = raw_choices if isinstance(raw_choices, list) else []
        pm = ex.pseudonyms.get(dep.name)
        text_restorer = Restorer(pm) if pm is not None else None
        args_restorer = Restorer(pm, json_string=True) if pm is not None else None
        completion_findings: list[Finding] = []
        for i, choice in enumerate(choices):
            if not isinstance(choice, dict):
                continue
            msg = choice.get("message") if isinstance(choice.get("message"), dict) else None
            text = msg.get("content") if msg is not None and isinstance(msg.get("content"), str) else None
            findings = await self._scan_guarded(
                trace, [(f"choices[{i}].message.content", text)], Stage.COMPLETION, ctx,
                prompt=ex.texts[-1][1] if ex.texts else None,
            ) if text else []
            completion_findings.extend(findings)
            decision = self._completion_decision(ex, dep, findings)
            if decision.blocked and msg is not None:
                msg["content"] = None
                choice["finish_reason"] = "content_filter"
                choice["airlock"] = {"rules": list(decision.blocking_rules), "code": decision.code}
                trace.extra.setdefault("filtered_choices", []).append(
                    {"choice": i, "rules": list(decision.blocking_rules), "code": decision.code})
            elif msg is not None:
                if text_restorer is not None and args_restorer is not None:
                    if text:
                        msg["content"] = text_restorer.restore(text)
                    for call in msg.get("tool_calls") or []:
                        fn = call.get("function") if isinstance(call, dict) else None
                        if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                            fn["arguments"] = args_restorer.restore(fn["arguments"])
                if ex.aigc is not None and isinstance(msg.get("content"), str):
                    msg["content"] = apply_explicit(ex.aigc, msg["content"])
            trace.finish_reasons.append(str(choice.get("finish_reason")))
            if ex.annotate:
                acted = {j for h in decision.hits if h.action == "block" and not h.shadow for j in h.findings}
                choice["content_filter_results"] = content_filter_results(findings, filtered=acted)
        trace.findings.extend(completion_findings)
        if text_restorer is not None and args_restorer is not None:
            restored = {**text_restorer.summary()}
            restored["restored_arguments"] = args_restorer.summary()["restored"]
            trace.extra["restore"] = restored
        if ex.annotate:
            out["prompt_filter_results"] = prompt_filter_results(ex.findings, roles=ex.roles)
            out["airlock"] = airlock_block(
                trace.decision_id, trace.rules, [*ex.findings, *completion_findings],
                action=trace.action, policy_revision=trace.policy_revision)
        if ex.aigc is not None and ex.aigc.implicit:
            first = next((c for c in choices if isinstance(c, dict)), None)
            content = first.get("message", {}).get("content") if first else None
            meta = aigc_metadata(ex.aigc, str(out.get("id") or trace.decision_id),
                                 content if isinstance(content, str) else None)
            out.setdefault(AIGC_FIELD, meta)  # an upstream's own label is kept
            headers[AIGC_HEADER] = header_value(out[AIGC_FIELD] if isinstance(out[AIGC_FIELD], dict) else meta)
        return out

    def _count_attempts(self, trace: Trace) -> None:
        for a in trace.attempts:
            if a.outcome not in ("ok", "breaker_open"):
                self.metrics.upstream_errors.labels(a.deployment, a.outcome).inc()
        if trace.upstream_ms and trace.attempts:
            self.metrics.upstream_latency.labels(trace.attempts[-1].deployment).observe(trace.upstream_ms / 1000.0)

    async def _settle(self, tenant: TenantConfig, trace: Trace, estimated: int) -> None:
        if not trace.usage:
            return
        used = trace.usage.get("total_tokens", 0)
        await self.limiter.settle(tenant.id, tenant.limits.tpm, used - estimated)
        self.metrics.tokens.labels(tenant.id, "prompt").inc(trace.usage.get("prompt_tokens", 0))
        self.metrics.tokens.labels(tenant.id, "completion").inc(trace.usage.get("completion_tokens", 0))

    # ------------------------------------------------------------------ streaming
    async def _start_stream(
        self,
        ex: Exchange,
        eligible: tuple[DeploymentConfig, ...],
        prepare: Any,
        headers: dict[str, str],
        estimated: int,
    ) -> StreamResponse:
        body = ex.body
        client_opts = body.get("stream_options") if isinstance(body.get("stream_options"), dict) else {}
        include_usage = bool(client_opts.get("include_usage")) if client_opts else False

        async def prepare_stream(dep: DeploymentConfig) -> dict[str, Any]:
            prepared = dict(await prepare(dep))
            # meter tokens even when the client did not ask for usage; stripped again in the relay
            prepared["stream_options"] = {**(client_opts or {}), "include_usage": True}
            return prepared

        trace = ex.trace
        async with self._upstream(trace) as t_up:
            dep, first, upstream = await self.router.open_stream(
                eligible, prepare_stream, request_id=trace.decision_id, attempts=trace.attempts
            )
        trace.deployment = dep.name
        trace.upstream_status = 200
        if ex.aigc is not None and ex.aigc.implicit:
            headers[AIGC_HEADER] = header_value(aigc_metadata(ex.aigc, str(first.get("id") or trace.decision_id), None))
        relay = StreamRelay(self, ex, dep, include_usage=include_usage, estimated=estimated, t_up=t_up)
        return StreamResponse(relay.run(first, upstream), headers)

    # ------------------------------------------------------------------ embeddings
    async def embeddings(
        self, trace: Trace, tenant: TenantConfig, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> ChatResponse:
        model = validate_embeddings(body)
        trace.model = model
        candidates = tuple(d for d in self._candidates(tenant, model) if d.embeddings)
        if not candidates:
            raise InvalidRequestError(
                f"The model '{model[:200]}' does not serve embeddings.", param="model", code="unsupported_model"
            )
        limit = await self._acquire(tenant, trace.request_bytes // 4)
        purpose = self._purpose(trace, tenant, headers or {})
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        texts = [(f"input[{i}]", t) for i, t in enumerate(inputs) if isinstance(t, str)]
        findings = self._scan(texts, Stage.PROMPT, ScanContext(tenant=tenant.id))
        trace.findings.extend(findings)
        decision = self.policy.decide(PolicyInput(
            stage=Stage.PROMPT, tenant=tenant, findings=findings, deployments=candidates, purpose=purpose))
        self._note_decision(trace, decision, Stage.PROMPT)
        if decision.blocked:
            raise PolicyBlockedError(decision.message or "The request was blocked by policy.",
                                     rules=list(decision.rules), code=decision.code, status=decision.status,
                                     param="input")
        eligible = tuple(d for d in candidates if (p := decision.plan(d.name)) is None or p.eligible)
        # an embedding of placeholders is not the embedding of the text: deployments the policy
        # would send a transformed input to are skipped
        usable = tuple(d for d in eligible if not ((p := decision.plan(d.name)) and p.transforms))
        if not usable:
            raise PolicyBlockedError(
                "The policy would pseudonymise or redact these embedding inputs for every eligible deployment; "
                "an embedding of placeholders is not the embedding of the text, so the request was refused.",
                rules=list(decision.rules), code="transform_not_supported", param="input")
        recorded: set[str] = set()

        async def prepare(dep: DeploymentConfig) -> dict[str, Any]:
            plan = decision.plan(dep.name)
            if plan is not None and plan.cross_border:
                await self._record_crossing(trace, tenant, dep, texts=texts, in_clear=findings, purpose=purpose,
                                            recorded=recorded)
            return body

        async with self._upstream(trace):
            dep, result = await self.router.embeddings(
                usable, prepare, request_id=trace.decision_id, attempts=trace.attempts
            )
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


