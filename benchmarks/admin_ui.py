"""How fast the admin pages answer over a large decision log.

Fills a SQLite store with N realistic audit records (spread over the last two hours, 3 % blocked,
a few alerts, one rare tenant), serves the real app with uvicorn on 127.0.0.1, logs in like a
browser and times each page (HTML) and its JSON twin: the first load and the median of the next
five. Prints a table and writes benchmarks/results/admin_ui.json.

    .venv/bin/python benchmarks/admin_ui.py --records 200000
    .venv/bin/python benchmarks/admin_ui.py --records 200000 --store-url 'postgresql://postgres@127.0.0.1/test?schema=bench_ui'
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from airlock.audit import ChainHasher
from airlock.config import parse_config
from airlock.keys import create_key
from airlock.server import create_app
from airlock.stores import PendingAudit, SQLiteStore, Store
from benchmarks._common import write_result

TENANTS = ["acme", "globex", "initech", "dod"]
RULES = ["default.secrets.block", "us-gov.classification.route", "cn-pipl.cross-border.sensitive-unfiled"]
TYPES = ["EMAIL", "CN_PHONE", "CN_RESIDENT_ID", "PERSON", "CLASSIFICATION_MARKING"]


def _record(i: int, ts: datetime, rng: random.Random) -> PendingAudit:
    tenant = "rare" if i % 50_000 == 7 else rng.choice(TENANTS)
    blocked = rng.random() < 0.03
    findings = [{"type": rng.choice(TYPES), "rule": "pii.x", "stage": "prompt", "path": "messages[0].content",
                 "start": 10, "end": 22, "score": 0.98} for _ in range(rng.choice((0, 0, 1, 2)))]
    extra: dict[str, Any] = {}
    if blocked and rng.random() < 0.1:
        extra["alerts"] = ["spillage"]
    payload: dict[str, Any] = {
        "route": "/v1/chat/completions", "ts_start": ts.isoformat(timespec="milliseconds"), "key_id": "0123456789ab",
        "model": "gpt-4o", "deployment": None if blocked else "azure-east", "stream": False,
        "config_revision": "87dd7a2450ae3ba4", "policy_revision": "pol-6cad19f2dfbc",
        "action": "block" if blocked else "allow", "outcome": "blocked" if blocked else "ok",
        "status": 400 if blocked else 200, "error_code": "secret_detected" if blocked else None,
        "rules": [rng.choice(RULES)] if blocked else [], "findings": findings,
        "request": {"bytes": 512, "sha256": "ab" * 32, "messages": 2, "purpose": None, "classification": None},
        "usage": None if blocked else {"prompt_tokens": 40, "completion_tokens": 80, "total_tokens": 120},
        "attempts": [] if blocked else [{"deployment": "azure-east", "outcome": "ok", "status": 200, "ms": 420.5}],
        "upstream_status": None if blocked else 200, "finish_reasons": [] if blocked else ["stop"],
        "latency_ms": {"total": 425.1, "upstream": 420.5, "overhead": 4.6, "ttft": None},
    }
    if extra:
        payload["extra"] = extra
    return PendingAudit(decision_id=f"dec_{i:032x}", ts=ts.isoformat(timespec="milliseconds"), tenant=tenant,
                        kind="request", payload=payload)


def fill(store: Store, n: int, span: timedelta) -> float:
    rng = random.Random(7)
    start = datetime.now(UTC) - span
    hasher = ChainHasher()
    t0 = time.perf_counter()
    batch: list[PendingAudit] = []
    for i in range(1, n + 1):
        batch.append(_record(i, start + span * (i / n), rng))
        if len(batch) == 5000:
            store.append_audit(batch, hasher)
            batch = []
    if batch:
        store.append_audit(batch, hasher)
    return time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed(client: httpx.Client, path: str, runs: int) -> dict[str, Any]:
    times = []
    size = 0
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{path}: HTTP {r.status_code}")
        size = len(r.content)
    return {"path": path, "first_ms": round(times[0], 1), "median_ms": round(statistics.median(times[1:]), 1),
            "bytes": size}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--span-hours", type=float, default=2.0)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--store-url", default=None, help="postgresql://… (a schema that is dropped afterwards)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        store: Store
        if args.store_url:
            from airlock.stores.postgres import PostgresStore

            store = PostgresStore(args.store_url)
        else:
            store = SQLiteStore(data_dir / "airlock.db", durability="os")
        fill_s = fill(store, args.records, timedelta(hours=args.span_hours))
        db_mb = (data_dir / "airlock.db").stat().st_size / 1e6 if not args.store_url else 0.0
        print(f"filled {args.records:,} records in {fill_s:.1f} s ({db_mb:.0f} MB)", file=sys.stderr)
        config = parse_config({
            "deployments": [{"name": "azure-east", "provider": "openai", "base_url": "http://127.0.0.1:9/v1",
                             "jurisdiction": "US"}],
            "tenants": [{"id": t} for t in [*TENANTS, "rare"]],
            "policy": {"packs": ["default", "cn-pipl", "us-gov"]},
        })
        app = create_app(config, data_dir=data_dir, store=store)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        key, _ = create_key(store, "acme", "admin")
        url = f"http://127.0.0.1:{port}"
        client = httpx.Client(base_url=url, timeout=120)
        r = client.post("/admin/ui/login", data={"key": key}, headers={"origin": url})
        assert r.status_code == 303, r.text
        old = f"dec_{args.records // 3:032x}"
        pages = [
            ("overview", "/admin/ui/"),
            ("overview (JSON)", "/admin/overview"),
            ("decisions, newest 50", "/admin/ui/decisions"),
            ("decisions (JSON)", "/admin/decisions"),
            ("decisions, outcome=blocked", "/admin/ui/decisions?outcome=blocked"),
            ("decisions, rare tenant (budget)", "/admin/ui/decisions?tenant=rare"),
            ("decisions, page 100 (cursor)", f"/admin/ui/decisions?before={args.records - 5000}"),
            ("decision detail (old record)", f"/admin/ui/decisions/{old}"),
            ("policy", "/admin/ui/policy"),
            ("keys", "/admin/ui/keys"),
            ("audit status", "/admin/ui/audit"),
        ]
        rows = [{"page": name, **timed(client, path, args.runs)} for name, path in pages]
        verify = timed(client, "/admin/ui/audit?verify=1", 1)
        rows.append({"page": "audit: verify whole chain", **verify})
        overview = client.get("/admin/overview").json()
        server.should_exit = True
        thread.join(20)
        if args.store_url:
            store.drop_schema()  # type: ignore[attr-defined]
        store.close()

    kind = "PostgreSQL" if args.store_url else "SQLite"
    print(f"\nadmin UI over {args.records:,} audit records ({args.span_hours:g} h of traffic), {kind}")
    print(f"{'page':<34} {'first ms':>9} {'median ms':>10} {'KB':>7}")
    for row in rows:
        print(f"{row['page']:<34} {row['first_ms']:>9.1f} {row['median_ms']:>10.1f} {row['bytes'] / 1024:>7.1f}")
    hour = overview["last_hour"]
    print(f"overview: {hour['scanned']:,} records read, last hour complete: {hour['complete']}")
    name = "admin_ui" + ("_postgres" if args.store_url else "")
    path = write_result(name, {
        "store": kind, "records": args.records, "span_hours": args.span_hours, "db_mb": round(db_mb),
        "fill_seconds": round(fill_s, 1), "pages": rows, "overview_scanned": hour["scanned"],
        "overview_complete": hour["complete"]})
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
