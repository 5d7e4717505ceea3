"""Wiring only: build the gateway from configuration and mount the routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from airlock.audit import load_or_create_signer
from airlock.config import Config
from airlock.errors import ModelNotFoundError
from airlock.gateway import Gateway
from airlock.server import admin, openai, ops, ui
from airlock.server.http import json_response
from airlock.stores import Store, open_store

__all__ = ["create_app"]


async def _not_found(request: Request, exc: Exception) -> Response:
    err = ModelNotFoundError(f"No route for {request.method} {request.url.path[:200]}.", code="route_not_found")
    return json_response(err.body(None), 404)


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    body = {"error": {"message": f"Method {request.method} is not allowed here.",
                      "type": "invalid_request_error", "param": None, "code": "method_not_allowed"},
            "decision_id": None}
    return json_response(body, 405)


def create_app(
    config: Config,
    *,
    data_dir: Path,
    store: Store | None = None,
    gateway_kwargs: dict[str, Any] | None = None,
) -> Starlette:
    """The ASGI app. ``gateway_kwargs`` injects test seams (providers, http client, clock …)."""
    owned_store = store is None
    store = store or open_store(config.store.url, data_dir, durability=config.audit.durability)
    signer = load_or_create_signer(data_dir)
    gateway = Gateway(config, store, signer=signer, data_dir=data_dir, **(gateway_kwargs or {}))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await gateway.start()
        try:
            yield
        finally:
            await gateway.close()
            if owned_store:
                store.close()

    app = Starlette(
        routes=[*openai.routes(), *admin.routes(), *ui.routes(), *ops.routes()],
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _method_not_allowed},
    )
    app.state.gateway = gateway
    return app
