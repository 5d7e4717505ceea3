from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from airlock.evals.targets import GatewayTarget, ProviderTarget, SendOptions, TargetError
from airlock.providers.base import ChatResult, ProviderError
from tests.evals.factories import make_case


def completion(text: str, finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "x",
        "object": "chat.completion",
        "model": "m-1",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


def gateway(handler: Any) -> GatewayTarget:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://gw")
    return GatewayTarget(client, deployment="dep", model="dep", api_key="ak_test", system_prompt="be safe")


def send(target: Any) -> Any:
    async def go() -> Any:
        try:
            return await target.send(make_case(system="case system"), SendOptions(max_tokens=9, seed=3))
        finally:
            await target.aclose()

    return asyncio.run(go())


def test_gateway_request_shape_and_answer() -> None:
    seen: dict[str, Any] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        import json

        seen["auth"] = request.headers["authorization"]
        seen["path"] = request.url.path
        seen["body"] = json.loads(request.content)
        return httpx.Response(200, json=completion("hello"))

    answer = send(gateway(handler))
    assert seen["auth"] == "Bearer ak_test" and seen["path"] == "/v1/chat/completions"
    body = seen["body"]
    assert [m["role"] for m in body["messages"]] == ["system", "system", "user"]
    assert body["messages"][0]["content"] == "be safe"
    assert (body["model"], body["max_tokens"], body["seed"], body["stream"]) == ("dep", 9, 3, False)
    assert (answer.outcome, answer.text, answer.prompt_tokens, answer.completion_tokens, answer.model) == (
        "answered", "hello", 11, 7, "m-1",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "headers", "body", "outcome"),
    [
        (400, {"x-should-retry": "false"}, {"error": {"code": "content_filter", "rules": ["harm.weapons"]}}, "blocked"),
        (403, {"x-should-retry": "false"}, {"error": {"code": "prohibited_use", "rules": ["r9"]}}, "blocked"),
        (200, {}, completion("", finish="content_filter"), "blocked"),
    ],
)
def test_policy_blocks_are_refusals(status: int, headers: dict[str, str], body: Any, outcome: str) -> None:
    answer = send(gateway(lambda r: httpx.Response(status, json=body, headers=headers)))
    assert answer.outcome == outcome
    if status != 200:
        assert answer.rules == tuple(body["error"]["rules"])


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (429, "rate_limit_exceeded", True),
        (502, "upstream_error", True),
        (401, "invalid_api_key", False),
        (400, "invalid_request", False),
    ],
)
def test_other_gateway_errors_raise(status: int, code: str, retryable: bool) -> None:
    headers = {"x-should-retry": "false" if not retryable else "true", "retry-after": "2"}
    with pytest.raises(TargetError) as info:
        send(gateway(lambda r: httpx.Response(status, json={"error": {"code": code}}, headers=headers)))
    assert info.value.code == code and info.value.retryable is retryable
    if retryable:
        assert info.value.retry_after == 2.0


def test_gateway_unreachable_is_retryable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(TargetError) as info:
        send(gateway(handler))
    assert info.value.retryable and info.value.code == "connect"


class FakeProvider:
    name = "fake"

    def __init__(self, exc: ProviderError | None = None) -> None:
        self.exc = exc
        self.bodies: list[dict[str, Any]] = []
        self.closed = False

    async def chat(self, body: dict[str, Any], *, request_id: str) -> ChatResult:
        self.bodies.append(body)
        if self.exc:
            raise self.exc
        return ChatResult(body=completion("direct answer"))

    async def aclose(self) -> None:
        self.closed = True


def test_provider_target_sends_the_wire_model() -> None:
    provider = FakeProvider()
    target = ProviderTarget(provider, deployment="dep", wire_model="gpt-x")  # type: ignore[arg-type]
    answer = send(target)
    assert answer.text == "direct answer" and provider.bodies[0]["model"] == "gpt-x" and provider.closed
    assert target.label == "dep" and target.mode == "direct"


@pytest.mark.parametrize(
    ("exc", "outcome_or_code"),
    [
        (ProviderError("f", kind="http", status=400, body={"error": {"code": "content_filter"}}), "blocked"),
        (ProviderError("t", kind="timeout", retryable=True), "timeout"),
        (ProviderError("bad", kind="http", status=400, body={"error": {"code": "context_length_exceeded"}}), "http"),
    ],
)
def test_provider_errors(exc: ProviderError, outcome_or_code: str) -> None:
    target = ProviderTarget(FakeProvider(exc), deployment="dep", wire_model="m")  # type: ignore[arg-type]
    if outcome_or_code == "blocked":
        assert send(target).outcome == "blocked"
    else:
        with pytest.raises(TargetError) as info:
            send(target)
        assert info.value.code == outcome_or_code and info.value.retryable is exc.retryable
