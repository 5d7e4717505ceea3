"""Which finding spans an operator rewrites: overlaps resolved, deterministically.

Detectors may report overlapping or nested spans (an ADDRESS that contains a PERSON, a
PHONE inside a longer run of digits). Per text, the spans of the requested types that
overlap — directly or through a chain — are merged into ONE span covering all of them, so no
character any finding covered is left in clear. The merged span takes:

1. its action: ``redact`` if any member is redacted, else ``pseudonymise`` (irreversible wins);
2. its type, rule and score from the best member with that action, ranked by the longer
   span, then the higher score, the earlier start, the type name and the rule id.

Adjacent spans (one ends where the next starts) stay separate. The result does not depend on
the order of the findings. Empty spans are ignored. A span outside its text, or a finding
whose ``path`` is not among the texts, is a bug upstream and raises :class:`TransformError`
(fail closed: an unapplied finding would let the value through).

``airlock scan --redact`` (:func:`airlock.transform.redact.redact`) uses the same rule.

Propagation (:func:`propagate`): a value rewritten in one place is rewritten everywhere in
the request, even where the detector missed it (``张伟`` found in one message with context,
unflagged in the next), and so is every value the conversation's vault already holds for a
pseudonymised type. Only values of two or more characters are propagated, as exact matches;
a value that starts or ends with an ASCII letter or digit must not continue an ASCII word
there (``Li`` is not found inside ``Lithium``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from airlock.detectors.base import Finding

__all__ = ["Action", "Span", "TransformError", "merge", "merge_group", "propagate", "rewrite", "select_spans"]


class TransformError(ValueError):
    """Findings that cannot be applied to the texts they claim to come from."""


class Action(enum.StrEnum):
    PSEUDONYMISE = "pseudonymise"
    REDACT = "redact"


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


def _rank(s: Span) -> tuple[int, float, int, str, str]:
    return (s.start - s.end, -s.score, s.start, s.type, s.rule)


def merge_group(members: Sequence[Span]) -> Span:
    """One span covering ``members`` (which overlap), labelled as described above."""
    if len(members) == 1:
        return members[0]
    action = Action.REDACT if any(m.action is Action.REDACT for m in members) else Action.PSEUDONYMISE
    best = min((m for m in members if m.action is action), key=_rank)
    start = min(m.start for m in members)
    end = max(m.end for m in members)
    return Span(best.path, start, end, best.type, action, best.rule, best.score)


def merge(spans: Iterable[Span]) -> list[Span]:
    """Overlapping spans (of one text) merged; sorted by start, pairwise disjoint."""
    out: list[Span] = []
    group: list[Span] = []
    end = -1
    for s in sorted(spans, key=lambda s: (s.start, s.end)):
        if group and s.start < end:
            group.append(s)
            end = max(end, s.end)
            continue
        if group:
            out.append(merge_group(group))
        group = [s]
        end = s.end
    if group:
        out.append(merge_group(group))
    return out


def select_spans(
    texts: Sequence[tuple[str, str]], findings: Iterable[Finding], actions: Mapping[str, Action]
) -> dict[str, list[Span]]:
    """Disjoint spans per path (sorted by start) covering the findings whose type is in
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
    return {path: merge(spans) for path, spans in candidates.items()}


def _is_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _occurrences(text: str, value: str) -> Iterator[int]:
    check_start = _is_word(value[0])
    check_end = _is_word(value[-1])
    pos = text.find(value)
    while pos >= 0:
        end = pos + len(value)
        if not (check_start and pos > 0 and _is_word(text[pos - 1])) and not (
            check_end and end < len(text) and _is_word(text[end])
        ):
            yield pos
        pos = text.find(value, pos + 1)


def propagate(
    texts: Sequence[tuple[str, str]],
    selected: Mapping[str, list[Span]],
    known: Iterable[tuple[str, str, Action]] = (),
) -> dict[str, list[Span]]:
    """``selected`` plus every other occurrence of each rewritten value in ``texts``.

    ``known``: further ``(value, type, action)`` to look for (the scope's stored originals).
    Added spans carry the rule ``propagated`` and merge with the detected ones.
    """
    values: dict[str, Span] = {}
    by_path = dict(texts)
    for path, spans in selected.items():
        text = by_path[path]
        for s in spans:
            value = text[s.start : s.end]
            held = values.get(value)
            if held is None or (s.action is Action.REDACT and held.action is not Action.REDACT):
                values[value] = s
    for value, type_, action in known:
        values.setdefault(value, Span("", 0, 0, type_, action, "propagated", 1.0))
    values = {v: s for v, s in values.items() if len(v.strip()) >= 2}
    if not values:
        return dict(selected)
    out: dict[str, list[Span]] = {}
    for path, text in texts:
        found = list(selected.get(path, ()))
        covered = {(s.start, s.end): s.action for s in found}
        extra = [
            Span(path, pos, pos + len(value), s.type, s.action, "propagated", s.score)
            for value, s in values.items()
            for pos in _occurrences(text, value)
            if covered.get((pos, pos + len(value))) not in (s.action, Action.REDACT)
        ]
        if extra:
            found = merge([*found, *extra])
        if found:
            out[path] = found
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
