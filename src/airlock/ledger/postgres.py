"""The ledger tables in PostgreSQL (many gateway replicas, one database).

URL: ``postgresql://user@host:5432/db`` with an optional ``?schema=name`` (created if missing),
the same URL as ``store.url``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from airlock.ledger.store import LedgerStore, _Race
from airlock.stores.base import StoreError

__all__ = ["PostgresLedgerStore"]


def _split_url(url: str) -> tuple[str, str | None]:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    schema = query.pop("schema", None)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment)), schema


class PostgresLedgerStore(LedgerStore):
    _blob = "BYTEA"
    _bigint = "BIGINT"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise StoreError("the PostgreSQL ledger needs 'psycopg': pip install 'psycopg[binary]'") from None
        self._psycopg = psycopg
        self.url = url
        self._dsn, self.schema = _split_url(url)
        if self.schema is not None and not self.schema.replace("_", "").isalnum():
            raise StoreError("the schema name may contain only letters, digits and underscores")
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()
        try:
            with self._transaction() as conn:
                # one creator at a time when several replicas start together
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('airlock-ledger-schema'))")
                if self.schema:
                    conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                for stmt in self._schema():
                    conn.execute(stmt)
        except psycopg.Error as exc:
            raise StoreError(f"cannot initialise the PostgreSQL ledger tables: {type(exc).__name__}") from None

    def _q(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            try:
                conn = self._psycopg.connect(self._dsn, autocommit=True)
                if self.schema:
                    # the schema may not exist yet: search_path names it anyway, and the
                    # constructor creates it (under the advisory lock) before any table is used
                    conn.execute(f'SET search_path TO "{self.schema}"')
            except self._psycopg.Error as exc:
                raise StoreError(f"cannot connect to PostgreSQL: {type(exc).__name__}") from None
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        return conn

    @contextlib.contextmanager
    def _transaction(self, write: bool = True) -> Iterator[Any]:
        conn = self._conn()
        try:
            with conn.transaction():
                yield conn
        except self._psycopg.OperationalError:
            if conn.closed or conn.broken:
                self._local.conn = None
            raise

    def _errors(self) -> tuple[type[BaseException], ...]:
        return (self._psycopg.Error, _Race)

    def _retryable(self, exc: BaseException) -> bool:
        errors = self._psycopg.errors
        return isinstance(exc, _Race | errors.DeadlockDetected | errors.SerializationFailure | errors.UniqueViolation)

    def _wrap(self, exc: BaseException, what: str) -> StoreError:
        return StoreError(f"{what}: {type(exc).__name__}")

    def close(self) -> None:
        with self._lock:
            for conn in self._opened:
                with contextlib.suppress(Exception):
                    conn.close()
            self._opened.clear()
        self._local = threading.local()

    def drop_tables(self) -> None:
        """Tests: remove the ledger tables from this schema."""
        with self._transaction() as conn:
            for table in ("ledger_subjects", "ledger_flows", "ledger_totals"):
                conn.execute(f"DROP TABLE IF EXISTS {table}")


