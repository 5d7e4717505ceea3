"""Detectors: find personal data, markings, secrets and harmful content in text."""

from __future__ import annotations

from airlock.detectors.base import Detector, Finding, ScanContext, Scanner, Stage
from airlock.detectors.engine import (
    Candidate,
    ContextPatterns,
    Emit,
    Engine,
    Pattern,
    PatternDetector,
    PatternSource,
    ScanView,
    TextHook,
)
from airlock.detectors.registry import DetectorSet, available, build_scanner, register

__all__ = [
    "Candidate",
    "ContextPatterns",
    "Detector",
    "DetectorSet",
    "Emit",
    "Engine",
    "Finding",
    "Pattern",
    "PatternDetector",
    "PatternSource",
    "ScanContext",
    "ScanView",
    "Scanner",
    "Stage",
    "TextHook",
    "available",
    "build_scanner",
    "register",
]
