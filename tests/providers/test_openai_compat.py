"""Providers through the httpx transport seam: no sockets."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import httpx
import pytest

from airlock.config import parse_config
from airlock.providers import HttpxClient, ProviderError, StreamClosed, build_provider
from airlock.providers.azure import EntraTokenSource
from airlock.providers.openai_compat import parse_retry_after

COMPLETION = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
}


def deployment(**over: Any) -> Any:
    d = {"name": "d1", "provider": "openai", "base_url": "https://up.example/v1", "upstream_model": "gpt-x"}
    d.update(over)
    return parse_config({"deployments": [d]}).deployments[0]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_openai_url_auth_and_model_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UP_KEY", "sk-test")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=COMPLETION, headers={"x-request-id": "req-9"})

    provider = build_provider(deployment(api_key_env="UP_KEY"), HttpxClient(httpx.MockTransport(handler)))
    result = run(provider.chat({"model": "client-chose-this", "messages": [], "base_url": "x"}, request_id="r"))
    assert result.body["choices"][0]["message"]["content"] == "hi"
    assert ("x-request-id", "req-9") in result.headers
    req = seen[0]
    assert str(req.url) == "https://up.example/v1/chat/completions"
    assert req.headers["authorization"] == "Bearer sk-test"
    sent = json.loads(req.content)
    assert sent["model"] == "gpt-x" and sent["stream"] is False


def test_missing_key_env_is_an_auth_error() -> None:
    provider = build_provider(deployment(api_key_env="NOT_SET_ANYWHERE_123"),
                              HttpxClient(httpx.MockTransport(lambda r: httpx.Response(200, json=COMPLETION))))
    with pytest.raises(ProviderError) as err:
        run(provider.chat({"messages": []}, request_id="r"))
    assert err.value.kind == "auth" and "NOT_SET_ANYWHERE_123" in err.value.message


@pytest.mark.parametrize(
    ("status", "retryable", "kind"),
    [(429, True, "http"), (500, True, "http"), (503, True, "http"), (408, True, "http"),
     (400, False, "http"), (401, False, "auth"), (403, False, "auth"), (404, False, "not_found")],
)
def test_status_mapping(status: int, retryable: bool, kind: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": {"message": "nope", "type": "x", "param": None, "code": "c"}},
                              headers={"retry-after": "3"})

    provider = build_provider(deployment(), HttpxClient(httpx.MockTransport(handler)))
    with pytest.raises(ProviderError) as err:
        run(provider.chat({"messages": []}, request_id="r"))
    assert (err.value.status, err.value.retryable, err.value.kind) == (status, retryable, kind)
    assert err.value.retry_after == 3.0
    assert err.value.body is not None and err.value.body["error"]["code"] == "c"


def test_connect_error_is_retryable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    provider = build_provider(deployment(), HttpxClient(httpx.MockTransport(handler)))
    with pytest.raises(ProviderError) as err:
        run(provider.chat({"messages": []}, request_id="r"))
    assert err.value.kind == "connect" and err.value.retryable


def test_non_json_body() -> None:
    provider = build_provider(deployment(), HttpxClient(httpx.MockTransport(lambda r: httpx.Response(200, text="<html>"))))
    with pytest.raises(ProviderError) as err:
        run(provider.chat({"messages": []}, request_id="r"))
    assert err.value.kind == "protocol"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"retry-after-ms": "1500"}, 1.5), ({"retry-after": "7"}, 7.0), ({}, None), ({"retry-after": "soon"}, None),
     ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0)],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def sse(*events: Any, done: bool = True) -> bytes:
    out = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
    return out + (b"data: [DONE]\n\n" if done else b"")


def chunk(content: str | None = None, finish: str | None = None) -> dict[str, Any]:
    delta = {"content": content} if content is not None else {}
    return {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


async def collect(provider: Any, body: dict[str, Any]) -> list[dict[str, Any]]:
    return [c async for c in provider.chat_stream(body, request_id="r")]


def test_stream_parses_events_split_across_reads() -> None:
    payload = sse(chunk("Hel"), chunk("lo"), chunk(finish="stop"))

    class Split(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            for i in range(0, len(payload), 7):  # cut events at arbitrary places
                yield payload[i : i + 7]

    provider = build_provider(deployment(), HttpxClient(httpx.MockTransport(
        lambda r: httpx.Response(200, stream=Split(), headers={"content-type": "text/event-stream"}))))
    chunks = run(collect(provider, {"messages": []}))
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "Hello"


def test_stream_cut_before_finish_raises_stream_closed() -> None:
    provider = build_provider(deployment(), HttpxClient(httpx.MockTransport(
        lambda r: httpx.Response(200, content=sse(chunk("Hel"), done=False)))))
    with pytest.raises(StreamClosed):
        run(collect(provider, {"messages": []}))


def test_stream_error_event_mid_stream() -> None:
    payload = sse(chunk("a"), {"error": {"message": "secret prompt text here", "type": "server_error"}})
    provider = build_provider(deployment(), HttpxClient(httpx.MockTransport(lambda r: httpx.Response(200, content=payload))))
    with pytest.raises(ProviderError) as err:
        run(collect(provider, {"messages": []}))
    assert "secret prompt text" not in err.value.message


def test_stream_http_error_before_first_chunk() -> None:
    provider = build_provider(deployment(), HttpxClient(httpx.MockTransport(
        lambda r: httpx.Response(503, json={"error": {"message": "busy"}}))))
    with pytest.raises(ProviderError) as err:
        run(collect(provider, {"messages": []}))
    assert err.value.status == 503 and err.value.retryable


# ---------------------------------------------------------------------------- Azure


def azure(**over: Any) -> Any:
    az = {"resource": "contoso", "deployment": "gpt4o-prod", "api_version": "2024-10-21"}
    az.update(over)
    return deployment(provider="azure_openai", base_url=None, azure=az, api_key_env="AZ_KEY")


def test_azure_url_api_key_and_annotations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZ_KEY", "azkey")
    seen: list[httpx.Request] = []
    body = dict(COMPLETION)
    body["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": {"hate": {"filtered": False}}}]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=body)

    provider = build_provider(azure(), HttpxClient(httpx.MockTransport(handler)))
    result = run(provider.chat({"model": "ignored", "messages": []}, request_id="r"))
    assert str(seen[0].url) == (
        "https://contoso.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21"
    )
    assert seen[0].headers["api-key"] == "azkey" and "authorization" not in seen[0].headers
    assert "model" not in json.loads(seen[0].content)
    assert result.body["prompt_filter_results"][0]["prompt_index"] == 0


def test_azure_government_endpoint() -> None:
    d = azure(resource=None, endpoint="https://agency.openai.azure.us/")
    provider = build_provider(d, HttpxClient(httpx.MockTransport(lambda r: httpx.Response(200, json=COMPLETION))))
    assert provider.url("embeddings").startswith("https://agency.openai.azure.us/openai/deployments/gpt4o-prod/embeddings")  # type: ignore[attr-defined]


def test_azure_async_filter_chunks_pass_through() -> None:
    annotation = {"id": "", "object": "", "created": 0, "model": "", "choices": [
        {"index": 0, "finish_reason": None, "content_filter_results": {"hate": {"filtered": False}},
         "content_filter_offsets": {"check_offset": 3, "start_offset": 0, "end_offset": 3}}]}
    payload = sse(chunk("abc"), annotation, chunk(finish="stop"))
    provider = build_provider(azure(), HttpxClient(httpx.MockTransport(lambda r: httpx.Response(200, content=payload))))
    import os
    os.environ["AZ_KEY"] = "k"
    chunks = run(collect(provider, {"messages": []}))
    assert chunks[1] == annotation


def test_entra_token_from_command_is_cached() -> None:
    settings = parse_config({"deployments": [{
        "name": "d", "provider": "azure_openai",
        "azure": {"resource": "r", "deployment": "x", "auth": "entra",
                  "token_command": [sys.executable, "-c", "print('tok-123')"]}}]}).deployments[0].azure
    assert settings is not None
    source = EntraTokenSource(settings)

    async def twice() -> tuple[str, str]:
        return await source.token(), await source.token()

    assert run(twice()) == ("tok-123", "tok-123")


def test_entra_command_failure() -> None:
    settings = parse_config({"deployments": [{
        "name": "d", "provider": "azure_openai",
        "azure": {"resource": "r", "deployment": "x", "auth": "entra",
                  "token_command": [sys.executable, "-c", "import sys; sys.exit(3)"]}}]}).deployments[0].azure
    assert settings is not None
    with pytest.raises(ProviderError) as err:
        run(EntraTokenSource(settings).token())
    assert err.value.kind == "auth"
