"""Vault keys: AES-256-GCM keys from the environment or a file, with ids for rotation.

A key is 32 random bytes, written base64 (standard or URL-safe alphabet), optionally with an
id: ``k2026:BASE64``. Without an id, the id is derived from the key (``k`` + 8 hex digits of
a SHA-256 over it), so it is stable and reveals nothing useful. Several keys may be given —
comma-separated in the environment variable, one per line in the file (``#`` comments) —
the FIRST encrypts new entries, all of them decrypt. Rotation: put the new key first, keep
the old one until its entries have expired (``vault.ttl``), then remove it.

Generate one with ``python -c "import os, base64; print(base64.b64encode(os.urandom(32)).decode())"``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from airlock.vault.errors import VaultIntegrityError, VaultKeyError

__all__ = ["Keyring", "VaultKey", "load_keyring"]

_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_B64 = re.compile(r"^(?:[A-Za-z0-9+/]+|[A-Za-z0-9_-]+)={0,2}$")
NONCE_BYTES = 12


@dataclass(frozen=True, slots=True)
class VaultKey:
    id: str
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) != 32:
            raise VaultKeyError("vault key must be 32 bytes (AES-256)", code="vault_key_invalid")


def _decode(material: str, source: str, position: int) -> VaultKey:
    key_id: str | None = None
    text = material.strip()
    if ":" in text:
        key_id, text = (part.strip() for part in text.split(":", 1))
        if not _ID.match(key_id):
            raise VaultKeyError(
                f"{source}: key {position}: the id must be 1-32 letters, digits, '_', '.' or '-'",
                code="vault_key_invalid",
            )
    secret: bytes | None = None
    if _B64.match(text):
        alphabet = b"-_" if ("-" in text or "_" in text) else b"+/"
        try:
            secret = base64.b64decode(text, altchars=alphabet, validate=True)
        except (binascii.Error, ValueError):
            secret = None
    if secret is None or len(secret) != 32:
        raise VaultKeyError(
            f"{source}: key {position} is not base64 of 32 bytes; generate one with "
            "python -c \"import os, base64; print(base64.b64encode(os.urandom(32)).decode())\"",
            code="vault_key_invalid",
        )
    if key_id is None:
        key_id = "k" + hashlib.sha256(b"airlock-vault-key-id\0" + secret).hexdigest()[:8]
    return VaultKey(key_id, secret)


class Keyring:
    """The configured keys; the first one encrypts."""

    def __init__(self, keys: Sequence[VaultKey]) -> None:
        if not keys:
            raise VaultKeyError("no vault key configured", code="vault_key_missing")
        ids = [k.id for k in keys]
        if len(set(ids)) != len(ids):
            raise VaultKeyError("vault keys must have distinct ids", code="vault_key_invalid")
        self._keys = {k.id: k for k in keys}
        self._ciphers = {k.id: AESGCM(k.secret) for k in keys}
        self.active = keys[0]

    @classmethod
    def parse(cls, text: str, source: str, *, separators: str = ",\n") -> Keyring:
        items: list[str] = [text]
        for sep in separators:
            items = [piece for item in items for piece in item.split(sep)]
        lines = [i.strip() for i in items if i.strip() and not i.strip().startswith("#")]
        return cls([_decode(line, source, n) for n, line in enumerate(lines, 1)])

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def encrypt(self, plaintext: str, aad: bytes) -> tuple[str, bytes, bytes]:
        """``(key_id, nonce, ciphertext+tag)`` under the active key with a fresh random nonce."""
        nonce = os.urandom(NONCE_BYTES)
        return self.active.id, nonce, self._ciphers[self.active.id].encrypt(nonce, plaintext.encode("utf-8"), aad)

    def decrypt(self, key_id: str, nonce: bytes, ciphertext: bytes, aad: bytes) -> str:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise VaultKeyError(
                f"a vault entry is encrypted with key {key_id!r}, which is not configured "
                "(keep retired keys after the active one until their entries expire)",
                code="vault_key_unknown",
            )
        try:
            return cipher.decrypt(nonce, ciphertext, aad).decode("utf-8")
        except (InvalidTag, UnicodeDecodeError, ValueError):
            raise VaultIntegrityError(
                "a vault entry failed authentication (tampered, corrupted, or moved to another tenant or scope)"
            ) from None

    def __repr__(self) -> str:
        return f"Keyring(ids={list(self._keys)!r}, active={self.active.id!r})"


def load_keyring(key_env: str, key_file: str | None, environ: Mapping[str, str] | None = None) -> Keyring:
    """Read the keys from ``key_file`` when set, else from the environment variable ``key_env``."""
    if key_file:
        try:
            text = Path(key_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise VaultKeyError(f"vault.key_file: cannot read the key file: {exc.strerror}") from None
        if not text.strip():
            raise VaultKeyError("vault.key_file: the key file is empty")
        return Keyring.parse(text, "vault.key_file", separators="\n")
    env = os.environ if environ is None else environ
    value = env.get(key_env, "")
    if not value.strip():
        raise VaultKeyError(
            f"the vault key is missing: set the environment variable {key_env} to base64 of 32 random "
            "bytes, or set vault.key_file"
        )
    return Keyring.parse(value, key_env, separators=",")
