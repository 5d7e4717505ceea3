"""``airlock ledger`` commands through click's CliRunner (SQLite in the data directory)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from click.testing import CliRunner

from airlock.audit import AuditWriter
from airlock.cli.main import cli
from airlock.config import load_config
from airlock.ledger import Ledger
from airlock.stores import PendingAudit, SQLiteStore
from tests.ledger.pii import find, phone, resident_id

KEY = "cli-test-key-" + "q" * 32
CONFIG = {
    "deployments": [{"name": "abroad", "provider": "openai", "base_url": "http://127.0.0.1:9/v1",
                     "jurisdiction": "US"}],
    "tenants": [
        {"id": "acme", "name": "Acme (Shanghai)", "jurisdiction": "CN",
         "ledger": {"filed_mechanism": "standard_contract", "filed_date": "2026-01-01"}},
        {"id": "globex", "jurisdiction": "CN"},
        {"id": "initech", "jurisdiction": "US"},  # not counted by the cn-* packs
    ],
    "ledger": {"enabled": True},
}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    cfg = tmp_path / "airlock.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("AIRLOCK_LEDGER_KEY", KEY)
    # a few transfers, each audited the way the gateway audits them
    config = load_config(cfg)
    ledger = Ledger.from_config(config, data_dir=home)
    assert ledger is not None
    store = SQLiteStore(home / "airlock.db")
    writer = AuditWriter(store, None)
    for i, text in enumerate([f"{phone(1)}\n\n{phone(2)}", f"ID {resident_id(3)}", phone(1)]):
        tenant = config.tenants[0]
        out = ledger.record(tenant=tenant, deployment=config.deployments[0],
                            subjects=ledger.subjects(tenant, [("m", text)], find(text, "m")), purpose=None,
                            decision_id=f"dec_{i}", at=datetime(2026, 3, 1 + i, tzinfo=UTC))
        writer.write_sync(PendingAudit(f"dec_{i}", "2026-03-01T00:00:00+00:00", "acme", "request",
                                       {"status": 200, "extra": {"ledger": out.to_audit()}}))
    ledger.close()
    store.close()
    return {"AIRLOCK_HOME": str(home), "AIRLOCK_CONFIG": str(cfg)}


def run(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(cli, ["ledger", *args], env=env)


def test_status_json_and_table(env: dict[str, str]) -> None:
    res = run(env, "status", "--format", "json", "--at", "2026-07-02T12:00:00+08:00")
    assert res.exit_code == 0, res.output
    rows = [orjson.loads(line) for line in res.stdout.splitlines()]
    assert [r["tenant"] for r in rows] == ["acme", "globex"]
    acme = rows[0]
    for key in ("tenant", "period_start", "persons", "sensitive_persons", "tier", "filed_mechanism", "violation",
                "headroom", "projection"):
        assert key in acme
    assert (acme["persons"], acme["sensitive_persons"], acme["tier"], acme["violation"]) == (
        3, 1, "standard_contract", False)
    assert acme["projection"]["year_end_persons"] == 6
    table = run(env, "status", "--tenant", "acme", "--at", "2026-07-02T12:00:00+08:00")
    assert table.exit_code == 0 and "acme" in table.stdout and "standard_contract" in table.stdout
    assert "globex" not in table.stdout
    assert run(env, "status", "--tenant", "nope").exit_code != 0


@pytest.mark.parametrize("fmt", ["json", "csv", "html"])
def test_report_formats(env: dict[str, str], tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    res = run(env, "report", "--tenant", "acme", "--year", "2026", "--format", fmt, "-o", str(out),
              "--at", "2026-07-02T12:00:00+08:00")
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert resident_id(3) not in text and phone(1) not in text
    if fmt == "json":
        data = orjson.loads(text)
        assert data["status"]["persons"] == 3 and data["months"][2]["new_persons"] == 3
    elif fmt == "csv":
        assert "summary,,persons,3" in text
    else:
        assert text.startswith("<!DOCTYPE html>") and "Acme (Shanghai)" in text


def test_rebuild_equal_then_detects_a_difference(env: dict[str, str]) -> None:
    res = run(env, "rebuild", "--format", "json")
    assert res.exit_code == 0, res.output
    result = orjson.loads(res.stdout)
    assert result["equal"] and result["transfers"] == 3 and result["periods"][0]["persons"] == 3
    # an opening balance recorded only in the tables (not in the audit log) is a difference …
    from airlock.ledger.sqlite import SQLiteLedgerStore

    store = SQLiteLedgerStore(Path(env["AIRLOCK_HOME"]) / "airlock.db")
    store.adjust("acme", 2026, 1, 10, 0)
    store.close()
    res = run(env, "rebuild")
    assert res.exit_code == 1 and "MISMATCH acme 2026 totals" in res.stdout
    # … which --apply resolves in favour of the audit log
    assert run(env, "rebuild", "--apply").exit_code == 0
    after = run(env, "status", "--format", "json", "--tenant", "acme", "--at", "2026-07-02T12:00:00+08:00")
    assert orjson.loads(after.stdout)["persons"] == 3  # the 10 that only the tables had are gone


def test_adjust_is_audited_and_rebuilt(env: dict[str, str]) -> None:
    res = run(env, "adjust", "--tenant", "acme", "--year", "2026", "--persons", "1000", "--sensitive", "3",
              "--reason", "transfers Jan-Feb from the CRM export log")
    assert res.exit_code == 0, res.output
    assert orjson.loads(res.stdout)["persons_total"] == 1003
    res = run(env, "rebuild", "--format", "json")
    assert res.exit_code == 0 and orjson.loads(res.stdout)["adjustments"] == 1
    bad = run(env, "adjust", "--tenant", "acme", "--year", "2026", "--persons", "1", "--sensitive", "2",
              "--reason", "x")
    assert bad.exit_code != 0


def test_packs(env: dict[str, str]) -> None:
    res = run(env, "packs")
    assert res.exit_code == 0 and "CN-XB-10" in res.stdout and "[unverified]" in res.stdout
    rows = [orjson.loads(line) for line in run(env, "packs", "--format", "json").stdout.splitlines()]
    assert [r["pack"] for r in rows] == ["cn-2022", "cn-2024"]
