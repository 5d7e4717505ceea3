"""Policy: turn findings about a request into a decision.

The decision function is pure (no I/O): it sees findings, the tenant, the candidate
deployments and the request's attributes, and returns a :class:`Decision`. The HTTP layer
enforces what it returns; it does not make policy. The engine lives in
:mod:`airlock.policy.engine`, rules and packs in :mod:`airlock.policy.rules`.
"""

from __future__ import annotations

from airlock.policy.decision import AllowAll, Decision, DeploymentPlan, Policy, PolicyInput, RuleHit

__all__ = ["AllowAll", "Decision", "DeploymentPlan", "Policy", "PolicyInput", "RuleHit"]
