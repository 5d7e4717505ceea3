"""The CLI contract: keys on stdout only, exit codes, config errors that name the path."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest
import yaml
from click.testing import CliRunner

from airlock.cli.main import cli
from airlock.keys import hash_secret, parse_key
from airlock.stores import SQLiteStore

CONFIG = {
    "deployments": [{"name": "fake", "provider": "openai", "base_url": "http://127.0.0.1:9/v1"}],
    "tenants": [{"id": "acme"}, {"id": "globex"}],
}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    cfg = tmp_path / "airlock.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    return {"AIRLOCK_HOME": str(tmp_path / "home"), "AIRLOCK_CONFIG": str(cfg)}


def runner() -> CliRunner:
    return CliRunner()


def test_keys_create_prints_only_the_key(env: dict[str, str]) -> None:
    res = runner().invoke(cli, ["keys", "create", "--tenant", "acme"], env=env)
    assert res.exit_code == 0, res.output
    key = res.stdout.strip()
    assert "\n" not in key and parse_key(key) is not None
    assert "created key" in res.stderr
    key_id, secret = parse_key(key)  # type: ignore[misc]
    db = sqlite3.connect(Path(env["AIRLOCK_HOME"]) / "airlock.db")
    stored = db.execute("SELECT secret_hash FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()[0]
    assert stored == hash_secret(secret) and secret not in stored


def test_keys_create_unknown_tenant(env: dict[str, str]) -> None:
    res = runner().invoke(cli, ["keys", "create", "--tenant", "nope"], env=env)
    assert res.exit_code != 0 and "unknown tenant 'nope'" in res.stderr and "acme" in res.stderr


def test_keys_list_and_revoke(env: dict[str, str]) -> None:
    r = runner()
    key = r.invoke(cli, ["keys", "create", "--tenant", "globex", "--scope", "admin", "--name", "ops"], env=env).stdout
    key_id = key.split("_")[1]
    listed = r.invoke(cli, ["keys", "list", "--format", "json"], env=env)
    rows = [orjson.loads(line) for line in listed.stdout.splitlines()]
    assert rows == [{**rows[0], "key_id": key_id, "tenant": "globex", "scope": "admin", "name": "ops"}]
    assert key.strip() not in listed.stdout
    assert "active" in r.invoke(cli, ["keys", "list"], env=env).stdout
    assert r.invoke(cli, ["keys", "revoke", key_id], env=env).exit_code == 0
    assert "revoked" in r.invoke(cli, ["keys", "list"], env=env).stdout
    again = r.invoke(cli, ["keys", "revoke", key_id], env=env)
    assert again.exit_code != 0


def test_config_check(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(CONFIG))
    res = runner().invoke(cli, ["config", "check", str(good)])
    assert res.exit_code == 0 and len(res.stdout.strip()) == 16
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"deployments": [{"name": "x", "provider": "openai", "base_url": "u",
                                                     "api_key": "sk-123"}],
                                   "tenants": [{"id": "a", "limts": {}}]}))
    res = runner().invoke(cli, ["config", "check", str(bad)])
    assert res.exit_code != 0
    assert "deployments[0].api_key: unknown key (secrets never go in the file" in res.stderr
    assert "tenants[0].limts: unknown key (did you mean 'limits'?)" in res.stderr
    assert "sk-123" not in res.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("deployments: [", "not valid YAML at line"),
        ("- a\n- b\n", "top level must be a mapping"),
        ("deployments: []\n", "deployments: List should have at least 1 item"),
        ("deployments: [{name: a, provider: openai}]\n", "provider 'openai' needs base_url"),
        ("deployments: [{name: a, provider: nope}]\n", "deployments[0].provider: Input should be"),
        ("deployments: [{name: a, provider: local}, {name: a, provider: local}]\n", "repeated: a"),
        ("deployments: [{name: a, provider: local, fallbacks: [b]}]\n", "unknown deployment 'b'"),
    ],
)
def test_config_errors_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "c.yaml"
    f.write_text(text)
    res = runner().invoke(cli, ["config", "check", str(f)])
    assert res.exit_code != 0 and message in res.stderr, res.stderr


def test_audit_verify_export_tail(env: dict[str, str]) -> None:
    from airlock.audit import AuditWriter, load_or_create_signer
    from airlock.stores import PendingAudit

    home = Path(env["AIRLOCK_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(home / "airlock.db")
    writer = AuditWriter(store, load_or_create_signer(home))
    writer.start()
    for i in range(5):
        writer.submit(PendingAudit(f"dec_{i}", f"2026-03-0{i + 1}T00:00:00+00:00", "acme", "request",
                                   {"status": 200})).result(5)
    writer.stop()
    store.close()
    r = runner()
    ok = r.invoke(cli, ["audit", "verify"], env=env)
    assert ok.exit_code == 0 and ok.stdout.startswith("OK: 5 records, 1 signed checkpoint")
    exported = r.invoke(cli, ["audit", "export", "--since", "2026-03-02", "--until", "2026-03-04"], env=env)
    assert [orjson.loads(x)["decision_id"] for x in exported.stdout.splitlines()] == ["dec_1", "dec_2"]
    tail = r.invoke(cli, ["audit", "tail", "-n", "2"], env=env)
    assert [orjson.loads(x)["seq"] for x in tail.stdout.splitlines()] == [4, 5]
    db = sqlite3.connect(home / "airlock.db")
    db.execute("UPDATE audit SET body = replace(body, '\"status\":200', '\"status\":201') WHERE seq = 3")
    db.commit()
    broken = r.invoke(cli, ["audit", "verify", "--json"], env=env)
    assert broken.exit_code == 1
    assert orjson.loads(broken.stdout)["first_bad_seq"] == 3


def test_help_lists_every_command() -> None:
    out = runner().invoke(cli, ["--help"]).stdout
    for name in ("serve", "config", "keys", "audit"):
        assert f"  {name}" in out
