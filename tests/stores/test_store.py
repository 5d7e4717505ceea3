"""The same store tests against SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from airlock.audit import ChainHasher
from airlock.stores import GENESIS_HASH, Checkpoint, KeyRecord, PendingAudit, SQLiteStore, Store


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        s: Store = SQLiteStore(tmp_path / "t.db")
    else:
        from airlock.stores.postgres import PostgresStore

        s = PostgresStore(request.getfixturevalue("pg_url"))
    yield s
    s.close()


def pending(i: int, tenant: str = "acme") -> PendingAudit:
    return PendingAudit(decision_id=f"dec_{i}", ts=f"2026-01-01T00:00:{i % 60:02d}.000+00:00", tenant=tenant,
                        kind="request", payload={"status": 200, "n": i})


def test_keys_roundtrip_and_revoke(store: Store) -> None:
    rec = KeyRecord("abcdef012345", "acme", "inference", "h" * 64, "2026-01-01T00:00:00+00:00", "ci")
    store.create_key(rec)
    assert store.get_key("abcdef012345") == rec
    assert store.get_key("000000000000") is None
    assert [k.key_id for k in store.list_keys("acme")] == ["abcdef012345"]
    assert store.list_keys("other") == []
    assert store.revoke_key("abcdef012345", "2026-01-02T00:00:00+00:00") is True
    assert store.revoke_key("abcdef012345", "2026-01-03T00:00:00+00:00") is False  # already revoked
    got = store.get_key("abcdef012345")
    assert got is not None and got.revoked_at == "2026-01-02T00:00:00+00:00" and not got.active


def test_audit_chain_links_records(store: Store) -> None:
    hasher = ChainHasher()
    rows = store.append_audit([pending(1), pending(2)], hasher)
    rows += store.append_audit([pending(3)], hasher)
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == GENESIS_HASH
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    head = store.audit_head()
    assert head is not None and (head.seq, head.hash) == (3, rows[2].hash)
    assert [r.seq for r in store.iter_audit(after_seq=1)] == [2, 3]
    assert store.audit_count() == 3


def test_audit_filters(store: Store) -> None:
    hasher = ChainHasher()
    store.append_audit([pending(1, "a"), pending(2, "b"), pending(3, "a")], hasher)
    assert [r.seq for r in store.iter_audit(tenant="a")] == [1, 3]
    assert [r.seq for r in store.iter_audit(since="2026-01-01T00:00:02")] == [2, 3]
    assert [r.seq for r in store.iter_audit(until="2026-01-01T00:00:02")] == [1]


def test_audit_by_decision(store: Store) -> None:
    hasher = ChainHasher()
    alert = PendingAudit(decision_id="dec_2", ts="2026-01-01T00:00:09.000+00:00", tenant="acme", kind="alert",
                         payload={"ledger_alert": {"kind": "threshold"}})
    store.append_audit([pending(1), pending(2), pending(3), alert], hasher)
    assert [(r.seq, r.kind) for r in store.audit_by_decision("dec_2")] == [(2, "request"), (4, "alert")]
    assert store.audit_by_decision("dec_404") == []


def test_concurrent_appends_stay_linear(store: Store) -> None:
    """Writers on several threads (standing in for replicas) never fork the chain."""
    hasher = ChainHasher()
    errors: list[BaseException] = []

    def writer(base: int) -> None:
        try:
            for i in range(25):
                store.append_audit([pending(base + i)], hasher)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k * 1000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    rows = list(store.iter_audit())
    assert [r.seq for r in rows] == list(range(1, 101))
    for prev, row in itertools.pairwise(rows):
        assert row.prev_hash == prev.hash


def test_checkpoints_and_meta(store: Store) -> None:
    cp = Checkpoint(5, "a" * 64, "2026-01-01T00:00:00+00:00", "kid", "sig")
    store.add_checkpoint(cp)
    store.add_checkpoint(cp)  # idempotent
    assert store.checkpoints() == [cp]
    assert store.get_meta("x") is None
    store.set_meta("x", "1")
    store.set_meta("x", "2")
    assert store.get_meta("x") == "2"
    assert store.ping()
