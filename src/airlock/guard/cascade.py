"""The async guard tier: ask the configured guard model about uncertain texts.

Gateway use (after the synchronous ``scanner.scan``)::

    guard = build_guard(config.detectors.settings)          # once, at start-up; None if unset
    findings = scanner.scan(text, stage=stage, context=ctx)
    if guard is not None:
        result = await guard.escalate(text, findings, stage=stage, context=ctx,
                                      prompt=prompt_text_for_completions, documents=tool_texts)
        findings = list(result.findings)
        if result.refuse:            # guard failed and on_failure is fail_closed
            raise ServiceUnavailableError(...)   # or let the policy block on GUARD_UNAVAILABLE

``escalate`` asks the guard when any finding carries ``escalate=True`` (classifier score in
the uncertain band, including ``GUARD_REVIEW`` findings) or when ``escalate: always``. The
guard's verdict replaces the uncertain classifier findings; lexicon findings stay. When the
guard times out, errors or answers something unparseable, a ``GUARD_UNAVAILABLE`` finding
records the outcome (``guard.unavailable.fail_open`` keeps the classifier findings,
``guard.unavailable.fail_closed`` sets ``refuse``), so the audit record shows what happened.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from airlock.detectors.base import Finding, ScanContext, Stage
from airlock.detectors.content.settings import parse_settings
from airlock.detectors.registry import register
from airlock.errors import ConfigError
from airlock.guard.azure import AzureContentSafetyAdapter
from airlock.guard.base import GuardAdapter, GuardError
from airlock.guard.llama_guard import LlamaGuardAdapter
from airlock.guard.openai_moderation import OpenAIModerationAdapter
from airlock.guard.qwen3guard import Qwen3GuardAdapter
from airlock.guard.settings import GuardSettings

__all__ = ["Escalation", "GuardCascade", "build_guard"]

_ADAPTERS: dict[str, type[Any]] = {
    "llama_guard": LlamaGuardAdapter,
    "qwen3guard": Qwen3GuardAdapter,
    "azure_content_safety": AzureContentSafetyAdapter,
    "openai_moderation": OpenAIModerationAdapter,
}


@dataclass(frozen=True, slots=True)
class Escalation:
    """The findings after the guard tier, and what the guard did (for the audit record)."""

    findings: tuple[Finding, ...]
    #: not_configured | not_needed | flagged | cleared | fail_open | fail_closed
    outcome: str
    guard: str = ""
    latency_ms: float = 0.0
    labels: tuple[str, ...] = ()
    refuse: bool = False

    def audit(self) -> dict[str, Any]:
        return {
            "guard": self.guard,
            "outcome": self.outcome,
            "latency_ms": round(self.latency_ms, 1),
            "labels": list(self.labels),
        }


def _escalates(f: Finding) -> bool:
    return f.type == "GUARD_REVIEW" or dict(f.attributes).get("escalate") is True


class GuardCascade:
    """One guard adapter behind an ``httpx.AsyncClient`` (transport injectable for tests)."""

    def __init__(self, settings: GuardSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.adapter: GuardAdapter = _ADAPTERS[settings.kind](settings)
        key = settings.api_key()
        headers = {}
        if key is not None:
            if settings.kind == "azure_content_safety":
                headers["Ocp-Apim-Subscription-Key"] = key
            else:
                headers["Authorization"] = f"Bearer {key}"
        self._client = httpx.AsyncClient(
            transport=transport,
            headers=headers,
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> GuardCascade:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def needs_guard(self, findings: Sequence[Finding], stage: Stage) -> bool:
        if stage.value not in self.settings.stages:
            return False
        return self.settings.escalate == "always" or any(_escalates(f) for f in findings)

    async def escalate(
        self,
        text: str,
        findings: Sequence[Finding],
        *,
        stage: Stage = Stage.PROMPT,
        context: ScanContext | None = None,
        prompt: str | None = None,
        documents: Sequence[str] = (),
    ) -> Escalation:
        name = self.adapter.name
        if not self.needs_guard(findings, stage):
            return Escalation(tuple(findings), "not_needed", name)
        started = time.perf_counter()
        try:
            verdict = await asyncio.wait_for(
                self.adapter.check(self._client, text, stage=stage, prompt=prompt, documents=documents),
                timeout=self.settings.timeout,
            )
        except (TimeoutError, httpx.TimeoutException):
            return self._failed(findings, stage, len(text), "timed out", started)
        except httpx.HTTPError as exc:
            return self._failed(findings, stage, len(text), f"transport error ({type(exc).__name__})", started)
        except GuardError as exc:
            return self._failed(findings, stage, len(text), str(exc), started)
        latency = (time.perf_counter() - started) * 1000
        kept = [f for f in findings if not _escalates(f)]
        guard_findings = [_with_path(f, stage) for f in verdict.findings]
        return Escalation(
            findings=tuple(kept + guard_findings),
            outcome="flagged" if verdict.flagged else "cleared",
            guard=name,
            latency_ms=latency,
            labels=verdict.labels,
        )

    def _failed(self, findings: Sequence[Finding], stage: Stage, length: int, why: str, started: float) -> Escalation:
        closed = self.settings.on_failure == "fail_closed"
        mode = "fail_closed" if closed else "fail_open"
        marker = Finding(
            type="GUARD_UNAVAILABLE",
            start=0,
            end=length,
            score=1.0,
            rule=f"guard.unavailable.{mode}",
            category=mode,
            severity=7 if closed else 0,
            explanation=f"guard {self.adapter.name} {why} after {(time.perf_counter() - started):.2f}s; "
            + ("request refused (fail-closed)" if closed else "classifier findings kept (fail-open)"),
            detector="guard",
            stage=stage,
            attributes=(("tier", "guard"), ("guard", self.adapter.name), ("outcome", mode)),
        )
        return Escalation(
            findings=(*findings, marker),
            outcome=mode,
            guard=self.adapter.name,
            latency_ms=(time.perf_counter() - started) * 1000,
            refuse=closed,
        )


def _with_path(f: Finding, stage: Stage) -> Finding:
    return f if f.stage is stage else Finding(**{**{k: getattr(f, k) for k in f.__slots__}, "stage": stage})


def build_guard(
    detector_settings: Mapping[str, Mapping[str, Any]] | None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> GuardCascade | None:
    """The guard tier configured at ``detectors.settings.guard``, or None when there is none."""
    raw = (detector_settings or {}).get("guard")
    if not raw:
        return None
    return GuardCascade(parse_settings(GuardSettings, raw, "guard"), transport=transport)


@register("guard")
def _guard_key(settings: Mapping[str, Any]) -> Any:
    """``detectors.settings.guard`` configures the async guard tier, not a scan family.

    Registering the name makes the settings key valid for the registry; enabling ``guard`` in
    ``detectors.enabled`` is a configuration error (the gateway calls :func:`build_guard`).
    """
    raise ConfigError(
        "detectors.enabled: 'guard' is not a scan family; configure detectors.settings.guard and the "
        "gateway awaits GuardCascade.escalate() after the scan"
    )
