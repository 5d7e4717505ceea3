"""One chat exchange's state between the prompt decision and the completion, and the seams the
gateway uses for reversible transformations and the cross-border ledger.

:class:`Transformer` (pseudonymise / redact / restore) and :class:`CrossBorderLedger` are
protocols: the gateway works without them, and refuses — fail closed — any request whose
decision needs one that is not configured.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from airlock.config import DeploymentConfig, TenantConfig
from airlock.detectors.base import Finding
from airlock.policy.decision import Decision
from airlock.policy.rules import AigcLabelSettings
from airlock.trace import Trace

__all__ = ["CrossBorderLedger", "Exchange", "StreamRestorer", "TransformResult", "Transformer", "set_path"]


class StreamRestorer(Protocol):
    def feed(self, delta: str) -> str: ...

    def flush(self) -> str: ...


@dataclass(frozen=True, slots=True)
class TransformResult:
    #: path → new text for every text that changed
    texts: Mapping[str, str]
    #: counts by action, e.g. {"pseudonymise": 3, "redact": 1}, for the audit record
    counts: Mapping[str, int]


class Transformer(Protocol):
    """Pseudonymisation (reversible, vault-backed) and redaction, driven by finding spans."""

    def apply(
        self,
        *,
        tenant: str,
        scope: str,
        texts: Sequence[tuple[str, str]],
        findings: Sequence[Finding],
        actions: Mapping[int, str],
    ) -> TransformResult: ...

    def restore(self, *, tenant: str, scope: str, text: str) -> str: ...

    def restorer(self, *, tenant: str, scope: str) -> StreamRestorer: ...


class CrossBorderLedger(Protocol):
    """Counts the data subjects whose personal information leaves in clear (issue 6)."""

    def record_transfer(
        self,
        *,
        trace: Trace,
        tenant: TenantConfig,
        deployment: DeploymentConfig,
        texts: Sequence[tuple[str, str]],
        findings: Sequence[Finding],
        purpose: str | None,
    ) -> dict[str, Any] | None: ...


@dataclass
class Exchange:
    """The prompt side of one chat request, kept for routing and the completion."""

    trace: Trace
    tenant: TenantConfig
    body: dict[str, Any]
    model: str
    texts: list[tuple[str, str]]
    findings: list[Finding]
    decision: Decision
    purpose: str | None
    scope: str
    annotate: bool
    aigc: AigcLabelSettings | None
    roles: list[str]
    #: plan key → prepared body, so fallbacks with the same transformation reuse it
    prepared: dict[tuple[tuple[int, str], ...], dict[str, Any]] = field(default_factory=dict)
    #: deployments whose request used reversible placeholders
    pseudonymised: set[str] = field(default_factory=set)
    recorded_jurisdictions: set[str] = field(default_factory=set)


_PATH_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def set_path(body: dict[str, Any], path: str, value: str) -> None:
    """Set ``messages[2].content[0].text`` (the paths :func:`extract_texts` produces)."""
    tokens: list[str | int] = []
    for part in path.split("."):
        for name, index in _PATH_TOKEN.findall(part):
            tokens.append(int(index) if index else name)
    node: Any = body
    for tok in tokens[:-1]:
        node = node[tok]
    node[tokens[-1]] = value


def rewrite(body: dict[str, Any], texts: Mapping[str, str]) -> dict[str, Any]:
    """A copy of ``body`` with the given paths replaced (the original is untouched)."""
    out = dict(body)
    for key in {p.split(".", 1)[0].split("[", 1)[0] for p in texts}:
        out[key] = copy.deepcopy(body[key])
    for path, value in texts.items():
        set_path(out, path, value)
    return out
