"""The pseudonym vault: encrypted (AES-256-GCM) originals per tenant and conversation, with
expiry, in the gateway's own database. See docs/pseudonymisation.md."""

from __future__ import annotations

from airlock.vault.backends import PostgresVaultBackend, SealedEntry, SQLiteVaultBackend, VaultBackend, open_backend
from airlock.vault.errors import (
    VaultConflictError,
    VaultError,
    VaultIntegrityError,
    VaultKeyError,
    VaultUnavailableError,
)
from airlock.vault.keys import Keyring, VaultKey, load_keyring
from airlock.vault.scope import CONVERSATION_HEADER, conversation_scope, request_scope, scope_for
from airlock.vault.settings import VaultSettings
from airlock.vault.vault import Vault, entry_aad

__all__ = [
    "CONVERSATION_HEADER",
    "Keyring",
    "PostgresVaultBackend",
    "SQLiteVaultBackend",
    "SealedEntry",
    "Vault",
    "VaultBackend",
    "VaultConflictError",
    "VaultError",
    "VaultIntegrityError",
    "VaultKey",
    "VaultKeyError",
    "VaultSettings",
    "VaultUnavailableError",
    "conversation_scope",
    "entry_aad",
    "load_keyring",
    "open_backend",
    "request_scope",
    "scope_for",
]
