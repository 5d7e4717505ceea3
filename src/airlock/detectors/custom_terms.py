"""``custom_terms``: customer dictionaries (literal or regex, Chinese and English) from config.

Global terms are static patterns; per-tenant and per-deployment terms come from
:meth:`CustomTerms.context_patterns`, so the engine compiles each distinct dictionary set into
the same single pass (and caches it). Every match is a ``CUSTOM_TERM`` finding carrying the
term's category, sensitivity and optional classification level.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from airlock.detectors.base import ScanContext
from airlock.detectors.engine import ContextPatterns, Emit, Pattern, PatternSource
from airlock.detectors.registry import register
from airlock.detectors.settings import CustomTerm, CustomTermsSettings, parse_settings

__all__ = ["CustomTerms", "term_patterns"]


def _term_id(prefix: str, index: int, term: CustomTerm) -> str:
    if term.id:
        return f"{prefix}.{term.id}"
    digest = hashlib.sha256((term.term or term.regex or "").encode()).hexdigest()[:8]
    return f"{prefix}.{index}.{digest}"


def term_patterns(terms: Sequence[CustomTerm], prefix: str) -> tuple[Pattern, ...]:
    """Compile configured terms into engine patterns with ids under ``prefix``."""
    out: list[Pattern] = []
    for i, t in enumerate(terms):
        emit = Emit(
            type="CUSTOM_TERM",
            score=t.score,
            sensitive=t.sensitive or t.sensitive_category is not None,
            sensitive_category=t.sensitive_category,
            level=t.level,
            category=t.category,
            explanation=f"matches a configured {t.category} term",
        )
        if t.term is not None:
            out.append(
                Pattern(
                    _term_id(prefix, i, t),
                    t.term.strip(),
                    literal=True,
                    caseless=t.caseless,
                    word=t.word,
                    emit=emit,
                )
            )
        else:
            assert t.regex is not None
            out.append(Pattern(_term_id(prefix, i, t), t.regex, caseless=t.caseless, max_len=t.max_len, emit=emit))
    return tuple(out)


class CustomTerms(PatternSource):
    name = "custom_terms"

    def __init__(self, settings: CustomTermsSettings) -> None:
        self.settings = settings
        self._static = term_patterns(settings.terms, "custom")
        self._tenants = {k: term_patterns(v, f"custom.tenant.{k}") for k, v in settings.tenants.items()}
        self._deployments = {k: term_patterns(v, f"custom.deployment.{k}") for k, v in settings.deployments.items()}

    def patterns(self) -> Sequence[Pattern]:
        return self._static

    def context_patterns(self, context: ScanContext) -> ContextPatterns | None:
        tenant = self._tenants.get(context.tenant or "", ()) if context.tenant else ()
        deployment = self._deployments.get(context.deployment or "", ()) if context.deployment else ()
        if not tenant and not deployment:
            return None
        key = (context.tenant if tenant else None, context.deployment if deployment else None)
        return ContextPatterns(key, (*tenant, *deployment))


@register("custom_terms")
def _factory(settings: Mapping[str, Any]) -> CustomTerms:
    return CustomTerms(parse_settings(CustomTermsSettings, settings, "custom_terms"))
