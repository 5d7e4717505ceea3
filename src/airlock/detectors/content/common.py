"""Helpers shared by the content families: the Azure severity scale and lexicon loading."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from airlock.detectors.content.lexicon import Lexicon, LexiconRule, load_builtin, load_lexicon

__all__ = [
    "AZURE_LEVELS",
    "azure_level",
    "classifier_severity",
    "load_lexicons",
    "trimmed_severity",
]

#: Azure OpenAI annotation levels on the 0-7 scale (0-1 safe, 2-3 low, 4-5 medium, 6-7 high)
AZURE_LEVELS = ("safe", "safe", "low", "low", "medium", "medium", "high", "high")


def azure_level(severity: int) -> str:
    """``safe`` / ``low`` / ``medium`` / ``high`` like Azure OpenAI content-filter annotations."""
    return AZURE_LEVELS[max(0, min(7, severity))]


def trimmed_severity(severity: int) -> int:
    """Azure ``FourSeverityLevels`` output: [0,1]->0, [2,3]->2, [4,5]->4, [6,7]->6."""
    return max(0, min(7, severity)) // 2 * 2


def classifier_severity(probability: float, threshold: float) -> int:
    """Map a probability at or above ``threshold`` onto severity 2..7 (low at the threshold)."""
    if probability < threshold:
        return 0 if probability < threshold / 2 else 1
    span = max(1.0 - threshold, 1e-6)
    return max(2, min(7, 2 + int((probability - threshold) / span * 6)))


def load_lexicons(builtin: Sequence[str], extra: Sequence[str]) -> list[Lexicon]:
    return [*(load_builtin(name) for name in builtin), *(load_lexicon(path) for path in extra)]


def rules_of(lexicons: Iterable[Lexicon]) -> list[LexiconRule]:
    return [rule for lex in lexicons for rule in lex.rules]
