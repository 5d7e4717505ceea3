"""The packaged content classifier (hashed character n-grams, numpy-only inference)."""

from __future__ import annotations

from airlock.classifier.model import ContentClassifier, Scores, load_default

__all__ = ["ContentClassifier", "Scores", "load_default"]
