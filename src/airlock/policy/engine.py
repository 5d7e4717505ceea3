"""The decision function: findings × tenant × request × deployments × rules → Decision.

Pure and deterministic (no I/O, no clock). Precedence, documented in docs/policy.md:

1. ``block`` beats everything. A block rule without deployment conditions refuses the request;
   one with deployment conditions (``cross_border``, ``deployment``,
   ``classification_exceeds_deployment``, ``tenant_not_entitled``) makes only those deployments
   ineligible. ``restrict_route`` makes deployments that do not match its ``route`` ineligible.
   When no candidate is left, the request is refused with the first candidate's reason.
2. For each finding, among the ``allow`` / ``redact`` / ``pseudonymise`` rules that matched it,
   the most specific rule wins (most conditions set); on a tie the safer action wins
   (redact > pseudonymise > allow). ``allow`` is how a customer exempts findings from a pack's
   transformation; it never overrides a block.
3. ``label`` and ``alert`` add up. Shadow rules are evaluated and reported, never enforced.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from airlock.config import Config, DeploymentConfig, TenantConfig
from airlock.detectors.base import Finding, Stage
from airlock.errors import ConfigError
from airlock.policy.decision import Decision, DeploymentPlan, PolicyInput, RuleHit
from airlock.policy.lattice import DEFAULT_LADDERS, Lattice, Level, UnknownLevel
from airlock.policy.rules import DeploymentMatch, FindingMatch, PolicySettings, Rule, TenantMatch, load_rules

__all__ = ["PolicyEngine", "build_lattice"]

_PRECEDENCE = {"redact": 3, "pseudonymise": 2, "allow": 1}

_DEFAULT_MESSAGES = {
    "classification_exceeds_deployment": (
        "The request is classified {level}; no eligible deployment is cleared for that level ({rules})."
    ),
    "classification_exceeds_clearance": (
        "The completion carries a marking above your clearance ({clearance}); it was withheld ({rules})."
    ),
    "tenant_not_entitled": "Your organisation is not entitled to use this model ({rules}).",
    "prohibited_use": "The request falls under a prohibited use and was refused ({rules}).",
    "secret_detected": "The text contains a credential or secret and was refused ({rules}).",
    "content_filter": "The content was filtered by policy ({rules}).",
    "no_eligible_deployment": "No deployment is eligible for this request under the policy ({rules}).",
}


class _SafeFormat(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def build_lattice(settings: PolicySettings) -> Lattice:
    cls = settings.classification
    base: dict[str, list[tuple[str, int, tuple[str, ...]]]]
    if cls.ladders is not None:
        base = {name: [(lv.name, lv.rank, tuple(lv.aliases)) for lv in lvls] for name, lvls in cls.ladders.items()}
    else:
        base = {k: list(v) for k, v in DEFAULT_LADDERS.items()}
    for name, lvls in cls.extra_levels.items():
        base.setdefault(name, []).extend((lv.name, lv.rank, tuple(lv.aliases)) for lv in lvls)
    try:
        return Lattice(base)
    except ValueError as exc:
        raise ConfigError(f"policy.classification: {exc}") from None


def _filed(tenant: TenantConfig) -> bool:
    ledger = getattr(tenant, "ledger", None)
    mechanism = getattr(ledger, "filed_mechanism", None) if ledger is not None else None
    return bool(mechanism) and mechanism != "none"


def _glob_matches(patterns: Sequence[str], value: str | None) -> bool:
    if value is None:
        return False
    for p in patterns:
        if p.endswith("*"):
            if value.startswith(p[:-1]):
                return True
        elif value == p:
            return True
    return False


def _finding_matches(m: FindingMatch, f: Finding, all_findings: Sequence[Finding]) -> bool:
    if m.type is not None and f.type not in m.type:
        return False
    if m.category is not None and not _glob_matches(m.category, f.category):
        return False
    if m.rule is not None and not _glob_matches(m.rule, f.rule):
        return False
    if m.not_rule is not None and _glob_matches(m.not_rule, f.rule):
        return False
    if m.min_severity is not None and (f.severity is None or f.severity < m.min_severity):
        return False
    if m.sensitive is not None and f.sensitive != m.sensitive:
        return False
    if m.sensitive_category is not None and f.sensitive_category not in m.sensitive_category:
        return False
    if m.min_score is not None and f.score < m.min_score:
        return False
    return m.with_type is None or any(
        g is not f and g.path == f.path and g.type in m.with_type for g in all_findings
    )


def _tenant_matches(m: TenantMatch, t: TenantConfig) -> bool:
    if m.id is not None and t.id not in m.id:
        return False
    if m.org_type is not None and t.org_type not in m.org_type:
        return False
    if m.jurisdiction is not None and t.jurisdiction.upper() not in {j.upper() for j in m.jurisdiction}:
        return False
    if m.has_amendment is not None and m.has_amendment not in t.amendments:
        return False
    if m.lacks_amendment is not None and m.lacks_amendment in t.amendments:
        return False
    return m.filed is None or _filed(t) == m.filed


def deployment_matches(m: DeploymentMatch, d: DeploymentConfig) -> bool:
    if m.name is not None and d.name not in m.name and d.model_id not in m.name:
        return False
    if m.provider is not None and d.provider not in m.provider:
        return False
    juris = d.jurisdiction.upper()
    if m.jurisdiction is not None and juris not in {j.upper() for j in m.jurisdiction}:
        return False
    if m.not_jurisdiction is not None and juris in {j.upper() for j in m.not_jurisdiction}:
        return False
    if m.trains_on_data is not None and d.trains_on_data != m.trains_on_data:
        return False
    return m.data_retention is None or (d.data_retention or "") in m.data_retention


def tenant_not_entitled(tenant: TenantConfig, d: DeploymentConfig) -> bool:
    if d.allow_org_types is not None and tenant.org_type not in d.allow_org_types:
        return True
    if tenant.org_type in d.deny_org_types:
        amendment = d.entitlement_amendment
        return not (amendment and amendment in tenant.amendments)
    return False


@dataclass
class _Context:
    inp: PolicyInput
    level: Level | None
    clearance: Level
    marking_over_clearance: bool


class PolicyEngine:
    """Compiled policy: rules from packs and configuration, and the classification lattice."""

    def __init__(self, settings: PolicySettings, config: Config | None = None, base_dir: str | None = None) -> None:
        self.settings = settings
        self.rules: list[Rule] = load_rules(settings, base_dir)
        #: a completion-stage label rule exists (otherwise the gateway skips that decision)
        self.labels = any(r.then == "label" and "completion" in r.stages for r in self.rules)
        # rules per stage, in order; without findings, rules that need one can never fire
        self._by_stage = {st: [r for r in self.rules if st in r.stages] for st in ("prompt", "completion")}
        self._by_stage_no_findings = {
            st: [r for r in rules if r.when.findings is None] for st, rules in self._by_stage.items()
        }
        self.lattice = build_lattice(settings)
        self._deployment_levels: dict[str, Level] = {}
        self._tenant_levels: dict[str, tuple[Level, Level | None]] = {}
        if config is not None:
            self._check_config(config)
        canonical = orjson.dumps(
            {"rules": [r.model_dump(mode="json") for r in self.rules],
             "lattice": self.lattice.accepted, "packs": settings.packs},
            option=orjson.OPT_SORT_KEYS,
        )
        self.revision = "pol-" + hashlib.sha256(canonical).hexdigest()[:12]

    # ------------------------------------------------------------------ levels
    def _check_config(self, config: Config) -> None:
        for i, d in enumerate(config.deployments):
            try:
                self._deployment_levels[d.name] = self.lattice.parse(d.max_classification)
            except UnknownLevel as exc:
                raise ConfigError(f"deployments[{i}].max_classification: {exc}") from None
        for i, t in enumerate(config.tenants):
            try:
                clearance = self.lattice.parse(t.clearance)
                default = self.lattice.parse(t.default_classification) if t.default_classification else None
            except UnknownLevel as exc:
                raise ConfigError(f"tenants[{i}]: {exc}") from None
            self._tenant_levels[t.id] = (clearance, default)

    def level(self, value: str) -> Level:
        """Parse a classification name (raises :class:`UnknownLevel` listing accepted names)."""
        return self.lattice.parse(value)

    def _deployment_level(self, d: DeploymentConfig) -> Level:
        level = self._deployment_levels.get(d.name)
        return level if level is not None else self.lattice.parse(d.max_classification)

    def _tenant_level(self, t: TenantConfig) -> tuple[Level, Level | None]:
        cached = self._tenant_levels.get(t.id)
        if cached is not None:
            return cached
        default = self.lattice.parse(t.default_classification) if t.default_classification else None
        return self.lattice.parse(t.clearance), default

    def _marking_levels(self, findings: Sequence[Finding]) -> list[Level]:
        out = []
        for f in findings:
            if f.level:
                level = self.lattice.get(f.level) or self._try_parse(f.level)
                # a marking the lattice does not know is treated as the highest level (fail closed)
                out.append(level if level is not None else Level(f.level, self.lattice.top(), "unknown"))
        return out

    def _try_parse(self, value: str) -> Level | None:
        try:
            return self.lattice.parse(value)
        except UnknownLevel:
            return None

    # ------------------------------------------------------------------ matching
    def _global_match(self, rule: Rule, ctx: _Context) -> tuple[bool, tuple[int, ...]]:
        w = rule.when
        inp = ctx.inp
        if w.tenant is not None and not _tenant_matches(w.tenant, inp.tenant):
            return False, ()
        if w.purpose is not None and inp.purpose not in w.purpose:
            return False, ()
        if w.no_allowed_purpose is not None:
            allowed = inp.purpose is not None and inp.purpose in inp.tenant.purposes
            if w.no_allowed_purpose == allowed:
                return False, ()
        if w.classification_exceeds_clearance is not None and w.classification_exceeds_clearance != (
            ctx.marking_over_clearance
        ):
            return False, ()
        matched: tuple[int, ...] = ()
        if w.findings is not None:
            matched = tuple(
                i for i, f in enumerate(inp.findings) if _finding_matches(w.findings, f, inp.findings)
            )
            if not matched:
                return False, ()
        return True, matched

    def _deployment_match(self, rule: Rule, ctx: _Context, d: DeploymentConfig) -> bool:
        w = rule.when
        tenant = ctx.inp.tenant
        if w.deployment is not None and not deployment_matches(w.deployment, d):
            return False
        if w.cross_border is not None and w.cross_border != (d.jurisdiction.upper() != tenant.jurisdiction.upper()):
            return False
        if w.classification_exceeds_deployment is not None:
            exceeds = Lattice.exceeds(ctx.level, self._deployment_level(d))
            if exceeds != w.classification_exceeds_deployment:
                return False
        return w.tenant_not_entitled is None or w.tenant_not_entitled == tenant_not_entitled(tenant, d)

    def _hit(self, rule: Rule, ctx: _Context, findings: tuple[int, ...], deployment: str | None) -> RuleHit:
        return RuleHit(
            rule=rule.id,
            action=rule.then,
            code=rule.code or ("content_filter" if rule.then == "block" else None),
            message=rule.message,
            status=rule.status,
            alert=rule.alert,
            shadow=rule.shadow,
            findings=findings,
            deployment=deployment,
            specificity=rule.when.specificity(),
        )

    def _message(self, hit: RuleHit, ctx: _Context, deployment: DeploymentConfig | None, rules: Sequence[str]) -> str:
        template = hit.message or _DEFAULT_MESSAGES.get(hit.code or "", _DEFAULT_MESSAGES["content_filter"])
        cats = sorted({
            str(ctx.inp.findings[i].category or ctx.inp.findings[i].type) for i in hit.findings
        })
        values = _SafeFormat(
            level=str(ctx.level) if ctx.level else "UNCLASSIFIED",
            clearance=str(ctx.clearance),
            deployment=deployment.model_id if deployment else "",
            deployment_level=str(self._deployment_level(deployment)) if deployment else "",
            categories=", ".join(cats),
            rule=hit.rule,
            rules=", ".join(rules),
        )
        return template.format_map(values)

    # ------------------------------------------------------------------ decide
    def decide(self, request: PolicyInput) -> Decision:
        tenant = request.tenant
        clearance, tenant_default = self._tenant_level(tenant)
        stage_markings = self._marking_levels(request.findings)
        if request.stage == Stage.PROMPT:
            header = self.lattice.parse(request.classification) if request.classification else None
            level = self.lattice.highest([header, tenant_default, *stage_markings])
        else:
            level = self.lattice.highest(stage_markings)
        ctx = _Context(
            inp=request,
            level=level,
            clearance=clearance,
            marking_over_clearance=any(Lattice.exceeds(m, clearance) for m in stage_markings),
        )
        stage = str(request.stage)
        global_hits: list[RuleHit] = []
        per_dep: dict[str, list[RuleHit]] = {d.name: [] for d in request.deployments}
        restrict: list[tuple[RuleHit, Rule]] = []
        applicable = self._by_stage[stage] if request.findings else self._by_stage_no_findings[stage]
        for rule in applicable:
            ok, matched = self._global_match(rule, ctx)
            if not ok:
                continue
            if rule.when.deployment_dependent:
                for d in request.deployments:
                    if self._deployment_match(rule, ctx, d):
                        per_dep[d.name].append(self._hit(rule, ctx, matched, d.name))
            else:
                hit = self._hit(rule, ctx, matched, None)
                global_hits.append(hit)
                if rule.then == "restrict_route":
                    restrict.append((hit, rule))

        all_hits = global_hits + [h for hs in per_dep.values() for h in hs]
        live = [h for h in all_hits if not h.shadow]
        shadow = tuple(dict.fromkeys(h.rule for h in all_hits if h.shadow))
        # a deployment-level block only raises its alert when it ends up refusing the request
        global_alerts = tuple(dict.fromkeys(h.alert for h in live if h.alert and h.deployment is None))
        every_alert = tuple(dict.fromkeys(h.alert for h in live if h.alert))
        alerts = global_alerts
        label = any(h.action == "label" for h in live)
        level_name = str(level) if level else None

        blocking = [h for h in global_hits if h.action == "block" and not h.shadow]
        if blocking:
            first = blocking[0]
            rules = tuple(dict.fromkeys(h.rule for h in blocking))
            return Decision(
                action="block", rules=tuple(dict.fromkeys(h.rule for h in live)), revision=self.revision,
                code=first.code, status=first.status,
                message=self._message(first, ctx, None, rules),
                plans=tuple(DeploymentPlan(d.name, False, block=first) for d in request.deployments),
                shadow_rules=shadow, alerts=every_alert, label=label, level=level_name, hits=tuple(all_hits),
            )

        plans = [self._plan(d, ctx, global_hits, per_dep[d.name], restrict) for d in request.deployments]
        fired = tuple(dict.fromkeys(h.rule for h in live))
        if request.deployments and not any(p.eligible for p in plans):
            # report the most telling reason: a deployment cleared for the level but refused for
            # another reason (entitlement, route restriction) beats "not cleared"
            order = sorted(
                range(len(plans)),
                key=lambda i: plans[i].block is not None and plans[i].block.code == "classification_exceeds_deployment",  # type: ignore[union-attr]
            )
            refusal = plans[order[0]].block
            assert refusal is not None
            dep = request.deployments[order[0]]
            rules = tuple(dict.fromkeys(p.block.rule for p in plans if p.block is not None))
            return Decision(
                action="block", rules=fired, revision=self.revision, code=refusal.code, status=refusal.status,
                message=self._message(refusal, ctx, dep, rules), plans=tuple(plans), shadow_rules=shadow,
                alerts=every_alert, label=label, level=level_name, hits=tuple(all_hits),
            )
        return Decision(
            action="allow", rules=fired, revision=self.revision, plans=tuple(plans), shadow_rules=shadow,
            alerts=alerts, label=label, level=level_name, hits=tuple(all_hits),
        )

    def _plan(
        self,
        d: DeploymentConfig,
        ctx: _Context,
        global_hits: list[RuleHit],
        dep_hits: list[RuleHit],
        restrict: list[tuple[RuleHit, Rule]],
    ) -> DeploymentPlan:
        hits = [h for h in (*global_hits, *dep_hits) if not h.shadow]
        cross = d.jurisdiction.upper() != ctx.inp.tenant.jurisdiction.upper()
        block: RuleHit | None = next((h for h in dep_hits if h.action == "block" and not h.shadow), None)
        if block is None:
            for hit, rule in restrict:
                if hit.shadow:
                    continue
                assert rule.route is not None
                if not deployment_matches(rule.route, d):
                    block = RuleHit(hit.rule, "restrict_route", hit.code or "no_eligible_deployment", hit.message,
                                    hit.status, hit.alert, False, hit.findings, d.name, hit.specificity)
                    break
        best: dict[int, tuple[int, int, str]] = {}
        for h in hits:
            prec = _PRECEDENCE.get(h.action)
            if prec is None:
                continue
            for i in h.findings:
                cand = (h.specificity, prec, h.action)
                if i not in best or cand[:2] > best[i][:2]:
                    best[i] = cand
        transforms = {i: a for i, (_, _, a) in sorted(best.items()) if a != "allow"}
        rules = tuple(dict.fromkeys(h.rule for h in hits if h.action != "allow" or h.findings))
        return DeploymentPlan(d.name, block is None, cross, block, transforms, rules)

    # ------------------------------------------------------------------ explain
    def explain(self, request: PolicyInput) -> list[dict[str, Any]]:
        """Every rule, whether it fired, and on which findings/deployments (for `policy explain`)."""
        decision = self.decide(request)
        by_rule: dict[str, list[RuleHit]] = {}
        for h in decision.hits:
            by_rule.setdefault(h.rule, []).append(h)
        out = []
        for rule in self.rules:
            hits = by_rule.get(rule.id, [])
            out.append({
                "rule": rule.id,
                "pack": rule.pack,
                "then": rule.then,
                "fired": bool(hits),
                "shadow": rule.shadow,
                "deployments": sorted({h.deployment for h in hits if h.deployment}),
                "findings": sorted({i for h in hits for i in h.findings}),
                "applies_to_stage": str(request.stage) in rule.stages,
            })
        return out
