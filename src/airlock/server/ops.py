"""Operations endpoints: liveness, readiness, Prometheus metrics. Not audited."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from airlock.gateway import Gateway
from airlock.metrics import CONTENT_TYPE
from airlock.server.http import json_response

__all__ = ["routes"]


async def healthz(request: Request) -> Response:
    return json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    store_ok = await asyncio.to_thread(gateway.store.ping)
    deployments = {}
    for name, provider in gateway.providers.items():
        breaker = gateway.router.breakers[name].state
        deployments[name] = {"ready": await provider.ready() and breaker != "open", "breaker": breaker}
    ready = store_ok and any(d["ready"] for d in deployments.values())
    body = {"status": "ready" if ready else "not_ready", "store": store_ok, "deployments": deployments}
    return json_response(body, 200 if ready else 503)


async def metrics(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    for name, breaker in gateway.router.breakers.items():
        gateway.metrics.breaker_open.labels(name).set(1 if breaker.state == "open" else 0)
    return Response(gateway.metrics.render(), media_type=CONTENT_TYPE)


def routes() -> list[Route]:
    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
