"""Retries, Retry-After, fallback and the circuit breaker, through the transport seam."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from airlock.config import parse_config
from airlock.providers import HttpxClient, build_provider
from airlock.routing import Attempt, CircuitBreaker, NoEligibleDeployment, Router, UpstreamFailed

OK = {"id": "c", "object": "chat.completion", "created": 1, "model": "m",
      "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}]}


def make_router(
    handlers: dict[str, Callable[[httpx.Request], httpx.Response]],
    *,
    max_attempts: int = 3,
    threshold: int = 5,
    clock: Callable[[], float] | None = None,
    fallbacks: dict[str, list[str]] | None = None,
) -> tuple[Router, list[float]]:
    deployments = []
    for i, name in enumerate(handlers):
        deployments.append({
            "name": name, "public_name": "pool", "provider": "openai", "priority": i,
            "base_url": f"https://{name}.example/v1",
            "retries": {"max_attempts": max_attempts, "backoff_initial": 0.5, "backoff_max": 4, "retry_after_max": 10},
            "breaker": {"failure_threshold": threshold, "reset_after": 30},
            "fallbacks": (fallbacks or {}).get(name, []),
        })
    config = parse_config({"deployments": deployments})
    providers = {
        d.name: build_provider(d, HttpxClient(httpx.MockTransport(handlers[d.name]))) for d in config.deployments
    }
    waits: list[float] = []

    async def sleep(s: float) -> None:
        waits.append(s)

    kwargs: dict[str, Any] = {"sleep": sleep}
    if clock is not None:
        kwargs["clock"] = clock
    return Router(config, providers, **kwargs), waits


def script(*responses: httpx.Response) -> Callable[[httpx.Request], httpx.Response]:
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


def call(router: Router) -> tuple[str, list[Attempt]]:
    attempts: list[Attempt] = []
    dep, _ = asyncio.run(router.chat(router.candidates("pool"), {"messages": []}, request_id="r", attempts=attempts))
    return dep.name, attempts


def test_retry_then_success_with_backoff() -> None:
    router, waits = make_router({"a": script(httpx.Response(503), httpx.Response(502), httpx.Response(200, json=OK))})
    name, attempts = call(router)
    assert name == "a"
    assert [a.outcome for a in attempts] == ["http", "http", "ok"]
    assert len(waits) == 2 and 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0


def test_retry_after_is_honoured() -> None:
    router, waits = make_router({"a": script(httpx.Response(429, headers={"retry-after": "2"}),
                                             httpx.Response(200, json=OK))})
    name, _ = call(router)
    assert name == "a" and waits == [2.0]


def test_long_retry_after_moves_to_fallback() -> None:
    router, waits = make_router({
        "a": script(httpx.Response(429, headers={"retry-after": "120"})),
        "b": script(httpx.Response(200, json=OK)),
    })
    name, attempts = call(router)
    assert name == "b" and waits == []
    assert [(a.deployment, a.outcome) for a in attempts] == [("a", "http"), ("b", "ok")]


def test_fallback_after_retries_exhausted() -> None:
    router, _ = make_router({"a": script(httpx.Response(500)), "b": script(httpx.Response(200, json=OK))},
                            max_attempts=2)
    name, attempts = call(router)
    assert name == "b" and [a.deployment for a in attempts] == ["a", "a", "b"]


def test_auth_failure_falls_back_without_retry() -> None:
    router, waits = make_router({"a": script(httpx.Response(401)), "b": script(httpx.Response(200, json=OK))})
    name, attempts = call(router)
    assert name == "b" and [a.outcome for a in attempts] == ["auth", "ok"] and waits == []


def test_client_error_is_not_retried_or_fallen_back() -> None:
    router, _ = make_router({
        "a": script(httpx.Response(400, json={"error": {"message": "bad param", "code": "invalid"}})),
        "b": script(httpx.Response(200, json=OK)),
    })
    with pytest.raises(UpstreamFailed) as err:
        call(router)
    assert err.value.client_error and err.value.last is not None and err.value.last.status == 400


def test_all_fail() -> None:
    router, _ = make_router({"a": script(httpx.Response(500)), "b": script(httpx.Response(503))}, max_attempts=1)
    with pytest.raises(UpstreamFailed) as err:
        call(router)
    assert not err.value.client_error and err.value.last is not None and err.value.last.status == 503


def test_explicit_fallbacks_follow_the_pool() -> None:
    config = parse_config({"deployments": [
        {"name": "primary", "provider": "openai", "base_url": "https://p/v1", "fallbacks": ["backup"]},
        {"name": "backup", "provider": "openai", "base_url": "https://b/v1"},
    ]})
    router = Router(config, {})
    assert [d.name for d in router.candidates("primary")] == ["primary", "backup"]
    assert [d.name for d in router.candidates("backup")] == ["backup"]
    assert router.candidates("nope") == ()


def test_breaker_opens_and_half_opens() -> None:
    now = [0.0]
    calls = {"a": 0}

    def failing(request: httpx.Request) -> httpx.Response:
        calls["a"] += 1
        return httpx.Response(500)

    router, _ = make_router({"a": failing, "b": script(httpx.Response(200, json=OK))},
                            max_attempts=1, threshold=2, clock=lambda: now[0])
    call(router)
    call(router)
    assert router.breakers["a"].state == "open" and calls["a"] == 2
    name, attempts = call(router)  # a is skipped while open
    assert name == "b" and attempts[0].outcome == "breaker_open" and calls["a"] == 2
    now[0] = 31.0
    assert router.breakers["a"].state == "half_open"
    call(router)  # one trial request goes to a, fails, breaker opens again
    assert calls["a"] == 3 and router.breakers["a"].state == "open"


def test_no_eligible_deployment_when_all_breakers_open() -> None:
    router, _ = make_router({"a": script(httpx.Response(500))}, max_attempts=1, threshold=1)
    with pytest.raises(UpstreamFailed):
        call(router)
    with pytest.raises(NoEligibleDeployment):
        call(router)


def test_breaker_unit() -> None:
    t = [0.0]
    b = CircuitBreaker(2, 10, clock=lambda: t[0])
    assert b.allow()
    b.failure()
    assert b.state == "closed"
    b.failure()
    assert b.state == "open" and not b.allow()
    t[0] = 10
    assert b.allow() and not b.allow()  # only one trial in half-open
    b.success()
    assert b.state == "closed" and b.allow()


def test_stream_falls_back_before_first_byte() -> None:
    good = (b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":'
            b'[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n')
    router, _ = make_router({"a": script(httpx.Response(503)), "b": script(httpx.Response(200, content=good))},
                            max_attempts=1)

    async def go() -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
        attempts: list[Attempt] = []
        dep, first, rest = await router.open_stream(router.candidates("pool"), {"messages": []}, request_id="r",
                                                    attempts=attempts)
        return dep.name, first, [c async for c in rest]

    name, first, rest = asyncio.run(go())
    assert name == "b" and first["choices"][0]["delta"]["content"] == "x" and rest == []
