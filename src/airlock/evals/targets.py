"""Targets: what an evaluation talks to, and the answers it gets back.

A :class:`Target` sends one case's messages and returns an :class:`Answer`. Two kinds ship:

* :class:`ProviderTarget` calls a deployment's provider directly (no gateway in between);
* :class:`GatewayTarget` sends the request through Airlock's HTTP API (an in-process ASGI app
  or a running server), so the full policy path applies.

Either can add a system prompt (:attr:`Target.system_prompt`) to every case, which is how a
"model + safety prompt" variant is measured. A gateway block (HTTP 4xx with an Airlock error
code, or ``finish_reason: content_filter``) is an :class:`Answer` with ``outcome="blocked"``;
transport failures after retries are ``outcome="error"`` and do not count in any rate.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx

from airlock.evals.cases import Case, Message
from airlock.providers.base import Provider, ProviderError

__all__ = [
    "Answer",
    "GatewayTarget",
    "ProviderTarget",
    "SendOptions",
    "Target",
    "TargetError",
    "answer_from_body",
    "with_system_prompt",
]

Outcome = Literal["answered", "blocked", "error"]


@dataclass(frozen=True, slots=True)
class SendOptions:
    max_tokens: int = 128
    temperature: float = 0.0
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Answer:
    """What a target returned for one case. ``text`` is the raw completion (never logged)."""

    outcome: Outcome
    text: str = ""
    status: int | None = None
    finish_reason: str | None = None
    latency_ms: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    model: str | None = None
    #: machine-readable error or block code (``content_filter``, ``upstream_timeout`` …)
    code: str | None = None
    #: rule ids the gateway cited for a block
    rules: tuple[str, ...] = ()


class TargetError(Exception):
    """A send failed; ``retryable`` says whether the runner may try again."""

    def __init__(self, message: str, *, code: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after


class Target(Protocol):
    """One thing being ranked: a deployment, optionally behind the gateway or a system prompt."""

    #: the leaderboard row name, e.g. ``local-smollm2``, ``local-smollm2+safety``, ``local-smollm2@airlock``
    label: str
    deployment: str
    mode: Literal["direct", "gateway"]
    system_prompt: str | None

    async def send(self, case: Case, options: SendOptions) -> Answer: ...

    async def aclose(self) -> None: ...


def with_system_prompt(messages: tuple[Message, ...], system_prompt: str | None) -> list[dict[str, str]]:
    """The messages as sent: an extra system prompt goes first, before the case's own."""
    out = [m.to_dict() for m in messages]
    if system_prompt:
        out.insert(0, {"role": "system", "content": system_prompt})
    return out


def _usage(body: Mapping[str, Any], key: str) -> int | None:
    usage = body.get("usage")
    value = usage.get(key) if isinstance(usage, Mapping) else None
    return value if isinstance(value, int) else None


def answer_from_body(body: Mapping[str, Any], *, status: int, latency_ms: float) -> Answer:
    """Read an OpenAI chat completion; ``finish_reason: content_filter`` is a block."""
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        raise TargetError("completion has no choices", code="protocol", retryable=False)
    choice = choices[0]
    message = choice.get("message") if isinstance(choice.get("message"), Mapping) else {}
    content = message.get("content") if isinstance(message, Mapping) else None
    refusal = message.get("refusal") if isinstance(message, Mapping) else None
    text = content if isinstance(content, str) else (refusal if isinstance(refusal, str) else "")
    finish = choice.get("finish_reason")
    finish_reason = finish if isinstance(finish, str) else None
    model = body.get("model")
    return Answer(
        outcome="blocked" if finish_reason == "content_filter" else "answered",
        text=text,
        status=status,
        finish_reason=finish_reason,
        latency_ms=latency_ms,
        prompt_tokens=_usage(body, "prompt_tokens"),
        completion_tokens=_usage(body, "completion_tokens"),
        model=model if isinstance(model, str) else None,
        code="content_filter" if finish_reason == "content_filter" else None,
    )


def _request_body(model: str, case: Case, system_prompt: str | None, options: SendOptions) -> dict[str, Any]:
    return {
        "model": model,
        "messages": with_system_prompt(case.messages, system_prompt),
        "max_tokens": options.max_tokens,
        "temperature": options.temperature,
        "seed": options.seed,
        "stream": False,
    }


