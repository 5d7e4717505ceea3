"""The ledger in the request path: the real server, the official openai client, the audit log.

The gateway wiring is ledger.guard (each provider of a deployment abroad records before the
call); these tests run it end to end on 127.0.0.1 with the fake upstream.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest

from airlock.ledger.rebuild import compare, ledger_payloads, replay
from airlock.ledger.store import SQLiteLedgerStore
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
        tenants=[{"id": "acme", "jurisdiction": "CN", "limits": {"rpm": 10000},
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
    assert refused["extra"]["ledger"]["refused"] is True
    assert rid not in orjson.dumps(records).decode()
    ok = records[0]["extra"]["ledger"]
    assert (ok["persons"], ok["tier"], ok["deployment"], ok["jurisdiction"]) == (2, "exempt", "gpt-abroad", "US")


def test_domestic_deployment_is_not_a_transfer(server: ServerThread) -> None:
    chat(server, f"ID {resident_id(1)}", model="qwen-home")  # stays in CN: not counted, not refused
    assert "extra" not in audit_bodies(server)[-1]


def test_streaming_and_embeddings_are_recorded_before_sending(server: ServerThread, upstream: FakeUpstream) -> None:
    stream = chat(server, f"stream for {phone(3)}", stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    client(server).embeddings.create(model="gpt-abroad", input=[f"embed {phone(4)}", "plain"])
    with pytest.raises(openai.PermissionDeniedError):
        client(server).embeddings.create(model="gpt-abroad", input=f"embed {resident_id(5)}")
    records = audit_bodies(server)
    assert [r["extra"]["ledger"]["persons"] for r in records] == [1, 2, 3]
    assert [r["extra"]["ledger"]["refused"] for r in records] == [False, False, True]


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
