"""``airlock audit verify``: walk the chain and name the first record that does not fit."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from airlock.audit.chain import chain_hash
from airlock.audit.signing import CheckpointVerifier
from airlock.stores.base import GENESIS_HASH, Store

__all__ = ["VerifyResult", "verify_chain"]

_COLUMNS = ("decision_id", "ts", "tenant", "kind")


@dataclass
class VerifyResult:
    ok: bool
    records: int
    checkpoints: int
    first_bad_seq: int | None = None
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "records": self.records,
            "checkpoints_verified": self.checkpoints,
            "first_bad_seq": self.first_bad_seq,
            "reason": self.reason,
            "warnings": self.warnings,
        }


def verify_chain(store: Store, verifier: CheckpointVerifier | None = None) -> VerifyResult:
    checkpoints = store.checkpoints()
    wanted = {cp.seq: cp for cp in checkpoints}
    seen: dict[int, str] = {}
    prev = GENESIS_HASH
    expected = 1
    count = 0

    def bad(seq: int, reason: str) -> VerifyResult:
        return VerifyResult(False, count, 0, seq, reason)

    for row in store.iter_audit():
        if row.seq != expected:
            missing = f"{expected}" if row.seq == expected + 1 else f"{expected}..{row.seq - 1}"
            return bad(row.seq, f"record(s) {missing} missing before this one (deleted)")
        if row.prev_hash != prev:
            return bad(row.seq, "prev_hash does not match the previous record (inserted, deleted or reordered)")
        if chain_hash(prev, row.body) != row.hash:
            return bad(row.seq, "content does not match its hash (edited)")
        try:
            body = orjson.loads(row.body)
        except orjson.JSONDecodeError:
            return bad(row.seq, "body is not valid JSON (edited)")
        if body.get("seq") != row.seq or body.get("prev_hash") != row.prev_hash:
            return bad(row.seq, "record sits at the wrong position in the chain (moved or reordered)")
        for col in _COLUMNS:
            if body.get(col) != getattr(row, col):
                return bad(row.seq, f"column {col!r} differs from the sealed record (edited)")
        if row.seq in wanted:
            seen[row.seq] = row.hash
        prev = row.hash
        expected += 1
        count += 1

    verified = 0
    warnings: list[str] = []
    for cp in checkpoints:
        if cp.seq > count:
            return VerifyResult(
                False, count, verified, count + 1,
                f"checkpoint at seq {cp.seq} but the chain ends at {count} (records removed from the end)",
            )
        if seen.get(cp.seq) != cp.hash:
            return VerifyResult(False, count, verified, cp.seq, "checkpoint hash does not match the record (rewritten)")
        if verifier is None:
            continue
        if not verifier.verify(cp.seq, cp.hash, cp.key_id, cp.signature):
            return VerifyResult(
                False, count, verified, cp.seq,
                f"checkpoint signature invalid or signed by an unknown key ({cp.key_id})",
            )
        verified += 1
    if verifier is None and checkpoints:
        warnings.append("no public key available: checkpoint signatures were not checked")
    if count and not checkpoints:
        warnings.append("no signed checkpoint yet: the chain is verified but not pinned")
    elif checkpoints and checkpoints[-1].seq < count:
        unsigned = count - checkpoints[-1].seq
        warnings.append(f"{unsigned} record(s) after the last checkpoint are chained but not yet signed")
    return VerifyResult(True, count, verified, None, None, warnings)
