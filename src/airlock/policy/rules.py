"""Policy rules as data: the YAML schema, shipped packs, parameters and load-time checks.

A rule says *when* (conditions over findings, tenant, deployment, purpose and classification —
all of them must hold) and *then* (one action). Packs are YAML files shipped in
``airlock/policy/packs/``; a configuration loads packs in order and adds its own rules::

    policy:
      packs: [default, cn-pipl, us-gov]
      params: {cn_pipl_cross_border: block}
      rules:
        - id: acme.no-project-x
          when: {findings: {type: CUSTOM_TERM, category: project-x}}
          then: block

Load-time checks: duplicate ids, unknown keys, unknown finding types in well-known fields,
and conflicts — two rules with the same conditions and stages but different actions — are
rejected naming both rule ids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from importlib.resources import files
from typing import Any, Literal

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from airlock.errors import ConfigError

__all__ = [
    "PACKS",
    "DeploymentMatch",
    "FindingMatch",
    "PolicySettings",
    "Rule",
    "TenantMatch",
    "When",
    "load_rules",
]

Action = Literal["allow", "block", "redact", "pseudonymise", "restrict_route", "label", "alert"]
Stage = Literal["prompt", "completion"]
PACKS = ("default", "cn-pipl", "us-gov")

_SEVERITY_NAMES = {"safe": 0, "low": 2, "medium": 4, "high": 6}


def _as_list(value: Any) -> Any:
    if isinstance(value, str | int | float | bool):
        return [value]
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FindingMatch(Strict):
    """At least one finding matches every field that is set."""

    type: list[str] | None = Field(None, description="finding types, e.g. [EMAIL, PHONE]")
    category: list[str] | None = Field(None, description="categories; a trailing * matches a prefix (tc260.*)")
    min_severity: int | None = Field(None, ge=0, le=7, description="0-7 or safe/low/medium/high")
    sensitive: bool | None = None
    sensitive_category: list[str] | None = None
    min_score: float | None = Field(None, ge=0, le=1)
    with_type: list[str] | None = Field(None, description="another finding of these types in the same text")
    rule: list[str] | None = Field(None, description="detector rule ids; a trailing * matches a prefix")
    not_rule: list[str] | None = Field(None, description="detector rule ids to leave out (prefix*)")

    _as_lists = field_validator("type", "category", "sensitive_category", "with_type", "rule", "not_rule",
                                mode="before")(_as_list)

    @field_validator("min_severity", mode="before")
    @classmethod
    def _severity(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return _SEVERITY_NAMES[value.lower()]
            except KeyError:
                raise ValueError("min_severity must be 0-7 or one of safe, low, medium, high") from None
        return value


class TenantMatch(Strict):
    id: list[str] | None = None
    org_type: list[str] | None = None
    jurisdiction: list[str] | None = None
    has_amendment: str | None = None
    lacks_amendment: str | None = None
    filed: bool | None = Field(None, description="the tenant has filed a cross-border mechanism")

    _as_lists = field_validator("id", "org_type", "jurisdiction", mode="before")(_as_list)


class DeploymentMatch(Strict):
    name: list[str] | None = None
    provider: list[str] | None = None
    jurisdiction: list[str] | None = None
    not_jurisdiction: list[str] | None = None
    trains_on_data: bool | None = None
    data_retention: list[str] | None = None

    _as_lists = field_validator("name", "provider", "jurisdiction", "not_jurisdiction", "data_retention",
                                mode="before")(_as_list)


class When(Strict):
    findings: FindingMatch | None = None
    tenant: TenantMatch | None = None
    deployment: DeploymentMatch | None = None
    cross_border: bool | None = Field(None, description="the deployment's jurisdiction differs from the tenant's")
    classification_exceeds_deployment: bool | None = None
    classification_exceeds_clearance: bool | None = Field(
        None, description="a marking in the text is above the tenant's clearance"
    )
    tenant_not_entitled: bool | None = Field(
        None, description="the deployment denies the tenant's org type (and the tenant lacks its amendment)"
    )
    purpose: list[str] | None = Field(None, description="the declared purpose is one of these")
    no_allowed_purpose: bool | None = Field(
        None, description="no purpose declared, or one the tenant is not allowed"
    )

    _as_lists = field_validator("purpose", mode="before")(_as_list)

    @property
    def deployment_dependent(self) -> bool:
        return any(
            v is not None
            for v in (self.deployment, self.cross_border, self.classification_exceeds_deployment,
                      self.tenant_not_entitled)
        )

    def specificity(self) -> int:
        """How many leaf conditions are set (more = more specific)."""
        count = 0
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, BaseModel):
                count += sum(1 for f in type(value).model_fields if getattr(value, f) is not None)
            elif value is not None:
                count += 1
        return count


class Rule(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
    description: str = ""
    source: str | None = Field(None, description="the law, standard or contract the rule encodes")
    stages: list[Stage] = Field(["prompt", "completion"], description="where the rule applies")
    when: When = When()
    then: Action
    route: DeploymentMatch | None = Field(None, description="restrict_route: deployments must match this")
    code: str | None = Field(None, description="error code when the rule blocks")
    message: str | None = Field(None, description="client-facing message (no raw text); {level} etc. allowed")
    status: int = Field(400, ge=400, le=499)
    alert: str | None = Field(None, description="raise this alert when the rule fires (e.g. spillage)")
    shadow: bool = Field(False, description="evaluate and audit, but do not enforce")
    pack: str | None = None

    _as_lists = field_validator("stages", mode="before")(_as_list)

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if self.then == "restrict_route" and self.route is None:
            raise ValueError(f"rule {self.id}: restrict_route needs a `route:` condition")
        if self.then != "restrict_route" and self.route is not None:
            raise ValueError(f"rule {self.id}: `route:` is only used with then: restrict_route")
        if self.then in ("redact", "pseudonymise", "allow") and self.when.findings is None:
            raise ValueError(f"rule {self.id}: then: {self.then} needs a `findings:` condition (what to change)")
        if self.then == "alert" and not self.alert:
            raise ValueError(f"rule {self.id}: then: alert needs `alert: <name>`")
        return self

    def fingerprint(self) -> str:
        return orjson.dumps(
            {"when": self.when.model_dump(mode="json", exclude_none=True), "stages": sorted(self.stages)},
            option=orjson.OPT_SORT_KEYS,
        ).decode()


class ClassificationLadder(Strict):
    name: str
    rank: int = Field(ge=0)
    aliases: list[str] = []


class ClassificationSettings(Strict):
    ladders: dict[str, list[ClassificationLadder]] | None = Field(
        None, description="replace the built-in ladders (us, cn, nato, uk); ranks compare across ladders"
    )
    extra_levels: dict[str, list[ClassificationLadder]] = Field(
        {}, description="add ladders or levels to the built-in ones"
    )


class StreamingSettings(Strict):
    window_chars: int = Field(
        256, ge=16, le=65536, description="look-behind window scanned with each new piece of a streamed completion"
    )
    hold_chars: int = Field(
        32, ge=0, le=4096,
        description="characters held back (scanned, not yet released) so a phrase is seen whole before its start "
        "is released; 0 releases each chunk as soon as it is scanned",
    )
    full_scan_every: int = Field(
        192, ge=1, le=65536,
        description="run whole-text detectors (classifiers) every this many new characters, and before the end "
        "is released; every chunk gets the compiled pass",
    )


class AigcLabelSettings(Strict):
    explicit: bool = Field(True, description="add a visible text label to generated text")
    position: Literal["start", "end"] = "end"
    text_zh: str = "【本内容由人工智能生成】"
    text_en: str = "[AI-generated content]"
    language: Literal["auto", "zh", "en"] = Field("auto", description="auto: Chinese when the reply contains Han")
    implicit: bool = Field(True, description="add the GB 45438 AIGC metadata object (field and header)")
    content_producer: str = Field("airlock", description="ContentProducer: provider name or code")
    content_propagator: str | None = Field(None, description="ContentPropagator (default: the producer)")
    label_value: str = Field("1", description="Label: 1 = AI-generated")


class PolicySettings(Strict):
    packs: list[str] = Field([], description=f"packs to load, in order: {', '.join(PACKS)}")
    params: dict[str, str | int | float | bool] = Field({}, description="pack parameters (see docs/policy.md)")
    rules: list[dict[str, Any]] = Field([], description="the customer's own rules, evaluated with the packs")
    include: list[str] = Field([], description="YAML files with more rules (a list, or {rules: [...]})")
    classification: ClassificationSettings = ClassificationSettings()
    streaming: StreamingSettings = StreamingSettings()
    aigc: AigcLabelSettings = Field(AigcLabelSettings(), description="AI-generated content labels")

    @field_validator("packs")
    @classmethod
    def _known_packs(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in PACKS]
        if unknown:
            raise ValueError(f"unknown pack(s) {', '.join(unknown)}; shipped packs: {', '.join(PACKS)}")
        if len(set(value)) != len(value):
            raise ValueError("a pack is listed twice")
        return value


_PARAM = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")


def _substitute(node: Any, params: Mapping[str, Any], pack: str) -> Any:
    if isinstance(node, dict):
        return {k: _substitute(v, params, pack) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, params, pack) for v in node]
    if isinstance(node, str):
        whole = _PARAM.fullmatch(node)
        if whole:
            name = whole.group(1)
            if name not in params:
                raise ConfigError(f"policy pack {pack}: parameter {name!r} has no value")
            return params[name]
        return _PARAM.sub(lambda m: str(params[m.group(1)]), node)
    return node


def pack_document(name: str) -> dict[str, Any]:
    text = files("airlock.policy.packs").joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    assert isinstance(doc, dict)
    return doc


def _rule(data: Any, where: str) -> Rule:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a rule must be a mapping")
    try:
        return Rule.model_validate(data)
    except ValidationError as exc:
        lines = [f"{where} (rule {data.get('id', '?')!r}): invalid rule"]
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(rule)"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            lines.append(f"  {loc}: {msg}")
        raise ConfigError("\n".join(lines)) from None


def load_rules(settings: PolicySettings, base_dir: str | None = None) -> list[Rule]:
    """Packs (with parameters) then the customer's rules, checked for duplicates and conflicts."""
    from pathlib import Path

    rules: list[Rule] = []
    for pack in settings.packs:
        doc = pack_document(pack)
        params = dict(doc.get("params") or {})
        for key, value in settings.params.items():
            if key in params:
                params[key] = value
        for i, raw in enumerate(doc.get("rules") or []):
            data = _substitute(raw, params, pack)
            if data.get("enabled", True) is False:
                continue
            data.pop("enabled", None)
            data["pack"] = pack
            rules.append(_rule(data, f"policy pack {pack} rules[{i}]"))
    known_params = {k for p in settings.packs for k in (pack_document(p).get("params") or {})}
    unknown = sorted(set(settings.params) - known_params)
    if unknown:
        raise ConfigError(f"policy.params: unknown parameter(s) {', '.join(unknown)} for packs {settings.packs}")
    for i, raw in enumerate(settings.rules):
        rules.append(_rule(raw, f"policy.rules[{i}]"))
    for inc in settings.include:
        path = Path(inc) if base_dir is None or Path(inc).is_absolute() else Path(base_dir) / inc
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"policy.include: cannot load {inc}: {type(exc).__name__}") from None
        items = doc.get("rules") if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            raise ConfigError(f"policy.include: {inc} must hold a list of rules or {{rules: [...]}}")
        for i, raw in enumerate(items):
            rules.append(_rule(raw, f"{inc} rules[{i}]"))
    _check_conflicts(rules)
    return rules


def _check_conflicts(rules: Sequence[Rule]) -> None:
    seen: dict[str, Rule] = {}
    by_fingerprint: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            raise ConfigError(f"policy: rule id {rule.id!r} is defined twice")
        seen[rule.id] = rule
        if rule.then in ("label", "alert"):
            continue  # additive actions never conflict
        fp = rule.fingerprint() + (rule.route.model_dump_json() if rule.route else "")
        other = by_fingerprint.get(fp)
        if other is not None and other.then != rule.then:
            raise ConfigError(
                f"policy: rules {other.id!r} ({other.then}) and {rule.id!r} ({rule.then}) have the same "
                "conditions but different actions; make one more specific or remove one"
            )
        by_fingerprint.setdefault(fp, rule)
