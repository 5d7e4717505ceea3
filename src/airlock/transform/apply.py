"""One pass over a request's texts applying both operators, with a record for the audit log.

The policy may pseudonymise some types and redact others in the same request; doing both
in one pass keeps every span relative to the original text and resolves overlaps between
them (see :mod:`airlock.transform.spans`).

Tool-call arguments (paths ending in ``.arguments``) are JSON documents, and detectors report
spans into the JSON text. A value found there is stored JSON-decoded (``a\\"b`` → ``a"b``), so
it reads the same wherever it is restored: as plain text in ``content``, re-escaped in
arguments.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from airlock.detectors.base import Finding
from airlock.transform.pseudonymise import PseudonymMap
from airlock.transform.redact import RedactionFormat
from airlock.transform.spans import Action, Span, propagate, rewrite, select_spans

__all__ = ["Replacement", "Transformed", "transform"]


@dataclass(frozen=True, slots=True)
class Replacement:
    """One rewritten span: where, what, and the placeholder token (never the value)."""

    path: str
    start: int
    end: int
    type: str
    action: Action
    rule: str
    #: ``PERSON_1`` for a pseudonym, None for a redaction
    placeholder: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "start": self.start,
            "end": self.end,
            "type": self.type,
            "action": str(self.action),
            "rule": self.rule,
        }
        if self.placeholder is not None:
            out["placeholder"] = self.placeholder
        return out


@dataclass(frozen=True, slots=True)
class Transformed:
    texts: tuple[tuple[str, str], ...]
    replacements: tuple[Replacement, ...]

    def changed(self) -> dict[str, str]:
        """``path → new text`` for the texts that were rewritten."""
        paths = {r.path for r in self.replacements}
        return {path: text for path, text in self.texts if path in paths}

    def summary(self) -> dict[str, Any]:
        """Counts per action and type plus the placeholder tokens issued: safe for the audit log."""
        counts: dict[str, Counter[str]] = {}
        for r in self.replacements:
            counts.setdefault(str(r.action), Counter())[r.type] += 1
        return {
            "counts": {action: dict(sorted(c.items())) for action, c in sorted(counts.items())},
            "placeholders": sorted({r.placeholder for r in self.replacements if r.placeholder}),
        }


def _json_value(path: str, raw: str) -> str:
    if "\\" not in raw or not path.endswith(".arguments"):
        return raw
    try:
        decoded = orjson.loads(f'"{raw}"')
    except orjson.JSONDecodeError:
        return raw
    return decoded if isinstance(decoded, str) else raw


def transform(
    texts: Sequence[tuple[str, str]],
    findings: Iterable[Finding],
    *,
    actions: Mapping[str, Action],
    pseudonyms: PseudonymMap | None = None,
    redaction: RedactionFormat | None = None,
    propagate_values: bool = True,
) -> Transformed:
    """Rewrite the spans of the types in ``actions``; other findings are left alone.

    With ``propagate_values`` (the default) every other occurrence of a rewritten value, and
    of a value the scope already holds, is rewritten too (:func:`airlock.transform.spans.propagate`).

    ``pseudonyms`` is required when any action is :attr:`Action.PSEUDONYMISE`; it receives
    the issued pseudonyms (``pseudonyms.new``), which the caller saves to the vault before
    the rewritten texts leave the gateway.
    """
    wants_pseudonyms = Action.PSEUDONYMISE in actions.values()
    if wants_pseudonyms and pseudonyms is None:
        raise ValueError("pseudonymisation needs a PseudonymMap (from Vault.load or a request-scoped one)")
    marker = redaction or RedactionFormat()
    if pseudonyms is not None and wants_pseudonyms:
        pseudonyms.taint(text for _, text in texts)
    selected = select_spans(texts, findings, actions)
    if propagate_values:
        known = (
            (p.original, p.type, Action.PSEUDONYMISE)
            for p in (pseudonyms.known() if pseudonyms is not None else ())
            if actions.get(p.type) is Action.PSEUDONYMISE
        )
        selected = propagate(texts, selected, known)
    out: list[tuple[str, str]] = []
    done: list[Replacement] = []
    for path, text in texts:
        spans = selected.get(path)
        if not spans:
            out.append((path, text))
            continue

        def render(span: Span, value: str) -> str:
            if span.action is Action.REDACT:
                done.append(Replacement(span.path, span.start, span.end, span.type, span.action, span.rule))
                return marker.render(span.type)
            assert pseudonyms is not None
            p = pseudonyms.assign(span.type, _json_value(span.path, value))
            done.append(
                Replacement(span.path, span.start, span.end, span.type, span.action, span.rule, p.token)
            )
            return pseudonyms.format.render(p.type, p.n)

        out.append((path, rewrite(text, spans, render)))
    return Transformed(tuple(out), tuple(done))
