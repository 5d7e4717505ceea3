"""Redaction: replace the spans of findings with placeholders.

Driven only by spans (offsets into the original text), so it works for any detector. Spans
that overlap are merged into one redaction labelled with the type of the longest finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from airlock.detectors.base import Finding

__all__ = ["RedactStyle", "merge_spans", "redact"]

RedactStyle = Literal["type", "mask"]


def merge_spans(findings: Iterable[Finding]) -> list[tuple[int, int, str]]:
    """Non-overlapping ``(start, end, type)`` spans covering every finding, in order."""
    spans = sorted(((f.start, f.end, f.type) for f in findings if f.end > f.start), key=lambda s: (s[0], -s[1]))
    merged: list[tuple[int, int, str]] = []
    for start, end, type_ in spans:
        if merged and start < merged[-1][1]:
            s0, e0, t0 = merged[-1]
            label = t0 if e0 - s0 >= end - start else type_
            merged[-1] = (s0, max(e0, end), label)
        else:
            merged.append((start, end, type_))
    return merged


def redact(text: str, findings: Iterable[Finding], *, style: RedactStyle = "type") -> str:
    """``text`` with every finding replaced: ``[EMAIL]`` (style ``type``) or ``*****`` (``mask``)."""
    out: list[str] = []
    pos = 0
    for start, end, type_ in merge_spans(findings):
        out.append(text[pos:start])
        out.append(f"[{type_}]" if style == "type" else "*" * (end - start))
        pos = end
    out.append(text[pos:])
    return "".join(out)
