"""Detection speed: MB/s of the full default detector set, p50/p99 per 2 KB message, vs Presidio.

    python benchmarks/detect_speed.py                  # 10 MB, both backends, Presidio
    python benchmarks/detect_speed.py --mb 2 --no-presidio

The text is ~2 KB messages of mixed Chinese/English prose (msra_ner sentences, CyberSecEval
FRR prompts and ToxiGen seed statements from ../shared/data when present, else template
filler) with labelled PII samples from ``benchmarks/corpus.py`` inserted: about five
findings per message. Single process, single thread (the engine never uses more than one
core). Times are the CPU time of the process (``time.process_time``) so that other jobs on a
shared machine count less; the wall-clock rate is recorded too. Writes
benchmarks/results/detect_speed.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import run_presidio, shared_data, write_result
from corpus import generate

from airlock.config import load_config
from airlock.detectors import build_scanner

MESSAGE_BYTES = 2048


def prose_pool(root: Path) -> list[str]:
    pool: list[str] = []
    msra = root / "msra_ner" / "dev.tsv"
    if msra.exists():
        for line in msra.read_text(encoding="utf-8").splitlines()[1:]:
            pool.append(line.split("\t")[0].replace(" ", ""))
    frr = root / "cyberseceval_frr" / "mitre_frr.json"
    if frr.exists():
        pool.extend(item["mutated_prompt"] for item in json.loads(frr.read_text(encoding="utf-8")))
    if not pool:
        pool = [
            "会议纪要已经整理完毕，请各部门负责同志认真阅读并按要求落实。",
            "The quarterly report shows steady growth in every region we operate in.",
        ]
    return pool


def messages(total_bytes: int, seed: int, per_message: int = 3, rate: float = 0.25) -> list[str]:
    rng = random.Random(seed)
    pool = prose_pool(shared_data())
    samples = generate(max(200, total_bytes // MESSAGE_BYTES * 3), seed)
    out: list[str] = []
    size = 0
    k = 0
    while size < total_bytes:
        parts: list[str] = []
        n = 0
        inserted = 0
        while n < MESSAGE_BYTES:
            if inserted < per_message and rng.random() < rate:
                piece = samples[k % len(samples)].text
                k += 1
                inserted += 1
            else:
                piece = rng.choice(pool)
            parts.append(piece)
            n += len(piece.encode()) + 1
        msg = "\n".join(parts)
        out.append(msg)
        size += len(msg.encode())
    return out


def bench_engine(backend: str, msgs: list[str], whole: bool, label: str = "") -> dict[str, float | int | str]:
    cfg = load_config(None)
    settings = {k: dict(v) for k, v in cfg.detectors.settings.items()}
    settings["engine"] = {**settings.get("engine", {}), "backend": backend}
    t0 = time.perf_counter()
    scanner = build_scanner(cfg.detectors.enabled, settings)
    build = time.perf_counter() - t0
    for m in msgs[:50]:  # a gateway is long-running: prime lazy imports and caches first
        scanner.scan(m)
    times: list[float] = []
    findings = 0
    for m in msgs:
        t = time.perf_counter()
        findings += len(scanner.scan(m))
        times.append(time.perf_counter() - t)
    total_bytes = sum(len(m.encode()) for m in msgs)
    result: dict[str, float | int | str] = {
        "backend": scanner.backend_name + label,
        "build_seconds": round(build, 3),
        "messages": len(msgs),
        "bytes": total_bytes,
        "findings": findings,
        "findings_per_message": round(findings / len(msgs), 2),
        "mb_per_s": round(total_bytes / 1e6 / sum(times), 2),
        "p50_ms": round(statistics.median(times) * 1000, 4),
        "p99_ms": round(sorted(times)[int(len(times) * 0.99) - 1] * 1000, 4),
    }
    if whole:
        text = "\n".join(msgs)
        t = time.perf_counter()
        scanner.scan(text)
        result["single_text_mb_per_s"] = round(len(text.encode()) / 1e6 / (time.perf_counter() - t), 2)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=10.0, help="size of the text in MB")
    ap.add_argument("--python-mb", type=float, default=1.0, help="size for the slower pure-Python backend")
    ap.add_argument("--presidio-messages", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-presidio", action="store_true")
    args = ap.parse_args()

    msgs = messages(int(args.mb * 1e6), args.seed)
    print(f"{len(msgs)} messages, {sum(len(m.encode()) for m in msgs) / 1e6:.1f} MB", file=sys.stderr)
    rows = []
    try:
        rows.append(bench_engine("hyperscan", msgs, whole=True))
    except Exception as exc:
        print(f"hyperscan backend unavailable: {exc}", file=sys.stderr)
    sparse = messages(int(args.mb * 1e6), args.seed, per_message=1, rate=0.1)
    try:
        rows.append(bench_engine("hyperscan", sparse, whole=False, label=" (sparse)"))
    except Exception as exc:
        print(f"hyperscan backend unavailable: {exc}", file=sys.stderr)
    n_py = max(1, int(len(msgs) * args.python_mb / args.mb))
    rows.append(bench_engine("python", msgs[:n_py], whole=False))

    presidio: dict[str, float | int] | None = None
    if not args.no_presidio:
        subset = msgs[: args.presidio_messages]
        res = run_presidio((str(i), m) for i, m in enumerate(subset))
        secs = [res[str(i)]["seconds"] for i in range(len(subset))]
        size = sum(len(m.encode()) for m in subset)
        presidio = {
            "messages": len(subset),
            "bytes": size,
            "mb_per_s": round(size / 1e6 / sum(secs), 4),
            "p50_ms": round(statistics.median(secs) * 1000, 2),
            "p99_ms": round(sorted(secs)[max(0, int(len(secs) * 0.99) - 1)] * 1000, 2),
        }

    print(f"\n{'engine':<28}{'MB/s':>9}{'p50 ms/2KB':>12}{'p99 ms/2KB':>12}{'findings/msg':>14}{'10MB text MB/s':>16}")
    for r in rows:
        whole = r.get("single_text_mb_per_s", "-")
        print(
            f"{'airlock/' + str(r['backend']):<28}{r['mb_per_s']:>9}{r['p50_ms']:>12}{r['p99_ms']:>12}"
            f"{r['findings_per_message']:>14}{whole!s:>16}"
        )
    if presidio:
        print(
            f"{'presidio (en_core_web_sm)':<28}{presidio['mb_per_s']:>9}"
            f"{presidio['p50_ms']:>12}{presidio['p99_ms']:>12}"
        )
        dense = float(rows[0]["mb_per_s"])  # same dense messages as Presidio's subset
        print(f"\nAirlock / Presidio throughput on the same dense text: {dense / float(presidio['mb_per_s']):,.0f}x")
    path = write_result(
        "detect_speed",
        {
            "command": f"python benchmarks/detect_speed.py --mb {args.mb:g}",
            "engines": rows,
            "presidio": presidio,
            "speedup_vs_presidio": (
                round(float(rows[0]["mb_per_s"]) / float(presidio["mb_per_s"]), 1) if presidio else None
            ),
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
