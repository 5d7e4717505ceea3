"""The decision function with plain values: no server, no I/O."""

from __future__ import annotations

from typing import Any

import pytest

from airlock.config import parse_config
from airlock.detectors.base import Finding, Stage
from airlock.errors import ConfigError
from airlock.policy.decision import PolicyInput
from airlock.policy.engine import PolicyEngine
from airlock.policy.lattice import Lattice, UnknownLevel
from airlock.policy.rules import PolicySettings

DEPLOYMENTS = [
    {"name": "cn-open", "provider": "local", "jurisdiction": "CN", "max_classification": "UNCLASSIFIED"},
    {"name": "us-azure", "provider": "local", "jurisdiction": "US", "max_classification": "UNCLASSIFIED"},
    {"name": "gov-secret", "provider": "local", "jurisdiction": "US", "max_classification": "SECRET",
     "deny_org_types": ["intelligence"], "entitlement_amendment": "intel-annex-2026"},
]
TENANTS = [
    {"id": "cn-bank", "jurisdiction": "CN", "org_type": "enterprise", "purposes": ["contract-performance"]},
    {"id": "dod", "jurisdiction": "US", "org_type": "defense", "clearance": "TOP SECRET"},
    {"id": "nsa", "jurisdiction": "US", "org_type": "intelligence", "clearance": "TOP SECRET"},
    {"id": "nsa-amended", "jurisdiction": "US", "org_type": "intelligence", "clearance": "TOP SECRET",
     "amendments": ["intel-annex-2026"]},
    {"id": "agency", "jurisdiction": "US", "org_type": "civilian_agency", "clearance": "UNCLASSIFIED"},
]


def engine(packs: list[str] | None = None, **policy: Any) -> tuple[PolicyEngine, Any]:
    cfg = parse_config({"deployments": DEPLOYMENTS, "tenants": TENANTS,
                        "policy": {"packs": packs if packs is not None else ["default", "cn-pipl", "us-gov"],
                                   **policy}})
    return PolicyEngine(cfg.policy, cfg), cfg


def f(type_: str, start: int = 0, end: int = 5, path: str = "messages[0].content", **kw: Any) -> Finding:
    return Finding(type=type_, start=start, end=end, score=0.99, rule=f"t.{type_.lower()}", path=path, **kw)


def decide(eng: PolicyEngine, cfg: Any, tenant: str, findings: list[Finding], deployments: list[str] | None = None,
           stage: Stage = Stage.PROMPT, **kw: Any) -> Any:
    deps = [d for d in cfg.deployments if deployments is None or d.name in deployments]
    return eng.decide(PolicyInput(stage=stage, tenant=cfg.tenant(tenant), findings=findings, deployments=deps, **kw))


def test_no_findings_allows_everything() -> None:
    eng, cfg = engine()
    d = decide(eng, cfg, "dod", [])
    assert d.action == "allow" and d.eligible == ("cn-open", "us-azure", "gov-secret") and d.rules == ()
    assert d.revision == eng.revision and d.revision.startswith("pol-")


def test_secrets_are_blocked_on_both_stages() -> None:
    eng, cfg = engine(["default"])
    for stage in (Stage.PROMPT, Stage.COMPLETION):
        d = decide(eng, cfg, "dod", [f("SECRET_CREDENTIAL")], stage=stage)
        assert d.blocked and d.code == "secret_detected" and d.rules == ("default.secrets.block",)
        assert "default.secrets.block" in (d.message or "")


def test_secret_marking_routes_to_a_cleared_deployment() -> None:
    eng, cfg = engine(["default"])
    d = decide(eng, cfg, "dod", [f("CLASSIFICATION_MARKING", level="SECRET")])
    assert d.action == "allow" and d.eligible == ("gov-secret",) and d.level == "SECRET"
    assert d.plan("cn-open").block.code == "classification_exceeds_deployment"  # type: ignore[union-attr]
    assert d.alerts == ()  # served on a cleared deployment: no spillage


def test_classification_above_every_deployment_is_refused_with_spillage_alert() -> None:
    eng, cfg = engine(["default"])
    d = decide(eng, cfg, "dod", [f("CLASSIFICATION_MARKING", level="TOP SECRET")])
    assert d.blocked and d.code == "classification_exceeds_deployment" and d.alerts == ("spillage",)
    assert "TOP SECRET" in (d.message or "") and "default.classification.route" in (d.message or "")


