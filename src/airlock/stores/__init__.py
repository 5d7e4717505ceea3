"""Stores: keys and the audit log (SQLite embedded default; PostgreSQL for many replicas)."""

from __future__ import annotations

from pathlib import Path

from airlock.errors import ConfigError
from airlock.stores.base import (
    GENESIS_HASH,
    AuditHasher,
    AuditRow,
    ChainHead,
    Checkpoint,
    KeyRecord,
    PendingAudit,
    Store,
    StoreError,
)
from airlock.stores.sqlite import SQLiteStore

__all__ = [
    "GENESIS_HASH",
    "AuditHasher",
    "AuditRow",
    "ChainHead",
    "Checkpoint",
    "KeyRecord",
    "PendingAudit",
    "SQLiteStore",
    "Store",
    "StoreError",
    "open_store",
]


def open_store(url: str | None, data_dir: Path, *, durability: str = "fsync") -> Store:
    """Open the store named by ``url`` (default: ``airlock.db`` in the data directory)."""
    if url is None:
        return SQLiteStore(data_dir / "airlock.db", durability=durability)
    if url.startswith("sqlite:///"):
        return SQLiteStore(Path(url.removeprefix("sqlite:///")), durability=durability)
    if url.startswith(("postgresql://", "postgres://")):
        from airlock.stores.postgres import PostgresStore

        return PostgresStore(url)
    raise ConfigError(f"store.url: unsupported scheme in {url.split(':', 1)[0]!r}; use sqlite:/// or postgresql://")
