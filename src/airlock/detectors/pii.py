"""``pii``: personal and sensitive personal information, Chinese and English.

One family, several pattern modules (identifiers, contact and location, names, addresses,
PIPL Art. 28 sensitive attributes), all contributing to the single pass. ``types`` /
``exclude`` in the settings choose entity types; ``min_score`` drops weak findings.

Entity types: CN_RESIDENT_ID, CN_PHONE, PAYMENT_CARD, CN_PASSPORT, PASSPORT, CN_HMT_PERMIT,
CN_USCC, CN_LICENSE_PLATE, EMAIL, PHONE, US_SSN, IBAN, IP_ADDRESS, DATE_OF_BIRTH,
GEO_COORDINATE, PERSON, ADDRESS, BANK_ACCOUNT, SENSITIVE_ATTRIBUTE.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from airlock.detectors.base import Finding
from airlock.detectors.engine import Candidate, MatchHandler, Pattern, PatternSource, ScanView, TextHook
from airlock.detectors.pii_address import address_patterns
from airlock.detectors.pii_contact import contact_patterns
from airlock.detectors.pii_ids import id_patterns
from airlock.detectors.pii_names import name_list_hook, name_patterns, person_model_hook
from airlock.detectors.registry import register
from airlock.detectors.sensitive import sensitive_patterns
from airlock.detectors.settings import PiiSettings, parse_settings

__all__ = ["PII_TYPES", "Pii"]

PII_TYPES = (
    "CN_RESIDENT_ID",
    "CN_PHONE",
    "PAYMENT_CARD",
    "CN_PASSPORT",
    "PASSPORT",
    "CN_HMT_PERMIT",
    "CN_USCC",
    "CN_LICENSE_PLATE",
    "EMAIL",
    "PHONE",
    "US_SSN",
    "IBAN",
    "IP_ADDRESS",
    "DATE_OF_BIRTH",
    "GEO_COORDINATE",
    "PERSON",
    "ADDRESS",
    "BANK_ACCOUNT",
    "SENSITIVE_ATTRIBUTE",
)


def _filtered(handler: MatchHandler, allowed: frozenset[str], min_score: float) -> MatchHandler:
    def handle(c: Candidate) -> Iterator[Finding]:
        for f in handler(c):
            if f.type in allowed and f.score >= min_score:
                yield f

    return handle


def _filtered_hook(hook: TextHook, min_score: float) -> TextHook:
    def run(view: ScanView) -> Iterator[Finding]:
        return (f for f in hook(view) if f.score >= min_score)

    return run


class Pii(PatternSource):
    name = "pii"

    def __init__(self, settings: PiiSettings | None = None) -> None:
        self.settings = settings or PiiSettings()
        s = self.settings
        unknown = sorted(set(s.types or ()).union(s.exclude) - set(PII_TYPES))
        if unknown:
            from airlock.errors import ConfigError

            raise ConfigError(
                f"detectors.settings.pii: unknown entity types {', '.join(unknown)}; known: {', '.join(PII_TYPES)}"
            )
        allowed = frozenset(s.types or PII_TYPES) - frozenset(s.exclude)
        fixed = dt.date.fromisoformat(s.reference_date) if s.reference_date else None

        def today() -> dt.date:
            return fixed or dt.date.today()

        groups: Iterable[tuple[Pattern, tuple[str, ...]]] = [
            *id_patterns(today),
            *contact_patterns(today, s.phone_regions),
            *name_patterns(),
            *address_patterns(),
            *sensitive_patterns(),
        ]
        patterns: list[Pattern] = []
        for p, types in groups:
            if not allowed.intersection(types):
                continue
            if p.handler is not None and (not allowed.issuperset(types) or s.min_score > 0):
                patterns.append(replace(p, handler=_filtered(p.handler, allowed, s.min_score)))
            else:
                patterns.append(p)
        self._patterns = tuple(patterns)
        hooks: tuple[TextHook, ...] = ()
        if "PERSON" in allowed:
            # the tagger first, so that a list after a name it found is followed too
            hooks = (person_model_hook, name_list_hook) if s.person_model else (name_list_hook,)
        if s.min_score > 0:
            hooks = tuple(_filtered_hook(h, s.min_score) for h in hooks)
        self._hooks = hooks

    def patterns(self) -> Sequence[Pattern]:
        return self._patterns

    def text_hooks(self) -> Sequence[TextHook]:
        return self._hooks


@register("pii")
def _factory(settings: Mapping[str, Any]) -> Pii:
    return Pii(parse_settings(PiiSettings, settings, "pii"))