@pytest.mark.parametrize(("header", "eligible"), [
    ("UNCLASSIFIED", ("cn-open", "us-azure", "gov-secret")), ("CUI", ("gov-secret",)), ("S", ("gov-secret",)),
    ("机密", ("gov-secret",)), ("NATO SECRET", ("gov-secret",)), ("OFFICIAL-SENSITIVE", ("gov-secret",)),
])
def test_header_classification_and_ladders(header: str, eligible: tuple[str, ...]) -> None:
    eng, cfg = engine(["default"])
    d = decide(eng, cfg, "dod", [], classification=header)
    assert d.eligible == eligible


def test_tenant_default_classification() -> None:
    cfg_tenants = [*TENANTS, {"id": "secret-shop", "jurisdiction": "US", "clearance": "SECRET",
                              "default_classification": "SECRET"}]
    cfg = parse_config({"deployments": DEPLOYMENTS, "tenants": cfg_tenants, "policy": {"packs": ["default"]}})
    eng = PolicyEngine(cfg.policy, cfg)
    d = eng.decide(PolicyInput(Stage.PROMPT, cfg.tenant("secret-shop"), [], cfg.deployments))
    assert d.eligible == ("gov-secret",) and d.level == "SECRET"


def test_unknown_classification_names_accepted_values() -> None:
    eng, _ = engine()
    with pytest.raises(UnknownLevel) as err:
        eng.level("SUPER SECRET")
    assert "TOP SECRET" in str(err.value) and "绝密" in str(err.value)


def test_marking_grammar_variants_parse() -> None:
    lat = Lattice()
    assert lat.parse("TOP SECRET//SI//NOFORN").name == "TOP SECRET"
    assert lat.parse("(S//REL TO USA, FVEY)").name == "SECRET"
    assert lat.parse("秘密★10年").name == "秘密"
    assert lat.parse("cui").name == "CUI"


def test_bad_levels_in_config_are_rejected_with_the_path() -> None:
    bad = [{**DEPLOYMENTS[0], "max_classification": "HUSH"}]
    cfg = parse_config({"deployments": bad, "tenants": TENANTS})
    with pytest.raises(ConfigError) as err:
        PolicyEngine(PolicySettings(packs=["default"]), cfg)
    assert "deployments[0].max_classification" in str(err.value)


@pytest.mark.parametrize(("severity", "blocked"), [(0, False), (2, False), (3, False), (4, True), (6, True)])
def test_harm_threshold_is_azure_medium(severity: int, blocked: bool) -> None:
    eng, cfg = engine(["default"])
    d = decide(eng, cfg, "dod", [f("HARM", category="violence", severity=severity)])
    assert d.blocked is blocked


def test_harm_threshold_parameter() -> None:
    eng, cfg = engine(["default"], params={"harm_min_severity": 2})
    assert decide(eng, cfg, "dod", [f("HARM", category="hate", severity=2)]).blocked


def test_unknown_parameter_is_an_error() -> None:
    with pytest.raises(ConfigError) as err:
        engine(["default"], params={"harm_min_sev": 2})
    assert "harm_min_sev" in str(err.value)


PII = [f("CN_RESIDENT_ID", 0, 18, sensitive=True, sensitive_category="specific_identity"), f("CN_PHONE", 20, 31)]


def test_cn_pipl_pseudonymises_only_across_the_border() -> None:
    eng, cfg = engine(["cn-pipl"])
    d = decide(eng, cfg, "cn-bank", PII, ["cn-open", "us-azure"])
    assert d.action == "allow"
    assert d.plan("cn-open").transforms == {}  # type: ignore[union-attr]
    assert d.plan("us-azure").transforms == {0: "pseudonymise", 1: "pseudonymise"}  # type: ignore[union-attr]
    assert d.plan("us-azure").cross_border  # type: ignore[union-attr]


def test_cn_pipl_block_option() -> None:
    eng, cfg = engine(["cn-pipl"], params={"cross_border_action": "block"})
    d = decide(eng, cfg, "cn-bank", PII, ["cn-open", "us-azure"])
    assert d.eligible == ("cn-open",)
    only_abroad = decide(eng, cfg, "cn-bank", PII, ["us-azure"])
    assert only_abroad.blocked and only_abroad.code == "personal_information_cross_border"


