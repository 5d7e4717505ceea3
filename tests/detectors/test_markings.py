from __future__ import annotations

import pytest

from airlock.detectors import ScanContext, build_scanner
from airlock.detectors.markings import LEVELS, level_rank
from tests.detectors.helpers import scanner

CASES = [
    ("TOP SECRET//SI//NOFORN", "TOP SECRET//SI//NOFORN", "TOP_SECRET"),
    ("SECRET//REL TO USA, FVEY\nBody text", "SECRET//REL TO USA, FVEY", "SECRET"),
    ("(TS//SI) The source reported", "(TS//SI)", "TOP_SECRET"),
    ("(S//REL TO USA, FVEY) Paragraph", "(S//REL TO USA, FVEY)", "SECRET"),
    ("(U//FOUO) Routine", "(U//FOUO)", "UNCLASSIFIED"),
    ("(S) The meeting covered", "(S)", "SECRET"),
    ("CONFIDENTIAL", "CONFIDENTIAL", "CONFIDENTIAL"),
    ("Classification: SECRET", "SECRET", "SECRET"),
    ("UNCLASSIFIED//FOR OFFICIAL USE ONLY", "UNCLASSIFIED//FOR OFFICIAL USE ONLY", "UNCLASSIFIED"),
    ("CUI//SP-PRVCY", "CUI//SP-PRVCY", "CUI"),
    ("CUI//SP-CTI/EXPT//NOFORN", "CUI//SP-CTI/EXPT//NOFORN", "CUI"),
    ("(CUI) Employee records", "(CUI)", "CUI"),
    ("This is NATO SECRET material", "NATO SECRET", "SECRET"),
    ("COSMIC TOP SECRET-ATOMAL", "COSMIC TOP SECRET-ATOMAL", "TOP_SECRET"),
    ("OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE", "CUI"),
    ("UK SECRET", "UK SECRET", "SECRET"),
    ("绝密★", "绝密★", "TOP_SECRET"),
    ("机密★10年", "机密★10年", "SECRET"),
    ("秘密★长期 关于项目的通知", "秘密★长期", "CONFIDENTIAL"),
    ("密级：机密，保密期限：20年", "密级：机密，保密期限：20年", "SECRET"),
    ("内部★", "内部★", "CUI"),
    ("文件\n绝密\n正文", "绝密", "TOP_SECRET"),
]


@pytest.mark.parametrize(("text", "span", "level"), CASES)
def test_markings(backend: str, text: str, span: str, level: str) -> None:
    got = [(text[f.start : f.end], f.level) for f in scanner(backend).scan(text) if f.type == "CLASSIFICATION_MARKING"]
    assert got[0] == (span, level)


NEGATIVES = [
    "a secret recipe",
    "It is no secret that Top Secret clearance takes time.",
    "THE SECRET OF MY SUCCESS IS HARD WORK",
    "秘密花园是一本书",
    "这是我们的小秘密",
    "商业秘密保护条例",
    "(c) 2024 Example Corp",
    "items(s) and the CUI program office",
    "official sensitive issues",
    "The OFFICIAL results are out today",
    "公司内部会议",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_marking_negatives(backend: str, text: str) -> None:
    assert [f for f in scanner(backend).scan(text) if f.type == "CLASSIFICATION_MARKING"] == []


def test_code_words_global_and_per_tenant(backend: str) -> None:
    s = build_scanner(
        ["markings"],
        {
            "engine": {"backend": backend},
            "markings": {
                "code_words": [{"term": "GOLDEN EAGLE", "level": "TOP_SECRET"}],
                "tenants": {"dod": [{"term": "鹰眼行动", "level": "SECRET"}]},
            },
        },
    )
    text = "Op GOLDEN EAGLE and 鹰眼行动 and golden eagle"
    base = [(text[f.start : f.end], f.level) for f in s.scan(text)]
    assert base == [("GOLDEN EAGLE", "TOP_SECRET")]
    dod = [(text[f.start : f.end], f.level) for f in s.scan(text, context=ScanContext(tenant="dod"))]
    assert dod == [("GOLDEN EAGLE", "TOP_SECRET"), ("鹰眼行动", "SECRET")]


def test_level_rank_orders_levels() -> None:
    assert [level_rank(x) for x in LEVELS] == list(range(len(LEVELS)))
    assert level_rank(None) == -1
    assert level_rank("SECRET") > level_rank("CUI")
