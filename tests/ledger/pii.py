"""A tiny regex PII scanner for ledger tests (the real detectors live in airlock.detectors).

It produces the canonical entity types with the PIPL flags the real detectors set, so the
ledger is tested against the same Finding contract.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from airlock.detectors.base import Finding, ScanContext, Stage

_PATTERNS: list[tuple[str, re.Pattern[str], bool, str | None]] = [
    ("CN_RESIDENT_ID", re.compile(r"(?<![\dA-Za-z])\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{5}[\dXx](?![\dA-Za-z])"),
     True, "specific_identity"),
    ("PAYMENT_CARD", re.compile(r"(?<!\d)(?:\d{4}[ -]){3}\d{4}(?!\d)"), True, "financial_account"),
    ("CN_PHONE", re.compile(r"(?<![\d+])(?:\+86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"), False, None),
    ("EMAIL", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), False, None),
    ("PERSON", re.compile(r"张三|李四|王五|Zhang San|Li Si"), False, None),
    ("MEDICAL_CONDITION", re.compile(r"糖尿病|diabetes|HIV"), True, "medical_health"),
]


def find(text: str, path: str = "messages[0].content", *, minor: Sequence[str] = ()) -> list[Finding]:
    """Findings in ``text``; resident IDs listed in ``minor`` are flagged minor_under_14."""
    out: list[Finding] = []
    for type_, pattern, sensitive, category in _PATTERNS:
        for m in pattern.finditer(text):
            cat = "minor_under_14" if type_ == "CN_RESIDENT_ID" and m.group() in minor else category
            out.append(Finding(type_, m.start(), m.end(), 0.99, f"test.{type_.lower()}", sensitive=sensitive,
                               sensitive_category=cat if sensitive else None, path=path))
    return sorted(out, key=lambda f: f.start)


def find_all(texts: Sequence[tuple[str, str]]) -> list[Finding]:
    return [f for path, text in texts for f in find(text, path)]


class RegexScanner:
    """A Scanner for the gateway (tests inject it through gateway_kwargs)."""

    name = "test-pii"

    @property
    def empty(self) -> bool:
        return False

    def scan(
        self, text: str, *, stage: Stage = Stage.PROMPT, context: ScanContext | None = None, hooks: bool = True
    ) -> list[Finding]:
        return find(text, "")


def resident_id(n: int, birth: str = "19900101") -> str:
    """A syntactically valid-looking 18-character resident ID (checksum computed) for person ``n``."""
    body = f"110101{birth}{n % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def phone(n: int) -> str:
    return f"138{n:08d}"
