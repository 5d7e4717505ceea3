"""Reading the decision log for the admin pages: newest-first pages, filters, summaries.

The store iterates forward only, so a newest-first page reads the chain backwards in
windows (``seq`` ranges) and stops once it has a page, reached the ``since`` boundary or read
its budget of records; a page never reads the whole log. A filter that matches rarely returns
a short page with a cursor to continue from where the scan stopped.

Records hold no prompt or completion text (see docs/audit.md). :func:`sanitise` keeps it that
way for anything the pages show: values under keys that could carry text are withheld and
long strings (``model`` is client-chosen) are cut.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from airlock.errors import InvalidRequestError
from airlock.stores.base import AuditRow, Store

__all__ = [
    "DEFAULT_ROUTE",
    "OUTCOMES",
    "ROUTE_KINDS",
    "DecisionFilter",
    "DecisionPage",
    "alerts_of",
    "decision_page",
    "iso",
    "load",
    "parse_since",
    "read_range",
    "route_kind",
    "sanitise",
    "scan_back",
    "summarise",
]

OUTCOMES = ("ok", "blocked", "error", "client_disconnected")
ROUTE_KINDS = ("inference", "admin", "all")
#: the decisions page shows requests to the model routes unless asked for admin calls too
DEFAULT_ROUTE = "inference"
#: records read by the first backward window; each further window doubles, up to MAX_WINDOW
#: (every window is one store query: on PostgreSQL, one connection)
WINDOW = 512
MAX_WINDOW = 16_384
#: most records one page request reads before it returns what it has, with a cursor
PAGE_BUDGET = 20_000
#: records are appended in group commits; their ``ts`` may be out of order by this much
_TS_SLACK = timedelta(minutes=5)
_RELATIVE = re.compile(r"^(\d{1,4})\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
#: keys whose string values could be text a person wrote; the record has none, and if a
#: future field carried some, the pages would still not show it
_TEXT_KEYS = frozenset({"content", "text", "prompt", "completion", "messages_text", "input", "output",
                        "arguments", "raw", "body_text", "excerpt", "snippet", "match", "value"})
_MAX_STRING = 200


def iso(dt: datetime) -> str:
    """UTC, milliseconds: the format of the records' ``ts`` (so strings compare in time order)."""
    return dt.astimezone(UTC).isoformat(timespec="milliseconds")


