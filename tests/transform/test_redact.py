from __future__ import annotations

import pytest

from airlock.detectors import Finding
from airlock.transform.redact import merge_spans, redact


def f(type_: str, start: int, end: int) -> Finding:
    return Finding(type_, start, end, 1.0, f"t.{type_.lower()}")


@pytest.mark.parametrize(
    ("text", "findings", "style", "expected"),
    [
        ("call 13800138000 now", [f("CN_PHONE", 5, 16)], "type", "call [CN_PHONE] now"),
        ("call 13800138000 now", [f("CN_PHONE", 5, 16)], "mask", "call *********** now"),
        ("a b c", [], "type", "a b c"),
        ("xxABCDyy", [f("A", 2, 5), f("LONGER", 3, 6)], "type", "xx[A]yy"),
        ("xxABCDyy", [f("SHORT", 2, 4), f("LONGER", 2, 6)], "type", "xx[LONGER]yy"),
        ("ab", [f("A", 0, 1), f("B", 1, 2)], "type", "[A][B]"),
    ],
)
def test_redact(text: str, findings: list[Finding], style: str, expected: str) -> None:
    assert redact(text, findings, style=style) == expected  # type: ignore[arg-type]


def test_merge_spans_is_ordered_and_disjoint() -> None:
    spans = merge_spans([f("B", 5, 9), f("A", 0, 3), f("C", 2, 4), f("D", 8, 12)])
    assert spans == [(0, 4, "A"), (5, 12, "B")]
