"""Content lexicons on the shared single-pass engine (:mod:`airlock.detectors.engine`).

:class:`LexiconSource` turns the rules of versioned lexicon files into engine
:class:`~airlock.detectors.engine.Pattern` objects (literals and regexes, case-insensitive,
all compiled into the gateway's one pass together with PII, markings and secrets), and adds
one whole-text hook for the evasions the engine's normalisation does not undo:

- leetspeak inside words (``k1ll``, ``b0mb``), spaced-out letters (``k i l l``) and
  separators pushed between Chinese characters (``炸 药``, ``炸*药``): when the text shows
  such a signal, it is folded (:mod:`.textview`) and rescanned with a private engine holding
  the same patterns; findings are mapped back and carry ``evasion=True``;
- matches inside blocks the engine decoded (base64, hex, URL encoding) get an extra
  ``JAILBREAK`` finding with rule ``jailbreak.encoding.decoded``: harmful or injected text
  hidden in an encoding is itself an attack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from airlock.detectors.base import Finding
from airlock.detectors.content.common import azure_level
from airlock.detectors.content.lexicon import LexiconRule
from airlock.detectors.content.textview import fold
from airlock.detectors.engine import (
    Candidate,
    DecodeSettings,
    Engine,
    MatchHandler,
    Pattern,
    PatternSource,
    ScanView,
    TextHook,
)

__all__ = ["LexiconSource", "evasion_signal", "rule_patterns"]

_REGEX_MAX_LEN = 300
_ASCII_WORD = re.compile(r"[A-Za-z0-9]")
_EVASION = re.compile(
    r"[a-z][0-9@$]{1,2}[a-z]{2}|[a-z]{2}[0-9@$]{1,2}[a-z]|(?<![a-z0-9])[013457@$][a-z]{3}"  # leetspeak
    r"|(?<![a-z0-9])(?:[a-z][ .\-_*]){3,}[a-z](?![a-z0-9])"  # spaced letters
    r"|[\u4e00-\u9fff][ *·_\-./|~+]{1,3}[\u4e00-\u9fff]",  # separators between Chinese characters
    re.IGNORECASE,
)


def evasion_signal(text: str) -> bool:
    return _EVASION.search(text) is not None


def rule_patterns(
    rules: Sequence[LexiconRule], prefix: str, handler: MatchHandler, *, in_decoded: bool = True
) -> list[Pattern]:
    """Engine patterns for lexicon rules; ids ``<rule>#<n>`` (the handler reports ``rule``)."""
    out: list[Pattern] = []
    for rule in rules:
        n = 0
        for lit in rule.literals:
            word = bool(_ASCII_WORD.match(lit[0]) or _ASCII_WORD.match(lit[-1]))
            out.append(
                Pattern(
                    f"{prefix}{rule.rule}#{n}",
                    lit,
                    literal=True,
                    caseless=True,
                    word=word,
                    handler=handler,
                    in_decoded=in_decoded,
                )
            )
            n += 1
        for rx in rule.regex:
            out.append(
                Pattern(
                    f"{prefix}{rule.rule}#{n}",
                    rx,
                    caseless=True,
                    max_len=_REGEX_MAX_LEN,
                    handler=handler,
                    in_decoded=in_decoded,
                )
            )
            n += 1
    return out


class _Shadow(PatternSource):
    def __init__(self, name: str, patterns: Sequence[Pattern]) -> None:
        self.name = name
        self._patterns = tuple(patterns)

    def patterns(self) -> Sequence[Pattern]:
        return self._patterns


class LexiconSource(PatternSource):
    """Base class of the content families that match lexicon rules in the single pass."""

    name = ""
    default_type = "HARM"
    #: report matches found inside decoded blocks as JAILBREAK (encoding) too
    flag_decoded = True

    def __init__(self, rules: Sequence[LexiconRule]) -> None:
        self.rules = tuple(rules)
        self._by_id: dict[str, LexiconRule] = {}
        for rule in self.rules:
            self._by_id[rule.rule] = rule
        self._patterns = rule_patterns(self.rules, "", self._handle)
        self._shadow: Engine | None = None

    # --------------------------------------------------------------- engine contract
    def patterns(self) -> Sequence[Pattern]:
        return self._patterns

    def text_hooks(self) -> Sequence[TextHook]:
        return (self._folded_hook,)

    # --------------------------------------------------------------- findings
    def rule_of(self, c: Candidate) -> LexiconRule:
        return self._by_id[c.pattern.id.rsplit("#", 1)[0]]

    def explain(self, rule: LexiconRule) -> str:
        return f"rule {rule.rule}: {rule.category}, severity {rule.severity} ({azure_level(rule.severity)})"

    def accept(self, rule: LexiconRule) -> bool:
        return True

    def _handle(self, c: Candidate) -> Iterator[Finding]:
        rule = self.rule_of(c)
        if not self.accept(rule):
            return
        yield from self.findings_for(c, rule)
        if c.view.depth > 0 and self.flag_decoded:
            yield c.finding(
                "JAILBREAK",
                rule="jailbreak.encoding.decoded",
                score=0.9,
                category="encoding",
                severity=6,
                explanation=f"encoded block decodes to text matching {rule.rule}",
                attributes=(("tier", "lexicon"), ("inner_rule", rule.rule)),
            )

    def findings_for(self, c: Candidate, rule: LexiconRule) -> Iterable[Finding]:
        yield c.finding(
            rule.type or self.default_type,
            rule=rule.rule,
            score=rule.score,
            category=rule.category or None,
            severity=rule.severity,
            explanation=self.explain(rule),
            attributes=(("tier", "lexicon"), ("level", azure_level(rule.severity))),
        )

    # --------------------------------------------------------------- evasions
    def _folded_hook(self, view: ScanView) -> list[Finding]:
        if not evasion_signal(view.text):
            return []
        folded = fold(view.text)
        if folded.text == view.text.lower():
            return []
        if self._shadow is None:
            self._shadow = Engine(
                [_Shadow(self.name + "_folded", self._patterns)],
                decode=DecodeSettings(enabled=False),
                backend="python",  # compiles instantly; runs only on texts that show an evasion
            )
        seen = {(f.rule, f.start, f.end) for f in view.findings}
        out: list[Finding] = []
        for f in self._shadow.scan(folded.text, stage=view.stage, context=view.context):
            start, end = folded.origin(f.start, f.end)
            if (f.rule, start, end) in seen or any(
                g.rule == f.rule and g.start < end and start < g.end for g in view.findings
            ):
                continue
            attrs = (*f.attributes, ("evasion", True))
            out.append(
                Finding(
                    type=f.type,
                    start=start,
                    end=end,
                    score=f.score,
                    rule=f.rule,
                    category=f.category,
                    severity=f.severity,
                    explanation=f.explanation + " (after undoing obfuscation)",
                    detector=self.name,
                    stage=view.stage,
                    attributes=attrs,
                )
            )
        return out
