"""Airlock: a governed, air-gapped, OpenAI-compatible gateway for large language models."""

from __future__ import annotations

from airlock.config import Config, load_config
from airlock.detectors import Finding, Scanner, Stage
from airlock.errors import AirlockError

__all__ = [
    "AirlockError",
    "Config",
    "Finding",
    "Scanner",
    "Stage",
    "load_config",
]

__version__ = "0.1.0"
