"""The vault's errors: all fail closed, as 503s the gateway renders as refusals.

Messages name the setting to fix; they never contain keys, originals or placeholders' values.
"""

from __future__ import annotations

from airlock.errors import ServiceUnavailableError

__all__ = [
    "VaultConflictError",
    "VaultError",
    "VaultIntegrityError",
    "VaultKeyError",
    "VaultUnavailableError",
]


class VaultError(ServiceUnavailableError):
    """Base class: pseudonymisation was required and the vault cannot provide it."""

    default_code = "vault_unavailable"


class VaultUnavailableError(VaultError):
    """The vault's database cannot be reached or refused a read or write."""


class VaultKeyError(VaultError):
    """No usable encryption key (``vault_key_missing``, ``vault_key_invalid``) or an entry
    encrypted with a key that is no longer configured (``vault_key_unknown``)."""

    default_code = "vault_key_missing"
    should_retry = False


class VaultIntegrityError(VaultError):
    """An entry failed authentication: tampered, corrupted, or copied from another tenant,
    scope or placeholder."""

    default_code = "vault_integrity_error"
    should_retry = False


class VaultConflictError(VaultError):
    """A concurrent request issued the same placeholder for another value (retried by
    :meth:`Vault.transact`; surfaces only when retries run out)."""

    default_code = "vault_conflict"
