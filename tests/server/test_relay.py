"""Relay details: Azure annotations and async-filter chunks, Azure-style routes, disconnects."""

from __future__ import annotations

import asyncio
import socket
import time

import openai
import orjson
import pytest

from tests.helpers import ServerThread
from tests.upstream import FakeUpstream


def records(server: ServerThread) -> list[dict[str, object]]:
    return [orjson.loads(r.body) for r in server.store.iter_audit()]


def test_azure_annotations_pass_through(gateway_server: ServerThread, upstream: FakeUpstream) -> None:
    upstream.script.azure_annotations = True
    c = openai.OpenAI(base_url=gateway_server.base_url, api_key=gateway_server.key(), max_retries=0)
    out = c.chat.completions.create(model="fake", messages=[{"role": "user", "content": "hi"}])
    extra = out.model_extra or {}
    assert extra["prompt_filter_results"][0]["content_filter_results"]["hate"] == {"filtered": False, "severity": "safe"}
    choice_extra = out.choices[0].model_extra or {}
    assert "content_filter_results" in choice_extra


def test_azure_async_filter_chunks_do_not_break_the_stream(gateway_server: ServerThread, upstream: FakeUpstream) -> None:
    upstream.script.azure_annotations = True
    c = openai.OpenAI(base_url=gateway_server.base_url, api_key=gateway_server.key(), max_retries=0)
    chunks = list(c.chat.completions.create(model="fake", messages=[{"role": "user", "content": "a b c"}],
                                            stream=True))
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices and ch.choices[0].delta)
    assert text == "a b c"
    annotation_chunks = [ch for ch in chunks if ch.id == ""]
    assert len(annotation_chunks) == 2


def test_azure_openai_client_against_deployment_routes(gateway_server: ServerThread, upstream: FakeUpstream) -> None:
    c = openai.AzureOpenAI(azure_endpoint=gateway_server.url, api_key=gateway_server.key(),
                           api_version="2024-10-21", max_retries=0)
    out = c.chat.completions.create(model="fake", messages=[{"role": "user", "content": "via azure"}])
    assert out.choices[0].message.content == "via azure"


