"""The ledger service: tiers, enforcement, exemptions, alerts, fail-closed — on both stores."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry

from airlock.audit import AuditWriter
from airlock.config import Config
from airlock.ledger import Ledger, LedgerOutcome, LedgerRefusedError, LedgerUnavailableError, Subject
from airlock.ledger.store import LedgerStore, Totals
from airlock.stores import SQLiteStore
from tests.ledger.pii import find, phone, resident_id

MakeLedger = Callable[..., tuple[Ledger, Config]]
JUNE = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


def people(ledger: Ledger, config: Config, text: str) -> list[Subject]:
    tenant = config.tenants[0]
    return ledger.subjects(tenant, [("messages[0].content", text)], find(text))


def send(ledger: Ledger, config: Config, text: str, *, purpose: str | None = None, at: datetime = JUNE,
         deployment: str = "abroad", **kw: Any) -> LedgerOutcome:
    tenant = config.tenants[0]
    dep = next(d for d in config.deployments if d.name == deployment)
    return ledger.record(tenant=tenant, deployment=dep, subjects=people(ledger, config, text), purpose=purpose,
                         decision_id="dec_test", at=at, **kw)


def test_applies_only_to_transfers_abroad(make_ledger: MakeLedger) -> None:
    ledger, config = make_ledger()
    tenant = config.tenants[0]
    abroad, home = config.deployments
    assert ledger.applies(tenant, abroad) and not ledger.applies(tenant, home)


def test_one_sensitive_person_moves_an_exempt_tenant_into_the_contract_tier(make_ledger: MakeLedger) -> None:
    ledger, config = make_ledger()
    out = send(ledger, config, f"customer phones {phone(1)}; {phone(2)}")
    assert (out.persons, out.sensitive_persons, out.tier, out.violation) == (2, 0, "exempt", False)
    out = send(ledger, config, f"ID {resident_id(3)}")
    assert (out.persons, out.sensitive_persons, out.tier, out.rule) == (3, 1, "standard_contract", "CN-XB-10")
    assert out.violation and {a.kind for a in out.alerts} == {"tier", "violation"}


def test_enforce_refuses_before_recording(make_ledger: MakeLedger, ledger_store: LedgerStore) -> None:
    ledger, config = make_ledger({"mode": "enforce"})
    send(ledger, config, f"{phone(1)}")
    with pytest.raises(LedgerRefusedError) as info:
        send(ledger, config, f"{phone(2)} and ID {resident_id(2)} on separate lines\n{phone(3)}")
    exc = info.value
    assert (exc.status, exc.code, exc.rules) == (403, "cross_border_threshold", ["ledger.CN-XB-10"])
    for part in ("standard_contract", "CN-XB-10", "3 persons", "(1 with sensitive", "filed mechanism is 'none'"):
        assert part in exc.message
    assert resident_id(2) not in exc.message and phone(2) not in exc.message
    assert exc.body("dec_x")["error"]["ledger"]["persons"] == 3
    assert exc.outcome.refused and exc.outcome.to_audit()["refused"] is True
    assert ledger_store.totals("acme", 2026) == Totals(1, 0, 1, 0)  # nothing of the refused request
    # repeating people already counted is fine; the exempt tier still holds
    assert send(ledger, config, phone(1)).tier == "exempt"


def test_a_filed_contract_allows_the_contract_tier(make_ledger: MakeLedger) -> None:
    filed = {"mode": "enforce", "filed_mechanism": "standard_contract", "filed_date": "2026-05-01"}
    ledger, config = make_ledger(filed)
    assert send(ledger, config, resident_id(1)).tier == "standard_contract"
    # before the filing took effect the same transfer is refused
    with pytest.raises(LedgerRefusedError):
        send(ledger, config, resident_id(2), at=JUNE - timedelta(days=45))


def test_expired_filing_counts_as_none(make_ledger: MakeLedger) -> None:
    ledger, config = make_ledger({"filed_mechanism": "certification", "filed_date": "2025-01-01",
                                  "filed_expires": "2026-03-31"})
    out = send(ledger, config, resident_id(1))
    assert (out.filed_mechanism, out.covered_tier, out.violation) == ("none", "exempt", True)


@pytest.mark.parametrize(
    ("pack", "seed", "sensitive_seed", "text_sensitive", "filed", "refused", "tier"),
    [
        # cn-2024: persons
        ("cn-2024", 99_998, 0, False, "none", False, "exempt"),  # → 99,999
        ("cn-2024", 99_999, 0, False, "none", True, "standard_contract"),  # → 100,000
        ("cn-2024", 999_998, 0, False, "standard_contract", False, "standard_contract"),  # → 999,999
        ("cn-2024", 999_999, 0, False, "standard_contract", True, "security_assessment"),  # → 1,000,000
        # cn-2024: sensitive persons
        ("cn-2024", 20_000, 9_998, True, "standard_contract", False, "standard_contract"),  # → 9,999
        ("cn-2024", 20_000, 9_999, True, "standard_contract", True, "security_assessment"),  # → 10,000
        ("cn-2024", 20_000, 9_999, True, "security_assessment", False, "security_assessment"),
        # cn-2022 (seeded in the previous year: its window spans both)
        ("cn-2022", 99_998, 0, False, "standard_contract", False, "standard_contract"),  # → 99,999
        ("cn-2022", 99_999, 0, False, "standard_contract", True, "security_assessment"),  # → 100,000
        ("cn-2022", 999_999, 0, False, "security_assessment", False, "security_assessment"),  # → 1,000,000
        ("cn-2022", 20_000, 9_998, True, "standard_contract", False, "standard_contract"),  # → 9,999
        ("cn-2022", 20_000, 9_999, True, "standard_contract", True, "security_assessment"),  # → 10,000
    ],
)
def test_threshold_edges_enforced(make_ledger: MakeLedger, ledger_store: LedgerStore, pack: str, seed: int,
                                  sensitive_seed: int, text_sensitive: bool, filed: str, refused: bool,
                                  tier: str) -> None:
    settings: dict[str, Any] = {"mode": "enforce", "pack": pack, "filed_mechanism": filed}
    if filed != "none":
        settings["filed_date"] = "2024-01-01"
    ledger, config = make_ledger(settings)
    year = 2025 if pack == "cn-2022" else 2026
    ledger_store.adjust("acme", year, 1, seed, sensitive_seed)
    text = f"ID {resident_id(1)}" if text_sensitive else f"tel {phone(1)}"
    if refused:
        with pytest.raises(LedgerRefusedError) as info:
            send(ledger, config, text)
        assert f"'{tier}'" in info.value.message and f"{seed + 1:,} persons" in info.value.message
    else:
        out = send(ledger, config, text)
        assert out.tier == tier and out.persons == seed + 1
        assert out.sensitive_persons == sensitive_seed + int(text_sensitive)


@pytest.mark.parametrize(
    ("purpose", "counted", "exemption"),
    [
        ("hr_management", 0, "CN-XB-04"),
        ("contract_performance", 0, "CN-XB-03"),
        ("emergency", 2, None),  # an exemption, but not one this tenant is allowed to declare
        ("marketing", 2, None),  # allowed, but not an exemption
        (None, 2, None),
    ],
)
def test_purpose_exemptions(make_ledger: MakeLedger, ledger_store: LedgerStore, purpose: str | None, counted: int,
                            exemption: str | None) -> None:
    ledger, config = make_ledger({"mode": "enforce"})
    out = send(ledger, config, f"{phone(1)}\n\n{phone(2)}", purpose=purpose)
    assert (out.persons, out.exemption, out.counted) == (counted, exemption, counted)
    if exemption:
        flows = {f.basis: f.occurrences for f in ledger_store.flows("acme", 2026)}
        assert flows == {f"purpose:{purpose}": 2}
        # exempt even in enforce mode with sensitive data and nothing filed
        assert send(ledger, config, resident_id(5), purpose=purpose).tier == "exempt"


def test_no_purpose_exemptions_under_cn_2022(make_ledger: MakeLedger) -> None:
    ledger, config = make_ledger({"pack": "cn-2022"})
    out = send(ledger, config, phone(1), purpose="hr_management")
    assert (out.persons, out.exemption, out.tier) == (1, None, "standard_contract")


@pytest.fixture
def negative_list(tmp_path: Path) -> Path:
    path = tmp_path / "tianjin.yaml"
    path.write_text(
        "zone: tianjin\nname: test list\nversion: '2024-05'\nentries:\n"
        "  - {id: TJ-1, identifier_types: [CN_RESIDENT_ID]}\n"
        "  - {id: TJ-2, sensitive_categories: [medical_health]}\n"
    )
    return path


def test_ftz_exemption(make_ledger: MakeLedger, ledger_store: LedgerStore, negative_list: Path) -> None:
    ledger, config = make_ledger({"ftz": "tianjin", "ftz_negative_list": str(negative_list)})
    out = send(ledger, config, f"{phone(1)}\n\n{phone(2)} has diabetes\n\n{resident_id(3)}")
    # the plain phone is off the list (exempt); health data and ID numbers are on it (counted)
    assert (out.persons, out.sensitive_persons, out.exemption) == (2, 2, "CN-XB-06")
    assert sorted(r.basis for r in out.subjects) == ["counted", "counted", "ftz"]
    assert {f.basis: f.occurrences for f in ledger_store.flows("acme", 2026)} == {"counted": 2, "ftz": 1}


def test_ftz_list_must_match_the_zone(make_ledger: MakeLedger, negative_list: Path) -> None:
    ledger, config = make_ledger({"ftz": "hainan", "ftz_negative_list": str(negative_list)})
    with pytest.raises(LedgerUnavailableError, match="tianjin"):
        send(ledger, config, phone(1))


def test_important_data_without_pi_needs_an_assessment(make_ledger: MakeLedger) -> None:
    ledger, config = make_ledger({"mode": "enforce"})
    with pytest.raises(LedgerRefusedError, match="CN-XB-07"):
        send(ledger, config, "no personal data here", important_data=True)
    assert send(ledger, config, "no personal data here").tier == "exempt"


def test_rollover_at_midnight_shanghai(make_ledger: MakeLedger, ledger_store: LedgerStore) -> None:
    ledger, config = make_ledger(ledger={"clock_skew_seconds": 0})
    midnight = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 2027-01-01 00:00 in Shanghai
    before = send(ledger, config, f"{phone(1)}\n\n{phone(2)}", at=midnight - timedelta(seconds=1))
    after = send(ledger, config, phone(1), at=midnight)
    assert (before.period, before.persons, before.local_date) == (2026, 2, "2026-12-31")
    assert (after.period, after.persons, after.local_date) == (2027, 1, "2027-01-01")


def test_skew_band_records_both_years(make_ledger: MakeLedger, ledger_store: LedgerStore) -> None:
    ledger, config = make_ledger(ledger={"clock_skew_seconds": 120})
    midnight = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    out = send(ledger, config, phone(1), at=midnight - timedelta(seconds=30))
    assert [p.period for p in out.periods] == [2026, 2027]
    assert ledger_store.totals("acme", 2026).persons == ledger_store.totals("acme", 2027).persons == 1


def test_outcome_for_the_audit_log(make_ledger: MakeLedger) -> None:
    ledger, config = make_ledger()
    rid = resident_id(1)
    out = send(ledger, config, f"{rid} {phone(1)}")
    data = orjson.loads(orjson.dumps(out.to_audit()))
    assert rid not in str(data) and phone(1) not in str(data)
    (subject,) = data["subjects"]
    assert len(subject["i"]) == 2 and subject["s"] == 1 and subject["c"] == ["specific_identity"]
    assert subject["r"]["2026"][0] == subject["k"] and subject["r"]["2026"][1] & 1  # new person
    assert data["tier"] == "standard_contract" and data["periods"][0]["delta"] == [1, 1, 1, 1]


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []  # noqa: RUF012
    fail_first = True

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        if _Hook.fail_first:
            _Hook.fail_first = False
            self.send_response(503)
        else:
            _Hook.received.append(orjson.loads(body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    _Hook.received, _Hook.fail_first = [], True
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/alerts"
    server.shutdown()


def test_alerts_at_fractions_to_audit_metrics_and_webhook(make_ledger: MakeLedger, ledger_store: LedgerStore,
                                                          hook: str, tmp_path: Path) -> None:
    registry = CollectorRegistry()
    audit_store = SQLiteStore(tmp_path / "audit.db")
    writer = AuditWriter(audit_store, None)
    writer.start()
    ledger, config = make_ledger({"webhook_url": hook}, metrics=registry, audit=writer,
                                 ledger={"webhook": {"backoff": 0.01}})
    ledger_store.adjust("acme", 2026, 1, 79_999, 0)
    out = send(ledger, config, phone(1))
    assert [(a.kind, a.fraction, a.threshold, a.violation) for a in out.alerts] == [
        ("threshold", 0.8, 100_000, True)]
    assert send(ledger, config, phone(2)).alerts == ()  # the 80 % line is crossed once
    ledger_store.adjust("acme", 2026, 1, 14_997, 0)  # → 94,998
    assert [a.fraction for a in send(ledger, config, f"{phone(3)}\n\n{phone(4)}").alerts] == [0.95]
    assert ledger.webhook.flush(10)
    assert [a["ledger_alert"]["fraction"] for a in _Hook.received] == [0.8, 0.95]  # after one retry
    assert all(phone(1) not in str(a) for a in _Hook.received)
    writer.stop()
    alerts = [orjson.loads(r.body) for r in audit_store.iter_audit() if r.kind == "alert"]
    assert [a["ledger_alert"]["fraction"] for a in alerts] == [0.8, 0.95]
    audit_store.close()
    assert registry.get_sample_value("airlock_ledger_persons", {"tenant": "acme", "measure": "persons"}) == 95_000
    ratio = registry.get_sample_value(
        "airlock_ledger_threshold_ratio", {"tenant": "acme", "tier": "standard_contract", "measure": "persons"})
    assert ratio == pytest.approx(0.95)
    assert registry.get_sample_value("airlock_ledger_alerts_total", {"tenant": "acme", "kind": "threshold"}) == 2
    ledger.close()


def test_fails_closed_when_the_store_breaks(make_ledger: MakeLedger, ledger_store: LedgerStore) -> None:
    ledger, config = make_ledger()
    send(ledger, config, phone(1))
    with ledger_store._transaction() as conn:  # a real failure: the tables disappear
        for table in ("ledger_subjects", "ledger_flows", "ledger_totals"):
            conn.execute(f"DROP TABLE {table}")
    with pytest.raises(LedgerUnavailableError) as info:
        send(ledger, config, phone(2))
    assert (info.value.status, info.value.code) == (503, "ledger_unavailable")


def test_from_config_needs_the_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from airlock.errors import ConfigError
    from tests.ledger.conftest import ledger_config

    monkeypatch.delenv("AIRLOCK_LEDGER_KEY", raising=False)
    with pytest.raises(ConfigError, match="AIRLOCK_LEDGER_KEY"):
        Ledger.from_config(ledger_config(), data_dir=tmp_path)
    monkeypatch.setenv("AIRLOCK_LEDGER_KEY", "z" * 40)
    ledger = Ledger.from_config(ledger_config(), data_dir=tmp_path)
    assert ledger is not None and ledger.store.url.endswith("airlock.db")
    ledger.close()
    disabled = ledger_config()
    assert Ledger.from_config(disabled.model_copy(update={"ledger": disabled.ledger.model_copy(
        update={"enabled": False})}), data_dir=tmp_path) is None
