"""Policy: turn findings about a request into a decision.

The decision function is pure (no I/O): it sees findings, the tenant, the candidate
deployments and the request's attributes, and returns a :class:`Decision`. The HTTP layer
enforces what it returns; it does not make policy.
"""

from __future__ import annotations

from airlock.policy.decision import AllowAll, Decision, Policy, PolicyInput

__all__ = ["AllowAll", "Decision", "Policy", "PolicyInput"]
