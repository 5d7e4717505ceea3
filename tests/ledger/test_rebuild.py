"""Rebuild from audited outcomes equals the live ledger — in any record order, on both stores."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from airlock.config import Config
from airlock.ledger import Ledger, LedgerRefusedError
from airlock.ledger.rebuild import compare, replay
from airlock.ledger.store import LedgerStore, Totals
from tests.ledger.pii import find, phone, resident_id

MakeLedger = Callable[..., tuple[Ledger, Config]]
T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def _text(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randrange(1, 4)):
        n = rng.randrange(40)
        line = f"customer {phone(n)}"
        if rng.random() < 0.3:
            line += f" ID {resident_id(n)}"
        if rng.random() < 0.2:
            line += f" mail c{n}@example.com"
        if rng.random() < 0.1:
            line += " diabetes"
        lines.append(line)
    return "\n\n".join(lines)


def _record(ledger: Ledger, config: Config, text: str, at: datetime, purpose: str | None = None) -> dict[str, Any]:
    tenant = config.tenants[0]
    subjects = ledger.subjects(tenant, [("m", text)], find(text, "m"))
    try:
        out = ledger.record(tenant=tenant, deployment=config.deployments[0], subjects=subjects, purpose=purpose,
                            decision_id="d", at=at)
    except LedgerRefusedError as exc:
        return exc.outcome.to_audit()
    return out.to_audit()


def test_rebuild_equals_live_in_any_order(make_ledger: MakeLedger, ledger_store: LedgerStore) -> None:
    ledger, config = make_ledger()
    rng = random.Random(7)
    payloads = [("transfer", _record(ledger, config, _text(rng), T0 + timedelta(days=i * 3),
                                     purpose="hr_management" if i % 9 == 0 else None)) for i in range(60)]
    # near midnight on 1 January (Shanghai): recorded in both years
    payloads.append(("transfer", _record(ledger, config, phone(99), datetime(2026, 12, 31, 15, 59, 30, tzinfo=UTC))))
    ledger_store.adjust("acme", 2026, 2, 500, 5)
    payloads.append(("adjustment", {"tenant": "acme", "period": 2026, "month": 2, "persons": 500,
                                    "sensitive_persons": 5}))
    rebuilt = replay(payloads)
    assert rebuilt.transfers == 61 and rebuilt.adjustments == 1 and rebuilt.orphans == 0
    assert set(rebuilt.periods) == {("acme", 2026), ("acme", 2027)}
    assert compare(ledger_store, rebuilt) == []
    rng.shuffle(payloads)
    assert compare(ledger_store, replay(payloads)) == []


def test_concurrent_writers_rebuild_exactly(make_ledger: MakeLedger, ledger_store: LedgerStore) -> None:
    """Audit order differs from commit order under concurrency; the rebuild is still equal."""
    ledger, config = make_ledger()
    outcomes: list[dict[str, Any]] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        rng = random.Random(w)
        for i in range(10):
            out = _record(ledger, config, _text(rng), T0 + timedelta(minutes=i))
            with lock:
                outcomes.append(out)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rng = random.Random(0)
    rng.shuffle(outcomes)
    rebuilt = replay(("transfer", o) for o in outcomes)
    assert compare(ledger_store, rebuilt) == []
    assert rebuilt.state("acme", 2026).person_count() == ledger_store.person_count("acme", 2026)


def test_refused_transfers_are_not_replayed(make_ledger: MakeLedger, ledger_store: LedgerStore) -> None:
    ledger, config = make_ledger({"mode": "enforce"})
    payloads = [("transfer", _record(ledger, config, phone(1), T0)),
                ("transfer", _record(ledger, config, resident_id(2), T0))]
    rebuilt = replay(payloads)
    assert (rebuilt.transfers, rebuilt.refused) == (1, 1)
    assert compare(ledger_store, rebuilt) == []


def test_a_missing_audit_record_shows_up(make_ledger: MakeLedger, ledger_store: LedgerStore) -> None:
    ledger, config = make_ledger()
    payloads = [("transfer", _record(ledger, config, phone(n), T0)) for n in range(3)]
    mismatches = compare(ledger_store, replay(payloads[:-1]))
    assert {m.what for m in mismatches} == {"totals", "persons", "flows"}


def test_apply_restores_lost_tables(make_ledger: MakeLedger, ledger_store: LedgerStore) -> None:
    ledger, config = make_ledger()
    rng = random.Random(3)
    payloads = [("transfer", _record(ledger, config, _text(rng), T0)) for _ in range(20)]
    live_totals = ledger_store.totals("acme", 2026)
    ledger_store.replace("acme", 2026, subjects=[], flows=[], totals=Totals())  # the tables are lost
    assert ledger_store.totals("acme", 2026) == Totals()
    rebuilt = replay(payloads)
    st = rebuilt.state("acme", 2026)
    ledger_store.replace("acme", 2026, subjects=st.person_rows(), flows=st.flow_list(), totals=st.totals_value())
    assert ledger_store.totals("acme", 2026) == live_totals
    assert compare(ledger_store, rebuilt) == []
    # and recording continues on the rebuilt tables: known people are still known
    assert _record(ledger, config, _text(random.Random(3)), T0)["periods"][0]["delta"][0] == 0
