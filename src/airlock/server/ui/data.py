"""What each admin page shows, as plain JSON-ready data.

Every page of the admin UI renders exactly one of these mappings, and its JSON twin under
``/admin/…`` returns the same mapping, so the two never disagree. The builders only read:
configuration, the store (keys, audit log, checkpoints), the breakers and the ledger tables.
"""

from __future__ import annotations

import asyncio
import bisect
import re
import time
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from airlock.audit import CheckpointVerifier, chain_hash, load_verifier, verify_chain
from airlock.errors import InvalidRequestError, ModelNotFoundError
from airlock.gateway import Gateway
from airlock.ledger.periods import moment
from airlock.ledger.report import build_report, tenant_status
from airlock.ledger.service import Ledger
from airlock.policy.engine import PolicyEngine
from airlock.policy.lattice import DEFAULT_LADDERS, UnknownLevel
from airlock.server.ui.auditlog import (
    DEFAULT_ROUTE,
    OUTCOMES,
    ROUTE_KINDS,
    DecisionFilter,
    alerts_of,
    decision_page,
    iso,
    load,
    parse_since,
    read_range,
    route_kind,
    sanitise,
    scan_back,
    summarise,
)
from airlock.stores.base import GENESIS_HASH, Checkpoint, Store

__all__ = [
    "DECISION_ID",
    "audit_status",
    "decision",
    "decisions",
    "keys",
    "ledger",
    "ledger_report",
    "overview",
    "policy",
]

#: records the overview reads at most (the last hour's counts say when they are partial)
OVERVIEW_BUDGET = 50_000
ALERT_WINDOW = timedelta(hours=24)
MAX_ALERTS = 25
DECISION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_PAGE_SIZES = (25, 50, 100, 200, 500)


def _store_kind(store: Store) -> str:
    return store.url.split(":", 1)[0]  # never the URL itself: it may hold a password


def _engine(gateway: Gateway) -> PolicyEngine | None:
    return gateway.policy if isinstance(gateway.policy, PolicyEngine) else None


def _rank(engine: PolicyEngine | None, name: str | None) -> int | None:
    if engine is None or name is None:
        return None
    try:
        return engine.level(name).rank
    except UnknownLevel:
        return None


# ---------------------------------------------------------------------- overview
async def overview(gateway: Gateway, now: datetime) -> dict[str, Any]:
    config = gateway.config
    engine = _engine(gateway)


    async def probe(name: str) -> bool:
        provider = gateway.providers.get(name)
        return bool(provider is not None and await provider.ready())

    # readiness probes (a TCP connect for remote upstreams, cached) run side by side
    probes = await asyncio.gather(*(probe(d.name) for d in config.deployments))
    deployments = []
    for d, reachable in zip(config.deployments, probes, strict=True):
        breaker = gateway.router.breakers[d.name].state if d.name in gateway.router.breakers else "closed"
        ready = reachable and breaker != "open"
        deployments.append({
            "name": d.name, "model": d.model_id, "provider": d.provider, "jurisdiction": d.jurisdiction,
            "region": d.region, "max_classification": d.max_classification,
            "rank": _rank(engine, d.max_classification), "data_retention": d.data_retention,
            "trains_on_data": d.trains_on_data, "fail_open": d.fail_open, "breaker": breaker, "ready": ready,
        })

    def read() -> dict[str, Any]:
        store = gateway.store
        keys = store.list_keys()
        active = Counter((k.tenant, k.scope) for k in keys if k.active)
        tenants = [{
            "id": t.id, "name": t.name, "jurisdiction": t.jurisdiction, "org_type": t.org_type,
            "clearance": t.clearance, "rank": _rank(engine, t.clearance), "models": list(t.models),
            "purposes": list(t.purposes), "rpm": t.limits.rpm, "tpm": t.limits.tpm,
            "ledger_mode": t.ledger.mode if isinstance(gateway.ledger, Ledger) else None,
            "filed_mechanism": t.ledger.filed_mechanism if isinstance(gateway.ledger, Ledger) else None,
            "inference_keys": active[(t.id, "inference")], "admin_keys": active[(t.id, "admin")],
        } for t in config.tenants]
        head = store.audit_head()
        checkpoints = store.checkpoints()
        last = checkpoints[-1] if checkpoints else None
        return {
            "store": {"kind": _store_kind(store), "ok": store.ping()},
            "audit": {
                "head_seq": head.seq if head else 0,
                "last_checkpoint": {"seq": last.seq, "ts": last.ts} if last else None,
                "unsigned": (head.seq if head else 0) - (last.seq if last else 0),
            },
            "tenants": tenants,
            **_activity(store, now),
        }

    body = await asyncio.to_thread(read)
    return {
        "generated_at": iso(now),
        "config_revision": gateway.revision,
        "policy": {
            "revision": engine.revision if engine else getattr(gateway.policy, "revision", None),
            "packs": list(config.policy.packs),
            "rules": len(engine.rules) if engine else 0,
            "shadow_rules": sum(1 for r in engine.rules if r.shadow) if engine else 0,
        },
        "deployments": deployments,
        "ledger": {"enabled": isinstance(gateway.ledger, Ledger), "pack": config.ledger.pack},
        **body,
    }


