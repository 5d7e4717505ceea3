"""The ledger tables in the gateway's SQLite file (the embedded default)."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from airlock.ledger.store import LedgerStore, _Race
from airlock.stores.base import StoreError

__all__ = ["SQLiteLedgerStore"]


class SQLiteLedgerStore(LedgerStore):
    """The ledger tables in the gateway's SQLite file.

    Writers of one process queue on a lock (a fast hand-over) instead of SQLite's sleeping
    busy handler; other processes still serialise on ``BEGIN IMMEDIATE``. The write-ahead log
    is checkpointed by a background thread (``PASSIVE``, never blocking a writer), so no
    recording pays for a checkpoint.
    """

    def __init__(self, path: str | Path, *, durability: str = "fsync", checkpoint_every: float = 1.0) -> None:
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        self._synchronous = "FULL" if durability == "fsync" else "NORMAL"
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = threading.Event()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._transaction() as conn:
                for stmt in self._schema():
                    conn.execute(stmt)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the ledger tables in {self.path}: {exc}") from None
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, args=(checkpoint_every,), name="airlock-ledger-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA wal_autocheckpoint=0")  # the background thread checkpoints
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        return conn

    def _checkpoint_loop(self, every: float) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=1.0)
        try:
            while not self._closed.wait(every):
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()

    @contextlib.contextmanager
    def _transaction(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        if write:
            self._write_lock.acquire()
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
        finally:
            if write:
                self._write_lock.release()

    def _errors(self) -> tuple[type[BaseException], ...]:
        return (sqlite3.Error, _Race)

    def _wrap(self, exc: BaseException, what: str) -> StoreError:
        return StoreError(f"{what}: {exc}")

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            for conn in self._opened:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._opened.clear()
        self._local = threading.local()


