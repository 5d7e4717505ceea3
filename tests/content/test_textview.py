from __future__ import annotations

import pytest

from airlock.detectors.content.textview import fold, tag_payload


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("K1LL", "kill"),
        ("h0w t0 m4ke a b0mb", "how to make a bomb"),
        ("k i l l", "kill"),
        ("炸 药", "炸药"),
        ("炸*·药", "炸药"),
        ("ｉｇｎｏｒｅ", "ignore"),  # full-width
        ("іgnоrе", "ignore"),  # Cyrillic і, о, е
        ("ig\u200bnore", "ignore"),  # zero-width space
        ("2024年 covid19 sha256", "2024年 covid19 sha256"),  # digits-only and trailing digits untouched
    ],
)
def test_fold_undoes_evasions(text: str, folded: str) -> None:
    assert fold(text).text == folded


def test_origin_maps_back_to_original_span() -> None:
    text = "say: k i l l now"
    view = fold(text)
    i = view.text.index("kill")
    start, end = view.origin(i, i + 4)
    assert text[start:end] == "k i l l"


def test_tag_payload_reads_invisible_ascii() -> None:
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "hi there")
    assert tag_payload("visible" + hidden) == "hi there"
    assert tag_payload("nothing hidden") == ""
