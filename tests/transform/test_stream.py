"""The streaming restorer equals the whole-text restorer for every split of the stream."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airlock.transform import PlaceholderFormat, Pseudonym, PseudonymMap, Restorer

ENTRIES = [
    Pseudonym("PERSON", 1, "Alice Smith"),
    Pseudonym("PERSON", 12, "张三"),
    Pseudonym("EMAIL", 1, "a@b.c"),
    Pseudonym("CN_RESIDENT_ID", 2, "11010519491231002X"),
]
FORMATS = [
    PlaceholderFormat(),
    PlaceholderFormat(bare=False),
    PlaceholderFormat("[[{type}_{n}]]"),
    PlaceholderFormat("{{type}}-{n}"),
]


def restorer(fmt: PlaceholderFormat) -> Restorer:
    return Restorer(PseudonymMap("acme", "conv", fmt, ENTRIES))


def streamed(fmt: PlaceholderFormat, chunks: Sequence[str]) -> str:
    s = restorer(fmt).stream()
    out = [s.feed(c) for c in chunks]
    out.append(s.flush())
    assert s.held == 0
    return "".join(out)


def whole(fmt: PlaceholderFormat, text: str) -> str:
    return restorer(fmt).restore(text)


SAMPLES = [
    "Dear <PERSON_1>, your id <CN_RESIDENT_ID_2> is on file; write to <EMAIL_1>.",
    "<PERSON_12><PERSON_1>< person_1 >＜PERSON_12＞ and PERSON_1, PERSON_12.",
    "a < b and <PERSON_ and <PERSON_1 ] and <<PERSON_1>> and <EMAIL_3>",
    "PERSON_1PERSON_1 PERSON_1_ (PERSON_1) EMAIL_1. 张三说PERSON_12好",
    "[[PERSON_1]] [[ person-12 ]] 【【EMAIL_1】】 [[PERSON_1] [PERSON_1]",
    "{PERSON}-1 {PERSON}-12 {PERSON}-123 ｛email｝－1x {PERSON}-",
    "no placeholders at all, just text that goes on and on.",
    "ends with a partial <PERSON_",
    "ends with a bare PERSON_1",
]


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.template + ("" if f.bare else " strict"))
@pytest.mark.parametrize("text", SAMPLES)
def test_split_at_every_position(fmt: PlaceholderFormat, text: str) -> None:
    expected = whole(fmt, text)
    for i in range(len(text) + 1):
        assert streamed(fmt, [text[:i], text[i:]]) == expected, i


@pytest.mark.parametrize("fmt", FORMATS[:1] + FORMATS[2:], ids=lambda f: f.template)
def test_one_character_at_a_time(fmt: PlaceholderFormat) -> None:
    for text in SAMPLES:
        assert streamed(fmt, list(text)) == whole(fmt, text)


FRAGMENTS = st.sampled_from(
    [
        "<PERSON_1>", "<PERSON_12>", "< person_1 >", "＜EMAIL_1＞", "《PERSON_12》", "<cn-resident-id-2>",
        "PERSON_1", "PERSON_12", "EMAIL_1", "[[PERSON_1]]", "[[ email-1 ]]", "{PERSON}-1", "{PERSON}-12",
        "<", ">", "<<", "[", "[[", "]]", "{", "}-", "_", "1", "2", " ", "\n", "PERSON", "EMAIL", "person",
        "the ", "张三", "，", "x", "<PERSON_", "<PERSON_99>", "PERSON_",
    ]
)


@st.composite
def split_text(draw: st.DrawFn) -> tuple[str, list[str]]:
    text = "".join(draw(st.lists(FRAGMENTS, max_size=25)))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=12)))
    chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    return text, chunks


@settings(max_examples=300, deadline=None)
@given(case=split_text(), which=st.integers(0, len(FORMATS) - 1))
def test_random_splits_equal_whole_restore(case: tuple[str, list[str]], which: int) -> None:
    text, chunks = case
    fmt = FORMATS[which]
    assert streamed(fmt, chunks) == whole(fmt, text)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=80), cuts=st.lists(st.integers(0, 80), max_size=6))
def test_arbitrary_text_passes_through(text: str, cuts: list[int]) -> None:
    cuts = sorted(min(c, len(text)) for c in cuts)
    chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    fmt = FORMATS[0]
    assert streamed(fmt, chunks) == whole(fmt, text)


def test_ordinary_text_is_released_at_once() -> None:
    s = restorer(FORMATS[0]).stream()
    for delta in ["Hello, ", "this is ", "plain text; ", "numbers 123 ", "and 中文。"]:
        assert s.feed(delta) == delta
        assert s.held == 0


@pytest.mark.parametrize(
    ("deltas", "released"),
    [
        (["Dear <PER"], ["Dear "]),
        (["Dear <PER", "SON_1> hi"], ["Dear ", "Alice Smith hi"]),
        (["x PERS", "ON_1", " y"], ["x ", "", "Alice Smith y"]),
        (["x PERS", "pective"], ["x ", "PERSpective"]),
        (["a < b", " c"], ["a ", "< b c"]),
        (["if a < b and c > d", " then"], ["if a < b and c > d", " then"]),
        (["<PERSON_1>"], ["Alice Smith"]),
    ],
)
def test_what_is_held_back(deltas: list[str], released: list[str]) -> None:
    s = restorer(FORMATS[0]).stream()
    assert [s.feed(d) for d in deltas] == released


def test_hold_back_is_bounded() -> None:
    fmt = FORMATS[0]
    s = restorer(fmt).stream()
    out = s.feed("<" + "A" * 200)
    assert s.held <= fmt.max_pending
    assert out + s.flush() == "<" + "A" * 200
    assert s.max_held <= fmt.max_pending
