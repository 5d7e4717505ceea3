"""Placeholder formats: rendering, the exact tolerance of recognition, and stream prefixes."""

from __future__ import annotations

import pytest

from airlock.transform import PlaceholderFormat, canonical_type

ANGLE = PlaceholderFormat()
BRACKETS = PlaceholderFormat("[[{type}_{n}]]")
BRACES = PlaceholderFormat("{{type}}-{n}")
STRICT = PlaceholderFormat(bare=False)


@pytest.mark.parametrize(
    ("fmt", "type_", "n", "rendered"),
    [
        (ANGLE, "PERSON", 1, "<PERSON_1>"),
        (ANGLE, "CN_RESIDENT_ID", 12, "<CN_RESIDENT_ID_12>"),
        (BRACKETS, "EMAIL", 2, "[[EMAIL_2]]"),
        (BRACES, "PERSON", 3, "{PERSON}-3"),
        (PlaceholderFormat("«{type}#{n}»"), "PHONE", 4, "«PHONE#4»"),
    ],
)
def test_render_and_recognise_exact(fmt: PlaceholderFormat, type_: str, n: int, rendered: str) -> None:
    assert fmt.render(type_, n) == rendered
    assert fmt.keys_in(f"see {rendered}.") == {(type_, n)}


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("<{type}>", "exactly once"),
        ("<{n}_{type}>", "before"),
        ("{type}_{n}>", "opening delimiter"),
        ("<{type}{n}>", "separator"),
        ("<P{type}_{n}>", "letters or digits"),
        ("<{type}_{n}1>", "letters or digits"),
        ("< {type}_{n}>", "spaces"),
        ("<{type}_{n}>>>>>>>>>", "1-8 characters"),
        ("<{type}_{n}><{type}>", "exactly once"),
    ],
)
def test_bad_templates_are_rejected(template: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PlaceholderFormat(template)


# (format, text, keys recognised) — the tolerance, precisely
TOLERANCE = [
    (ANGLE, "<PERSON_1>", {("PERSON", 1)}),
    (ANGLE, "< PERSON_1 >", {("PERSON", 1)}),
    (ANGLE, "<\u3000PERSON_1\u3000>", {("PERSON", 1)}),
    (ANGLE, "<person_1>", {("PERSON", 1)}),
    (ANGLE, "<Person_1>", {("PERSON", 1)}),
    (ANGLE, "＜PERSON_1＞", {("PERSON", 1)}),
    (ANGLE, "《PERSON_1》", {("PERSON", 1)}),
    (ANGLE, "〈PERSON_1〉", {("PERSON", 1)}),
    (ANGLE, "<PERSON-1>", {("PERSON", 1)}),
    (ANGLE, "<PERSON 1>", {("PERSON", 1)}),
    (ANGLE, "<PERSON＿1>", {("PERSON", 1)}),
    (ANGLE, "<CN-RESIDENT-ID-2>", {("CN_RESIDENT_ID", 2)}),
    (ANGLE, "<cn_resident-id 2>", {("CN_RESIDENT_ID", 2)}),
    (STRICT, "<cn resident id 2>", set()),  # a space separates type and number only
    (ANGLE, "<PERSON_１２>", {("PERSON", 12)}),
    (ANGLE, "PERSON_1", {("PERSON", 1)}),  # bare token
    (ANGLE, "(PERSON_1)", {("PERSON", 1)}),
    (ANGLE, "联系PERSON_1先生", {("PERSON", 1)}),  # CJK is not an ASCII word character
    (ANGLE, "<PERSON_1><EMAIL_2>", {("PERSON", 1), ("EMAIL", 2)}),
    (BRACKETS, "【【PERSON_1】】", {("PERSON", 1)}),
    (BRACKETS, "[[ person-1 ]]", {("PERSON", 1)}),
    (BRACES, "｛person｝－3", {("PERSON", 3)}),
    (BRACES, "{PERSON}-12x", {("PERSON", 12)}),
    # never matched
    (ANGLE, "<PERSON_01>", set()),  # leading zero
    (ANGLE, "<PERSON_0>", set()),
    (ANGLE, "<PERSON_1234567>", set()),  # more than six digits
    (ANGLE, "<PERSON__1>", set()),  # doubled connector
    (STRICT, "<PERSON_1 ]", set()),  # closing bracket of another family
    (ANGLE, "<PERSON_1 ]", {("PERSON", 1)}),  # ... but the bare token inside still counts
    (STRICT, "<   PERSON_1>", set()),  # three spaces
    (ANGLE, "<PERSON\n_1>", set()),
    (ANGLE, "<PERSON_>", set()),
    (ANGLE, "<_1>", set()),
    (ANGLE, "<b>", set()),
    (ANGLE, "a < b_1 and c > d", set()),
    (ANGLE, "person_1", set()),  # bare tokens are upper case only
    (ANGLE, "Person_1", set()),
    (ANGLE, "MY_PERSON_1x", set()),
    (ANGLE, "xPERSON_1", set()),
    (ANGLE, "PERSON_1_2", {("PERSON_1", 2)}),  # a different (unknown) type, never PERSON_1
    (ANGLE, "PERSON-1", set()),  # bare tokens use '_' only
    (ANGLE, "x = PERSON_01", set()),
    (STRICT, "PERSON_1", set()),  # bare recognition switched off
    (STRICT, "<PERSON_1>", {("PERSON", 1)}),
    (BRACKETS, "[PERSON_1]", {("PERSON", 1)}),  # only the bare token inside single brackets
    (BRACKETS, "[person_1]", set()),
    (BRACES, "{PERSON}-01", set()),
]


@pytest.mark.parametrize(("fmt", "text", "keys"), TOLERANCE)
def test_recognition_tolerance(fmt: PlaceholderFormat, text: str, keys: set[tuple[str, int]]) -> None:
    assert fmt.keys_in(text) == keys


def test_whole_match_spans_the_variant() -> None:
    m = ANGLE.pattern.search("hi < person_1 >!")
    assert m is not None and m.group(0) == "< person_1 >"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("person", "PERSON"), ("cn-resident_id", "CN_RESIDENT_ID"), ("CN＿ID", "CN_ID"), ("Email", "EMAIL")],
)
def test_canonical_type(raw: str, canonical: str) -> None:
    assert canonical_type(raw) == canonical


