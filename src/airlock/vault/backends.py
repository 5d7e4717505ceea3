"""Where sealed vault entries live: the gateway's own database, SQLite or PostgreSQL.

The vault opens its own connections from the store URL (``sqlite:///path`` or
``postgresql://…?schema=name``) and creates its table if missing. Backends store only
sealed entries; they never see a key or an original. Each is connected lazily, so a vault
outage refuses the requests that need the vault and nothing else.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from airlock.vault.errors import VaultUnavailableError

__all__ = ["PostgresVaultBackend", "SQLiteVaultBackend", "SealedEntry", "VaultBackend", "open_backend"]


@dataclass(frozen=True, slots=True)
class SealedEntry:
    tenant: str
    scope: str
    #: the format-independent token, ``PERSON_1``
    placeholder: str
    key_id: str
    nonce: bytes
    ciphertext: bytes
    created_at: float
    expires_at: float


class VaultBackend(Protocol):
    def load(self, tenant: str, scope: str, now: float) -> list[SealedEntry]:
        """Live (unexpired) entries of one scope."""
        ...

    def insert(self, entries: Sequence[SealedEntry], now: float) -> list[SealedEntry]:
        """Insert in one transaction; an expired entry under the same key is overwritten.
        Returns the live entries that kept a placeholder from being inserted."""
        ...

    def purge(self, now: float) -> int: ...
    def ping(self) -> bool: ...
    def close(self) -> None: ...


_COLUMNS = "tenant, scope, placeholder, key_id, nonce, ciphertext, created_at, expires_at"
_UPSERT_TAIL = (
    "ON CONFLICT (tenant, scope, placeholder) DO UPDATE SET key_id = excluded.key_id, "
    "nonce = excluded.nonce, ciphertext = excluded.ciphertext, created_at = excluded.created_at, "
    "expires_at = excluded.expires_at WHERE vault_entries.expires_at <= {p} RETURNING placeholder"
)


def _insert_sql(entries: Sequence[SealedEntry], now: float, p: str) -> tuple[str, list[object]]:
    """One multi-row upsert; RETURNING lists the placeholders actually written."""
    row = "(" + ", ".join([p] * 8) + ")"
    sql = f"INSERT INTO vault_entries ({_COLUMNS}) VALUES " + ", ".join([row] * len(entries))  # noqa: S608
    args: list[object] = [v for e in entries for v in _values(e)]
    return sql + " " + _UPSERT_TAIL.format(p=p), [*args, now]


def _row(r: Sequence[Any]) -> SealedEntry:
    return SealedEntry(
        str(r[0]), str(r[1]), str(r[2]), str(r[3]), bytes(r[4]), bytes(r[5]), float(r[6]), float(r[7])
    )


def _values(e: SealedEntry) -> tuple[object, ...]:
    return (e.tenant, e.scope, e.placeholder, e.key_id, e.nonce, e.ciphertext, e.created_at, e.expires_at)


# ---------------------------------------------------------------------------- SQLite

_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS vault_entries (
    tenant TEXT NOT NULL,
    scope TEXT NOT NULL,
    placeholder TEXT NOT NULL,
    key_id TEXT NOT NULL,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (tenant, scope, placeholder)
);
CREATE INDEX IF NOT EXISTS vault_entries_expiry ON vault_entries (expires_at);
"""


class SQLiteVaultBackend:
    def __init__(self, path: str | Path, *, durability: str = "os") -> None:
        self.path = Path(path)
        self._synchronous = "FULL" if durability == "fsync" else "NORMAL"
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._ready = False

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
            conn.execute("PRAGMA busy_timeout=10000")
            if not self._ready:
                conn.executescript(_SQLITE_SCHEMA)
                self._ready = True
        except sqlite3.Error as exc:
            raise VaultUnavailableError(f"cannot open the vault database: {type(exc).__name__}") from None
        self._local.conn = conn
        with self._lock:
            self._all.append(conn)
        return conn

    def load(self, tenant: str, scope: str, now: float) -> list[SealedEntry]:
        try:
            rows = self._conn().execute(
                f"SELECT {_COLUMNS} FROM vault_entries WHERE tenant = ? AND scope = ? AND expires_at > ? "  # noqa: S608
                "ORDER BY placeholder",
                (tenant, scope, now),
            ).fetchall()
        except sqlite3.Error as exc:
            raise VaultUnavailableError(f"vault read failed: {type(exc).__name__}") from None
        return [_row(r) for r in rows]

    def insert(self, entries: Sequence[SealedEntry], now: float) -> list[SealedEntry]:
        if not entries:
            return []
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                sql, args = _insert_sql(entries, now, "?")
                written = {str(r[0]) for r in conn.execute(sql, args).fetchall()}
                blocked = [e for e in entries if e.placeholder not in written]
                rows = [
                    conn.execute(
                        f"SELECT {_COLUMNS} FROM vault_entries WHERE tenant = ? AND scope = ? AND placeholder = ?",  # noqa: S608
                        (e.tenant, e.scope, e.placeholder),
                    ).fetchone()
                    for e in blocked
                ]
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise VaultUnavailableError(f"vault write failed: {type(exc).__name__}") from None
        return [_row(r) for r in rows]

    def purge(self, now: float) -> int:
        try:
            return self._conn().execute("DELETE FROM vault_entries WHERE expires_at <= ?", (now,)).rowcount
        except sqlite3.Error as exc:
            raise VaultUnavailableError(f"vault purge failed: {type(exc).__name__}") from None

    def ping(self) -> bool:
        try:
            self._conn().execute("SELECT 1 FROM vault_entries LIMIT 1").fetchall()
        except (sqlite3.Error, VaultUnavailableError):
            return False
        return True

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._local = threading.local()


