"""Which finding spans an operator rewrites: overlaps resolved, deterministically.

Detectors may report overlapping or nested spans (an ADDRESS that contains a PERSON, a
PHONE inside a CN_RESIDENT_ID-shaped run of digits). Per text, the spans of the requested
types are ranked and taken greedily, skipping any that overlaps one already taken:

1. the longer span first (it covers the other, so nothing the shorter one hides leaks);
2. on equal length, ``redact`` before ``pseudonymise`` (irreversible beats reversible);
3. then the higher score, the earlier start, the type name and the rule id.

Empty spans are ignored. A span outside its text, or a finding whose ``path`` is not among
the texts, is a bug upstream and raises :class:`TransformError` (fail closed: an unapplied
finding would let the value through).
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from airlock.detectors.base import Finding

__all__ = ["Action", "Span", "TransformError", "rewrite", "select_spans"]


class TransformError(ValueError):
    """Findings that cannot be applied to the texts they claim to come from."""


class Action(enum.StrEnum):
    PSEUDONYMISE = "pseudonymise"
    REDACT = "redact"


_RANK = {Action.REDACT: 0, Action.PSEUDONYMISE: 1}


@dataclass(frozen=True, slots=True)
class Span:
    """One selected span of one text, with what to do with it."""

    path: str
    start: int
    end: int
    type: str
    action: Action
    rule: str
    score: float


def _order(s: Span) -> tuple[int, int, float, int, str, str]:
    return (s.start - s.end, _RANK[s.action], -s.score, s.start, s.type, s.rule)


def select_spans(
    texts: Sequence[tuple[str, str]], findings: Iterable[Finding], actions: Mapping[str, Action]
) -> dict[str, list[Span]]:
    """Non-overlapping spans per path (sorted by start) for the findings whose type is in
    ``actions``."""
    lengths: dict[str, int] = {}
    for path, text in texts:
        if path in lengths:
            raise TransformError(f"text path {path!r} appears twice")
        lengths[path] = len(text)
    candidates: dict[str, list[Span]] = {}
    for f in findings:
        action = actions.get(f.type)
        if action is None or f.end <= f.start:
            continue
        size = lengths.get(f.path)
        if size is None:
            raise TransformError(f"finding {f.rule!r} refers to path {f.path!r}, which is not among the texts")
        if f.end > size:
            raise TransformError(f"finding {f.rule!r} span [{f.start}, {f.end}) is outside {f.path!r} ({size} chars)")
        candidates.setdefault(f.path, []).append(Span(f.path, f.start, f.end, f.type, action, f.rule, f.score))
    out: dict[str, list[Span]] = {}
    for path, spans in candidates.items():
        starts: list[int] = []
        taken: list[Span] = []
        for s in sorted(spans, key=_order):
            i = bisect.bisect_left(starts, s.start)
            if i > 0 and taken[i - 1].end > s.start:
                continue
            if i < len(taken) and taken[i].start < s.end:
                continue
            starts.insert(i, s.start)
            taken.insert(i, s)
        out[path] = taken
    return out


def rewrite(text: str, spans: Sequence[Span], render: Callable[[Span, str], str]) -> str:
    """``text`` with each span (sorted, non-overlapping) replaced by ``render(span, value)``."""
    if not spans:
        return text
    parts: list[str] = []
    pos = 0
    for s in spans:
        parts.append(text[pos : s.start])
        parts.append(render(s, text[s.start : s.end]))
        pos = s.end
    parts.append(text[pos:])
    return "".join(parts)
