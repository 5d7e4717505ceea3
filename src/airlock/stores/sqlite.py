"""SQLite store: the embedded default (WAL mode, one file in the data directory).

Each thread gets its own connection. Writers serialise on SQLite's own lock
(``BEGIN IMMEDIATE``), so several processes sharing one file (the server and the CLI, or a
few workers) append to a single, consistent audit chain.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from airlock.stores.base import (
    GENESIS_HASH,
    AuditHasher,
    AuditRow,
    ChainHead,
    Checkpoint,
    KeyRecord,
    PendingAudit,
    StoreError,
)

__all__ = ["SQLiteStore"]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    scope TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    name TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    decision_id TEXT NOT NULL,
    ts TEXT NOT NULL,
    tenant TEXT,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
CREATE INDEX IF NOT EXISTS audit_decision ON audit (decision_id);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    seq INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    ts TEXT NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL
);
"""


class SQLiteStore:
    def __init__(self, path: str | Path, *, durability: str = "fsync") -> None:
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        self._synchronous = "FULL" if durability == "fsync" else "NORMAL"
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._conn()
            conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite store at {self.path}: {exc}") from None

    # ------------------------------------------------------------------ plumbing
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _fetchone(self, sql: str, args: tuple[object, ...] = ()) -> tuple[object, ...] | None:
        try:
            row: tuple[object, ...] | None = self._conn().execute(sql, args).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"store read failed: {exc}") from None
        return row

    def _execute(self, sql: str, args: tuple[object, ...] = ()) -> int:
        try:
            cur = self._conn().execute(sql, args)
        except sqlite3.Error as exc:
            raise StoreError(f"store write failed: {exc}") from None
        return cur.rowcount

    # ------------------------------------------------------------------ keys
    def create_key(self, record: KeyRecord) -> None:
        self._execute(
            "INSERT INTO api_keys (key_id, tenant, scope, secret_hash, name, created_at, revoked_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                record.key_id,
                record.tenant,
                record.scope,
                record.secret_hash,
                record.name,
                record.created_at,
                record.revoked_at,
            ),
        )

    def get_key(self, key_id: str) -> KeyRecord | None:
        row = self._fetchone(
            "SELECT key_id, tenant, scope, secret_hash, created_at, name, revoked_at "
            "FROM api_keys WHERE key_id = ?",
            (key_id,),
        )
        return KeyRecord(*row) if row else None  # type: ignore[arg-type]

    def list_keys(self, tenant: str | None = None) -> list[KeyRecord]:
        sql = "SELECT key_id, tenant, scope, secret_hash, created_at, name, revoked_at FROM api_keys"
        args: tuple[object, ...] = ()
        if tenant is not None:
            sql += " WHERE tenant = ?"
            args = (tenant,)
        sql += " ORDER BY created_at, key_id"
        try:
            rows = self._conn().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"store read failed: {exc}") from None
        return [KeyRecord(*r) for r in rows]

    def revoke_key(self, key_id: str, when: str) -> bool:
        changed = self._execute(
            "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", (when, key_id)
        )
        return changed > 0

    # ------------------------------------------------------------------ audit
    def append_audit(self, records: Sequence[PendingAudit], hasher: AuditHasher) -> list[AuditRow]:
        if not records:
            return []
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                head = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
                seq, prev = (int(head[0]), str(head[1])) if head else (0, GENESIS_HASH)
                rows: list[AuditRow] = []
                for pending in records:
                    seq += 1
                    body, digest = hasher.seal(pending, seq, prev)
                    rows.append(
                        AuditRow(seq, pending.decision_id, pending.ts, pending.tenant, pending.kind, body, prev, digest)
                    )
                    prev = digest
                conn.executemany(
                    "INSERT INTO audit (seq, decision_id, ts, tenant, kind, body, prev_hash, hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(r.seq, r.decision_id, r.ts, r.tenant, r.kind, r.body, r.prev_hash, r.hash) for r in rows],
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"audit append failed: {exc}") from None
        return rows

    def audit_head(self) -> ChainHead | None:
        row = self._fetchone("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        return ChainHead(int(row[0]), str(row[1])) if row else None  # type: ignore[call-overload]

    def iter_audit(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        after_seq: int = 0,
        tenant: str | None = None,
    ) -> Iterator[AuditRow]:
        clauses = ["seq > ?"]
        args: list[object] = [after_seq]
        if since is not None:
            clauses.append("ts >= ?")
            args.append(since)
        if until is not None:
            clauses.append("ts < ?")
            args.append(until)
        if tenant is not None:
            clauses.append("tenant = ?")
            args.append(tenant)
        # clauses are fixed strings; values are bound parameters
        where = " AND ".join(clauses)
        sql = f"SELECT seq, decision_id, ts, tenant, kind, body, prev_hash, hash FROM audit WHERE {where} ORDER BY seq"  # noqa: S608
        # a private connection, so a long export does not hold the caller's connection
        conn = sqlite3.connect(self.path, check_same_thread=False)
        try:
            for row in conn.execute(sql, args):
                yield AuditRow(*row)
        except sqlite3.Error as exc:
            raise StoreError(f"audit read failed: {exc}") from None
        finally:
            conn.close()

    def audit_count(self) -> int:
        row = self._fetchone("SELECT count(*) FROM audit")
        return int(row[0]) if row else 0  # type: ignore[call-overload]

    def audit_by_decision(self, decision_id: str) -> list[AuditRow]:
        try:
            rows = self._conn().execute(
                "SELECT seq, decision_id, ts, tenant, kind, body, prev_hash, hash FROM audit "
                "WHERE decision_id = ? ORDER BY seq",
                (decision_id,),
            ).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"audit read failed: {exc}") from None
        return [AuditRow(*r) for r in rows]

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        self._execute(
            "INSERT OR REPLACE INTO audit_checkpoints (seq, hash, ts, key_id, signature) VALUES (?, ?, ?, ?, ?)",
            (checkpoint.seq, checkpoint.hash, checkpoint.ts, checkpoint.key_id, checkpoint.signature),
        )

    def checkpoints(self) -> list[Checkpoint]:
        try:
            rows = self._conn().execute(
                "SELECT seq, hash, ts, key_id, signature FROM audit_checkpoints ORDER BY seq"
            ).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"store read failed: {exc}") from None
        return [Checkpoint(*r) for r in rows]

    # ------------------------------------------------------------------ meta
    def get_meta(self, key: str) -> str | None:
        row = self._fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def ping(self) -> bool:
        try:
            return self._fetchone("SELECT 1") is not None
        except StoreError:
            return False

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._local = threading.local()
