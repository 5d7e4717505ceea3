"""Azure OpenAI-compatible content-filter annotations, built from Airlock's findings.

Shapes follow Azure OpenAI (see docs/annotations.md): ``prompt_filter_results`` on the
response (or the first stream chunk), ``content_filter_results`` per choice, and for a refused
prompt ``error.innererror = {"code": "ResponsibleAIPolicyViolation", "content_filter_results":
{...}}``. Categories are ``hate``, ``sexual``, ``violence``, ``self_harm`` with
``{"filtered", "severity"}`` (severity safe/low/medium/high from Azure's 0-7 scale:
0-1 safe, 2-3 low, 4-5 medium, 6-7 high) and ``jailbreak`` / ``indirect_attack`` with
``{"detected", "filtered"}``. Airlock adds its own ``airlock`` object: the decision id, the
rules that fired and a findings summary (types, categories, counts — never matched text).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from airlock.detectors.base import Finding

__all__ = [
    "HARM_CATEGORIES",
    "airlock_block",
    "content_filter_results",
    "findings_summary",
    "prompt_filter_results",
    "severity_name",
]

HARM_CATEGORIES = ("hate", "sexual", "violence", "self_harm")
#: finding categories that map onto Azure's names
_CATEGORY_ALIASES = {"self-harm": "self_harm", "selfharm": "self_harm"}
#: tool results and retrieved documents: an injection there is an *indirect* attack
_INDIRECT_MARKERS = ("tool", "function", "document", "retriev")


def severity_name(severity: int) -> str:
    if severity <= 1:
        return "safe"
    if severity <= 3:
        return "low"
    if severity <= 5:
        return "medium"
    return "high"


def _is_indirect(f: Finding, roles: Sequence[str] | None) -> bool:
    if roles is not None and f.path.startswith("messages["):
        try:
            idx = int(f.path[len("messages[") : f.path.index("]")])
        except ValueError:
            idx = -1
        if 0 <= idx < len(roles) and roles[idx] in ("tool", "function"):
            return True
    if f.attributes:
        source = dict(f.attributes).get("source")
        if isinstance(source, str) and any(m in source for m in _INDIRECT_MARKERS):
            return True
    return ".tool_calls" in f.path


def content_filter_results(
    findings: Sequence[Finding],
    *,
    filtered: Iterable[int] = (),
    roles: Sequence[str] | None = None,
) -> dict[str, Any]:
    """One ``content_filter_results`` object for a prompt or a choice.

    ``filtered`` holds the indices (into ``findings``) of the findings a blocking rule acted on.
    """
    items = list(findings)
    acted = set(filtered)
    worst: dict[str, int] = dict.fromkeys(HARM_CATEGORIES, 0)
    filtered_cat: dict[str, bool] = dict.fromkeys(HARM_CATEGORIES, False)
    jailbreak = indirect = False
    jailbreak_filtered = indirect_filtered = False
    blocklists: dict[str, bool] = {}
    for i, f in enumerate(items):
        hit = i in acted
        if f.type == "HARM" and f.category:
            cat = _CATEGORY_ALIASES.get(f.category, f.category)
            if cat in worst:
                worst[cat] = max(worst[cat], f.severity or 0)
                filtered_cat[cat] = filtered_cat[cat] or hit
        elif f.type in ("JAILBREAK", "PROMPT_INJECTION"):
            if f.type == "PROMPT_INJECTION" and _is_indirect(f, roles):
                indirect = True
                indirect_filtered = indirect_filtered or hit
            else:
                jailbreak = True
                jailbreak_filtered = jailbreak_filtered or hit
        elif f.type in ("CUSTOM_BLOCKLIST", "CUSTOM_TERM") and f.category:
            blocklists[f.category] = blocklists.get(f.category, False) or hit
    out: dict[str, Any] = {
        cat: {"filtered": filtered_cat[cat], "severity": severity_name(worst[cat])} for cat in HARM_CATEGORIES
    }
    out["jailbreak"] = {"detected": jailbreak, "filtered": jailbreak_filtered}
    if indirect:
        out["indirect_attack"] = {"detected": True, "filtered": indirect_filtered}
    if blocklists:
        out["custom_blocklists"] = {
            "filtered": any(blocklists.values()),
            "details": [{"id": k, "filtered": v} for k, v in sorted(blocklists.items())],
        }
    return out


def prompt_filter_results(
    findings: Sequence[Finding], *, filtered: Iterable[int] = (), roles: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    return [{
        "prompt_index": 0,
        "content_filter_results": content_filter_results(findings, filtered=filtered, roles=roles),
    }]


def findings_summary(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """Counts by (stage, type, category, severity, level): enough to act on, no values."""
    counts: dict[tuple[str, str, str | None, int | None, str | None], int] = {}
    for f in findings:
        key = (str(f.stage), f.type, f.category, f.severity, f.level)
        counts[key] = counts.get(key, 0) + 1
    out = []
    for (stage, type_, category, severity, level), n in sorted(counts.items(), key=lambda kv: str(kv[0])):
        item: dict[str, Any] = {"stage": stage, "type": type_, "count": n}
        if category is not None:
            item["category"] = category
        if severity is not None:
            item["severity"] = severity_name(severity)
        if level is not None:
            item["level"] = level
        out.append(item)
    return out


def airlock_block(
    decision_id: str, rules: Iterable[str], findings: Iterable[Finding], *, action: str = "allow",
    policy_revision: str | None = None, extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "decision_id": decision_id,
        "action": action,
        "rules": list(dict.fromkeys(rules)),
        "findings": findings_summary(findings),
    }
    if policy_revision:
        block["policy_revision"] = policy_revision
    if extra:
        block.update(extra)
    return block
