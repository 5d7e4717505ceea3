"""Irreversible redaction: a span becomes a fixed marker such as ``[REDACTED:EMAIL]``.

Nothing is stored; the original cannot be recovered. The marker is a template in which
``{type}`` (optional) is replaced by the entity type; everything else is literal.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from airlock.detectors.base import Finding
from airlock.transform.spans import Action

__all__ = ["DEFAULT_REDACTION", "RedactionFormat", "redact"]

DEFAULT_REDACTION = "[REDACTED:{type}]"


class RedactionFormat:
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


def redact(
    texts: Sequence[tuple[str, str]],
    findings: Iterable[Finding],
    *,
    types: Collection[str],
    fmt: RedactionFormat | None = None,
) -> list[tuple[str, str]]:
    """Replace the spans of ``types`` in ``texts`` by redaction markers (same order)."""
    from airlock.transform.apply import transform

    result = transform(texts, findings, actions=dict.fromkeys(types, Action.REDACT), redaction=fmt)
    return list(result.texts)
