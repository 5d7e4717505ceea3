from __future__ import annotations

from functools import cache

import pytest

from airlock.detectors import Engine, build_scanner
from airlock.detectors.base import Finding

FAMILIES = ("content_harm", "cn_tc260", "prompt_injection", "prohibited_use")


@cache
def content_scanner(classifier: bool = False) -> Engine:
    """One compiled engine per configuration for the whole session (compiling takes seconds)."""
    off = {} if classifier else {"classifier": {"enabled": False}}
    return build_scanner(list(FAMILIES), {"content_harm": off, "prompt_injection": off})


def scan(text: str, *, classifier: bool = False) -> list[Finding]:
    return content_scanner(classifier).scan(text)


@pytest.fixture
def fast() -> Engine:
    return content_scanner(False)