def test_sensitive_attribute_with_identifier_is_blocked_abroad_unless_filed_and_purposed() -> None:
    findings = [f("PERSON", 0, 2), f("SENSITIVE_ATTRIBUTE", 5, 8, sensitive=True, sensitive_category="medical_health")]
    eng, cfg = engine(["cn-pipl"])
    d = decide(eng, cfg, "cn-bank", findings, ["us-azure"])
    assert d.blocked and d.code == "sensitive_personal_information_cross_border"
    assert decide(eng, cfg, "cn-bank", findings, ["cn-open"]).action == "allow"
    # the attribute alone (no identifiable person) is not personal information
    alone = decide(eng, cfg, "cn-bank", [findings[1]], ["us-azure"])
    assert alone.action == "allow"


def test_tc260_blocked_on_prompt_and_completion() -> None:
    eng, cfg = engine(["cn-pipl"])
    for stage in (Stage.PROMPT, Stage.COMPLETION):
        d = decide(eng, cfg, "cn-bank", [f("TC260_RISK", category="tc260.A.1.d")], stage=stage)
        assert d.blocked and d.rules[0] == "cn-pipl.tc260.block" and d.code == "content_filter"


@pytest.mark.parametrize("tenant", ["cn-bank", "dod", "nsa-amended", "agency"])
@pytest.mark.parametrize("purpose", [None, "contract-performance", "emergency", "research"])
@pytest.mark.parametrize("category", ["mass_domestic_surveillance", "autonomous_weapons",
                                      "high_stakes_automated_decision"])
def test_red_lines_for_every_tenant_and_purpose(tenant: str, purpose: str | None, category: str) -> None:
    eng, cfg = engine(["us-gov"], rules=[{"id": "acme.allow-everything", "when": {
        "findings": {"type": "PROHIBITED_USE"}, "purpose": ["contract-performance", "emergency", "research"]},
        "then": "allow"}])
    d = decide(eng, cfg, tenant, [f("PROHIBITED_USE", category=category)], purpose=purpose)
    assert d.blocked and d.code == "prohibited_use" and d.alerts == ("red_line",)


def test_entitlements_by_org_type_and_amendment() -> None:
    eng, cfg = engine(["us-gov"])
    denied = decide(eng, cfg, "nsa", [], ["gov-secret"])
    assert denied.blocked and denied.code == "tenant_not_entitled" and denied.status == 403
    assert decide(eng, cfg, "nsa-amended", [], ["gov-secret"]).action == "allow"
    assert decide(eng, cfg, "dod", [], ["gov-secret"]).action == "allow"
    # other deployments stay open to the intelligence tenant
    assert decide(eng, cfg, "nsa", [], ["us-azure", "gov-secret"]).eligible == ("us-azure",)


def test_completion_marking_above_clearance_is_withheld() -> None:
    eng, cfg = engine(["us-gov"])
    d = decide(eng, cfg, "agency", [f("CLASSIFICATION_MARKING", level="SECRET")], ["us-azure"],
               stage=Stage.COMPLETION)
    assert d.blocked and d.code == "classification_exceeds_clearance" and d.alerts == ("spillage",)
    ok = decide(eng, cfg, "dod", [f("CLASSIFICATION_MARKING", level="SECRET")], ["us-azure"], stage=Stage.COMPLETION)
    assert ok.action == "allow"


def test_more_specific_allow_exempts_findings_from_a_pack_transformation() -> None:
    rules = [{"id": "bank.emails-ok", "stages": ["prompt"],
              "when": {"cross_border": True, "tenant": {"id": "cn-bank"}, "findings": {"type": "EMAIL"}},
              "then": "allow"}]
    eng, cfg = engine(["cn-pipl"], rules=rules)
    d = decide(eng, cfg, "cn-bank", [f("EMAIL"), f("CN_PHONE", 10, 21)], ["us-azure"])
    assert d.plan("us-azure").transforms == {1: "pseudonymise"}  # type: ignore[union-attr]


def test_allow_never_beats_block() -> None:
    rules = [{"id": "acme.secrets-ok", "when": {"tenant": {"id": "dod"}, "findings": {"type": "SECRET_CREDENTIAL"}},
              "then": "allow"}]
    eng, cfg = engine(["default"], rules=rules)
    assert decide(eng, cfg, "dod", [f("SECRET_CREDENTIAL")]).blocked


