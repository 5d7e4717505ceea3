"""Cross-border transfer ledger: the people whose personal information leaves, counted exactly.

See docs/ledger.md. One module per concern: :mod:`~airlock.ledger.settings` (configuration),
:mod:`~airlock.ledger.rules` (rule packs as data), :mod:`~airlock.ledger.periods` (calendar
periods and clock skew), :mod:`~airlock.ledger.subjects` (keyed hashes and linking),
:mod:`~airlock.ledger.store` (SQLite / PostgreSQL tables), :mod:`~airlock.ledger.ftz`
(free-trade-zone negative lists), :mod:`~airlock.ledger.alerts` (alerts, gauges, webhook),
:mod:`~airlock.ledger.service` (what the gateway calls), :mod:`~airlock.ledger.outcome` (the
audit form), :mod:`~airlock.ledger.rebuild` and :mod:`~airlock.ledger.report`.

Nothing in this package imports :mod:`airlock.config` at run time (the configuration imports
:mod:`airlock.ledger.settings`).
"""

from __future__ import annotations

from airlock.ledger.errors import LedgerRefusedError, LedgerUnavailableError
from airlock.ledger.outcome import LedgerOutcome
from airlock.ledger.rules import Pack, available_packs, load_pack
from airlock.ledger.service import Ledger
from airlock.ledger.settings import LedgerSettings, TenantLedgerSettings
from airlock.ledger.subjects import Subject, subjects_from

__all__ = [
    "Ledger",
    "LedgerOutcome",
    "LedgerRefusedError",
    "LedgerSettings",
    "LedgerUnavailableError",
    "Pack",
    "Subject",
    "TenantLedgerSettings",
    "available_packs",
    "load_pack",
    "subjects_from",
]
