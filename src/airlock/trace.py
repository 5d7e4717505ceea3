"""A request's trace: everything the audit record needs, gathered along the request path.

The trace never holds prompt or completion text. It keeps a digest and the length of the
request body, the findings (types, rule ids, spans, paths), the decision and the numbers.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from airlock.detectors.base import Finding
from airlock.routing import Attempt
from airlock.stores.base import PendingAudit

__all__ = ["Trace", "new_decision_id"]


def new_decision_id() -> str:
    return f"dec_{os.urandom(16).hex()}"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


@dataclass
class Trace:
    route: str
    config_revision: str
    decision_id: str = field(default_factory=new_decision_id)
    started: float = field(default_factory=time.time)
    t0: float = field(default_factory=time.perf_counter)
    tenant: str | None = None
    key_id: str | None = None
    model: str | None = None
    deployment: str | None = None
    stream: bool = False
    request_bytes: int = 0
    request_sha256: str | None = None
    messages: int = 0
    purpose: str | None = None
    classification: str | None = None
    policy_revision: str | None = None
    action: str = "allow"
    outcome: str = "ok"  # ok | blocked | error | client_disconnected
    status: int = 200
    error_code: str | None = None
    rules: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    usage: dict[str, int] | None = None
    upstream_ms: float = 0.0
    ttft_ms: float | None = None
    upstream_status: int | None = None
    finish_reasons: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    finished: bool = False

    def note_body(self, raw: bytes) -> None:
        self.request_bytes = len(raw)
        self.request_sha256 = hashlib.sha256(raw).hexdigest()

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.t0) * 1000.0

    def fail(self, status: int, code: str, *, outcome: str = "error") -> None:
        self.status = status
        self.error_code = code
        self.outcome = outcome

    def to_pending(self) -> PendingAudit:
        total_ms = self.elapsed_ms()
        payload: dict[str, Any] = {
            "route": self.route,
            "ts_start": _iso(self.started),
            "key_id": self.key_id,
            "model": self.model,
            "deployment": self.deployment,
            "stream": self.stream,
            "config_revision": self.config_revision,
            "policy_revision": self.policy_revision,
            "action": self.action,
            "outcome": self.outcome,
            "status": self.status,
            "error_code": self.error_code,
            "rules": self.rules,
            "findings": [_finding(f) for f in self.findings],
            "request": {
                "bytes": self.request_bytes,
                "sha256": self.request_sha256,
                "messages": self.messages,
                "purpose": self.purpose,
                "classification": self.classification,
            },
            "usage": self.usage,
            "attempts": [a.to_dict() for a in self.attempts],
            "upstream_status": self.upstream_status,
            "finish_reasons": self.finish_reasons,
            "latency_ms": {
                "total": round(total_ms, 3),
                "upstream": round(self.upstream_ms, 3),
                "overhead": round(max(total_ms - self.upstream_ms, 0.0), 3),
                "ttft": round(self.ttft_ms, 3) if self.ttft_ms is not None else None,
            },
        }
        if self.extra:
            payload["extra"] = self.extra
        return PendingAudit(
            decision_id=self.decision_id,
            ts=_iso(time.time()),
            tenant=self.tenant,
            kind="request",
            payload=payload,
        )


def _finding(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": f.type,
        "rule": f.rule,
        "stage": str(f.stage),
        "path": f.path,
        "start": f.start,
        "end": f.end,
        "score": round(f.score, 4),
    }
    if f.sensitive:
        out["sensitive"] = True
        out["sensitive_category"] = f.sensitive_category
    if f.level is not None:
        out["level"] = f.level
    if f.category is not None:
        out["category"] = f.category
    if f.severity is not None:
        out["severity"] = f.severity
    return out