def _activity(store: Store, now: datetime) -> dict[str, Any]:
    """Last hour's requests by outcome and the last day's alerts, from one bounded backward scan."""
    hour, day = iso(now - timedelta(hours=1)), iso(now - ALERT_WINDOW)
    floor = iso(now - ALERT_WINDOW - timedelta(minutes=5))
    outcomes: Counter[str] = Counter()
    tenants: dict[str, Counter[str]] = {}
    rules: Counter[str] = Counter()
    admin: Counter[str] = Counter()
    alerts: list[dict[str, Any]] = []
    scanned, complete = 0, True
    oldest: str | None = None
    for row in scan_back(store, budget=OVERVIEW_BUDGET):
        scanned += 1
        oldest = row.ts
        if row.ts < floor:
            break
        recent = row.ts >= hour
        if not recent and '"alerts"' not in row.body and '"ledger_alert"' not in row.body:
            continue  # older than the hour, only alerts count: no need to parse it
        rec = load(row)
        names = alerts_of(rec)
        if recent:
            kind = route_kind(rec.get("route"))
            if kind == "inference":
                outcome = str(rec.get("outcome") or "unknown")
                outcomes[outcome] += 1
                per = tenants.setdefault(row.tenant or "-", Counter())
                per["total"] += 1
                per[outcome] += 1
                if outcome == "blocked":
                    listed = rec.get("rules")
                    rules.update(r for r in (listed if isinstance(listed, list) else ()) if isinstance(r, str))
            elif kind == "admin":
                admin["total"] += 1
                if rec.get("status") in (401, 403):
                    admin["refused"] += 1
        if names and row.ts >= day and len(alerts) < MAX_ALERTS:
            s = summarise(row, rec)
            ledger_alert = rec.get("ledger_alert") if isinstance(rec.get("ledger_alert"), dict) else {}
            alerts.append({
                "ts": row.ts, "seq": row.seq, "decision_id": row.decision_id, "tenant": row.tenant,
                "alerts": names, "rules": s["rules"], "outcome": s["outcome"],
                "message": sanitise(ledger_alert.get("message")) if ledger_alert else None,
            })
    else:
        complete = scanned < OVERVIEW_BUDGET
    by_outcome = {o: outcomes.get(o, 0) for o in OUTCOMES}
    by_outcome.update({o: n for o, n in outcomes.items() if o not in by_outcome})
    return {
        "last_hour": {
            "since": hour,
            "complete": complete,
            "scanned": scanned,
            #: with complete false, the counts cover only the records back to this time
            "covered_since": hour if complete else oldest,
            "requests": sum(outcomes.values()),
            "by_outcome": by_outcome,
            "by_tenant": [{"tenant": t, "total": c["total"], "blocked": c["blocked"], "error": c["error"]}
                          for t, c in sorted(tenants.items(), key=lambda kv: -kv[1]["total"])],
            "blocking_rules": [{"rule": r, "count": n} for r, n in rules.most_common(10)],
            "admin_requests": admin["total"],
            "admin_refused": admin["refused"],
        },
        "alerts": {"since": day, "complete": complete, "items": alerts},
    }


