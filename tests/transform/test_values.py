"""Which mentions count as the same value (one placeholder)."""

from __future__ import annotations

import pytest

from airlock.transform import normalise_value

SAME = [
    ("EMAIL", "Alice@Example.COM", " alice@example.com"),
    ("CN_PHONE", "+86 138-0013-8000", "13800138000"),
    ("CN_PHONE", "0086 13800138000", "138 0013 8000"),
    ("CN_PHONE", "１３８００１３８０００", "13800138000"),
    ("PHONE", "(415) 555-0100", "415.555.0100"),
    ("CN_RESIDENT_ID", "11010519491231002x", "110105 19491231 002X"),
    ("PAYMENT_CARD", "4111-1111-1111-1111", "4111 1111 1111 1111"),
    ("IP_ADDRESS", "2001:DB8:0:0::1", "2001:db8::1"),
    ("PERSON", "Alice  Smith", "alice smith"),
    ("PERSON", "张三", "张三"),
    ("ADDRESS", "北京市 朝阳区", "北京市　朝阳区"),
]

DIFFERENT = [
    ("EMAIL", "alice@example.com", "alice@example.org"),
    ("CN_PHONE", "13800138000", "13800138001"),
    ("PHONE", "+1 415 555 0100", "415 555 0100"),  # the country code is kept outside CN_PHONE
    ("PERSON", "Alice Smith", "Alice Smyth"),
    ("PERSON", "张三", "张三丰"),
]


@pytest.mark.parametrize(("type_", "a", "b"), SAME)
def test_same_value(type_: str, a: str, b: str) -> None:
    assert normalise_value(type_, a) == normalise_value(type_, b)


@pytest.mark.parametrize(("type_", "a", "b"), DIFFERENT)
def test_different_value(type_: str, a: str, b: str) -> None:
    assert normalise_value(type_, a) != normalise_value(type_, b)
