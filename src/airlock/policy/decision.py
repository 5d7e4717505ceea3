"""The decision contract between detectors, policy and enforcement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from airlock.config import DeploymentConfig, TenantConfig
from airlock.detectors.base import Finding, Stage

__all__ = ["AllowAll", "Decision", "Policy", "PolicyInput"]


@dataclass(frozen=True, slots=True)
class PolicyInput:
    stage: Stage
    tenant: TenantConfig
    findings: Sequence[Finding]
    deployments: Sequence[DeploymentConfig]
    purpose: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with a request (or a completion)."""

    action: str = "allow"  # allow | block
    rules: tuple[str, ...] = ()
    revision: str = ""
    code: str | None = None
    message: str | None = None
    status: int = 400
    #: deployments still eligible after route restrictions (None = unchanged)
    deployments: tuple[str, ...] | None = None
    shadow_rules: tuple[str, ...] = field(default=())

    @property
    def blocked(self) -> bool:
        return self.action == "block"


class Policy(Protocol):
    revision: str

    def decide(self, request: PolicyInput) -> Decision: ...


class AllowAll:
    """The issue-2 default: record findings, allow everything."""

    revision = "allow-all"

    def decide(self, request: PolicyInput) -> Decision:
        return Decision(revision=self.revision)
