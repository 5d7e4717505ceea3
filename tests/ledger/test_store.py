"""Ledger tables on SQLite and PostgreSQL: what a transfer changes, exactness under 16 writers."""

from __future__ import annotations

import multiprocessing
import random
import threading
from collections.abc import Sequence

import pytest

from airlock.ledger.postgres import PostgresLedgerStore
from airlock.ledger.sqlite import SQLiteLedgerStore
from airlock.ledger.store import COUNTED, Delta, LedgerStore, PeriodResult, Totals, Transfer
from airlock.ledger.subjects import Subject


def h(n: int) -> bytes:
    return n.to_bytes(16, "big")


def subj(n: int, *, anchored: bool = True, sensitive: bool = False, also: Sequence[int] = (),
         cats: tuple[str, ...] = ()) -> Subject:
    ids = tuple(sorted({h(n), *(h(a) for a in also)}))
    categories = cats or (("specific_identity",) if sensitive else ())
    return Subject(h(n), ids, (), anchored, sensitive, categories)


def transfer(*subjects: Subject, period: int = 2026, month: int = 3, exempt: dict[str, int] | None = None,
             tenant: str = "acme") -> Transfer:
    return Transfer(tenant, ((period, month),), "abroad", "US", list(subjects), exempt or {})


def one(results: list[PeriodResult]) -> PeriodResult:
    assert len(results) == 1
    return results[0]


def test_new_repeat_and_sensitive_upgrade(ledger_store: LedgerStore) -> None:
    r = one(ledger_store.record(transfer(subj(1), subj(2, sensitive=True))))
    assert r.delta == Delta(2, 1, 2, 1) and r.totals == Totals(2, 1, 2, 1) and r.before == Totals()
    r = one(ledger_store.record(transfer(subj(1), subj(2))))  # the same people again: nothing new
    assert r.delta == Delta() and r.totals.persons == 2
    r = one(ledger_store.record(transfer(subj(1, sensitive=True, cats=("financial_account",)))))
    assert r.delta == Delta(0, 1, 0, 1) and r.resolved[0].became_sensitive
    r = one(ledger_store.record(transfer(subj(1, sensitive=True, cats=("medical_health",)))))
    assert r.delta == Delta()  # already sensitive: counted once
    assert ledger_store.person_count("acme", 2026) == (2, 2)
    assert ledger_store.category_counts("acme", 2026) == {4: 1, 8: 1, 16: 1}  # identity, medical, financial


def test_weak_identifiers_link_across_transfers(ledger_store: LedgerStore) -> None:
    # e-mail alone, then phone + that e-mail: one person (the e-mail is known)
    assert one(ledger_store.record(transfer(subj(10, anchored=False)))).delta.new_persons == 1
    r = one(ledger_store.record(transfer(subj(11, anchored=False, also=[10]))))
    assert r.delta.new_persons == 0 and r.resolved[0].person == h(10)
    # later the phone alone resolves to the same person
    assert one(ledger_store.record(transfer(subj(11, anchored=False)))).delta.new_persons == 0
    # an ID number anchors its own person even when it arrives with a known phone
    r = one(ledger_store.record(transfer(subj(12, also=[11]))))
    assert r.delta.new_persons == 1 and r.resolved[0].person == h(12)
    assert ledger_store.totals("acme", 2026).persons == 2


def test_previous_year_window(ledger_store: LedgerStore) -> None:
    ledger_store.record(transfer(subj(1), subj(2, sensitive=True), period=2025, month=11))
    r = one(ledger_store.record(transfer(subj(1), subj(2, sensitive=True), subj(3), subj(4, sensitive=True),
                                         period=2026, month=1)))
    # all four are new in 2026, but only 3 and 4 are new to the 2025+2026 window
    assert r.delta == Delta(4, 2, 2, 1) and r.previous == Totals(2, 1, 2, 1)
    # a 2025 non-sensitive person turning sensitive in 2026 is a new sensitive person of the window
    r = one(ledger_store.record(transfer(subj(1, sensitive=True), period=2026, month=2)))
    assert r.delta == Delta(0, 1, 0, 1)


def test_exempt_subjects_are_flows_not_persons(ledger_store: LedgerStore) -> None:
    r = one(ledger_store.record(transfer(subj(1), exempt={"purpose:hr_management": 3, "ftz": 1})))
    assert r.totals.persons == 1
    flows = {f.basis: f for f in ledger_store.flows("acme", 2026)}
    assert flows[COUNTED].occurrences == 1 and flows[COUNTED].new_persons == 1
    assert (flows["purpose:hr_management"].requests, flows["purpose:hr_management"].occurrences) == (1, 3)
    assert flows["ftz"].new_persons == 0


