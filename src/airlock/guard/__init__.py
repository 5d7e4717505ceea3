"""Guard-model tier: adapters for guard models the customer hosts, and the async cascade.

The fast tiers run synchronously inside ``Scanner.scan``; the gateway then awaits
:meth:`GuardCascade.escalate` for texts whose classifier scores were uncertain.
"""

from __future__ import annotations

from airlock.guard.base import GuardError, GuardVerdict
from airlock.guard.cascade import Escalation, GuardCascade, build_guard
from airlock.guard.settings import GuardSettings

__all__ = ["Escalation", "GuardCascade", "GuardError", "GuardSettings", "GuardVerdict", "build_guard"]