def parse_since(value: str | None, now: datetime) -> str | None:
    """``15m``, ``1h``, ``7d``, an ISO date or an ISO time (UTC when no offset) → record-``ts`` form."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    rel = _RELATIVE.match(text.lower())
    if rel:
        return iso(now - timedelta(**{_UNITS[rel.group(2)]: int(rel.group(1))}))
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequestError(
            "'since' must be a duration (15m, 1h, 7d) or an ISO date or time, e.g. 2026-01-31T08:00.",
            param="since") from None
    return iso(dt if dt.tzinfo else dt.replace(tzinfo=UTC))


def route_kind(route: object) -> str:
    """``inference`` for the OpenAI routes, ``admin`` for the admin API and pages, else ``other``."""
    if not isinstance(route, str):
        return "other"
    if route.startswith(("/v1/", "/openai/")):
        return "inference"
    if route.startswith("/admin"):
        return "admin"
    return "other"


def load(row: AuditRow) -> dict[str, Any]:
    """The record body, or an empty mapping when it is not a JSON object (a tampered row)."""
    try:
        body = orjson.loads(row.body)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def sanitise(value: Any, key: str | None = None) -> Any:
    """A copy safe to show: text-bearing keys withheld, long strings cut."""
    if isinstance(value, dict):
        return {str(k): sanitise(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [sanitise(v, key) for v in value]
    if isinstance(value, str):
        if key is not None and key.lower() in _TEXT_KEYS:
            return f"[withheld: {len(value)} characters]"
        if len(value) > _MAX_STRING:
            return f"{value[:_MAX_STRING]}… [{len(value)} characters]"
    return value


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if isinstance(v, str | int)] if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def alerts_of(rec: dict[str, Any]) -> list[str]:
    """Policy alerts (``extra.alerts``) and a ledger alert (``ledger.<kind>``) of a record."""
    alerts = _strings(_dict(rec.get("extra")).get("alerts"))
    ledger_alert = rec.get("ledger_alert")
    if isinstance(ledger_alert, dict):
        alerts.append(f"ledger.{ledger_alert.get('kind')}")
    return alerts


def _short(value: Any, limit: int = 80) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def summarise(row: AuditRow, rec: dict[str, Any]) -> dict[str, Any]:
    """One line of the decisions table (counts and ids only)."""
    extra = _dict(rec.get("extra"))
    findings = [f for f in _list(rec.get("findings")) if isinstance(f, dict)]
    counts = Counter(str(f.get("type")) for f in findings)
    latency = _dict(rec.get("latency_ms"))
    return {
        "seq": row.seq,
        "ts": row.ts,
        "decision_id": row.decision_id,
        "tenant": row.tenant,
        "kind": row.kind,
        "route": _short(rec.get("route")),
        "route_kind": route_kind(rec.get("route")),
        "key_id": _short(rec.get("key_id"), 40),
        "model": _short(rec.get("model")),
        "deployment": _short(rec.get("deployment")),
        "status": rec.get("status") if isinstance(rec.get("status"), int) else None,
        "outcome": _short(rec.get("outcome"), 40),
        "action": _short(rec.get("action"), 40),
        "error_code": _short(rec.get("error_code"), 60),
        "rules": _strings(rec.get("rules")),
        "shadow_rules": _strings(extra.get("shadow_rules")),
        "alerts": alerts_of(rec),
        "findings": [{"type": t, "count": n} for t, n in sorted(counts.items())],
        "latency_ms": _number(latency.get("total")),
        "overhead_ms": _number(latency.get("overhead")),
    }


def _glob(pattern: str, values: list[str]) -> bool:
    if pattern.endswith("*"):
        return any(v.startswith(pattern[:-1]) for v in values)
    return pattern in values


@dataclass(frozen=True, slots=True)
class DecisionFilter:
    """What the decisions page narrows to; every field that is set must match."""

    tenant: str | None = None
    outcome: str | None = None
    #: a policy rule id (enforced or shadow); a trailing ``*`` matches a prefix
    rule: str | None = None
    #: a finding type, e.g. EMAIL
    finding: str | None = None
    key_id: str | None = None
    #: record ``ts`` form (see :func:`parse_since`)
    since: str | None = None
    #: inference (the OpenAI routes), admin (admin API and pages) or all
    route: str = DEFAULT_ROUTE

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise InvalidRequestError(f"'outcome' must be one of {', '.join(OUTCOMES)}.", param="outcome")
        if self.route not in ROUTE_KINDS:
            raise InvalidRequestError(f"'route' must be one of {', '.join(ROUTE_KINDS)}.", param="route")

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.tenant, self.outcome, self.rule, self.finding, self.key_id,
                                             self.since)) or self.route != DEFAULT_ROUTE

    def matches_row(self, row: AuditRow) -> bool:
        """The checks on the row's columns (before its body is parsed)."""
        if self.tenant is not None and row.tenant != self.tenant:
            return False
        return self.since is None or row.ts >= self.since

    def matches(self, row: AuditRow, rec: dict[str, Any]) -> bool:
        if not self.matches_row(row):
            return False
        if self.route != "all" and route_kind(rec.get("route")) != self.route:
            return False
        if self.outcome is not None and rec.get("outcome") != self.outcome:
            return False
        if self.key_id is not None and rec.get("key_id") != self.key_id:
            return False
        if self.rule is not None:
            shadow = _dict(rec.get("extra")).get("shadow_rules")
            if not _glob(self.rule, _strings(rec.get("rules")) + _strings(shadow)):
                return False
        return self.finding is None or any(
            isinstance(f, dict) and f.get("type") == self.finding for f in _list(rec.get("findings")))

    def query(self) -> dict[str, str]:
        """The filter as query parameters (for links that keep it)."""
        out = {k: v for k in ("tenant", "outcome", "rule", "finding", "key_id", "since")
               if (v := getattr(self, k)) is not None}
        if self.route != DEFAULT_ROUTE:
            out["route"] = self.route
        return out


