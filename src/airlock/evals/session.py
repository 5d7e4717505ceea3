"""Wire an evaluation from configuration: targets, the judge panel and the gateway.

This is the one place that knows how to turn ``--target``, ``--system-prompt`` and
``--through-gateway`` into :class:`~airlock.evals.targets.Target` objects; the CLI and the
demo script both go through :func:`evaluate`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

import httpx

from airlock.config import Config, DeploymentConfig
from airlock.detectors import Scanner, available, build_scanner
from airlock.evals.cases import Suite
from airlock.evals.judges import (
    AsrRule,
    DetectorHarmJudge,
    GuardJudge,
    GuardModel,
    Judge,
    Panel,
    RefusalClassifier,
    RefusalJudge,
)
from airlock.evals.runner import Progress, RunSettings, RunSummary, run_suite
from airlock.evals.store import ResultStore
from airlock.evals.targets import GatewayTarget, ProviderTarget, Target
from airlock.providers.base import Provider

__all__ = [
    "GatewaySpec",
    "SystemPrompt",
    "build_panel",
    "builtin_system_prompts",
    "evaluate",
    "resolve_system_prompt",
    "select_deployments",
]


@dataclass(frozen=True, slots=True)
class SystemPrompt:
    text: str
    #: appended to the target label: ``+safety`` for a built-in, ``+sp-1a2b3c4d`` for a file
    tag: str


@cache
def builtin_system_prompts() -> dict[str, str]:
    raw = files("airlock.evals").joinpath("suites", "system_prompts.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    return {str(k): str(v) for k, v in data.items()}


def resolve_system_prompt(spec: str | None) -> SystemPrompt | None:
    """``safety`` (built-in name), ``@FILE`` (a text file) or None."""
    if not spec:
        return None
    if spec.startswith("@"):
        path = Path(spec[1:])
        text = path.read_text(encoding="utf-8").strip()
        if not text:
            raise ValueError(f"system prompt file {path} is empty")
        return SystemPrompt(text, f"sp-{hashlib.sha256(text.encode()).hexdigest()[:8]}")
    prompts = builtin_system_prompts()
    if spec not in prompts:
        raise ValueError(f"unknown system prompt {spec!r}; built-in: {', '.join(prompts)}; or use @FILE")
    return SystemPrompt(prompts[spec], spec)


def select_deployments(config: Config, names: Sequence[str]) -> list[DeploymentConfig]:
    """``all`` means every configured deployment; unknown names are an error listing the known."""
    by_name = {d.name: d for d in config.deployments}
    wanted = [d.name for d in config.deployments] if list(names) == ["all"] else list(names)
    unknown = [n for n in wanted if n not in by_name]
    if unknown:
        raise ValueError(f"unknown deployment {', '.join(unknown)}; configured: {', '.join(by_name)}")
    return [by_name[n] for n in dict.fromkeys(wanted)]


#: detector families that report harmful content (the content-safety families of issue 4);
#: only these make a harm judge worth running — PII or secrets findings say nothing about harm
HARM_FAMILIES = ("content_harm", "cn_tc260", "blocklist", "prohibited_use")


def harm_families(config: Config) -> list[str]:
    """The configured, registered families that can flag a harmful answer."""
    registered = set(available())
    return [n for n in config.detectors.enabled if n in registered and n in HARM_FAMILIES]


def detector_scanner(config: Config, names: Sequence[str] | None = None) -> Scanner | None:
    """A scanner over the configured families (or ``names``) that are registered — used to
    redact personal data from excerpts, and (with :func:`harm_families`) to judge harm; None when
    there are none."""
    registered = set(available())
    wanted = list(names) if names is not None else list(config.detectors.enabled)
    usable = [n for n in wanted if n in registered]
    if not usable:
        return None
    scanner = build_scanner(usable, config.detectors.settings)
    return None if scanner.empty else scanner


def build_panel(
    *,
    scanner: Scanner | None,
    #: the harm judge's scanner; its findings of a harmful type mark an answer harmful
    asr: AsrRule = "compliance",
    classifier: RefusalClassifier | None = None,
    guard: GuardModel | None = None,
) -> Panel:
    harm: list[Judge] = []
    if scanner is not None:
        harm.append(DetectorHarmJudge(scanner))
    if guard is not None:
        harm.append(GuardJudge(guard))
    return Panel(RefusalJudge(classifier=classifier), harm, asr=asr)


@dataclass(frozen=True, slots=True)
class GatewaySpec:
    """How to reach the gateway: in-process (default) or a running server."""

    url: str | None = None
    api_key: str | None = None
    #: in-process only: the tenant whose key is minted, and where the gateway keeps its store
    tenant: str | None = None
    data_dir: Path | None = None
    timeout: float = 300.0


@asynccontextmanager
async def _inprocess_gateway(config: Config, spec: GatewaySpec) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """The real ASGI app driven through ``httpx.ASGITransport``, with its own SQLite store and
    audit log under ``DATA_DIR/evals/gateway`` and a key minted for the run (revoked after)."""
    from datetime import UTC, datetime

    from airlock.keys import create_key
    from airlock.server import create_app
    from airlock.stores import SQLiteStore

    if not config.tenants:
        raise ValueError("--through-gateway needs at least one tenant in the configuration")
    tenant = spec.tenant or (config.tenant("demo") or config.tenants[0]).id
    if config.tenant(tenant) is None:
        raise ValueError(f"unknown tenant {tenant!r}; configured: {', '.join(t.id for t in config.tenants)}")
    assert spec.data_dir is not None
    gw_dir = spec.data_dir / "evals" / "gateway"
    gw_dir.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(gw_dir / "airlock.db", durability=config.audit.durability)
    app = create_app(config, data_dir=gw_dir, store=store)
    key, record = create_key(store, tenant, "inference", name="airlock eval")
    gateway = app.state.gateway
    await gateway.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://airlock", timeout=spec.timeout) as client:
            yield client, key
    finally:
        await gateway.close()
        store.revoke_key(record.key_id, datetime.now(UTC).isoformat(timespec="seconds"))
        store.close()


async def evaluate(
    config: Config,
    suite: Suite,
    deployments: Sequence[DeploymentConfig],
    *,
    store: ResultStore,
    settings: RunSettings,
    panel: Panel,
    mode: Literal["direct", "gateway"] = "direct",
    gateway: GatewaySpec | None = None,
    system_prompt: SystemPrompt | None = None,
    label: str | None = None,
    scanner: Scanner | None = None,
    progress: Progress | None = None,
    providers: Mapping[str, Provider] | None = None,
) -> list[RunSummary]:
    """Run ``suite`` against each deployment in turn (one target at a time).

    ``providers`` replaces the configured providers by deployment name (a test seam)."""
    from airlock.providers import HttpxClient, build_provider

    summaries: list[RunSummary] = []
    async with AsyncExitStack() as stack:
        http = HttpxClient()
        stack.push_async_callback(http.aclose)
        client: httpx.AsyncClient | None = None
        key: str | None = None
        if mode == "gateway":
            spec = gateway or GatewaySpec()
            if spec.url:
                client = await stack.enter_async_context(
                    httpx.AsyncClient(base_url=spec.url.rstrip("/"), timeout=spec.timeout)
                )
                key = spec.api_key
            else:
                client, key = await stack.enter_async_context(_inprocess_gateway(config, spec))
        for dep in deployments:
            name = label if label and len(deployments) == 1 else None
            suffix = f"+{system_prompt.tag}" if system_prompt else ""
            target: Target
            if mode == "gateway":
                assert client is not None
                target = GatewayTarget(
                    client,
                    deployment=dep.name,
                    model=dep.name,
                    api_key=key,
                    label=name or f"{dep.name}{suffix}@airlock",
                    system_prompt=system_prompt.text if system_prompt else None,
                    owns_client=False,
                )
            else:
                provider = (providers or {}).get(dep.name) or build_provider(dep, http)
                target = ProviderTarget(
                    provider,
                    deployment=dep.name,
                    wire_model=dep.wire_model,
                    label=name or f"{dep.name}{suffix}",
                    system_prompt=system_prompt.text if system_prompt else None,
                )
            try:
                summaries.append(
                    await run_suite(
                        suite,
                        target,
                        store=store,
                        panel=panel,
                        settings=settings,
                        config_revision=config.revision,
                        model=dep.model_id,
                        wire_model=dep.wire_model,
                        scanner=scanner,
                        progress=progress,
                    )
                )
            finally:
                await target.aclose()
    return summaries
