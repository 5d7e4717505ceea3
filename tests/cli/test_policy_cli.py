"""`airlock policy check | test | explain` and `airlock replay`."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml
from click.testing import CliRunner

from airlock.audit import AuditWriter, load_or_create_signer
from airlock.cli.main import cli
from airlock.stores import PendingAudit, SQLiteStore

CONFIG = {
    "deployments": [
        {"name": "cn-local", "provider": "openai", "base_url": "http://127.0.0.1:9/v1", "jurisdiction": "CN"},
        {"name": "us-azure", "public_name": "gpt", "provider": "openai", "base_url": "http://127.0.0.1:9/v1",
         "jurisdiction": "US"},
        {"name": "gov", "public_name": "gpt", "provider": "openai", "base_url": "http://127.0.0.1:9/v1",
         "jurisdiction": "US", "max_classification": "SECRET", "priority": 1},
    ],
    "tenants": [{"id": "cn-bank", "jurisdiction": "CN"}, {"id": "dod", "jurisdiction": "US", "clearance": "SECRET"}],
    "policy": {"packs": ["default", "cn-pipl", "us-gov"]},
}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    cfg = tmp_path / "airlock.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    return {"AIRLOCK_HOME": str(tmp_path / "home"), "AIRLOCK_CONFIG": str(cfg)}


def test_policy_check_prints_revision(env: dict[str, str]) -> None:
    res = CliRunner().invoke(cli, ["policy", "check"], env=env)
    assert res.exit_code == 0 and res.stdout.startswith("pol-")
    assert "rule(s) from packs [default, cn-pipl, us-gov]" in res.stderr


def test_policy_check_rejects_conflicts(env: dict[str, str], tmp_path: Path) -> None:
    bad = dict(CONFIG, policy={"packs": [], "rules": [
        {"id": "a", "when": {"findings": {"type": "EMAIL"}}, "then": "redact"},
        {"id": "b", "when": {"findings": {"type": "EMAIL"}}, "then": "pseudonymise"}]})
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(bad))
    res = CliRunner().invoke(cli, ["policy", "check", "--config", str(cfg)], env=env)
    assert res.exit_code != 0 and "'a'" in res.stderr and "'b'" in res.stderr


def test_policy_test_cases(env: dict[str, str], tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(yaml.safe_dump({"cases": [
        {"name": "secret marking goes to gov", "tenant": "dod", "deployments": ["gpt"],
         "findings": [{"type": "CLASSIFICATION_MARKING", "level": "SECRET"}],
         "expect": {"action": "allow", "eligible": ["gov"]}},
        {"name": "red line", "tenant": "dod", "findings": [{"type": "PROHIBITED_USE",
                                                           "category": "autonomous_weapons"}],
         "expect": {"action": "block", "code": "prohibited_use", "rules": ["us-gov.red-line.autonomous-weapons"]}},
        {"name": "pii abroad is pseudonymised", "tenant": "cn-bank", "deployments": ["us-azure"],
         "findings": [{"type": "EMAIL", "start": 0, "end": 5}], "expect": {"action": "allow"}},
    ]}))
    res = CliRunner().invoke(cli, ["policy", "test", str(cases)], env=env)
    assert res.exit_code == 0, res.stdout
    assert "3/3 cases passed" in res.stdout
    cases.write_text(yaml.safe_dump([{"name": "wrong expectation", "tenant": "dod", "findings": [],
                                      "expect": {"action": "block"}}]))
    res = CliRunner().invoke(cli, ["policy", "test", str(cases)], env=env)
    assert res.exit_code == 1 and "FAIL wrong expectation" in res.stdout and "action: expected 'block'" in res.stdout


def test_policy_explain(env: dict[str, str], tmp_path: Path) -> None:
    req = tmp_path / "req.json"
    req.write_text('{"model": "gpt", "messages": [{"role": "user", "content": "hello"}]}')
    res = CliRunner().invoke(cli, ["policy", "explain", str(req), "--tenant", "dod", "--classification", "SECRET"],
                             env=env)
    assert res.exit_code == 0, res.output
    out = orjson.loads(res.stdout)
    assert out["decision"]["eligible"] == ["gov"]
    rule = next(r for r in out["rules"] if r["rule"] == "default.classification.route")
    assert rule["fired"] and rule["deployments"] == ["us-azure"]


def test_replay_shows_changed_decisions(env: dict[str, str], tmp_path: Path) -> None:
    home = Path(env["AIRLOCK_HOME"])
    home.mkdir(parents=True)
    store = SQLiteStore(home / "airlock.db")
    writer = AuditWriter(store, load_or_create_signer(home))
    writer.start()
    for i, findings in enumerate([[], [{"type": "EMAIL", "rule": "pii.email", "stage": "prompt", "start": 0,
                                        "end": 5, "path": "messages[0].content", "score": 1.0}]]):
        writer.submit(PendingAudit(f"dec_{i}", "2026-05-01T00:00:00+00:00", "cn-bank", "request", {
            "route": "/v1/chat/completions", "model": "cn-local", "status": 200, "outcome": "ok",
            "findings": findings, "request": {"purpose": None, "classification": None}})).result(5)
    writer.stop()
    store.close()
    strict = dict(CONFIG, policy={"packs": ["default"], "rules": [
        {"id": "no-email", "when": {"findings": {"type": "EMAIL"}}, "then": "block"}]})
    cand = tmp_path / "candidate.yaml"
    cand.write_text(yaml.safe_dump(strict))
    res = CliRunner().invoke(cli, ["replay", "--policy", str(cand), "--format", "json"], env=env)
    assert res.exit_code == 0, res.output
    out = orjson.loads(res.stdout)
    assert out["records"] == 2 and out["changes"] == {"allow -> allow": 1, "allow -> block": 1}
    assert out["examples"] == {"allow -> block": ["dec_1"]}
