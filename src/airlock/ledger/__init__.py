"""Cross-border transfer ledger: the people whose personal information leaves, counted exactly.

See docs/ledger.md. Modules: :mod:`~airlock.ledger.settings` (configuration),
:mod:`~airlock.ledger.rules` (rule packs as data), :mod:`~airlock.ledger.periods` (calendar
periods and clock skew), :mod:`~airlock.ledger.subjects` (keyed hashes and linking),
:mod:`~airlock.ledger.store` (SQLite / PostgreSQL tables).
"""
