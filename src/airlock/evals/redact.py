"""Redacted, truncated answer excerpts for stored results and the HTML report.

An excerpt is made in this order: personal data found by the configured detectors is replaced
by ``[TYPE]``; then a small built-in safety net (e-mail addresses, phone numbers, Chinese
resident ids, card and other long digit runs) replaces anything the detectors did not cover;
then the text is cut to ``limit`` characters. Detectors that report harmful content or
injections (not personal data) are ignored here.
"""

from __future__ import annotations

import re

from airlock.detectors.base import Scanner, Stage

__all__ = ["excerpt", "redact"]

_NOT_PERSONAL = {"HARM", "PROMPT_INJECTION", "PROHIBITED_USE", "CLASSIFICATION_MARKING"}

_SAFETY_NET: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    (
        "CN_RESIDENT_ID",
        re.compile(r"(?<![0-9])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[\dXx](?![0-9])"),
    ),
    (
        "PHONE",
        re.compile(
            r"(?<![0-9])(?:\+?\d{1,3}[\s-]?)?(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|\(?\d{3}\)?[\s-]\d{3}[\s-]\d{4})(?![0-9])"
        ),
    ),
    ("NUMBER", re.compile(r"(?<![0-9])\d(?:[\s-]?\d){8,}(?![0-9])")),
)


def redact(text: str, scanner: Scanner | None = None) -> str:
    spans: list[tuple[int, int, str]] = []
    if scanner is not None and not scanner.empty:
        for f in scanner.scan(text, stage=Stage.COMPLETION):
            if f.type not in _NOT_PERSONAL and f.end > f.start:
                spans.append((f.start, f.end, f.type))
    out = _apply(text, spans)
    for label, pattern in _SAFETY_NET:
        out = pattern.sub(f"[{label}]", out)
    return out


def _apply(text: str, spans: list[tuple[int, int, str]]) -> str:
    if not spans:
        return text
    pieces: list[str] = []
    cursor = 0
    for start, end, label in sorted(spans):
        if start < cursor:  # overlapping finding: the earlier, longer one already covers it
            continue
        pieces.append(text[cursor:start])
        pieces.append(f"[{label}]")
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def excerpt(text: str, *, limit: int = 280, scanner: Scanner | None = None) -> str:
    cleaned = redact(text.strip(), scanner)
    if len(cleaned) <= limit:
        return cleaned
    return cleaned[: limit - 1].rstrip() + "…"
