"""Reading the decision log newest-first: windows, filters, cursors, budgets, sanitising.

Runs against SQLite and (when configured) PostgreSQL, like the store tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from airlock.audit import ChainHasher
from airlock.errors import InvalidRequestError
from airlock.server.ui import auditlog
from airlock.server.ui.auditlog import DecisionFilter, decision_page, parse_since, sanitise, scan_back
from airlock.stores import PendingAudit, SQLiteStore, Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        s: Store = SQLiteStore(tmp_path / "t.db")
    else:
        from airlock.stores.postgres import PostgresStore

        s = PostgresStore(request.getfixturevalue("pg_url"))
    yield s
    s.close()


def record(i: int, *, tenant: str = "acme", outcome: str = "ok", rules: list[str] | None = None,
           findings: list[str] | None = None, route: str = "/v1/chat/completions", minutes: int | None = None,
           extra: dict[str, Any] | None = None) -> PendingAudit:
    ts = (T0 + timedelta(minutes=i if minutes is None else minutes)).isoformat(timespec="milliseconds")
    payload: dict[str, Any] = {
        "route": route, "key_id": f"k{tenant}", "model": "m", "deployment": "d", "outcome": outcome,
        "status": 400 if outcome == "blocked" else 200, "action": "block" if outcome == "blocked" else "allow",
        "rules": rules or [], "findings": [{"type": t, "rule": "x", "start": 0, "end": 1} for t in findings or []],
        "latency_ms": {"total": 2.0, "overhead": 0.5}, "error_code": None,
    }
    if extra:
        payload["extra"] = extra
    return PendingAudit(decision_id=f"dec_{i:04d}", ts=ts, tenant=tenant, kind="request", payload=payload)


def fill(store: Store, n: int, **kw: Any) -> None:
    store.append_audit([record(i, **kw) for i in range(1, n + 1)], ChainHasher())


@pytest.mark.parametrize(("text", "expected"), [
    ("15m", "2026-03-01T11:45:00.000+00:00"),
    ("2h", "2026-03-01T10:00:00.000+00:00"),
    ("7d", "2026-02-22T12:00:00.000+00:00"),
    ("2026-02-01", "2026-02-01T00:00:00.000+00:00"),
    ("2026-02-01T08:30", "2026-02-01T08:30:00.000+00:00"),
    ("2026-02-01T08:30+08:00", "2026-02-01T00:30:00.000+00:00"),
    ("", None),
    (None, None),
])
def test_parse_since(text: str | None, expected: str | None) -> None:
    assert parse_since(text, T0) == expected


@pytest.mark.parametrize("text", ["yesterday", "1w", "-5m", "2026-13-01"])
def test_parse_since_rejects(text: str) -> None:
    with pytest.raises(InvalidRequestError):
        parse_since(text, T0)


def test_sanitise_withholds_text_and_cuts_long_strings() -> None:
    rec = {"model": "m" * 500, "extra": {"guard": [{"content": "private words", "labels": ["S1"]}],
                                         "note": {"text": "more words"}}, "findings": [{"type": "EMAIL"}]}
    out = sanitise(rec)
    assert out["extra"]["guard"][0]["content"] == "[withheld: 13 characters]"
    assert out["extra"]["note"]["text"] == "[withheld: 10 characters]"
    assert out["extra"]["guard"][0]["labels"] == ["S1"] and out["findings"] == [{"type": "EMAIL"}]
    assert out["model"].startswith("m" * 200) and out["model"].endswith("[500 characters]")
    assert "private" not in str(out)


@pytest.mark.parametrize(("window", "largest"), [(1, 1), (1, 4), (7, 16), (512, 16_384)])
def test_scan_back_reads_newest_first_in_windows(store: Store, window: int, largest: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auditlog, "WINDOW", window)
    monkeypatch.setattr(auditlog, "MAX_WINDOW", largest)
    fill(store, 20)
    assert [r.seq for r in scan_back(store)] == list(range(20, 0, -1))
    assert [r.seq for r in scan_back(store, before=8)] == list(range(7, 0, -1))
    assert [r.seq for r in scan_back(store, before=8, budget=3)] == [7, 6, 5]


def test_pages_and_cursors(store: Store) -> None:
    fill(store, 10)
    flt = DecisionFilter()
    first = decision_page(store, flt, limit=4)
    assert [r["seq"] for r in first.rows] == [10, 9, 8, 7] and first.older == 7 and first.newer is None
    second = decision_page(store, flt, limit=4, before=first.older)
    assert [r["seq"] for r in second.rows] == [6, 5, 4, 3] and second.older == 3 and second.newer == 6
    last = decision_page(store, flt, limit=4, before=second.older)
    assert [r["seq"] for r in last.rows] == [2, 1] and last.older is None
    up = decision_page(store, flt, limit=4, after=second.newer)
    assert [r["seq"] for r in up.rows] == [10, 9, 8, 7] and up.newer is None and up.older == 7
    up2 = decision_page(store, flt, limit=4, after=2)
    assert [r["seq"] for r in up2.rows] == [6, 5, 4, 3] and up2.newer == 6


@pytest.mark.parametrize(("flt", "expected"), [
    (DecisionFilter(tenant="b"), [9, 6, 3]),
    (DecisionFilter(outcome="blocked"), [8, 4]),
    (DecisionFilter(rule="pack.one"), [8, 4]),
    (DecisionFilter(rule="pack.*"), [8, 5, 4]),
    (DecisionFilter(rule="shadowed"), [5]),
    (DecisionFilter(finding="EMAIL"), [10, 5]),
    (DecisionFilter(route="admin"), [7]),
    (DecisionFilter(route="all"), list(range(10, 0, -1))),
    (DecisionFilter(key_id="kb"), [9, 6, 3]),
    (DecisionFilter(since=(T0 + timedelta(minutes=8)).isoformat(timespec="milliseconds")), [10, 9, 8]),
    (DecisionFilter(tenant="b", outcome="blocked"), []),
])
def test_filters(store: Store, flt: DecisionFilter, expected: list[int]) -> None:
    rows = []
    for i in range(1, 11):
        kw: dict[str, Any] = {"tenant": "b" if i % 3 == 0 else "acme"}
        if i in (4, 8):
            kw.update(outcome="blocked", rules=["pack.one"])
        if i == 5:
            kw.update(rules=["pack.two"], extra={"shadow_rules": ["shadowed"]})
        if i in (5, 10):
            kw["findings"] = ["EMAIL", "PHONE"]
        if i == 7:
            kw["route"] = "/admin/keys"
        rows.append(record(i, **kw))
    store.append_audit(rows, ChainHasher())
    page = decision_page(store, flt, limit=50)
    assert [r["seq"] for r in page.rows] == expected
    assert page.older is None  # everything was read


def test_a_rare_filter_stops_at_the_budget_and_continues(store: Store) -> None:
    rows = [record(i, tenant="rare" if i in (3, 250) else "acme") for i in range(1, 301)]
    store.append_audit(rows, ChainHasher())
    flt = DecisionFilter(tenant="rare")
    page = decision_page(store, flt, limit=5, budget=100)
    assert [r["seq"] for r in page.rows] == [250] and page.budget_hit and page.older == 201 and page.scanned == 100
    page = decision_page(store, flt, limit=5, before=page.older, budget=100)
    assert page.rows == [] and page.budget_hit and page.older == 101
    page = decision_page(store, flt, limit=5, before=page.older, budget=100)
    assert [r["seq"] for r in page.rows] == [3] and not page.budget_hit and page.older is None


def test_since_stops_the_backward_scan(store: Store) -> None:
    fill(store, 200)
    since = (T0 + timedelta(minutes=190)).isoformat(timespec="milliseconds")
    page = decision_page(store, DecisionFilter(since=since), limit=50)
    assert [r["seq"] for r in page.rows] == list(range(200, 189, -1))
    assert page.older is None and page.scanned < 20  # stopped a few minutes past the boundary


def test_summaries_survive_odd_records(store: Store) -> None:
    odd = PendingAudit(decision_id="dec_odd", ts=T0.isoformat(), tenant=None, kind="alert",
                       payload={"ledger_alert": {"kind": "threshold", "message": "80 % of 10,000"},
                                "rules": "not-a-list", "findings": [1, "x", {"type": "EMAIL"}]})
    store.append_audit([odd], ChainHasher())
    (row,) = decision_page(store, DecisionFilter(route="all"), limit=5).rows
    assert row["alerts"] == ["ledger.threshold"] and row["rules"] == [] and row["kind"] == "alert"
    assert row["findings"] == [{"type": "EMAIL", "count": 1}] and row["route_kind"] == "other"
