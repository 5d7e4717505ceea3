"""The vault: pseudonyms of each (tenant, scope), encrypted at rest, with expiry.

Entry = ``(tenant, scope, placeholder) → AES-256-GCM(original)``. The additional
authenticated data binds the tenant, the scope, the placeholder token and the key id, so a
ciphertext copied to another conversation, tenant or placeholder fails to decrypt
(:class:`~airlock.vault.errors.VaultIntegrityError`) instead of revealing its value there.

Per request: :meth:`Vault.load` reads and decrypts the scope's live entries into a
:class:`~airlock.transform.PseudonymMap` (the request's in-memory cache: restoring needs no
further reads), the operators issue new pseudonyms into it, and :meth:`Vault.save` writes
them in one transaction before the pseudonymised prompt leaves the gateway.
:meth:`Vault.transact` does the three with a retry when a concurrent request of the same
scope took the same number for another value.

Everything fails closed: no key, an unreachable database or a tampered entry raise a
:class:`~airlock.vault.errors.VaultError` (HTTP 503 with a ``vault_*`` code).
"""

from __future__ import annotations

import random
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import orjson

from airlock.transform.placeholders import PlaceholderFormat
from airlock.transform.pseudonymise import Pseudonym, PseudonymMap, RestoreFrom
from airlock.transform.redact import RedactionFormat
from airlock.transform.values import normalise_value
from airlock.vault.backends import SealedEntry, VaultBackend, open_backend
from airlock.vault.errors import VaultConflictError, VaultIntegrityError
from airlock.vault.keys import Keyring, load_keyring
from airlock.vault.settings import VaultSettings

__all__ = ["Vault", "entry_aad"]

T = TypeVar("T")

_ATTEMPTS = 5
#: striped locks serialise load → build → save per scope inside one process; across
#: replicas, conflicts are detected on insert and retried
_STRIPES = 64


def entry_aad(tenant: str, scope: str, placeholder: str, key_id: str) -> bytes:
    """Additional authenticated data of one entry (unambiguous: a JSON array)."""
    return b"airlock-vault-v1\0" + orjson.dumps([tenant, scope, placeholder, key_id])


def _parse_token(placeholder: str) -> tuple[str, int]:
    type_, _, n = placeholder.rpartition("_")
    if not type_ or not n.isascii() or not n.isdigit():
        raise VaultIntegrityError("a vault entry has a malformed placeholder")
    return type_, int(n)