def test_check_refusal_records_nothing(ledger_store: LedgerStore) -> None:
    ledger_store.record(transfer(subj(1)))

    def refuse(results: list[PeriodResult]) -> None:
        assert results[0].totals.persons == 3  # the check sees the totals after the transfer
        raise RuntimeError("over the filed tier")

    with pytest.raises(RuntimeError, match="filed tier"):
        ledger_store.record(transfer(subj(2), subj(3, sensitive=True)), refuse)
    assert ledger_store.totals("acme", 2026) == Totals(1, 0, 1, 0)
    assert ledger_store.person_count("acme", 2026) == (1, 0)
    assert one(ledger_store.record(transfer(subj(2)))).delta.new_persons == 1  # nothing left behind


def test_both_years_near_midnight(ledger_store: LedgerStore) -> None:
    t = Transfer("acme", ((2026, 12), (2027, 1)), "abroad", "US", [subj(1)], {})
    r26, r27 = ledger_store.record(t)
    assert (r26.totals.persons, r27.totals.persons) == (1, 1)
    assert r27.delta.fresh_persons == 0  # the 2027 copy is not new to the 2026+2027 window


def test_opening_balance(ledger_store: LedgerStore) -> None:
    assert ledger_store.adjust("acme", 2026, 1, 99_999, 10) == Totals(99_999, 10, 99_999, 10)
    r = one(ledger_store.record(transfer(subj(1))))
    assert r.totals.persons == 100_000
    with pytest.raises(ValueError, match="sensitive_persons"):
        ledger_store.adjust("acme", 2026, 1, 1, 2)


def test_tenants_and_periods_are_separate(ledger_store: LedgerStore) -> None:
    ledger_store.record(transfer(subj(1), tenant="a"))
    ledger_store.record(transfer(subj(1), tenant="b"))
    ledger_store.record(transfer(subj(1), tenant="a", period=2027))
    assert ledger_store.periods() == [("a", 2026), ("a", 2027), ("b", 2026)]
    assert ledger_store.totals("b", 2026).persons == 1


# --------------------------------------------------------------------------- concurrency

POOL = 120


def _plan(writer: int, rounds: int) -> list[list[tuple[int, bool]]]:
    """Transfers of writer ``writer``: overlapping random subsets of one pool of people."""
    rng = random.Random(writer)
    return [[(n, rng.random() < 0.15) for n in rng.sample(range(POOL), 6)] for _ in range(rounds)]


def _expected(writers: int, rounds: int) -> tuple[int, int]:
    people: set[int] = set()
    sensitive: set[int] = set()
    for w in range(writers):
        for t in _plan(w, rounds):
            for n, s in t:
                people.add(n)
                if s:
                    sensitive.add(n)
    return len(people), len(sensitive)


def _write(store: LedgerStore, writer: int, rounds: int) -> None:
    for t in _plan(writer, rounds):
        # odd people arrive by e-mail (weak identifier), even ones by ID number
        store.record(transfer(*(subj(n, anchored=n % 2 == 0, sensitive=s) for n, s in t)))


def _check_exact(store: LedgerStore, writers: int, rounds: int) -> None:
    persons, sensitive = _expected(writers, rounds)
    totals = store.totals("acme", 2026)
    assert (totals.persons, totals.sensitive_persons) == (persons, sensitive)
    assert store.person_count("acme", 2026) == (persons, sensitive)
    flows = store.flows("acme", 2026)
    assert sum(f.requests for f in flows) == writers * rounds
    assert sum(f.new_persons for f in flows) == persons and sum(f.new_sensitive for f in flows) == sensitive


def test_sixteen_threads_count_exactly(ledger_store: LedgerStore) -> None:
    writers, rounds = 16, 12
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def run(w: int) -> None:
        try:
            barrier.wait()
            _write(ledger_store, w, rounds)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    _check_exact(ledger_store, writers, rounds)


def _process_writer(url: str, writer: int, rounds: int, start: multiprocessing.synchronize.Event) -> None:
    store: LedgerStore
    if url.startswith("sqlite:///"):
        store = SQLiteLedgerStore(url.removeprefix("sqlite:///"), durability="os")
    else:
        store = PostgresLedgerStore(url)
    start.wait(30)
    try:
        _write(store, writer, rounds)
    finally:
        store.close()


@pytest.mark.slow
def test_sixteen_processes_count_exactly(ledger_store: LedgerStore) -> None:
    """Separate processes stand in for replicas sharing one database."""
    writers, rounds = 16, 8
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    procs = [ctx.Process(target=_process_writer, args=(ledger_store.url, w, rounds, start)) for w in range(writers)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * writers
    _check_exact(ledger_store, writers, rounds)


def test_replace_round_trip(ledger_store: LedgerStore) -> None:
    ledger_store.record(transfer(subj(1), subj(2, sensitive=True, also=[3])))
    flows, totals = ledger_store.flows("acme", 2026), ledger_store.totals("acme", 2026)
    ledger_store.replace("acme", 2026, subjects=[(h(9), h(9), 1, 4, 2, 2)], flows=flows[:0], totals=Totals(1, 1, 1, 1))
    assert ledger_store.person_count("acme", 2026) == (1, 1)
    assert ledger_store.flows("acme", 2026) == [] and totals.persons == 2