# ---------------------------------------------------------------------------- PostgreSQL

_PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS vault_entries (
    tenant TEXT NOT NULL, scope TEXT NOT NULL, placeholder TEXT NOT NULL, key_id TEXT NOT NULL,
    nonce BYTEA NOT NULL, ciphertext BYTEA NOT NULL,
    created_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (tenant, scope, placeholder));
CREATE INDEX IF NOT EXISTS vault_entries_expiry ON vault_entries (expires_at)
"""


def _split_url(url: str) -> tuple[str, str | None]:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    schema = query.pop("schema", None)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment)), schema


class PostgresVaultBackend:
    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise VaultUnavailableError(
                "the PostgreSQL vault needs the 'psycopg' package: pip install 'psycopg[binary]'"
            ) from None
        self._psycopg = psycopg
        self._dsn, self.schema = _split_url(url)
        if self.schema is not None and not self.schema.replace("_", "").isalnum():
            raise VaultUnavailableError("the schema name may contain only letters, digits and underscores")
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        self._ready = False

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None and not conn.closed:
            return conn
        try:
            conn = self._psycopg.connect(self._dsn, autocommit=True, connect_timeout=5)
            if not self._ready:
                # one creator at a time: concurrent CREATE ... IF NOT EXISTS can still collide
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(hashtext('airlock-vault-schema'))")
                    if self.schema:
                        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                        conn.execute(f'SET search_path TO "{self.schema}"')
                    for stmt in _PG_SCHEMA.split(";"):
                        conn.execute(stmt)
                self._ready = True
            if self.schema:
                conn.execute(f'SET search_path TO "{self.schema}"')
        except self._psycopg.Error as exc:
            raise VaultUnavailableError(f"cannot connect to the vault database: {type(exc).__name__}") from None
        self._local.conn = conn
        with self._lock:
            self._all.append(conn)
        return conn

    def _fail(self, what: str, exc: Exception) -> VaultUnavailableError:
        self._local.conn = None
        return VaultUnavailableError(f"vault {what} failed: {type(exc).__name__}")

    def load(self, tenant: str, scope: str, now: float) -> list[SealedEntry]:
        try:
            rows = self._conn().execute(
                f"SELECT {_COLUMNS} FROM vault_entries WHERE tenant = %s AND scope = %s AND expires_at > %s "  # noqa: S608
                "ORDER BY placeholder",
                (tenant, scope, now),
            ).fetchall()
        except self._psycopg.Error as exc:
            raise self._fail("read", exc) from None
        return [_row(r) for r in rows]

    def insert(self, entries: Sequence[SealedEntry], now: float) -> list[SealedEntry]:
        if not entries:
            return []
        conn = self._conn()
        try:
            with conn.transaction():
                sql, args = _insert_sql(entries, now, "%s")
                written = {str(r[0]) for r in conn.execute(sql, args).fetchall()}
                rows = [
                    conn.execute(
                        f"SELECT {_COLUMNS} FROM vault_entries "  # noqa: S608
                        "WHERE tenant = %s AND scope = %s AND placeholder = %s",
                        (e.tenant, e.scope, e.placeholder),
                    ).fetchone()
                    for e in entries
                    if e.placeholder not in written
                ]
        except self._psycopg.Error as exc:
            raise self._fail("write", exc) from None
        return [_row(r) for r in rows]

    def purge(self, now: float) -> int:
        try:
            return int(self._conn().execute("DELETE FROM vault_entries WHERE expires_at <= %s", (now,)).rowcount)
        except self._psycopg.Error as exc:
            raise self._fail("purge", exc) from None

    def ping(self) -> bool:
        try:
            self._conn().execute("SELECT 1 FROM vault_entries LIMIT 1").fetchall()
        except (self._psycopg.Error, VaultUnavailableError):
            self._local.conn = None
            return False
        return True

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                with contextlib.suppress(Exception):  # closing on shutdown is best effort
                    conn.close()
            self._all.clear()
        self._local = threading.local()


def open_backend(url: str | None, data_dir: Path, *, durability: str = "os") -> VaultBackend:
    """The backend for the store URL (default: ``airlock.db`` in the data directory)."""
    if url is None:
        return SQLiteVaultBackend(data_dir / "airlock.db", durability=durability)
    if url.startswith("sqlite:///"):
        return SQLiteVaultBackend(Path(url.removeprefix("sqlite:///")), durability=durability)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresVaultBackend(url)
    raise VaultUnavailableError(f"unsupported store URL scheme {url.split(':', 1)[0]!r} for the vault")
