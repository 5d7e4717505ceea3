"""The OpenAI-compatible routes (and the Azure OpenAI deployment-path alias)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from airlock.errors import ModelNotFoundError, PermissionDeniedError
from airlock.gateway import ChatResponse, Gateway, StreamResponse
from airlock.requests import parse_json_body
from airlock.server.http import guarded, json_response, read_body
from airlock.trace import Trace

__all__ = ["routes"]


def _auth(request: Request, gateway: Gateway, trace: Trace) -> object:
    _, tenant = gateway.authenticate(
        trace, request.headers.get("authorization"), request.headers.get("api-key")
    )
    if tenant is None:  # pragma: no cover - authenticate raises for inference scope
        raise PermissionDeniedError("Unknown tenant.")
    return tenant


async def _body(request: Request, gateway: Gateway, trace: Trace) -> tuple[object, dict[str, Any]]:
    """Bounded body, authenticated tenant, parsed JSON; an Azure deployment path names the model."""
    raw = await read_body(request, gateway.config.server.max_body_bytes)
    trace.note_body(raw)
    tenant = _auth(request, gateway, trace)
    body = parse_json_body(raw)
    azure_deployment = request.path_params.get("deployment")
    if azure_deployment is not None:
        body["model"] = azure_deployment
    return tenant, body


async def chat_completions(request: Request, gateway: Gateway, trace: Trace) -> ChatResponse | StreamResponse:
    tenant, body = await _body(request, gateway, trace)
    return await gateway.chat(trace, tenant, body, request.headers)  # type: ignore[arg-type]


async def embeddings(request: Request, gateway: Gateway, trace: Trace) -> ChatResponse:
    tenant, body = await _body(request, gateway, trace)
    return await gateway.embeddings(trace, tenant, body, request.headers)  # type: ignore[arg-type]


async def list_models(request: Request, gateway: Gateway, trace: Trace) -> Response:
    tenant = _auth(request, gateway, trace)
    data = [gateway.model_object(d) for d in gateway.visible_models(tenant)]  # type: ignore[arg-type]
    return json_response({"object": "list", "data": data})


async def get_model(request: Request, gateway: Gateway, trace: Trace) -> Response:
    tenant = _auth(request, gateway, trace)
    model_id = request.path_params["model"]
    trace.model = model_id
    for d in gateway.visible_models(tenant):  # type: ignore[arg-type]
        if d.model_id == model_id:
            return json_response(gateway.model_object(d))
    raise ModelNotFoundError(
        f"The model '{model_id[:200]}' does not exist or you do not have access to it.", param="model"
    )


def routes() -> list[Route]:
    chat = guarded("/v1/chat/completions", chat_completions)
    emb = guarded("/v1/embeddings", embeddings)
    return [
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/v1/embeddings", emb, methods=["POST"]),
        Route("/v1/models", guarded("/v1/models", list_models), methods=["GET"]),
        Route("/v1/models/{model:path}", guarded("/v1/models/{model}", get_model), methods=["GET"]),
        # Azure OpenAI clients address deployments in the path
        Route("/openai/deployments/{deployment}/chat/completions", chat, methods=["POST"]),
        Route("/openai/deployments/{deployment}/embeddings", emb, methods=["POST"]),
    ]
