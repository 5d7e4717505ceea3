"""Operators driven by detector spans: reversible pseudonymisation, irreversible redaction,
and restoring originals in completions (whole or streamed).

Detectors *find*; these modules *change*. See docs/pseudonymisation.md.
"""

from __future__ import annotations

from airlock.transform.apply import Replacement, Transformed, transform
from airlock.transform.body import parse_path, with_texts
from airlock.transform.placeholders import DEFAULT_FORMAT, PlaceholderFormat, canonical_type, token
from airlock.transform.pseudonymise import Pseudonym, PseudonymMap, RestoreFrom, pseudonymise
from airlock.transform.redact import DEFAULT_REDACTION, RedactionFormat, redact
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
    "RedactionFormat",
    "Replacement",
    "RestoreFrom",
    "Restorer",
    "Span",
    "StreamRestorer",
    "TransformError",
    "Transformed",
    "canonical_type",
    "normalise_value",
    "parse_path",
    "pseudonymise",
    "redact",
    "restore_completion",
    "select_spans",
    "token",
    "transform",
    "with_texts",
]
