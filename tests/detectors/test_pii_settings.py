from __future__ import annotations

import pytest

from airlock.detectors import build_scanner

TEXT = "电话13800138000 邮箱 a.b@example.com 身份证11010519491231002X"


@pytest.mark.parametrize(
    ("settings", "types"),
    [
        ({}, ["CN_PHONE", "EMAIL", "CN_RESIDENT_ID"]),
        ({"types": ["EMAIL"]}, ["EMAIL"]),
        ({"exclude": ["CN_PHONE", "EMAIL"]}, ["CN_RESIDENT_ID"]),
        ({"min_score": 0.97}, ["EMAIL", "CN_RESIDENT_ID"]),
    ],
)
def test_type_selection_and_min_score(backend: str, settings: dict[str, object], types: list[str]) -> None:
    s = build_scanner(["pii"], {"engine": {"backend": backend}, "pii": settings})
    assert [f.type for f in s.scan(TEXT)] == types


def test_reference_date_decides_minors() -> None:
    text = "身份证110105201503080019"
    early = build_scanner(["pii"], {"pii": {"reference_date": "2026-01-01"}}).scan(text)
    late = build_scanner(["pii"], {"pii": {"reference_date": "2030-01-01"}}).scan(text)
    assert early[0].sensitive_category == "minor_under_14"
    assert late[0].sensitive_category == "specific_identity"
