"""Cross-border ledger: recording throughput, added latency per request, and how pseudonymisation
keeps a tenant exempt — on this machine.

    .venv/bin/python benchmarks/ledger.py [--subjects 1000000] [--requests 2000]
                                          [--scenario-requests 130000] [--pg-url postgresql://…]

1. fsync baseline: one-row SQLite commits with synchronous=FULL (what one durable commit costs
   on this disk, independent of the ledger).
2. Latency: ``subjects_from`` + ``Ledger.record`` for a request with 10 identifiers (10 persons,
   each on its own line) with ``--subjects`` persons already recorded for the tenant; once with
   10 new persons per request, once with 10 already-known persons. SQLite with
   ``durability: fsync`` (the default, one fsync per transfer) and ``os`` (no fsync).
   PostgreSQL too when ``--pg-url`` is given.
3. Throughput: subjects recorded per second, one writer and four writers.
4. Pseudonymisation: the same synthetic customer-service traffic (name, phone, sometimes a
   resident ID) recorded three ways — in clear, with ID numbers pseudonymised, with every
   identifier pseudonymised — by rewriting the spans to placeholders, re-scanning what would
   leave, and recording only what still crosses in clear.

Writes benchmarks/results/ledger.json. The 1,000,000 prefilled persons are written with one
bulk insert (random 128-bit keys), not through the recording path.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from airlock.config import parse_config  # noqa: E402
from airlock.detectors.base import Finding  # noqa: E402
from airlock.ledger import Ledger, LedgerRefusedError  # noqa: E402
from airlock.ledger.postgres import PostgresLedgerStore  # noqa: E402
from airlock.ledger.rules import Facts  # noqa: E402
from airlock.ledger.sqlite import SQLiteLedgerStore  # noqa: E402
from airlock.ledger.store import LedgerStore  # noqa: E402

KEY = b"benchmark-ledger-key-" + b"0" * 32
AT = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)

# a small regex scanner standing in for the PII detectors (same Finding contract)
_PATTERNS = [
    ("CN_RESIDENT_ID", re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])"), True, "specific_identity"),
    ("CN_PHONE", re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"), False, None),
    ("EMAIL", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), False, None),
]


def scan(text: str, path: str = "messages[0].content") -> list[Finding]:
    out = []
    for type_, pattern, sensitive, category in _PATTERNS:
        for m in pattern.finditer(text):
            out.append(Finding(type_, m.start(), m.end(), 0.99, f"bench.{type_.lower()}", sensitive=sensitive,
                               sensitive_category=category, path=path))
    return sorted(out, key=lambda f: f.start)


def resident_id(n: int) -> str:
    """A distinct, checksum-valid resident ID for each n < 27,000,000 (birth date from n // 1000)."""
    born = datetime(1950, 1, 1) + timedelta(days=n // 1000)
    body = f"310101{born:%Y%m%d}{n % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def phone(n: int) -> str:
    return f"139{n:08d}"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "platform": platform.platform()}


def config(durability: str = "fsync") -> Any:
    return parse_config({
        "deployments": [{"name": "gpt-4o-eastus", "provider": "openai", "base_url": "http://127.0.0.1:9/v1",
                         "jurisdiction": "US"}],
        "tenants": [{"id": "acme", "jurisdiction": "CN"}],
        "audit": {"durability": durability},
        "ledger": {"enabled": True},
    })


def stats(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    q = statistics.quantiles(s, n=100)
    return {"n": len(s), "mean_ms": round(statistics.fmean(s), 3), "p50_ms": round(q[49], 3),
            "p90_ms": round(q[89], 3), "p99_ms": round(q[98], 3)}


# --------------------------------------------------------------------------- measurements


def fsync_baseline(workdir: Path, n: int = 300) -> dict[str, float]:
    db = sqlite3.connect(workdir / "fsync.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (a BLOB)")
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t VALUES (?)", (os.urandom(16),))
        db.execute("COMMIT")
        samples.append((time.perf_counter() - t0) * 1000)
    db.close()
    return stats(samples)


def prefill_sqlite(path: Path, n: int) -> float:
    SQLiteLedgerStore(path).close()  # create the tables
    db = sqlite3.connect(path, isolation_level=None)
    t0 = time.perf_counter()
    rng = random.Random(42)
    db.execute("BEGIN")
    batch = []
    for _ in range(n):
        k = rng.randbytes(16)
        batch.append(("acme", 2026, k, k, 0, 0, 1, None))
        if len(batch) == 50_000:
            db.executemany("INSERT INTO ledger_subjects VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
            batch.clear()
    db.executemany("INSERT INTO ledger_subjects VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
    db.execute("INSERT INTO ledger_totals VALUES ('acme', 2026, ?, 0, ?, 0)", (n, n))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return time.perf_counter() - t0


def prefill_pg(url: str, n: int) -> float:
    store = PostgresLedgerStore(url)
    t0 = time.perf_counter()
    rng = random.Random(42)
    conn = store._conn()
    with conn.transaction(), conn.cursor() as cur:
        with cur.copy("COPY ledger_subjects (tenant, period, ident, person, sensitive, categories, month) "
                      "FROM STDIN") as copy:
            for _ in range(n):
                k = rng.randbytes(16)
                copy.write_row(("acme", 2026, k, k, 0, 0, 1))
        cur.execute("INSERT INTO ledger_totals VALUES ('acme', 2026, %s, 0, %s, 0)", (n, n))
    conn.execute("ANALYZE ledger_subjects")
    store.close()
    return time.perf_counter() - t0


def request_text(base: int) -> str:
    return "\n".join(f"客户 {base + j}: 电话 {phone(base + j)}, 订单查询" for j in range(10))


def latency(ledger: Ledger, cfg: Any, requests: int, offset: int) -> dict[str, Any]:
    tenant, dep = cfg.tenants[0], cfg.deployments[0]
    texts = [request_text(offset + i * 10) for i in range(requests)]
    found = [scan(t) for t in texts]
    results: dict[str, Any] = {}
    for label in ("new_persons", "known_persons"):
        total, hashing = [], []
        for i, (text, findings) in enumerate(zip(texts, found, strict=True)):
            t0 = time.perf_counter()
            subjects = ledger.subjects(tenant, [("messages[0].content", text)], findings)
            t1 = time.perf_counter()
            ledger.record(tenant=tenant, deployment=dep, subjects=subjects, purpose=None, decision_id=f"b{i}", at=AT)
            t2 = time.perf_counter()
            total.append((t2 - t0) * 1000)
            hashing.append((t1 - t0) * 1000)
        results[label] = {**stats(total), "subjects_from_mean_ms": round(statistics.fmean(hashing), 4)}
    return results


def throughput(store: LedgerStore, cfg: Any, threads: int, per_thread: int, offset: int) -> dict[str, Any]:
    ledger = Ledger(cfg.ledger, store, key=KEY)
    tenant, dep = cfg.tenants[0], cfg.deployments[0]
    prepared = [[ledger.subjects(tenant, [("m", t)], scan(t, "m")) for t in
                 (request_text(offset + (w * per_thread + i) * 10) for i in range(per_thread))]
                for w in range(threads)]

    def run(w: int) -> None:
        for i, subjects in enumerate(prepared[w]):
            ledger.record(tenant=tenant, deployment=dep, subjects=subjects, purpose=None, decision_id=f"t{w}.{i}",
                          at=AT)

    workers = [threading.Thread(target=run, args=(w,)) for w in range(threads)]
    t0 = time.perf_counter()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    seconds = time.perf_counter() - t0
    n = threads * per_thread * 10
    return {"threads": threads, "subjects": n, "seconds": round(seconds, 3), "subjects_per_s": round(n / seconds),
            "requests_per_s": round(threads * per_thread / seconds)}


def store_suite(make: Any, cfg: Any, args: argparse.Namespace, offset: int) -> dict[str, Any]:
    store = make()
    ledger = Ledger(cfg.ledger, store, key=KEY)
    out: dict[str, Any] = {"latency_10_identifiers": latency(ledger, cfg, args.requests, offset)}
    persons = store.totals("acme", 2026).persons
    out["throughput_1_writer"] = throughput(store, cfg, 1, args.requests // 2, offset + 10_000_000)
    out["throughput_4_writers"] = throughput(store, cfg, 4, args.requests // 8, offset + 20_000_000)
    out["persons_after"] = store.totals("acme", 2026).persons
    out["persons_before_throughput"] = persons
    store.close()
    return out


# --------------------------------------------------------------------------- pseudonymisation


def scenario_texts(n: int, population: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        c = rng.randrange(population)
        text = f"Customer {c} (phone {phone(c)}) asks where order {rng.randrange(10**6)} is."
        if c % 10 < 3:
            text += f" Identity check: {resident_id(c)}."
        out.append(text)
    return out


def pseudonymise(text: str, types: set[str]) -> str:
    """What the vault does before a request leaves: identifier spans become placeholders."""
    out, last = [], 0
    for i, f in enumerate(f for f in scan(text) if f.type in types):
        out.append(text[last:f.start])
        out.append(f"<{f.type}_{i + 1}>")
        last = f.end
    out.append(text[last:])
    return "".join(out)


def scenario(workdir: Path, requests: int, population: int) -> list[dict[str, Any]]:
    cfg = config("os")
    texts = scenario_texts(requests, population)
    variants = [
        ("in clear", set()),
        ("resident IDs pseudonymised", {"CN_RESIDENT_ID"}),
        ("all identifiers pseudonymised", {"CN_RESIDENT_ID", "CN_PHONE", "EMAIL"}),
    ]
    rows = []
    tenant, dep = cfg.tenants[0], cfg.deployments[0]
    for label, types in variants:
        store = SQLiteLedgerStore(workdir / f"scenario-{len(rows)}.db", durability="os")
        ledger = Ledger(cfg.ledger, store, key=KEY)
        t0 = time.perf_counter()
        for i, text in enumerate(texts):
            leaving = pseudonymise(text, types) if types else text
            subjects = ledger.subjects(tenant, [("m", leaving)], scan(leaving, "m"))
            ledger.record(tenant=tenant, deployment=dep, subjects=subjects, purpose=None, decision_id=f"s{i}",
                          at=AT + timedelta(seconds=i))
        totals = store.totals("acme", 2026)
        tier = ledger.pack_for(tenant).evaluate(Facts(totals.persons, totals.sensitive_persons))
        rows.append({"variant": label, "requests": requests, "persons": totals.persons,
                     "sensitive_persons": totals.sensitive_persons, "tier": tier.tier, "rule": tier.rule,
                     "seconds": round(time.perf_counter() - t0, 1)})
        store.close()
    return rows


def enforce_check(workdir: Path, texts: list[str]) -> dict[str, int]:
    """The same traffic in enforce mode with nothing filed: how many requests are refused."""
    cfg = parse_config({
        "deployments": [{"name": "gpt", "provider": "openai", "base_url": "http://127.0.0.1:9/v1",
                         "jurisdiction": "US"}],
        "tenants": [{"id": "acme", "jurisdiction": "CN", "ledger": {"mode": "enforce"}}],
        "ledger": {"enabled": True},
    })
    out = {}
    for label, types in (("in_clear", set()), ("all_pseudonymised", {"CN_RESIDENT_ID", "CN_PHONE", "EMAIL"})):
        store = SQLiteLedgerStore(workdir / f"enforce-{label}.db", durability="os")
        ledger = Ledger(cfg.ledger, store, key=KEY)
        refused = 0
        for i, text in enumerate(texts):
            leaving = pseudonymise(text, types) if types else text
            subjects = ledger.subjects(cfg.tenants[0], [("m", leaving)], scan(leaving, "m"))
            try:
                ledger.record(tenant=cfg.tenants[0], deployment=cfg.deployments[0], subjects=subjects, purpose=None,
                              decision_id=f"e{i}", at=AT)
            except LedgerRefusedError:
                refused += 1
        out[label] = refused
        store.close()
    return out


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subjects", type=int, default=1_000_000, help="persons recorded before measuring")
    ap.add_argument("--requests", type=int, default=2000, help="requests per latency measurement")
    ap.add_argument("--scenario-requests", type=int, default=130_000)
    ap.add_argument("--scenario-population", type=int, default=1_000_000)
    ap.add_argument("--pg-url", default=os.environ.get("AIRLOCK_BENCH_PG_URL"))
    ap.add_argument("--skip-scenario", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "ledger.json"))
    args = ap.parse_args()
    import logging

    logging.getLogger("airlock.ledger").setLevel(logging.ERROR)
    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "machine": machine(),
                               "params": {k: v for k, v in vars(args).items() if k not in ("out", "pg_url")}}
    with tempfile.TemporaryDirectory(prefix="airlock-ledger-bench-") as tmp:
        workdir = Path(tmp)
        results["fsync_baseline_sqlite"] = fsync_baseline(workdir)
        for durability in ("fsync", "os"):
            path = workdir / f"ledger-{durability}.db"
            seconds = prefill_sqlite(path, args.subjects)
            print(f"prefilled {args.subjects:,} persons into SQLite in {seconds:.1f}s", file=sys.stderr)
            results[f"sqlite_{durability}"] = store_suite(
                lambda p=path, d=durability: SQLiteLedgerStore(p, durability=d), config(durability), args, 0)
            path.unlink()
        if args.pg_url:
            seconds = prefill_pg(args.pg_url, args.subjects)
            print(f"prefilled {args.subjects:,} persons into PostgreSQL in {seconds:.1f}s", file=sys.stderr)
            results["postgresql"] = store_suite(lambda: PostgresLedgerStore(args.pg_url), config(), args, 0)
            PostgresLedgerStore(args.pg_url).drop_tables()
        if not args.skip_scenario:
            results["pseudonymisation"] = scenario(workdir, args.scenario_requests, args.scenario_population)
            results["enforce_refusals"] = enforce_check(workdir, scenario_texts(5000, args.scenario_population))

    print(f"\nLedger benchmark — {results['date']}, {machine()['cpus']} CPUs, {machine()['cpu']}")
    b = results["fsync_baseline_sqlite"]
    print(f"SQLite one-row durable commit (fsync baseline): p50 {b['p50_ms']} ms, mean {b['mean_ms']} ms\n")
    print(f"{'store':<22} {'10 new persons p50/p99 ms':>26} {'10 known p50/p99 ms':>22} "
          f"{'subjects/s (1 writer)':>22} {'(4 writers)':>12}")
    for key in ("sqlite_fsync", "sqlite_os", "postgresql"):
        if key not in results:
            continue
        r = results[key]
        lat = r["latency_10_identifiers"]
        new, known = lat["new_persons"], lat["known_persons"]
        print(f"{key:<22} {new['p50_ms']:>12} / {new['p99_ms']:<11} {known['p50_ms']:>9} / {known['p99_ms']:<10} "
              f"{r['throughput_1_writer']['subjects_per_s']:>22,} {r['throughput_4_writers']['subjects_per_s']:>12,}")
    print(f"(with {args.subjects:,} persons already recorded; subjects_from for 10 identifiers: "
          f"{results['sqlite_os']['latency_10_identifiers']['new_persons']['subjects_from_mean_ms']} ms)")
    if "pseudonymisation" in results:
        print(f"\n{'traffic':<32} {'requests':>9} {'persons':>9} {'sensitive':>10}  tier")
        for row in results["pseudonymisation"]:
            print(f"{row['variant']:<32} {row['requests']:>9,} {row['persons']:>9,} {row['sensitive_persons']:>10,}  "
                  f"{row['tier']} ({row['rule']})")
        e = results["enforce_refusals"]
        print(f"enforce mode, nothing filed, 5,000 requests: {e['in_clear']:,} refused in clear, "
              f"{e['all_pseudonymised']:,} refused when pseudonymised")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
