from __future__ import annotations

import pytest

from airlock.detectors.normalize import normalize
from tests.detectors.helpers import scanner


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("plain ascii", "plain ascii"),
        ("中文，标点！", "中文，标点！"),  # Chinese full-width punctuation is kept
        ("１３８００１３８０００", "13800138000"),
        ("ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", "john@example.com"),
        ("a\u200bb\u200dc\u2060d\ufeffe", "abcde"),
        ("\u202eevil\u202c", "evil"),
        ("ﬁle ① ㈱", "file 1 (株)"),
        ("раypal", "paypal"),  # Cyrillic р and а
        ("138\u20130013\u20148000", "138-0013-8000"),
        ("a\u3000b\u00a0c", "a b c"),
    ],
)
def test_normalise(text: str, normalised: str) -> None:
    assert normalize(text).text == normalised


def test_identity_when_nothing_changes() -> None:
    n = normalize("我们在北京开会，请联系张伟。")
    assert n.identity
    assert n.span_to_original(2, 4) == (2, 4)


def test_offsets_map_back_through_deletions_and_expansions() -> None:
    text = "x\u200b\u200bﬁ\u200bY"
    n = normalize(text)
    assert n.text == "xfiY"
    assert n.span_to_original(0, 1) == (0, 1)
    assert n.span_to_original(1, 3) == (3, 4)  # "fi" came from the ligature
    assert n.span_to_original(1, 2) == (3, 4)
    assert n.span_to_original(3, 4) == (5, 6)
    assert n.span_to_original(0, 4) == (0, 6)


@pytest.mark.parametrize(
    ("text", "type_", "span"),
    [
        ("电话：１３８\u200b００１３\u200b８０００。", "CN_PHONE", "１３８\u200b００１３\u200b８０００"),
        ("mail ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ ok", "EMAIL", "ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ"),
        ("ﬁrst \u202e4111\u200b1111 1111 1111\u202c end", "PAYMENT_CARD", "4111\u200b1111 1111 1111"),
        ("身份证①①０１０５１９４９１２３１００２Ｘ", "CN_RESIDENT_ID", "①①０１０５１９４９１２３１００２Ｘ"),
        ("ТОР SЕCRЕТ//SI", "CLASSIFICATION_MARKING", "ТОР SЕCRЕТ//SI"),  # Cyrillic look-alikes
    ],
)
def test_findings_point_into_the_original_text(backend: str, text: str, type_: str, span: str) -> None:
    got = [text[f.start : f.end] for f in scanner(backend).scan(text) if f.type == type_]
    assert got == [span]