def test_client_disconnect_mid_stream_cancels_upstream(gateway_server: ServerThread, upstream: FakeUpstream) -> None:
    upstream.script.reply = " ".join(["word"] * 200)
    upstream.script.chunk_delay = 0.02
    key = gateway_server.key()
    body = orjson.dumps({"model": "fake", "stream": True, "messages": [{"role": "user", "content": "x"}]})
    req = (f"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {key}\r\n"
           f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", gateway_server.port)) as s:
        s.sendall(req)
        got = b""
        while got.count(b"data: ") < 5:
            got += s.recv(65536)
    # the client is gone; the gateway must notice, stop relaying and audit it
    deadline = time.time() + 10
    while time.time() < deadline:
        recs = records(gateway_server)
        if recs and recs[-1]["outcome"] == "client_disconnected":
            break
        time.sleep(0.05)
    rec = records(gateway_server)[-1]
    assert rec["outcome"] == "client_disconnected" and rec["status"] == 499
    assert rec["error_code"] == "client_disconnected"


def test_healthz_readyz_metrics(gateway_server: ServerThread) -> None:
    import httpx

    assert httpx.get(f"{gateway_server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{gateway_server.url}/readyz").json()
    assert ready["status"] == "ready" and ready["store"] is True
    c = openai.OpenAI(base_url=gateway_server.base_url, api_key=gateway_server.key(), max_retries=0)
    c.chat.completions.create(model="fake", messages=[{"role": "user", "content": "x"}])
    text = httpx.get(f"{gateway_server.url}/metrics").text
    assert 'airlock_requests_total{route="/v1/chat/completions",status="200",tenant="acme"}' in text
    assert "airlock_overhead_seconds_bucket" in text and "airlock_upstream_seconds_bucket" in text


def test_admin_api(gateway_server: ServerThread) -> None:
    import httpx

    admin = gateway_server.key(scope="admin")
    h = {"authorization": f"Bearer {admin}"}
    r = httpx.post(f"{gateway_server.url}/admin/keys", json={"tenant": "acme"}, headers=h)
    assert r.status_code == 201
    new = r.json()
    assert new["key"].startswith("ak_") and new["scope"] == "inference"
    listed = httpx.get(f"{gateway_server.url}/admin/keys", headers=h).json()["data"]
    assert new["key_id"] in [k["key_id"] for k in listed] and all("key" not in k for k in listed)
    assert httpx.post(f"{gateway_server.url}/admin/keys/{new['key_id']}/revoke", headers=h).status_code == 200
    verify = httpx.get(f"{gateway_server.url}/admin/audit/verify", headers=h).json()
    assert verify["ok"] is True
    # inference keys cannot use the admin API
    inf = {"authorization": f"Bearer {gateway_server.key()}"}
    assert httpx.get(f"{gateway_server.url}/admin/keys", headers=inf).status_code == 403
    tail = httpx.get(f"{gateway_server.url}/admin/audit?limit=3", headers=h).json()["data"]
    assert len(tail) == 3 and tail[-1]["route"] == "/admin/keys" and tail[-1]["status"] == 403
    assert tail[-2]["route"] == "/admin/audit/verify"


def test_audit_is_durable_when_response_completes(gateway_server: ServerThread) -> None:
    """The record is in the store by the time the client has the response."""
    c = openai.OpenAI(base_url=gateway_server.base_url, api_key=gateway_server.key(), max_retries=0)

    async def one() -> str:
        ac = openai.AsyncOpenAI(base_url=gateway_server.base_url, api_key=c.api_key, max_retries=0)
        raw = await ac.chat.completions.with_raw_response.create(
            model="fake", messages=[{"role": "user", "content": "x"}])
        return raw.headers["x-airlock-decision-id"]

    decision = asyncio.run(one())
    ids = [r["decision_id"] for r in records(gateway_server)]
    assert decision in ids


def test_readyz_reports_an_unreachable_upstream(tmp_path, upstream) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from tests.helpers import ServerThread, config_from

    config = config_from(upstream.base_url, deployments=[
        {"name": "up", "provider": "openai", "base_url": upstream.base_url},
        {"name": "down", "provider": "openai", "base_url": "http://127.0.0.1:9/v1"},
    ])
    server = ServerThread(config, tmp_path).start()
    try:
        body = httpx.get(f"{server.url}/readyz").json()
        assert body["status"] == "ready"
        assert body["deployments"]["up"]["ready"] is True and body["deployments"]["down"]["ready"] is False
    finally:
        server.stop()


def test_a_failure_inside_the_relay_ends_the_stream_with_an_error_and_is_audited(tmp_path, upstream) -> None:  # type: ignore[no-untyped-def]
    from airlock.detectors import Stage
    from tests.helpers import ServerThread, config_from

    class Exploding:
        """A scanner that fails on completions: the relay must not cut the stream silently."""

        empty = False

        def scan(self, text, *, stage=Stage.PROMPT, context=None, hooks=True):  # type: ignore[no-untyped-def]
            if stage == Stage.COMPLETION:
                raise RuntimeError("detector bug")
            return []

    server = ServerThread(config_from(upstream.base_url), tmp_path, scanner=Exploding()).start()
    try:
        c = openai.OpenAI(base_url=server.base_url, api_key=server.key(), max_retries=0)
        with pytest.raises(openai.APIError) as err:
            list(c.chat.completions.create(model="fake", stream=True, messages=[{"role": "user", "content": "hi"}]))
        assert "incomplete" in str(err.value.message)
        rec = records(server)[-1]
        assert rec["status"] == 500 and rec["error_code"] == "internal_error"
    finally:
        server.stop()
