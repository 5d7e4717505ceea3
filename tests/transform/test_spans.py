"""Span selection: overlaps, nesting, ties, bad spans."""

from __future__ import annotations

import pytest

from airlock.detectors.base import Finding
from airlock.transform import Action, TransformError, select_spans

P = Action.PSEUDONYMISE
R = Action.REDACT
TEXT = "0123456789abcdefghij"
TEXTS = [("m", TEXT)]


def f(type_: str, start: int, end: int, score: float = 0.9, path: str = "m", rule: str = "r") -> Finding:
    return Finding(type_, start, end, score, rule, path=path)


# (findings, actions, selected (type, action, start, end) in order)
CASES = [
    # disjoint spans are all kept, in text order
    ([f("A", 5, 8), f("B", 0, 3)], {"A": P, "B": P}, [("B", P, 0, 3), ("A", P, 5, 8)]),
    # adjacent spans do not overlap
    ([f("A", 0, 3), f("B", 3, 6)], {"A": P, "B": P}, [("A", P, 0, 3), ("B", P, 3, 6)]),
    # nested: the container
    ([f("PERSON", 4, 6), f("ADDRESS", 2, 10)], {"PERSON": P, "ADDRESS": P}, [("ADDRESS", P, 2, 10)]),
    # partial overlap: the union, labelled by the longer; no character is left in clear
    ([f("A", 0, 5), f("B", 3, 10)], {"A": P, "B": P}, [("B", P, 0, 10)]),
    # a chain merges as a whole
    ([f("A", 0, 4), f("B", 3, 9), f("C", 8, 12)], {"A": P, "B": P, "C": P}, [("B", P, 0, 12)]),
    ([f("A", 0, 4), f("B", 4, 9), f("C", 2, 6)], {"A": P, "B": P, "C": P}, [("B", P, 0, 9)]),
    # a chain broken by adjacency stays two spans
    ([f("A", 0, 4), f("B", 2, 5), f("C", 5, 9)], {"A": P, "B": P, "C": P}, [("A", P, 0, 5), ("C", P, 5, 9)]),
    # same span: redact beats pseudonymise
    ([f("PHONE", 2, 8), f("CN_RESIDENT_ID", 2, 8)], {"PHONE": P, "CN_RESIDENT_ID": R}, [("CN_RESIDENT_ID", R, 2, 8)]),
    # any redacted member redacts the group, labelled by the best redacted member
    ([f("ADDRESS", 0, 15), f("CN_RESIDENT_ID", 3, 8)], {"ADDRESS": P, "CN_RESIDENT_ID": R},
     [("CN_RESIDENT_ID", R, 0, 15)]),
    # same length, same action: higher score
    ([f("A", 2, 8, 0.5), f("B", 3, 9, 0.8)], {"A": P, "B": P}, [("B", P, 2, 9)]),
    # everything equal but start: the earlier one
    ([f("B", 3, 9), f("A", 2, 8)], {"A": P, "B": P}, [("A", P, 2, 9)]),
    # identical span and score: type name decides
    ([f("ZED", 2, 8), f("ALPHA", 2, 8)], {"ALPHA": P, "ZED": P}, [("ALPHA", P, 2, 8)]),
    # types not asked for are ignored, even when they are longer
    ([f("ADDRESS", 0, 10), f("PERSON", 2, 5)], {"PERSON": P}, [("PERSON", P, 2, 5)]),
    # empty spans are ignored
    ([f("A", 3, 3), f("B", 4, 6)], {"A": P, "B": P}, [("B", P, 4, 6)]),
    # duplicate findings collapse to one
    ([f("A", 1, 4), f("A", 1, 4, rule="other")], {"A": P}, [("A", P, 1, 4)]),
    # the whole text
    ([f("A", 0, 20)], {"A": R}, [("A", R, 0, 20)]),
]


@pytest.mark.parametrize(("findings", "actions", "expected"), CASES)
def test_overlap_resolution(
    findings: list[Finding], actions: dict[str, Action], expected: list[tuple[str, Action, int, int]]
) -> None:
    spans = select_spans(TEXTS, findings, actions).get("m", [])
    assert [(s.type, s.action, s.start, s.end) for s in spans] == expected


@pytest.mark.parametrize("order", [0, 1, 2])
def test_result_does_not_depend_on_finding_order(order: int) -> None:
    base = [f("A", 0, 5), f("B", 3, 10), f("C", 9, 14), f("D", 14, 16), f("E", 12, 20)]
    shuffled = base[order:] + base[:order]
    a = select_spans(TEXTS, base, dict.fromkeys("ABCDE", P))
    b = select_spans(TEXTS, shuffled, dict.fromkeys("ABCDE", P))
    assert a == b


def test_paths_are_kept_apart() -> None:
    texts = [("a", "xxxx"), ("b", "yyyy")]
    spans = select_spans(texts, [f("A", 0, 4, path="a"), f("A", 1, 3, path="b")], {"A": P})
    assert [(s.path, s.start) for s in spans["a"]] == [("a", 0)]
    assert [(s.path, s.start) for s in spans["b"]] == [("b", 1)]


@pytest.mark.parametrize(
    ("texts", "finding", "message"),
    [
        (TEXTS, f("A", 15, 21), "outside"),
        (TEXTS, f("A", 0, 2, path="other"), "not among the texts"),
        ([("m", "a"), ("m", "b")], f("A", 0, 1), "twice"),
    ],
)
def test_bad_spans_fail_closed(texts: list[tuple[str, str]], finding: Finding, message: str) -> None:
    with pytest.raises(TransformError, match=message):
        select_spans(texts, [finding], {"A": P})


def test_bad_spans_of_other_types_are_ignored() -> None:
    assert select_spans(TEXTS, [f("B", 15, 99, path="elsewhere")], {"A": P}) == {}
