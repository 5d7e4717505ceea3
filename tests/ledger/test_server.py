"""The ledger in the request path: the real server, the official openai client, the audit log.

The gateway records through ``Ledger.record_transfer`` (its ``CrossBorderLedger`` seam) while it
prepares the body for a deployment abroad, before the call; these tests run it end to end on
127.0.0.1 with the fake upstream.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest

from airlock.ledger.rebuild import compare, ledger_payloads, replay
from airlock.ledger.sqlite import SQLiteLedgerStore
from tests.helpers import ServerThread, config_from
from tests.ledger.pii import RegexScanner, phone, resident_id
from tests.upstream import FakeUpstream


def _config(upstream: FakeUpstream, **tenant_ledger: Any) -> Any:
    base = {"retries": {"max_attempts": 1}, "timeouts": {"connect": 2, "first_byte": 5, "total": 20},
            "provider": "openai", "base_url": upstream.base_url}
    return config_from(
        upstream.base_url,
        deployments=[
            {"name": "gpt-abroad", "jurisdiction": "US", "embeddings": True, **base},
            {"name": "qwen-home", "jurisdiction": "CN", **base},
        ],
        tenants=[{"id": "acme", "jurisdiction": "CN", "limits": {"rpm": 10000}, "purposes": ["hr_management"],
                  "ledger": {"mode": "enforce", **tenant_ledger}}],
        ledger={"enabled": True},
    )


@pytest.fixture
def server(tmp_path: Path, upstream: FakeUpstream, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerThread]:
    monkeypatch.setenv("AIRLOCK_LEDGER_KEY", "test-ledger-key-" + "x" * 32)
    srv = ServerThread(_config(upstream), tmp_path, scanner=RegexScanner()).start()
    yield srv
    srv.stop()


def client(server: ServerThread) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=server.key(), max_retries=0)


def audit_bodies(server: ServerThread) -> list[dict[str, Any]]:
    return [orjson.loads(r.body) for r in server.store.iter_audit() if r.kind == "request"]


def chat(server: ServerThread, text: str, model: str = "gpt-abroad", **kw: Any) -> Any:
    return client(server).chat.completions.create(model=model, messages=[{"role": "user", "content": text}], **kw)


def ledger_of(record: dict[str, Any]) -> dict[str, Any]:
    (outcome,) = record["extra"]["ledger"]  # one outcome per jurisdiction reached
    return outcome  # type: ignore[no-any-return]


def test_enforce_refusal_through_the_server(server: ServerThread, upstream: FakeUpstream) -> None:
    assert chat(server, f"call {phone(1)} or {phone(2)}").choices[0].message.content
    sent = len(upstream.received)
    rid = resident_id(7)
    with pytest.raises(openai.PermissionDeniedError) as info:
        chat(server, f"customer ID {rid}")
    err = info.value
    assert err.status_code == 403 and err.code == "cross_border_threshold"
    assert "standard_contract" in err.message and "CN-XB-10" in err.message and "3 persons" in err.message
    assert rid not in err.message
    assert err.response.headers["x-should-retry"] == "false"
    assert err.response.headers["x-airlock-decision-id"].startswith("dec_")
    assert len(upstream.received) == sent  # refused before anything left
    records = audit_bodies(server)
    refused = records[-1]
    assert refused["status"] == 403 and refused["outcome"] == "blocked" and "ledger.CN-XB-10" in refused["rules"]
    assert ledger_of(refused)["refused"] is True
    assert rid not in orjson.dumps(records).decode()
    ok = ledger_of(records[0])
    assert (ok["persons"], ok["tier"], ok["deployment"], ok["jurisdiction"]) == (2, "exempt", "gpt-abroad", "US")


def test_domestic_deployment_is_not_a_transfer(server: ServerThread) -> None:
    chat(server, f"ID {resident_id(1)}", model="qwen-home")  # stays in CN: not counted, not refused
    assert "ledger" not in audit_bodies(server)[-1].get("extra", {})


def test_streaming_is_recorded_before_sending(server: ServerThread, upstream: FakeUpstream) -> None:
    stream = chat(server, f"stream for {phone(3)}", stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    sent = len(upstream.received)
    with pytest.raises(openai.PermissionDeniedError):
        list(chat(server, f"stream for {resident_id(5)}", stream=True))
    assert len(upstream.received) == sent
    records = audit_bodies(server)
    assert [ledger_of(r)["persons"] for r in records] == [1, 2]
    assert [ledger_of(r)["refused"] for r in records] == [False, True]


def test_a_declared_purpose_exemption(server: ServerThread) -> None:
    raw = client(server).chat.completions.with_raw_response.create(
        model="gpt-abroad", messages=[{"role": "user", "content": f"payroll for employee ID {resident_id(6)}"}],
        extra_headers={"x-airlock-purpose": "hr_management"})
    assert raw.http_response.status_code == 200
    outcome = ledger_of(audit_bodies(server)[-1])
    assert (outcome["exemption"], outcome["persons"], outcome["subjects"][0]["b"]) == (
        "CN-XB-04", 0, "purpose:hr_management")


def test_rebuild_from_the_audit_log_equals_live(server: ServerThread) -> None:
    chat(server, f"{phone(1)} and {phone(2)}")
    chat(server, f"again {phone(1)}, now with mail p1@example.com")
    chat(server, f"and {phone(3)}\n\n{phone(1)}")
    with pytest.raises(openai.PermissionDeniedError):
        chat(server, resident_id(9))
    live = SQLiteLedgerStore(server.data_dir / "airlock.db")
    rebuilt = replay(ledger_payloads(server.store.iter_audit()))
    assert (rebuilt.transfers, rebuilt.refused) == (3, 1)
    assert compare(live, rebuilt) == []
    assert live.totals("acme", rebuilt.periods[("acme", max(p for _, p in rebuilt.periods))].period).persons == 3
    live.close()
