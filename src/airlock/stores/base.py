"""The store interface: keys and the audit log behind one protocol.

SQLite (embedded default, WAL) and PostgreSQL implement the same methods, so callers never
know which one they talk to. Methods are synchronous: SQLite calls take microseconds and run
on the caller's thread; the audit writer batches appends on its own thread.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = [
    "GENESIS_HASH",
    "AuditHasher",
    "AuditRow",
    "ChainHead",
    "Checkpoint",
    "KeyRecord",
    "PendingAudit",
    "Store",
    "StoreError",
]


#: ``prev_hash`` of the first record in a chain
GENESIS_HASH = "0" * 64


class StoreError(Exception):
    """The store is unreachable or refused a write (the gateway fails closed on it)."""


@dataclass(frozen=True, slots=True)
class KeyRecord:
    key_id: str
    tenant: str
    scope: str  # "inference" | "admin"
    secret_hash: str
    created_at: str
    name: str | None = None
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One stored audit record: the canonical JSON body plus its place in the chain."""

    seq: int
    decision_id: str
    ts: str
    tenant: str | None
    kind: str
    body: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainHead:
    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    hash: str
    ts: str
    key_id: str
    signature: str


@dataclass(frozen=True, slots=True)
class PendingAudit:
    """An audit record waiting for its place in the chain (seq and hashes are assigned by
    :meth:`Store.append_audit` inside the write transaction)."""

    decision_id: str
    ts: str
    tenant: str | None
    kind: str
    payload: dict[str, object]


@runtime_checkable
class Store(Protocol):
    url: str

    # -- keys
    def create_key(self, record: KeyRecord) -> None: ...
    def get_key(self, key_id: str) -> KeyRecord | None: ...
    def list_keys(self, tenant: str | None = None) -> list[KeyRecord]: ...
    def revoke_key(self, key_id: str, when: str) -> bool: ...

    # -- audit
    def append_audit(
        self, records: Sequence[PendingAudit], hasher: AuditHasher
    ) -> list[AuditRow]:
        """Append in one transaction, chained after the current head (serialised across
        processes by the store's write lock)."""
        ...

    def audit_head(self) -> ChainHead | None: ...
    def iter_audit(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        after_seq: int = 0,
        tenant: str | None = None,
    ) -> Iterator[AuditRow]: ...
    def audit_count(self) -> int: ...
    def audit_by_decision(self, decision_id: str) -> list[AuditRow]:
        """Every record carrying ``decision_id`` (the request and any alert it raised), by seq."""
        ...

    def add_checkpoint(self, checkpoint: Checkpoint) -> None: ...
    def checkpoints(self) -> list[Checkpoint]: ...

    # -- meta
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def ping(self) -> bool: ...
    def close(self) -> None: ...


class AuditHasher(Protocol):
    """Turns a pending record into its canonical body and chain hash."""

    def seal(self, pending: PendingAudit, seq: int, prev_hash: str) -> tuple[str, str]:
        """Return ``(canonical_body, hash)`` for ``pending`` placed at ``seq`` after ``prev_hash``."""
        ...
