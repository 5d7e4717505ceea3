"""PostgreSQL store: one database shared by many gateway replicas.

Same interface and same tests as the SQLite store. Audit appends from every replica go into
one chain: each append transaction takes a transaction-scoped advisory lock, reads the head
and inserts its batch, so the chain stays linear without read-modify-write races. Key lookups
are cached for a second and invalidated at once through ``LISTEN/NOTIFY`` when any replica
creates or revokes a key.

URL: ``postgresql://user@host:5432/db`` with an optional ``?schema=name`` (created if
missing) to keep Airlock's tables apart.
"""

from __future__ import annotations

import contextlib
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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

__all__ = ["PostgresStore"]

_KEY_CACHE_TTL = 1.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, scope TEXT NOT NULL, secret_hash TEXT NOT NULL,
    name TEXT, created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS audit (
    seq BIGINT PRIMARY KEY, decision_id TEXT NOT NULL, ts TEXT NOT NULL, tenant TEXT, kind TEXT NOT NULL,
    body TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
CREATE INDEX IF NOT EXISTS audit_decision ON audit (decision_id);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    seq BIGINT PRIMARY KEY, hash TEXT NOT NULL, ts TEXT NOT NULL, key_id TEXT NOT NULL, signature TEXT NOT NULL);
"""

_KEY_COLUMNS = "key_id, tenant, scope, secret_hash, created_at, name, revoked_at"


def _split_url(url: str) -> tuple[str, str | None]:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    schema = query.pop("schema", None)
    clean = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
    return clean, schema


class PostgresStore:
    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise StoreError("PostgreSQL store needs the 'psycopg' package: pip install 'psycopg[binary]'") from None
        self._psycopg = psycopg
        self.url = url
        self._dsn, self.schema = _split_url(url)
        if self.schema is not None and not self.schema.replace("_", "").isalnum():
            raise StoreError("the schema name may contain only letters, digits and underscores")
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, KeyRecord | None]] = {}
        self._lock_id = zlib.crc32(f"airlock-audit:{self.schema or 'public'}".encode())
        self._channel = f"airlock_keys_{self.schema or 'public'}"
        conn = self._conn()
        try:
            with conn.transaction():
                if self.schema:
                    # one creator at a time when several replicas start together
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_id,))
                    conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                else:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_id,))
                for stmt in filter(None, (s.strip() for s in _SCHEMA.split(";"))):
                    conn.execute(stmt)
        except psycopg.Error as exc:
            raise StoreError(f"cannot initialise PostgreSQL store: {type(exc).__name__}") from None
        self._closed = threading.Event()
        self._listener = threading.Thread(target=self._listen, name="airlock-pg-keys", daemon=True)
        self._listener.start()

    # ------------------------------------------------------------------ plumbing
    def _connect(self) -> Any:
        conn = self._psycopg.connect(self._dsn, autocommit=True)
        if self.schema:
            conn.execute(f'SET search_path TO "{self.schema}"')
        return conn

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            try:
                conn = self._connect()
            except self._psycopg.Error as exc:
                raise StoreError(f"cannot connect to PostgreSQL: {type(exc).__name__}") from None
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _fetchall(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return list(self._conn().execute(sql, args).fetchall())
        except self._psycopg.Error as exc:
            self._local.conn = None
            raise StoreError(f"store read failed: {type(exc).__name__}") from None

    def _execute(self, sql: str, args: Sequence[object] = ()) -> int:
        try:
            return int(self._conn().execute(sql, args).rowcount)
        except self._psycopg.Error as exc:
            self._local.conn = None
            raise StoreError(f"store write failed: {type(exc).__name__}") from None

    def _listen(self) -> None:
        while not self._closed.is_set():
            try:
                conn = self._connect()
                conn.execute(f'LISTEN "{self._channel}"')
                self._cache.clear()
                while not self._closed.is_set():
                    for note in conn.notifies(timeout=1.0):
                        self._cache.pop(note.payload, None)
                conn.close()
            except Exception:
                self._cache.clear()
                self._closed.wait(1.0)

    def _notify(self, key_id: str) -> None:
        self._cache.pop(key_id, None)
        self._execute("SELECT pg_notify(%s, %s)", (self._channel, key_id))

    # ------------------------------------------------------------------ keys
    def create_key(self, record: KeyRecord) -> None:
        self._execute(
            f"INSERT INTO api_keys ({_KEY_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
            (
                record.key_id, record.tenant, record.scope, record.secret_hash,
                record.created_at, record.name, record.revoked_at,
            ),
        )
        self._notify(record.key_id)

    def get_key(self, key_id: str) -> KeyRecord | None:
        hit = self._cache.get(key_id)
        now = time.monotonic()
        if hit is not None and now - hit[0] < _KEY_CACHE_TTL:
            return hit[1]
        rows = self._fetchall(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_id = %s", (key_id,))  # noqa: S608
        record = KeyRecord(*rows[0]) if rows else None
        self._cache[key_id] = (now, record)
        return record

    def list_keys(self, tenant: str | None = None) -> list[KeyRecord]:
        if tenant is None:
            rows = self._fetchall(f"SELECT {_KEY_COLUMNS} FROM api_keys ORDER BY created_at, key_id")  # noqa: S608
        else:
            rows = self._fetchall(
                f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE tenant = %s ORDER BY created_at, key_id",  # noqa: S608
                (tenant,),
            )
        return [KeyRecord(*r) for r in rows]

    def revoke_key(self, key_id: str, when: str) -> bool:
        changed = self._execute(
            "UPDATE api_keys SET revoked_at = %s WHERE key_id = %s AND revoked_at IS NULL", (when, key_id)
        )
        self._notify(key_id)
        return changed > 0

    # ------------------------------------------------------------------ audit
    def append_audit(self, records: Sequence[PendingAudit], hasher: AuditHasher) -> list[AuditRow]:
        if not records:
            return []
        conn = self._conn()
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_id,))
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
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO audit (seq, decision_id, ts, tenant, kind, body, prev_hash, hash) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                        [(r.seq, r.decision_id, r.ts, r.tenant, r.kind, r.body, r.prev_hash, r.hash) for r in rows],
                    )
        except self._psycopg.Error as exc:
            self._local.conn = None
            raise StoreError(f"audit append failed: {type(exc).__name__}") from None
        return rows

    def audit_head(self) -> ChainHead | None:
        rows = self._fetchall("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        return ChainHead(int(rows[0][0]), str(rows[0][1])) if rows else None

    def iter_audit(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        after_seq: int = 0,
        tenant: str | None = None,
    ) -> Iterator[AuditRow]:
        clauses = ["seq > %s"]
        args: list[object] = [after_seq]
        if since is not None:
            clauses.append("ts >= %s")
            args.append(since)
        if until is not None:
            clauses.append("ts < %s")
            args.append(until)
        if tenant is not None:
            clauses.append("tenant = %s")
            args.append(tenant)
        where = " AND ".join(clauses)  # fixed strings; values are bound parameters
        sql = f"SELECT seq, decision_id, ts, tenant, kind, body, prev_hash, hash FROM audit WHERE {where} ORDER BY seq"  # noqa: S608
        # a reader connection kept per thread (opening one costs 20-30 ms); a nested iteration on
        # the same thread gets a fresh one
        conn = self._idle_readers().pop() if self._idle_readers() else self._connect()
        reusable = True
        try:
            with conn.transaction(), conn.cursor(name="airlock_audit_iter") as cur:
                cur.itersize = 2000
                cur.execute(sql, args)
                for row in cur:
                    yield AuditRow(int(row[0]), *row[1:])
        except self._psycopg.Error as exc:
            reusable = False
            raise StoreError(f"audit read failed: {type(exc).__name__}") from None
        except BaseException:
            reusable = False  # abandoned mid-iteration: the server-side cursor state is unknown
            raise
        finally:
            if reusable and not conn.closed and len(self._idle_readers()) < 2:
                self._idle_readers().append(conn)
            else:
                conn.close()

    def _idle_readers(self) -> list[Any]:
        readers: list[Any] | None = getattr(self._local, "readers", None)
        if readers is None:
            readers = self._local.readers = []
        return readers

    def audit_count(self) -> int:
        rows = self._fetchall("SELECT count(*) FROM audit")
        return int(rows[0][0])

    def audit_by_decision(self, decision_id: str) -> list[AuditRow]:
        rows = self._fetchall(
            "SELECT seq, decision_id, ts, tenant, kind, body, prev_hash, hash FROM audit "
            "WHERE decision_id = %s ORDER BY seq",
            (decision_id,),
        )
        return [AuditRow(int(r[0]), *r[1:]) for r in rows]

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        self._execute(
            "INSERT INTO audit_checkpoints (seq, hash, ts, key_id, signature) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (seq) DO UPDATE SET hash = excluded.hash, ts = excluded.ts, "
            "key_id = excluded.key_id, signature = excluded.signature",
            (checkpoint.seq, checkpoint.hash, checkpoint.ts, checkpoint.key_id, checkpoint.signature),
        )

    def checkpoints(self) -> list[Checkpoint]:
        rows = self._fetchall("SELECT seq, hash, ts, key_id, signature FROM audit_checkpoints ORDER BY seq")
        return [Checkpoint(int(r[0]), *r[1:]) for r in rows]

    # ------------------------------------------------------------------ meta
    def get_meta(self, key: str) -> str | None:
        rows = self._fetchall("SELECT value FROM meta WHERE key = %s", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._execute(
            "INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def ping(self) -> bool:
        try:
            return bool(self._fetchall("SELECT 1"))
        except StoreError:
            return False

    def close(self) -> None:
        self._closed.set()
        for conn in getattr(self._local, "readers", []):
            with contextlib.suppress(Exception):
                conn.close()
        with self._lock:
            for conn in self._all:
                with contextlib.suppress(Exception):  # closing on shutdown is best effort
                    conn.close()
            self._all.clear()
        self._local = threading.local()

    def drop_schema(self) -> None:
        """Tests: remove this store's schema and everything in it."""
        if not self.schema:
            raise StoreError("refusing to drop the public schema")
        self.close()
        conn = self._psycopg.connect(self._dsn, autocommit=True)
        try:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        finally:
            conn.close()
