"""With the real PII detectors and the cn-pipl policy pack: what leaves in clear is counted, what
the pack pseudonymises is not (the way to stay exempt)."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest

from tests.helpers import ServerThread, config_from
from tests.upstream import FakeUpstream

ID = "11010519491231002X"
PHONE = "138 0013 8000"
PROMPT = f"Customer Zhang Wei, ID {ID}, phone {PHONE}, asks about the refund."


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRLOCK_VAULT_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.setenv("AIRLOCK_LEDGER_KEY", "e2e-ledger-key-" + "k" * 32)


def _server(tmp_path: Path, upstream: FakeUpstream, packs: list[str]) -> ServerThread:
    config = config_from(
        upstream.base_url,
        detectors={"enabled": ["pii"]},
        deployments=[{"name": "offshore", "provider": "openai", "base_url": upstream.base_url,
                      "jurisdiction": "US"}],
        tenants=[{"id": "cn-retail", "jurisdiction": "CN"}],
        policy={"packs": packs},
        ledger={"enabled": True},
    )
    return ServerThread(config, tmp_path).start()


@pytest.fixture(params=[[], ["cn-pipl"]], ids=["in-clear", "cn-pipl-pseudonymises"])
def server(request: pytest.FixtureRequest, tmp_path: Path, upstream: FakeUpstream, keys: None
           ) -> Iterator[tuple[ServerThread, bool]]:
    s = _server(tmp_path, upstream, request.param)
    yield s, bool(request.param)
    s.stop()


def test_only_what_leaves_in_clear_is_counted(server: tuple[ServerThread, bool], upstream: FakeUpstream) -> None:
    srv, pseudonymised = server
    client = openai.OpenAI(base_url=srv.base_url, api_key=srv.key("cn-retail"), max_retries=0)
    client.chat.completions.create(model="offshore", messages=[{"role": "user", "content": PROMPT}])
    sent = orjson.dumps(upstream.received[-1].body).decode()
    record: dict[str, Any] = next(orjson.loads(r.body) for r in srv.store.iter_audit() if r.kind == "request")
    (outcome,) = record["extra"]["ledger"]
    assert ID not in orjson.dumps(record).decode()
    if pseudonymised:
        assert ID not in sent and (outcome["persons"], outcome["subjects"], outcome["tier"]) == (0, [], "exempt")
    else:
        assert ID in sent
        (subject,) = outcome["subjects"]  # the ID and the phone on one line: one person
        assert len(subject["i"]) == 2 and subject["s"] == 1 and "specific_identity" in subject["c"]
        assert (outcome["persons"], outcome["sensitive_persons"], outcome["tier"]) == (1, 1, "standard_contract")
