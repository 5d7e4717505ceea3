"""``airlock policy check | test | explain`` and ``airlock replay``."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import orjson
import yaml

from airlock.cli.common import config_option, data_dir_option, echo_err, load, open_store_for
from airlock.config import Config, DeploymentConfig, TenantConfig, load_config
from airlock.detectors import ScanContext, Stage, build_scanner
from airlock.detectors.base import Finding
from airlock.errors import ConfigError
from airlock.policy.decision import Decision, PolicyInput
from airlock.policy.engine import PolicyEngine
from airlock.requests import extract_texts, validate_chat

__all__ = ["policy", "replay"]


def _engine(config: Config) -> PolicyEngine:
    try:
        return PolicyEngine(config.policy, config, config.source_dir)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _finding(data: dict[str, Any], i: int) -> Finding:
    try:
        return Finding(
            type=str(data["type"]), start=int(data.get("start", 0)), end=int(data.get("end", 0)),
            score=float(data.get("score", 1.0)), rule=str(data.get("rule", f"case.{i}")),
            sensitive=bool(data.get("sensitive", False)), sensitive_category=data.get("sensitive_category"),
            level=data.get("level"), category=data.get("category"), severity=data.get("severity"),
            path=str(data.get("path", "messages[0].content")),
            stage=Stage(str(data.get("stage", "prompt"))),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise click.ClickException(f"finding {i}: {exc}") from None


def _tenant(config: Config, spec: Any, where: str) -> TenantConfig:
    if isinstance(spec, str):
        tenant = config.tenant(spec)
        if tenant is None:
            raise click.ClickException(f"{where}: unknown tenant {spec!r}")
        return tenant
    if isinstance(spec, dict):
        return TenantConfig.model_validate(spec)
    raise click.ClickException(f"{where}: tenant must be a tenant id or a tenant object")


def _deployments(config: Config, spec: Any, where: str) -> list[DeploymentConfig]:
    if spec is None:
        return list(config.deployments)
    out = []
    for item in spec:
        if isinstance(item, str):
            match = [d for d in config.deployments if item in (d.name, d.model_id)]
            if not match:
                raise click.ClickException(f"{where}: unknown deployment {item!r}")
            out.extend(match)
        else:
            out.append(DeploymentConfig.model_validate(item))
    return out


def _summary(decision: Decision) -> dict[str, Any]:
    return {
        "action": decision.action,
        "code": decision.code,
        "rules": list(decision.rules),
        "shadow_rules": list(decision.shadow_rules),
        "alerts": list(decision.alerts),
        "level": decision.level,
        "label": decision.label,
        "eligible": list(decision.eligible),
        "transforms": {p.deployment: {str(k): v for k, v in p.transforms.items()} for p in decision.plans
                       if p.transforms},
        "message": decision.message,
        "revision": decision.revision,
    }


@click.group()
def policy() -> None:
    """Validate, test and explain the policy (rules, packs, classification)."""


@policy.command("check")
@config_option
@data_dir_option
def check(config_path: str | None, data_dir: str | None) -> None:
    """Load packs and rules, reject conflicts, print the policy revision."""
    config, _, cpath = load(config_path, data_dir)
    engine = _engine(config)
    click.echo(engine.revision)
    packs = ", ".join(config.policy.packs) or "none"
    echo_err(f"{cpath or 'embedded defaults'}: {len(engine.rules)} rule(s) from packs [{packs}] and configuration")


@policy.command("test")
@click.argument("cases", type=click.Path(exists=True, dir_okay=False))
@config_option
@data_dir_option
def test(cases: str, config_path: str | None, data_dir: str | None) -> None:
    """Run CASES (YAML: expected decisions for given findings, tenants, deployments); exit 1 on a failure.

    Each case: name, tenant (id or object), deployments (names or objects; default all), stage,
    purpose, classification, findings [{type, category, severity, level, sensitive, path}], and
    expect: {action, code, rules (must include), not_rules, eligible, alerts, label}.
    """
    config, _, _ = load(config_path, data_dir)
    engine = _engine(config)
    doc = yaml.safe_load(Path(cases).read_text(encoding="utf-8"))
    items = doc.get("cases") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise click.ClickException(f"{cases}: expected a list of cases or {{cases: [...]}}")
    failures = 0
    for n, case in enumerate(items):
        name = case.get("name", f"case {n}")
        where = f"{cases}: {name}"
        decision = engine.decide(PolicyInput(
            stage=Stage(str(case.get("stage", "prompt"))),
            tenant=_tenant(config, case.get("tenant"), where),
            findings=[_finding(f, i) for i, f in enumerate(case.get("findings") or [])],
            deployments=_deployments(config, case.get("deployments"), where),
            purpose=case.get("purpose"),
            classification=case.get("classification"),
        ))
        got = _summary(decision)
        problems = []
        expect = case.get("expect") or {}
        for key in ("action", "code", "label"):
            if key in expect and expect[key] != got[key]:
                problems.append(f"{key}: expected {expect[key]!r}, got {got[key]!r}")
        if "eligible" in expect and list(expect["eligible"]) != got["eligible"]:
            problems.append(f"eligible: expected {expect['eligible']}, got {got['eligible']}")
        if "alerts" in expect and sorted(expect["alerts"]) != sorted(got["alerts"]):
            problems.append(f"alerts: expected {expect['alerts']}, got {got['alerts']}")
        missing = [r for r in expect.get("rules", []) if r not in got["rules"]]
        if missing:
            problems.append(f"rules not fired: {missing} (fired: {got['rules']})")
        unwanted = [r for r in expect.get("not_rules", []) if r in got["rules"]]
        if unwanted:
            problems.append(f"rules fired but should not: {unwanted}")
        if problems:
            failures += 1
            click.echo(f"FAIL {name}")
            for p in problems:
                click.echo(f"     {p}")
        else:
            click.echo(f"ok   {name}")
    click.echo(f"{len(items) - failures}/{len(items)} cases passed (policy {engine.revision})")
    if failures:
        raise SystemExit(1)


@policy.command("explain")
@click.argument("request_file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--tenant", required=True, help="Tenant id the request is made as.")
@click.option("--purpose", default=None, help="x-airlock-purpose")
@click.option("--classification", default=None, help="x-airlock-classification")
@config_option
@data_dir_option
def explain(
    request_file: str, tenant: str, purpose: str | None, classification: str | None,
    config_path: str | None, data_dir: str | None,
) -> None:
    """Run the detectors and the policy on a chat request body (JSON) and show every rule's verdict."""
    config, _, _ = load(config_path, data_dir)
    engine = _engine(config)
    raw = sys.stdin.buffer.read() if request_file == "-" else Path(request_file).read_bytes()
    body = orjson.loads(raw)
    model = validate_chat(body)
    t = _tenant(config, tenant, "--tenant")
    deployments = [d for d in config.deployments if model in (d.model_id, d.name)]
    if not deployments:
        raise click.ClickException(f"no deployment serves model {model!r}")
    scanner = build_scanner(config.detectors.enabled, config.detectors.settings)
    findings: list[Finding] = []
    for path, text in extract_texts(body):
        for f in scanner.scan(text, stage=Stage.PROMPT, context=ScanContext(tenant=t.id)):
            findings.append(replace(f, path=path))
    request = PolicyInput(Stage.PROMPT, t, findings, deployments, purpose=purpose, classification=classification)
    decision = engine.decide(request)
    out = {
        "decision": _summary(decision),
        "findings": [{"index": i, **f.to_dict()} for i, f in enumerate(findings)],
        "rules": engine.explain(request),
        "deployments": [{"deployment": p.deployment, "eligible": p.eligible, "cross_border": p.cross_border,
                         "blocked_by": p.block.rule if p.block else None} for p in decision.plans],
    }
    click.echo(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())


