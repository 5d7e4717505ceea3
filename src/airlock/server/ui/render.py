"""Jinja2 rendering for the admin pages: autoescaped templates shipped in the package.

No script, no external asset: the stylesheet is inline, and the Content-Security-Policy
sent with every page forbids anything else (``default-src 'none'``), so even a value that
slipped past escaping could not load or run code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

__all__ = ["SECURITY_HEADERS", "render"]

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    # same-origin keeps Origin/Referer on our own form posts (the login CSRF check needs them)
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


def _num(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "—" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"
    return str(value)


def _ts(value: Any) -> str:
    """``2026-11-22T04:32:36.651+00:00`` → ``2026-11-22 04:32:36Z`` (records are UTC)."""
    if not isinstance(value, str):
        return "—"
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return value
    suffix = "Z" if dt.utcoffset() is not None and dt.utcoffset().total_seconds() == 0 else dt.strftime("%z")  # type: ignore[union-attr]
    return dt.strftime("%Y-%m-%d %H:%M:%S") + suffix


def _url(path: str, params: Mapping[str, Any] | None = None, **more: Any) -> str:
    merged = {**(params or {}), **more}
    query = urlencode({k: v for k, v in merged.items() if v is not None and v != ""})
    return f"{path}?{query}" if query else path


def _short(value: Any, n: int = 12) -> str:
    text = str(value or "")
    return text if len(text) <= n + 1 else text[:n] + "…"


def _wbr(value: Any) -> Markup:
    """Escaped, with line-break opportunities after ``.``, ``_`` and ``-`` (long rule ids and types)."""
    escaped = str(escape(value))  # entities hold none of . _ -
    return Markup(escaped.replace(".", ".<wbr>").replace("_", "_<wbr>").replace("-", "-<wbr>"))  # noqa: S704


def _pretty(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()


def _flat(value: Any) -> str:
    if isinstance(value, list):
        return "|".join(_flat(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_flat(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compact(conditions: Any) -> str:
    """A rule's conditions on one line: ``findings(type=EMAIL|PHONE) · cross_border=true``."""
    if not isinstance(conditions, dict) or not conditions:
        return "always"
    parts = [f"{k}({_flat(v)})" if isinstance(v, dict) else f"{k}={_flat(v)}" for k, v in conditions.items()]
    return " · ".join(parts)


_env = Environment(
    loader=PackageLoader("airlock.server.ui", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(num=_num, ts=_ts, short=_short, pretty=_pretty, compact=_compact, wbr=_wbr)
_env.globals.update(url=_url)


def render(template: str, context: Mapping[str, Any], status: int = 200,
           headers: Mapping[str, str] | None = None) -> HTMLResponse:
    html = _env.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})
