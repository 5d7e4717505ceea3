"""The SmolLM2 safety comparison for the docs, in one command.

    .venv/bin/python benchmarks/eval_demo.py [--suite core] [--max-tokens 96] [--update-docs]

Three targets on the same suite, one after another (the machine has two cores):

1. ``local-smollm2`` — the packaged SmolLM2-135M-Instruct, called directly;
2. ``local-smollm2+safety`` — the same model with the built-in safety system prompt;
3. ``local-smollm2@airlock`` — the same model through Airlock's full request path (in-process
   ASGI app) with the packaged default configuration: its detector families and the shipped
   ``default``, ``cn-pipl`` and ``us-gov`` policy packs (or ``--config FILE``).

Results go to ``.airlock/eval-demo`` (resumable: rerun to finish an interrupted run). Writes
``benchmarks/results/eval_demo.json`` (leaderboard JSON), ``benchmarks/results/eval_demo.html``
(the report) and, with ``--update-docs``, the table between the ``eval-demo`` markers in
``docs/evals.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from airlock.config import default_config_text, parse_config
from airlock.evals.catalog import load_suite
from airlock.evals.progress import ProgressBar
from airlock.evals.rank import leaderboard, to_json
from airlock.evals.report_html import render_html
from airlock.evals.runner import RunSettings
from airlock.evals.session import (
    GatewaySpec,
    build_panel,
    detector_scanner,
    evaluate,
    harm_families,
    resolve_system_prompt,
)
from airlock.evals.store import ResultStore

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "evals.md"
START, END = "<!-- eval-demo:start -->", "<!-- eval-demo:end -->"


def demo_config(config_path: Path | None) -> Any:
    """The given configuration, or the packaged defaults (their detector families and policy
    packs: ``default``, ``cn-pipl``, ``us-gov``)."""
    if config_path is not None:
        return parse_config(yaml.safe_load(config_path.read_text(encoding="utf-8")), str(config_path))
    return parse_config(yaml.safe_load(default_config_text()), "<embedded defaults>")


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def ci(row: dict[str, Any], name: str) -> str:
    bounds = row.get(f"{name}_ci")
    if not bounds:
        return "–"
    return f"{pct(row[name])} ({100 * bounds[0]:.0f}–{100 * bounds[1]:.0f})"


def markdown(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [
        f"Run {meta['date']} on {meta['machine']}; suite `{meta['suite']}` v{meta['suite_version']} "
        f"({meta['cases']} cases, zh + en), max_tokens {meta['max_tokens']}, temperature 0, seed 0; "
        f"detector families in the gateway: {', '.join(meta['detectors']) or 'none registered'}; "
        f"policy packs: {', '.join(meta['packs']) or 'none'}; "
        f"config revision `{meta['config_revision']}`; wall time {meta['minutes']:.1f} min.",
        "",
        "Command: `.venv/bin/python benchmarks/eval_demo.py --update-docs`",
        "",
        "| # | target | score | refuses harmful (TC260 ≥95%) | harmful answered | jailbreaks worked "
        "| safe refused (TC260 ≤5%) | injections/leaks worked | blocked | p50 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['rank']} | `{r['target']}` | {r['score']:.3f} | {ci(r, 'refusal_rate')} | {ci(r, 'asr_direct')} "
            f"| {ci(r, 'asr_jailbreak')} | {ci(r, 'over_refusal_rate')} | {ci(r, 'injection_success_rate')} "
            f"| {r['blocked']} | {r['latency_ms_p50']:.0f} |"
        )
    lines.append("")
    lines.append("Rates with Wilson 95% intervals in brackets. Full report: `benchmarks/results/eval_demo.html`.")
    return "\n".join(lines)


def update_docs(table: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    if START not in text or END not in text:
        sys.exit(f"{DOC} has no {START} … {END} markers")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    DOC.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
    print(f"updated {DOC.relative_to(ROOT)}")


async def run(args: argparse.Namespace) -> None:
    config = demo_config(args.config)
    suite = load_suite(args.suite, limit=args.limit)
    data_dir = args.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    scanner = detector_scanner(config)  # redaction of excerpts
    panel = build_panel(scanner=detector_scanner(config, harm_families(config)))
    settings = RunSettings(max_tokens=args.max_tokens, concurrency=1, timeout=300)
    deployment = next(d for d in config.deployments if d.provider == "local")
    started = time.monotonic()
    with ResultStore(data_dir / "results.sqlite3") as store:
        plans: list[tuple[str, Any]] = [
            ("direct", None),
            ("direct", resolve_system_prompt("safety")),
            ("gateway", None),
        ]
        for mode, system_prompt in plans:
            print(f"== {mode}{' + safety prompt' if system_prompt else ''}", file=sys.stderr)
            (summary,) = await evaluate(
                config,
                suite,
                [deployment],
                store=store,
                settings=settings,
                panel=panel,
                mode=mode,
                gateway=GatewaySpec(data_dir=data_dir),
                system_prompt=system_prompt,
                scanner=scanner,
                progress=ProgressBar(),
            )
            print(
                f"   {summary.run.target}: {summary.answered} answered, {summary.skipped} resumed, "
                f"{summary.errors} errors, {summary.seconds:.0f} s",
                file=sys.stderr,
            )
        runs = [r for r in store.latest_runs(suite=suite.name) if r.config_revision == config.revision]
        results = store.results(r.run_id for r in runs)
    board = leaderboard(runs, results)
    rows = to_json(board)
    meta = {
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()} VM, {_cores()} cores, Python {platform.python_version()}",
        "suite": suite.name,
        "suite_version": suite.version,
        "cases": len(suite),
        "max_tokens": args.max_tokens,
        "detectors": list(config.detectors.enabled),
        "packs": list(config.policy.packs),
        "config_revision": config.revision,
        "minutes": (time.monotonic() - started) / 60,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "eval_demo.json").write_text(
        json.dumps({"meta": meta, "leaderboard": rows}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (RESULTS / "eval_demo.html").write_text(
        render_html(board, title="SmolLM2: raw, with a safety prompt, through Airlock", scanner=scanner),
        encoding="utf-8",
    )
    table = markdown(rows, meta)
    print(table)
    if args.update_docs:
        update_docs(table)


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="core")
    parser.add_argument("--limit", type=int, default=None, help="a stratified sample of this many cases")
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--config", type=Path, default=None, help="default: the packaged default configuration")
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".airlock" / "eval-demo")
    parser.add_argument("--update-docs", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
