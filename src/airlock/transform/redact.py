"""Irreversible redaction: a span becomes a fixed marker such as ``[REDACTED:EMAIL]``.

Driven only by spans (offsets into the original text), so it works for any detector. Nothing
is stored; the original cannot be recovered. Overlapping spans are merged into one marker
labelled with the type of the longest finding (:mod:`airlock.transform.spans`).

Two entry points:

* :func:`redact_texts` — the policy operator on a request's ``(path, text)`` pairs, for the
  types the policy names, with the configured :class:`RedactionFormat` (``vault.redaction_format``);
* :func:`redact` — one text, every finding, ``[TYPE]`` or ``*****``: the preview that
  ``airlock scan --redact`` prints.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Literal

from airlock.detectors.base import Finding
from airlock.transform.spans import Action, Span, merge

__all__ = ["DEFAULT_REDACTION", "RedactStyle", "RedactionFormat", "merge_spans", "redact", "redact_texts"]

DEFAULT_REDACTION = "[REDACTED:{type}]"

RedactStyle = Literal["type", "mask"]


class RedactionFormat:
    """A marker template; ``{type}`` (optional) is replaced by the entity type, the rest is
    literal."""

    def __init__(self, template: str = DEFAULT_REDACTION) -> None:
        if not template or "\n" in template or len(template) > 64:
            raise ValueError("redaction format must be 1-64 characters on one line")
        if "{n}" in template or template.count("{type}") > 1:
            raise ValueError(f"redaction format {template!r} may contain {{type}} once and no {{n}}")
        self.template = template

    def render(self, type_: str) -> str:
        return self.template.replace("{type}", type_)

    def __repr__(self) -> str:
        return f"RedactionFormat({self.template!r})"


def redact_texts(
    texts: Sequence[tuple[str, str]],
    findings: Iterable[Finding],
    *,
    types: Collection[str],
    fmt: RedactionFormat | None = None,
) -> list[tuple[str, str]]:
    """Replace the spans of ``types`` in ``texts`` by redaction markers (same order). Use
    :func:`airlock.transform.apply.transform` to redact and pseudonymise in one pass."""
    from airlock.transform.apply import transform

    result = transform(texts, findings, actions=dict.fromkeys(types, Action.REDACT), redaction=fmt)
    return list(result.texts)


def merge_spans(findings: Iterable[Finding]) -> list[tuple[int, int, str]]:
    """Non-overlapping ``(start, end, type)`` spans covering every finding of one text, in order."""
    spans = (Span("", f.start, f.end, f.type, Action.REDACT, f.rule, f.score) for f in findings if f.end > f.start)
    return [(s.start, s.end, s.type) for s in merge(spans)]


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