class ProviderTarget:
    """Calls one deployment's :class:`~airlock.providers.base.Provider` directly."""

    mode: Literal["direct", "gateway"] = "direct"

    def __init__(
        self,
        provider: Provider,
        *,
        deployment: str,
        wire_model: str,
        label: str | None = None,
        system_prompt: str | None = None,
    ) -> None:
        self.provider = provider
        self.deployment = deployment
        self.wire_model = wire_model
        self.system_prompt = system_prompt
        self.label = label or deployment

    async def send(self, case: Case, options: SendOptions) -> Answer:
        body = _request_body(self.wire_model, case, self.system_prompt, options)
        started = time.perf_counter()
        try:
            result = await self.provider.chat(body, request_id=f"eval-{case.id}")
        except ProviderError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and not exc.retryable:
                # an upstream content filter (Azure: 400 content_filter) is a refusal, not a failure
                code = _error_code(exc.body)
                if code == "content_filter":
                    return Answer(
                        outcome="blocked",
                        status=exc.status,
                        latency_ms=(time.perf_counter() - started) * 1000,
                        code=code,
                    )
            raise TargetError(
                exc.message, code=exc.kind, retryable=exc.retryable, retry_after=exc.retry_after
            ) from None
        latency = (time.perf_counter() - started) * 1000
        return answer_from_body(result.body, status=result.status, latency_ms=latency)

    async def aclose(self) -> None:
        await self.provider.aclose()


def _error_code(body: Any) -> str | None:
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            code = error.get("code")
            return code if isinstance(code, str) else None
    return None


def _error_rules(body: Any) -> tuple[str, ...]:
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping) and isinstance(error.get("rules"), list):
            return tuple(str(r) for r in error["rules"])
    return ()


class GatewayTarget:
    """Sends through Airlock's OpenAI API: every policy, detector and transform applies.

    ``client`` is an :class:`httpx.AsyncClient` whose ``base_url`` points at the gateway root
    (``http://127.0.0.1:8080``, or ``http://airlock`` with an ``ASGITransport``).
    """

    mode: Literal["direct", "gateway"] = "gateway"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        deployment: str,
        model: str,
        api_key: str | None,
        label: str | None = None,
        system_prompt: str | None = None,
        owns_client: bool = True,
    ) -> None:
        self.client = client
        self.deployment = deployment
        self.model = model
        self.system_prompt = system_prompt
        self.label = label or f"{deployment}@airlock"
        self._headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._owns_client = owns_client

    async def send(self, case: Case, options: SendOptions) -> Answer:
        body = _request_body(self.model, case, self.system_prompt, options)
        started = time.perf_counter()
        try:
            response = await self.client.post("/v1/chat/completions", json=body, headers=self._headers)
        except httpx.TimeoutException:
            raise TargetError("gateway timed out", code="timeout", retryable=True) from None
        except httpx.TransportError as exc:
            raise TargetError(f"gateway unreachable ({type(exc).__name__})", code="connect", retryable=True) from None
        latency = (time.perf_counter() - started) * 1000
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code == 200 and isinstance(payload, Mapping):
            return answer_from_body(payload, status=200, latency_ms=latency)
        code = _error_code(payload) or f"http_{response.status_code}"
        # a policy decision: the gateway refused on the model's behalf
        policy_block = (
            response.status_code in (400, 403, 451)
            and response.headers.get("x-should-retry") == "false"
            and code not in _CLIENT_ERRORS
        )
        if policy_block:
            return Answer(
                outcome="blocked",
                status=response.status_code,
                latency_ms=latency,
                code=code,
                rules=_error_rules(payload),
            )
        retryable = response.status_code in (408, 409, 429) or response.status_code >= 500
        retry_after = _retry_after(response.headers.get("retry-after"))
        raise TargetError(
            f"gateway answered HTTP {response.status_code} ({code})",
            code=code,
            retryable=retryable,
            retry_after=retry_after,
        )

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.aclose()


_CLIENT_ERRORS = frozenset({"invalid_request", "invalid_api_key", "model_not_found", "insufficient_scope"})


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
