from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from airlock.detectors.base import Finding

FindingFactory = Callable[..., Finding]


def make_finding(
    texts: Sequence[tuple[str, str]], path: str, type_: str, value: str, *, nth: int = 0, score: float = 0.9,
    rule: str | None = None,
) -> Finding:
    """A finding for the ``nth`` occurrence of ``value`` in the text at ``path``."""
    text = dict(texts)[path]
    start = -1
    for _ in range(nth + 1):
        start = text.index(value, start + 1)
    return Finding(type_, start, start + len(value), score, rule or f"pii.{type_.lower()}", path=path)


def findings_for(texts: Sequence[tuple[str, str]], values: Sequence[tuple[str, str]]) -> list[Finding]:
    """A finding for every occurrence of each ``(type, value)`` in every text."""
    out: list[Finding] = []
    for path, text in texts:
        for type_, value in values:
            start = text.find(value)
            while start >= 0:
                out.append(Finding(type_, start, start + len(value), 0.9, f"pii.{type_.lower()}", path=path))
                start = text.find(value, start + len(value))
    return out


@pytest.fixture
def finding() -> FindingFactory:
    return make_finding
