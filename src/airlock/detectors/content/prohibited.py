"""``prohibited_use``: contract red lines, Chinese and English.

Finding type ``PROHIBITED_USE`` with ``category``:

- ``mass_domestic_surveillance``: bulk tracking, identification or profiling of a population
  or of protesters; aggregating citizens' location or communications data;
- ``autonomous_weapons``: selecting and engaging targets without a human decision,
  automating the kill chain;
- ``high_stakes_automated_decision``: denying benefits, liberty or employment with no human
  review.

Talking ABOUT these things (news, history, policy analysis, ethics, fiction, protecting
oneself) is ordinary and must not fire. So the family does not match topics; it scores the
co-occurrence of cue groups from ``data/prohibited_use.yaml`` inside one window:

    action + target of the category        0.45
    + an operational request frame         0.30   (write/design/build/deploy ..., 帮我/设计/开发 ...)
    + the human decision removed           0.20   (automatically, no human review, 自动, 不经复核 ...)
    - 0.2 per discussion cue (max 3)               (reported, history, policy, 报道, 历史, 分析 ...)
    - 0.5 when a human keeps the decision          (a caseworker makes every final decision ...)

Weapons and decisions need the "human removed" cue (an automated pipeline with a human
decision is not the red line); the result is reported at ``threshold`` (default 0.5).
Long texts are scored in overlapping windows, so cost is linear in length.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airlock.detectors.base import Finding
from airlock.detectors.content.lexicon import load_builtin
from airlock.detectors.content.settings import ProhibitedUseSettings, parse_settings
from airlock.detectors.content.source import rule_patterns
from airlock.detectors.engine import Candidate, Pattern, PatternSource, ScanView, TextHook
from airlock.detectors.registry import register

__all__ = ["ProhibitedUseDetector"]

FAMILY = "prohibited_use"
_NEEDS_AUTONOMY = frozenset({"autonomous_weapons", "high_stakes_automated_decision"})


@dataclass(frozen=True, slots=True)
class _Cue:
    view_start: int
    view_end: int
    start: int
    end: int


class ProhibitedUseDetector(PatternSource):
    name = FAMILY

    def __init__(self, settings: ProhibitedUseSettings) -> None:
        self.settings = settings
        self.rules = load_builtin("prohibited_use.yaml").rules
        self._group = {r.rule: r.category for r in self.rules}
        self._patterns = rule_patterns(self.rules, "", self._handle, in_decoded=False)
        self._cues: dict[int, dict[str, list[_Cue]]] = {}

    def patterns(self) -> Sequence[Pattern]:
        return self._patterns

    def text_hooks(self) -> Sequence[TextHook]:
        return (self._decide,)

    def _handle(self, c: Candidate) -> Iterator[Finding]:
        if len(self._cues) > 4096:
            self._cues.clear()
        group = self._group[c.pattern.id.rsplit("#", 1)[0]]
        self._cues.setdefault(id(c.view), {}).setdefault(group, []).append(_Cue(c.start, c.end, c.start, c.end))
        return iter(())

    def _decide(self, view: ScanView) -> list[Finding]:
        hits = self._cues.pop(id(view), {})
        if not hits:
            return []
        window = self.settings.window
        n = len(view.text)
        starts = range(0, max(n - window // 2, 1), max(window // 2, 1)) if n > window else [0]
        best: dict[str, tuple[float, list[_Cue], list[str]]] = {}
        for w0 in starts:
            w1 = w0 + window
            local = {k: [h for h in v if h.view_start < w1 and h.view_end > w0] for k, v in hits.items()}
            for category in self.settings.categories:
                score, used, why = _score(category, local)
                if score > best.get(category, (0.0, [], []))[0]:
                    best[category] = (score, used, why)
        out: list[Finding] = []
        for name, (score, used, why) in best.items():
            if score < self.settings.threshold or not used:
                continue
            out.append(
                Finding(
                    type="PROHIBITED_USE",
                    start=min(h.start for h in used),
                    end=max(h.end for h in used),
                    score=round(min(score, 1.0), 4),
                    rule=f"prohibited.{name}",
                    category=name,
                    severity=6,
                    explanation=f"{name}: " + ", ".join(why),
                    detector=FAMILY,
                    stage=view.stage,
                    attributes=(("tier", "lexicon"), ("cues", tuple(why))),
                )
            )
        return out


def _score(category: str, local: Mapping[str, list[_Cue]]) -> tuple[float, list[_Cue], list[str]]:
    action = local.get(f"{category}:action", [])
    target = local.get(f"{category}:target", [])
    if not action or not target:
        return 0.0, [], []
    request = local.get("any:request", [])
    autonomy = local.get("any:autonomy", [])
    discussion = local.get("any:discussion", [])
    # "never lets a human review it" is a human REMOVED: drop human cues inside autonomy cues
    human = [
        h
        for h in local.get("any:human_loop", [])
        if not any(a.view_start < h.view_end and h.view_start < a.view_end for a in autonomy)
    ]
    score = 0.45
    why = ["action and target cues"]
    if request:
        score += 0.30
        why.append("operational request")
    if autonomy:
        score += 0.20
        why.append("human decision removed")
    elif category in _NEEDS_AUTONOMY:
        score = min(score, 0.45)
    if discussion:
        score -= 0.2 * min(len(discussion), 3)
        why.append(f"{len(discussion)} discussion cue(s)")
    if human:
        score -= 0.5
        why.append("human keeps the decision")
    return score, [*action, *target, *request, *autonomy], why


@register(FAMILY)
def _factory(settings: Mapping[str, Any]) -> ProhibitedUseDetector:
    return ProhibitedUseDetector(parse_settings(ProhibitedUseSettings, settings, FAMILY))
