from __future__ import annotations

import importlib.resources
import itertools
import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from airlock.detectors import build_scanner
from airlock.detectors.ner import NameTagger, default_tagger
from airlock.detectors.ner.features import TEMPLATES, codepoints, feature_index
from airlock.detectors.ner.tagger import shape, viterbi
from tests.detectors.helpers import found

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"

# bare names in running text: no label, title or speech verb around them
BARE = [
    ("李鹏在会上指出，要加强两国合作。", ["李鹏"]),
    ("记者王小明报道", ["王小明"]),
    # transliterated names need a large margin (their precision is lower): 克林顿 stays out
    ("克林顿和叶利钦举行了会谈。", ["叶利钦"]),
    ("昨天我和陈晓燕一起去了图书馆", ["陈晓燕"]),
    ("在吴建国的带领下，团队完成了任务。", ["吴建国"]),
    ("这次会议由刘志强主持。", ["刘志强"]),
    ("周恩来同志的故居", ["周恩来"]),
]
# words and places that look like names to a surname list
NOT_NAMES = [
    "今天大家都很高兴。",
    "我们要建设文明城市。",
    "金融市场保持稳定。",
    "方面的问题很多，方法也要改进。",
    "黄金价格今天上涨了。",
    "他们去了北京、上海和沈阳。",
    "江苏和甘肃的农业发展很快。",
    "高速公路上的车辆很多。",
    "常常有人问我这个问题。",
    "安全生产责任重于泰山。",
    "The quarterly report shows steady growth.",
    "",
]


@pytest.mark.parametrize(("text", "names"), BARE)
def test_bare_names_in_prose(backend: str, text: str, names: list[str]) -> None:
    assert found(backend, text, "PERSON") == names


@pytest.mark.parametrize("text", NOT_NAMES)
def test_words_that_look_like_names(backend: str, text: str) -> None:
    assert found(backend, text, "PERSON") == []


def test_tagger_findings_carry_their_rule_and_a_bounded_score() -> None:
    scanner = build_scanner(["pii"], {})
    findings = [f for f in scanner.scan("李鹏在会上指出，要加强合作。") if f.type == "PERSON"]
    assert [(f.rule, f.start, f.end) for f in findings] == [("pii.person.zh_model", 0, 2)]
    assert 0.6 <= findings[0].score < 0.9


def test_context_rules_win_over_the_tagger() -> None:
    scanner = build_scanner(["pii"], {})
    findings = [f for f in scanner.scan("联系人：张伟，电话见下") if f.type == "PERSON"]
    assert [f.rule for f in findings] == ["pii.person.zh_labelled"]


def test_the_tagger_can_be_switched_off() -> None:
    scanner = build_scanner(["pii"], {"pii": {"person_model": False}})
    assert [f for f in scanner.scan("李鹏在会上指出，要加强合作。") if f.type == "PERSON"] == []


def test_min_score_applies_to_tagger_findings() -> None:
    scanner = build_scanner(["pii"], {"pii": {"min_score": 0.95}})
    assert [f for f in scanner.scan("李鹏在会上指出，要加强合作。") if f.type == "PERSON"] == []


def test_a_name_inside_an_address_is_not_reported() -> None:
    scanner = build_scanner(["pii"], {})
    text = "寄到北京市海淀区中关村大街27号"
    assert [f.type for f in scanner.scan(text)] == ["ADDRESS"]


def test_model_loads_from_package_data() -> None:
    data = importlib.resources.files("airlock.detectors.ner").joinpath("data", "person-zh-v1.npz")
    assert data.is_file()
    assert len(data.read_bytes()) < 5 * 1024 * 1024
    tagger = default_tagger()
    assert tagger.version == "person-zh-v1"
    assert set(tagger.thresholds) == {"zh3", "zh2", "zh1", "foreign"}
    metrics = json.loads(importlib.resources.files("airlock.detectors.ner").joinpath("metrics.json").read_text())
    assert metrics["thresholds"] == tagger.thresholds
    assert metrics["bits"] == tagger.bits


def test_tagger_rejects_weights_of_the_wrong_shape() -> None:
    with pytest.raises(ValueError, match="shape"):
        NameTagger(np.zeros((10, 2), np.int16), 1.0, np.zeros((3, 3)), bits=16, thresholds={})


@pytest.mark.parametrize(
    ("text", "start", "end", "expected"),
    [
        ("李鹏在会上", 0, 2, (0, 2, "zh2")),
        ("王小明报道", 0, 3, (0, 3, "zh3")),
        ("陈小姐说", 0, 2, (0, 1, "zh1")),  # surname + title: the surname alone, as MSRA labels it
        ("王老师好", 0, 2, (0, 1, "zh1")),
        ("欧阳娜娜来了", 0, 4, (0, 4, "zh3")),
        ("克林顿说", 0, 3, (0, 3, "foreign")),
        ("李说", 0, 1, None),  # a lone character without a title
        ("阿" * 12, 0, 12, None),
    ],
)
def test_shape(text: str, start: int, end: int, expected: tuple[int, int, str] | None) -> None:
    assert shape(text, start, end) == expected


def _brute_force(em: list[list[float]], trans: list[list[float]]) -> list[int]:
    best: tuple[float, list[int]] | None = None
    for path in itertools.product(range(3), repeat=len(em)):
        prev, total, ok = 0, 0.0, True
        for k, tag in enumerate(path):
            if prev == 0 and tag == 2:
                ok = False
                break
            total += trans[prev][tag] + em[k][tag]
            prev = tag
        if ok:
            total += trans[prev][0]
            if best is None or total > best[0]:
                best = (total, list(path))
    assert best is not None
    return best[1]


@pytest.mark.parametrize("seed", range(40))
def test_viterbi_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 6)
    em = [[rng.gauss(0, 3) for _ in range(3)] for _ in range(n)]
    trans = [[rng.gauss(0, 2) for _ in range(3)] for _ in range(3)]
    trans[0][2] = -1e9
    assert viterbi(em, trans) == _brute_force(em, trans)


def test_features_are_windowed_and_position_selectable() -> None:
    cps = codepoints("我和李鹏在北京")
    full = feature_index(cps, 16)
    assert full.shape == (7, len(TEMPLATES))
    assert int(full.max()) < 1 << 16
    assert np.array_equal(feature_index(cps, 16, np.array([2, 3])), full[[2, 3]])
    # the character template of offset 0 differs between different characters ...
    centre = TEMPLATES.index((2,))
    assert full[2, centre] != full[3, centre]
    # ... and is the same for the same character in another text
    assert feature_index(codepoints("李"), 16)[0, centre] == full[2, centre]


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED / "msra_ner" / "dev.tsv").exists(), reason="shared data not available")
def test_retraining_reproduces_the_shipped_weights() -> None:
    pytest.importorskip("faker")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train_ner.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "weights match" in proc.stderr