def read_range(store: Store, lo: int, hi: int) -> list[AuditRow]:
    """Records with ``lo < seq <= hi``, oldest first."""
    rows: list[AuditRow] = []
    it = store.iter_audit(after_seq=lo)
    try:
        for row in it:
            if row.seq > hi:
                break
            rows.append(row)
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                close()
    return rows


def scan_back(store: Store, *, before: int | None = None, budget: int = PAGE_BUDGET) -> Iterator[AuditRow]:
    """Records newest first, below ``before`` (default: from the head), at most ``budget`` of them."""
    head = store.audit_head()
    hi = head.seq if head else 0
    if before is not None:
        hi = min(hi, before - 1)
    read = 0
    size = WINDOW
    while hi > 0 and read < budget:
        lo = max(hi - min(size, budget - read), 0)
        for row in reversed(read_range(store, lo, hi)):
            yield row
            read += 1
        hi = lo
        size = min(size * 2, MAX_WINDOW)


@dataclass
class DecisionPage:
    rows: list[dict[str, Any]] = field(default_factory=list)
    #: cursor for older records (``before=``), None when the scan reached the start or ``since``
    older: int | None = None
    #: cursor for newer records (``after=``), None on the newest page
    newer: int | None = None
    scanned: int = 0
    #: the scan stopped at its budget before the page was full
    budget_hit: bool = False


def decision_page(
    store: Store,
    flt: DecisionFilter,
    *,
    limit: int,
    before: int | None = None,
    after: int | None = None,
    budget: int = PAGE_BUDGET,
) -> DecisionPage:
    """The page of matching records next to a cursor, newest first."""
    page = DecisionPage()
    if after is not None:
        return _page_after(store, flt, limit=limit, after=after, budget=budget)
    floor = _floor(flt.since)
    last_seq: int | None = None
    finished = True
    for row in scan_back(store, before=before, budget=budget):
        page.scanned += 1
        last_seq = row.seq
        if floor is not None and row.ts < floor:
            break
        if not flt.matches_row(row):
            continue
        rec = load(row)
        if flt.matches(row, rec):
            page.rows.append(summarise(row, rec))
            if len(page.rows) >= limit:
                finished = row.seq <= 1
                break
    else:
        page.budget_hit = page.scanned >= budget and last_seq is not None and last_seq > 1
        finished = not page.budget_hit
    if not finished and last_seq is not None:
        page.older = last_seq
    page.newer = page.rows[0]["seq"] if before is not None and page.rows else (before - 1 if before else None)
    return page


def _floor(since: str | None) -> str | None:
    if since is None:
        return None
    return iso(datetime.fromisoformat(since) - _TS_SLACK)


def _page_after(store: Store, flt: DecisionFilter, *, limit: int, after: int, budget: int) -> DecisionPage:
    """The ``limit`` matching records just above ``after`` (shown newest first)."""
    page = DecisionPage()
    matched: list[dict[str, Any]] = []
    continue_after: int | None = None
    it = store.iter_audit(after_seq=after)
    try:
        for row in it:
            rec = load(row) if flt.matches_row(row) else None
            if rec is not None and flt.matches(row, rec):
                if len(matched) >= limit:  # one more match exists: there is a newer page
                    continue_after = matched[-1]["seq"]
                    break
                matched.append(summarise(row, rec))
            page.scanned += 1
            if page.scanned >= budget:
                page.budget_hit = True
                continue_after = row.seq
                break
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                close()
    page.rows = matched[::-1]
    page.older = page.rows[-1]["seq"] if page.rows else after + 1
    page.newer = continue_after
    return page
