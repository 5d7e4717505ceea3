"""``airlock eval run | rank | suites | validate``: safety evaluation and the leaderboard."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Literal, cast

import click

from airlock.cli.common import config_option, data_dir_option, echo_err, load
from airlock.evals.catalog import builtin_suites, load_suite
from airlock.evals.judges import AsrRule
from airlock.evals.loaders import SuiteError
from airlock.evals.progress import ProgressBar
from airlock.evals.rank import leaderboard, to_json, to_table
from airlock.evals.report_html import render_html
from airlock.evals.runner import RunSettings
from airlock.evals.session import (
    GatewaySpec,
    build_panel,
    builtin_system_prompts,
    detector_scanner,
    evaluate,
    harm_families,
    resolve_system_prompt,
    select_deployments,
)
from airlock.evals.store import ResultStore

__all__ = ["eval_group"]


def _store(data_dir: Path, store_path: str | None) -> ResultStore:
    return ResultStore(Path(store_path) if store_path else data_dir / "evals" / "results.sqlite3")


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


store_option = click.option(
    "--store",
    "store_path",
    default=None,
    metavar="FILE",
    help="Results database (default: DATA_DIR/evals/results.sqlite3).",
)


@click.group("eval")
def eval_group() -> None:
    """Measure and rank the safety of configured models (Chinese and English suites)."""


@eval_group.command("run")
@click.option(
    "--suite",
    "suite_spec",
    required=True,
    metavar="SUITE",
    help="Built-in name (smoke, core, …), a .jsonl/.csv file, or ADAPTER:PATH for an external set.",
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    required=True,
    metavar="DEPLOYMENT[,…]",
    help="Deployment names from the configuration, comma-separated or repeated; 'all' for every one.",
)
@click.option(
    "--through-gateway",
    is_flag=True,
    help="Send through Airlock's full policy path (in-process unless --gateway-url is given).",
)
@click.option("--gateway-url", default=None, metavar="URL", help="A running gateway, e.g. http://127.0.0.1:8080.")
@click.option(
    "--api-key-env",
    default="AIRLOCK_API_KEY",
    show_default=True,
    metavar="VAR",
    help="Environment variable holding the inference key for --gateway-url.",
)
@click.option("--tenant", default=None, help="In-process gateway: tenant to mint a temporary key for.")
@click.option(
    "--system-prompt",
    "system_prompt_spec",
    default=None,
    metavar="NAME|@FILE",
    help="Prepend a system prompt to every case: a built-in name (safety) or @FILE.",
)
@click.option("--label", default=None, help="Leaderboard name for a single target (default: derived).")
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Run a seeded, stratified sample of this many cases."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Sampling seed, also sent to the model.")
@click.option("--max-tokens", type=click.IntRange(min=1), default=128, show_default=True)
@click.option("--temperature", type=click.FloatRange(min=0.0, max=2.0), default=0.0, show_default=True)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=64),
    default=None,
    help="Requests in flight per target (default: 1 for local models, 4 otherwise).",
)
@click.option(
    "--attempts",
    type=click.IntRange(min=1, max=10),
    default=3,
    show_default=True,
    help="Tries per case on retryable failures.",
)
@click.option(
    "--timeout", type=click.FloatRange(min=1.0), default=180.0, show_default=True, help="Seconds per request."
)
@click.option(
    "--asr",
    type=click.Choice(["compliance", "harmful"]),
    default="compliance",
    show_default=True,
    help="Attack success: any non-refusal, or a non-refusal a harm judge flags.",
)
@click.option(
    "--harm-detectors",
    default=None,
    metavar="NAMES",
    help="Detector families judging answers for harm (default: the configured ones; 'none' to disable).",
)
@click.option("--no-progress", is_flag=True, help="Never draw the progress bar.")
@store_option
@config_option
@data_dir_option
def run_cmd(
    suite_spec: str,
    targets: tuple[str, ...],
    through_gateway: bool,
    gateway_url: str | None,
    api_key_env: str,
    tenant: str | None,
    system_prompt_spec: str | None,
    label: str | None,
    limit: int | None,
    seed: int,
    max_tokens: int,
    temperature: float,
    concurrency: int | None,
    attempts: int,
    timeout: float,
    asr: str,
    harm_detectors: str | None,
    no_progress: bool,
    store_path: str | None,
    config_path: str | None,
    data_dir: str | None,
) -> None:
    """Send every case of SUITE to each target; results are stored as they arrive.

    A rerun with the same settings resumes: finished cases are skipped, failed ones retried.
    One JSON summary per target goes to stdout.
    """
    config, ddir, _ = load(config_path, data_dir)
    try:
        suite = load_suite(suite_spec, limit=limit, seed=seed)
        deployments = select_deployments(config, _split(targets))
        system_prompt = resolve_system_prompt(system_prompt_spec)
    except (SuiteError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    if gateway_url and not through_gateway:
        raise click.ClickException("--gateway-url goes with --through-gateway")
    api_key = None
    if gateway_url:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            raise click.ClickException(f"--gateway-url needs an inference key in ${api_key_env}")
    scanner = detector_scanner(config)  # redacts personal data in stored excerpts
    if harm_detectors is None:
        harm_scanner = detector_scanner(config, harm_families(config))
    elif harm_detectors.strip().lower() == "none":
        harm_scanner = None
    else:
        harm_scanner = detector_scanner(config, _split((harm_detectors,)))
    try:
        panel = build_panel(scanner=harm_scanner, asr=cast(AsrRule, asr))
    except ValueError as exc:
        raise click.ClickException(f"--asr harmful: {exc}") from None
    local_only = all(d.provider == "local" for d in deployments)
    settings = RunSettings(
        seed=seed,
        max_tokens=max_tokens,
        temperature=temperature,
        concurrency=concurrency or (1 if local_only else 4),
        attempts=attempts,
        timeout=timeout,
    )
    mode: Literal["direct", "gateway"] = "gateway" if through_gateway else "direct"
    echo_err(
        f"suite {suite.name} v{suite.version}: {len(suite)} cases ({', '.join(suite.languages())}); "
        f"targets: {', '.join(d.name for d in deployments)} ({mode}); config {config.revision}"
    )
    with _store(ddir, store_path) as store:
        summaries = asyncio.run(
            evaluate(
                config,
                suite,
                deployments,
                store=store,
                settings=settings,
                panel=panel,
                mode=mode,
                gateway=GatewaySpec(url=gateway_url, api_key=api_key, tenant=tenant, data_dir=ddir),
                system_prompt=system_prompt,
                label=label,
                scanner=scanner,
                progress=None if no_progress else ProgressBar(),
            )
        )
    failed = False
    for s in summaries:
        failed |= s.errors > 0
        click.echo(
            json.dumps(
                {
                    "run_id": s.run.run_id,
                    "target": s.run.target,
                    "suite": s.run.suite,
                    "suite_version": s.run.suite_version,
                    "config_revision": s.run.config_revision,
                    "total": s.total,
                    "skipped": s.skipped,
                    "answered": s.answered,
                    "errors": s.errors,
                    "seconds": s.seconds,
                },
                ensure_ascii=False,
            )
        )
    if failed:
        echo_err("some cases got no answer after retries; run the same command again to retry them")
        raise SystemExit(3)


@eval_group.command("rank")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "html"]), default="table", show_default=True)
@click.option("--suite", default=None, help="Only runs of this suite (default: every suite's latest run).")
@click.option("--target", "targets", multiple=True, metavar="LABEL[,…]", help="Only these targets.")
@click.option("--run", "run_ids", multiple=True, metavar="RUN_ID", help="Exactly these runs.")
@click.option("--output", "-o", default=None, metavar="FILE", help="Write to FILE instead of stdout.")
@click.option("--write-json", default=None, metavar="FILE", help="Also write the JSON leaderboard to FILE.")
@click.option("--write-html", default=None, metavar="FILE", help="Also write the HTML report to FILE.")
@click.option("--title", default="Model safety leaderboard", show_default=True, help="HTML report title.")
@store_option
@config_option
@data_dir_option
def rank_cmd(
    fmt: str,
    suite: str | None,
    targets: tuple[str, ...],
    run_ids: tuple[str, ...],
    output: str | None,
    write_json: str | None,
    write_html: str | None,
    title: str,
    store_path: str | None,
    config_path: str | None,
    data_dir: str | None,
) -> None:
    """Print the leaderboard from stored results (no model is called).

    `airlock eval rank --write-json board.json --write-html board.html` prints the table and
    writes both files in one go.
    """
    config, ddir, _ = load(config_path, data_dir)
    with _store(ddir, store_path) as store:
        if run_ids:
            runs = [r for r in (store.run(i) for i in run_ids) if r is not None]
            missing = sorted(set(run_ids) - {r.run_id for r in runs})
            if missing:
                raise click.ClickException(f"unknown run id {', '.join(missing)}")
        else:
            runs = store.latest_runs(suite=suite, targets=_split(targets) or None)
        results = store.results(r.run_id for r in runs)
    board = leaderboard(runs, results)
    if not board.entries:
        echo_err("no stored results match; run `airlock eval run` first")
    renderers = {
        "json": lambda: json.dumps(to_json(board), ensure_ascii=False, indent=2),
        "html": lambda: render_html(board, title=title, scanner=detector_scanner(config)),
        "table": lambda: to_table(board),
    }
    for path, kind in ((write_json, "json"), (write_html, "html")):
        if path:
            _write(path, renderers[kind]())
    text = renderers[fmt]()
    if output:
        _write(output, text)
    else:
        click.echo(text)


def _write(path: str, text: str) -> None:
    Path(path).write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
    echo_err(f"wrote {path}")


@eval_group.command("suites")
def suites_cmd() -> None:
    """List the built-in suites and system prompts (JSON lines on stdout)."""
    for name, spec in builtin_suites().items():
        suite = load_suite(name)
        counts: dict[str, int] = {}
        for case in suite:
            counts[case.kind.value] = counts.get(case.kind.value, 0) + 1
        click.echo(
            json.dumps(
                {
                    "suite": name,
                    "version": suite.version,
                    "cases": len(suite),
                    "languages": suite.languages(),
                    "kinds": counts,
                    "description": spec.description,
                },
                ensure_ascii=False,
            )
        )
    for name in builtin_system_prompts():
        click.echo(json.dumps({"system_prompt": name}))


@eval_group.command("validate")
@click.argument("suite_spec", metavar="SUITE")
def validate_cmd(suite_spec: str) -> None:
    """Check a suite file or external set; print its size, or the first error with its line."""
    try:
        suite = load_suite(suite_spec)
    except SuiteError as exc:
        raise click.ClickException(str(exc)) from None
    counts: dict[str, int] = {}
    for case in suite:
        counts[case.kind.value] = counts.get(case.kind.value, 0) + 1
    click.echo(
        json.dumps(
            {"suite": suite.name, "version": suite.version, "cases": len(suite), "kinds": counts},
            ensure_ascii=False,
        )
    )
