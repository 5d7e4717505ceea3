"""``content_harm``: Azure-style harm categories with severity 0-7, in Chinese and English.

Tiers (both synchronous, no I/O, inside the gateway's single detection pass):

1. the harm lexicon (``data/harm.yaml`` plus ``extra_lexicons``), compiled into the shared
   engine pass; obfuscated spellings are caught by the folded rescan of
   :class:`~airlock.detectors.content.source.LexiconSource`;
2. the packaged classifier (:mod:`airlock.classifier`), as a whole-text hook: the
   ``harmful`` head (requests for dangerous help) and the ``toxic`` head (offensive or
   hateful language), the category picked by the ``cat_*`` heads; severity grows with the
   probability (``low`` at the threshold).

A classifier probability in ``[escalate_low, escalate_high)`` sets ``escalate=True``; below
the threshold such a score is reported as ``GUARD_REVIEW`` (never as ``HARM``) and
:meth:`airlock.guard.cascade.GuardCascade.escalate` asks the configured guard model.
Finding type ``HARM``; ``category`` is ``hate``, ``sexual``, ``violence``, ``self_harm``
(Azure's four) or ``illicit`` (weapons, drugs, malware, fraud: OpenAI's ``illicit``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airlock.classifier.model import Scores, cached_predict, enough_text, head_threshold
from airlock.detectors.base import Finding, Stage
from airlock.detectors.content.common import azure_level, classifier_severity, load_lexicons, rules_of
from airlock.detectors.content.lexicon import LexiconRule
from airlock.detectors.content.settings import HarmSettings, parse_settings
from airlock.detectors.content.source import LexiconSource
from airlock.detectors.engine import ScanView, TextHook
from airlock.detectors.registry import register

__all__ = ["HarmDetector"]

FAMILY = "content_harm"
_CATEGORY_HEADS = ("hate", "sexual", "violence", "illicit")


class HarmDetector(LexiconSource):
    name = FAMILY
    default_type = "HARM"

    def __init__(self, settings: HarmSettings) -> None:
        self.settings = settings
        self._categories = frozenset(settings.categories)
        lexicons = load_lexicons(["harm.yaml"] if settings.lexicon else [], settings.extra_lexicons)
        super().__init__(rules_of(lexicons))

    def accept(self, rule: LexiconRule) -> bool:
        return rule.category in self._categories and rule.severity >= self.settings.min_severity

    def explain(self, rule: LexiconRule) -> str:
        return f"harm lexicon {super().explain(rule)}"

    def text_hooks(self) -> Sequence[TextHook]:
        hooks: list[TextHook] = list(super().text_hooks())
        if self.settings.classifier.enabled:
            hooks.append(self._classify)
        return hooks

    def _classify(self, view: ScanView) -> list[Finding]:
        if view.depth or not enough_text(view.text):
            return []
        tier = self.settings.classifier
        scores = cached_predict(view.text, tier.window, tier.max_windows)
        out: list[Finding] = []
        for head, category in (("harmful", _category(scores)), ("toxic", "hate")):
            p = scores.get(head)
            thr = tier.threshold if tier.threshold is not None else head_threshold(head)
            if p >= min(thr, tier.escalate_low):
                out.append(self._finding(view, head=head, category=category, p=p, thr=thr, scores=scores))
        return [
            f
            for f in out
            if f.category in self._categories
            and (f.type == "GUARD_REVIEW" or (f.severity or 0) >= self.settings.min_severity)
        ]

    def _finding(self, view: ScanView, *, head: str, category: str, p: float, thr: float, scores: Scores) -> Finding:
        tier = self.settings.classifier
        severity = classifier_severity(p, thr)
        escalate = tier.escalate_low <= p < tier.escalate_high
        confident = p >= thr
        return Finding(
            type="HARM" if confident else "GUARD_REVIEW",
            start=0,
            end=len(view.text),
            score=round(p, 4),
            rule=f"harm.classifier.{head}" + ("" if confident else ".uncertain"),
            category=category,
            severity=severity,
            explanation=f"classifier head {head} p={p:.2f} (threshold {thr:.2f}): {category}, "
            f"severity {severity} ({azure_level(severity)})" + ("; uncertain, escalate to guard" if escalate else ""),
            detector=FAMILY,
            stage=view.stage,
            attributes=(
                ("tier", "classifier"),
                ("level", azure_level(severity)),
                ("escalate", escalate),
                ("windows", scores.windows),
                ("truncated", scores.truncated),
            ),
        )

    # kept for callers that want the classifier alone (benchmarks)
    def classify_text(self, text: str, stage: Stage = Stage.PROMPT) -> list[Finding]:
        from airlock.detectors.base import ScanContext

        return self._classify(ScanView(text, stage, ScanContext()))


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
