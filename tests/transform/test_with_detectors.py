"""The operators on real findings from the shipped `pii` detector (spans into the original
text, paths set the way the gateway sets them)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from airlock.detectors import Scanner, build_scanner
from airlock.detectors.base import Finding
from airlock.transform import Action, PlaceholderFormat, PseudonymMap, Restorer, transform

TEXTS = [
    ("messages[0].content", "我叫张伟，身份证号11010519491231002X，手机13800138000。地址：北京市朝阳区建国路88号。"),
    ("messages[1].content", "Contact Alice Smith at alice.smith@example.com or +1 415 555 0100. Card 4111 1111 1111 1111."),
    ("messages[2].content", "张伟 asked whether Alice Smith received the parcel."),
]


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return build_scanner(["pii"], {})


def scan(scanner: Scanner, texts: list[tuple[str, str]]) -> list[Finding]:
    return [replace(f, path=path) for path, text in texts for f in scanner.scan(text)]


def test_no_detected_value_reaches_the_upstream_and_restore_round_trips(scanner: Scanner) -> None:
    findings = scan(scanner, TEXTS)
    types = {f.type for f in findings}
    assert {"PERSON", "CN_RESIDENT_ID", "CN_PHONE", "EMAIL", "PHONE", "PAYMENT_CARD", "ADDRESS"} <= types
    pm = PseudonymMap("acme", "r_1", PlaceholderFormat())
    result = transform(TEXTS, findings, actions=dict.fromkeys(types, Action.PSEUDONYMISE), pseudonyms=pm)
    upstream = "\n".join(text for _, text in result.texts)
    for f in findings:
        assert dict(TEXTS)[f.path][f.start : f.end] not in upstream
    assert "<PERSON_1>" in upstream and "<PERSON_2>" in upstream
    # a model that echoes the prompt gets the original prompt back
    r = Restorer(pm)
    assert [r.restore(text) for _, text in result.texts] == [text for _, text in TEXTS]
    # and the detector finds nothing in what went upstream (placeholders are not PII)
    assert not [f for f in scan(scanner, list(result.texts)) if f.type in types - {"SENSITIVE_ATTRIBUTE"}]


def test_redaction_leaves_no_detected_value(scanner: Scanner) -> None:
    findings = scan(scanner, TEXTS)
    types = {f.type for f in findings}
    result = transform(TEXTS, findings, actions=dict.fromkeys(types, Action.REDACT))
    redacted = "\n".join(text for _, text in result.texts)
    assert "[REDACTED:CN_RESIDENT_ID]" in redacted
    for f in findings:
        assert dict(TEXTS)[f.path][f.start : f.end] not in redacted
