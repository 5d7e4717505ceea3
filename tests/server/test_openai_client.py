"""The official openai client against the running gateway (fake upstream on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import orjson
import pytest

from tests.helpers import ServerThread, config_from
from tests.upstream import FakeUpstream


def client(server: ServerThread, key: str | None = None, **kw: object) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=key or server.key(), max_retries=0, **kw)  # type: ignore[arg-type]


def last_record(server: ServerThread) -> dict[str, object]:
    head = server.store.audit_head()
    assert head is not None
    row = next(server.store.iter_audit(after_seq=head.seq - 1))
    return orjson.loads(row.body)  # type: ignore[no-any-return]


def test_non_streaming(gateway_server: ServerThread, upstream: FakeUpstream) -> None:
    raw = client(gateway_server).chat.completions.with_raw_response.create(
        model="fake", messages=[{"role": "user", "content": "ping pong"}], max_tokens=5, n=1,
        response_format={"type": "text"},
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "ping pong"
    assert completion.model == "fake"
    decision = raw.headers["x-airlock-decision-id"]
    assert decision.startswith("dec_")
    sent = upstream.received[-1].body
    assert sent is not None and sent["max_tokens"] == 5 and sent["response_format"] == {"type": "text"}
    rec = last_record(gateway_server)
    assert rec["decision_id"] == decision and rec["status"] == 200 and rec["deployment"] == "fake"
    assert rec["usage"] == {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    assert "ping" not in orjson.dumps(rec).decode()  # no prompt text in the audit record


def test_streaming_with_usage(gateway_server: ServerThread, upstream: FakeUpstream) -> None:
    stream = client(gateway_server).chat.completions.create(
        model="fake", messages=[{"role": "user", "content": "one two three"}], stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two three"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 8
    assert all(c.model == "fake" for c in chunks)


def test_streaming_without_usage_strips_the_usage_chunk(gateway_server: ServerThread, upstream: FakeUpstream) -> None:
    chunks = list(client(gateway_server).chat.completions.create(
        model="fake", messages=[{"role": "user", "content": "a b"}], stream=True))
    assert all(c.choices for c in chunks) and all(c.usage is None for c in chunks)
    # usage was still forced upstream for metering
    sent = upstream.received[-1].body
    assert sent is not None and sent["stream_options"] == {"include_usage": True}
    assert last_record(gateway_server)["usage"] == {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}


def test_tools_pass_through(gateway_server: ServerThread, upstream: FakeUpstream) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "description": "find", "parameters": {}}}]
    out = client(gateway_server).chat.completions.create(
        model="fake", messages=[{"role": "user", "content": "x"}], tools=tools, tool_choice="auto")  # type: ignore[arg-type]
    call = out.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "lookup" and out.choices[0].finish_reason == "tool_calls"
    sent = upstream.received[-1].body
    assert sent is not None and sent["tools"] == tools and sent["tool_choice"] == "auto"


def test_models_listing_and_lookup(gateway_server: ServerThread) -> None:
    c = client(gateway_server)
    assert [m.id for m in c.models.list()] == ["fake"]
    assert c.models.retrieve("fake").id == "fake"
    with pytest.raises(openai.NotFoundError):
        c.models.retrieve("nope")


def test_embeddings(gateway_server: ServerThread, upstream: FakeUpstream) -> None:
    out = client(gateway_server).embeddings.create(model="fake", input=["ab", "cde"])
    assert [d.embedding[2] for d in out.data] == [2.0, 3.0]


@pytest.mark.parametrize(
    ("kwargs", "exc", "code"),
    [
        ({"model": "unknown-model"}, openai.NotFoundError, "model_not_found"),
        ({"model": "fake", "temperature": 7}, openai.BadRequestError, "invalid_value"),
        ({"model": "fake", "n": "two"}, openai.BadRequestError, "invalid_type"),
    ],
)
def test_client_errors(gateway_server: ServerThread, kwargs: dict[str, object], exc: type, code: str) -> None:
    with pytest.raises(exc) as err:
        client(gateway_server).chat.completions.create(messages=[{"role": "user", "content": "x"}], **kwargs)  # type: ignore[call-overload]
    e = err.value
    assert e.code == code  # type: ignore[attr-defined]
    assert e.response.headers["x-airlock-decision-id"].startswith("dec_")  # type: ignore[attr-defined]
    assert e.response.headers["x-should-retry"] == "false"  # type: ignore[attr-defined]
    body = e.response.json()  # type: ignore[attr-defined]
    assert set(body["error"]) >= {"message", "type", "param", "code"} and body["decision_id"]
    assert last_record(gateway_server)["error_code"] == code


def test_authentication_errors(gateway_server: ServerThread) -> None:
    with pytest.raises(openai.AuthenticationError) as err:
        client(gateway_server, key="ak_000000000000_wrong").models.list()
    assert err.value.code == "invalid_api_key"
    admin = gateway_server.key(scope="admin")
    with pytest.raises(openai.PermissionDeniedError):
        client(gateway_server, key=admin).models.list()


def test_raw_bad_input(gateway_server: ServerThread) -> None:
    key = gateway_server.key()
    url = f"{gateway_server.base_url}/chat/completions"
    h = {"authorization": f"Bearer {key}", "content-type": "application/json"}
    r = httpx.post(url, content=b"{not json", headers=h)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    r = httpx.post(url, content=b"[1, 2]", headers=h)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    r = httpx.post(url, json={"model": "fake", "messages": [{"role": "wizard", "content": "x"}]}, headers=h)
    assert r.status_code == 400 and r.json()["error"]["param"] == "messages[0].role"
    r = httpx.post(url, json={"model": "fake", "messages": [{"role": "user", "content": 5}]}, headers=h)
    assert r.status_code == 400 and r.json()["error"]["param"] == "messages[0].content"
    r = httpx.post(url, json={"model": "fake"}, headers=h)
    assert r.status_code == 400 and r.json()["error"]["param"] == "messages"
    big = b'{"model": "fake", "messages": [{"role": "user", "content": "' + b"x" * (4 * 1024 * 1024) + b'"}]}'
    r = httpx.post(url, content=big, headers=h)
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"
    r = httpx.get(f"{gateway_server.url}/v1/nothing-here", headers=h)
    assert r.status_code == 404 and r.json()["error"]["code"] == "route_not_found"
    # every one of these was audited
    codes = [orjson.loads(row.body)["error_code"] for row in gateway_server.store.iter_audit()]
    assert codes[-6:] == ["invalid_json", "invalid_json", "invalid_value", "invalid_type",
                          "missing_required_parameter", "request_too_large"]


def test_upstream_failure_is_audited_and_clear(gateway_server: ServerThread, upstream: FakeUpstream) -> None:
    upstream.script.fail_with = [500, 500, 500]
    with pytest.raises(openai.APIStatusError) as err:
        client(gateway_server).chat.completions.create(model="fake", messages=[{"role": "user", "content": "x"}])
    assert err.value.status_code == 502 and err.value.code == "upstream_error"
    rec = last_record(gateway_server)
    assert rec["status"] == 502 and len(rec["attempts"]) == 2  # type: ignore[arg-type]


def test_upstream_client_error_passes_through(gateway_server: ServerThread, upstream: FakeUpstream) -> None:
    upstream.script.fail_with = [400]
    with pytest.raises(openai.BadRequestError) as err:
        client(gateway_server).chat.completions.create(model="fake", messages=[{"role": "user", "content": "x"}])
    assert err.value.code == "scripted" and len(upstream.received) == 1


def test_mid_stream_failure_ends_with_error_event(gateway_server: ServerThread, upstream: FakeUpstream) -> None:
    upstream.script.reply = "one two three four five"
    upstream.script.drop_after_chunks = 3
    stream = client(gateway_server).chat.completions.create(
        model="fake", messages=[{"role": "user", "content": "x"}], stream=True)
    got: list[str] = []
    with pytest.raises(openai.APIError) as err:
        for c in stream:
            got.append(c.choices[0].delta.content or "")
    assert "one" in "".join(got) and "incomplete" in str(err.value.message)
    rec = last_record(gateway_server)
    assert rec["status"] == 502 and rec["error_code"] == "upstream_error_mid_stream"


def test_rate_limit(tmp_path: Path, upstream: FakeUpstream) -> None:
    config = config_from(upstream.base_url, tenants=[{"id": "acme", "limits": {"rpm": 2}}])
    server = ServerThread(config, tmp_path).start()
    try:
        c = client(server)
        for _ in range(2):
            c.chat.completions.create(model="fake", messages=[{"role": "user", "content": "x"}])
        with pytest.raises(openai.RateLimitError) as err:
            c.chat.completions.create(model="fake", messages=[{"role": "user", "content": "x"}])
        assert int(err.value.response.headers["retry-after"]) >= 1
        assert err.value.response.headers["x-should-retry"] == "true"
    finally:
        server.stop()


def test_revoke_takes_effect_immediately(gateway_server: ServerThread) -> None:
    key = gateway_server.key()
    c = client(gateway_server, key=key)
    c.models.list()
    key_id = key.split("_")[1]
    assert gateway_server.store.revoke_key(key_id, "2026-01-01T00:00:00+00:00")
    with pytest.raises(openai.AuthenticationError) as err:
        c.models.list()
    assert err.value.code == "revoked_api_key"


def test_keys_are_stored_hashed(gateway_server: ServerThread) -> None:
    key = gateway_server.key()
    secret = key.split("_", 2)[2]
    files = [p for p in Path(gateway_server.data_dir).iterdir() if p.name.startswith("airlock.db")]
    dump = b"".join(p.read_bytes() for p in files)
    assert len(files) >= 2  # the database and its WAL
    assert secret.encode() not in dump and key.encode() not in dump
