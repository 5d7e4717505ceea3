"""``prompt_injection``: PROMPT_INJECTION and JAILBREAK findings, Chinese and English.

Fast tier: the rules of ``data/injection.yaml`` in the shared single pass (the folded rescan
of :class:`~.source.LexiconSource` undoes ``1gn0re prev10us 1nstruct10ns``, spaced letters
and separators between Chinese characters). Rules with a score >= 0.7 report on their own;
weaker cues (fiction wrappers, encoding requests) report only together, when their noisy-or
reaches 0.8 (rule ``jailbreak.cues`` / ``injection.cues``).

Hidden payloads: the engine decodes base64 / hex / URL-encoded blocks and rescans them (a
hit inside adds ``jailbreak.encoding.decoded``); this family also decodes rot13 text and
invisible Unicode tag characters and rescans them with its rules and the harm lexicon
(``jailbreak.encoding.rot13`` / ``jailbreak.encoding.unicode_tags``). Tag characters are
reported even when their hidden text looks harmless: nobody types invisible text by accident.

Classifier tier: the ``jailbreak`` and ``injection`` heads of the packaged classifier
(``jailbreak.classifier`` / ``injection.classifier``; ``GUARD_REVIEW`` when uncertain).

Direct versus indirect: rules under ``injection.indirect.*`` find text that addresses the
model from inside data (a retrieved page saying "AI assistants: ignore your instructions").
Scan tool results and documents with the same detector; the finding's ``path`` (set by the
caller) tells where it came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from airlock.classifier.model import cached_predict, enough_text, head_threshold
from airlock.detectors.base import Finding
from airlock.detectors.content.common import load_lexicons, rules_of
from airlock.detectors.content.encodings import hidden_payloads
from airlock.detectors.content.lexicon import LexiconRule, load_builtin
from airlock.detectors.content.settings import InjectionSettings, parse_settings
from airlock.detectors.content.source import LexiconSource, _Shadow, rule_patterns
from airlock.detectors.engine import Candidate, DecodeSettings, Engine, ScanView, TextHook
from airlock.detectors.registry import register

__all__ = ["InjectionDetector"]

FAMILY = "prompt_injection"
STRONG = 0.7
COMBINED = 0.8
_STASH_LIMIT = 4096


class InjectionDetector(LexiconSource):
    name = FAMILY
    default_type = "PROMPT_INJECTION"

    def __init__(self, settings: InjectionSettings) -> None:
        self.settings = settings
        super().__init__(rules_of(load_lexicons(["injection.yaml"], settings.extra_lexicons)))
        self._weak: dict[int, list[tuple[int, int, LexiconRule]]] = {}
        self._payload_engine: Engine | None = None

    def explain(self, rule: LexiconRule) -> str:
        return f"{(rule.type or 'PROMPT_INJECTION').lower()} rule {rule.rule} ({rule.category})"

    def findings_for(self, c: Candidate, rule: LexiconRule) -> Iterable[Finding]:
        if rule.score >= STRONG:
            yield from super().findings_for(c, rule)
            return
        if len(self._weak) > _STASH_LIMIT:
            self._weak.clear()
        self._weak.setdefault(id(c.view), []).append((c.start, c.end, rule))

    def text_hooks(self) -> Sequence[TextHook]:
        hooks: list[TextHook] = [*super().text_hooks(), self._combine]
        if self.settings.decode:
            hooks.append(self._payloads)
        if self.settings.classifier.enabled:
            hooks.append(self._classify)
        return hooks

    # ------------------------------------------------------------------ weak cues
    def _combine(self, view: ScanView) -> list[Finding]:
        cues = self._weak.pop(id(view), [])
        strong = {f.type for f in view.findings if f.detector == FAMILY and f.score >= STRONG}
        out: list[Finding] = []
        for kind in ("PROMPT_INJECTION", "JAILBREAK"):
            group = [c for c in cues if (c[2].type or "PROMPT_INJECTION") == kind]
            if not group or kind in strong:
                continue
            miss = 1.0
            for _s, _e, rule in group:
                miss *= 1.0 - rule.score
            if 1.0 - miss < COMBINED:
                continue
            rules = sorted({r.rule for _s, _e, r in group})
            out.append(
                Finding(
                    type=kind,
                    start=min(s for s, _e, _r in group),
                    end=max(e for _s, e, _r in group),
                    score=round(1.0 - miss, 4),
                    rule="jailbreak.cues" if kind == "JAILBREAK" else "injection.cues",
                    category="combined",
                    severity=4,
                    explanation=f"{len(group)} weak {kind.lower()} cues together: {', '.join(rules)}",
                    detector=FAMILY,
                    stage=view.stage,
                    attributes=(("tier", "lexicon"), ("rules", tuple(rules))),
                )
            )
        return out

    # ------------------------------------------------------------------ rot13 and tag characters
    def _engine_for_payloads(self) -> Engine:
        if self._payload_engine is None:
            strong = [r for r in self.rules if r.score >= STRONG]
            harm = load_builtin("harm.yaml").rules
            self._payload_engine = Engine(
                [
                    _Shadow("payload_injection", rule_patterns(strong, "", _plain)),
                    _Shadow("payload_harm", rule_patterns(harm, "harm:", _plain)),
                ],
                decode=DecodeSettings(enabled=False),
                backend="python",
            )
        return self._payload_engine

    def _payloads(self, view: ScanView) -> list[Finding]:
        if view.depth:
            return []
        out: list[Finding] = []
        for payload in hidden_payloads(view.text, max_bytes=self.settings.max_decode_bytes):
            inner = self._engine_for_payloads().scan(payload.text, stage=view.stage, context=view.context)
            if not inner and payload.encoding != "unicode_tags":
                continue
            rules = sorted({f.rule.split("#")[0].removeprefix("harm:") for f in inner})
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
                    + (f" decodes to text matching {', '.join(rules)}" if rules else " hidden in invisible characters"),
                    detector=FAMILY,
                    stage=view.stage,
                    attributes=(("tier", "lexicon"), ("encoding", payload.encoding), ("inner_rules", tuple(rules))),
                )
            )
        return out

    # ------------------------------------------------------------------ classifier
    def _classify(self, view: ScanView) -> list[Finding]:
        if view.depth or not enough_text(view.text):
            return []
        tier = self.settings.classifier
        scores = cached_predict(view.text, tier.window, tier.max_windows)
        strong = {f.type for f in view.findings if f.detector == FAMILY}
        out: list[Finding] = []
        for head, kind in (("jailbreak", "JAILBREAK"), ("injection", "PROMPT_INJECTION")):
            if head not in self.settings.heads:
                continue
            p = scores.get(head)
            thr = tier.threshold if tier.threshold is not None else head_threshold(head)
            escalate = tier.escalate_low <= p < tier.escalate_high and kind not in strong
            if p < thr and not escalate:
                continue
            confident = p >= thr
            out.append(
                Finding(
                    type=kind if confident else "GUARD_REVIEW",
                    start=0,
                    end=len(view.text),
                    score=round(p, 4),
                    rule=f"{head}.classifier" + ("" if confident else ".uncertain"),
                    category="classifier" if confident else head,
                    severity=5 if confident else 0,
                    explanation=f"classifier head {head} p={p:.2f} (threshold {thr:.2f})"
                    + ("; uncertain, escalate to guard" if escalate else ""),
                    detector=FAMILY,
                    stage=view.stage,
                    attributes=(("tier", "classifier"), ("escalate", escalate), ("windows", scores.windows)),
                )
            )
        return out


def _plain(c: Candidate) -> Iterator[Finding]:
    yield c.finding("PAYLOAD_HIT", score=1.0)


@register(FAMILY)
def _factory(settings: Mapping[str, Any]) -> InjectionDetector:
    return InjectionDetector(parse_settings(InjectionSettings, settings, FAMILY))