# ---------------------------------------------------------------------- decisions
def _int(params: Mapping[str, str], name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise InvalidRequestError(f"'{name}' must be an integer.", param=name) from None
    if number < 0:
        raise InvalidRequestError(f"'{name}' must not be negative.", param=name)
    return number


def _opt(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name, "").strip()
    return value[:128] or None


def parse_filter(params: Mapping[str, str], now: datetime) -> DecisionFilter:
    return DecisionFilter(
        tenant=_opt(params, "tenant"), outcome=_opt(params, "outcome"), rule=_opt(params, "rule"),
        finding=_opt(params, "finding"), key_id=_opt(params, "key_id"),
        since=parse_since(params.get("since"), now), route=_opt(params, "route") or DEFAULT_ROUTE,
    )


def decisions(store: Store, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
    """The newest matching records (query: tenant, outcome, rule, finding, key_id, since, route
    (default inference), limit, before / after cursors)."""
    flt = parse_filter(params, now)
    limit = _int(params, "limit") or 50
    limit = min(max(limit, 1), _PAGE_SIZES[-1])
    before, after = _int(params, "before"), _int(params, "after")
    if before is not None and after is not None:
        raise InvalidRequestError("Give 'before' or 'after', not both.", param="before")
    page = decision_page(store, flt, limit=limit, before=before, after=after)
    head = store.audit_head()
    return {
        "object": "list",
        "filter": flt.query(),
        "since_input": params.get("since") or None,
        "limit": limit,
        "data": page.rows,
        "older": page.older,
        "newer": page.newer,
        "scanned": page.scanned,
        "budget_hit": page.budget_hit,
        "head_seq": head.seq if head else 0,
        "choices": {"outcome": list(OUTCOMES), "route": list(ROUTE_KINDS), "limit": list(_PAGE_SIZES)},
    }


def _covering(checkpoints: list[Checkpoint], seq: int) -> Checkpoint | None:
    seqs = [cp.seq for cp in checkpoints]
    i = bisect.bisect_left(seqs, seq)
    return checkpoints[i] if i < len(checkpoints) else None


def decision(store: Store, decision_id: str, verifier: CheckpointVerifier | None) -> dict[str, Any]:
    """A decision's records, each with its place in the chain and a local integrity check."""
    if not DECISION_ID.match(decision_id):
        raise InvalidRequestError("Not a decision id.", param="decision_id", code="invalid_decision_id")
    rows = store.audit_by_decision(decision_id)
    if not rows:
        raise ModelNotFoundError("No audit record carries that decision id.", code="decision_not_found",
                                 param="decision_id")
    head = store.audit_head()
    checkpoints = store.checkpoints()
    records = []
    for row in rows:
        around = {r.seq: r for r in read_range(store, max(row.seq - 2, 0), row.seq + 1)}
        prev, nxt = around.get(row.seq - 1), around.get(row.seq + 1)
        expected_prev = GENESIS_HASH if row.seq == 1 else (prev.hash if prev else None)
        cp = _covering(checkpoints, row.seq)
        pinned = None
        if cp is not None:
            at = read_range(store, cp.seq - 1, cp.seq)
            pinned = {
                "seq": cp.seq, "ts": cp.ts, "key_id": cp.key_id,
                "hash_matches": bool(at) and at[0].hash == cp.hash,
                "signature_ok": verifier.verify(cp.seq, cp.hash, cp.key_id, cp.signature) if verifier else None,
            }
        rec = load(row)
        records.append({
            "seq": row.seq,
            "kind": row.kind,
            "ts": row.ts,
            "tenant": row.tenant,
            "hash": row.hash,
            "prev_hash": row.prev_hash,
            "chain": {
                "head_seq": head.seq if head else 0,
                "hash_ok": chain_hash(row.prev_hash, row.body) == row.hash,
                "prev_link_ok": expected_prev == row.prev_hash if expected_prev is not None else None,
                "next_link_ok": nxt.prev_hash == row.hash if nxt is not None else None,
                "checkpoint": pinned,
            },
            "summary": summarise(row, rec),
            "record": sanitise({k: v for k, v in rec.items() if k not in ("prev_hash",)}),
        })
    return {"decision_id": decision_id, "records": records}


# ---------------------------------------------------------------------- audit integrity
def audit_status(gateway: Gateway, *, verify: bool) -> dict[str, Any]:
    store = gateway.store
    head = store.audit_head()
    checkpoints = store.checkpoints()
    last = checkpoints[-1] if checkpoints else None
    verifier = verifier_for(gateway)
    result: dict[str, Any] | None = None
    if verify:
        t0 = time.perf_counter()
        outcome = verify_chain(store, verifier)
        result = {**outcome.to_dict(), "seconds": round(time.perf_counter() - t0, 3),
                  "ran_at": iso(datetime.now(UTC))}
    signer = gateway.audit.signer
    return {
        "store": _store_kind(store),
        "head": {"seq": head.seq, "hash": head.hash} if head else None,
        "checkpoints": {
            "count": len(checkpoints),
            "last": {"seq": last.seq, "hash": last.hash, "ts": last.ts, "key_id": last.key_id} if last else None,
            "unsigned": (head.seq if head else 0) - (last.seq if last else 0),
            "every": gateway.config.audit.checkpoint_every,
        },
        "signing_key_id": signer.key_id if signer else None,
        "verifier_key_ids": verifier.key_ids if verifier else [],
        "durability": gateway.config.audit.durability,
        "verification": result,
    }


def verifier_for(gateway: Gateway) -> CheckpointVerifier | None:
    return load_verifier(gateway.data_dir) if gateway.data_dir else None


# ---------------------------------------------------------------------- policy
def _ladders(engine: PolicyEngine) -> dict[str, list[dict[str, Any]]]:
    """The ladders as configured (the same construction as the engine's lattice)."""
    cls = engine.settings.classification
    base: dict[str, list[tuple[str, int, tuple[str, ...]]]]
    if cls.ladders is not None:
        base = {n: [(lv.name, lv.rank, tuple(lv.aliases)) for lv in lvls] for n, lvls in cls.ladders.items()}
    else:
        base = {k: list(v) for k, v in DEFAULT_LADDERS.items()}
    for n, lvls in cls.extra_levels.items():
        base.setdefault(n, []).extend((lv.name, lv.rank, tuple(lv.aliases)) for lv in lvls)
    return {n: [{"name": name, "rank": rank, "aliases": list(aliases)} for name, rank, aliases in
                sorted(levels, key=lambda x: x[1])] for n, levels in base.items()}


def policy(gateway: Gateway) -> dict[str, Any]:
    engine = _engine(gateway)
    config = gateway.config
    if engine is None:
        return {"engine": False, "revision": getattr(gateway.policy, "revision", None), "packs": [],
                "params": {}, "rules": [], "ladders": {}, "ranks": []}
    rules = [{
        "id": r.id, "pack": r.pack or "config", "stages": list(r.stages), "then": r.then,
        "description": r.description, "source": r.source, "shadow": r.shadow, "alert": r.alert,
        "code": r.code, "status": r.status if r.then == "block" else None,
        "when": r.when.model_dump(mode="json", exclude_none=True),
        "route": r.route.model_dump(mode="json", exclude_none=True) if r.route else None,
    } for r in engine.rules]
    ladders = _ladders(engine)
    top = max((lv["rank"] for levels in ladders.values() for lv in levels), default=-1)
    ranks = []
    for rank in range(top + 1):
        ranks.append({
            "rank": rank,
            "levels": {n: [lv["name"] for lv in levels if lv["rank"] == rank] for n, levels in ladders.items()},
            "deployments": [d.name for d in config.deployments if _rank(engine, d.max_classification) == rank],
            "tenants": [t.id for t in config.tenants if _rank(engine, t.clearance) == rank],
        })
    return {
        "engine": True,
        "revision": engine.revision,
        "packs": list(engine.settings.packs),
        "params": dict(engine.settings.params),
        "rules": rules,
        "by_action": dict(Counter(r["then"] for r in rules)),
        "ladders": ladders,
        "ranks": ranks,
    }


# ---------------------------------------------------------------------- keys
def keys(store: Store, tenant: str | None = None) -> dict[str, Any]:
    """Key ids, tenants, scopes and dates: never a key or its digest (also ``GET /admin/keys``)."""
    data = [{k: getattr(rec, k) for k in ("key_id", "tenant", "scope", "name", "created_at", "revoked_at")}
            for rec in store.list_keys(tenant)]
    return {"object": "list", "data": data}


# ---------------------------------------------------------------------- ledger
def ledger(gateway: Gateway, now: datetime) -> dict[str, Any]:
    led = gateway.ledger
    if not isinstance(led, Ledger):
        return {"enabled": False, "data": []}
    rows = []
    for t in gateway.config.tenants:
        pack = led.pack_for(t)
        if t.jurisdiction.upper() != pack.jurisdiction.upper():
            continue  # the ledger counts transfers out of the pack's jurisdiction only
        rows.append(tenant_status(led.store, t, pack, now=now))
    return {"enabled": True, "pack": led.settings.pack, "data": rows}


def ledger_report(gateway: Gateway, tenant_id: str, year: int | None, now: datetime) -> dict[str, Any]:
    led = gateway.ledger
    if not isinstance(led, Ledger):
        raise ModelNotFoundError("The cross-border ledger is not enabled.", code="ledger_disabled")
    tenant = gateway.config.tenant(tenant_id)
    if tenant is None:
        raise ModelNotFoundError("No such tenant.", code="tenant_not_found", param="tenant")
    pack = led.pack_for(tenant)
    if year is None:
        year = moment(now, pack.timezone).year
    if not 2000 <= year <= 2200:
        raise InvalidRequestError("'year' is out of range.", param="year")
    return build_report(led.store, tenant, pack, year, now=now)
