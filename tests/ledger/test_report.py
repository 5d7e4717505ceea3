"""Status and the yearly report: figures, headroom, projection, CSV and HTML forms."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from airlock.config import Config
from airlock.ledger import Ledger
from airlock.ledger.report import build_report, render_csv, tenant_status
from airlock.ledger.report_html import render_html
from airlock.ledger.rules import Pack, load_pack
from airlock.ledger.store import LedgerStore
from tests.ledger.pii import find, phone, resident_id

MakeLedger = Callable[..., tuple[Ledger, Config]]


def _send(ledger: Ledger, config: Config, text: str, at: datetime, dep: int = 0, purpose: str | None = None) -> None:
    tenant = config.tenants[0]
    ledger.record(tenant=tenant, deployment=config.deployments[dep],
                  subjects=ledger.subjects(tenant, [("m", text)], find(text, "m")), purpose=purpose,
                  decision_id="d", at=at)


@pytest.fixture
def filled(make_ledger: MakeLedger, ledger_store: LedgerStore) -> tuple[Ledger, Config]:
    ledger, config = make_ledger({"filed_mechanism": "standard_contract", "filed_date": "2026-01-01"})
    jan, mar = datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 3, 5, tzinfo=UTC)
    ledger_store.adjust("acme", 2026, 1, 40_000, 0)
    _send(ledger, config, f"{phone(1)}\n\n{phone(2)}", jan)
    _send(ledger, config, f"ID {resident_id(3)}", jan)
    _send(ledger, config, f"{phone(4)} diabetes", mar)
    _send(ledger, config, f"{phone(5)}", mar, purpose="hr_management")
    return ledger, config


def test_status_headroom_and_projection(filled: tuple[Ledger, Config], ledger_store: LedgerStore) -> None:
    _, config = filled
    now = datetime(2026, 7, 2, 4, 0, tzinfo=UTC)  # half the year has gone
    st = tenant_status(ledger_store, config.tenants[0], _pack(), now=now)
    assert (st["persons"], st["sensitive_persons"], st["tier"], st["violation"]) == (40_004, 2, "standard_contract",
                                                                                    False)
    assert st["period_start"] == "2026-01-01" and st["effective_mechanism"] == "standard_contract"
    persons, sensitive = st["headroom"]
    assert (persons["next_threshold"], persons["remaining"], persons["remaining_before_violation"]) == (
        1_000_000, 959_996, 959_996)
    assert (sensitive["next_threshold"], sensitive["remaining"]) == (10_000, 9_998)
    # 4 recorded persons in half a year → 8 by year end, plus the one-off opening balance
    assert st["projection"]["year_end_persons"] == 40_008
    assert st["projection"]["year_end_sensitive_persons"] == 4


def _pack() -> Pack:
    return load_pack("cn-2024")


def test_report_figures(filled: tuple[Ledger, Config], ledger_store: LedgerStore) -> None:
    _, config = filled
    rep = build_report(ledger_store, config.tenants[0], _pack(), 2026, now=datetime(2026, 4, 1, tzinfo=UTC))
    jan, feb, mar, apr = rep["months"]
    assert (jan["new_persons"], jan["new_sensitive_persons"], jan["cumulative_persons"]) == (3, 1, 40_003)
    assert (feb["new_persons"], mar["new_persons"], mar["cumulative_persons"], apr["requests"]) == (0, 1, 40_004, 0)
    assert rep["opening_balance"] == {"persons": 40_000, "sensitive_persons": 0, "month": 1}
    assert {c["category"]: c["persons"] for c in rep["sensitive_categories"]} == {
        "specific_identity": 1, "medical_health": 1}
    assert rep["destinations"] == [{"deployment": "abroad", "jurisdiction": "US", "requests": 3,
                                    "identifiers_counted": 4, "identifiers_exempt": 1, "new_persons": 4}]
    assert [(e["basis"], e["rule"], e["identifiers"]) for e in rep["exemptions"]] == [
        ("purpose:hr_management", "CN-XB-04", 1)]
    assert {c["pack"]: c["tier"] for c in rep["comparison"]} == {"cn-2022": "standard_contract",
                                                                "cn-2024": "standard_contract"}
    assert rep["pack"]["unverified"] and rep["pack"]["sources"]


def test_csv_and_html_forms(filled: tuple[Ledger, Config], ledger_store: LedgerStore) -> None:
    _, config = filled
    rep = build_report(ledger_store, config.tenants[0], _pack(), 2026, now=datetime(2026, 4, 1, tzinfo=UTC))
    rows = list(csv.DictReader(io.StringIO(render_csv(rep))))
    values = {(r["section"], r["item"], r["metric"]): r["value"] for r in rows}
    assert values[("summary", "", "persons")] == "40004"
    assert values[("month", "2026-03", "new_persons")] == "1"
    assert values[("exemption", "purpose:hr_management", "rule")] == "CN-XB-04"
    html = render_html(rep)
    for part in ("个人信息出境情况报告", "40,004", "CN-XB-10", "unverified", "Specific identity", "CN-XB-04",
                 "Within the filed mechanism"):
        assert part in html
    for external in ("<script", "<link", "<img", "src=", "@import", "url("):  # self-contained: no assets
        assert external not in html
    assert resident_id(3) not in html and phone(1) not in html


def test_report_shows_a_filing_gap(make_ledger: MakeLedger, ledger_store: LedgerStore) -> None:
    ledger, config = make_ledger()
    _send(ledger, config, f"ID {resident_id(1)}", datetime(2025, 5, 1, tzinfo=UTC))
    rep = build_report(ledger_store, config.tenants[0], _pack(), 2025, now=datetime(2026, 2, 1, tzinfo=UTC))
    assert rep["status"]["as_of"].startswith("2025-12-31T23:59:59")  # a past year is reported at its end
    assert len(rep["months"]) == 12
    assert "Filing gap" in render_html(rep)


def test_previous_year_window_status(make_ledger: MakeLedger, ledger_store: LedgerStore) -> None:
    ledger, config = make_ledger({"pack": "cn-2022"})
    _send(ledger, config, f"{phone(1)}\n\n{phone(2)}", datetime(2025, 6, 1, tzinfo=UTC))
    _send(ledger, config, f"{phone(2)}\n\n{phone(3)}", datetime(2026, 2, 1, tzinfo=UTC))
    st = tenant_status(ledger_store, config.tenants[0], load_pack("cn-2022"),
                       now=datetime(2026, 2, 1, tzinfo=UTC) + timedelta(days=1))
    assert (st["period_start"], st["persons"], st["tier"]) == ("2025-01-01", 3, "standard_contract")
