"""Statistical taggers that ship with Airlock (numpy inference, weights as package data)."""

from __future__ import annotations

from airlock.detectors.ner.tagger import NameSpan, NameTagger, default_tagger

__all__ = ["NameSpan", "NameTagger", "default_tagger"]
