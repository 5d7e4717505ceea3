"""The admin pages (``/admin/ui/…``): one handler per page, each rendering its JSON twin's data.

Every page goes through :func:`~airlock.server.http.guarded`, so each view, login and
refusal is an audit record like any admin request. Errors become HTML pages (or a redirect
to the login form) with the same status the JSON API would return.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from airlock.errors import AirlockError, AuthenticationError, InvalidRequestError
from airlock.gateway import Gateway
from airlock.keys import Principal
from airlock.ledger.report_html import render_html
from airlock.server.http import guarded, read_body
from airlock.server.ui import data
from airlock.server.ui.auditlog import iso
from airlock.server.ui.render import SECURITY_HEADERS, render
from airlock.server.ui.session import (
    COOKIE,
    LOGIN,
    UI_ROOT,
    clear_cookie,
    presented_key,
    safe_next,
    same_origin,
    set_cookie,
)
from airlock.trace import Trace

__all__ = ["routes"]

log = logging.getLogger("airlock.server")

Handler = Callable[[Request, Gateway, Trace], Awaitable[Response]]
_MAX_FORM = 8 * 1024
#: why the login form is shown again (fixed texts: nothing from the request is reflected)
_REASONS = {
    "session": "Log in with an admin key to continue. · 请使用管理密钥登录。",
    "invalid": "The session key is no longer valid (revoked or unknown); log in again. · 会话密钥已失效，请重新登录。",
    "logged_out": "Logged out. · 已退出。",
}


def now() -> datetime:
    return datetime.now(UTC)


def admin(request: Request, gateway: Gateway, trace: Trace) -> Principal:
    """The admin principal behind the header or (for reads) the session cookie."""
    principal, _ = gateway.authenticate(trace, None, presented_key(request), scope="admin")
    return principal


def _target(request: Request) -> str:
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def _login_redirect(request: Request, reason: str) -> Response:
    query = urlencode({"next": safe_next(_target(request)), "reason": reason})
    response = RedirectResponse(f"{LOGIN}?{query}", 303, headers=SECURITY_HEADERS)
    if request.cookies.get(COOKIE):
        clear_cookie(response, request)
    return response


def _error_page(status: int, message: str, trace: Trace, me: Principal | None) -> Response:
    titles = {400: "Bad request · 请求有误", 403: "Forbidden · 禁止访问", 404: "Not found · 未找到"}
    context = {"status": status, "title": titles.get(status, "Error · 错误"), "message": message, "me": me,
               "view_id": trace.decision_id, "twin": None, "nav": None, "generated_at": iso(now())}
    return render("error.html", context, status)


def page(route: str, handler: Callable[[Request, Gateway, Trace, Principal], Awaitable[Response]]) -> Handler:
    """Authenticate, run ``handler``, and turn errors into HTML (the trace records the failure)."""

    async def inner(request: Request, gateway: Gateway, trace: Trace) -> Response:
        me: Principal | None = None
        try:
            me = admin(request, gateway, trace)
            return await handler(request, gateway, trace, me)
        except AuthenticationError as exc:
            trace.fail(exc.status, exc.code)
            return _login_redirect(request, "invalid" if presented_key(request) else "session")
        except AirlockError as exc:
            trace.fail(exc.status, exc.code)
            return _error_page(exc.status, exc.message, trace, me)
        except Exception:
            log.exception("admin page failed", extra={"decision_id": trace.decision_id})
            trace.fail(500, "internal_error")
            return _error_page(500, "Internal error; see the decision id in the audit log.", trace, me)

    return inner


def _show(template: str, trace: Trace, me: Principal, body: Mapping[str, Any], *, nav: str, twin: str,
          **extra: Any) -> Response:
    context = {"data": body, "me": {"tenant": me.tenant, "key_id": me.key_id}, "nav": nav, "twin": twin,
               "view_id": trace.decision_id, "generated_at": iso(now()), **extra}
    return render(template, context)


def _query(request: Request) -> dict[str, str]:
    return dict(request.query_params.items())


def note_view(trace: Trace, decision_id: str) -> None:
    """Record which decision an admin looked at (only a well-formed id: nothing typed is stored)."""
    if data.DECISION_ID.match(decision_id):
        trace.extra["admin"] = {"op": "view_decision", "decision_id": decision_id}


def note_report(trace: Trace, gateway: Gateway, tenant: str) -> None:
    if gateway.config.tenant(tenant) is not None:
        trace.extra["admin"] = {"op": "ledger_report", "tenant": tenant}


def _tenant_ids(gateway: Gateway) -> list[str]:
    return [t.id for t in gateway.config.tenants]


# ---------------------------------------------------------------------- pages
async def overview(request: Request, gateway: Gateway, trace: Trace, me: Principal) -> Response:
    body = await data.overview(gateway, now())
    return _show("overview.html", trace, me, body, nav="overview", twin="/admin/overview")


async def decisions(request: Request, gateway: Gateway, trace: Trace, me: Principal) -> Response:
    params = _query(request)
    body = await asyncio.to_thread(data.decisions, gateway.store, params, now())
    twin = "/admin/decisions" + (f"?{request.url.query}" if request.url.query else "")
    return _show("decisions.html", trace, me, body, nav="decisions", twin=twin, tenants=_tenant_ids(gateway))


async def decision(request: Request, gateway: Gateway, trace: Trace, me: Principal) -> Response:
    decision_id = request.path_params["decision_id"]
    note_view(trace, decision_id)
    body = await asyncio.to_thread(data.decision, gateway.store, decision_id, data.verifier_for(gateway))
    return _show("decision.html", trace, me, body, nav="decisions", twin=f"/admin/decisions/{decision_id}")


async def audit(request: Request, gateway: Gateway, trace: Trace, me: Principal) -> Response:
    verify = request.query_params.get("verify") == "1"
    body = await asyncio.to_thread(data.audit_status, gateway, verify=verify)
    if verify and body["verification"] is not None:
        trace.extra["admin"] = {"op": "audit_verify", "ok": body["verification"]["ok"]}
    twin = "/admin/audit/status" + ("?verify=1" if verify else "")
    return _show("audit.html", trace, me, body, nav="audit", twin=twin)


async def policy(request: Request, gateway: Gateway, trace: Trace, me: Principal) -> Response:
    return _show("policy.html", trace, me, data.policy(gateway), nav="policy", twin="/admin/policy")


async def keys(request: Request, gateway: Gateway, trace: Trace, me: Principal) -> Response:
    tenant = request.query_params.get("tenant") or None
    body = await asyncio.to_thread(data.keys, gateway.store, tenant)
    twin = "/admin/keys" + (f"?{urlencode({'tenant': tenant})}" if tenant else "")
    return _show("keys.html", trace, me, body, nav="keys", twin=twin, tenant=tenant, tenants=_tenant_ids(gateway))


async def ledger(request: Request, gateway: Gateway, trace: Trace, me: Principal) -> Response:
    body = await asyncio.to_thread(data.ledger, gateway, now())
    return _show("ledger.html", trace, me, body, nav="ledger", twin="/admin/ledger")


def year_param(request: Request) -> int | None:
    value = request.query_params.get("year")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidRequestError("'year' must be an integer.", param="year") from None


async def ledger_report(request: Request, gateway: Gateway, trace: Trace, me: Principal) -> Response:
    tenant = request.path_params["tenant"]
    note_report(trace, gateway, tenant)
    report = await asyncio.to_thread(data.ledger_report, gateway, tenant, year_param(request), now())
    return HTMLResponse(render_html(report), headers=SECURITY_HEADERS)


# ---------------------------------------------------------------------- login / logout
def _login_form(trace: Trace, *, next_url: str, message: str | None, error: bool, status: int = 200) -> Response:
    context = {"next": next_url, "message": message, "error": error, "view_id": trace.decision_id}
    return render("login.html", context, status)


async def login_form(request: Request, gateway: Gateway, trace: Trace) -> Response:
    reason = request.query_params.get("reason", "")
    message = _REASONS.get(reason)
    return _login_form(trace, next_url=safe_next(request.query_params.get("next")), message=message,
                       error=reason == "invalid")


async def login(request: Request, gateway: Gateway, trace: Trace) -> Response:
    trace.extra["admin"] = {"op": "ui_login"}
    if not same_origin(request):
        trace.fail(403, "cross_origin_form")
        return _login_form(trace, next_url=UI_ROOT, status=403, error=True,
                           message="Send the login form from this site's own login page. · 请从本站登录页提交。")
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        trace.fail(415, "unsupported_media_type")
        return _login_form(trace, next_url=UI_ROOT, status=415, error=True,
                           message="Send the login form.")
    try:
        raw = await read_body(request, _MAX_FORM)
    except AirlockError as exc:
        trace.fail(exc.status, exc.code)
        return _login_form(trace, next_url=UI_ROOT, status=exc.status, error=True, message=exc.message)
    fields = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=8)
    key = (fields.get("key") or [""])[0].strip()
    next_url = safe_next((fields.get("next") or [""])[0])
    try:
        gateway.authenticate(trace, None, key or None, scope="admin")
    except AirlockError as exc:  # unknown, revoked, or not an admin key: the API's own messages
        trace.fail(exc.status, exc.code)
        return _login_form(trace, next_url=next_url, status=exc.status, error=True, message=exc.message)
    response = RedirectResponse(next_url, 303, headers=SECURITY_HEADERS)
    set_cookie(response, request, key)
    return response


async def logout(request: Request, gateway: Gateway, trace: Trace) -> Response:
    trace.extra["admin"] = {"op": "ui_logout"}
    if not same_origin(request):
        trace.fail(403, "cross_origin_form")
        return _login_form(trace, next_url=UI_ROOT, status=403, error=True,
                           message="Log out from this site's own pages. · 请从本站页面退出。")
    key = request.cookies.get(COOKIE)
    if key:
        # record who logged out (a stale key simply leaves the record anonymous)
        with contextlib.suppress(AirlockError):
            gateway.authenticate(trace, None, key, scope="admin")
    response = RedirectResponse(f"{LOGIN}?reason=logged_out", 303, headers=SECURITY_HEADERS)
    clear_cookie(response, request)
    return response


def routes() -> list[Route]:
    def get(path: str, route: str, handler: Callable[[Request, Gateway, Trace, Principal], Awaitable[Response]]
            ) -> Route:
        return Route(path, guarded(route, page(route, handler)), methods=["GET"])

    return [
        get("/admin/ui", "/admin/ui/", overview),
        get("/admin/ui/", "/admin/ui/", overview),
        get("/admin/ui/decisions", "/admin/ui/decisions", decisions),
        get("/admin/ui/decisions/{decision_id}", "/admin/ui/decisions/{decision_id}", decision),
        get("/admin/ui/audit", "/admin/ui/audit", audit),
        get("/admin/ui/policy", "/admin/ui/policy", policy),
        get("/admin/ui/keys", "/admin/ui/keys", keys),
        get("/admin/ui/ledger", "/admin/ui/ledger", ledger),
        get("/admin/ui/ledger/{tenant}/report", "/admin/ui/ledger/{tenant}/report", ledger_report),
        Route(LOGIN, guarded(LOGIN, login_form), methods=["GET"]),
        Route(LOGIN, guarded(LOGIN, login), methods=["POST"]),
        Route("/admin/ui/logout", guarded("/admin/ui/logout", logout), methods=["POST"]),
    ]
