"""The overview's activity scan: last-hour counts, the day's alerts, and what a partial scan says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from airlock.audit import ChainHasher
from airlock.server.ui import data
from airlock.stores import PendingAudit, SQLiteStore

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _rec(i: int, minutes_ago: float, *, outcome: str = "ok", route: str = "/v1/chat/completions",
         alerts: list[str] | None = None, status: int = 200, rules: list[str] | None = None,
         kind: str = "request", payload: dict[str, Any] | None = None) -> PendingAudit:
    ts = (NOW - timedelta(minutes=minutes_ago)).isoformat(timespec="milliseconds")
    body: dict[str, Any] = payload or {"route": route, "outcome": outcome, "status": status, "rules": rules or []}
    if alerts:
        body["extra"] = {"alerts": alerts}
    return PendingAudit(decision_id=f"dec_{i}", ts=ts, tenant="acme" if i % 2 else "dod", kind=kind, payload=body)


def _store(tmp_path: Path, rows: list[PendingAudit]) -> SQLiteStore:
    store = SQLiteStore(tmp_path / "a.db")
    store.append_audit(rows, ChainHasher())
    return store


def test_activity_counts_the_hour_and_lists_the_days_alerts(tmp_path: Path) -> None:
    ledger_alert = {"ledger_alert": {"kind": "threshold", "message": "persons reached 80 % of 100,000"}}
    store = _store(tmp_path, [
        _rec(1, 30 * 60, alerts=["spillage"]),                   # older than a day: not listed
        _rec(2, 300, outcome="blocked", alerts=["red_line"], rules=["us-gov.red-line"]),  # today, not this hour
        _rec(3, 200, kind="alert", payload=ledger_alert),
        _rec(4, 90),                                              # outside the hour: not counted
        _rec(5, 50, outcome="blocked", rules=["default.secrets.block"]),
        _rec(6, 40, outcome="blocked", rules=["default.secrets.block", "x.y"]),
        _rec(7, 30, outcome="error", status=502),
        _rec(8, 20),
        _rec(9, 10, route="/admin/ui/", status=401),
        _rec(10, 5, route="/admin/keys"),
        _rec(11, 1, alerts=["spillage"], outcome="blocked", rules=["default.classification.route"]),
    ])
    out = data._activity(store, NOW)
    hour = out["last_hour"]
    assert hour["complete"] and hour["requests"] == 5
    assert hour["by_outcome"] == {"ok": 1, "blocked": 3, "error": 1, "client_disconnected": 0}
    assert hour["blocking_rules"][0] == {"rule": "default.secrets.block", "count": 2}
    assert (hour["admin_requests"], hour["admin_refused"]) == (2, 1)
    assert {t["tenant"]: (t["total"], t["blocked"]) for t in hour["by_tenant"]} == {"acme": (3, 2), "dod": (2, 1)}
    items = out["alerts"]["items"]
    assert [(a["decision_id"], a["alerts"]) for a in items] == [
        ("dec_11", ["spillage"]), ("dec_3", ["ledger.threshold"]), ("dec_2", ["red_line"])]
    assert items[1]["message"] == "persons reached 80 % of 100,000"
    store.close()


def test_a_partial_scan_says_how_far_it_reached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(tmp_path, [_rec(i, 60 - i) for i in range(1, 51)])  # one a minute, newest last
    monkeypatch.setattr(data, "OVERVIEW_BUDGET", 20)
    hour = data._activity(store, NOW)["last_hour"]
    assert not hour["complete"] and hour["scanned"] == 20 and hour["requests"] == 20
    assert hour["covered_since"] == (NOW - timedelta(minutes=60 - 31)).isoformat(timespec="milliseconds")
    store.close()
