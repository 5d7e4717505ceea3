"""The hash chain: canonical serialisation and the chained digest of each record.

A record's stored ``body`` is its canonical JSON (keys sorted, no whitespace, UTF-8) and
includes its own ``seq`` and ``prev_hash``; its ``hash`` is
``sha256(prev_hash + "\\n" + body)``. Anyone holding the rows can recompute the chain, so an
edit, deletion, insertion or reorder shows up at the first record it touches; signed
checkpoints (see :mod:`airlock.audit.signing`) pin the chain so it cannot be rewritten
wholesale or truncated unnoticed.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from airlock.stores.base import PendingAudit

__all__ = ["ChainHasher", "canonical", "chain_hash"]


def canonical(obj: Any) -> str:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode("utf-8")


def chain_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


class ChainHasher:
    """Seals a pending record at its place in the chain."""

    def seal(self, pending: PendingAudit, seq: int, prev_hash: str) -> tuple[str, str]:
        record = dict(pending.payload)
        record.update(
            seq=seq,
            prev_hash=prev_hash,
            decision_id=pending.decision_id,
            ts=pending.ts,
            tenant=pending.tenant,
            kind=pending.kind,
        )
        body = canonical(record)
        return body, chain_hash(prev_hash, body)