@click.command()
@click.option("--policy", "policy_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Configuration file with the candidate policy.")
@click.option("--since", default=None, help="ISO timestamp (inclusive)")
@click.option("--until", default=None, help="ISO timestamp (exclusive)")
@click.option("--examples", default=5, show_default=True, help="Decision ids to list per kind of change.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@config_option
@data_dir_option
def replay(
    policy_file: str, since: str | None, until: str | None, examples: int, fmt: str,
    config_path: str | None, data_dir: str | None,
) -> None:
    """Re-decide recorded traffic with a candidate policy and show which decisions would change.

    Uses what the audit log keeps (findings, tenant, model, purpose, classification) — no prompt
    text is needed or available.
    """
    current, ddir, _ = load(config_path, data_dir)
    try:
        candidate = load_config(policy_file)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    engine = _engine(candidate)
    store = open_store_for(current, ddir)
    changes: Counter[str] = Counter()
    samples: dict[str, list[str]] = {}
    total = 0
    try:
        for row in store.iter_audit(since=since, until=until):
            rec = orjson.loads(row.body)
            if rec.get("kind") != "request" or not str(rec.get("route", "")).endswith("/chat/completions"):
                continue
            tenant = candidate.tenant(rec.get("tenant") or "")
            model = rec.get("model")
            if tenant is None or not model:
                continue
            deployments = [d for d in candidate.deployments
                           if (model in (d.model_id, d.name)) and tenant.may_use(d)]
            if not deployments:
                continue
            total += 1
            request = rec.get("request") or {}
            findings = [_finding(f, i) for i, f in enumerate(rec.get("findings") or [])
                        if f.get("stage", "prompt") == "prompt"]
            try:
                decision = engine.decide(PolicyInput(Stage.PROMPT, tenant, findings, deployments,
                                                     purpose=request.get("purpose"),
                                                     classification=request.get("classification")))
            except ValueError:
                changes["undecidable"] += 1
                continue
            before = "block" if rec.get("outcome") == "blocked" else ("allow" if rec.get("status") == 200 else None)
            if before is None:
                continue
            key = f"{before} -> {decision.action}"
            changes[key] += 1
            if before != decision.action:
                samples.setdefault(key, [])
                if len(samples[key]) < examples:
                    samples[key].append(rec["decision_id"])
    finally:
        store.close()
    result = {"records": total, "policy_revision": engine.revision, "changes": dict(changes), "examples": samples}
    if fmt == "json":
        click.echo(orjson.dumps(result).decode())
        return
    click.echo(f"replayed {total} chat decision(s) against policy {engine.revision}")
    for key, n in sorted(changes.items()):
        marker = "  CHANGED" if key.split(" -> ")[0] != key.split(" -> ")[-1] else ""
        click.echo(f"  {key:<20}{n:>8}{marker}")
    for key, ids in samples.items():
        click.echo(f"  {key} e.g. {', '.join(ids)}")
