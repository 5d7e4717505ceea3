"""Operators that change text, driven by detector findings (detectors never rewrite)."""
