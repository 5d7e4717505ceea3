"""Detectors: find personal data, markings, secrets and harmful content in text."""

from __future__ import annotations

from airlock.detectors.base import Detector, Finding, ScanContext, Scanner, Stage
from airlock.detectors.registry import DetectorSet, available, build_scanner, register

__all__ = [
    "Detector",
    "DetectorSet",
    "Finding",
    "ScanContext",
    "Scanner",
    "Stage",
    "available",
    "build_scanner",
    "register",
]
