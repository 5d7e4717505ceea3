"""Group-commit audit writer.

Requests hand their record to :meth:`AuditWriter.write` and await it; a single writer thread
drains whatever is queued, appends it to the chain in one transaction and resolves every
waiting request at once. The gateway awaits this before it finishes a response, so a
completed response always has a durable record. If the store fails, every waiter gets a
:class:`~airlock.stores.StoreError` and the gateway fails closed.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from concurrent.futures import Future
from datetime import UTC, datetime

from airlock.audit.chain import ChainHasher
from airlock.audit.signing import CheckpointSigner
from airlock.stores.base import AuditRow, Checkpoint, PendingAudit, Store, StoreError

__all__ = ["AuditWriter"]

log = logging.getLogger("airlock.audit")

_STOP = object()


class AuditWriter:
    def __init__(
        self,
        store: Store,
        signer: CheckpointSigner | None,
        *,
        batch_max: int = 256,
        checkpoint_every: int = 1000,
        checkpoint_interval: float = 10.0,
    ) -> None:
        self.store = store
        self.signer = signer
        self.hasher = ChainHasher()
        self.batch_max = batch_max
        self.checkpoint_every = checkpoint_every
        self.checkpoint_interval = checkpoint_interval
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._since_checkpoint = 0
        self._last_checkpoint = time.monotonic()
        self._last_row: AuditRow | None = None
        self.written = 0
        self.failures = 0

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="airlock-audit", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Flush what is queued, write a final checkpoint and stop the thread."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._thread = None
        self._checkpoint(force=True)

    # ------------------------------------------------------------------ API
    def submit(self, pending: PendingAudit) -> Future[AuditRow]:
        fut: Future[AuditRow] = Future()
        if self._thread is None:
            fut.set_exception(StoreError("audit writer is not running"))
            return fut
        self._queue.put((pending, fut))
        return fut

    async def write(self, pending: PendingAudit) -> AuditRow:
        return await asyncio.wrap_future(self.submit(pending))

    def write_sync(self, pending: PendingAudit) -> AuditRow:
        """Append immediately on the caller's thread (CLI and admin events)."""
        rows = self.store.append_audit([pending], self.hasher)
        return rows[0]

    # ------------------------------------------------------------------ thread
    def _run(self) -> None:
        stopping = False
        while not stopping:
            item = self._queue.get()
            if item is _STOP:
                break
            batch = [item]
            while len(batch) < self.batch_max:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stopping = True
                    break
                batch.append(nxt)
            self._flush(batch)  # type: ignore[arg-type]

    def _flush(self, batch: list[tuple[PendingAudit, Future[AuditRow]]]) -> None:
        try:
            rows = self.store.append_audit([p for p, _ in batch], self.hasher)
        except Exception as exc:
            self.failures += 1
            log.error("audit append failed: %s", type(exc).__name__)
            err = exc if isinstance(exc, StoreError) else StoreError(f"audit append failed: {type(exc).__name__}")
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(err)
            return
        for (_, fut), row in zip(batch, rows, strict=True):
            if not fut.done():
                fut.set_result(row)
        self.written += len(rows)
        self._since_checkpoint += len(rows)
        self._last_row = rows[-1]
        if self._since_checkpoint >= self.checkpoint_every or (
            time.monotonic() - self._last_checkpoint >= self.checkpoint_interval
        ):
            self._checkpoint()

    def _checkpoint(self, *, force: bool = False) -> None:
        if self.signer is None:
            return
        row = self._last_row if not force else self._head_row()
        if row is None or (self._since_checkpoint == 0 and not force):
            return
        try:
            self.store.add_checkpoint(
                Checkpoint(
                    seq=row.seq,
                    hash=row.hash,
                    ts=datetime.now(UTC).isoformat(timespec="milliseconds"),
                    key_id=self.signer.key_id,
                    signature=self.signer.sign(row.seq, row.hash),
                )
            )
        except Exception as exc:
            log.error("audit checkpoint failed: %s", type(exc).__name__)
            return
        self._since_checkpoint = 0
        self._last_checkpoint = time.monotonic()

    def _head_row(self) -> AuditRow | None:
        head = self.store.audit_head()
        if head is None:
            return None
        return AuditRow(head.seq, "", "", None, "", "", "", head.hash)