def test_equal_specificity_prefers_the_safer_action() -> None:
    rules = [{"id": "r.redact", "when": {"findings": {"type": "EMAIL"}}, "then": "redact"},
             {"id": "r.pseudo", "when": {"findings": {"type": "EMAIL"}, "purpose": ["x"]}, "then": "pseudonymise"},
             {"id": "r.pseudo2", "when": {"findings": {"type": "PHONE"}}, "then": "pseudonymise"}]
    eng, cfg = engine([], rules=rules)
    d = decide(eng, cfg, "dod", [f("EMAIL"), f("PHONE", 8, 12)], ["us-azure"], purpose="x")
    assert d.plan("us-azure").transforms == {0: "pseudonymise", 1: "pseudonymise"}  # type: ignore[union-attr]
    d = decide(eng, cfg, "dod", [f("EMAIL")], ["us-azure"])
    assert d.plan("us-azure").transforms == {0: "redact"}  # type: ignore[union-attr]


def test_conflicting_rules_are_rejected_naming_both() -> None:
    rules = [{"id": "a.one", "when": {"findings": {"type": "EMAIL"}}, "then": "redact"},
             {"id": "b.two", "when": {"findings": {"type": ["EMAIL"]}}, "then": "pseudonymise"}]
    with pytest.raises(ConfigError) as err:
        engine([], rules=rules)
    assert "'a.one'" in str(err.value) and "'b.two'" in str(err.value)


def test_duplicate_ids_and_bad_rules() -> None:
    with pytest.raises(ConfigError, match="defined twice"):
        engine(["default"], rules=[{"id": "default.secrets.block", "when": {}, "then": "label"}])
    with pytest.raises(ConfigError, match="needs a `findings:` condition"):
        engine([], rules=[{"id": "x", "then": "redact"}])
    with pytest.raises(ConfigError, match="unknown key"):
        engine([], rules=[{"id": "x", "when": {"finding": {}}, "then": "block"}])


def test_shadow_rules_are_reported_not_enforced() -> None:
    rules = [{"id": "trial.block-email", "when": {"findings": {"type": "EMAIL"}}, "then": "block", "shadow": True}]
    eng, cfg = engine([], rules=rules)
    d = decide(eng, cfg, "dod", [f("EMAIL")])
    assert d.action == "allow" and d.shadow_rules == ("trial.block-email",) and d.rules == ()


def test_restrict_route() -> None:
    rules = [{"id": "keep-pii-home", "when": {"findings": {"type": "PERSON"}}, "then": "restrict_route",
              "route": {"jurisdiction": ["CN"]}}]
    eng, cfg = engine([], rules=rules)
    d = decide(eng, cfg, "cn-bank", [f("PERSON")])
    assert d.eligible == ("cn-open",)
    d = decide(eng, cfg, "cn-bank", [f("PERSON")], ["us-azure"])
    assert d.blocked and d.code == "no_eligible_deployment"


def test_label_rule() -> None:
    eng, cfg = engine(["cn-pipl"])
    assert decide(eng, cfg, "cn-bank", [], ["cn-open"], stage=Stage.COMPLETION).label
    assert not decide(eng, cfg, "dod", [], ["cn-open"], stage=Stage.COMPLETION).label


def test_decisions_are_deterministic() -> None:
    eng, cfg = engine()
    findings = [*PII, f("HARM", category="hate", severity=2), f("CLASSIFICATION_MARKING", level="CUI")]
    first = decide(eng, cfg, "cn-bank", findings)
    for _ in range(5):
        assert decide(eng, cfg, "cn-bank", findings) == first
    assert PolicyEngine(cfg.policy, cfg).revision == eng.revision


def test_unknown_marking_level_is_treated_as_the_highest() -> None:
    eng, cfg = engine(["default"])
    d = decide(eng, cfg, "dod", [f("CLASSIFICATION_MARKING", level="ULTRA")])
    assert d.blocked and d.code == "classification_exceeds_deployment"


@pytest.mark.parametrize(("level", "eligible"), [("TOP_SECRET", ()), ("SECRET", ("gov-secret",)),
                                                 ("RESTRICTED", ("gov-secret",)), ("CUI", ("gov-secret",))])
def test_detector_level_spellings(level: str, eligible: tuple[str, ...]) -> None:
    eng, cfg = engine(["default"])
    d = decide(eng, cfg, "dod", [f("CLASSIFICATION_MARKING", level=level)])
    assert d.eligible == eligible
