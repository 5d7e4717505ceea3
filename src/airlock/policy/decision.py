"""The decision contract between detectors, policy and enforcement (plain values, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from airlock.detectors.base import Finding, Stage

if TYPE_CHECKING:
    from airlock.config import DeploymentConfig, TenantConfig

__all__ = ["AllowAll", "Decision", "DeploymentPlan", "Policy", "PolicyInput", "RuleHit"]


@dataclass(frozen=True, slots=True)
class PolicyInput:
    stage: Stage
    tenant: TenantConfig
    findings: Sequence[Finding]
    deployments: Sequence[DeploymentConfig]
    purpose: str | None = None
    #: the x-airlock-classification header, already validated
    classification: str | None = None


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule that fired, with what it needs for enforcement and explanation."""

    rule: str
    action: str
    code: str | None = None
    message: str | None = None
    status: int = 400
    alert: str | None = None
    shadow: bool = False
    findings: tuple[int, ...] = ()
    deployment: str | None = None
    specificity: int = 0


@dataclass(frozen=True, slots=True)
class DeploymentPlan:
    """What the decision means for one candidate deployment."""

    deployment: str
    eligible: bool
    cross_border: bool = False
    block: RuleHit | None = None
    #: finding index → "redact" | "pseudonymise"
    transforms: Mapping[int, str] = field(default_factory=dict)
    rules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    action: str = "allow"  # allow | block
    rules: tuple[str, ...] = ()
    revision: str = ""
    code: str | None = None
    message: str | None = None
    status: int = 400
    plans: tuple[DeploymentPlan, ...] = ()
    shadow_rules: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()
    label: bool = False
    #: the request's classification (highest of header, tenant default, markings)
    level: str | None = None
    hits: tuple[RuleHit, ...] = ()

    @property
    def blocked(self) -> bool:
        return self.action == "block"

    @property
    def blocking_rules(self) -> tuple[str, ...]:
        """The rules that refused (not the labels and alerts that fired with them)."""
        return tuple(dict.fromkeys(
            h.rule for h in self.hits if h.action in ("block", "restrict_route") and not h.shadow
        ))

    def plan(self, deployment: str) -> DeploymentPlan | None:
        for p in self.plans:
            if p.deployment == deployment:
                return p
        return None

    @property
    def eligible(self) -> tuple[str, ...]:
        return tuple(p.deployment for p in self.plans if p.eligible)


class Policy(Protocol):
    revision: str

    def decide(self, request: PolicyInput) -> Decision: ...


class AllowAll:
    """No rules: record findings, allow everything."""

    revision = "allow-all"

    def decide(self, request: PolicyInput) -> Decision:
        plans = tuple(DeploymentPlan(d.name, True) for d in request.deployments)
        return Decision(revision=self.revision, plans=plans)
