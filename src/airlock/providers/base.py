"""The provider contract: one interface for OpenAI-compatible, Azure OpenAI and local models.

A provider speaks to exactly one configured deployment. It knows how to build the upstream
URL and credentials, send an OpenAI-shaped body and return OpenAI-shaped results. It does not
retry, fall back or decide policy: :mod:`airlock.routing` does that around it.

Failures are raised as :class:`ProviderError` with enough information for the router to
decide whether to retry (``retryable``), how long to wait (``retry_after``) and what to tell
the client (``status``). The message never contains the upstream key or prompt text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "ChatResult",
    "Provider",
    "ProviderError",
    "StreamClosed",
]


class ProviderError(Exception):
    """An upstream call failed.

    ``status`` is the upstream HTTP status (None when no response arrived), ``kind`` one of
    ``connect``, ``timeout``, ``http``, ``protocol``, ``model``.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        #: the upstream's own error body when it sent one (passed through for 4xx)
        self.body = body


class StreamClosed(ProviderError):
    """The upstream stream ended without a terminal chunk or ``[DONE]``."""


@dataclass(frozen=True, slots=True)
class ChatResult:
    """A non-streaming completion as the upstream returned it (already parsed JSON)."""

    body: dict[str, Any]
    status: int = 200
    #: upstream response headers worth keeping (request id, rate-limit headers)
    headers: tuple[tuple[str, str], ...] = ()


@runtime_checkable
class Provider(Protocol):
    """One deployment's upstream."""

    name: str

    async def chat(self, body: dict[str, Any], *, request_id: str) -> ChatResult:
        """POST /chat/completions with ``stream`` false; raise :class:`ProviderError`."""
        ...

    def chat_stream(self, body: dict[str, Any], *, request_id: str) -> AsyncIterator[dict[str, Any]]:
        """POST /chat/completions with ``stream`` true; yield each parsed SSE JSON chunk.

        The HTTP status is checked before the first chunk is yielded, so a router can still
        retry or fall back on an error that arrives before any byte reached the client.
        """
        ...

    async def embeddings(self, body: dict[str, Any], *, request_id: str) -> ChatResult: ...

    async def ready(self) -> bool:
        """Cheap readiness probe for ``/readyz`` (no model call)."""
        ...

    async def aclose(self) -> None: ...
