"""Browser sessions for the admin pages: the admin key in a cookie, and a same-origin check.

A browser cannot send ``Authorization: Bearer``, so ``POST /admin/ui/login`` puts the admin
key in a cookie: ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's page
makes the browser send it), ``Path=/admin``, ``Secure`` when the request came over HTTPS, and
no ``Max-Age`` (it ends with the browser session). Every request presents the key again and
it is checked exactly like a Bearer key (constant-time, read from the store), so a revoked
key stops working on the next page load.

The cookie is accepted on ``GET``/``HEAD`` only: the pages and their JSON twins read, and
every state-changing admin route (``POST /admin/keys`` …) still needs the header. The login
and logout forms are POSTs that must come from a page of this origin (``Origin``, or
``Referer`` when a browser sends no ``Origin``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from airlock.keys import bearer_token

__all__ = [
    "COOKIE",
    "COOKIE_PATH",
    "clear_cookie",
    "presented_key",
    "safe_next",
    "same_origin",
    "set_cookie",
]

COOKIE = "airlock_admin"
COOKIE_PATH = "/admin"
UI_ROOT = "/admin/ui/"
LOGIN = "/admin/ui/login"
_READ_METHODS = ("GET", "HEAD")


def presented_key(request: Request) -> str | None:
    """The key from the ``Authorization``/``api-key`` header, else (reads only) the cookie."""
    token = bearer_token(request.headers.get("authorization"), request.headers.get("api-key"))
    if token is None and request.method in _READ_METHODS:
        token = request.cookies.get(COOKIE) or None
    return token


def is_https(request: Request) -> bool:
    # uvicorn sets the scheme from X-Forwarded-Proto when the proxy is trusted
    # (--forwarded-allow-ips / FORWARDED_ALLOW_IPS)
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, key: str) -> None:
    response.set_cookie(COOKIE, key, path=COOKIE_PATH, httponly=True, samesite="strict", secure=is_https(request))


def clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict", secure=is_https(request))


def same_origin(request: Request) -> bool:
    """The POST came from a page served by this host (``Origin``, else ``Referer``)."""
    host = request.headers.get("host", "").strip().lower()
    if not host:
        return False
    source = request.headers.get("origin")
    if source is None:
        source = request.headers.get("referer")
    if not source:
        return False
    parts = urlsplit(source.strip())
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host


def safe_next(value: str | None) -> str:
    """Where to go after login: a page of the admin UI, nothing else (no open redirect)."""
    if (not value or not value.startswith(UI_ROOT) or value.startswith(LOGIN) or "\\" in value
            or any(ord(c) < 0x20 for c in value)):
        return UI_ROOT
    return value[:2000]
