"""``content_harm``: Azure-style harm categories with severity 0-7, in Chinese and English.

Two tiers run inside :meth:`HarmDetector.detect` (synchronous, no I/O):

1. the harm lexicon (``data/harm.yaml``), matched on the folded view (homoglyphs,
   leetspeak, spacing evasions undone) -> findings with the rule's own severity;
2. the packaged classifier (:mod:`airlock.classifier`): the ``harmful`` head (requests for
   dangerous help) and the ``toxic`` head (offensive / hateful language), with the category
   picked by the ``cat_*`` heads; severity grows with the probability (low at threshold).

A classifier score inside ``[escalate_low, escalate_high)`` sets the attribute
``escalate=True``; below the threshold such a score is reported as a ``GUARD_REVIEW``
finding (never as ``HARM``), and :meth:`airlock.guard.cascade.GuardCascade.escalate` asks
the configured guard model about the text. Finding type ``HARM``; ``category`` is one of ``hate``,
``sexual``, ``violence``, ``self_harm`` (Azure's four) or ``illicit`` (weapons, drugs,
malware, fraud: OpenAI's ``illicit`` / Llama Guard S2, S9).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airlock.classifier.model import Scores, cached_predict, head_threshold
from airlock.detectors.base import Finding, ScanContext, Stage
from airlock.detectors.content.common import (
    azure_level,
    classifier_severity,
    finding_from_hit,
    load_lexicons,
    rules_of,
)
from airlock.detectors.content.matcher import RuleMatcher
from airlock.detectors.content.settings import HarmSettings, parse_settings
from airlock.detectors.content.textview import fold
from airlock.detectors.registry import register

__all__ = ["HarmDetector"]

FAMILY = "content_harm"
_CATEGORY_HEADS = ("hate", "sexual", "violence", "illicit")


class HarmDetector:
    name = FAMILY

    def __init__(self, settings: HarmSettings) -> None:
        self.settings = settings
        self.lexicons = load_lexicons(["harm.yaml"] if settings.lexicon else [], settings.extra_lexicons)
        self.matcher = RuleMatcher(rules_of(self.lexicons))
        self._categories = frozenset(settings.categories)

    def detect(self, text: str, *, stage: Stage, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        for hit in self.matcher.hits(fold(text)):
            if hit.rule.category not in self._categories or hit.rule.severity < self.settings.min_severity:
                continue
            findings.append(
                finding_from_hit(
                    hit,
                    type_="HARM",
                    detector=FAMILY,
                    stage=stage,
                    explanation=f"harm lexicon rule {hit.rule.rule}: {hit.rule.category}, "
                    f"severity {hit.rule.severity} ({azure_level(hit.rule.severity)})",
                    level=azure_level(hit.rule.severity),
                )
            )
        if self.settings.classifier.enabled and text.strip():
            findings.extend(self._classify(text, stage))
        return findings

    def _classify(self, text: str, stage: Stage) -> list[Finding]:
        tier = self.settings.classifier
        scores = cached_predict(text, tier.window, tier.max_windows)
        out: list[Finding] = []
        harmful = scores.get("harmful")
        toxic = scores.get("toxic")
        harmful_thr = _threshold(scores, "harmful", tier.threshold)
        toxic_thr = _threshold(scores, "toxic", tier.threshold)
        if harmful >= min(harmful_thr, tier.escalate_low):
            category = _category(scores)
            out.append(
                self._finding(
                    text, stage, head="harmful", category=category, p=harmful, thr=harmful_thr, scores=scores
                )
            )
        if toxic >= min(toxic_thr, tier.escalate_low):
            out.append(
                self._finding(
                    text, stage, head="toxic", category="hate", p=toxic, thr=toxic_thr, scores=scores
                )
            )
        return [
            f
            for f in out
            if f.category in self._categories
            and (f.type == "GUARD_REVIEW" or (f.severity or 0) >= self.settings.min_severity)
        ]

    def _finding(
        self, text: str, stage: Stage, *, head: str, category: str, p: float, thr: float, scores: Scores
    ) -> Finding:
        tier = self.settings.classifier
        severity = classifier_severity(p, thr)
        escalate = tier.escalate_low <= p < tier.escalate_high
        confident = p >= thr
        return Finding(
            type="HARM" if confident else "GUARD_REVIEW",
            start=0,
            end=len(text),
            score=round(p, 4),
            rule=f"harm.classifier.{head}" + ("" if confident else ".uncertain"),
            category=category,
            severity=severity,
            explanation=f"classifier head {head} p={p:.2f} (threshold {thr:.2f}): {category}, "
            f"severity {severity} ({azure_level(severity)})"
            + ("; uncertain, escalate to guard" if escalate else ""),
            detector=FAMILY,
            stage=stage,
            attributes=(
                ("tier", "classifier"),
                ("level", azure_level(severity)),
                ("escalate", escalate),
                ("windows", scores.windows),
                ("truncated", scores.truncated),
            ),
        )


def _threshold(scores: Scores, head: str, configured: float | None) -> float:
    return configured if configured is not None else head_threshold(head)


def _category(scores: Scores) -> str:
    best, value = "illicit", 0.0
    for cat in _CATEGORY_HEADS:
        p = scores.get(f"cat_{cat}")
        if p > value:
            best, value = cat, p
    return best


@register(FAMILY)
def _factory(settings: Mapping[str, Any]) -> HarmDetector:
    return HarmDetector(parse_settings(HarmSettings, settings, FAMILY))
