"""Compile a family's literals and regexes into ONE regular expression and run it once.

Literals become trie-shaped alternations (so a thousand terms cost about as much as a few),
guarded by word boundaries on their ASCII ends only: ``kill`` does not fire inside
``skills`` while ``炸药`` fires inside any Chinese sentence. Each regex becomes a named
group of the same expression. One ``finditer`` over the folded view yields every hit.

Until the shared detection engine (issue 3) takes these pattern lists into its single pass,
each content family runs its own compiled expression over the shared, cached folded view.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from airlock.detectors.content.lexicon import LexiconRule
from airlock.detectors.content.textview import TextView, fold

__all__ = ["Hit", "RuleMatcher", "trie_regex"]

_ASCII_ALNUM = re.compile(r"[a-z0-9]")


def trie_regex(words: Iterable[str]) -> str:
    """A regex alternation equivalent to ``a|b|c`` but shaped as a trie (fast to match)."""
    trie: _Trie = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _render(trie)


_Trie = dict[str, "_Trie"]


def _render(node: _Trie) -> str:
    end = "" in node
    branches = [re.escape(ch) + _render(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    if len(branches) == 1 and not end:
        return branches[0]
    body = "(?:" + "|".join(branches) + ")" if len(branches) > 1 else branches[0]
    if end:
        if len(branches) == 1 and len(body) > 1:
            body = "(?:" + body + ")"
        return body + "?"
    return body


@dataclass(frozen=True, slots=True)
class Hit:
    """One match: the rule, the span in the ORIGINAL text and the span in the folded view."""

    rule: LexiconRule
    start: int
    end: int
    view_start: int
    view_end: int


class RuleMatcher:
    """All rules of one family behind one compiled expression."""

    def __init__(self, rules: Sequence[LexiconRule]) -> None:
        self.rules = tuple(rules)
        self._literal_rule: dict[str, LexiconRule] = {}
        guarded: dict[tuple[bool, bool], list[str]] = {}
        for rule in self.rules:
            for lit in rule.literals:
                folded = fold(lit).text.strip()
                if not folded or folded in self._literal_rule:
                    continue
                self._literal_rule[folded] = rule
                key = (bool(_ASCII_ALNUM.match(folded[0])), bool(_ASCII_ALNUM.match(folded[-1])))
                guarded.setdefault(key, []).append(folded)
        parts: list[str] = []
        self._group_rule: dict[str, LexiconRule] = {}
        for (left, right), words in sorted(guarded.items()):
            body = trie_regex(words)
            name = f"lit{int(left)}{int(right)}"
            parts.append(
                f"(?P<{name}>"
                + ("(?<![a-z0-9])" if left else "")
                + f"(?:{body})"
                + ("(?![a-z0-9])" if right else "")
                + ")"
            )
        n = 0
        for rule in self.rules:
            for rx in rule.regex:
                name = f"rx{n}"
                n += 1
                self._group_rule[name] = rule
                parts.append(f"(?P<{name}>{rx})")
        self._pattern = re.compile("|".join(parts)) if parts else None

    @property
    def empty(self) -> bool:
        return self._pattern is None

    def hits(self, view: TextView) -> list[Hit]:
        if self._pattern is None or not view.text:
            return []
        out: list[Hit] = []
        for m in self._pattern.finditer(view.text):
            name = m.lastgroup
            if name is None or m.end() == m.start():
                continue
            rule = self._literal_rule.get(m.group()) if name.startswith("lit") else self._group_rule.get(name)
            if rule is None:
                continue
            start, end = view.origin(m.start(), m.end())
            out.append(Hit(rule=rule, start=start, end=end, view_start=m.start(), view_end=m.end()))
        return out
