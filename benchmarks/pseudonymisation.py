"""Pseudonymisation cost: the operators, the streaming restorer and the vault, on this machine.

    .venv/bin/python benchmarks/pseudonymisation.py [--iterations 2000] [--pg postgresql://…]

1. pseudonymise + restore: a 2 KB prompt (English and Chinese) with 10 findings, rewritten into
   a fresh request-scoped map; an 800-character completion with 26 placeholders (exact and reformatted)
   restored. No vault I/O.
2. streaming restorer: the same completion fed in token-sized deltas (1-6 characters, fixed
   seed) and a plain completion without placeholders; µs per feed, characters held back.
3. vault: load (read + decrypt) and save (encrypt + one transaction) of 10 entries on SQLite
   with ``durability: os`` and ``fsync`` (and PostgreSQL with --pg).

Writes benchmarks/results/pseudonymisation.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from airlock.detectors.base import Finding  # noqa: E402
from airlock.transform import Action, PlaceholderFormat, PseudonymMap, Restorer, transform  # noqa: E402
from airlock.vault import Vault, VaultSettings  # noqa: E402

VALUES = [
    ("PERSON", "Alice Smith"),
    ("PERSON", "张伟"),
    ("PERSON", "Bob Jones"),
    ("EMAIL", "alice.smith@example.com"),
    ("EMAIL", "bob@example.org"),
    ("CN_PHONE", "13800138000"),
    ("CN_PHONE", "+86 139 0013 9000"),
    ("CN_RESIDENT_ID", "11010519491231002X"),
    ("ADDRESS", "北京市朝阳区建国路88号"),
    ("PAYMENT_CARD", "4111 1111 1111 1111"),
]
FILLER_EN = (
    "Please review the attached account history and prepare a short summary for the compliance team. "
    "The customer asked about a refund for the order placed last month and whether the delivery "
    "address can be changed before the parcel leaves the warehouse. "
)
FILLER_ZH = "请帮我整理这位客户的投诉记录，并给出处理建议。客户表示物流延误，希望尽快退款。"
COMPLETION = (
    "Summary for <PERSON_1>: the refund request from <person_1> (< EMAIL_1 >) is valid. "
    "张伟（<PERSON_2>）的投诉已记录，联系电话＜CN_PHONE_1＞，备用电话<CN_PHONE_2>。 "
    "Contact PERSON_3 at <EMAIL_2> about the card <PAYMENT_CARD_1>; the ID <CN-RESIDENT-ID-1> "
    "matches the address 《ADDRESS_1》. Next steps: confirm with <PERSON_1> and <PERSON_3>. "
    "We found no other issues; the order value is below the threshold (a < b for all items). "
) * 2


def build_prompt() -> tuple[str, list[Finding]]:
    parts: list[str] = []
    for i, (_, value) in enumerate(VALUES):
        parts.append((FILLER_EN if i % 2 == 0 else FILLER_ZH)[: 140 + 20 * (i % 3)])
        parts.append(f" {value} ")
    text = "".join(parts)
    while len(text) < 2048:
        text += FILLER_EN
    text = text[:2048]
    findings = []
    for type_, value in VALUES:
        start = text.index(value)
        findings.append(Finding(type_, start, start + len(value), 0.9, "pii." + type_.lower(), path="m"))
    return text, findings


def timed(fn: Callable[[], object], iterations: int) -> dict[str, float]:
    for _ in range(min(200, iterations)):
        fn()
    samples = []
    for _ in range(iterations):
        t = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - t) / 1000.0)
    samples.sort()
    return {
        "p50_us": round(statistics.median(samples), 1),
        "p99_us": round(samples[int(len(samples) * 0.99) - 1], 1),
        "mean_us": round(statistics.fmean(samples), 1),
    }


def chunks_of(text: str, seed: int) -> list[str]:
    rnd = random.Random(seed)
    out, i = [], 0
    while i < len(text):
        n = rnd.randint(1, 6)
        out.append(text[i : i + n])
        i += n
    return out


def stream_stats(restorer_factory: Callable[[], Restorer], text: str, iterations: int) -> dict[str, Any]:
    deltas = chunks_of(text, 7)
    held: list[int] = []
    per_feed: list[float] = []
    for it in range(iterations):
        s = restorer_factory().stream()
        for d in deltas:
            t = time.perf_counter_ns()
            s.feed(d)
            per_feed.append((time.perf_counter_ns() - t) / 1000.0)
            if it == 0:
                held.append(s.held)
        s.flush()
    per_feed.sort()
    return {
        "chars": len(text),
        "deltas": len(deltas),
        "feed_p50_us": round(statistics.median(per_feed), 2),
        "feed_p99_us": round(per_feed[int(len(per_feed) * 0.99) - 1], 2),
        "held_mean_chars": round(statistics.fmean(held), 2),
        "held_max_chars": max(held),
        "feeds_holding_pct": round(100.0 * sum(1 for h in held if h) / len(held), 1),
    }


def vault_stats(url: str, data_dir: Path, durability: str, iterations: int) -> dict[str, Any]:
    key = base64.b64encode(os.urandom(32)).decode()
    vault = Vault.open(VaultSettings(durability=durability), url, data_dir, environ={"AIRLOCK_VAULT_KEY": key})  # type: ignore[arg-type]
    counter = iter(range(10**9))

    def save() -> None:
        pm = vault.load("bench", f"s{next(counter)}")
        for type_, value in VALUES:
            pm.assign(type_, value)
        vault.save(pm)

    save_t = timed(save, iterations)
    full = vault.load("bench", "s0")
    assert full.size == len(VALUES)
    load_t = timed(lambda: vault.load("bench", "s0"), iterations)
    vault.close()
    return {"save_10": save_t, "load_10": load_t}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--vault-iterations", type=int, default=300)
    ap.add_argument("--pg", default=os.environ.get("AIRLOCK_BENCH_PG_URL"))
    args = ap.parse_args()

    fmt = PlaceholderFormat()
    prompt, findings = build_prompt()
    actions = {t: Action.PSEUDONYMISE for t, _ in VALUES}
    state: dict[str, PseudonymMap] = {}

    def pseudo() -> None:
        pm = PseudonymMap("bench", "r", fmt)
        transform([("m", prompt)], findings, actions=actions, pseudonyms=pm)
        state["pm"] = pm

    pseudo()
    pm = state["pm"]
    restored = Restorer(pm).restore(COMPLETION)
    assert "<PERSON_1>" not in restored
    assert "Alice Smith" in restored

    def both() -> None:
        pseudo()
        Restorer(state["pm"]).restore(COMPLETION)

    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_1m": round(os.getloadavg()[0], 2),
        "prompt_chars": len(prompt),
        "findings": len(findings),
        "completion_chars": len(COMPLETION),
        "pseudonymise": timed(pseudo, args.iterations),
        "restore": timed(lambda: Restorer(pm).restore(COMPLETION), args.iterations),
        "pseudonymise_and_restore": timed(both, args.iterations),
        "stream_with_placeholders": stream_stats(lambda: Restorer(pm), COMPLETION, 200),
        "stream_plain_text": stream_stats(lambda: Restorer(pm), (FILLER_EN + FILLER_ZH) * 6, 200),
        "max_pending_chars": fmt.max_pending,
    }
    with tempfile.TemporaryDirectory() as tmp:
        for durability in ("os", "fsync"):
            results[f"vault_sqlite_{durability}"] = vault_stats(
                f"sqlite:///{tmp}/{durability}.db", Path(tmp), durability, args.vault_iterations
            )
    if args.pg:
        import uuid

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        sep = "&" if "?" in args.pg else "?"
        pg_url = f"{args.pg}{sep}schema={schema}"
        results["vault_postgres"] = vault_stats(pg_url, Path("."), "os", args.vault_iterations)
        import psycopg

        from airlock.vault.backends import _split_url

        with psycopg.connect(_split_url(args.pg)[0], autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    print(f"prompt {results['prompt_chars']} chars, {results['findings']} findings; "
          f"completion {results['completion_chars']} chars", file=sys.stderr)
    print("| step | p50 µs | p99 µs |", file=sys.stderr)
    print("|---|---:|---:|", file=sys.stderr)
    for name in ("pseudonymise", "restore", "pseudonymise_and_restore"):
        r = results[name]
        print(f"| {name} | {r['p50_us']} | {r['p99_us']} |", file=sys.stderr)
    for name in [k for k in results if k.startswith("vault_")]:
        for op in ("load_10", "save_10"):
            r = results[name][op]
            print(f"| {name} {op} | {r['p50_us']} | {r['p99_us']} |", file=sys.stderr)
    print("\n| stream | deltas | feed p50 µs | feed p99 µs | held mean | held max | feeds holding |",
          file=sys.stderr)
    print("|---|---:|---:|---:|---:|---:|---:|", file=sys.stderr)
    for name in ("stream_with_placeholders", "stream_plain_text"):
        r = results[name]
        print(f"| {name} | {r['deltas']} | {r['feed_p50_us']} | {r['feed_p99_us']} | {r['held_mean_chars']} | "
              f"{r['held_max_chars']} | {r['feeds_holding_pct']}% |", file=sys.stderr)
    out = ROOT / "benchmarks" / "results" / "pseudonymisation.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
