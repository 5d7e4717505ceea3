"""HTTP plumbing shared by the routes: bounded body reading, JSON responses, one error path.

:func:`guarded` wraps every audited route: it opens the trace (so every response, error or
not, has a decision id), renders any :class:`~airlock.errors.AirlockError` into the OpenAI
error shape, and makes sure the decision is written to the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from airlock.errors import AirlockError, BodyTooLargeError, InternalError
from airlock.gateway import ChatResponse, Gateway, StreamResponse
from airlock.trace import Trace

__all__ = ["DECISION_HEADER", "guarded", "json_response", "read_body"]

log = logging.getLogger("airlock.server")

DECISION_HEADER = "x-airlock-decision-id"

Handler = Callable[[Request, Gateway, Trace], Awaitable[ChatResponse | StreamResponse | Response]]


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise BodyTooLargeError(f"The request body exceeds the limit of {limit} bytes.")
        except ValueError:
            pass
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(f"The request body exceeds the limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def error_response(exc: AirlockError, trace: Trace) -> Response:
    headers = exc.response_headers()
    headers[DECISION_HEADER] = trace.decision_id
    headers["x-request-id"] = trace.decision_id
    return json_response(exc.body(trace.decision_id), exc.status, headers)


def _render(result: ChatResponse | StreamResponse | Response, trace: Trace) -> Response:
    if isinstance(result, Response):
        result.headers[DECISION_HEADER] = trace.decision_id
        return result
    headers = dict(result.headers)
    headers[DECISION_HEADER] = trace.decision_id
    headers["x-request-id"] = trace.decision_id
    if isinstance(result, StreamResponse):
        headers["cache-control"] = "no-cache"
        headers["x-accel-buffering"] = "no"
        return StreamingResponse(result.chunks, media_type="text/event-stream", headers=headers)
    return json_response(result.body, 200, headers)


def guarded(route: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        gateway: Gateway = request.app.state.gateway
        trace = gateway.begin(route)
        try:
            result = await handler(request, gateway, trace)
        except AirlockError as exc:
            return await _fail(gateway, trace, exc)
        except Exception:
            log.exception("unhandled error", extra={"decision_id": trace.decision_id})
            return await _fail(gateway, trace, InternalError("Internal error; see the decision id in the audit log."))
        response = _render(result, trace)
        if not isinstance(result, StreamResponse) and not trace.finished:
            try:
                await gateway.finish(trace)
            except AirlockError as exc:
                return error_response(exc, trace)
        return response

    return endpoint


async def _fail(gateway: Gateway, trace: Trace, exc: AirlockError) -> Response:
    outcome = "blocked" if exc.code and exc.status in (400, 403) and getattr(exc, "rules", None) else "error"
    if outcome == "blocked":
        trace.action = "block"
    trace.fail(exc.status, exc.code, outcome=outcome)
    try:
        await gateway.finish(trace)
    except AirlockError as audit_exc:
        return error_response(audit_exc, trace)
    return error_response(exc, trace)
