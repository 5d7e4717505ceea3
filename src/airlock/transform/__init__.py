"""Operators that change text, driven by detector findings (detectors never rewrite):
reversible pseudonymisation, irreversible redaction, and restoring originals in completions
(whole or streamed). See docs/pseudonymisation.md.
"""

from __future__ import annotations

from airlock.transform.apply import Replacement, Transformed, transform
from airlock.transform.body import parse_path, with_texts
from airlock.transform.placeholders import DEFAULT_FORMAT, PlaceholderFormat, canonical_type, token
from airlock.transform.pseudonymise import Pseudonym, PseudonymMap, RestoreFrom, pseudonymise
from airlock.transform.redact import DEFAULT_REDACTION, RedactionFormat, RedactStyle, merge_spans, redact, redact_texts
from airlock.transform.response import ChunkRestorer, restore_completion
from airlock.transform.restore import Restorer, StreamRestorer
from airlock.transform.spans import Action, Span, TransformError, select_spans
from airlock.transform.values import normalise_value

__all__ = [
    "DEFAULT_FORMAT",
    "DEFAULT_REDACTION",
    "Action",
    "ChunkRestorer",
    "PlaceholderFormat",
    "Pseudonym",
    "PseudonymMap",
    "RedactStyle",
    "RedactionFormat",
    "Replacement",
    "RestoreFrom",
    "Restorer",
    "Span",
    "StreamRestorer",
    "TransformError",
    "Transformed",
    "canonical_type",
    "merge_spans",
    "normalise_value",
    "parse_path",
    "pseudonymise",
    "redact",
    "redact_texts",
    "restore_completion",
    "select_spans",
    "token",
    "transform",
    "with_texts",
]
