"""One chat exchange's state between the prompt decision and the completion, and the seam the
gateway uses for the cross-border ledger.

:class:`CrossBorderLedger` is a protocol: the gateway works without a ledger; with one, every
request bound for a deployment outside the tenant's jurisdiction is recorded before it is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from airlock.config import DeploymentConfig, TenantConfig
from airlock.detectors.base import Finding
from airlock.policy.decision import Decision
from airlock.policy.rules import AigcLabelSettings
from airlock.trace import Trace
from airlock.transform import PseudonymMap

__all__ = ["CrossBorderLedger", "Exchange"]


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
    #: x-airlock-conversation-id (None: the request is its own pseudonym scope)
    conversation: str | None
    key_id: str
    annotate: bool
    aigc: AigcLabelSettings | None
    roles: list[str]
    #: plan key → prepared body, so fallbacks with the same transformation reuse it
    prepared: dict[tuple[tuple[int, str], ...], dict[str, Any]] = field(default_factory=dict)
    #: plan key → the pseudonyms used for it
    maps: dict[tuple[tuple[int, str], ...], PseudonymMap] = field(default_factory=dict)
    #: deployment name → the pseudonyms its request carried (restored in its answer)
    pseudonyms: dict[str, PseudonymMap] = field(default_factory=dict)
    recorded_jurisdictions: set[str] = field(default_factory=set)
