"""Bad input: empty strings, huge lines, adversarial regex inputs, deeply nested encodings."""

from __future__ import annotations

import base64
import time

import pytest

from airlock.detectors import Stage
from tests.detectors.helpers import scanner

ADVERSARIAL = {
    "digits": "1" * 50_000,
    "spaced_digits": "1 " * 25_000,
    "dashed_digits": "12-" * 20_000,
    "at_signs": "a@" * 25_000,
    "email_local": "a" * 50_000 + "@",
    "dots": "a." * 25_000 + "@b",
    "hex_colons": "ab:" * 20_000,
    "ipv4ish": "1.1." * 15_000,
    "zh_surnames": "王李张刘陈" * 10_000,
    "zh_roads": "北京市海淀区路街" * 6_000,
    "caps_words": "Mary " * 10_000,
    "marking_controls": "SECRET//" + "AB/" * 15_000,
    "portion": "(S//" + "AB " * 15_000,
    "assignment": "password=" * 6_000,
    "base64ish": "QUJD" * 15_000,
    "url_encoded": "%41" * 20_000,
    "street": "1 " + "Main " * 10_000 + "Street",
    "dob": "born on " * 6_000 + "1990",
    "mixed_punct": "-./: " * 12_000,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_inputs_finish_fast(backend: str, name: str) -> None:
    text = ADVERSARIAL[name]
    s = scanner(backend)  # built (and compiled) outside the timed part
    t0 = time.perf_counter()
    s.scan(text)
    elapsed = time.perf_counter() - t0
    assert elapsed < 3.0, f"{name}: {elapsed:.2f}s"


def test_empty_and_whitespace(backend: str) -> None:
    s = scanner(backend)
    assert s.scan("") == []
    assert s.scan("   \n\t") == []
    assert s.scan("\u200b\u200b") == []


def test_ten_megabyte_single_line() -> None:
    unit = "订单已发货，请联系客服。Contact support@example.com for details. "
    text = unit * (10_000_000 // len(unit.encode()))
    t0 = time.perf_counter()
    findings = scanner("hyperscan" if "hyperscan" in _backends() else "python").scan(text, stage=Stage.COMPLETION)
    elapsed = time.perf_counter() - t0
    assert len([f for f in findings if f.type == "EMAIL"]) == text.count("support@example.com")
    assert elapsed < 30


def test_deeply_nested_encoding_is_bounded(backend: str) -> None:
    payload = b"card 4111111111111111"
    for _ in range(30):
        payload = base64.b64encode(payload)
    text = payload.decode()
    t0 = time.perf_counter()
    findings = scanner(backend).scan(text)
    assert time.perf_counter() - t0 < 3.0
    assert [f for f in findings if f.type == "PAYMENT_CARD"] == []  # deeper than max_depth
    shallow = base64.b64encode(base64.b64encode(b"card 4111111111111111")).decode()
    (card,) = [f for f in scanner(backend).scan(f"x {shallow} y") if f.type == "PAYMENT_CARD"]
    assert dict(card.attributes)["encoding"] == "base64>base64"
    assert (card.start, card.end) == (2, 2 + len(shallow))


def test_lone_surrogates_do_not_crash(backend: str) -> None:
    text = "abc \ud800 13800138000 \udfff"
    types = [f.type for f in scanner(backend).scan(text)]
    assert "CN_PHONE" in types


def _backends() -> list[str]:
    from airlock.detectors.backends import available_backends

    return available_backends()
