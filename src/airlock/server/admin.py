"""Admin API (admin-scope keys only): keys, tenants, audit tail and verification, and the JSON
twins of the admin UI's pages (overview, decisions, audit status, policy, ledger).

Every admin call is audited like any other request. Reads (GET) also accept the admin UI's
session cookie; every state-changing route needs the key in a header.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from airlock.audit import load_verifier, verify_chain
from airlock.errors import InvalidRequestError, ModelNotFoundError
from airlock.gateway import Gateway
from airlock.keys import create_key
from airlock.requests import parse_json_body
from airlock.server.http import guarded, json_response, read_body
from airlock.server.ui import data as views
from airlock.server.ui.pages import note_report, note_view, now, year_param
from airlock.server.ui.session import presented_key
from airlock.trace import Trace

__all__ = ["routes"]

_MAX_ADMIN_BODY = 64 * 1024


def _admin(request: Request, gateway: Gateway, trace: Trace) -> None:
    gateway.authenticate(trace, None, presented_key(request), scope="admin")


def _key_view(record: object) -> dict[str, object]:
    return {
        k: getattr(record, k) for k in ("key_id", "tenant", "scope", "name", "created_at", "revoked_at")
    }


async def list_keys(request: Request, gateway: Gateway, trace: Trace) -> Response:
    _admin(request, gateway, trace)
    tenant = request.query_params.get("tenant") or None
    return json_response(await asyncio.to_thread(views.keys, gateway.store, tenant))


async def new_key(request: Request, gateway: Gateway, trace: Trace) -> Response:
    _admin(request, gateway, trace)
    body = parse_json_body(await read_body(request, _MAX_ADMIN_BODY))
    tenant = body.get("tenant")
    scope = body.get("scope", "inference")
    if not isinstance(tenant, str) or gateway.config.tenant(tenant) is None:
        raise InvalidRequestError("'tenant' must name a configured tenant.", param="tenant")
    if scope not in ("inference", "admin"):
        raise InvalidRequestError("'scope' must be 'inference' or 'admin'.", param="scope")
    name = body.get("name") if isinstance(body.get("name"), str) else None
    key, record = await asyncio.to_thread(create_key, gateway.store, tenant, scope, name)
    trace.extra["admin"] = {"op": "key_create", "key_id": record.key_id, "tenant": tenant, "scope": scope}
    return json_response({**_key_view(record), "key": key}, 201)


async def revoke_key(request: Request, gateway: Gateway, trace: Trace) -> Response:
    _admin(request, gateway, trace)
    key_id = request.path_params["key_id"]
    when = datetime.now(UTC).isoformat(timespec="seconds")
    if not await asyncio.to_thread(gateway.store.revoke_key, key_id, when):
        raise ModelNotFoundError("No active key with that id.", code="key_not_found", param="key_id")
    trace.extra["admin"] = {"op": "key_revoke", "key_id": key_id}
    return json_response({"key_id": key_id, "revoked_at": when})


async def tenants(request: Request, gateway: Gateway, trace: Trace) -> Response:
    _admin(request, gateway, trace)
    data = [t.model_dump(mode="json") for t in gateway.config.tenants]
    return json_response({"object": "list", "data": data, "config_revision": gateway.revision})


async def audit_tail(request: Request, gateway: Gateway, trace: Trace) -> Response:
    _admin(request, gateway, trace)
    try:
        limit = min(max(int(request.query_params.get("limit", "50")), 1), 1000)
    except ValueError:
        raise InvalidRequestError("'limit' must be an integer.", param="limit") from None

    def tail() -> list[dict[str, object]]:
        head = gateway.store.audit_head()
        after = max((head.seq if head else 0) - limit, 0)
        return [
            {"seq": r.seq, "hash": r.hash, **orjson.loads(r.body)} for r in gateway.store.iter_audit(after_seq=after)
        ]

    return json_response({"object": "list", "data": await asyncio.to_thread(tail)})


async def audit_verify(request: Request, gateway: Gateway, trace: Trace) -> Response:
    _admin(request, gateway, trace)
    verifier = load_verifier(gateway.data_dir) if gateway.data_dir else None
    result = await asyncio.to_thread(verify_chain, gateway.store, verifier)
    return json_response(result.to_dict(), 200 if result.ok else 409)


# ---------------------------------------------------------------------- JSON twins of the admin UI
async def overview(request: Request, gateway: Gateway, trace: Trace) -> Response:
    _admin(request, gateway, trace)
    return json_response(await views.overview(gateway, now()))


async def decisions(request: Request, gateway: Gateway, trace: Trace) -> Response:
    _admin(request, gateway, trace)
    params = dict(request.query_params.items())
    return json_response(await asyncio.to_thread(views.decisions, gateway.store, params, now()))


async def decision(request: Request, gateway: Gateway, trace: Trace) -> Response:
    _admin(request, gateway, trace)
    decision_id = request.path_params["decision_id"]
    note_view(trace, decision_id)
    body = await asyncio.to_thread(views.decision, gateway.store, decision_id, views.verifier_for(gateway))
    return json_response(body)


async def audit_status(request: Request, gateway: Gateway, trace: Trace) -> Response:
    _admin(request, gateway, trace)
    verify = request.query_params.get("verify") == "1"
    body = await asyncio.to_thread(views.audit_status, gateway, verify=verify)
    if body["verification"] is not None:
        trace.extra["admin"] = {"op": "audit_verify", "ok": body["verification"]["ok"]}
    return json_response(body)


async def policy(request: Request, gateway: Gateway, trace: Trace) -> Response:
    _admin(request, gateway, trace)
    return json_response(views.policy(gateway))


async def ledger(request: Request, gateway: Gateway, trace: Trace) -> Response:
    _admin(request, gateway, trace)
    return json_response(await asyncio.to_thread(views.ledger, gateway, now()))


async def ledger_report(request: Request, gateway: Gateway, trace: Trace) -> Response:
    _admin(request, gateway, trace)
    tenant = request.path_params["tenant"]
    note_report(trace, gateway, tenant)
    body = await asyncio.to_thread(views.ledger_report, gateway, tenant, year_param(request), now())
    return json_response(body)


def routes() -> list[Route]:
    return [
        Route("/admin/keys", guarded("/admin/keys", list_keys), methods=["GET"]),
        Route("/admin/keys", guarded("/admin/keys", new_key), methods=["POST"]),
        Route("/admin/keys/{key_id}/revoke", guarded("/admin/keys/revoke", revoke_key), methods=["POST"]),
        Route("/admin/tenants", guarded("/admin/tenants", tenants), methods=["GET"]),
        Route("/admin/audit", guarded("/admin/audit", audit_tail), methods=["GET"]),
        Route("/admin/audit/verify", guarded("/admin/audit/verify", audit_verify), methods=["GET"]),
        Route("/admin/audit/status", guarded("/admin/audit/status", audit_status), methods=["GET"]),
        Route("/admin/overview", guarded("/admin/overview", overview), methods=["GET"]),
        Route("/admin/decisions", guarded("/admin/decisions", decisions), methods=["GET"]),
        Route("/admin/decisions/{decision_id}", guarded("/admin/decisions/{decision_id}", decision),
              methods=["GET"]),
        Route("/admin/policy", guarded("/admin/policy", policy), methods=["GET"]),
        Route("/admin/ledger", guarded("/admin/ledger", ledger), methods=["GET"]),
        Route("/admin/ledger/{tenant}/report", guarded("/admin/ledger/{tenant}/report", ledger_report),
              methods=["GET"]),
    ]
