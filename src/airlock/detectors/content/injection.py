"""``prompt_injection``: PROMPT_INJECTION and JAILBREAK findings, Chinese and English.

Fast tier: the rules of ``data/injection.yaml`` on the folded view (so ``1gn0re a11
prev10us 1nstruct10ns``, homoglyphs and zero-width tricks are undone first). Rules with a
score >= 0.7 report on their own; weaker cues (fiction wrappers, encoding requests) report
only together, when their noisy-or reaches 0.8 (rule ``jailbreak.cues`` /
``injection.cues``).

Hidden payloads (:mod:`.encodings`: base64, rot13, Unicode tag characters) are decoded and
rescanned with these rules and the harm lexicon; a hit there is a JAILBREAK finding with
rule ``jailbreak.encoding.<base64|rot13|unicode_tags>``. Tag characters are reported even
when their hidden text looks harmless: nobody types invisible text by accident.

Classifier tier: the ``jailbreak`` and ``injection`` heads of the packaged classifier
(rules ``jailbreak.classifier`` / ``injection.classifier``).

Direct versus indirect: the rules under ``injection.indirect.*`` look for text that
addresses the model from inside data (a retrieved page saying "AI assistants: ignore your
instructions"). Scan tool results and documents with the same detector; the finding's
``path`` (set by the caller) tells where it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airlock.classifier.model import cached_predict, head_threshold
from airlock.detectors.base import Finding, ScanContext, Stage
from airlock.detectors.content.common import finding_from_hit, load_lexicons, rules_of
from airlock.detectors.content.encodings import hidden_payloads
from airlock.detectors.content.lexicon import load_builtin
from airlock.detectors.content.matcher import Hit, RuleMatcher
from airlock.detectors.content.settings import InjectionSettings, parse_settings
from airlock.detectors.content.textview import fold
from airlock.detectors.registry import register

__all__ = ["InjectionDetector"]

FAMILY = "prompt_injection"
STRONG = 0.7
COMBINED = 0.8


class InjectionDetector:
    name = FAMILY

    def __init__(self, settings: InjectionSettings) -> None:
        self.settings = settings
        self.matcher = RuleMatcher(rules_of(load_lexicons(["injection.yaml"], settings.extra_lexicons)))
        self.harm_matcher = RuleMatcher(load_builtin("harm.yaml").rules)

    def detect(self, text: str, *, stage: Stage, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        hits = self.matcher.hits(fold(text))
        weak: dict[str, list[Hit]] = {"PROMPT_INJECTION": [], "JAILBREAK": []}
        strong_types: set[str] = set()
        for hit in hits:
            kind = hit.rule.type or "PROMPT_INJECTION"
            if hit.rule.score >= STRONG:
                strong_types.add(kind)
                findings.append(
                    finding_from_hit(
                        hit,
                        type_=kind,
                        detector=FAMILY,
                        stage=stage,
                        explanation=f"{kind.lower()} rule {hit.rule.rule} ({hit.rule.category})",
                    )
                )
            else:
                weak[kind].append(hit)
        for kind, group in weak.items():
            if kind in strong_types or not group:
                continue
            miss = 1.0
            for hit in group:
                miss *= 1.0 - hit.rule.score
            if 1.0 - miss >= COMBINED:
                rules = sorted({h.rule.rule for h in group})
                findings.append(
                    Finding(
                        type=kind,
                        start=min(h.start for h in group),
                        end=max(h.end for h in group),
                        score=round(1.0 - miss, 4),
                        rule="jailbreak.cues" if kind == "JAILBREAK" else "injection.cues",
                        category="combined",
                        severity=4,
                        explanation=f"{len(group)} weak {kind.lower()} cues together: {', '.join(rules)}",
                        detector=FAMILY,
                        stage=stage,
                        attributes=(("tier", "lexicon"), ("rules", tuple(rules))),
                    )
                )
        if self.settings.decode:
            findings.extend(self._payloads(text, stage))
        if self.settings.classifier.enabled and text.strip():
            findings.extend(self._classify(text, stage, strong_types))
        return findings

    def _payloads(self, text: str, stage: Stage) -> list[Finding]:
        out: list[Finding] = []
        for payload in hidden_payloads(text, max_bytes=self.settings.max_decode_bytes):
            view = fold(payload.text)
            inner = self.matcher.hits(view) + self.harm_matcher.hits(view)
            if payload.encoding == "rot13":
                inner = [h for h in inner if h.rule.score >= STRONG]
            if not inner and payload.encoding != "unicode_tags":
                continue
            rules = sorted({h.rule.rule for h in inner})
            out.append(
                Finding(
                    type="JAILBREAK",
                    start=payload.start,
                    end=payload.end,
                    score=0.95 if inner else 0.8,
                    rule=f"jailbreak.encoding.{payload.encoding}",
                    category="encoding",
                    severity=6 if inner else 4,
                    explanation=f"{payload.encoding} payload of {len(payload.text)} characters"
                    + (
                        f" decodes to text matching {', '.join(rules)}"
                        if rules
                        else " hidden in invisible characters"
                    ),
                    detector=FAMILY,
                    stage=stage,
                    attributes=(
                        ("tier", "lexicon"),
                        ("encoding", payload.encoding),
                        ("inner_rules", tuple(rules)),
                    ),
                )
            )
        return out

    def _classify(self, text: str, stage: Stage, strong_types: set[str]) -> list[Finding]:
        tier = self.settings.classifier
        scores = cached_predict(text, tier.window, tier.max_windows)
        out: list[Finding] = []
        for head, kind in (("jailbreak", "JAILBREAK"), ("injection", "PROMPT_INJECTION")):
            p = scores.get(head)
            thr = tier.threshold if tier.threshold is not None else head_threshold(head)
            escalate = tier.escalate_low <= p < tier.escalate_high and kind not in strong_types
            if p < thr and not escalate:
                continue
            confident = p >= thr
            out.append(
                Finding(
                    type=kind if confident else "GUARD_REVIEW",
                    start=0,
                    end=len(text),
                    score=round(p, 4),
                    rule=f"{head}.classifier" + ("" if confident else ".uncertain"),
                    category="classifier" if confident else head,
                    severity=5 if confident else 0,
                    explanation=f"classifier head {head} p={p:.2f} (threshold {thr:.2f})"
                    + ("; uncertain, escalate to guard" if escalate else ""),
                    detector=FAMILY,
                    stage=stage,
                    attributes=(("tier", "classifier"), ("escalate", escalate), ("windows", scores.windows)),
                )
            )
        return out


@register(FAMILY)
def _factory(settings: Mapping[str, Any]) -> InjectionDetector:
    return InjectionDetector(parse_settings(InjectionSettings, settings, FAMILY))