# (format, tail, could still become or finish a placeholder)
PARTIALS = [
    (ANGLE, "<", True),
    (ANGLE, "＜", True),
    (ANGLE, "< ", True),
    (ANGLE, "<PER", True),
    (ANGLE, "<PERSON_", True),
    (ANGLE, "<PERSON_1", True),
    (ANGLE, "<PERSON_1 ", True),
    (ANGLE, "<PERSON_1>", False),  # finished: release it
    (ANGLE, "<PERSON_1> and", False),
    (ANGLE, "< <", False),
    (ANGLE, "< b", True),
    (ANGLE, "< b ", True),  # <b 1> is still possible
    (ANGLE, "< b c", False),  # prose: released
    (ANGLE, "<1", False),
    (ANGLE, "<PERSON_1\n", False),
    (ANGLE, "PERS", True),  # may become the bare token
    (ANGLE, "PERSON_1", True),  # may become PERSON_12
    (ANGLE, "Per", False),
    (ANGLE, "PERSON_1 ", False),
    (STRICT, "PERS", False),
    (BRACKETS, "[", True),
    (BRACKETS, "[[P_1]", True),
    (BRACKETS, "[[P_1]]", False),
    (BRACES, "{PERSON}-1", True),  # more digits may follow
    (BRACES, "{PERSON}-1 ", False),
]


@pytest.mark.parametrize(("fmt", "tail", "partial"), PARTIALS)
def test_stream_prefixes(fmt: PlaceholderFormat, tail: str, partial: bool) -> None:
    assert fmt.is_partial(tail, 0) is partial


def test_partials_never_exceed_max_pending() -> None:
    longest = "<  " + "A" * 48 + "_999999  >"
    assert ANGLE.keys_in(longest) == {("A" * 48, 999999)}
    assert len(longest) <= ANGLE.max_pending
    assert ANGLE.is_partial(longest[:-1], 0)
    assert ANGLE.is_partial("<" + "A" * 48, 0)
    assert not ANGLE.is_partial("<" + "A" * 49, 0)


def test_bare_prefix_needs_a_boundary_before_it() -> None:
    assert ANGLE.is_partial(" PERS", 1)
    assert not ANGLE.is_partial("xPERS", 1)