class Vault:
    def __init__(
        self,
        backend: VaultBackend,
        settings: VaultSettings | None = None,
        *,
        keyring: Keyring | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings or VaultSettings()
        self.backend = backend
        self.format: PlaceholderFormat = self.settings.placeholders()
        self.redaction: RedactionFormat = self.settings.redactions()
        self._keyring = keyring
        self._environ = environ
        self._clock = clock
        self._last_purge = clock()
        self._locks = [threading.Lock() for _ in range(_STRIPES)]

    @classmethod
    def open(
        cls,
        settings: VaultSettings,
        store_url: str | None,
        data_dir: Path,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> Vault:
        """A vault in the gateway's database (``store.url``; default SQLite in ``data_dir``).
        Nothing is connected or read until first use."""
        backend = open_backend(store_url, data_dir, durability=settings.durability)
        return cls(backend, settings, environ=environ, clock=clock)

    # ------------------------------------------------------------------ keys
    @property
    def keyring(self) -> Keyring:
        """The configured keys, read on first use (raises ``vault_key_missing`` until set)."""
        if self._keyring is None:
            self._keyring = load_keyring(self.settings.key_env, self.settings.key_file, self._environ)
        return self._keyring

    # ------------------------------------------------------------------ per request
    def empty(self, tenant: str, scope: str, *, restore_from: RestoreFrom | None = None) -> PseudonymMap:
        """A map with no stored entries (a request-scoped conversation that needs no vault)."""
        return PseudonymMap(tenant, scope, self.format, restore_from=restore_from or self.settings.restore_from)

    def load(self, tenant: str, scope: str, *, restore_from: RestoreFrom | None = None) -> PseudonymMap:
        """The live pseudonyms of ``(tenant, scope)``, decrypted, as this request's map."""
        keyring = self.keyring
        entries: list[Pseudonym] = []
        for row in self.backend.load(tenant, scope, self._clock()):
            type_, n = _parse_token(row.placeholder)
            aad = entry_aad(tenant, scope, row.placeholder, row.key_id)
            entries.append(Pseudonym(type_, n, keyring.decrypt(row.key_id, row.nonce, row.ciphertext, aad)))
        return PseudonymMap(
            tenant, scope, self.format, entries, restore_from=restore_from or self.settings.restore_from
        )

    def save(self, pseudonyms: PseudonymMap) -> int:
        """Write the pseudonyms this request issued; returns how many. Raises
        :class:`VaultConflictError` if a concurrent request stored another value under one of
        the same placeholders (the caller reloads and redoes; :meth:`transact` does)."""
        new = pseudonyms.new
        if not new:
            return 0
        keyring = self.keyring
        now = self._clock()
        expires = now + self.settings.ttl
        sealed: list[SealedEntry] = []
        for p in new:
            key_id, nonce, ct = keyring.encrypt(
                p.original, entry_aad(pseudonyms.tenant, pseudonyms.scope, p.token, keyring.active.id)
            )
            sealed.append(SealedEntry(pseudonyms.tenant, pseudonyms.scope, p.token, key_id, nonce, ct, now, expires))
        blocked = self.backend.insert(sealed, now)
        if blocked:
            mine = {p.token: p for p in new}
            for row in blocked:
                theirs = keyring.decrypt(
                    row.key_id, row.nonce, row.ciphertext, entry_aad(row.tenant, row.scope, row.placeholder, row.key_id)
                )
                p = mine[row.placeholder]
                if normalise_value(p.type, theirs) != normalise_value(p.type, p.original):
                    raise VaultConflictError("a concurrent request issued the same placeholder; retry")
        pseudonyms.mark_saved()
        if now - self._last_purge >= self.settings.purge_every:
            self._last_purge = now
            self.backend.purge(now)
        return len(sealed) - len(blocked)

    def transact(
        self,
        tenant: str,
        scope: str,
        build: Callable[[PseudonymMap], T],
        *,
        restore_from: RestoreFrom | None = None,
    ) -> tuple[T, PseudonymMap]:
        """``load`` → ``build(map)`` → ``save`` as one step per scope in this process, redone
        (at most 5 times, with a short random pause) when another replica took the same
        number for another value.

        ``build`` must be a pure function of the map (e.g. a call to
        :func:`airlock.transform.transform`), since it may run more than once. Blocking: call
        it from a worker thread in async code.
        """
        lock = self._locks[zlib.crc32(f"{tenant}\0{scope}".encode()) % _STRIPES]
        for attempt in range(1, _ATTEMPTS + 1):
            with lock:
                pseudonyms = self.load(tenant, scope, restore_from=restore_from)
                result = build(pseudonyms)
                try:
                    self.save(pseudonyms)
                except VaultConflictError:
                    if attempt == _ATTEMPTS:
                        raise
                else:
                    return result, pseudonyms
            time.sleep(random.uniform(0.001, 0.005) * attempt)  # noqa: S311 - jitter, not crypto
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------------ maintenance
    def purge_expired(self) -> int:
        """Delete every expired entry (of all tenants); returns how many."""
        now = self._clock()
        self._last_purge = now
        return self.backend.purge(now)

    def ready(self) -> bool:
        """Key configured and database reachable (for ``/readyz``)."""
        try:
            self.keyring  # noqa: B018 - loads the key or raises
        except Exception:
            return False
        return self.backend.ping()

    def close(self) -> None:
        self.backend.close()

    def __repr__(self) -> str:
        return f"Vault(backend={type(self.backend).__name__}, format={self.format.template!r})"
