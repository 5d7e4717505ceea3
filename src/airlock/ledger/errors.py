"""The ledger's two client-visible errors (both in the one exception tree of airlock.errors)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airlock.errors import PolicyBlockedError, ServiceUnavailableError

if TYPE_CHECKING:
    from airlock.ledger.outcome import LedgerOutcome

__all__ = ["LedgerRefusedError", "LedgerUnavailableError"]


class LedgerRefusedError(PolicyBlockedError):
    """Enforce mode: the transfer would take the tenant into a tier it has not filed for.

    Raised BEFORE anything is recorded or sent. The message names the tier, the counts and the
    rule; ``outcome`` (refused) goes into the audit record. Never carries identifiers.
    """

    default_code = "cross_border_threshold"

    def __init__(self, message: str, *, rule: str, outcome: LedgerOutcome, extra: dict[str, Any]) -> None:
        super().__init__(message, rules=[f"ledger.{rule}"], code=self.default_code, status=403, extra=extra)
        self.outcome = outcome


class LedgerUnavailableError(ServiceUnavailableError):
    """The ledger could not record the transfer, so it does not happen (fail closed)."""

    default_code = "ledger_unavailable"
