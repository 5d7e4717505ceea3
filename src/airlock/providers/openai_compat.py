"""OpenAI-compatible upstreams: OpenAI, vLLM, llama.cpp server, Ollama, DeepSeek, Azure v1 …

The URL and key come only from the deployment's configuration; nothing in a request body can
change where it is sent. The ``model`` field is always overwritten with the deployment's
upstream model name.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import orjson

from airlock.config import DeploymentConfig
from airlock.errors import ConfigError
from airlock.providers.base import ChatResult, ProviderError, StreamClosed
from airlock.providers.http import HttpClient, HttpResponse, read_with_deadline
from airlock.sse import DONE, SSEParser

__all__ = ["OpenAICompatibleProvider", "parse_retry_after"]

_KEEP_HEADERS = ("x-request-id", "apim-request-id", "openai-processing-ms")
_MAX_ERROR_BODY = 64 * 1024
_READY_TTL = 5.0


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms``, ``retry-after`` (seconds or HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


class OpenAICompatibleProvider:
    """One OpenAI-compatible deployment."""

    def __init__(self, deployment: DeploymentConfig, client: HttpClient) -> None:
        self.deployment = deployment
        self.name = deployment.name
        self.client = client
        self._ready = False
        self._ready_at = -_READY_TTL

    # ------------------------------------------------------------------ URL and auth
    def url(self, operation: str) -> str:
        assert self.deployment.base_url is not None
        return f"{self.deployment.base_url.rstrip('/')}/{operation}"

    async def auth_headers(self) -> dict[str, str]:
        try:
            key = self.deployment.api_key()
        except ConfigError as exc:
            raise ProviderError(str(exc), kind="auth", retryable=False) from None
        return {"authorization": f"Bearer {key}"} if key else {}

    def prepare(self, body: dict[str, Any], *, stream: bool) -> dict[str, Any]:
        out = dict(body)
        out["model"] = self.deployment.wire_model
        out["stream"] = stream
        return out

    # ------------------------------------------------------------------ calls
    async def _post(self, operation: str, body: dict[str, Any], request_id: str) -> HttpResponse:
        headers = {"content-type": "application/json", "accept": "application/json"}
        headers.update(await self.auth_headers())
        return await self.client.send(
            "POST",
            self.url(operation),
            headers=headers,
            content=orjson.dumps(body),
            timeouts=self.deployment.timeouts,
        )

    async def _raise_for_status(self, resp: HttpResponse) -> None:
        if 200 <= resp.status < 300:
            return
        try:
            raw = await read_with_deadline(resp, self.deployment.timeouts.first_byte)
        except ProviderError:
            raw = b""
        body: dict[str, Any] | None = None
        if raw and len(raw) <= _MAX_ERROR_BODY:
            try:
                parsed = orjson.loads(raw)
                body = parsed if isinstance(parsed, dict) else None
            except orjson.JSONDecodeError:
                body = None
        status = resp.status
        retryable = status in (408, 409, 429) or status >= 500
        kind = "http"
        if status in (401, 403):
            kind = "auth"
        elif status == 404:
            kind = "not_found"
        raise ProviderError(
            f"upstream returned HTTP {status}",
            kind=kind,
            status=status,
            retryable=retryable,
            retry_after=parse_retry_after(resp.headers),
            body=body,
        )

    def _kept_headers(self, resp: HttpResponse) -> tuple[tuple[str, str], ...]:
        return tuple((h, resp.headers[h]) for h in _KEEP_HEADERS if h in resp.headers)

    async def _json_call(self, operation: str, body: dict[str, Any], request_id: str) -> ChatResult:
        resp = await self._post(operation, body, request_id)
        await self._raise_for_status(resp)
        raw = await read_with_deadline(resp, self.deployment.timeouts.total)
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ProviderError("upstream sent a body that is not JSON", kind="protocol", retryable=True) from None
        if not isinstance(parsed, dict):
            raise ProviderError("upstream sent JSON that is not an object", kind="protocol", retryable=True)
        return ChatResult(body=parsed, status=resp.status, headers=self._kept_headers(resp))

    async def chat(self, body: dict[str, Any], *, request_id: str) -> ChatResult:
        return await self._json_call("chat/completions", self.prepare(body, stream=False), request_id)

    async def embeddings(self, body: dict[str, Any], *, request_id: str) -> ChatResult:
        out = dict(body)
        out["model"] = self.deployment.wire_model
        return await self._json_call("embeddings", out, request_id)

    async def chat_stream(self, body: dict[str, Any], *, request_id: str) -> AsyncIterator[dict[str, Any]]:
        resp = await self._post("chat/completions", self.prepare(body, stream=True), request_id)
        try:
            await self._raise_for_status(resp)
            parser = SSEParser()
            done = False
            finished = False
            async for chunk in resp.iter_bytes():
                try:
                    events = parser.feed(chunk)
                except (ValueError, UnicodeDecodeError):
                    raise ProviderError("upstream sent a malformed event stream", kind="protocol") from None
                for data in events:
                    if data.strip() == DONE:
                        done = True
                        break
                    event = _parse_event(data)
                    if _is_finished(event):
                        finished = True
                    yield event
                if done:
                    break
            if not done:
                for data in parser.close():
                    if data.strip() == DONE:
                        done = True
                    else:
                        event = _parse_event(data)
                        finished = finished or _is_finished(event)
                        yield event
            if not done and not finished:
                raise StreamClosed("upstream closed the stream before it finished", kind="protocol")
        finally:
            await resp.aclose()

    async def ready(self) -> bool:
        """The upstream host accepts a TCP connection (cached for a few seconds; no request is
        sent, so no key is used and nothing is billed)."""
        now = time.monotonic()
        if now - self._ready_at < _READY_TTL:
            return self._ready
        parts = urlsplit(self.url("models"))
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            async with asyncio.timeout(min(self.deployment.timeouts.connect, 2.0)):
                _, writer = await asyncio.open_connection(parts.hostname, port)
            writer.close()
            ok = True
        except (OSError, TimeoutError):
            ok = False
        self._ready, self._ready_at = ok, now
        return ok

    async def aclose(self) -> None:
        return None


def _parse_event(data: str) -> dict[str, Any]:
    try:
        event = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ProviderError("upstream sent an event that is not JSON", kind="protocol") from None
    if not isinstance(event, dict):
        raise ProviderError("upstream sent an event that is not a JSON object", kind="protocol")
    if event.get("error"):
        # the upstream's own message is not repeated: it may echo prompt text
        raise ProviderError("upstream reported an error mid-stream", kind="http", status=502)
    return event


def _is_finished(event: Mapping[str, Any]) -> bool:
    choices = event.get("choices")
    if not isinstance(choices, list):
        return False
    return any(isinstance(c, dict) and c.get("finish_reason") for c in choices)
